/**
 * kafka-python against a Tributary started as a user starts it: produce, then consume in assign mode
 * (assign + seek_to_beginning), once per codec, with keys, headers and timestamps; and the old path,
 * `api_version=(0, 10)`, where kafka-python writes message format v1 (Produce v2, which the broker up-converts)
 * and reads with Fetch v2 (which the broker answers by down-converting). A tap between client and broker notes
 * each request's API version, so the old path is proven to be the one taken, not assumed.
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
  let logDir: string;

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

  async function roundTrip(topic: string, codec: string, apiVersion: string, withHeaders: boolean): Promise<RoundTrip> {
    const args = [script, `127.0.0.1:${tap.port}`, topic, codec, String(RECORDS_PER_CASE), apiVersion, withHeaders ? '1' : '0'];
    const result = await runCommand(peerStatus('kafka-python').path, args, { timeoutMs: 90_000 });
    if (result.code !== 0) throw new Error(`kafka-python (${codec}, api_version ${apiVersion}) failed, exit ${result.code}:\n${result.stderr}\n${broker.process.log.slice(-3000)}`);
    return JSON.parse(result.stdout.trim().split('\n').pop() as string) as RoundTrip;
  }

  /** Stored as batches of the client's codec: compression.type is `producer`, so old message sets keep theirs. */
  function expectStoredCodec(topic: string, codec: string): void {
    const stored = storedCompressions(logDir, topic);
    expect(stored.length).toBeGreaterThan(0);
    expect(new Set(stored)).toEqual(new Set([codecByName[codec]]));
  }

  /**
   * How timestamps come back: as produced (CreateTime base + i); 'none' when a v0 message (which has no timestamp)
   * was up-converted to a batch, which Kafka stores as CreateTime -1; 'absent' when read as v0, which has no field.
   */
  type Timestamps = 'as-produced' | 'none' | 'absent';

  function expectEveryRecord(answer: RoundTrip, withHeaders: boolean, timestamps: Timestamps = 'as-produced'): void {
    expect(answer.acknowledgedOffsets).toEqual(Array.from({ length: RECORDS_PER_CASE }, (_, i) => i));
    expect(answer.records).toHaveLength(RECORDS_PER_CASE);
    answer.records.forEach((record, i) => {
      expect(record.offset).toBe(i);
      expect(record.key).toBe(`key-${i}`);
      expect(record.valueOk).toBe(true);
      expect(record.timestamp).toBe({ 'as-produced': BASE_TIMESTAMP + i, none: -1, absent: null }[timestamps]);
      expect(record.timestampType).toBe(timestamps === 'absent' ? null : 0); // 0: CreateTime
      expect(record.headers).toEqual(withHeaders ? [['index', String(i)], ['kind', 'python']] : []);
    });
  }

  describe.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('newest API versions, codec %s', (codec) => {
    test('every record comes back in order with its key, headers and timestamp', async () => {
      const topic = `kafka-python-${codec}`;
      await createTopic(topic);
      tap.requests.length = 0;
      expectEveryRecord(await roundTrip(topic, codec, 'auto', true), true);
      expectStoredCodec(topic, codec);
      // Record batches (magic 2) both ways: Produce v3 and up, Fetch v4 and up.
      expect(Math.min(...tap.versionsOf(PRODUCE))).toBeGreaterThanOrEqual(3);
      expect(Math.min(...tap.versionsOf(FETCH))).toBeGreaterThanOrEqual(4);
    });
  });

  // zstd needs message format v2 (Kafka 2.1), so the old paths have the other codecs only. api_version=(0, 10)
  // writes and reads message format v1 (Produce v2, Fetch v2); (0, 9) goes back to v0 (Produce v1, Fetch v1).
  const oldPaths = [
    { apiVersion: '0.10', produceVersion: 2, fetchVersion: 2, magic: 1 },
    { apiVersion: '0.9', produceVersion: 1, fetchVersion: 1, magic: 0 },
  ];
  const oldCases = oldPaths.flatMap((path) => ['none', 'gzip', 'snappy', 'lz4'].map((codec) => ({ ...path, codec })));
  describe.each(oldCases)('api_version=$apiVersion, message format v$magic, codec $codec', ({ apiVersion, produceVersion, fetchVersion, magic, codec }) => {
    test('the old Produce and Fetch versions carry every record both ways in the old message format', async () => {
      const topic = `kafka-python-v${apiVersion.replace('.', '')}-${codec}`;
      await createTopic(topic);
      tap.requests.length = 0;
      tap.recordSets.produced.length = 0;
      tap.recordSets.fetched.length = 0;
      expectEveryRecord(await roundTrip(topic, codec, apiVersion, false), false, magic >= 1 ? 'as-produced' : 'absent');
      expectStoredCodec(topic, codec);
      // The client sends old message sets, which the broker up-converts to batches; Fetch is answered with old
      // message sets, down-converted from those batches. kafka-python would parse a v2 batch even in an old
      // Fetch response, so only the magic bytes on the wire prove the down-conversion happened.
      expect(tap.versionsOf(PRODUCE)).toEqual([produceVersion]);
      expect(tap.versionsOf(FETCH)).toEqual([fetchVersion]);
      expect(tap.recordSets.produced.length).toBeGreaterThan(0);
      expect(new Set(tap.recordSets.produced)).toEqual(new Set([magic]));
      expect(tap.recordSets.fetched.length).toBeGreaterThan(0);
      expect(new Set(tap.recordSets.fetched)).toEqual(new Set([magic]));
    });
  });

  // Across formats: what one client writes in one message format, another reads in another, as Kafka converts.
  // Headers exist only in batches, so an old reader gets none; a v0 message has no timestamp, so it is stored as
  // -1 and a v0 reader sees no timestamp field at all.
  const crossings: { producer: string; consumer: string; timestamps: Timestamps; fetchedMagic?: number }[] = [
    { producer: 'auto', consumer: '0.10', timestamps: 'as-produced', fetchedMagic: 1 },
    { producer: 'auto', consumer: '0.9', timestamps: 'absent', fetchedMagic: 0 },
    { producer: '0.9', consumer: 'auto', timestamps: 'none' },
    { producer: '0.10', consumer: 'auto', timestamps: 'as-produced' },
    { producer: '0.9', consumer: '0.10', timestamps: 'none', fetchedMagic: 1 },
    { producer: '0.10', consumer: '0.9', timestamps: 'absent', fetchedMagic: 0 },
  ];
  describe.each(crossings)('produced with api_version=$producer, consumed with $consumer (lz4)', ({ producer, consumer, timestamps, fetchedMagic }) => {
    test('every record converts between message formats as Kafka converts it', async () => {
      const topic = `kafka-python-cross-${producer}-${consumer}`.replace(/\./g, '');
      await createTopic(topic);
      tap.recordSets.fetched.length = 0;
      // The newest producer sends headers; no old reader may get them back.
      expectEveryRecord(await roundTrip(topic, 'lz4', `${producer}/${consumer}`, producer === 'auto'), false, timestamps);
      expectStoredCodec(topic, 'lz4');
      if (fetchedMagic !== undefined) {
        expect(tap.recordSets.fetched.length).toBeGreaterThan(0);
        expect(new Set(tap.recordSets.fetched)).toEqual(new Set([fetchedMagic]));
      }
    });
  });
});
