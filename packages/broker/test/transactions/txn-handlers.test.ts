/**
 * WriteTxnMarkers (27) and TxnOffsetCommit (28) through the real dispatch and codecs, against standalone metadata
 * and real partition logs in a temp dir, group time on a ManualScheduler. Whole responses are asserted.
 */
import { ApiKey, ControlRecordType, ErrorCode, GroupId, ProducerId, RecordBatch, TopicName, TransactionalId, decodeControlRecord, iterateRecordSet } from '@tributary/protocol';
import { ManualScheduler } from '@tributary/group-coordinator';
import { FetchIsolation, PartitionLog } from '@tributary/storage';
import { Harness, createTopic, openHarness, transactionCoordinatorReady } from '../harness';
import { OFFSETS_TOPIC } from '../../src/groups';

const topicName = (name: string) => name as TopicName;
const pid = (id: bigint) => id as ProducerId;

/** What a partition holds, batch by batch: 'data' or the marker's type and producer. */
function contents(log: PartitionLog): string[] {
  const read = log.read(0n, 1 << 20, { isolation: FetchIsolation.LogEnd });
  return [...iterateRecordSet(read.records)].map((entry) => {
    const batch = new RecordBatch(entry.bytes);
    const header = batch.validate();
    if (!header.isControl) return `data(${header.producerId})`;
    const control = decodeControlRecord([...batch.records()][0]!);
    return `${control.type === ControlRecordType.Commit ? 'COMMIT' : 'ABORT'}(${header.producerId}, epoch ${header.producerEpoch}, coordinator ${control.coordinatorEpoch})`;
  });
}

describe('WriteTxnMarkers', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  test.each([0, 1])('v%i writes each marker and answers per producer, topic and partition', async (version) => {
    harness = await openHarness();
    await createTopic(harness, 'orders', 2);
    const response = await harness.call(ApiKey.WriteTxnMarkers, version, {
      markers: [
        {
          producerId: pid(10n),
          producerEpoch: 2,
          transactionResult: true,
          coordinatorEpoch: 4,
          topics: [
            { name: topicName('orders'), partitionIndexes: [0, 1, 7] },
            { name: topicName('nowhere'), partitionIndexes: [0] },
          ],
        },
        { producerId: pid(11n), producerEpoch: 0, transactionResult: false, coordinatorEpoch: 4, topics: [{ name: topicName('orders'), partitionIndexes: [1] }] },
      ],
    });
    expect(response).toEqual({
      markers: [
        {
          producerId: 10n,
          topics: [
            {
              name: 'orders',
              partitions: [
                { partitionIndex: 0, errorCode: ErrorCode.NONE },
                { partitionIndex: 1, errorCode: ErrorCode.NONE },
                { partitionIndex: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
              ],
            },
            { name: 'nowhere', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
          ],
        },
        { producerId: 11n, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, errorCode: ErrorCode.NONE }] }] },
      ],
    });
    expect(contents(harness.logs.partition('orders', 0)!)).toEqual(['COMMIT(10, epoch 2, coordinator 4)']);
    expect(contents(harness.logs.partition('orders', 1)!)).toEqual(['COMMIT(10, epoch 2, coordinator 4)', 'ABORT(11, epoch 0, coordinator 4)']);
  });

  test('two markers of one producer merge into one result, as Kafka keys its answer by producer id', async () => {
    harness = await openHarness();
    await createTopic(harness, 'orders', 2);
    const marker = (partition: number) => ({ producerId: pid(5n), producerEpoch: 0, transactionResult: true, coordinatorEpoch: 0, topics: [{ name: topicName('orders'), partitionIndexes: [partition] }] });
    expect(await harness.call(ApiKey.WriteTxnMarkers, 1, { markers: [marker(0), marker(1)] })).toEqual({
      markers: [
        {
          producerId: 5n,
          topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }, { partitionIndex: 1, errorCode: ErrorCode.NONE }] }],
        },
      ],
    });
    expect(await harness.call(ApiKey.WriteTxnMarkers, 1, { markers: [] })).toEqual({ markers: [] });
  });
});

describe('TxnOffsetCommit', () => {
  let harness: Harness;
  let scheduler: ManualScheduler;
  beforeEach(async () => {
    scheduler = new ManualScheduler();
    // The group coordinator's half under test here; KIP-890's check against a real transaction is tested below.
    harness = await openHarness({ 'offsets.topic.num.partitions': '1', 'transaction.partition.verification.enable': 'false' }, { scheduler });
    await createTopic(harness, 'in', 2);
  });
  afterEach(() => harness.close());

  const commitRequest = (groupId: string, producerId: bigint, offsets: Record<string, [number, bigint][]>, member = { generationId: -1, memberId: '', groupInstanceId: null as string | null }) => ({
    transactionalId: 'tx-1' as TransactionalId,
    groupId: groupId as GroupId,
    producerId: pid(producerId),
    producerEpoch: 0,
    ...member,
    topics: Object.entries(offsets).map(([name, partitions]) => ({
      name: topicName(name),
      partitions: partitions.map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: 'm' })),
    })),
  });
  const fetchOffset = async (groupId: string, requireStable = false) => {
    const answer = await harness.call(ApiKey.OffsetFetch, 7, { groupId: groupId as GroupId, topics: [{ name: topicName('in'), partitionIndexes: [0] }], groups: [], requireStable });
    const partition = answer.topics[0]!.partitions[0]!;
    return { offset: partition.committedOffset, errorCode: partition.errorCode };
  };
  const writeMarker = (producerId: bigint, commit: boolean) =>
    harness.call(ApiKey.WriteTxnMarkers, 1, {
      markers: [{ producerId: pid(producerId), producerEpoch: 0, transactionResult: commit, coordinatorEpoch: 0, topics: [{ name: topicName(OFFSETS_TOPIC), partitionIndexes: [0] }] }],
    });

  async function offsetsTopicReady(): Promise<void> {
    await createTopic(harness, OFFSETS_TOPIC, 1);
    await harness.groups.loaded();
  }

  test('answers unknown topics and partitions itself, and without __consumer_offsets the coordinator is not here', async () => {
    const response = await harness.call(ApiKey.TxnOffsetCommit, 3, commitRequest('g', 1n, { in: [[0, 5n], [9, 5n]], gone: [[0, 1n]] }));
    expect(response).toEqual({
      throttleTimeMs: 0,
      topics: [
        { name: 'in', partitions: [{ partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }, { partitionIndex: 0, errorCode: ErrorCode.NOT_COORDINATOR }] },
        { name: 'gone', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });
    // Only unknown partitions: the coordinator is not asked, so no group is created.
    expect(await harness.call(ApiKey.TxnOffsetCommit, 0, commitRequest('g', 1n, { gone: [[0, 1n]] }))).toEqual({
      throttleTimeMs: 0,
      topics: [{ name: 'gone', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] }],
    });
  });

  test.each([0, 2, 3, 4])('v%i stages offsets until the COMMIT marker, which makes them the committed ones', async (version) => {
    await offsetsTopicReady();
    expect(await harness.call(ApiKey.TxnOffsetCommit, version, commitRequest('g', 7n, { in: [[0, 42n]] }))).toEqual({
      throttleTimeMs: 0,
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE }] }],
    });
    // Pending: invisible, and UNSTABLE_OFFSET_COMMIT to a reader that asks for stable offsets.
    expect(await fetchOffset('g')).toEqual({ offset: -1n, errorCode: ErrorCode.NONE });
    expect(await fetchOffset('g', true)).toEqual({ offset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    // The commit was written as the producer's transactional batch.
    expect(contents(harness.logs.partition(OFFSETS_TOPIC, 0)!)).toEqual(['data(7)']);

    expect((await writeMarker(7n, true)).markers[0]!.topics[0]!.partitions).toEqual([{ partitionIndex: 0, errorCode: ErrorCode.NONE }]);
    expect(await fetchOffset('g', true)).toEqual({ offset: 42n, errorCode: ErrorCode.NONE });
    expect(contents(harness.logs.partition(OFFSETS_TOPIC, 0)!)).toEqual(['data(7)', 'COMMIT(7, epoch 0, coordinator 0)']);
  });

  test('an ABORT marker drops the staged offsets and keeps the ones committed before', async () => {
    await offsetsTopicReady();
    await harness.call(ApiKey.TxnOffsetCommit, 3, commitRequest('g', 7n, { in: [[0, 10n]] }));
    await writeMarker(7n, true);
    await harness.call(ApiKey.TxnOffsetCommit, 3, commitRequest('g', 8n, { in: [[0, 99n]] }));
    await writeMarker(8n, false);
    expect(await fetchOffset('g', true)).toEqual({ offset: 10n, errorCode: ErrorCode.NONE });
    // A reload from the log comes to the same answer.
    harness.groups.coordinator.unloadPartition(0);
    await harness.groups.coordinator.loadPartition(0, 1);
    expect(await fetchOffset('g', true)).toEqual({ offset: 10n, errorCode: ErrorCode.NONE });
  });

  test('v3+ checks the member and generation it names; v0-v2 carry none and commit into any group', async () => {
    await offsetsTopicReady();
    const join = (memberId: string) =>
      harness.call(ApiKey.JoinGroup, 5, {
        groupId: 'g' as GroupId,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 30_000,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
        reason: null,
      });
    const memberId = (await join('')).memberId;
    const joining = join(memberId);
    await new Promise((r) => setImmediate(r));
    scheduler.advance(3_000);
    expect((await joining).generationId).toBe(1);
    const synced = await harness.call(ApiKey.SyncGroup, 3, {
      groupId: 'g' as GroupId,
      generationId: 1,
      memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId, assignment: Buffer.from('a') }],
    });
    expect(synced.errorCode).toBe(ErrorCode.NONE);

    const errorOf = async (version: number, member: { generationId: number; memberId: string; groupInstanceId: string | null }) =>
      (await harness.call(ApiKey.TxnOffsetCommit, version, commitRequest('g', 3n, { in: [[0, 1n]] }, member))).topics[0]!.partitions[0]!.errorCode;
    expect(await errorOf(3, { generationId: 1, memberId: 'someone-else', groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await errorOf(3, { generationId: 2, memberId, groupInstanceId: null })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await errorOf(4, { generationId: 1, memberId, groupInstanceId: null })).toBe(ErrorCode.NONE);
    // A group with members takes a transactional commit that names no member (older producers send none).
    expect(await errorOf(2, { generationId: -1, memberId: '', groupInstanceId: null })).toBe(ErrorCode.NONE);
  });

  test('while the group partition loads: COORDINATOR_LOAD_IN_PROGRESS from v2, COORDINATOR_NOT_AVAILABLE before', async () => {
    await offsetsTopicReady();
    // Something to replay, so the load spans at least one turn of the event loop.
    await harness.call(ApiKey.TxnOffsetCommit, 3, commitRequest('g', 7n, { in: [[0, 10n]] }));
    harness.groups.coordinator.unloadPartition(0);
    const load = harness.groups.coordinator.loadPartition(0, 1);
    expect(harness.groups.coordinator.isPartitionLoading(0)).toBe(true);
    const [v1, v2] = await Promise.all([
      harness.call(ApiKey.TxnOffsetCommit, 1, commitRequest('g', 7n, { in: [[0, 11n]] })),
      harness.call(ApiKey.TxnOffsetCommit, 2, commitRequest('g', 7n, { in: [[1, 11n]] })),
    ]);
    await load;
    expect(v1.topics).toEqual([{ name: 'in', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }] }]);
    expect(v2.topics).toEqual([{ name: 'in', partitions: [{ partitionIndex: 1, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS }] }]);
  });

  test('a marker written while the partition loads is replayed, not missed', async () => {
    await offsetsTopicReady();
    await harness.call(ApiKey.TxnOffsetCommit, 3, commitRequest('g', 7n, { in: [[0, 10n]] }));
    harness.groups.coordinator.unloadPartition(0);
    const load = harness.groups.coordinator.loadPartition(0, 1);
    expect(harness.groups.coordinator.isPartitionLoading(0)).toBe(true);
    await writeMarker(7n, true);
    await load;
    expect(await fetchOffset('g', true)).toEqual({ offset: 10n, errorCode: ErrorCode.NONE });
  });
});

describe('TxnOffsetCommit against the producer state of __consumer_offsets', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  test('a commit from a fenced producer epoch is refused with INVALID_PRODUCER_EPOCH and stages nothing', async () => {
    harness = await openHarness({ 'offsets.topic.num.partitions': '1', 'transaction.partition.verification.enable': 'false' });
    await createTopic(harness, 'in', 1);
    await createTopic(harness, OFFSETS_TOPIC, 1);
    await harness.groups.loaded();
    const commit = (producerEpoch: number, offset: bigint) =>
      harness.call(ApiKey.TxnOffsetCommit, 3, {
        transactionalId: 'tx' as TransactionalId,
        groupId: 'g' as GroupId,
        producerId: pid(9n),
        producerEpoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: topicName('in'), partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
    expect((await commit(2, 5n)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    // The coordinator bumped the epoch (a new producer instance) and aborted the old transaction.
    await harness.call(ApiKey.WriteTxnMarkers, 1, {
      markers: [{ producerId: pid(9n), producerEpoch: 3, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: topicName(OFFSETS_TOPIC), partitionIndexes: [0] }] }],
    });
    expect((await commit(2, 6n)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const fetched = await harness.call(ApiKey.OffsetFetch, 7, { groupId: 'g' as GroupId, topics: [{ name: topicName('in'), partitionIndexes: [0] }], groups: [], requireStable: true });
    expect(fetched.topics[0]!.partitions[0]).toMatchObject({ committedOffset: -1n, errorCode: ErrorCode.NONE });
    expect((await commit(3, 7n)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  });
});

describe('TxnOffsetCommit verifies the transaction first (KIP-890)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  const SETTINGS = { 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1' };

  async function ready(): Promise<void> {
    await createTopic(harness, 'in', 1);
    await createTopic(harness, OFFSETS_TOPIC, 1);
    await harness.groups.loaded();
    await transactionCoordinatorReady(harness, 'tx');
  }

  async function initProducer(): Promise<{ producerId: bigint; producerEpoch: number }> {
    const answer = await harness.call(ApiKey.InitProducerId, 4, { transactionalId: 'tx' as TransactionalId, transactionTimeoutMs: 60_000, producerId: pid(-1n), producerEpoch: -1 });
    expect(answer.errorCode).toBe(ErrorCode.NONE);
    return { producerId: answer.producerId, producerEpoch: answer.producerEpoch };
  }

  const addOffsets = async (producer: { producerId: bigint; producerEpoch: number }) =>
    (await harness.call(ApiKey.AddOffsetsToTxn, 3, { transactionalId: 'tx' as TransactionalId, producerId: pid(producer.producerId), producerEpoch: producer.producerEpoch, groupId: 'g' as GroupId })).errorCode;

  const commit = async (version: number, producer: { producerId: bigint; producerEpoch: number }, offset: bigint) =>
    (
      await harness.call(ApiKey.TxnOffsetCommit, version, {
        transactionalId: 'tx' as TransactionalId,
        groupId: 'g' as GroupId,
        producerId: pid(producer.producerId),
        producerEpoch: producer.producerEpoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: topicName('in'), partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
      })
    ).topics[0]!.partitions[0]!.errorCode;

  const stableOffset = async () => {
    const answer = await harness.call(ApiKey.OffsetFetch, 7, { groupId: 'g' as GroupId, topics: [{ name: topicName('in'), partitionIndexes: [0] }], groups: [], requireStable: true });
    const partition = answer.topics[0]!.partitions[0]!;
    return partition.errorCode === ErrorCode.NONE ? partition.committedOffset : ErrorCode[partition.errorCode];
  };

  test('without AddOffsetsToTxn: INVALID_TXN_STATE before v4, TRANSACTION_ABORTABLE from v4, and nothing is written', async () => {
    harness = await openHarness(SETTINGS);
    await ready();
    const producer = await initProducer();
    const before = harness.logs.partition(OFFSETS_TOPIC, 0)!.logEndOffset;
    expect(await commit(3, producer, 5n)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await commit(0, producer, 5n)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await commit(4, producer, 5n)).toBe(ErrorCode.TRANSACTION_ABORTABLE);
    expect(harness.logs.partition(OFFSETS_TOPIC, 0)!.logEndOffset).toBe(before);
    expect(harness.logs.partition(OFFSETS_TOPIC, 0)!.lastStableOffset).toBe(before);
  });

  test('after AddOffsetsToTxn it is taken, EndTxn makes it committed, and a late commit after the end is refused', async () => {
    harness = await openHarness(SETTINGS);
    await ready();
    const producer = await initProducer();
    expect(await addOffsets(producer)).toBe(ErrorCode.NONE);
    expect(await commit(3, producer, 42n)).toBe(ErrorCode.NONE);
    // Once the producer has a transaction open in the partition, the check is not repeated.
    expect(await commit(3, producer, 43n)).toBe(ErrorCode.NONE);
    expect(await stableOffset()).toBe('UNSTABLE_OFFSET_COMMIT');
    const ended = await harness.call(ApiKey.EndTxn, 3, { transactionalId: 'tx' as TransactionalId, producerId: pid(producer.producerId), producerEpoch: producer.producerEpoch, committed: true });
    expect(ended.errorCode).toBe(ErrorCode.NONE);
    for (let attempt = 0; attempt < 200 && (await stableOffset()) !== 43n; attempt++) await new Promise((r) => setTimeout(r, 5));
    expect(await stableOffset()).toBe(43n);

    // The transaction is over: a commit arriving now would open one in __consumer_offsets that nothing closes.
    const end = harness.logs.partition(OFFSETS_TOPIC, 0)!.logEndOffset;
    expect(await commit(3, producer, 99n)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(harness.logs.partition(OFFSETS_TOPIC, 0)!.logEndOffset).toBe(end);
    expect(harness.logs.partition(OFFSETS_TOPIC, 0)!.lastStableOffset).toBe(end);
  });

  test('a producer fenced by a newer InitProducerId gets INVALID_PRODUCER_EPOCH', async () => {
    harness = await openHarness(SETTINGS);
    await ready();
    const old = await initProducer();
    const current = await initProducer();
    expect(current.producerEpoch).toBe(old.producerEpoch + 1);
    expect(await commit(3, old, 1n)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  test('transaction.partition.verification.enable is a dynamic broker config, read at each request', async () => {
    harness = await openHarness(SETTINGS);
    await ready();
    const producer = await initProducer();
    expect(await commit(3, producer, 5n)).toBe(ErrorCode.INVALID_TXN_STATE);
    const altered = await harness.call(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'transaction.partition.verification.enable', configOperation: 0, value: 'false' }] }],
      validateOnly: false,
    });
    expect(altered.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await commit(3, producer, 5n)).toBe(ErrorCode.NONE);
  });

  test('with no __transaction_state there is no coordinator to ask: COORDINATOR_NOT_AVAILABLE; with verification off it is taken', async () => {
    harness = await openHarness(SETTINGS);
    await createTopic(harness, 'in', 1);
    await createTopic(harness, OFFSETS_TOPIC, 1);
    await harness.groups.loaded();
    expect(await commit(3, { producerId: 1n, producerEpoch: 0 }, 1n)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    await harness.close();

    harness = await openHarness({ ...SETTINGS, 'transaction.partition.verification.enable': 'false' });
    await createTopic(harness, 'in', 1);
    await createTopic(harness, OFFSETS_TOPIC, 1);
    await harness.groups.loaded();
    expect(await commit(3, { producerId: 1n, producerEpoch: 0 }, 1n)).toBe(ErrorCode.NONE);
  });
});
