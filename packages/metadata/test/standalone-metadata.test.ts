import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode, ZERO_UUID, asBrokerId } from '@tributary/protocol';
import { BrokerConfig, ClusterMetadata, MetadataChange, NewTopic, openStandaloneMetadata } from '../src';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-metadata-'));
  dirs.push(dir);
  return dir;
}

/** Deterministic "random" bytes: each call returns the next counter value, so ids are predictable. */
function countingRandom(): (size: number) => Buffer {
  let counter = 0;
  return (size) => Buffer.alloc(size, ++counter);
}

const clock = { nowMs: () => Date.UTC(2024, 9, 24, 10, 0, 0) };
const endpoints = [{ listenerName: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 'PLAINTEXT' }];

function open(logDirs: string, extra: Record<string, string> = {}): Promise<ClusterMetadata> {
  return openStandaloneMetadata({ config: BrokerConfig.of({ 'log.dirs': logDirs, ...extra }), endpoints, clock, randomBytes: countingRandom() });
}

const topic = (name: string, overrides: Partial<NewTopic> = {}): NewTopic => ({
  name,
  numPartitions: -1,
  replicationFactor: -1,
  assignments: [],
  configs: new Map(),
  ...overrides,
});

describe('standalone metadata', () => {
  test('first start writes meta.properties as a ZooKeeper-mode broker does, and the broker is its own controller', async () => {
    const dir = tempDir();
    const metadata = await open(dir, { 'broker.id': '7' });
    expect(fs.readFileSync(path.join(dir, 'meta.properties'), 'utf8')).toBe(
      `#\n#Thu Oct 24 10:00:00 UTC 2024\nversion=0\nbroker.id=7\ncluster.id=${metadata.clusterId}\n`,
    );
    expect(metadata.localBrokerId).toBe(7);
    expect(metadata.controllerId()).toBe(7);
    expect(metadata.brokers()).toEqual([{ brokerId: 7, rack: null, endpoints }]);
    await metadata.close();
  });

  test('broker.id -1 takes the id Kafka would generate first (reserved.broker.max.id + 1), then keeps it', async () => {
    const dir = tempDir();
    const first = await open(dir);
    expect(first.localBrokerId).toBe(1001);
    await first.close();
    const again = await open(dir);
    expect(again.localBrokerId).toBe(1001);
    expect(again.clusterId).toBe(first.clusterId);
    await again.close();
  });

  test('every log dir gets meta.properties; the snapshot lives in the first; a dir of another cluster is refused', async () => {
    const [first, second] = [tempDir(), tempDir()];
    const metadata = await open(`${first},${second}`);
    const meta = fs.readFileSync(path.join(first, 'meta.properties'), 'utf8');
    expect(fs.readFileSync(path.join(second, 'meta.properties'), 'utf8')).toBe(meta);
    expect(fs.existsSync(path.join(first, 'tributary-metadata.json'))).toBe(true);
    expect(fs.existsSync(path.join(second, 'tributary-metadata.json'))).toBe(false);
    await metadata.close();
    const stranger = tempDir();
    fs.writeFileSync(path.join(stranger, 'meta.properties'), 'version=0\nbroker.id=1001\ncluster.id=AnotherClusterAAAAAAAAA\n');
    await expect(open(`${first},${stranger}`)).rejects.toThrow(/belongs to cluster/);
  });

  test('a log dir of another broker is refused', async () => {
    const dir = tempDir();
    await (await open(dir, { 'broker.id': '1' })).close();
    await expect(open(dir, { 'broker.id': '2' })).rejects.toThrow('belongs to broker 1, but broker.id is 2');
  });

  test('topics, partitions and configs survive a restart; listeners hear of each change after it is durable', async () => {
    const dir = tempDir();
    const metadata = await open(dir, { 'num.partitions': '2' });
    const changes: MetadataChange['kind'][] = [];
    metadata.subscribe((change) => {
      changes.push(change.kind);
      // Durable before listeners are told: the snapshot already holds the change.
      const snapshot = fs.readFileSync(path.join(dir, 'tributary-metadata.json'), 'utf8');
      if (change.kind !== 'topicDeleted' && change.kind !== 'brokerConfigsChanged') expect(snapshot).toContain(`"${change.topic.name}"`);
    });
    const created = await metadata.createTopic(topic('orders', { configs: new Map([['retention.ms', '1000']]) }), { validateOnly: false });
    expect(created.errorCode).toBe(ErrorCode.NONE);
    expect(created.topic?.partitions).toEqual([
      { partitionIndex: 0, leaderId: metadata.localBrokerId, leaderEpoch: 0, replicas: [metadata.localBrokerId], isr: [metadata.localBrokerId], offlineReplicas: [] },
      { partitionIndex: 1, leaderId: metadata.localBrokerId, leaderEpoch: 0, replicas: [metadata.localBrokerId], isr: [metadata.localBrokerId], offlineReplicas: [] },
    ]);
    expect(await metadata.createPartitions('orders', 4, null, { validateOnly: false })).toEqual({ errorCode: 0, errorMessage: null });
    await metadata.createTopic(topic('gone'), { validateOnly: false });
    const gone = metadata.topic('gone');
    expect(await metadata.deleteTopic({ topicId: gone!.topicId })).toEqual({ errorCode: 0, errorMessage: null, name: 'gone', topicId: gone!.topicId });
    expect(changes).toEqual(['topicCreated', 'partitionsCreated', 'topicCreated', 'topicDeleted']);
    const before = metadata.topic('orders');
    await metadata.close();

    const reopened = await open(dir);
    expect(reopened.topics().map((t) => t.name)).toEqual(['orders']);
    expect(reopened.topic('orders')).toEqual(before);
    expect(reopened.topicById(before!.topicId)?.name).toBe('orders');
    expect(reopened.topic('orders')?.configs.get('retention.ms')).toBe('1000');
    await reopened.close();
  });

  test("createTopic answers Kafka's errors and validateOnly changes nothing", async () => {
    const metadata = await open(tempDir());
    const create = (spec: NewTopic, validateOnly = false) => metadata.createTopic(spec, { validateOnly }).then(({ errorCode, errorMessage }) => ({ errorCode, errorMessage }));
    expect(await create(topic('ok.topic'))).toEqual({ errorCode: 0, errorMessage: null });
    expect(await create(topic('ok.topic'))).toEqual({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: "Topic 'ok.topic' already exists." });
    expect(await create(topic('ok_topic'))).toEqual({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: "Topic 'ok_topic' collides with existing topic: ok.topic" });
    expect(await create(topic('bad name'))).toEqual({
      errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
      errorMessage: "Topic name is invalid: 'bad name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'",
    });
    expect((await create(topic('..'))).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect((await create(topic('x'.repeat(250)))).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(await create(topic('t', { numPartitions: 0 }))).toEqual({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Number of partitions must be larger than 0.' });
    expect(await create(topic('t', { replicationFactor: 3 }))).toEqual({
      errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
      errorMessage: 'Replication factor: 3 larger than available brokers: 1.',
    });
    expect(await create(topic('t', { configs: new Map([['retention.mss', '1']]) }))).toEqual({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Unknown topic config name: retention.mss' });
    expect(await create(topic('t', { configs: new Map([['retention.ms', null]]) }))).toEqual({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Null value not supported for topic configs: retention.ms' });
    const me = metadata.localBrokerId;
    expect((await create(topic('t', { numPartitions: 2, assignments: [{ partitionIndex: 0, brokerIds: [me] }] }))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(await create(topic('t', { assignments: [{ partitionIndex: 1, brokerIds: [me] }] }))).toEqual({
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: 'partitions should be a consecutive 0-based integer sequence',
    });
    expect(await create(topic('t', { assignments: [{ partitionIndex: 0, brokerIds: [me, me] }] }))).toEqual({
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: `Duplicate replica assignment found: HashMap(0 -> ArrayBuffer(${me}, ${me}))`,
    });
    expect(await create(topic('')).then((o) => o.errorMessage)).toBe('Topic name is invalid: the empty string is not allowed');
    expect(await create(topic('.')).then((o) => o.errorMessage)).toBe("Topic name is invalid: '.' is not allowed");
    expect(await create(topic('y'.repeat(250))).then((o) => o.errorMessage)).toBe(`Topic name is invalid: the length of '${'y'.repeat(250)}' is longer than the max allowed length 249`);
    expect(await create(topic('t', { assignments: [{ partitionIndex: 0, brokerIds: [asBrokerId(5)] }] }))).toEqual({
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: 'Unknown broker(s) in replica assignment: 5.',
    });
    expect(await create(topic('t', { numPartitions: 5 }), true)).toEqual({ errorCode: 0, errorMessage: null });
    expect(metadata.topic('t')).toBeUndefined();
    const assigned = await metadata.createTopic(topic('t', { assignments: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, brokerIds: [me] })) }), { validateOnly: false });
    expect(assigned.topic?.partitions.map((p) => p.replicas)).toEqual([[me], [me], [me]]);
    await metadata.close();
  });

  test("createPartitions and deleteTopic answer Kafka's errors", async () => {
    const metadata = await open(tempDir(), { 'num.partitions': '3' });
    await metadata.createTopic(topic('t'), { validateOnly: false });
    const grow = (count: number, assignments: number[][] | null = null, validateOnly = false) => metadata.createPartitions('t', count, assignments, { validateOnly });
    expect(await grow(2)).toEqual({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic currently has 3 partitions, which is higher than the requested 2.' });
    expect(await grow(3)).toEqual({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic already has 3 partitions.' });
    expect(await grow(5, [[metadata.localBrokerId]])).toEqual({
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: 'Increasing the number of partitions by 2 but 1 assignments provided.',
    });
    expect(await grow(5, null, true)).toEqual({ errorCode: 0, errorMessage: null });
    expect(metadata.topic('t')?.partitions).toHaveLength(3);
    expect(await metadata.createPartitions('nope', 5, null, { validateOnly: false })).toEqual({
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      errorMessage: "The topic 'nope' does not exist.",
    });
    expect(await metadata.deleteTopic({ name: 'nope' })).toEqual({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, name: 'nope', topicId: ZERO_UUID });
    const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    expect((await metadata.deleteTopic({ topicId: unknownId as never })).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    await metadata.close();
  });

  test('dynamic broker configs layer over the static ones, are checked as Kafka checks them, and survive a restart', async () => {
    const dir = tempDir();
    const metadata = await open(dir, { 'message.max.bytes': '2000000' });
    const me = metadata.localBrokerId;
    expect(await metadata.setBrokerConfigs(me, new Map([['message.max.bytes', '3000000']]), { validateOnly: false })).toEqual({ errorCode: 0, errorMessage: null });
    expect(await metadata.setBrokerConfigs(null, new Map([['log.retention.ms', '1000']]), { validateOnly: false })).toEqual({ errorCode: 0, errorMessage: null });
    expect(await metadata.setBrokerConfigs(null, new Map([['num.partitions', '3']]), { validateOnly: false })).toEqual({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Cannot update these configs dynamically: Set(num.partitions)',
    });
    expect(await metadata.setBrokerConfigs(null, new Map([['log.retention.ms', '5']]), { validateOnly: true })).toEqual({ errorCode: 0, errorMessage: null });
    expect(metadata.brokerConfig().int('message.max.bytes')).toBe(3000000);
    expect(metadata.brokerConfig().optionalNumber('log.retention.ms')).toBe(1000);
    await metadata.close();
    const reopened = await open(dir, { 'message.max.bytes': '2000000' });
    expect(reopened.brokerConfig().int('message.max.bytes')).toBe(3000000);
    expect(reopened.dynamicBrokerConfigs(null)).toEqual(new Map([['log.retention.ms', '1000']]));
    // Clearing the broker's own layer falls back to the static value.
    await reopened.setBrokerConfigs(me, new Map(), { validateOnly: false });
    expect(reopened.brokerConfig().int('message.max.bytes')).toBe(2000000);
    await reopened.close();
  });

  test('concurrent creations of one name: exactly one wins, whatever the interleaving of their writes', async () => {
    const metadata = await open(tempDir());
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => metadata.createTopic(topic('race'), { validateOnly: false })));
    expect(outcomes.map((o) => o.errorCode).sort()).toEqual([0, 36, 36, 36, 36]);
    const [created, again] = await Promise.all([metadata.createTopic(topic('other'), { validateOnly: false }), metadata.deleteTopic({ name: 'other' })]);
    expect([created.errorCode, again.errorCode]).toEqual([0, 0]);
    expect(metadata.topics().map((t) => t.name)).toEqual(['race']);
    await metadata.close();
  });

  test('a failed durable write fails the change with KAFKA_STORAGE_ERROR', async () => {
    const dir = tempDir();
    const metadata = await open(dir);
    // A directory where the temp file should go makes the write fail.
    fs.mkdirSync(path.join(dir, 'tributary-metadata.json.tmp'));
    const outcome = await metadata.createTopic(topic('t'), { validateOnly: false });
    expect(outcome.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    fs.rmdirSync(path.join(dir, 'tributary-metadata.json.tmp'));
    await metadata.close();
  });

  test('producer-id blocks are disjoint, increasing, kept in the snapshot, and never handed out again after a restart', async () => {
    const dir = tempDir();
    const first = await open(dir, { 'broker.id': '3' });
    const concurrent = await Promise.all([first.allocateProducerIdBlock(), first.allocateProducerIdBlock(), first.allocateProducerIdBlock()]);
    expect(concurrent.map((b) => [b.assignedBrokerId, b.firstProducerId, b.size])).toEqual([
      [3, 0n, 1000],
      [3, 1000n, 1000],
      [3, 2000n, 1000],
    ]);
    const snapshot = JSON.parse(fs.readFileSync(path.join(dir, 'tributary-metadata.json'), 'utf8'));
    expect(snapshot.latestProducerIdBlock).toEqual({ brokerId: 3, blockStart: '2000', blockEnd: '2999' });
    await first.close();
    const again = await open(dir, { 'broker.id': '3' });
    expect((await again.allocateProducerIdBlock()).firstProducerId).toBe(3000n);
    await again.close();
  });

  test('a producer-id block that cannot be made durable is refused with KAFKA_STORAGE_ERROR and its ids are skipped', async () => {
    const dir = tempDir();
    const metadata = await open(dir);
    fs.mkdirSync(path.join(dir, 'tributary-metadata.json.tmp'));
    await expect(metadata.allocateProducerIdBlock()).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    fs.rmdirSync(path.join(dir, 'tributary-metadata.json.tmp'));
    // The failed reservation's ids may have reached the disk in a later write; they are never reused.
    expect((await metadata.allocateProducerIdBlock()).firstProducerId).toBe(1000n);
    await metadata.close();
  });
});
