import { ErrorCode } from '@tributary/protocol';
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
