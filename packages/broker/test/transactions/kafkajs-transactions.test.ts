/**
 * kafkajs transactions against an in-process broker: committed records are visible to a read_committed
 * consumer and aborted ones never; a read_uncommitted consumer sees both, the markers taking an offset each;
 * offsets sent in a transaction are committed with it, and dropped when it aborts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerConfig } from '@tributary/metadata';
import { Broker, silentLogger } from '../../src';

jest.setTimeout(60_000);

let dir: string;
let broker: Broker;
let kafka: Kafka;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-kafkajs-txn-'));
  const config = BrokerConfig.of({
    'broker.id': '1',
    'log.dirs': dir,
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.num.partitions': '3',
    'group.initial.rebalance.delay.ms': '0',
  });
  broker = await Broker.start({ config, logger: silentLogger });
  kafka = new Kafka({ clientId: 'txn-test', brokers: [`127.0.0.1:${broker.advertisedEndpoints[0].port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'payments', numPartitions: 1 }, { topic: 'input', numPartitions: 1 }] });
  await admin.disconnect();
});

afterAll(async () => {
  await broker?.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every record of `topic` partition 0 a consumer with this isolation reads, as [offset, value]. */
async function readAll(topic: string, readUncommitted: boolean, expected: number): Promise<[string, string][]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${readUncommitted}-${Date.now()}`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: [string, string][] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => resolve(), 8000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push([message.offset, message.value!.toString()]);
          if (seen.length >= expected) {
            clearTimeout(timer);
            // Wait a little for anything beyond what is expected, which would be a failure.
            setTimeout(resolve, 300);
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

test('committed records reach read_committed consumers, aborted ones never; read_uncommitted sees both around the markers', async () => {
  const producer = kafka.producer({ transactionalId: 'payments-writer', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  const first = await producer.transaction();
  await first.send({ topic: 'payments', messages: [{ value: 'a' }, { value: 'b' }] });
  await first.commit();

  const second = await producer.transaction();
  await second.send({ topic: 'payments', messages: [{ value: 'c' }] });
  await second.abort();

  const third = await producer.transaction();
  await third.send({ topic: 'payments', messages: [{ value: 'd' }] });
  await third.commit();
  await producer.disconnect();

  // a, b at 0-1, COMMIT at 2, c at 3, ABORT at 4, d at 5, COMMIT at 6.
  expect(await readAll('payments', false, 3)).toEqual([
    ['0', 'a'],
    ['1', 'b'],
    ['5', 'd'],
  ]);
  expect(await readAll('payments', true, 4)).toEqual([
    ['0', 'a'],
    ['1', 'b'],
    ['3', 'c'],
    ['5', 'd'],
  ]);

  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets('payments');
  await admin.disconnect();
  expect(offsets[0]).toMatchObject({ partition: 0, offset: '7', high: '7' });
});

test('sendOffsets commits the group offsets with the transaction and drops them when it aborts', async () => {
  const producer = kafka.producer({ transactionalId: 'copier', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  const committed = async () => (await admin.fetchOffsets({ groupId: 'copy-group', topics: ['input'] }))[0].partitions[0].offset;

  const copy = await producer.transaction();
  await copy.send({ topic: 'payments', messages: [{ value: 'copied' }] });
  await copy.sendOffsets({ consumerGroupId: 'copy-group', topics: [{ topic: 'input', partitions: [{ partition: 0, offset: '42' }] }] });
  await copy.commit();
  // EndTxn is answered once PrepareCommit is written; the marker reaching __consumer_offsets follows it closely.
  for (let attempt = 0; attempt < 50 && (await committed()) !== '42'; attempt++) await new Promise((r) => setTimeout(r, 20));
  expect(await committed()).toBe('42');

  const aborted = await producer.transaction();
  await aborted.sendOffsets({ consumerGroupId: 'copy-group', topics: [{ topic: 'input', partitions: [{ partition: 0, offset: '99' }] }] });
  await aborted.abort();
  expect(await committed()).toBe('42');

  await admin.disconnect();
  await producer.disconnect();
});

test('a second producer with the same transactional id fences the first, whose ongoing transaction is aborted', async () => {
  const zombie = kafka.producer({ transactionalId: 'fenced-writer', idempotent: true, maxInFlightRequests: 1 });
  await zombie.connect();
  const open = await zombie.transaction();
  await open.send({ topic: 'input', messages: [{ value: 'zombie' }] });

  const successor = kafka.producer({ transactionalId: 'fenced-writer', idempotent: true, maxInFlightRequests: 1 });
  await successor.connect();
  const next = await successor.transaction();
  await next.send({ topic: 'input', messages: [{ value: 'successor' }] });
  await next.commit();
  await successor.disconnect();

  await expect(open.commit()).rejects.toMatchObject({ type: expect.stringMatching(/PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/) });
  await zombie.disconnect().catch(() => undefined);
  expect((await readAll('input', false, 1)).map(([, value]) => value)).toEqual(['successor']);
});
