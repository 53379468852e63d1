/**
 * The partition-side marker writer against real partition logs in a temp dir: the bytes it appends are a valid
 * COMMIT/ABORT control batch of the producer, each partition is answered with Kafka's error, and a marker in a
 * `__consumer_offsets` partition completes the producer's staged transactional offsets.
 */
import {
  ControlRecordType,
  ErrorCode,
  GroupId,
  ProducerId,
  RecordBatch,
  TopicName,
  TransactionalId,
  TributaryError,
  decodeControlRecord,
  iterateRecordSet,
} from '@tributary/protocol';
import { FetchIsolation, KafkaStorageError, PartitionLog } from '@tributary/storage';
import { HARNESS_NOW_MS, Harness, createTopic, openHarness } from '../harness';
import { OFFSETS_TOPIC } from '../../src/groups';
import { LogService, silentLogger } from '../../src';
import { PartitionMarkerWriter } from '../../src/transactions/partition-markers';

function writerFor(harness: Harness, logs: LogService = harness.logs): PartitionMarkerWriter {
  return new PartitionMarkerWriter({ logs, groups: () => harness.groups, logger: silentLogger, metadata: harness.metadata, clock: { nowMs: () => HARNESS_NOW_MS + 5 } });
}

function batchesOf(log: PartitionLog): RecordBatch[] {
  const read = log.read(0n, 1 << 20, { isolation: FetchIsolation.LogEnd });
  return [...iterateRecordSet(read.records)].map((entry) => new RecordBatch(entry.bytes));
}

describe('PartitionMarkerWriter', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('writes one COMMIT or ABORT control batch of the producer per partition, stamped with the leader epoch and clock', async () => {
    harness = await openHarness();
    await createTopic(harness, 'orders', 2);
    const writer = writerFor(harness);
    const committed = await writer.writeMarkers({
      producerId: 4000n,
      producerEpoch: 3,
      coordinatorEpoch: 7,
      committed: true,
      partitions: [
        { topic: 'orders', partition: 0 },
        { topic: 'orders', partition: 1 },
        { topic: 'orders', partition: 0 },
      ],
    });
    // A partition named twice is written and answered once.
    expect(committed).toEqual([
      { topic: 'orders', partition: 0, errorCode: ErrorCode.NONE },
      { topic: 'orders', partition: 1, errorCode: ErrorCode.NONE },
    ]);
    const aborted = await writer.writeMarkers({ producerId: 4001n, producerEpoch: 0, coordinatorEpoch: 8, committed: false, partitions: [{ topic: 'orders', partition: 1 }] });
    expect(aborted).toEqual([{ topic: 'orders', partition: 1, errorCode: ErrorCode.NONE }]);

    const p0 = batchesOf(harness.logs.partition('orders', 0)!);
    const p1 = batchesOf(harness.logs.partition('orders', 1)!);
    expect(p0).toHaveLength(1);
    expect(p1).toHaveLength(2);
    const expectMarker = (batch: RecordBatch, offset: bigint, producerId: bigint, epoch: number, type: ControlRecordType, coordinatorEpoch: number) => {
      const header = batch.validate(); // checks the CRC too
      expect(header).toMatchObject({ baseOffset: offset, magic: 2, isControl: true, isTransactional: true, producerId, producerEpoch: epoch, baseSequence: -1, recordsCount: 1, partitionLeaderEpoch: 0 });
      expect(header.baseTimestamp).toBe(BigInt(HARNESS_NOW_MS + 5));
      const records = [...batch.records()];
      expect(records).toHaveLength(1);
      expect(decodeControlRecord(records[0]!)).toEqual({ version: 0, type, coordinatorEpoch });
    };
    expectMarker(p0[0]!, 0n, 4000n, 3, ControlRecordType.Commit, 7);
    expectMarker(p1[0]!, 0n, 4000n, 3, ControlRecordType.Commit, 7);
    expectMarker(p1[1]!, 1n, 4001n, 0, ControlRecordType.Abort, 8);
    expect(harness.logs.partition('orders', 1)!.logEndOffset).toBe(2n);
  });

  it('answers each partition on its own: unknown topic or partition, not the leader, the append errors', async () => {
    harness = await openHarness();
    await createTopic(harness, 'orders', 1);
    await createTopic(harness, 'failing', 1);
    await createTopic(harness, 'broken', 1);
    const failingLog = harness.logs.partition('failing', 0)!;
    const brokenLog = harness.logs.partition('broken', 0)!;
    const logs: LogService = {
      partition: (topic, partition) => harness.logs.partition(topic, partition),
      partitionById: (id, partition) => harness.logs.partitionById(id, partition),
      onAppend: (listener) => harness.logs.onAppend(listener),
      logDirs: () => harness.logs.logDirs(),
      append(log, records, options) {
        if (log === failingLog) throw new KafkaStorageError('disk gone');
        if (log === brokenLog) throw new TributaryError(ErrorCode.TRANSACTION_COORDINATOR_FENCED, 'older coordinator epoch');
        return harness.logs.append(log, records, options);
      },
    };
    const results = await writerFor(harness, logs).writeMarkers({
      producerId: 9n,
      producerEpoch: 1,
      coordinatorEpoch: 0,
      committed: true,
      partitions: [
        { topic: 'missing', partition: 0 },
        { topic: 'orders', partition: 5 },
        { topic: 'failing', partition: 0 },
        { topic: 'broken', partition: 0 },
        { topic: 'orders', partition: 0 },
      ],
    });
    expect(results).toEqual([
      { topic: 'missing', partition: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
      { topic: 'orders', partition: 5, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
      { topic: 'failing', partition: 0, errorCode: ErrorCode.KAFKA_STORAGE_ERROR },
      { topic: 'broken', partition: 0, errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED },
      { topic: 'orders', partition: 0, errorCode: ErrorCode.NONE },
    ]);
    expect(harness.logs.partition('orders', 0)!.logEndOffset).toBe(1n);

    // Hosted here but led by another broker: NOT_LEADER_OR_FOLLOWER, nothing written.
    const elsewhere = new PartitionMarkerWriter({
      logs: harness.logs,
      groups: () => harness.groups,
      logger: silentLogger,
      metadata: { localBrokerId: harness.metadata.localBrokerId, topic: (name) => {
        const topic = harness.metadata.topic(name);
        return topic && { ...topic, partitions: topic.partitions.map((p) => ({ ...p, leaderId: 2 as typeof p.leaderId })) };
      } },
    });
    expect(await elsewhere.writeMarkers({ producerId: 9n, producerEpoch: 1, coordinatorEpoch: 0, committed: false, partitions: [{ topic: 'orders', partition: 0 }] })).toEqual([
      { topic: 'orders', partition: 0, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER },
    ]);
    expect(harness.logs.partition('orders', 0)!.logEndOffset).toBe(1n);
  });

  it('a marker in __consumer_offsets makes the staged offsets committed (COMMIT) or drops them (ABORT)', async () => {
    harness = await openHarness({ 'offsets.topic.num.partitions': '1' });
    await createTopic(harness, 'in', 1);
    await createTopic(harness, OFFSETS_TOPIC, 1);
    await harness.groups.loaded();
    const coordinator = harness.groups.coordinator;
    const stage = async (groupId: string, producerId: bigint, offset: bigint) => {
      const answer = await coordinator.commitTransactionalOffsets(
        {
          transactionalId: 'tx' as TransactionalId,
          groupId: groupId as GroupId,
          producerId: producerId as ProducerId,
          producerEpoch: 0,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: 'in' as TopicName, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }],
        },
        { apiVersion: 2 },
      );
      expect(answer.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    };
    const fetched = (groupId: string) =>
      coordinator.fetchOffsets({ groupId: groupId as GroupId, topics: [{ name: 'in' as TopicName, partitionIndexes: [0] }], requireStable: false, groups: [] }, { apiVersion: 6 }).topics[0]!.partitions[0]!
        .committedOffset;
    await stage('committer', 100n, 42n);
    await stage('aborter', 200n, 17n);
    expect(fetched('committer')).toBe(-1n);
    expect(fetched('aborter')).toBe(-1n);

    const writer = writerFor(harness);
    const commit = await writer.writeMarkers({ producerId: 100n, producerEpoch: 0, coordinatorEpoch: 0, committed: true, partitions: [{ topic: OFFSETS_TOPIC, partition: 0 }] });
    const abort = await writer.writeMarkers({ producerId: 200n, producerEpoch: 0, coordinatorEpoch: 0, committed: false, partitions: [{ topic: OFFSETS_TOPIC, partition: 0 }] });
    expect(commit).toEqual([{ topic: OFFSETS_TOPIC, partition: 0, errorCode: ErrorCode.NONE }]);
    expect(abort).toEqual([{ topic: OFFSETS_TOPIC, partition: 0, errorCode: ErrorCode.NONE }]);
    expect(fetched('committer')).toBe(42n);
    expect(fetched('aborter')).toBe(-1n);
    // Both markers are in the log, after the two transactional offset batches.
    const types = batchesOf(harness.logs.partition(OFFSETS_TOPIC, 0)!).map((b) => (b.validate().isControl ? decodeControlRecord([...b.records()][0]!).type : 'data'));
    expect(types).toEqual(['data', 'data', ControlRecordType.Commit, ControlRecordType.Abort]);

    // A reload replays the same outcome from the log alone.
    harness.groups.coordinator.unloadPartition(0);
    await harness.groups.coordinator.loadPartition(0, 1);
    expect(fetched('committer')).toBe(42n);
    expect(fetched('aborter')).toBe(-1n);
  });

  it('answers UNKNOWN_SERVER_ERROR on the offsets partitions when completing the offsets fails, and never throws', async () => {
    harness = await openHarness();
    await createTopic(harness, OFFSETS_TOPIC, 1);
    await createTopic(harness, 'orders', 1);
    const writer = new PartitionMarkerWriter({
      logs: harness.logs,
      groups: () => {
        throw new Error('group coordinator not started');
      },
      logger: silentLogger,
      metadata: harness.metadata,
    });
    expect(
      await writer.writeMarkers({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, committed: true, partitions: [{ topic: OFFSETS_TOPIC, partition: 0 }, { topic: 'orders', partition: 0 }] }),
    ).toEqual([
      { topic: OFFSETS_TOPIC, partition: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR },
      { topic: 'orders', partition: 0, errorCode: ErrorCode.NONE },
    ]);
  });
});


describe('PartitionMarkerWriter against the partition producer state', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('refuses a marker of an older producer epoch (INVALID_PRODUCER_EPOCH) or an older coordinator epoch (TRANSACTION_COORDINATOR_FENCED)', async () => {
    harness = await openHarness();
    await createTopic(harness, 'orders', 1);
    const writer = writerFor(harness);
    const marker = (producerEpoch: number, coordinatorEpoch: number) =>
      writer.writeMarkers({ producerId: 77n, producerEpoch, coordinatorEpoch, committed: false, partitions: [{ topic: 'orders', partition: 0 }] });
    expect((await marker(5, 3))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await marker(4, 3))[0]!.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await marker(5, 2))[0]!.errorCode).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    // The same or a newer coordinator epoch is taken, as after a coordinator failover.
    expect((await marker(5, 3))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await marker(6, 4))[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(batchesOf(harness.logs.partition('orders', 0)!)).toHaveLength(3);
  });
});
