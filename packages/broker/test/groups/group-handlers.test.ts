/**
 * The group APIs through the real dispatch and codecs, against standalone metadata and real partition logs in a
 * temp dir, with the coordinator's time on a ManualScheduler. Whole responses are asserted.
 */
import { ApiKey, ErrorCode, GroupId, TopicName } from '@tributary/protocol';
import { ManualScheduler } from '@tributary/group-coordinator';
import { Harness, createTopic, openHarness } from '../harness';
import { GroupService, OFFSETS_TOPIC, brokerScheduler } from '../../src/groups';
import { silentLogger } from '../../src';

const group = (name: string) => name as GroupId;
const topicName = (name: string) => name as TopicName;
const NODE = { nodeId: 1, host: 'broker.example', port: 9092 };

/** Asks until the coordinator is found: the first question creates __consumer_offsets, then it loads. */
async function findCoordinatorReady(harness: Harness, groupId: string): Promise<void> {
  if (harness.metadata.topic(OFFSETS_TOPIC) === undefined) {
    const first = await harness.call(ApiKey.FindCoordinator, 1, { key: groupId, keyType: 0, coordinatorKeys: [] });
    expect(first.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const found = await harness.call(ApiKey.FindCoordinator, 1, { key: groupId, keyType: 0, coordinatorKeys: [] });
    if (found.errorCode === ErrorCode.NONE) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await harness.settled();
  await harness.groups.loaded();
}

describe('FindCoordinator', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('creates __consumer_offsets on first use as Kafka does, answering COORDINATOR_NOT_AVAILABLE meanwhile', async () => {
    harness = await openHarness();
    expect(await harness.call(ApiKey.FindCoordinator, 0, { key: 'g', keyType: 0, coordinatorKeys: [] })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: '', // v0 has no message field
      nodeId: -1,
      host: '',
      port: -1,
      coordinators: [],
    });
    await findCoordinatorReady(harness, 'g');
    const topic = harness.metadata.topic(OFFSETS_TOPIC)!;
    expect(topic.isInternal).toBe(true);
    expect(topic.partitions).toHaveLength(50);
    // Replication factor 3 by default, capped at the one live broker.
    expect(topic.partitions.every((p) => p.replicas.length === 1 && p.leaderId === 1)).toBe(true);
    expect(Object.fromEntries(topic.configs)).toEqual({ 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': '104857600' });
    expect(harness.logs.partition(OFFSETS_TOPIC, 49)).toBeDefined();
    expect(await harness.call(ApiKey.FindCoordinator, 3, { key: 'g', keyType: 0, coordinatorKeys: [] })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: 'NONE',
      ...NODE,
      coordinators: [],
    });
  });

  it('answers batched keys one by one (v4+); transactional ids have no coordinator until issue 6', async () => {
    harness = await openHarness({ 'offsets.topic.num.partitions': '3' });
    await findCoordinatorReady(harness, 'a');
    expect(harness.metadata.topic(OFFSETS_TOPIC)!.partitions).toHaveLength(3);
    const groups = await harness.call(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['a', 'b'] });
    expect(groups.coordinators).toEqual([
      { key: 'a', ...NODE, errorCode: ErrorCode.NONE, errorMessage: '' },
      { key: 'b', ...NODE, errorCode: ErrorCode.NONE, errorMessage: '' },
    ]);
    const txn = await harness.call(ApiKey.FindCoordinator, 5, { key: '', keyType: 1, coordinatorKeys: ['t'] });
    expect(txn.coordinators).toEqual([{ key: 't', nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: '' }]);
  });
});

describe('a consumer group through every group API', () => {
  let harness: Harness;
  let scheduler: ManualScheduler;
  beforeEach(async () => {
    scheduler = new ManualScheduler();
    harness = await openHarness({ 'offsets.topic.num.partitions': '3' }, { scheduler });
    await createTopic(harness, 'orders', 2);
    await findCoordinatorReady(harness, 'shop');
  });
  afterEach(() => harness.close());

  const joinRequest = (memberId: string) => ({
    groupId: group('shop'),
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
    reason: null,
  });

  async function joinAndSync(): Promise<{ memberId: string; generationId: number }> {
    const required = await harness.call(ApiKey.JoinGroup, 5, joinRequest(''));
    expect(required.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const memberId = required.memberId;
    expect(memberId).toMatch(/^test-client-/);
    const joining = harness.call(ApiKey.JoinGroup, 5, joinRequest(memberId));
    // group.initial.rebalance.delay.ms (3 s) holds the first rebalance of an empty group.
    await new Promise((r) => setImmediate(r));
    scheduler.advance(3_000);
    const joined = await joining;
    expect(joined).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      generationId: 1,
      protocolType: null,
      protocolName: 'range',
      leader: memberId,
      skipAssignment: false,
      memberId,
      members: [{ memberId, groupInstanceId: null, metadata: Buffer.from('sub') }],
    });
    const synced = await harness.call(ApiKey.SyncGroup, 3, {
      groupId: group('shop'),
      generationId: 1,
      memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId, assignment: Buffer.from('all of it') }],
    });
    expect(synced).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, protocolType: null, protocolName: null, assignment: Buffer.from('all of it') });
    return { memberId, generationId: 1 };
  }

  it('joins, syncs, heartbeats, commits (unknown topics refused), fetches, describes, lists, leaves and deletes', async () => {
    const { memberId, generationId } = await joinAndSync();
    expect(await harness.call(ApiKey.Heartbeat, 3, { groupId: group('shop'), generationId, memberId, groupInstanceId: null })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
    });
    expect(await harness.call(ApiKey.Heartbeat, 3, { groupId: group('shop'), generationId: 7, memberId, groupInstanceId: null })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.ILLEGAL_GENERATION,
    });

    const commit = await harness.call(ApiKey.OffsetCommit, 8, {
      groupId: group('shop'),
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        { name: topicName('nope'), partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] },
        {
          name: topicName('orders'),
          partitions: [
            { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 0, commitTimestamp: -1n, committedMetadata: 'm' },
            { partitionIndex: 5, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' },
            { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: 0, commitTimestamp: -1n, committedMetadata: null },
          ],
        },
      ],
    });
    expect(commit).toEqual({
      throttleTimeMs: 0,
      topics: [
        { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 5, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
            { partitionIndex: 0, errorCode: ErrorCode.NONE },
            { partitionIndex: 1, errorCode: ErrorCode.NONE },
          ],
        },
      ],
    });
    // The commit is a record in the group's __consumer_offsets partition.
    const partition = harness.groups.coordinator.partitionFor('shop');
    expect(harness.logs.partition(OFFSETS_TOPIC, partition)!.logEndOffset).toBeGreaterThan(0n);

    const fetched = await harness.call(ApiKey.OffsetFetch, 7, {
      groupId: group('shop'),
      topics: [{ name: topicName('orders'), partitionIndexes: [0, 1] }],
      groups: [],
      requireStable: true,
    });
    expect(fetched).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: [],
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 0, metadata: 'm', errorCode: ErrorCode.NONE },
            { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: 0, metadata: '', errorCode: ErrorCode.NONE },
          ],
        },
      ],
    });

    const described = await harness.call(ApiKey.DescribeGroups, 5, { groups: [group('shop')], includeAuthorizedOperations: true });
    expect(described).toEqual({
      throttleTimeMs: 0,
      groups: [
        {
          errorCode: ErrorCode.NONE,
          groupId: 'shop',
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'range',
          members: [
            {
              memberId,
              groupInstanceId: null,
              clientId: 'test-client',
              clientHost: '/127.0.0.1',
              memberMetadata: Buffer.from('sub'),
              memberAssignment: Buffer.from('all of it'),
            },
          ],
          authorizedOperations: (1 << 3) | (1 << 6) | (1 << 8),
        },
      ],
    });
    expect(await harness.call(ApiKey.ListGroups, 4, { statesFilter: ['Stable'], typesFilter: [] })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: [{ groupId: 'shop', protocolType: 'consumer', groupState: 'Stable', groupType: '' }],
    });
    expect(await harness.call(ApiKey.ListGroups, 4, { statesFilter: ['Empty'], typesFilter: [] })).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [] });

    // The group consumes 'orders' (range assignor, subscription unknown): deleting its offsets is refused while Stable.
    expect(await harness.call(ApiKey.DeleteGroups, 2, { groupsNames: [group('shop')] })).toEqual({
      throttleTimeMs: 0,
      results: [{ groupId: 'shop', errorCode: ErrorCode.NON_EMPTY_GROUP }],
    });

    expect(await harness.call(ApiKey.LeaveGroup, 5, { groupId: group('shop'), memberId: '', members: [{ memberId, groupInstanceId: null, reason: 'done' }] })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      members: [{ memberId, groupInstanceId: null, errorCode: ErrorCode.NONE }],
    });

    expect(
      await harness.call(ApiKey.OffsetDelete, 0, {
        groupId: group('shop'),
        topics: [
          { name: topicName('orders'), partitions: [{ partitionIndex: 0 }, { partitionIndex: 9 }] },
          { name: topicName('nope'), partitions: [{ partitionIndex: 0 }] },
        ],
      }),
    ).toEqual({
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }, { partitionIndex: 0, errorCode: ErrorCode.NONE }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });

    expect(await harness.call(ApiKey.DeleteGroups, 2, { groupsNames: [group('shop'), group('never')] })).toEqual({
      throttleTimeMs: 0,
      results: [
        { groupId: 'shop', errorCode: ErrorCode.NONE },
        { groupId: 'never', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      ],
    });
  });

  it('commits to topics that do not exist touch no group (as Kafka, the coordinator is not asked)', async () => {
    const commit = await harness.call(ApiKey.OffsetCommit, 2, {
      groupId: group('ghost'),
      generationIdOrMemberEpoch: 3,
      memberId: 'who',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: topicName('nope'), partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
    });
    expect(commit).toEqual({ throttleTimeMs: 0, topics: [{ name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] }] });
    expect(harness.groups.coordinator.group('ghost')).toBeUndefined();
  });

  it('a new coordinator over the same logs loads the group and its offsets from __consumer_offsets', async () => {
    const { memberId, generationId } = await joinAndSync();
    await harness.call(ApiKey.OffsetCommit, 8, {
      groupId: group('shop'),
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: topicName('orders'), partitions: [{ partitionIndex: 1, committedOffset: 99n, committedLeaderEpoch: 0, commitTimestamp: -1n, committedMetadata: 'x' }] }],
    });
    const reloaded = GroupService.start({
      metadata: harness.metadata,
      config: () => harness.metadata.brokerConfig(),
      logs: harness.logs,
      scheduler: brokerScheduler({ nowMs: () => scheduler.nowMs() }),
      logger: silentLogger,
    });
    try {
      await reloaded.loaded();
      const fetched = reloaded.coordinator.fetchOffsets(
        { groupId: group('shop'), topics: [{ name: topicName('orders'), partitionIndexes: [1] }], groups: [], requireStable: false },
        { apiVersion: 7 },
      );
      expect(fetched.topics).toEqual([
        { name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 99n, committedLeaderEpoch: 0, metadata: 'x', errorCode: ErrorCode.NONE }] },
      ]);
      const loadedGroup = reloaded.coordinator.group('shop')!;
      expect(loadedGroup.generationId).toBe(1);
      expect([...loadedGroup.members.keys()]).toEqual([memberId]);
    } finally {
      reloaded.shutdown();
    }
  });
});
