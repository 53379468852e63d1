/**
 * The transaction coordinator's APIs (FindCoordinator for transactional ids, InitProducerId, AddPartitionsToTxn,
 * AddOffsetsToTxn, EndTxn, DescribeTransactions, ListTransactions) through the real dispatch and codecs, against
 * standalone metadata and real partition logs in a temp dir. Whole responses are asserted.
 */
import { ApiKey, ControlRecordType, ErrorCode, ProducerId, RecordBatch, TopicName, TransactionalId, decodeControlRecord, iterateRecordSet } from '@tributary/protocol';
import { FetchIsolation, PartitionLog } from '@tributary/storage';
import { TRANSACTION_STATE_TOPIC, decodeTransactionRecord } from '@tributary/txn-coordinator';
import { Harness, createTopic, openHarness, transactionCoordinatorReady } from '../harness';
import { OFFSETS_TOPIC } from '../../src/groups';
import { addPartitionsToTxnHandler } from '../../src/handlers/24-add-partitions-to-txn';
import { Writer, encodeAddPartitionsToTxnResponse } from '@tributary/protocol';

const topicName = (name: string) => name as TopicName;
const txnId = (id: string) => id as TransactionalId;
const pid = (id: bigint) => id as ProducerId;
const NODE = { nodeId: 1, host: 'broker.example', port: 9092 };

function batches(log: PartitionLog): RecordBatch[] {
  const read = log.read(0n, 1 << 20, { isolation: FetchIsolation.LogEnd });
  return [...iterateRecordSet(read.records)].map((entry) => new RecordBatch(entry.bytes));
}

/** The markers a partition holds: type, producer, epoch and coordinator epoch. */
function markers(log: PartitionLog): string[] {
  return batches(log)
    .filter((batch) => batch.validate().isControl)
    .map((batch) => {
      const header = batch.validate();
      const control = decodeControlRecord([...batch.records()][0]!);
      return `${control.type === ControlRecordType.Commit ? 'COMMIT' : 'ABORT'}(${header.producerId}, epoch ${header.producerEpoch}, coordinator ${control.coordinatorEpoch})`;
    });
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('FindCoordinator for transactional ids', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('creates __transaction_state on first use with Kafka topic configs, answering COORDINATOR_NOT_AVAILABLE meanwhile, then this broker', async () => {
    harness = await openHarness();
    expect(await harness.call(ApiKey.FindCoordinator, 1, { key: 'my-txn', keyType: 1, coordinatorKeys: [] })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      errorMessage: 'The coordinator is not available.',
      nodeId: -1,
      host: '',
      port: -1,
      coordinators: [],
    });
    await transactionCoordinatorReady(harness, 'my-txn');
    const topic = harness.metadata.topic(TRANSACTION_STATE_TOPIC)!;
    expect(topic.isInternal).toBe(true);
    expect(topic.partitions).toHaveLength(50);
    expect(topic.partitions.every((partition) => partition.replicas.length === 1)).toBe(true);
    expect(Object.fromEntries(topic.configs)).toEqual({
      'unclean.leader.election.enable': 'false',
      'compression.type': 'uncompressed',
      'cleanup.policy': 'compact',
      'min.insync.replicas': '1',
      'segment.bytes': '104857600',
    });
    expect(await harness.call(ApiKey.FindCoordinator, 1, { key: 'my-txn', keyType: 1, coordinatorKeys: [] })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: 'NONE',
      ...NODE,
      coordinators: [],
    });
    expect((await harness.call(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['a', 'b'] })).coordinators).toEqual([
      { key: 'a', ...NODE, errorCode: ErrorCode.NONE, errorMessage: '' },
      { key: 'b', ...NODE, errorCode: ErrorCode.NONE, errorMessage: '' },
    ]);
  });
});

describe('InitProducerId', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  test.each([0, 1, 2, 3, 4, 5])('v%i gives an idempotent producer a new id at epoch 0, with no transaction topic needed', async (version) => {
    harness = await openHarness();
    const first = await harness.call(ApiKey.InitProducerId, version, { transactionalId: null, transactionTimeoutMs: 0, producerId: pid(-1n), producerEpoch: -1 });
    const second = await harness.call(ApiKey.InitProducerId, version, { transactionalId: null, transactionTimeoutMs: 0, producerId: pid(-1n), producerEpoch: -1 });
    expect(first).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 0 });
    expect(second).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: first.producerId + 1n, producerEpoch: 0 });
    expect(first.producerId).toBeGreaterThanOrEqual(0n);
    expect(harness.metadata.topic(TRANSACTION_STATE_TOPIC)).toBeUndefined();
  });

  it('takes producer ids from the metadata\'s durable blocks: the next block reserved starts after every id handed out', async () => {
    harness = await openHarness();
    const before = await harness.call(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 0, producerId: pid(-1n), producerEpoch: -1 });
    const block = await harness.metadata.allocateProducerIdBlock();
    expect(block.firstProducerId).toBeGreaterThan(before.producerId);
  });

  it('refuses a producer id without an epoch (and the reverse) as INVALID_REQUEST', async () => {
    harness = await openHarness();
    const invalid = { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
    expect(await harness.call(ApiKey.InitProducerId, 3, { transactionalId: null, transactionTimeoutMs: 0, producerId: pid(5n), producerEpoch: -1 })).toEqual(invalid);
    expect(await harness.call(ApiKey.InitProducerId, 3, { transactionalId: null, transactionTimeoutMs: 0, producerId: pid(-1n), producerEpoch: 3 })).toEqual(invalid);
  });

  it('answers a transactional id NOT_COORDINATOR before its partition is loaded, then initializes and bumps it; v3 gets INVALID_PRODUCER_EPOCH where v4 gets PRODUCER_FENCED', async () => {
    harness = await openHarness();
    const request = { transactionalId: txnId('tx'), transactionTimeoutMs: 60_000, producerId: pid(-1n), producerEpoch: -1 };
    expect((await harness.call(ApiKey.InitProducerId, 4, request)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    await transactionCoordinatorReady(harness, 'tx');
    const first = await harness.call(ApiKey.InitProducerId, 4, request);
    expect(first).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
    expect(await harness.call(ApiKey.InitProducerId, 4, request)).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 1 });
    const stale = { ...request, producerId: pid(first.producerId), producerEpoch: 0 };
    expect((await harness.call(ApiKey.InitProducerId, 4, stale)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await harness.call(ApiKey.InitProducerId, 3, stale)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await harness.call(ApiKey.InitProducerId, 4, { ...request, transactionTimeoutMs: 900_001 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });
});

describe('a transaction through every coordinator API', () => {
  let harness: Harness;
  let producerId: ProducerId;
  beforeEach(async () => {
    harness = await openHarness({ 'offsets.topic.num.partitions': '3' });
    await createTopic(harness, 'orders', 2);
    await transactionCoordinatorReady(harness, 'tx');
    const init = await harness.call(ApiKey.InitProducerId, 4, { transactionalId: txnId('tx'), transactionTimeoutMs: 60_000, producerId: pid(-1n), producerEpoch: -1 });
    producerId = init.producerId;
  });
  afterEach(() => harness.close());

  const addPartitions = (version: number, partitions: Record<string, number[]>, epoch = 0) =>
    harness.call(ApiKey.AddPartitionsToTxn, version, {
      transactions: [],
      v3AndBelowTransactionalId: txnId('tx'),
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: epoch,
      v3AndBelowTopics: Object.entries(partitions).map(([name, ps]) => ({ name: topicName(name), partitions: ps })),
    });

  it('AddPartitionsToTxn v3: an unknown partition fails the whole request, the others OPERATION_NOT_ATTEMPTED; known ones are added', async () => {
    expect(await addPartitions(3, { orders: [0, 9], nowhere: [0] })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: [
        {
          name: 'orders',
          resultsByPartition: [
            { partitionIndex: 0, partitionErrorCode: ErrorCode.OPERATION_NOT_ATTEMPTED },
            { partitionIndex: 9, partitionErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
          ],
        },
        { name: 'nowhere', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });
    expect(await addPartitions(3, { orders: [0, 1] })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: [
        {
          name: 'orders',
          resultsByPartition: [
            { partitionIndex: 0, partitionErrorCode: ErrorCode.NONE },
            { partitionIndex: 1, partitionErrorCode: ErrorCode.NONE },
          ],
        },
      ],
    });
    // A stale epoch: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before.
    expect((await addPartitions(2, { orders: [0] }, 5)).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await addPartitions(1, { orders: [0] }, 5)).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('AddPartitionsToTxn v4 verifyOnly answers per transaction whether each partition is in it', async () => {
    await addPartitions(3, { orders: [0] });
    const response = await harness.call(ApiKey.AddPartitionsToTxn, 4, {
      transactions: [
        { transactionalId: txnId('tx'), producerId, producerEpoch: 0, verifyOnly: true, topics: [{ name: topicName('orders'), partitions: [0, 1] }] },
        { transactionalId: txnId('nobody'), producerId: pid(99n), producerEpoch: 0, verifyOnly: true, topics: [{ name: topicName('orders'), partitions: [0] }] },
      ],
      v3AndBelowTransactionalId: txnId(''),
      v3AndBelowProducerId: pid(0n),
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [],
    });
    expect(response).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTopicV3AndBelow: [],
      resultsByTransaction: [
        {
          transactionalId: 'tx',
          topicResults: [
            {
              name: 'orders',
              resultsByPartition: [
                { partitionIndex: 0, partitionErrorCode: ErrorCode.NONE },
                { partitionIndex: 1, partitionErrorCode: ErrorCode.TRANSACTION_ABORTABLE },
              ],
            },
          ],
        },
        {
          transactionalId: 'nobody',
          // Every __transaction_state partition is led here, so an unknown id is simply not mapped to a producer.
          topicResults: [{ name: 'orders', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING }] }],
        },
      ],
    });
  });

  it('commits: markers on every partition of the transaction including the group offsets partition, then described CompleteCommit', async () => {
    // The group's coordinator exists (a consumer found it): __consumer_offsets is there to take the marker.
    for (let attempt = 0; attempt < 200 && harness.metadata.topic(OFFSETS_TOPIC) === undefined; attempt++) {
      await harness.call(ApiKey.FindCoordinator, 1, { key: 'shop', keyType: 0, coordinatorKeys: [] });
      await new Promise((r) => setTimeout(r, 5));
    }
    await harness.settled();
    await harness.groups.loaded();
    await addPartitions(3, { orders: [0, 1] });
    expect(await harness.call(ApiKey.AddOffsetsToTxn, 3, { transactionalId: txnId('tx'), producerId, producerEpoch: 0, groupId: 'shop' as never })).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
    });
    const offsetsPartition = harness.groups.coordinator.partitionFor('shop');
    const described = await harness.call(ApiKey.DescribeTransactions, 0, { transactionalIds: [txnId('tx'), txnId('unknown')] });
    expect(described.transactionStates[0]).toMatchObject({
      errorCode: ErrorCode.NONE,
      transactionalId: 'tx',
      transactionState: 'Ongoing',
      transactionTimeoutMs: 60_000,
      producerId,
      producerEpoch: 0,
      topics: [
        { topic: 'orders', partitions: [0, 1] },
        { topic: OFFSETS_TOPIC, partitions: [offsetsPartition] },
      ],
    });
    // 'unknown' hashes to a partition loaded here: it is simply not found.
    expect(described.transactionStates[1]).toEqual({
      errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND,
      transactionalId: 'unknown',
      transactionState: '',
      transactionTimeoutMs: 0,
      transactionStartTimeMs: 0n,
      producerId: 0n,
      producerEpoch: 0,
      topics: [],
    });
    const listed = await harness.call(ApiKey.ListTransactions, 1, { stateFilters: ['Ongoing'], producerIdFilters: [], durationFilter: -1n });
    expect(listed).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters: [], transactionStates: [{ transactionalId: 'tx', producerId, transactionState: 'Ongoing' }] });

    expect(await harness.call(ApiKey.EndTxn, 3, { transactionalId: txnId('tx'), producerId, producerEpoch: 0, committed: true })).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.NONE });
    await settle();
    const marker = `COMMIT(${producerId}, epoch 0, coordinator 0)`;
    expect(markers(harness.logs.partition('orders', 0)!)).toEqual([marker]);
    expect(markers(harness.logs.partition('orders', 1)!)).toEqual([marker]);
    expect(markers(harness.logs.partition(OFFSETS_TOPIC, offsetsPartition)!)).toEqual([marker]);
    const after = await harness.call(ApiKey.DescribeTransactions, 0, { transactionalIds: [txnId('tx')] });
    expect(after.transactionStates[0]).toMatchObject({ transactionState: 'CompleteCommit', topics: [] });
    // A retried commit succeeds; an abort now is INVALID_TXN_STATE.
    expect((await harness.call(ApiKey.EndTxn, 3, { transactionalId: txnId('tx'), producerId, producerEpoch: 0, committed: true })).errorCode).toBe(ErrorCode.NONE);
    expect((await harness.call(ApiKey.EndTxn, 3, { transactionalId: txnId('tx'), producerId, producerEpoch: 0, committed: false })).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);

    // What __transaction_state holds for the id, in Kafka's record format.
    const stateLog = harness.logs.partition(TRANSACTION_STATE_TOPIC, harness.transactions.coordinator.partitionFor('tx'))!;
    const states = batches(stateLog).flatMap((batch) => [...batch.records()].map((record) => decodeTransactionRecord(record.key!, record.value)));
    expect(states.map((s) => (s.type === 'transaction' ? s.metadata?.state : undefined))).toEqual([0, 1, 1, 2, 4]);
  });

  it('aborts, and a fenced producer gets INVALID_PRODUCER_EPOCH on EndTxn v1 and PRODUCER_FENCED on v2', async () => {
    await addPartitions(3, { orders: [1] });
    expect((await harness.call(ApiKey.EndTxn, 2, { transactionalId: txnId('tx'), producerId, producerEpoch: 0, committed: false })).errorCode).toBe(ErrorCode.NONE);
    await settle();
    expect(markers(harness.logs.partition('orders', 1)!)).toEqual([`ABORT(${producerId}, epoch 0, coordinator 0)`]);
    expect(markers(harness.logs.partition('orders', 0)!)).toEqual([]);
    await harness.call(ApiKey.InitProducerId, 4, { transactionalId: txnId('tx'), transactionTimeoutMs: 60_000, producerId: pid(-1n), producerEpoch: -1 });
    expect((await harness.call(ApiKey.EndTxn, 1, { transactionalId: txnId('tx'), producerId, producerEpoch: 0, committed: true })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await harness.call(ApiKey.EndTxn, 2, { transactionalId: txnId('tx'), producerId, producerEpoch: 0, committed: true })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await harness.call(ApiKey.EndTxn, 2, { transactionalId: txnId('tx'), producerId, producerEpoch: 1, committed: true })).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });
});

describe('AddPartitionsToTxn error response', () => {
  it('carries the error on each partition before v4 and only at the top level from v4, as Kafka getErrorResponse', () => {
    const v3 = addPartitionsToTxnHandler.errorResponse!(
      {
        transactions: [],
        v3AndBelowTransactionalId: txnId('tx'),
        v3AndBelowProducerId: pid(1n),
        v3AndBelowProducerEpoch: 0,
        v3AndBelowTopics: [{ name: topicName('orders'), partitions: [0, 1] }],
      },
      ErrorCode.UNKNOWN_SERVER_ERROR,
      'boom',
    );
    expect(v3.resultsByTopicV3AndBelow).toEqual([
      {
        name: 'orders',
        resultsByPartition: [
          { partitionIndex: 0, partitionErrorCode: ErrorCode.UNKNOWN_SERVER_ERROR },
          { partitionIndex: 1, partitionErrorCode: ErrorCode.UNKNOWN_SERVER_ERROR },
        ],
      },
    ]);
    expect(() => encodeAddPartitionsToTxnResponse(new Writer(64), 3, v3)).not.toThrow();
    const v4 = addPartitionsToTxnHandler.errorResponse!(
      {
        transactions: [{ transactionalId: txnId('tx'), producerId: pid(1n), producerEpoch: 0, verifyOnly: true, topics: [{ name: topicName('orders'), partitions: [0] }] }],
        v3AndBelowTransactionalId: txnId(''),
        v3AndBelowProducerId: pid(0n),
        v3AndBelowProducerEpoch: 0,
        v3AndBelowTopics: [],
      },
      ErrorCode.UNKNOWN_SERVER_ERROR,
      'boom',
    );
    expect(v4).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, resultsByTransaction: [], resultsByTopicV3AndBelow: [] });
    expect(() => encodeAddPartitionsToTxnResponse(new Writer(64), 4, v4)).not.toThrow();
  });
});
