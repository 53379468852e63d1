/**
 * Produce from real clients to a broker started as a user starts it: kafkajs with every codec (keys, headers,
 * timestamps), checked through ListOffsets and on disk record by record; Kafka's own console producer (Java
 * client, every codec, idempotence off for now) and Kafka's kafka-dump-log.sh reading our segments; kafka-python
 * pinned to old API versions, whose magic 0 and 1 message sets are stored as v2 batches.
 */
import fs from 'node:fs';
import { CompressionCodecs, CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { compress, decompress, CompressionType, iterateRecordSet } from '@tributary/protocol';
import { runKafkaTool } from '../helpers/kafka-tools';
import { venvPython } from '../helpers/paths';
import { runCommand } from '../helpers/processes';
import { describeWithPeers } from '../helpers/peers';
import { createTopics } from '../helpers/kafkajs';
import { useTempDirs } from '../helpers/tmp';
import { segmentFiles, storedRecords } from './segment-records';
import { TributaryProcess } from './tributary-process';

const RECORDS = 3_000;
const PER_SEND = 500;
const T0 = 1_600_000_000_000;

const codecs = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
  ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4],
  ['zstd', CompressionTypes.ZSTD],
] as const;

/** kafkajs ships gzip only; the other codecs come from the protocol package's codecs (Kafka's framings). */
function registerCodecs(): void {
  const codecFor = (type: CompressionType) => () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(type, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(type, buffer),
  });
  const registry = CompressionCodecs as Record<number, unknown>;
  registry[CompressionTypes.Snappy] = codecFor(CompressionType.Snappy);
  registry[CompressionTypes.LZ4] = codecFor(CompressionType.Lz4);
  registry[CompressionTypes.ZSTD] = codecFor(CompressionType.Zstd);
}

const tempDir = useTempDirs('produce');
let logDir: string;
let broker: TributaryProcess;
let kafka: Kafka;
beforeAll(async () => {
  registerCodecs();
  logDir = tempDir();
  broker = await TributaryProcess.start(logDir);
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'produce-test', logLevel: logLevel.NOTHING });
}, 60_000);
afterAll(async () => broker?.stop());

const createTopic = (topic: string, numPartitions = 1) => createTopics(broker.bootstrap, [{ topic, numPartitions }]);

describe('kafkajs', () => {
  test.each(codecs)(
    '%s: every record is acknowledged at its offset and stored with its key, headers and timestamp',
    async (codec, compression) => {
      const topic = `kafkajs-${codec}`;
      await createTopic(topic);
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        for (let start = 0; start < RECORDS; start += PER_SEND) {
          const messages = Array.from({ length: PER_SEND }, (_, j) => {
            const i = start + j;
            return { key: `key-${i}`, value: `value-${i}-${'x'.repeat(i % 40)}`, timestamp: String(T0 + i), headers: { n: String(i), codec } };
          });
          const [ack] = await producer.send({ topic, compression, acks: -1, messages });
          expect(ack).toMatchObject({ topicName: topic, partition: 0, errorCode: 0, baseOffset: String(start) });
        }
      } finally {
        await producer.disconnect();
      }

      const admin = kafka.admin();
      await admin.connect();
      try {
        expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: String(RECORDS), high: String(RECORDS), low: '0' }]);
        expect(await admin.fetchTopicOffsetsByTimestamp(topic, T0 + 1234)).toEqual([{ partition: 0, offset: '1234' }]);
      } finally {
        await admin.disconnect();
      }

      const stored = storedRecords(logDir, topic, 0);
      expect(stored).toHaveLength(RECORDS);
      stored.forEach((record, i) => {
        expect(record).toEqual({
          offset: BigInt(i),
          timestamp: BigInt(T0 + i),
          key: `key-${i}`,
          value: `value-${i}-${'x'.repeat(i % 40)}`,
          headers: { n: String(i), codec },
        });
      });
    },
    60_000,
  );

  test('a produce to a topic that does not exist is refused and creates nothing', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'never-created', acks: 1, messages: [{ value: 'x' }] })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).not.toContain('never-created');
    } finally {
      await admin.disconnect();
    }
  });
});

describeWithPeers('kafka-tools', "Kafka's own tools", () => {
  test(
    "kafka-dump-log.sh reads every batch kafkajs wrote, in every codec, with valid CRCs",
    async () => {
      const files = codecs.map(([codec]) => segmentFiles(logDir, `kafkajs-${codec}`, 0)[0]);
      const result = await runKafkaTool('kafka-dump-log.sh', ['--files', files.join(','), '--print-data-log'], { timeoutMs: 120_000 });
      expect(result.code).toBe(0);
      const recordLines = result.stdout.split('\n').filter((line) => line.startsWith('| offset:'));
      expect(recordLines).toHaveLength(RECORDS * codecs.length);
      expect(result.stdout).not.toContain('isvalid: false');
      for (const name of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) expect(result.stdout).toContain(`compresscodec: ${name}`);
      expect(recordLines[1234]).toMatch(/^\| offset: 1234 CreateTime: 1600000001234 keySize: 8 valueSize: 45 sequence: -?\d+ headerKeys: \[n,codec\] key: key-1234 payload: value-1234-x+$/);
    },
    150_000,
  );

  test(
    'kafka-console-producer.sh (Java client, idempotence off) in every codec, seen by kafka-get-offsets.sh',
    async () => {
      const topic = 'console';
      await createTopic(topic);
      const lines = Array.from({ length: 20 }, (_, i) => `k${i}:line ${i}`).join('\n') + '\n';
      for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
        const result = await runKafkaTool(
          'kafka-console-producer.sh',
          [
            '--bootstrap-server', broker.bootstrap,
            '--topic', topic,
            '--compression-codec', codec,
            '--producer-property', 'enable.idempotence=false',
            '--producer-property', 'acks=all',
            '--property', 'parse.key=true',
            '--property', 'key.separator=:',
          ],
          { input: lines, timeoutMs: 90_000 },
        );
        expect(result.code).toBe(0);
      }
      const offsets = await runKafkaTool('kafka-get-offsets.sh', ['--bootstrap-server', broker.bootstrap, '--topic', topic], { timeoutMs: 90_000 });
      expect(offsets.stdout.trim().split('\n').pop()).toBe(`${topic}:0:100`);
      const stored = storedRecords(logDir, topic, 0);
      expect(stored.map((r) => `${r.key}:${r.value}`)).toEqual(Array.from({ length: 5 }, () => lines.trim().split('\n')).flat());
    },
    300_000,
  );
});

describeWithPeers('kafka-python', 'kafka-python as an old producer', () => {
  test(
    'api_version (0, 9) and (0, 10) send magic 0 and 1 message sets; they are stored as v2 batches, every record kept',
    async () => {
      const topic = 'old-producers';
      await createTopic(topic);
      const script = `
import sys
from kafka import KafkaProducer
for api, codec in [((0, 9), None), ((0, 10), None), ((0, 10), 'gzip')]:
    producer = KafkaProducer(bootstrap_servers=sys.argv[1], api_version=api, compression_type=codec, acks=1)
    sent = [producer.send('${topic}', key=b'key-%d' % i, value=('%s-%s-%d' % (api, codec, i)).encode()) for i in range(5)]
    print(' '.join(str(future.get(timeout=30).offset) for future in sent))
    producer.close()
`;
      const result = await runCommand(venvPython, ['-c', script, broker.bootstrap], { timeoutMs: 90_000 });
      expect(result.code).toBe(0);
      expect(result.stdout.trim().split('\n')).toEqual(['0 1 2 3 4', '5 6 7 8 9', '10 11 12 13 14']);
      const stored = storedRecords(logDir, topic, 0);
      expect(stored.map((r) => r.key)).toEqual(Array.from({ length: 15 }, (_, i) => `key-${i % 5}`));
      expect(stored.map((r) => r.value)).toEqual(
        ['(0, 9)-None', '(0, 10)-None', '(0, 10)-gzip'].flatMap((prefix) => Array.from({ length: 5 }, (_, i) => `${prefix}-${i}`)),
      );
      // Magic 0 has no timestamps; magic 1 carries the producer's.
      expect(stored.slice(0, 5).every((r) => r.timestamp === -1n)).toBe(true);
      expect(stored.slice(5).every((r) => r.timestamp > 1_600_000_000_000n)).toBe(true);
      const magics = segmentFiles(logDir, topic, 0).flatMap((file) => [...iterateRecordSet(fs.readFileSync(file))].map((entry) => entry.magic));
      expect(new Set(magics)).toEqual(new Set([2]));
    },
    120_000,
  );
});
