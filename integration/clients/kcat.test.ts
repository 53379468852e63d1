/**
 * kcat (Debian's, librdkafka underneath) against a Tributary started as a user starts it: `-L` lists the broker
 * and topics as created; `-P` produces keyed records with headers under every codec; `-C` reads them back from
 * an offset and from a timestamp (`-o s@<ms>`), each record with its key, headers and timestamp.
 */
import { createTopics as createKafkaTopics } from '../helpers/kafkajs';
import { describeWithPeer, peerStatus } from '../helpers/peers';
import { runCommand } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from '../broker/tributary-process';
import { codecByName, storedCompressions } from './stored-codecs';

jest.setTimeout(120_000);

const HALF = 500;

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
}

interface Consumed {
  offset: number;
  key: string;
  value: string;
  headers: string;
  timestamp: number;
}

describeWithPeer('kcat', 'kcat', () => {
  const tempDir = useTempDirs('kcat');
  let broker: TributaryProcess;
  let logDir: string;

  beforeAll(async () => {
    broker = await TributaryProcess.start((logDir = tempDir()));
  }, 30_000);

  afterAll(async () => {
    await broker?.stop();
  });

  async function kcat(args: string[], input?: string): Promise<string> {
    const result = await runCommand(peerStatus('kcat').path, ['-b', broker.bootstrap, ...args], { input, timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`kcat ${args.join(' ')} failed, exit ${result.code}:\n${result.stderr}`);
    return result.stdout;
  }

  const createTopics = (topics: { topic: string; numPartitions: number }[]) => createKafkaTopics(broker.bootstrap, topics);

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  // Values carry no '|' and no newline, so a '|'-separated format line splits back into its fields.
  async function consume(topic: string, offset: string): Promise<Consumed[]> {
    const out = await kcat(['-C', '-t', topic, '-p', '0', '-o', offset, '-e', '-q', '-f', '%o|%k|%s|%h|%T\\n']);
    return out
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => {
        const [offset, key, value, headers, timestamp] = line.split('|');
        return { offset: Number(offset), key, value, headers, timestamp: Number(timestamp) };
      });
  }

  test('-L lists the broker and each topic with its partitions, leader and replicas', async () => {
    await createTopics([
      { topic: 'kcat-meta-one', numPartitions: 1 },
      { topic: 'kcat-meta-five', numPartitions: 5 },
    ]);
    const metadata = JSON.parse(await kcat(['-L', '-J'])) as KcatMetadata;
    expect(metadata.brokers).toEqual([{ id: 1001, name: broker.bootstrap }]);
    const topics = new Map(metadata.topics.map((topic) => [topic.topic, topic.partitions]));
    expect(topics.get('kcat-meta-one')?.map((p) => p.partition)).toEqual([0]);
    expect(topics.get('kcat-meta-five')?.map((p) => p.partition).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const partition of topics.get('kcat-meta-five') ?? []) {
      expect(partition.leader).toBe(1001);
      expect(partition.replicas).toEqual([{ id: 1001 }]);
      expect(partition.isrs).toEqual([{ id: 1001 }]);
    }

    const single = JSON.parse(await kcat(['-L', '-J', '-t', 'kcat-meta-five'])) as KcatMetadata;
    expect(single.topics.map((topic) => topic.topic)).toEqual(['kcat-meta-five']);
  });

  describe.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('codec %s', (codec) => {
    test('-P with keys and headers, then -C from an offset and from a timestamp, every record back', async () => {
      const topic = `kcat-${codec}`;
      await createTopics([{ topic, numPartitions: 1 }]);
      const lines = (from: number) => Array.from({ length: HALF }, (_, i) => `key-${from + i}:value-${from + i}-${'x'.repeat(200)}`).join('\n') + '\n';
      const produce = (from: number) =>
        kcat(['-P', '-t', topic, '-p', '0', '-K:', '-H', 'source=kcat', '-H', `codec=${codec}`, '-X', `compression.codec=${codec}`], lines(from));

      // Two halves produced apart in time, so that a timestamp between them must find the second half exactly.
      const firstStart = Date.now();
      await produce(0);
      const firstEnd = Date.now();
      await sleep(30);
      const between = Date.now();
      await sleep(30);
      const secondStart = Date.now();
      await produce(HALF);
      const secondEnd = Date.now();

      const stored = storedCompressions(logDir, topic);
      expect(stored.length).toBeGreaterThan(0);
      expect(new Set(stored)).toEqual(new Set([codecByName[codec]]));

      const all = await consume(topic, '0');
      expect(all).toHaveLength(2 * HALF);
      all.forEach((record, i) => {
        expect(record.offset).toBe(i);
        expect(record.key).toBe(`key-${i}`);
        expect(record.value).toBe(`value-${i}-${'x'.repeat(200)}`);
        expect(record.headers).toBe(`source=kcat,codec=${codec}`);
        const [earliest, latest] = i < HALF ? [firstStart, firstEnd] : [secondStart, secondEnd];
        expect(record.timestamp).toBeGreaterThanOrEqual(earliest);
        expect(record.timestamp).toBeLessThanOrEqual(latest);
      });

      const fromOffset = await consume(topic, String(HALF + 200));
      expect(fromOffset.map((record) => record.offset)).toEqual(Array.from({ length: HALF - 200 }, (_, i) => HALF + 200 + i));
      expect(fromOffset.map((record) => record.key)).toEqual(all.slice(HALF + 200).map((record) => record.key));

      const fromTimestamp = await consume(topic, `s@${between}`);
      expect(fromTimestamp.map((record) => record.offset)).toEqual(Array.from({ length: HALF }, (_, i) => HALF + i));
      expect(fromTimestamp).toEqual(all.slice(HALF));
    });
  });
});
