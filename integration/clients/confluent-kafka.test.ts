/**
 * confluent-kafka (librdkafka) against a Tributary started as a user starts it: a producer per codec whose every
 * delivery report must name the partition and the offset the broker gave, then a consumer in assign mode
 * (`assign([TopicPartition(t, 0, OFFSET_BEGINNING)])`, no group membership) that reads every record back in order
 * with its key, headers and CreateTime timestamp.
 */
import path from 'node:path';
import { createTopics } from '../helpers/kafkajs';
import { describeWithPeer, peerStatus } from '../helpers/peers';
import { runCommand } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from '../broker/tributary-process';
import { codecByName, storedCompressions } from './stored-codecs';
import { WireTap } from './wire-tap';

jest.setTimeout(120_000);

const PRODUCE = 0;
const FETCH = 1;
const RECORDS_PER_CASE = 3_000;
const BASE_TIMESTAMP = 1_700_000_000_000;
const TIMESTAMP_NOT_AVAILABLE = 0; // confluent_kafka.TIMESTAMP_NOT_AVAILABLE
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
  // Clients reach the broker through a tap that notes request versions and message formats (see wire-tap.ts).
  let tap: WireTap;

  beforeAll(async () => {
    tap = await WireTap.listen();
    broker = await TributaryProcess.start((logDir = tempDir()), [`advertised.listeners=PLAINTEXT://127.0.0.1:${tap.port}`]);
    tap.forwardToListenerIn(broker.process.log);
  }, 30_000);

  afterAll(async () => {
    await broker?.stop();
    await tap?.close();
  });

  const createTopic = (topic: string) => createTopics(`127.0.0.1:${tap.port}`, [{ topic }]);

  const cases = [
    ...['none', 'gzip', 'snappy', 'lz4', 'zstd'].map((codec) => ({ codec, old: false })),
    // broker.version.fallback=0.9.0 without ApiVersions: Produce v1 and Fetch v1, message format v0 both ways.
    ...['none', 'gzip', 'snappy', 'lz4'].map((codec) => ({ codec, old: true })),
  ];
  describe.each(cases)('codec $codec, as for a 0.9 broker: $old', ({ codec, old }) => {
    test('every delivery report carries its offset, and assign mode reads every record back', async () => {
      const topic = `confluent-kafka-${codec}${old ? '-old' : ''}`;
      await createTopic(topic);
      tap.requests.length = 0;
      tap.recordSets.produced.length = 0;
      tap.recordSets.fetched.length = 0;
      const args = [script, `127.0.0.1:${tap.port}`, topic, codec, String(RECORDS_PER_CASE), ...(old ? ['old'] : [])];
      const result = await runCommand(peerStatus('confluent-kafka').path, args, { timeoutMs: 90_000 });
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
        // Message format v0 has no timestamp: librdkafka reports none.
        expect(record.timestamp).toBe(old ? 0 : BASE_TIMESTAMP + i);
        expect(record.timestampType).toBe(old ? TIMESTAMP_NOT_AVAILABLE : TIMESTAMP_CREATE_TIME);
        expect(record.headers).toEqual(old ? [] : [['index', String(i)], ['codec', codec]]);
      });

      if (old) {
        // Proven on the wire: v0 message sets produced, and answered down-converted to v0.
        expect(tap.versionsOf(PRODUCE)).toEqual([1]);
        expect(tap.versionsOf(FETCH)).toEqual([1]);
        expect(tap.recordSets.produced.length).toBeGreaterThan(0);
        expect(new Set(tap.recordSets.produced)).toEqual(new Set([0]));
        expect(tap.recordSets.fetched.length).toBeGreaterThan(0);
        expect(new Set(tap.recordSets.fetched)).toEqual(new Set([0]));
      } else {
        expect(Math.min(...tap.versionsOf(PRODUCE))).toBeGreaterThanOrEqual(3);
        expect(Math.min(...tap.versionsOf(FETCH))).toBeGreaterThanOrEqual(4);
      }
    });
  });
});
