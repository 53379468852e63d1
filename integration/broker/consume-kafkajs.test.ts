/**
 * kafkajs produces 100 000 records with keys, headers and timestamps once per codec; a raw Fetch (v12, our
 * framing) reads them all back and kafkajs' own batch decoder checks every record, in order.
 */
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { useTempDirs } from '../helpers/tmp';
import { FetchClient, decodeWithKafkajs, fetchOne, registerKafkajsCodecs } from './fetch-client';
import { TributaryProcess } from './tributary-process';

const RECORDS = 100_000;
const PER_SEND = 2_000;
const T0 = 1_600_000_000_000;

const tempDir = useTempDirs('consume-kafkajs');
let broker: TributaryProcess;
beforeAll(async () => {
  registerKafkajsCodecs();
  broker = await TributaryProcess.start(tempDir());
}, 60_000);
afterAll(async () => broker?.stop());

const codecs = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
] as const;

test.each(codecs)(
  '%s: 100 000 records read back in order with key, headers and timestamp',
  async (codec, compression) => {
    const topic = `kafkajs-${codec}`;
    const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'consume-kafkajs', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let start = 0; start < RECORDS; start += PER_SEND) {
        const messages = Array.from({ length: PER_SEND }, (_, j) => {
          const i = start + j;
          return { key: `key-${i}`, value: `value-${i}-${'x'.repeat(i % 50)}`, timestamp: String(T0 + i), headers: { n: String(i), codec } };
        });
        await producer.send({ topic, compression, messages });
      }
    } finally {
      await producer.disconnect();
    }

    const client = await FetchClient.connect(broker.host, broker.port);
    try {
      let offset = 0n;
      let next = 0;
      while (next < RECORDS) {
        const response = await client.request(1, 12, fetchOne(topic, 0, offset, { maxWaitMs: 500 }));
        const partition = response.responses[0].partitions[0];
        expect(partition.errorCode).toBe(0);
        expect(partition.highWatermark).toBe(BigInt(RECORDS));
        const records = await decodeWithKafkajs(partition.records ?? Buffer.alloc(0));
        for (const record of records) {
          if (BigInt(record.offset) < offset) continue; // a batch may begin before the fetch offset
          // Checked by hand rather than toEqual per record: 100 000 Jest diffs would dominate the run.
          const i = next;
          const ok =
            record.offset === String(i) &&
            record.timestamp === String(T0 + i) &&
            record.key?.toString() === `key-${i}` &&
            record.value?.toString() === `value-${i}-${'x'.repeat(i % 50)}` &&
            (record.headers.n as Buffer).toString() === String(i) &&
            (record.headers.codec as Buffer).toString() === codec;
          if (!ok) throw new Error(`record ${i} came back as ${JSON.stringify({ ...record, key: record.key?.toString(), value: record.value?.toString() })}`);
          next++;
        }
        expect(records.length).toBeGreaterThan(0);
        offset = BigInt(next);
      }
      expect(next).toBe(RECORDS);
    } finally {
      client.close();
    }
  },
  180_000,
);
