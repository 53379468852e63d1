import { ApiKey, ErrorCode, ProducerId, TopicName, TransactionalId, buildRecordBatch } from '@tributary/protocol';
import { Harness, createTopic, openHarness, transactionCoordinatorReady } from '../harness';
import { InMemoryCoordinatorLog, ManualScheduler } from '@tributary/group-coordinator';
import { ProducerIdManager, TransactionCoordinator } from '@tributary/txn-coordinator';
import { verifyTransactionalProduce } from '../../src/transactions/produce-verification';

async function coordinatorWithOngoingTransaction() {
  let next = 0n;
  const coordinator = new TransactionCoordinator({
    log: new InMemoryCoordinatorLog(),
    scheduler: new ManualScheduler(),
    producerIds: new ProducerIdManager({ allocateProducerIdBlock: async () => ({ assignedBrokerId: 1, firstProducerId: (next += 1000n), size: 1000 }) }),
    markers: { writeMarkers: async (request) => request.partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.NONE })) },
    config: { transactionStateLogNumPartitions: 1 },
  });
  coordinator.startup();
  await coordinator.loadPartition(0, 0);
  const { producerId } = await coordinator.initProducerId('tx', 60_000);
  expect(await coordinator.addPartitionsToTransaction('tx', producerId, 0, [{ topic: 'orders', partition: 0 }])).toBe(ErrorCode.NONE);
  return { coordinator, producerId };
}

describe('transactional produce verification (KIP-890 part 1)', () => {
  it('passes partitions in the ongoing transaction and refuses the others with INVALID_TXN_STATE', async () => {
    const { coordinator, producerId } = await coordinatorWithOngoingTransaction();
    const inTxn = { topic: 'orders', partition: 0 };
    const outside = { topic: 'orders', partition: 1 };
    expect([...verifyTransactionalProduce(coordinator, 'tx', producerId, 0, [inTxn, outside])]).toEqual([[outside, ErrorCode.INVALID_TXN_STATE]]);
  });

  it('answers a fenced producer INVALID_PRODUCER_EPOCH and a transaction being ended NOT_ENOUGH_REPLICAS (retriable)', async () => {
    const { coordinator, producerId } = await coordinatorWithOngoingTransaction();
    const tp = { topic: 'orders', partition: 0 };
    expect([...verifyTransactionalProduce(coordinator, 'tx', producerId, 1, [tp])]).toEqual([[tp, ErrorCode.INVALID_PRODUCER_EPOCH]]);
    expect([...verifyTransactionalProduce(coordinator, 'tx', producerId + 1n, 0, [tp])]).toEqual([[tp, ErrorCode.INVALID_PRODUCER_ID_MAPPING]]);
    // Markers that never land keep the transaction in PrepareCommit.
    const stuck = new TransactionCoordinator({
      log: new InMemoryCoordinatorLog(),
      scheduler: new ManualScheduler(),
      producerIds: new ProducerIdManager({ allocateProducerIdBlock: async () => ({ assignedBrokerId: 1, firstProducerId: 0n, size: 1000 }) }),
      markers: { writeMarkers: async (request) => request.partitions.map((p) => ({ ...p, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER })) },
      config: { transactionStateLogNumPartitions: 1 },
    });
    stuck.startup();
    await stuck.loadPartition(0, 0);
    const init = await stuck.initProducerId('tx', 60_000);
    await stuck.addPartitionsToTransaction('tx', init.producerId, 0, [tp]);
    expect(await stuck.handleEndTransaction('tx', init.producerId, 0, true)).toBe(ErrorCode.NONE);
    expect([...verifyTransactionalProduce(stuck, 'tx', init.producerId, 0, [tp])]).toEqual([[tp, ErrorCode.NOT_ENOUGH_REPLICAS]]);
    stuck.shutdown();
    coordinator.shutdown();
  });
});

describe('Produce verifies a transaction’s first batch on a partition with the coordinator (KIP-890 part 1)', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  const transactionalBatch = (producerId: bigint, producerEpoch: number, baseSequence: number) =>
    buildRecordBatch({
      isTransactional: true,
      producerId,
      producerEpoch,
      baseSequence,
      records: [{ timestamp: 1_700_000_000_000n, key: null, value: Buffer.from(`seq ${baseSequence}`) }],
    });

  async function produce(partition: number, records: Buffer) {
    const response = await harness.call(ApiKey.Produce, 9, {
      transactionalId: 'tx' as TransactionalId,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'orders' as TopicName, partitionData: [{ index: partition, records }] }],
    });
    return response.responses[0]!.partitionResponses[0]!;
  }

  async function transactionalProducer(config: Record<string, string> = {}) {
    harness = await openHarness(config);
    await createTopic(harness, 'orders', 2);
    await transactionCoordinatorReady(harness, 'tx');
    const init = await harness.call(ApiKey.InitProducerId, 4, { transactionalId: 'tx' as TransactionalId, transactionTimeoutMs: 60_000, producerId: -1n as ProducerId, producerEpoch: -1 });
    expect(init.errorCode).toBe(ErrorCode.NONE);
    return init;
  }

  const addPartition = (producerId: bigint, producerEpoch: number, partition: number) =>
    harness.call(ApiKey.AddPartitionsToTxn, 3, {
      transactions: [],
      v3AndBelowTransactionalId: 'tx' as TransactionalId,
      v3AndBelowProducerId: producerId as ProducerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: 'orders' as TopicName, partitions: [partition] }],
    });

  it('refuses a partition never added to the transaction with INVALID_TXN_STATE and writes nothing; an added one takes every batch', async () => {
    const { producerId, producerEpoch } = await transactionalProducer();
    const refused = await produce(1, transactionalBatch(producerId, producerEpoch, 0));
    expect([refused.errorCode, refused.baseOffset, refused.logStartOffset]).toEqual([ErrorCode.INVALID_TXN_STATE, -1n, -1n]);
    expect(harness.logs.partition('orders', 1)!.logEndOffset).toBe(0n);

    expect((await addPartition(producerId, producerEpoch, 0)).resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(ErrorCode.NONE);
    expect(await produce(0, transactionalBatch(producerId, producerEpoch, 0))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    // The transaction is open on the partition now: later batches are not asked about again.
    expect(harness.logs.partition('orders', 0)!.hasOngoingTransaction(producerId, producerEpoch)).toBe(true);
    expect(await produce(0, transactionalBatch(producerId, producerEpoch, 1))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1n });
  });

  it('answers a batch from a fenced epoch INVALID_PRODUCER_EPOCH before the log sees it', async () => {
    const first = await transactionalProducer();
    const second = await harness.call(ApiKey.InitProducerId, 4, { transactionalId: 'tx' as TransactionalId, transactionTimeoutMs: 60_000, producerId: -1n as ProducerId, producerEpoch: -1 });
    expect([second.producerId, second.producerEpoch]).toEqual([first.producerId, first.producerEpoch + 1]);
    expect((await produce(0, transactionalBatch(first.producerId, first.producerEpoch, 0))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(harness.logs.partition('orders', 0)!.logEndOffset).toBe(0n);
  });

  it('with transaction.partition.verification.enable=false, the batch is stored without asking', async () => {
    const { producerId, producerEpoch } = await transactionalProducer({ 'transaction.partition.verification.enable': 'false' });
    expect(await produce(1, transactionalBatch(producerId, producerEpoch, 0))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
  });
});
