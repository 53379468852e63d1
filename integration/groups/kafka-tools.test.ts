/**
 * Kafka's own group tools (3.9) against a Tributary started as a user starts it: the console consumer in a
 * group, and kafka-consumer-groups.sh --list, --describe (lag to the record), --reset-offsets, --delete-offsets
 * and --delete, read as a user reads their output.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describeWithPeer } from '../helpers/peers';
import { runKafkaTool } from '../helpers/kafka-tools';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from '../broker/tributary-process';

jest.setTimeout(120_000);

describeWithPeer('kafka-tools', "Kafka's group tools", () => {
  const tempDir = useTempDirs('groups-kafka-tools');
  let broker: TributaryProcess;
  const kafka = () => new Kafka({ clientId: 'tools-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });

  beforeAll(async () => {
    broker = await TributaryProcess.start(tempDir());
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'tools-orders', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka().producer();
    await producer.connect();
    for (const partition of [0, 1]) {
      await producer.send({ topic: 'tools-orders', messages: Array.from({ length: 50 }, (_, i) => ({ partition, value: `p${partition}-${i}` })) });
    }
    await producer.disconnect();
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
  });

  /** Runs a tool; its stdout, or stdout and stderr one after the other with `withStderr`. */
  async function tool(name: string, args: string[], options: { withStderr?: boolean } = {}): Promise<string> {
    const result = await runKafkaTool(name, ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 90_000 });
    if (result.code !== 0) throw new Error(`${name} ${args.join(' ')} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return options.withStderr ? `${result.stdout}\n${result.stderr}` : result.stdout;
  }

  /** The rows of kafka-consumer-groups.sh's table, as {column: value} for the columns named in its header. */
  function table(output: string): Record<string, string>[] {
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    const headerAt = lines.findIndex((line) => /^GROUP\s+TOPIC\s+PARTITION/.test(line));
    expect(headerAt).toBeGreaterThanOrEqual(0);
    const header = lines[headerAt].trim().split(/\s+/);
    return lines.slice(headerAt + 1).map((line) => Object.fromEntries(line.trim().split(/\s+/).map((value, i) => [header[i], value])));
  }

  async function setOffsets(groupId: string, offsets: [number, number]): Promise<void> {
    const admin = kafka().admin();
    await admin.connect();
    await admin.setOffsets({ groupId, topic: 'tools-orders', partitions: offsets.map((offset, partition) => ({ partition, offset: String(offset) })) });
    await admin.disconnect();
  }

  test('kafka-console-consumer.sh --group consumes in a group that --list then shows', async () => {
    const output = await tool('kafka-console-consumer.sh', ['--topic', 'tools-orders', '--group', 'console-group', '--from-beginning', '--max-messages', '100', '--timeout-ms', '60000']);
    const values = output.trim().split('\n');
    expect(values).toHaveLength(100);
    expect(new Set(values).size).toBe(100);
    expect((await tool('kafka-consumer-groups.sh', ['--list'])).trim().split('\n')).toContain('console-group');
    // The console consumer commits on close: the group is caught up.
    const rows = table(await tool('kafka-consumer-groups.sh', ['--describe', '--group', 'console-group']));
    expect(rows.map((row) => [row.PARTITION, row['CURRENT-OFFSET'], row['LOG-END-OFFSET'], row.LAG])).toEqual([
      ['0', '50', '50', '0'],
      ['1', '50', '50', '0'],
    ]);
  });

  test('--describe reports lag to the record; --reset-offsets --to-earliest --execute rewinds the group', async () => {
    await setOffsets('lag-group', [30, 10]);
    const described = await tool('kafka-consumer-groups.sh', ['--describe', '--group', 'lag-group'], { withStderr: true });
    expect(described).toContain("Consumer group 'lag-group' has no active members.");
    expect(table(described.slice(0, described.indexOf("Consumer group 'lag-group'"))).map((row) => [row.GROUP, row.TOPIC, row.PARTITION, row['CURRENT-OFFSET'], row['LOG-END-OFFSET'], row.LAG])).toEqual([
      ['lag-group', 'tools-orders', '0', '30', '50', '20'],
      ['lag-group', 'tools-orders', '1', '10', '50', '40'],
    ]);

    const reset = await tool('kafka-consumer-groups.sh', ['--reset-offsets', '--to-earliest', '--execute', '--group', 'lag-group', '--topic', 'tools-orders']);
    // Kafka 3.9 prints this table's rows without line breaks, in its map's order: read it as words.
    const words = reset.slice(reset.indexOf('GROUP')).trim().split(/\s+/);
    expect(words.slice(0, 4)).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']);
    const rows = [];
    for (let at = 4; at < words.length; at += 4) rows.push(words.slice(at, at + 4));
    expect(rows.sort((a, b) => Number(a[2]) - Number(b[2]))).toEqual([
      ['lag-group', 'tools-orders', '0', '0'],
      ['lag-group', 'tools-orders', '1', '0'],
    ]);
    const after = table(await tool('kafka-consumer-groups.sh', ['--describe', '--group', 'lag-group']));
    expect(after.map((row) => [row.PARTITION, row['CURRENT-OFFSET'], row.LAG])).toEqual([
      ['0', '0', '50'],
      ['1', '0', '50'],
    ]);
  });

  test('--delete-offsets removes a topic from a group; --delete removes the group', async () => {
    await setOffsets('doomed-group', [5, 6]);
    const deleted = await tool('kafka-consumer-groups.sh', ['--delete-offsets', '--group', 'doomed-group', '--topic', 'tools-orders']);
    expect(deleted).toContain('Request succeed for deleting offsets with topic tools-orders group doomed-group');
    // Kafka 3.9 prints the rows of this table without line breaks between them: read it as words.
    const words = deleted.slice(deleted.indexOf('TOPIC')).trim().split(/\s+/);
    expect(words).toEqual(['TOPIC', 'PARTITION', 'STATUS', 'tools-orders', '0', 'Successful', 'tools-orders', '1', 'Successful']);
    const admin = kafka().admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: 'doomed-group', topics: ['tools-orders'] });
    await admin.disconnect();
    expect(offsets.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);

    // As in Kafka, an Empty group whose last offsets were deleted is gone (Dead): there is nothing left to delete.
    expect((await tool('kafka-consumer-groups.sh', ['--list'])).trim().split('\n')).not.toContain('doomed-group');

    await setOffsets('gone-group', [1, 2]);
    expect((await tool('kafka-consumer-groups.sh', ['--list'])).trim().split('\n')).toContain('gone-group');
    expect(await tool('kafka-consumer-groups.sh', ['--delete', '--group', 'gone-group'])).toContain("Deletion of requested consumer groups ('gone-group') was successful.");
    expect((await tool('kafka-consumer-groups.sh', ['--list'])).trim().split('\n')).not.toContain('gone-group');
  });
});
