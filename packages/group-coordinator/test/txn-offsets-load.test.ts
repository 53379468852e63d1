/**
 * Loading `__consumer_offsets` with transactions in it, as Kafka's GroupMetadataManager.loadGroupsAndOffsets
 * replays them: a transactional offset commit stays pending until its producer's marker; COMMIT makes it the
 * committed offset unless a later plain commit of the same partition was appended after it; ABORT drops it; no
 * marker by the end of the log leaves it pending (UNSTABLE_OFFSET_COMMIT under require_stable); a tombstone inside
 * a transaction withdraws only the staged commit; group records count at once even in a transactional batch.
 */
import { ControlRecordType, ErrorCode, asGroupId, asProducerId, asTopicName, asTransactionalId, buildControlBatch, buildRecordBatch } from '@tributary/protocol';
import { groupMetadataKey, groupMetadataValue, offsetCommitKey, offsetCommitValue } from '../src';
import { GROUP, Harness } from './harness';

const commitValue = (offset: bigint) => offsetCommitValue({ offset, leaderEpoch: -1, metadata: '', commitTimestampMs: 1, expireTimestampMs: null });

function txnBatch(producerId: bigint, records: { partition: number; offset: bigint | null }[], group = GROUP): Buffer {
  return buildRecordBatch({
    isTransactional: true,
    producerId,
    producerEpoch: 0,
    baseSequence: 0,
    records: records.map((r) => ({ timestamp: 1n, key: offsetCommitKey(group, 't', r.partition), value: r.offset === null ? null : commitValue(r.offset) })),
  });
}

function plainBatch(partition: number, offset: bigint): Buffer {
  return buildRecordBatch({ records: [{ timestamp: 1n, key: offsetCommitKey(GROUP, 't', partition), value: commitValue(offset) }] });
}

const marker = (producerId: bigint, type: ControlRecordType.Commit | ControlRecordType.Abort) =>
  buildControlBatch({ type, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1n });

describe('loading transactional offset commits from __consumer_offsets', () => {
  let h: Harness;
  let partition: number;
  beforeEach(() => {
    h = new Harness();
    partition = h.coordinator.partitionFor(GROUP);
  });

  async function reloaded(partitions: number[]): Promise<{ offsets: bigint[]; stable: number[] }> {
    h.coordinator = h.newCoordinator();
    await h.loadAll();
    const fetched = h.fetch([{ topic: 't', partitions }], GROUP, true).topics[0]?.partitions ?? [];
    const plain = h.fetch([{ topic: 't', partitions }]).topics[0]?.partitions ?? [];
    return { offsets: plain.map((p) => p.committedOffset), stable: fetched.map((p) => p.errorCode) };
  }

  it('COMMIT applies every partition of the batch, ABORT drops every one, no marker leaves them pending', async () => {
    h.log.appendRaw(partition, txnBatch(1n, [{ partition: 0, offset: 10n }, { partition: 1, offset: 11n }]));
    h.log.appendRaw(partition, txnBatch(2n, [{ partition: 2, offset: 20n }, { partition: 3, offset: 21n }]));
    h.log.appendRaw(partition, txnBatch(3n, [{ partition: 4, offset: 30n }]));
    h.log.appendRaw(partition, marker(2n, ControlRecordType.Abort));
    h.log.appendRaw(partition, marker(1n, ControlRecordType.Commit));
    const { offsets, stable } = await reloaded([0, 1, 2, 3, 4]);
    expect(offsets).toEqual([10n, 11n, -1n, -1n, -1n]);
    expect(stable).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
    // The open transaction is still the producer's: its marker, arriving now, completes it.
    h.coordinator.completeTransaction(3n, partition, true);
    expect(h.fetch([{ topic: 't', partitions: [4] }], GROUP, true).topics[0]!.partitions[0]).toMatchObject({ committedOffset: 30n, errorCode: ErrorCode.NONE });
  });

  it('a plain commit appended after the transactional one wins over it on COMMIT; one appended before loses', async () => {
    h.log.appendRaw(partition, plainBatch(0, 1n));
    h.log.appendRaw(partition, txnBatch(1n, [{ partition: 0, offset: 100n }, { partition: 1, offset: 100n }]));
    h.log.appendRaw(partition, plainBatch(1, 7n));
    h.log.appendRaw(partition, marker(1n, ControlRecordType.Commit));
    expect((await reloaded([0, 1])).offsets).toEqual([100n, 7n]);
  });

  it('a producer whose transaction was decided starts afresh: a later open transaction stays pending alone', async () => {
    h.log.appendRaw(partition, txnBatch(1n, [{ partition: 0, offset: 5n }]));
    h.log.appendRaw(partition, marker(1n, ControlRecordType.Commit));
    h.log.appendRaw(partition, txnBatch(1n, [{ partition: 0, offset: 6n }]));
    const { offsets, stable } = await reloaded([0]);
    expect(offsets).toEqual([5n]);
    expect(stable).toEqual([ErrorCode.UNSTABLE_OFFSET_COMMIT]);
  });

  it('a tombstone in a transaction withdraws the staged commit and leaves the committed offset alone', async () => {
    h.log.appendRaw(partition, plainBatch(0, 3n));
    h.log.appendRaw(partition, txnBatch(1n, [{ partition: 0, offset: 50n }]));
    h.log.appendRaw(partition, txnBatch(1n, [{ partition: 0, offset: null }]));
    h.log.appendRaw(partition, marker(1n, ControlRecordType.Commit));
    const { offsets, stable } = await reloaded([0]);
    expect(offsets).toEqual([3n]);
    expect(stable).toEqual([ErrorCode.NONE]);
  });

  it('a group record in a transactional batch counts without a marker; markers of unknown producers change nothing', async () => {
    const value = groupMetadataValue({ protocolType: 'consumer', generation: 4, protocol: null, leader: null, currentStateTimestamp: 1n, members: [] });
    h.log.appendRaw(
      partition,
      buildRecordBatch({ isTransactional: true, producerId: 9n, producerEpoch: 0, baseSequence: 0, records: [{ timestamp: 1n, key: groupMetadataKey(GROUP), value }] }),
    );
    h.log.appendRaw(partition, marker(42n, ControlRecordType.Commit));
    h.log.appendRaw(partition, plainBatch(0, 8n));
    const { offsets } = await reloaded([0]);
    expect(offsets).toEqual([8n]);
    expect(h.coordinator.group(GROUP)).toMatchObject({ generationId: 4, protocolType: 'consumer' });
  });
});

describe('a marker completes the producer\'s groups of its own partition only', () => {
  it('groups in two partitions, one producer: each marker commits the group of its partition, live and after a reload', async () => {
    const h = new Harness();
    await h.loadAll();
    // Two groups that live in different __consumer_offsets partitions.
    const names = Array.from({ length: 20 }, (_, i) => `group-${i}`);
    const first = names[0]!;
    const second = names.find((name) => h.coordinator.partitionFor(name) !== h.coordinator.partitionFor(first))!;
    const stage = async (groupId: string, offset: bigint) => {
      const answer = await h.coordinator.commitTransactionalOffsets(
        {
          transactionalId: asTransactionalId('tx'),
          groupId: asGroupId(groupId),
          producerId: asProducerId(9n),
          producerEpoch: 0,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: asTopicName('t'), partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' }] }],
        },
        { apiVersion: 3 },
      );
      expect(answer.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    };
    const committed = (groupId: string) => h.fetch([{ topic: 't', partitions: [0] }], groupId).topics[0]!.partitions[0]!.committedOffset;

    await stage(first, 11n);
    await stage(second, 22n);
    h.coordinator.completeTransaction(9n, h.coordinator.partitionFor(first), true);
    expect([committed(first), committed(second)]).toEqual([11n, -1n]);

    // The second group's partition is reloaded from the log before its marker comes: still pending, then committed.
    const secondPartition = h.coordinator.partitionFor(second);
    h.coordinator.unloadPartition(secondPartition);
    await h.coordinator.loadPartition(secondPartition, 1);
    expect(committed(second)).toBe(-1n);
    h.coordinator.completeTransaction(9n, secondPartition, true);
    expect([committed(first), committed(second)]).toEqual([11n, 22n]);
  });
});
