/**
 * Every acknowledged record survives a stop and a start: after SIGTERM (a graceful shutdown that flushes and
 * leaves a clean log dir) and after SIGKILL (no shutdown at all, in the middle of producing). Checked through
 * ListOffsets after the restart, record by record on disk and read back through Fetch, and producing goes on at
 * the right offset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '@tributary/protocol';
import { useTempDirs } from '../helpers/tmp';
import { FetchClient, decodeWithKafkajs, fetchOne } from './fetch-client';
import { storedRecords } from './segment-records';
import { TributaryProcess } from './tributary-process';

const tempDir = useTempDirs('restart-records');
const running: TributaryProcess[] = [];
afterAll(async () => {
  for (const broker of running) await broker.stop();
});

async function start(dir: string): Promise<TributaryProcess> {
  const broker = await TributaryProcess.start(dir, ['log.segment.bytes=65536']);
  running.push(broker);
  return broker;
}

function client(broker: TributaryProcess): Kafka {
  return new Kafka({ brokers: [broker.bootstrap], clientId: 'restart-records', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

async function highWatermarks(broker: TributaryProcess, topic: string): Promise<Record<number, string>> {
  const admin = client(broker).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}

const value = (partition: number, i: number) => `p${partition}-record-${i}-${'z'.repeat(i % 100)}`;

/** Every record value of a partition up to `end`, read back through Fetch and decoded by kafkajs. */
async function fetchValues(broker: TributaryProcess, topic: string, partition: number, end: number): Promise<string[]> {
  const fetcher = await FetchClient.connect(broker.host, broker.port);
  const values: string[] = [];
  try {
    while (values.length < end) {
      const response = await fetcher.request(ApiKey.Fetch, 12, fetchOne(topic, partition, BigInt(values.length), {}, 256 * 1024));
      const answer = response.responses[0].partitions[0];
      expect(answer.errorCode).toBe(0);
      const records = (await decodeWithKafkajs(answer.records ?? Buffer.alloc(0))).filter((r) => BigInt(r.offset) >= BigInt(values.length));
      expect(records.length).toBeGreaterThan(0);
      for (const record of records) {
        expect(record.offset).toBe(String(values.length));
        values.push(record.value?.toString() ?? '');
      }
    }
  } finally {
    fetcher.close();
  }
  return values;
}

test('after SIGTERM: a clean log dir, and every record back at its offset', async () => {
  const dir = tempDir();
  const first = await start(dir);
  const kafka = client(first);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let batch = 0; batch < 20; batch++) {
    await producer.send({
      topic: 'kept',
      acks: -1,
      messages: Array.from({ length: 100 }, (_, j) => ({ partition: j % 2, key: `k${batch * 100 + j}`, value: value(j % 2, batch * 50 + (j >> 1)) })),
    });
  }
  await producer.disconnect();
  expect(await first.stop()).toBe(0);
  expect(fs.existsSync(path.join(dir, '.kafka_cleanshutdown'))).toBe(true);
  // Several segments were rolled (64 KiB each), and the checkpoints name both partitions.
  expect(fs.readdirSync(path.join(dir, 'kept-0')).filter((n) => n.endsWith('.log')).length).toBeGreaterThan(1);
  const recoveryPoints = fs.readFileSync(path.join(dir, 'recovery-point-offset-checkpoint'), 'utf8');
  expect(recoveryPoints).toContain('kept 0 1000\n');
  expect(recoveryPoints).toContain('kept 1 1000\n');

  const second = await start(dir);
  expect(await highWatermarks(second, 'kept')).toEqual({ 0: '1000', 1: '1000' });
  for (const partition of [0, 1]) {
    const expected = Array.from({ length: 1000 }, (_, i) => value(partition, i));
    expect(storedRecords(dir, 'kept', partition).map((r) => r.value)).toEqual(expected);
    expect(await fetchValues(second, 'kept', partition, 1000)).toEqual(expected);
  }
  const producer2 = client(second).producer({ allowAutoTopicCreation: false });
  await producer2.connect();
  const [ack] = await producer2.send({ topic: 'kept', acks: -1, messages: [{ partition: 1, value: 'after restart' }] });
  await producer2.disconnect();
  expect(ack.baseOffset).toBe('1000');
  await second.stop();
}, 90_000);

test('after SIGKILL in the middle of producing: every acknowledged record is there', async () => {
  const dir = tempDir();
  const first = await start(dir);
  const kafka = client(first);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'crashed', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  let acknowledged = 0;
  const ackOffsets: string[] = [];
  const producing = (async () => {
    for (let batch = 0; ; batch++) {
      const messages = Array.from({ length: 50 }, (_, j) => ({ value: value(0, batch * 50 + j) }));
      let ack;
      try {
        [ack] = await producer.send({ topic: 'crashed', acks: 1, messages });
      } catch {
        return; // the broker died under us
      }
      ackOffsets.push(ack.baseOffset as string);
      acknowledged += messages.length;
    }
  })();
  // Kill once a good number of batches are acknowledged, while more are in flight.
  while (acknowledged < 3000) await new Promise((resolve) => setTimeout(resolve, 5));
  await first.kill();
  await producing;
  await producer.disconnect().catch(() => undefined);
  expect(fs.existsSync(path.join(dir, '.kafka_cleanshutdown'))).toBe(false);
  expect(ackOffsets).toEqual(ackOffsets.map((_, i) => String(i * 50)));

  const second = await start(dir);
  const high = Number((await highWatermarks(second, 'crashed'))[0]);
  // An append the broker wrote but had no time to acknowledge may be there too; nothing acknowledged is missing.
  expect(high).toBeGreaterThanOrEqual(acknowledged);
  const stored = storedRecords(dir, 'crashed', 0);
  expect(stored).toHaveLength(high);
  expect(stored.slice(0, acknowledged).map((r) => r.value)).toEqual(Array.from({ length: acknowledged }, (_, i) => value(0, i)));
  expect((await fetchValues(second, 'crashed', 0, high)).slice(0, acknowledged)).toEqual(Array.from({ length: acknowledged }, (_, i) => value(0, i)));
  await second.stop();
}, 90_000);
