/**
 * Fetch against a broker started as a user starts it: long polls that return as soon as data arrives and not
 * before min bytes, an incremental fetch session woken by a produce, a SIGTERM that answers waiting fetches at
 * once, and Kafka's own console consumer (the Java client, assign mode, fetch sessions) reading what was produced.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describeWithPeer } from '../helpers/peers';
import { runKafkaTool } from '../helpers/kafka-tools';
import { createTopics } from '../helpers/kafkajs';
import { useTempDirs } from '../helpers/tmp';
import { FetchClient, decodeWithKafkajs, fetchOne } from './fetch-client';
import { TributaryProcess } from './tributary-process';

const tempDir = useTempDirs('broker-fetch');
let broker: TributaryProcess;
let kafka: Kafka;

beforeAll(async () => {
  broker = await TributaryProcess.start(tempDir());
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'fetch-test', logLevel: logLevel.NOTHING });
}, 60_000);
afterAll(async () => broker?.stop());

const createTopic = (topic: string, numPartitions = 1) => createTopics(broker.bootstrap, [{ topic, numPartitions }]);

async function produce(topic: string, messages: { key: string; value: string; partition?: number }[]): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

test('a long poll returns as soon as a produce brings data, with that data', async () => {
  await createTopic('poll');
  const client = await FetchClient.connect(broker.host, broker.port);
  try {
    const started = performance.now();
    const pending = client.request(1, 12, fetchOne('poll', 0, 0n, { maxWaitMs: 20_000, minBytes: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const producedAt = performance.now();
    await produce('poll', [{ key: 'k', value: 'arrived' }]);
    const response = await pending;
    const answeredAt = performance.now();
    const records = await decodeWithKafkajs(response.responses[0].partitions[0].records!);
    expect(records.map((r) => r.value?.toString())).toEqual(['arrived']);
    // Not before the data existed, and well before the 20 s max wait.
    expect(answeredAt - started).toBeGreaterThanOrEqual(300);
    expect(answeredAt - producedAt).toBeLessThan(3_000);
  } finally {
    client.close();
  }
}, 60_000);

test('below min bytes across all partitions the fetch waits for max wait; reaching it ends the wait', async () => {
  await createTopic('minbytes', 2);
  await produce('minbytes', [{ key: 'a', value: 'x'.repeat(200), partition: 0 }]);
  const client = await FetchClient.connect(broker.host, broker.port);
  const both = (fields: object) => {
    const request = fetchOne('minbytes', 0, 0n, fields);
    request.topics[0].partitions.push({ ...request.topics[0].partitions[0], partition: 1 });
    return request;
  };
  try {
    const started = performance.now();
    const waited = await client.request(1, 12, both({ maxWaitMs: 800, minBytes: 600 }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(750);
    expect(waited.responses[0].partitions.map((p) => p.highWatermark)).toEqual([1n, 0n]);

    const pending = client.request(1, 12, both({ maxWaitMs: 20_000, minBytes: 600 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const producedAt = performance.now();
    await produce('minbytes', [{ key: 'b', value: 'y'.repeat(600), partition: 1 }]);
    const response = await pending;
    expect(performance.now() - producedAt).toBeLessThan(3_000);
    const values = await Promise.all(response.responses[0].partitions.map(async (p) => (await decodeWithKafkajs(p.records!)).map((r) => r.value?.length)));
    expect(values).toEqual([[200], [600]]);
  } finally {
    client.close();
  }
}, 60_000);

test('an incremental fetch session waits, is woken by a produce, and answers only the partition with news', async () => {
  await createTopic('session', 3);
  const client = await FetchClient.connect(broker.host, broker.port);
  try {
    const all = fetchOne('session', 0, 0n, { sessionId: 0, sessionEpoch: 0 });
    for (const partition of [1, 2]) all.topics[0].partitions.push({ ...all.topics[0].partitions[0], partition });
    const full = await client.request(1, 12, all);
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).not.toBe(0);
    expect(full.responses[0].partitions.map((p) => p.partitionIndex)).toEqual([0, 1, 2]);

    const incremental = { ...fetchOne('session', 0, 0n, { sessionId: full.sessionId, sessionEpoch: 1, maxWaitMs: 20_000 }), topics: [] };
    const pending = client.request(1, 12, incremental);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await produce('session', [{ key: 'k', value: 'to-two', partition: 2 }]);
    const response = await pending;
    expect(response.sessionId).toBe(full.sessionId);
    expect(response.responses.map((t) => t.partitions.map((p) => p.partitionIndex))).toEqual([[2]]);
    expect((await decodeWithKafkajs(response.responses[0].partitions[0].records!)).map((r) => r.value?.toString())).toEqual(['to-two']);

    const stale = await client.request(1, 12, { ...incremental, sessionEpoch: 1, maxWaitMs: 0 });
    expect(stale.errorCode).toBe(71); // INVALID_FETCH_SESSION_EPOCH: epoch 1 was used
  } finally {
    client.close();
  }
}, 60_000);

test('SIGTERM answers a waiting fetch at once and the broker exits cleanly', async () => {
  const own = await TributaryProcess.start(tempDir());
  try {
    const ownKafka = new Kafka({ brokers: [own.bootstrap], clientId: 'fetch-test', logLevel: logLevel.NOTHING });
    const admin = ownKafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'stop', numPartitions: 1 }] });
    await admin.disconnect();
    const client = await FetchClient.connect(own.host, own.port);
    const pending = client.request(1, 12, fetchOne('stop', 0, 0n, { maxWaitMs: 60_000 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopping = performance.now();
    const exit = own.stop();
    const response = await pending;
    expect(response.responses[0].partitions[0].errorCode).toBe(0);
    expect(await exit).toBe(0);
    expect(performance.now() - stopping).toBeLessThan(8_000);
    client.close();
  } finally {
    await own.stop();
  }
}, 60_000);

describeWithPeer('kafka-tools', "Kafka's console consumer", () => {
  test('kafka-console-consumer.sh in assign mode reads every produced record, in order, over fetch sessions', async () => {
    const count = 3_000;
    await createTopic('console');
    const messages = Array.from({ length: count }, (_, i) => ({ key: `key-${i}`, value: `value-${i}-${'z'.repeat(100)}` }));
    for (let i = 0; i < count; i += 1_000) await produce('console', messages.slice(i, i + 1_000));
    // Small fetches, so the consumer needs many of them: a full fetch opens the session, incremental ones follow.
    const result = await runKafkaTool(
      'kafka-console-consumer.sh',
      [
        '--bootstrap-server', broker.bootstrap,
        '--topic', 'console',
        '--partition', '0',
        '--offset', 'earliest',
        '--max-messages', String(count),
        '--property', 'print.key=true',
        '--consumer-property', 'max.partition.fetch.bytes=8192',
        '--timeout-ms', '30000',
      ],
      { timeoutMs: 90_000 },
    );
    if (result.code !== 0) throw new Error(`console consumer exited with ${result.code}:\n${result.stderr}`);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(count);
    expect(lines.every((line, i) => line === `key-${i}\tvalue-${i}-${'z'.repeat(100)}`)).toBe(true);
    expect(result.stderr).toContain(`Processed a total of ${count} messages`);
  }, 120_000);
});
