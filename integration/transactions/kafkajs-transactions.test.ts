/**
 * kafkajs transactions, read back the way real consumers read them: a read_committed consumer sees committed
 * records and never aborted ones, a read_uncommitted consumer sees both, and neither sees the COMMIT/ABORT
 * markers, each of which still takes an offset of its own. A raw Fetch shows what the clients hide: the last
 * stable offset, the aborted-transactions list, the control batches. Passed against Kafka 3.9 first
 * (TXN_BROKER=kafka); see test-broker.ts.
 */
import type { Producer } from 'kafkajs';
import { describeWithPeers } from '../helpers/peers';
import { createTopics, kafkaClient, latestOffset, rawFetch, readTopic } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';

jest.setTimeout(brokerKind === 'kafka' ? 180_000 : 90_000);

describeWithPeers(brokerPeers(), `kafkajs transactions (against ${brokerKind})`, () => {
  let broker: TestBroker;
  const producers: Producer[] = [];

  beforeAll(async () => {
    // Timed-out transactions are looked for every half second (Kafka's default is 10 s).
    broker = await startTestBroker({ settings: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 500 } });
    await createTopics(broker.bootstrap, [
      { topic: 'txn-timeout' },
      { topic: 'txn-visibility' },
      { topic: 'txn-open' },
      { topic: 'txn-two-partitions', numPartitions: 2 },
      { topic: 'txn-offsets' },
      { topic: 'txn-fencing' },
    ]);
  }, 180_000);

  afterAll(async () => {
    for (const producer of producers) await producer.disconnect().catch(() => undefined);
    await broker?.close();
  });

  async function transactionalProducer(transactionalId: string, transactionTimeout = 60_000): Promise<Producer> {
    const producer = kafkaClient(broker.bootstrap, transactionalId).producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout });
    producers.push(producer);
    await producer.connect();
    return producer;
  }

  async function transaction(producer: Producer, topic: string, values: string[], outcome: 'commit' | 'abort', partition = 0): Promise<void> {
    const txn = await producer.transaction();
    await txn.send({ topic, messages: values.map((value) => ({ partition, value })) });
    await (outcome === 'commit' ? txn.commit() : txn.abort());
  }

  test('committed records reach read_committed readers and aborted ones never; read_uncommitted sees both; each marker takes one offset', async () => {
    const producer = await transactionalProducer('visibility');
    await transaction(producer, 'txn-visibility', ['c1-0', 'c1-1', 'c1-2'], 'commit'); // offsets 0-2, COMMIT at 3
    await transaction(producer, 'txn-visibility', ['a2-0', 'a2-1'], 'abort'); // offsets 4-5, ABORT at 6
    await transaction(producer, 'txn-visibility', ['c3-0', 'c3-1'], 'commit'); // offsets 7-8, COMMIT at 9

    const committed = await readTopic(broker.bootstrap, 'txn-visibility', { until: (records) => records.some((r) => r.value === 'c3-1') });
    expect(committed.map((r) => [r.offset, r.value])).toEqual([
      [0, 'c1-0'],
      [1, 'c1-1'],
      [2, 'c1-2'],
      [7, 'c3-0'],
      [8, 'c3-1'],
    ]);
    const uncommitted = await readTopic(broker.bootstrap, 'txn-visibility', { readUncommitted: true, until: (records) => records.some((r) => r.value === 'c3-1') });
    expect(uncommitted.map((r) => [r.offset, r.value])).toEqual([
      [0, 'c1-0'],
      [1, 'c1-1'],
      [2, 'c1-2'],
      [4, 'a2-0'],
      [5, 'a2-1'],
      [7, 'c3-0'],
      [8, 'c3-1'],
    ]);

    // What the consumers were given: every batch, markers included, and the aborted transaction named.
    const fetched = await rawFetch(broker.bootstrap, 'txn-visibility', 0, 1);
    expect(fetched.errorCode).toBe(0);
    expect(fetched.highWatermark).toBe(10);
    expect(fetched.lastStableOffset).toBe(10);
    const producerId = fetched.batches[0].producerId;
    expect(producerId).toBeGreaterThanOrEqual(0n);
    expect(fetched.batches.map((b) => [b.baseOffset, b.lastOffset, b.isTransactional, b.isControl, b.content])).toEqual([
      [0, 2, true, false, ['c1-0', 'c1-1', 'c1-2']],
      [3, 3, true, true, ['COMMIT']],
      [4, 5, true, false, ['a2-0', 'a2-1']],
      [6, 6, true, true, ['ABORT']],
      [7, 8, true, false, ['c3-0', 'c3-1']],
      [9, 9, true, true, ['COMMIT']],
    ]);
    expect(fetched.batches.every((b) => b.producerId === producerId)).toBe(true);
    expect(fetched.abortedTransactions).toEqual([{ producerId, firstOffset: 4 }]);
    // read_uncommitted gets no aborted list: its readers keep everything.
    const fetchedUncommitted = await rawFetch(broker.bootstrap, 'txn-visibility', 0, 0);
    expect(fetchedUncommitted.abortedTransactions).toBeNull();
    expect(fetchedUncommitted.batches).toHaveLength(6);
  });

  test('an open transaction holds the last stable offset at its first record until it commits', async () => {
    const producer = await transactionalProducer('open');
    await transaction(producer, 'txn-open', ['before'], 'commit'); // offset 0, COMMIT at 1
    const txn = await producer.transaction();
    await txn.send({ topic: 'txn-open', messages: [{ partition: 0, value: 'open-0' }, { partition: 0, value: 'open-1' }] }); // offsets 2-3

    expect(await latestOffset(broker.bootstrap, 'txn-open', 0, 0)).toBe(4);
    expect(await latestOffset(broker.bootstrap, 'txn-open', 0, 1)).toBe(2);
    const whileOpen = await rawFetch(broker.bootstrap, 'txn-open', 0, 1);
    expect([whileOpen.highWatermark, whileOpen.lastStableOffset]).toEqual([4, 2]);
    // read_committed is served up to the last stable offset only: the open transaction's batch is not sent.
    expect(whileOpen.batches.map((b) => b.baseOffset)).toEqual([0, 1]);
    const uncommittedWhileOpen = await rawFetch(broker.bootstrap, 'txn-open', 0, 0);
    expect(uncommittedWhileOpen.batches.map((b) => b.baseOffset)).toEqual([0, 1, 2]);

    await txn.commit(); // COMMIT at 4
    expect(await latestOffset(broker.bootstrap, 'txn-open', 0, 1)).toBe(5);
    const after = await readTopic(broker.bootstrap, 'txn-open', { until: (records) => records.length >= 3 });
    expect(after.map((r) => [r.offset, r.value])).toEqual([
      [0, 'before'],
      [2, 'open-0'],
      [3, 'open-1'],
    ]);
  });

  test('one transaction over two partitions commits on both, or aborts on both', async () => {
    const producer = await transactionalProducer('two-partitions');
    const send = async (prefix: string, outcome: 'commit' | 'abort') => {
      const txn = await producer.transaction();
      await txn.send({ topic: 'txn-two-partitions', messages: [0, 1].map((partition) => ({ partition, value: `${prefix}-p${partition}` })) });
      await (outcome === 'commit' ? txn.commit() : txn.abort());
    };
    await send('aborted', 'abort');
    await send('committed', 'commit');
    const committed = await readTopic(broker.bootstrap, 'txn-two-partitions', { until: (records) => records.filter((r) => r.value.startsWith('committed')).length === 2 });
    expect(committed.map((r) => [r.partition, r.offset, r.value])).toEqual([
      [0, 2, 'committed-p0'],
      [1, 2, 'committed-p1'],
    ]);
    for (const partition of [0, 1]) {
      const fetched = await rawFetch(broker.bootstrap, 'txn-two-partitions', partition, 1);
      expect(fetched.batches.map((b) => [b.baseOffset, b.content])).toEqual([
        [0, [`aborted-p${partition}`]],
        [1, ['ABORT']],
        [2, [`committed-p${partition}`]],
        [3, ['COMMIT']],
      ]);
    }
  });

  test("sendOffsets commits the group's offsets with the transaction, and not when it aborts", async () => {
    const producer = await transactionalProducer('offsets');
    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      const committedOffset = async () => (await admin.fetchOffsets({ groupId: 'txn-offsets-group', topics: ['txn-offsets'] }))[0].partitions[0].offset;
      const withOffsets = async (value: string, offset: string, outcome: 'commit' | 'abort') => {
        const txn = await producer.transaction();
        await txn.send({ topic: 'txn-offsets', messages: [{ partition: 0, value }] });
        await txn.sendOffsets({ consumerGroupId: 'txn-offsets-group', topics: [{ topic: 'txn-offsets', partitions: [{ partition: 0, offset }] }] });
        await (outcome === 'commit' ? txn.commit() : txn.abort());
      };
      await withOffsets('aborted', '5', 'abort');
      expect(await committedOffset()).toBe('-1');
      await withOffsets('committed', '7', 'commit');
      expect(await committedOffset()).toBe('7');
      await withOffsets('aborted-again', '9', 'abort');
      expect(await committedOffset()).toBe('7');
    } finally {
      await admin.disconnect();
    }
  });

  test("a new producer with the same transactional id fences the old one and aborts the old one's open transaction", async () => {
    const zombie = await transactionalProducer('fenced');
    const zombieTxn = await zombie.transaction();
    await zombieTxn.send({ topic: 'txn-fencing', messages: [{ partition: 0, value: 'zombie' }] });

    // InitProducerId for the same id bumps the epoch and aborts the transaction the zombie left open.
    const successor = await transactionalProducer('fenced');
    await transaction(successor, 'txn-fencing', ['successor'], 'commit');

    await expect(zombieTxn.commit()).rejects.toThrow(/fenced|epoch/i);
    const committed = await readTopic(broker.bootstrap, 'txn-fencing', { until: (records) => records.some((r) => r.value === 'successor') });
    expect(committed.map((r) => [r.offset, r.value])).toEqual([[2, 'successor']]);
    const fetched = await rawFetch(broker.bootstrap, 'txn-fencing', 0, 1);
    expect(fetched.batches.map((b) => [b.baseOffset, b.content])).toEqual([
      [0, ['zombie']],
      [1, ['ABORT']],
      [2, ['successor']],
      [3, ['COMMIT']],
    ]);
    expect(fetched.abortedTransactions).toEqual([{ producerId: fetched.batches[0].producerId, firstOffset: 0 }]);
  });

  test('a transaction left open past its timeout is aborted by the coordinator, which fences its producer', async () => {
    const producer = await transactionalProducer('timed-out', 2_000);
    const txn = await producer.transaction();
    await txn.send({ topic: 'txn-timeout', messages: [{ partition: 0, value: 'forgotten' }] }); // offset 0
    expect(await latestOffset(broker.bootstrap, 'txn-timeout', 0, 1)).toBe(0);

    // The producer goes quiet; once its 2 s are up the coordinator writes the ABORT marker (offset 1).
    const deadline = Date.now() + 30_000;
    while ((await latestOffset(broker.bootstrap, 'txn-timeout', 0, 1)) !== 2) {
      if (Date.now() > deadline) throw new Error('the timed-out transaction was never aborted: the last stable offset stays at 0');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const fetched = await rawFetch(broker.bootstrap, 'txn-timeout', 0, 1);
    expect(fetched.batches.map((b) => [b.baseOffset, b.content])).toEqual([
      [0, ['forgotten']],
      [1, ['ABORT']],
    ]);
    expect(fetched.abortedTransactions).toEqual([{ producerId: fetched.batches[0].producerId, firstOffset: 0 }]);
    // The abort bumped the epoch: the producer that let its transaction time out can no longer commit it.
    expect(fetched.batches[1].producerEpoch).toBeGreaterThan(fetched.batches[0].producerEpoch);
    await expect(txn.commit()).rejects.toThrow(/fenced|epoch/i);
  });
});
