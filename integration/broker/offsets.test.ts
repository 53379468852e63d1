/**
 * ListOffsets, DeleteRecords and DescribeLogDirs from real clients against a broker started as a user starts
 * it: kafkajs' admin, and Kafka's kafka-get-offsets.sh, kafka-delete-records.sh and kafka-log-dirs.sh.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runKafkaTool } from '../helpers/kafka-tools';
import { describeWithPeers } from '../helpers/peers';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from './tributary-process';

const T0 = 1_600_000_000_000;
const tempDir = useTempDirs('offsets');
let logDir: string;
let broker: TributaryProcess;
let kafka: Kafka;

beforeAll(async () => {
  logDir = tempDir();
  broker = await TributaryProcess.start(logDir);
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'offsets-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'offsets', numPartitions: 2 }, { topic: 'trimmed', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // Partition 0: 100 records one millisecond apart from T0; partition 1: 10 records; 'trimmed': 50.
  await producer.send({ topic: 'offsets', acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ partition: 0, value: `v${i}`, timestamp: String(T0 + i) })) });
  await producer.send({ topic: 'offsets', acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 1, value: `w${i}`, timestamp: String(T0 + 1000 + i) })) });
  await producer.send({ topic: 'trimmed', acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ value: `t${i}`, timestamp: String(T0 + i) })) });
  await producer.disconnect();
}, 60_000);
afterAll(async () => broker?.stop());

describe('kafkajs admin', () => {
  test('fetchTopicOffsets and fetchTopicOffsetsByTimestamp (ListOffsets latest, earliest, by time)', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets('offsets');
      expect(offsets.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, offset: '100', high: '100', low: '0' },
        { partition: 1, offset: '10', high: '10', low: '0' },
      ]);
      const byTime = await admin.fetchTopicOffsetsByTimestamp('offsets', T0 + 42);
      expect(byTime.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, offset: '42' },
        { partition: 1, offset: '0' },
      ]);
      // Later than every record: kafkajs asks for the latest offset then, which is the log end.
      const late = await admin.fetchTopicOffsetsByTimestamp('offsets', T0 + 5000);
      expect(late.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, offset: '100' },
        { partition: 1, offset: '10' },
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  test('deleteTopicRecords moves the low watermark; beyond the high watermark is refused', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      // kafkajs finds the leaders from metadata it must have loaded first.
      await admin.fetchTopicMetadata({ topics: ['offsets'] });
      await admin.deleteTopicRecords({ topic: 'offsets', partitions: [{ partition: 1, offset: '4' }] });
      const offsets = await admin.fetchTopicOffsets('offsets');
      expect(offsets.find((o) => o.partition === 1)).toEqual({ partition: 1, offset: '10', high: '10', low: '4' });
      await expect(admin.deleteTopicRecords({ topic: 'offsets', partitions: [{ partition: 1, offset: '11' }] })).rejects.toThrow();
    } finally {
      await admin.disconnect();
    }
  });
});

describeWithPeers('kafka-tools', "Kafka's own tools", () => {
  const tool = async (name: string, args: string[]) => {
    const result = await runKafkaTool(name, ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 90_000 });
    expect(result.code).toBe(0);
    return result.stdout.trim().split('\n');
  };

  test(
    'kafka-get-offsets.sh: latest, earliest, max timestamp and by time',
    async () => {
      expect(await tool('kafka-get-offsets.sh', ['--topic', 'offsets', '--partitions', '0'])).toContain('offsets:0:100');
      expect(await tool('kafka-get-offsets.sh', ['--topic', 'offsets', '--partitions', '0', '--time', '-2'])).toContain('offsets:0:0');
      expect(await tool('kafka-get-offsets.sh', ['--topic', 'offsets', '--partitions', '0', '--time', '-3'])).toContain('offsets:0:99');
      expect(await tool('kafka-get-offsets.sh', ['--topic', 'offsets', '--partitions', '0', '--time', String(T0 + 17)])).toContain('offsets:0:17');
    },
    200_000,
  );

  test(
    'kafka-delete-records.sh moves the low watermark, and kafka-get-offsets.sh sees it',
    async () => {
      const file = path.join(logDir, '..', `delete-${process.pid}.json`);
      fs.writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: 'trimmed', partition: 0, offset: 30 }] }));
      try {
        const output = await tool('kafka-delete-records.sh', ['--offset-json-file', file]);
        expect(output.join('\n')).toMatch(/partition: trimmed-0\s+low_watermark: 30/);
      } finally {
        fs.rmSync(file, { force: true });
      }
      expect(await tool('kafka-get-offsets.sh', ['--topic', 'trimmed', '--time', '-2'])).toContain('trimmed:0:30');
    },
    200_000,
  );

  test(
    'kafka-log-dirs.sh describes our log dir with every partition and its size',
    async () => {
      const output = await tool('kafka-log-dirs.sh', ['--describe', '--topic-list', 'offsets,trimmed']);
      const json = JSON.parse(output[output.length - 1]) as {
        brokers: { broker: number; logDirs: { logDir: string; error: string | null; partitions: { partition: string; size: number; offsetLag: number; isFuture: boolean }[] }[] }[];
      };
      expect(json.brokers).toHaveLength(1);
      const [dir] = json.brokers[0].logDirs;
      expect(dir.logDir).toBe(path.resolve(logDir));
      expect(dir.error).toBeNull();
      const partitions = dir.partitions.map((p) => p.partition).sort();
      expect(partitions).toEqual(['offsets-0', 'offsets-1', 'trimmed-0']);
      for (const partition of dir.partitions) {
        const [topic, index] = [partition.partition.slice(0, partition.partition.lastIndexOf('-')), partition.partition.slice(partition.partition.lastIndexOf('-') + 1)];
        const onDisk = fs
          .readdirSync(path.join(logDir, `${topic}-${index}`))
          .filter((name) => name.endsWith('.log'))
          .reduce((sum, name) => sum + fs.statSync(path.join(logDir, `${topic}-${index}`, name)).size, 0);
        expect(partition).toEqual({ partition: partition.partition, size: onDisk, offsetLag: 0, isFuture: false });
        expect(partition.size).toBeGreaterThan(0);
      }
    },
    200_000,
  );
});
