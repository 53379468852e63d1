import { ErrorCode } from '@tributary/protocol';
import { TransactionState } from '../src';
import { Harness, TXN_ID, flush } from './harness';

const TIMEOUT_MS = 60_000;
const TP0 = { topic: 'orders', partition: 0 };
const TP1 = { topic: 'orders', partition: 1 };

async function begin(h: Harness, transactionalId = TXN_ID) {
  const init = await h.coordinator.initProducerId(transactionalId, TIMEOUT_MS);
  expect(init.errorCode).toBe(ErrorCode.NONE);
  return init;
}

describe('InitProducerId', () => {
  it('gives idempotent producers distinct ids at epoch 0, across blocks, without waiting once the next block is prefetched', async () => {
    const h = new Harness({}, undefined, undefined);
    const ids = new Set<bigint>();
    for (let i = 0; i < 2500; i++) {
      const result = await h.coordinator.initProducerId(null, 0);
      expect(result.errorCode).toBe(ErrorCode.NONE);
      expect(result.producerEpoch).toBe(0);
      ids.add(result.producerId);
    }
    expect(ids.size).toBe(2500);
    expect([...ids].every((id) => id >= 0n && id < 3000n)).toBe(true);
    // Three blocks for 2 500 ids: the third was fetched ahead, at 90 % of the second.
    expect(h.blocks.calls).toBe(3);
  });

  it('answers the block source failure code to an idempotent producer', async () => {
    const h = new Harness();
    h.blocks.failWith = Object.assign(new Error('metadata unavailable'), { code: ErrorCode.COORDINATOR_NOT_AVAILABLE });
    expect(await h.coordinator.initProducerId(null, 0)).toEqual({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 });
    h.blocks.failWith = undefined;
    expect((await h.coordinator.initProducerId(null, 0)).errorCode).toBe(ErrorCode.NONE);
  });

  it('refuses an empty transactional id and a timeout above transaction.max.timeout.ms', async () => {
    const h = new Harness({ transactionMaxTimeoutMs: 1000 });
    await h.loadAll();
    expect((await h.coordinator.initProducerId('', 100)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await h.coordinator.initProducerId(TXN_ID, 1001)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await h.coordinator.initProducerId(TXN_ID, 0)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it('answers NOT_COORDINATOR for a partition led elsewhere and COORDINATOR_LOAD_IN_PROGRESS while loading', async () => {
    const h = new Harness();
    expect((await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const load = h.coordinator.loadPartition(h.coordinator.partitionFor(TXN_ID), 0);
    expect((await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS)).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await load;
    expect((await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS)).errorCode).toBe(ErrorCode.NONE);
  });

  it('creates a transactional id at epoch 0, then bumps the epoch for each new producer instance, writing each state first', async () => {
    const h = new Harness();
    await h.loadAll();
    const first = await begin(h);
    expect(first.producerEpoch).toBe(0);
    const second = await begin(h);
    expect(second).toEqual({ errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 1 });
    expect(h.records(TXN_ID)).toEqual([
      { state: TransactionState.Empty, producerId: first.producerId, producerEpoch: 0, partitions: [] },
      { state: TransactionState.Empty, producerId: first.producerId, producerEpoch: 1, partitions: [] },
    ]);
  });

  it('KIP-360: the current producer bumps its own epoch, a lost answer is retried idempotently, an older producer is fenced', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    const bumped = await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS, { producerId, producerEpoch: 0 });
    expect(bumped).toEqual({ errorCode: ErrorCode.NONE, producerId, producerEpoch: 1 });
    // The same request again (its answer was lost): the current epoch, not another bump.
    expect(await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS, { producerId, producerEpoch: 0 })).toEqual({ errorCode: ErrorCode.NONE, producerId, producerEpoch: 1 });
    // A new instance (no id given) resets the last epoch, so the old one's retry is now fenced.
    await begin(h);
    expect((await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS, { producerId, producerEpoch: 1 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS, { producerId: producerId + 7n, producerEpoch: 2 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('moves to a new producer id at epoch 0 once the epoch is exhausted', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    const metadata = h.coordinator.stateManager.getTransactionState(TXN_ID);
    if (!('coordinatorEpoch' in metadata) || metadata.metadata === undefined) throw new Error('no metadata');
    metadata.metadata.producerEpoch = 32766;
    // The producer recovering itself (KIP-360) at the exhausted epoch gets a new producer id.
    const rotated = await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS, { producerId, producerEpoch: 32766 });
    expect(rotated.errorCode).toBe(ErrorCode.NONE);
    expect(rotated.producerId).not.toBe(producerId);
    expect(rotated.producerEpoch).toBe(0);
    // Its answer was lost: the same request again gets the same new id and epoch, not another rotation.
    expect(await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS, { producerId, producerEpoch: 32766 })).toEqual(rotated);
    // A new instance (no id given) at an exhausted epoch rotates too, and no longer remembers the old epoch.
    metadata.metadata.producerEpoch = 32766;
    const again = await begin(h);
    expect(again.producerId).not.toBe(rotated.producerId);
    expect(again.producerEpoch).toBe(0);
    expect((await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS, { producerId: rotated.producerId, producerEpoch: 32766 })).errorCode).toBe(
      ErrorCode.PRODUCER_FENCED,
    );
  });

  it('fences an ongoing transaction: aborts it under a bumped epoch, answers CONCURRENT_TRANSACTIONS, then the retry gets the next epoch', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0])).toBe(ErrorCode.NONE);
    expect(await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS)).toEqual({ errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, producerId: -1n, producerEpoch: -1 });
    await flush();
    expect(h.sink.requests).toEqual([{ producerId, producerEpoch: 1, coordinatorEpoch: 0, committed: false, partitions: [TP0] }]);
    expect(await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS)).toEqual({ errorCode: ErrorCode.NONE, producerId, producerEpoch: 2 });
    // The fenced producer's commit is refused.
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(h.records(TXN_ID).map((r) => r && [r.state, r.producerEpoch])).toEqual([
      [TransactionState.Empty, 0],
      [TransactionState.Ongoing, 0],
      [TransactionState.PrepareAbort, 1],
      [TransactionState.CompleteAbort, 1],
      [TransactionState.Empty, 2],
    ]);
  });
});

describe('AddPartitionsToTxn and EndTxn', () => {
  it('checks the producer: unknown id, other producer id, stale epoch', async () => {
    const h = new Harness();
    await h.loadAll();
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, 5n, 0, [TP0])).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    const { producerId } = await begin(h);
    await begin(h);
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId + 1n, 1, [TP0])).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0])).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await h.coordinator.addPartitionsToTransaction('', producerId, 1, [TP0])).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('commits: Ongoing with the partitions, PrepareCommit, markers to every partition, CompleteCommit; a retried commit succeeds', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0])).toBe(ErrorCode.NONE);
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0, TP1])).toBe(ErrorCode.NONE);
    const writes = h.records(TXN_ID).length;
    // Already in the transaction: answered without a write.
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP1])).toBe(ErrorCode.NONE);
    expect(h.records(TXN_ID)).toHaveLength(writes);

    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.NONE);
    await flush();
    expect(h.sink.requests).toEqual([{ producerId, producerEpoch: 0, coordinatorEpoch: 0, committed: true, partitions: [TP0, TP1] }]);
    expect(h.records(TXN_ID).map((r) => r && [r.state, r.partitions])).toEqual([
      [TransactionState.Empty, []],
      [TransactionState.Ongoing, ['orders-0']],
      [TransactionState.Ongoing, ['orders-0', 'orders-1']],
      [TransactionState.PrepareCommit, ['orders-0', 'orders-1']],
      [TransactionState.CompleteCommit, []],
    ]);
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.NONE);
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, false)).toBe(ErrorCode.INVALID_TXN_STATE);
    // The next transaction starts from CompleteCommit.
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP1])).toBe(ErrorCode.NONE);
    expect(h.coordinator.describeTransaction(TXN_ID).topics).toEqual([{ topic: 'orders', partitions: [1] }]);
  });

  it('answers EndTxn as Kafka does in every state', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId + 1n, 0, true)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect(await h.coordinator.handleEndTransaction('other', producerId, 0, true)).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0]);
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 1, true)).toBe(ErrorCode.PRODUCER_FENCED);
    // Markers that do not get through keep the transaction in PrepareAbort.
    h.sink.errorFor = () => ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, false)).toBe(ErrorCode.NONE);
    await flush();
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, false)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP1])).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS)).toMatchObject({ errorCode: ErrorCode.CONCURRENT_TRANSACTIONS });
    expect(h.coordinator.describeTransaction(TXN_ID).transactionState).toBe('PrepareAbort');
    // The partition's leader is back: the retry writes the marker and the abort completes.
    h.sink.errorFor = () => ErrorCode.NONE;
    h.scheduler.advance(100);
    await flush();
    expect(h.sink.requests.length).toBe(2);
    expect(h.coordinator.describeTransaction(TXN_ID).transactionState).toBe('CompleteAbort');
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, false)).toBe(ErrorCode.NONE);
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('drops the marker of a deleted partition, and stops when the partition says this coordinator is fenced', async () => {
    const h = new Harness();
    h.coordinator.shutdown();
    const { TransactionCoordinator, ProducerIdManager } = await import('../src');
    h.coordinator = new TransactionCoordinator({
      log: h.log,
      scheduler: h.scheduler,
      producerIds: new ProducerIdManager(h.blocks),
      markers: h.sink,
      partitionExists: (topic) => topic !== 'deleted',
    });
    h.coordinator.startup();
    await h.loadAll();
    const { producerId } = await begin(h);
    await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0, { topic: 'deleted', partition: 0 }]);
    h.sink.errorFor = (topic) => (topic === 'deleted' ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE);
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.NONE);
    await flush();
    expect(h.coordinator.describeTransaction(TXN_ID).transactionState).toBe('CompleteCommit');

    await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0]);
    h.sink.errorFor = () => ErrorCode.TRANSACTION_COORDINATOR_FENCED;
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.NONE);
    await flush();
    h.scheduler.advance(10_000);
    await flush();
    expect(h.sink.requests.length).toBe(2);
    expect(h.coordinator.markerChannel.pendingTransactionalIds).toEqual([]);
  });

  it('retries the markers when the marker writer itself fails, and completes once it works', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0]);
    const write = h.sink.writeMarkers.bind(h.sink);
    let failures = 1;
    h.sink.writeMarkers = async (request) => {
      if (failures-- > 0) throw new Error('writer broke');
      return write(request);
    };
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, false)).toBe(ErrorCode.NONE);
    await flush();
    expect(h.coordinator.describeTransaction(TXN_ID).transactionState).toBe('PrepareAbort');
    h.scheduler.advance(100);
    await flush();
    expect(h.coordinator.describeTransaction(TXN_ID).transactionState).toBe('CompleteAbort');
  });

  it('verify-only AddPartitionsToTxn (v4+) reports which partitions are in the ongoing transaction', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0]);
    const verified = h.coordinator.verifyPartitionsInTransaction(TXN_ID, producerId, 0, [TP0, TP1]);
    expect([...verified.values()]).toEqual([ErrorCode.NONE, ErrorCode.TRANSACTION_ABORTABLE]);
    expect([...h.coordinator.verifyPartitionsInTransaction(TXN_ID, producerId, 1, [TP0]).values()]).toEqual([ErrorCode.PRODUCER_FENCED]);
    expect([...h.coordinator.verifyPartitionsInTransaction('nobody', 1n, 0, [TP0]).values()]).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
  });

  it('maps a failed state write as Kafka does and leaves no transition pending', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    h.log.failNextAppends = { count: 1, error: Object.assign(new Error('no leader'), { code: ErrorCode.NOT_LEADER_OR_FOLLOWER }) };
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0])).toBe(ErrorCode.NOT_COORDINATOR);
    h.log.failNextAppends = { count: 1, error: Object.assign(new Error('timeout'), { code: ErrorCode.REQUEST_TIMED_OUT }) };
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0])).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0])).toBe(ErrorCode.NONE);
  });
});

describe('timeouts, expiry and recovery', () => {
  it('aborts a transaction older than its timeout, fencing its producer', async () => {
    const h = new Harness({ abortTimedOutTransactionsIntervalMs: 1000 });
    await h.loadAll();
    const { producerId } = await h.coordinator.initProducerId(TXN_ID, 5000);
    await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0]);
    h.scheduler.advance(5000);
    await flush();
    expect(h.sink.requests).toEqual([]);
    h.scheduler.advance(1000);
    await flush();
    expect(h.sink.requests).toEqual([{ producerId, producerEpoch: 1, coordinatorEpoch: 0, committed: false, partitions: [TP0] }]);
    expect(h.coordinator.describeTransaction(TXN_ID)).toMatchObject({ transactionState: 'CompleteAbort', producerEpoch: 1 });
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it('expires settled ids idle for transactional.id.expiration.ms with a tombstone, but never an ongoing one', async () => {
    const h = new Harness({ transactionalIdExpirationMs: 10_000, removeExpiredTransactionalIdsIntervalMs: 1000, transactionMaxTimeoutMs: 900_000 });
    await h.loadAll();
    await begin(h, 'idle');
    const busy = await h.coordinator.initProducerId('busy', 900_000);
    await h.coordinator.addPartitionsToTransaction('busy', busy.producerId, 0, [TP0]);
    h.scheduler.advance(11_000);
    await flush();
    expect(h.coordinator.describeTransaction('idle').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    expect(h.records('idle').at(-1)).toBeNull();
    expect(h.coordinator.describeTransaction('busy').transactionState).toBe('Ongoing');
    // The tombstone holds across a restart.
    await h.restart();
    expect(h.coordinator.describeTransaction('idle').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    expect(h.coordinator.describeTransaction('busy').transactionState).toBe('Ongoing');
  });

  it('after a restart, rebuilds every id and finishes a transaction left in PrepareCommit by writing its markers', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0, TP1]);
    const other = await begin(h, 'other');
    await h.coordinator.addPartitionsToTransaction('other', other.producerId, 0, [TP1]);
    // The markers never get through before the "crash".
    h.sink.errorFor = () => ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.NONE);
    await flush();
    h.sink.errorFor = () => ErrorCode.NONE;
    h.sink.requests.length = 0;
    await h.restart(1);
    await flush();
    expect(h.sink.requests).toEqual([{ producerId, producerEpoch: 0, coordinatorEpoch: 1, committed: true, partitions: [TP0, TP1] }]);
    expect(h.coordinator.describeTransaction(TXN_ID).transactionState).toBe('CompleteCommit');
    expect(h.coordinator.describeTransaction('other')).toMatchObject({ transactionState: 'Ongoing', producerId: other.producerId, topics: [{ topic: 'orders', partitions: [1] }] });
    // The reloaded producer continues; a new instance after the restart gets the next epoch.
    expect(await h.coordinator.handleEndTransaction('other', other.producerId, 0, false)).toBe(ErrorCode.NONE);
    expect(await h.coordinator.initProducerId(TXN_ID, TIMEOUT_MS)).toEqual({ errorCode: ErrorCode.NONE, producerId, producerEpoch: 1 });
  });

  it('a second load of a partition at the same epoch keeps its transactions and their marker phases', async () => {
    const h = new Harness();
    await h.loadAll();
    const { producerId } = await begin(h);
    await h.coordinator.addPartitionsToTransaction(TXN_ID, producerId, 0, [TP0]);
    h.sink.errorFor = () => ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(await h.coordinator.handleEndTransaction(TXN_ID, producerId, 0, true)).toBe(ErrorCode.NONE);
    await flush();
    await h.coordinator.loadPartition(h.coordinator.partitionFor(TXN_ID), 0);
    expect(h.coordinator.markerChannel.pendingTransactionalIds).toEqual([TXN_ID]);
    h.sink.errorFor = () => ErrorCode.NONE;
    h.scheduler.advance(100);
    await flush();
    expect(h.coordinator.describeTransaction(TXN_ID).transactionState).toBe('CompleteCommit');
  });
});

describe('DescribeTransactions and ListTransactions', () => {
  it('describes a transaction and lists ids with the state, producer id and duration filters', async () => {
    const h = new Harness();
    await h.loadAll();
    const a = await begin(h, 'a');
    const b = await begin(h, 'b');
    await h.coordinator.addPartitionsToTransaction('a', a.producerId, 0, [TP0]);
    const startMs = h.scheduler.nowMs();
    h.scheduler.advance(5000);
    expect(h.coordinator.describeTransaction('a')).toEqual({
      errorCode: ErrorCode.NONE,
      transactionalId: 'a',
      transactionState: 'Ongoing',
      transactionTimeoutMs: TIMEOUT_MS,
      transactionStartTimeMs: BigInt(startMs),
      producerId: a.producerId,
      producerEpoch: 0,
      topics: [{ topic: 'orders', partitions: [0] }],
    });
    expect(h.coordinator.describeTransaction('missing').errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    expect(h.coordinator.describeTransaction('').errorCode).toBe(ErrorCode.INVALID_REQUEST);

    const list = (producerIds: bigint[], states: string[], duration = -1n) =>
      h.coordinator.listTransactions(new Set(producerIds), states, duration);
    const ids = (result: ReturnType<typeof list>) => result.transactionStates.map((t) => t.transactionalId).sort();
    expect(ids(list([], []))).toEqual(['a', 'b']);
    expect(list([], ['Ongoing', 'Bogus'])).toEqual({
      errorCode: ErrorCode.NONE,
      unknownStateFilters: ['Bogus'],
      transactionStates: [{ transactionalId: 'a', producerId: a.producerId, transactionState: 'Ongoing' }],
    });
    expect(ids(list([b.producerId], []))).toEqual(['b']);
    // Running for more than 4 s: only the transaction started 5 s ago ('b' never started, start -1 is long ago).
    expect(ids(list([], ['Ongoing'], 4000n))).toEqual(['a']);
    expect(ids(list([], ['Ongoing'], 6000n))).toEqual([]);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS while a partition loads and COORDINATOR_NOT_AVAILABLE once shut down', async () => {
    const h = new Harness();
    const load = h.coordinator.loadPartition(3, 0);
    expect(h.coordinator.listTransactions(new Set(), [], -1n).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    await load;
    expect(h.coordinator.listTransactions(new Set(), [], -1n).errorCode).toBe(ErrorCode.NONE);
    h.coordinator.shutdown();
    expect(h.coordinator.listTransactions(new Set(), [], -1n).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(h.coordinator.describeTransaction(TXN_ID).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
