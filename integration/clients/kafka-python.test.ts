/**
 * kafka-python against a Tributary started as a user starts it: produce, then consume in assign mode
 * (assign + seek_to_beginning), once per codec, with keys, headers and timestamps; and the old path,
 * `api_version=(0, 10)`, where kafka-python writes message format v1 (Produce v2, which the broker up-converts)
 * and reads with Fetch v2 (which the broker answers by down-converting). A tap between client and broker notes
 * each request's API version, so the old path is proven to be the one taken, not assumed.
 */
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describeWithPeer, peerStatus } from '../helpers/peers';
import { runCommand } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from '../broker/tributary-process';
import { WireTap } from './wire-tap';

jest.setTimeout(120_000);

const PRODUCE = 0;
const FETCH = 1;
const RECORDS_PER_CASE = 2_000;
const BASE_TIMESTAMP = 1_700_000_000_000;
const script = path.join(__dirname, 'kafka_python_round_trip.py');

interface RoundTrip {
  acknowledgedOffsets: number[];
  records: { offset: number; key: string; valueOk: boolean; timestamp: number; timestampType: number; headers: [string, string][] }[];
}

describeWithPeer('kafka-python', 'kafka-python', () => {
  const tempDir = useTempDirs('kafka-python');
  let tap: WireTap;
  let broker: TributaryProcess;

  beforeAll(async () => {
    tap = await WireTap.listen();
    broker = await TributaryProcess.start(tempDir(), [`advertised.listeners=PLAINTEXT://127.0.0.1:${tap.port}`]);
    tap.forwardToListenerIn(broker.process.log);
  }, 30_000);

  afterAll(async () => {
    await broker?.stop();
    await tap?.close();
  });

  async function createTopic(topic: string): Promise<void> {
    const admin = new Kafka({ clientId: 'kafka-python-test', brokers: [`127.0.0.1:${tap.port}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }

  async function roundTrip(topic: string, codec: string, apiVersion: string, withHeaders: boolean): Promise<RoundTrip> {
    const args = [script, `127.0.0.1:${tap.port}`, topic, codec, String(RECORDS_PER_CASE), apiVersion, withHeaders ? '1' : '0'];
    const result = await runCommand(peerStatus('kafka-python').path, args, { timeoutMs: 90_000 });
    if (result.code !== 0) throw new Error(`kafka-python (${codec}, api_version ${apiVersion}) failed, exit ${result.code}:\n${result.stderr}\n${broker.process.log.slice(-3000)}`);
    return JSON.parse(result.stdout.trim().split('\n').pop() as string) as RoundTrip;
  }

  function expectEveryRecord(answer: RoundTrip, withHeaders: boolean): void {
    expect(answer.acknowledgedOffsets).toEqual(Array.from({ length: RECORDS_PER_CASE }, (_, i) => i));
    expect(answer.records).toHaveLength(RECORDS_PER_CASE);
    answer.records.forEach((record, i) => {
      expect(record.offset).toBe(i);
      expect(record.key).toBe(`key-${i}`);
      expect(record.valueOk).toBe(true);
      expect(record.timestamp).toBe(BASE_TIMESTAMP + i);
      expect(record.timestampType).toBe(0); // CreateTime
      expect(record.headers).toEqual(withHeaders ? [['index', String(i)], ['kind', 'python']] : []);
    });
  }

  describe.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('newest API versions, codec %s', (codec) => {
    test('every record comes back in order with its key, headers and timestamp', async () => {
      const topic = `kafka-python-${codec}`;
      await createTopic(topic);
      tap.requests.length = 0;
      expectEveryRecord(await roundTrip(topic, codec, 'auto', true), true);
      // Record batches (magic 2) both ways: Produce v3 and up, Fetch v4 and up.
      expect(Math.min(...tap.versionsOf(PRODUCE))).toBeGreaterThanOrEqual(3);
      expect(Math.min(...tap.versionsOf(FETCH))).toBeGreaterThanOrEqual(4);
    });
  });

  // zstd needs message format v2 (Kafka 2.1), so the old path has the other codecs only.
  describe.each(['none', 'gzip', 'snappy', 'lz4'])('api_version=(0, 10), message format v1, codec %s', (codec) => {
    test('Produce v2 and Fetch v2 carry every record and its timestamp both ways', async () => {
      const topic = `kafka-python-v010-${codec}`;
      await createTopic(topic);
      tap.requests.length = 0;
      tap.recordSets.produced.length = 0;
      tap.recordSets.fetched.length = 0;
      expectEveryRecord(await roundTrip(topic, codec, '0.10', false), false);
      // Produce v2 sends v1 message sets; Fetch v2 is answered with v1 message sets, down-converted from the
      // batches the broker stored. kafka-python would parse a v2 batch even there, so only the magic bytes on the
      // wire prove the down-conversion happened.
      expect(tap.versionsOf(PRODUCE)).toEqual([2]);
      expect(tap.versionsOf(FETCH)).toEqual([2]);
      expect(tap.recordSets.produced.length).toBeGreaterThan(0);
      expect(new Set(tap.recordSets.produced)).toEqual(new Set([1]));
      expect(tap.recordSets.fetched.length).toBeGreaterThan(0);
      expect(new Set(tap.recordSets.fetched)).toEqual(new Set([1]));
    });
  });
});
