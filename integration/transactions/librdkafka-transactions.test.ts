/**
 * confluent-kafka (librdkafka 2.x) in transactions. It speaks other versions than kafkajs: InitProducerId v4,
 * TxnOffsetCommit v3 (with the consumer's group metadata), Produce v10, Fetch v11+ (a proxy notes them).
 * Committed records reach its read_committed consumer and aborted ones never, read_uncommitted sees both, every
 * delivery report names the offset the record really has, and send_offsets_to_transaction commits the group's
 * offset only with a committed transaction. Passed against Kafka 3.9 first (TXN_BROKER=kafka).
 */
import path from 'node:path';
import { FaultProxy } from '../helpers/fault-proxy';
import { describeWithPeers, peerStatus } from '../helpers/peers';
import { runCommand } from '../helpers/processes';
import { createTopics, kafkaClient, rawFetch } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';

jest.setTimeout(brokerKind === 'kafka' ? 180_000 : 90_000);

const script = path.join(__dirname, 'librdkafka_transactions.py');

describeWithPeers(brokerPeers('confluent-kafka'), `confluent-kafka (librdkafka) transactions (against ${brokerKind})`, () => {
  let broker: TestBroker;
  // Clients reach the broker through a proxy that loses nothing here; it notes the API versions they use.
  let tap: FaultProxy;

  beforeAll(async () => {
    tap = new FaultProxy();
    broker = await startTestBroker({ advertisedPort: await tap.listen() });
    tap.forwardTo('127.0.0.1', broker.port);
    await createTopics(broker.bootstrap, [{ topic: 'librdkafka-txn' }]);
  }, 180_000);

  afterAll(async () => {
    await tap?.close();
    await broker?.close();
  });

  async function python(args: string[]): Promise<string> {
    const result = await runCommand(peerStatus('confluent-kafka').path, [script, ...args], { timeoutMs: 90_000 });
    if (result.code !== 0) throw new Error(`librdkafka_transactions.py ${args[0]} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  test('commit, abort, commit: delivery offsets, read_committed and read_uncommitted views, and offsets sent with the transactions', async () => {
    const output = await python(['produce', broker.bootstrap, 'librdkafka-txn', 'librdkafka-group']);
    const lines = output.trim().split('\n');
    expect(lines.at(-1)).toBe('done');
    const reports = lines.slice(0, -1).map((line) => JSON.parse(line) as { error: string | null; value: string; offset: number });
    expect(reports.map((r) => [r.error, r.value, r.offset])).toEqual([
      [null, 'c1-0', 0],
      [null, 'c1-1', 1],
      [null, 'c1-2', 2],
      [null, 'a2-0', 4],
      [null, 'a2-1', 5],
      [null, 'c3-0', 7],
      [null, 'c3-1', 8],
    ]);

    const committed = JSON.parse(await python(['consume', broker.bootstrap, 'librdkafka-txn', 'read_committed', 'c3-1']));
    expect(committed).toEqual([
      [0, 'c1-0'],
      [1, 'c1-1'],
      [2, 'c1-2'],
      [7, 'c3-0'],
      [8, 'c3-1'],
    ]);
    const uncommitted = JSON.parse(await python(['consume', broker.bootstrap, 'librdkafka-txn', 'read_uncommitted', 'c3-1']));
    expect(uncommitted).toEqual([
      [0, 'c1-0'],
      [1, 'c1-1'],
      [2, 'c1-2'],
      [4, 'a2-0'],
      [5, 'a2-1'],
      [7, 'c3-0'],
      [8, 'c3-1'],
    ]);

    const fetched = await rawFetch(broker.bootstrap, 'librdkafka-txn', 0, 1);
    expect(fetched.batches.filter((b) => b.isControl).map((b) => [b.baseOffset, b.content])).toEqual([
      [3, ['COMMIT']],
      [6, ['ABORT']],
      [9, ['COMMIT']],
    ]);
    expect(fetched.abortedTransactions).toEqual([{ producerId: fetched.batches[0].producerId, firstOffset: 4 }]);

    const versions = Object.fromEntries([...tap.versions].map(([key, set]) => [key, [...set].sort((a, b) => a - b)]));
    console.log(`[librdkafka] API versions used (key: versions): ${JSON.stringify(versions)}`);
    expect(versions[22]).toEqual([4]); // InitProducerId
    expect(versions[28]).toEqual([3]); // TxnOffsetCommit

    // The aborted transaction's offset (5) never took; the committed one's (7) did.
    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: 'librdkafka-group', topics: ['librdkafka-txn'] });
      expect(offsets.partitions[0].offset).toBe('7');
    } finally {
      await admin.disconnect();
    }
  });
});
