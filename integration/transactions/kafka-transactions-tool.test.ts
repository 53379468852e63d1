/**
 * Kafka's kafka-transactions.sh (3.9) reads live transactions as an operator would: `list` (ListTransactions
 * on every broker), `describe --transactional-id` (FindCoordinator for the transaction, DescribeTransactions)
 * and `describe-producers` (DescribeProducers on the partition's leader), for a transaction left open by a
 * kafkajs producer and one that committed. Passed against Kafka 3.9 first.
 */
import type { Producer, Transaction } from 'kafkajs';
import { runKafkaTool } from '../helpers/kafka-tools';
import { describeWithPeers } from '../helpers/peers';
import { createTopics, kafkaClient, latestOffset, rawFetch } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';

jest.setTimeout(brokerKind === 'kafka' ? 180_000 : 120_000);

const TIMEOUT_MS = 45_000;

describeWithPeers(brokerPeers('kafka-tools'), `kafka-transactions.sh (against ${brokerKind})`, () => {
  let broker: TestBroker;
  const producers: Producer[] = [];
  let open: Transaction;
  let openProducerId: string;
  let doneProducerId: string;
  let openStartTimeMs: string;

  async function tool(args: string[]): Promise<Record<string, string>[]> {
    const result = await runKafkaTool('kafka-transactions.sh', ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 90_000 });
    if (result.code !== 0) throw new Error(`kafka-transactions.sh ${args.join(' ')} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return table(result.stdout);
  }

  /** prettyPrintTable's rows as {column: value}; no value the tests read contains a space. */
  function table(output: string): Record<string, string>[] {
    const [header, ...rows] = output.split('\n').filter((line) => line.trim() !== '');
    if (header === undefined) return [];
    const columns = header.trim().split(/\s+/);
    return rows.map((line) => {
      const values = line.trim().split(/\s+/);
      return Object.fromEntries(columns.map((column, i) => [column, values[i] ?? '']));
    });
  }

  async function producer(transactionalId: string): Promise<Producer> {
    const p = kafkaClient(broker.bootstrap, transactionalId).producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: TIMEOUT_MS });
    producers.push(p);
    await p.connect();
    return p;
  }

  beforeAll(async () => {
    broker = await startTestBroker();
    await createTopics(broker.bootstrap, [{ topic: 'tools-txn', numPartitions: 2 }, { topic: 'tools-hanging' }]);
    // One transaction that committed (partition 0: records 0-1, COMMIT at 2)...
    const done = await producer('tools-done');
    const txn = await done.transaction();
    await txn.send({ topic: 'tools-txn', messages: [{ partition: 0, value: 'done-0' }, { partition: 0, value: 'done-1' }] });
    await txn.commit();
    // ...and one left open on both partitions (partition 0 from offset 3, partition 1 from offset 0).
    open = await (await producer('tools-live')).transaction();
    await open.send({ topic: 'tools-txn', messages: [{ partition: 0, value: 'live-p0' }, { partition: 1, value: 'live-p1' }] });

    const batches = (await rawFetch(broker.bootstrap, 'tools-txn', 0, 0)).batches;
    doneProducerId = String(batches[0].producerId);
    openProducerId = String(batches[batches.length - 1].producerId);
    expect(doneProducerId).not.toBe(openProducerId);
  }, 180_000);

  afterAll(async () => {
    for (const p of producers) await p.disconnect().catch(() => undefined);
    await broker?.close();
  });

  test('list shows the open transaction as Ongoing and the finished one as CompleteCommit', async () => {
    const rows = await tool(['list']);
    const byId = new Map(rows.map((row) => [row.TransactionalId, row]));
    expect(byId.get('tools-live')).toEqual({ TransactionalId: 'tools-live', Coordinator: expect.stringMatching(/^\d+$/), ProducerId: openProducerId, TransactionState: 'Ongoing' });
    expect(byId.get('tools-done')).toEqual({ TransactionalId: 'tools-done', Coordinator: expect.stringMatching(/^\d+$/), ProducerId: doneProducerId, TransactionState: 'CompleteCommit' });
  });

  test('describe shows the open transaction: producer id and epoch, state, timeout, start time and partitions', async () => {
    const before = Date.now();
    const [row] = await tool(['describe', '--transactional-id', 'tools-live']);
    expect(row).toMatchObject({ TransactionalId: 'tools-live', ProducerId: openProducerId, ProducerEpoch: '0', TransactionState: 'Ongoing', TransactionTimeoutMs: String(TIMEOUT_MS) });
    expect(row.CoordinatorId).toMatch(/^\d+$/);
    // It started within this test file's run, a moment ago, not at 0 and not in the future.
    expect(Number(row.CurrentTransactionStartTimeMs)).toBeGreaterThan(before - 120_000);
    expect(Number(row.CurrentTransactionStartTimeMs)).toBeLessThanOrEqual(Date.now());
    expect(Number(row.TransactionDurationMs)).toBeGreaterThanOrEqual(0);
    expect(row.TopicPartitions.split(',').sort()).toEqual(['tools-txn-0', 'tools-txn-1']);
    openStartTimeMs = row.CurrentTransactionStartTimeMs;
  });

  test('describe-producers lists both producers of a partition, the open one with its transaction start offset', async () => {
    const rows = await tool(['describe-producers', '--topic', 'tools-txn', '--partition', '0']);
    const byId = new Map(rows.map((row) => [row.ProducerId, row]));
    expect(byId.size).toBe(2);
    // tools-done wrote records 0-1 (sequences 0-1) and committed; tools-live wrote one record at offset 3.
    expect(byId.get(doneProducerId)).toMatchObject({ ProducerEpoch: '0', LastSequence: '1', CurrentTransactionStartOffset: 'None' });
    expect(byId.get(doneProducerId)!.LatestCoordinatorEpoch).toMatch(/^\d+$/);
    expect(byId.get(openProducerId)).toMatchObject({ ProducerEpoch: '0', LastSequence: '0', CurrentTransactionStartOffset: '3' });
    for (const row of rows) expect(Number(row.LastTimestamp)).toBeGreaterThan(Date.now() - 300_000);

    const partition1 = await tool(['describe-producers', '--topic', 'tools-txn', '--partition', '1']);
    expect(partition1.map((row) => [row.ProducerId, row.CurrentTransactionStartOffset])).toEqual([[openProducerId, '0']]);
  });

  test('once committed, describe shows CompleteCommit with no partitions left and the producers no open transaction', async () => {
    await open.commit();
    const [row] = await tool(['describe', '--transactional-id', 'tools-live']);
    // As in Kafka, the finished transaction keeps its start time.
    expect(row).toMatchObject({ TransactionalId: 'tools-live', ProducerId: openProducerId, TransactionState: 'CompleteCommit', CurrentTransactionStartTimeMs: openStartTimeMs, TopicPartitions: '' });
    const producersAfter = await tool(['describe-producers', '--topic', 'tools-txn', '--partition', '1']);
    expect(producersAfter.map((r) => [r.ProducerId, r.CurrentTransactionStartOffset])).toEqual([[openProducerId, 'None']]);
  });

  test('abort --start-offset ends an open transaction on its partition with an ABORT marker; the last stable offset moves past it', async () => {
    const hanging = await (await producer('tools-hanging')).transaction();
    await hanging.send({ topic: 'tools-hanging', messages: [{ partition: 0, value: 'hanging' }] }); // offset 0
    expect(await latestOffset(broker.bootstrap, 'tools-hanging', 0, 1)).toBe(0);

    // The tool finds the producer by its transaction's start offset (DescribeProducers), then WriteTxnMarkers.
    expect(await tool(['abort', '--topic', 'tools-hanging', '--partition', '0', '--start-offset', '0'])).toEqual([]);
    expect(await latestOffset(broker.bootstrap, 'tools-hanging', 0, 1)).toBe(2);
    const fetched = await rawFetch(broker.bootstrap, 'tools-hanging', 0, 1);
    expect(fetched.batches.map((b) => [b.baseOffset, b.content])).toEqual([
      [0, ['hanging']],
      [1, ['ABORT']],
    ]);
    expect(fetched.abortedTransactions).toEqual([{ producerId: fetched.batches[0].producerId, firstOffset: 0 }]);
    const [row] = await tool(['describe-producers', '--topic', 'tools-hanging', '--partition', '0']);
    expect(row).toMatchObject({ ProducerId: String(fetched.batches[0].producerId), CurrentTransactionStartOffset: 'None' });
  });
});
