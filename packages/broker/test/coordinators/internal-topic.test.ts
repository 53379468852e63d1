/**
 * The coordinators' shared broker wiring over an internal topic, against standalone metadata and real partition
 * logs in a temp dir: the CoordinatorLog's appends and replays, and the creation of the topic from its spec.
 * `__transaction_state` is used because the group side's behaviour is also covered through the handlers
 * (test/transactions/txn-handlers.test.ts replays a marker written during a `__consumer_offsets` load).
 */
import { ErrorCode, TributaryError, buildRecordBatch, iterateRecordSet, readBatchHeader } from '@tributary/protocol';
import { TRANSACTION_STATE_TOPIC } from '@tributary/txn-coordinator';
import { silentLogger } from '../../src/logger';
import { InternalTopicCreator } from '../../src/coordinators/internal-topic-creator';
import { InternalTopicLog } from '../../src/coordinators/internal-topic-log';
import { transactionStateTopicSpec } from '../../src/transactions/transaction-state-topic';
import { Harness, openHarness } from '../harness';

function batch(value: string): Buffer {
  return buildRecordBatch({ records: [{ timestamp: 1n, key: Buffer.from('k'), value: Buffer.from(value) }] });
}

function baseOffsets(chunk: Buffer): bigint[] {
  return [...iterateRecordSet(chunk)].map((entry) => readBatchHeader(entry.bytes).baseOffset);
}

describe('InternalTopicLog', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  async function withTopic(): Promise<InternalTopicLog> {
    harness = await openHarness();
    const outcome = await harness.metadata.createTopic(
      { name: TRANSACTION_STATE_TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: new Map() },
      { validateOnly: false },
    );
    expect(outcome.errorCode).toBe(ErrorCode.NONE);
    await harness.settled();
    return new InternalTopicLog({ topic: TRANSACTION_STATE_TOPIC, logs: harness.logs, metadata: harness.metadata });
  }

  test('appends as the coordinator, at the next offset, stamped with the partition leader epoch', async () => {
    const log = await withTopic();
    expect(await log.append(0, batch('a'))).toBe(0n);
    expect(await log.append(0, batch('b'))).toBe(1n);
    const leaderEpoch = harness.metadata.topic(TRANSACTION_STATE_TOPIC)!.partitions[0]!.leaderEpoch;
    const chunks: Buffer[] = [];
    for await (const chunk of log.read(0, 0n)) chunks.push(chunk);
    const headers = chunks.flatMap((chunk) => [...iterateRecordSet(chunk)].map((entry) => readBatchHeader(entry.bytes)));
    expect(headers.map((header) => [header.baseOffset, header.partitionLeaderEpoch])).toEqual([
      [0n, leaderEpoch],
      [1n, leaderEpoch],
    ]);
  });

  test('a replay looks at the log end again after each chunk: a batch appended meanwhile is replayed', async () => {
    const log = await withTopic();
    await log.append(0, batch('before'));
    const replay = log.read(0, 0n)[Symbol.asyncIterator]();
    const first = await replay.next();
    expect(first.done).toBe(false);
    expect(baseOffsets(first.value as Buffer)).toEqual([0n]);
    await log.append(0, batch('during'));
    const second = await replay.next();
    expect(second.done).toBe(false);
    expect(baseOffsets(second.value as Buffer)).toEqual([1n]);
    expect((await replay.next()).done).toBe(true);
  });

  test('a partition without a log here is NOT_LEADER_OR_FOLLOWER, for appends and replays', async () => {
    const log = await withTopic();
    await expect(log.append(3, batch('x'))).rejects.toMatchObject({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    const replay = log.read(3, 0n)[Symbol.asyncIterator]();
    const refused = await replay.next().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TributaryError);
    expect(refused).toMatchObject({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });
});

describe('InternalTopicCreator', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  test('creates the topic once from its spec, capping the replication factor and min ISR at the live brokers', async () => {
    harness = await openHarness({
      'transaction.state.log.num.partitions': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
    });
    const creator = new InternalTopicCreator(transactionStateTopicSpec, harness.metadata, () => harness.metadata.brokerConfig(), silentLogger);
    const createTopic = jest.spyOn(harness.metadata, 'createTopic');
    await Promise.all([creator.ensure(), creator.ensure()]);
    expect(createTopic).toHaveBeenCalledTimes(1);
    const topic = harness.metadata.topic(TRANSACTION_STATE_TOPIC)!;
    expect(topic.partitions).toHaveLength(3);
    expect(topic.partitions.map((partition) => partition.replicas.length)).toEqual([1, 1, 1]);
    expect(topic.configs.get('min.insync.replicas')).toBe('1');
    expect(topic.configs.get('cleanup.policy')).toBe('compact');
    // Once the topic exists there is nothing to create.
    await creator.ensure();
    expect(createTopic).toHaveBeenCalledTimes(1);
  });
});
