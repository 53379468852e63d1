/**
 * confluent-kafka (librdkafka) against a Tributary started as a user starts it: a producer per codec whose every
 * delivery report must name the partition and the offset the broker gave, then a consumer in assign mode
 * (`assign([TopicPartition(t, 0, OFFSET_BEGINNING)])`, no group membership) that reads every record back in order
 * with its key, headers and CreateTime timestamp.
 */
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describeWithPeer, peerStatus } from '../helpers/peers';
import { runCommand } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from '../broker/tributary-process';
import { codecByName, storedCompressions } from './stored-codecs';

jest.setTimeout(120_000);

const RECORDS_PER_CASE = 3_000;
const BASE_TIMESTAMP = 1_700_000_000_000;
const TIMESTAMP_CREATE_TIME = 1; // confluent_kafka.TIMESTAMP_CREATE_TIME
const script = path.join(__dirname, 'confluent_kafka_round_trip.py');

interface RoundTrip {
  unflushed: number;
  reports: { error: string | null; key: string; partition: number; offset: number }[];
  records: { offset: number; key: string; valueOk: boolean; timestamp: number; timestampType: number; headers: [string, string][] }[];
}

describeWithPeer('confluent-kafka', 'confluent-kafka', () => {
  const tempDir = useTempDirs('confluent-kafka');
  let broker: TributaryProcess;
  let logDir: string;

  beforeAll(async () => {
    broker = await TributaryProcess.start((logDir = tempDir()));
  }, 30_000);

  afterAll(async () => {
    await broker?.stop();
  });

  async function createTopic(topic: string): Promise<void> {
    const admin = new Kafka({ clientId: 'confluent-kafka-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }

  describe.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('codec %s', (codec) => {
    test('every delivery report carries its offset, and assign mode reads every record back', async () => {
      const topic = `confluent-kafka-${codec}`;
      await createTopic(topic);
      const result = await runCommand(peerStatus('confluent-kafka').path, [script, broker.bootstrap, topic, codec, String(RECORDS_PER_CASE)], {
        timeoutMs: 90_000,
      });
      if (result.code !== 0) throw new Error(`confluent-kafka (${codec}) failed, exit ${result.code}:\n${result.stderr}\n${broker.process.log.slice(-3000)}`);
      const answer = JSON.parse(result.stdout.trim().split('\n').pop() as string) as RoundTrip;

      expect(answer.unflushed).toBe(0);
      expect(answer.reports).toHaveLength(RECORDS_PER_CASE);
      // One partition, produced in order: the delivery reports come back in order with consecutive offsets.
      answer.reports.forEach((report, i) => {
        expect(report).toEqual({ error: null, key: `key-${i}`, partition: 0, offset: i });
      });

      const stored = storedCompressions(logDir, topic);
      expect(stored.length).toBeGreaterThan(0);
      expect(new Set(stored)).toEqual(new Set([codecByName[codec]]));

      expect(answer.records).toHaveLength(RECORDS_PER_CASE);
      answer.records.forEach((record, i) => {
        expect(record.offset).toBe(i);
        expect(record.key).toBe(`key-${i}`);
        expect(record.valueOk).toBe(true);
        expect(record.timestamp).toBe(BASE_TIMESTAMP + i);
        expect(record.timestampType).toBe(TIMESTAMP_CREATE_TIME);
        expect(record.headers).toEqual([
          ['index', String(i)],
          ['codec', codec],
        ]);
      });
    });
  });
});
