import { ControlRecordType, GroupMetadataValue, RecordBatch, decodeControlRecord, iterateRecordSet } from '@tributary/protocol';
import { ClassicGroup } from './group';
import { GroupState } from './group-state';
import { GroupMember } from './member';
import { decodeCoordinatorRecord } from './records';
import { CommitRecord, partitionKey } from './offsets';

/**
 * What replaying one `__consumer_offsets` partition yields: the last group record per group and the last offset
 * record per group and partition (tombstones delete), plus transactional commits whose transaction is still open.
 */
export interface ReplayedPartition {
  groups: Map<string, GroupMetadataValue>;
  /** group → partition key → commit */
  offsets: Map<string, Map<string, CommitRecord>>;
  /** group → producer id → partition key → commit, for transactions with no marker yet */
  pendingTransactionalOffsets: Map<string, Map<bigint, Map<string, CommitRecord>>>;
  /** Groups whose last group record was a tombstone. */
  removedGroups: Set<string>;
  /** Offset just past the last batch read. */
  nextOffset: bigint;
  /** Records with key versions this coordinator does not handle (KRaft-only records), skipped as Kafka does. */
  unknownRecords: number;
}

/** The latest record seen for one key, kept as bytes until the replay ends. */
interface LatestRecord {
  key: Buffer;
  value: Buffer | null;
  offset: bigint;
}

/**
 * An incremental replayer: feed it record sets in log order, then read `result`.
 *
 * Until a partition is compacted it holds many records per key (a consumer commits the same partitions every few
 * seconds), and only the last one matters. So records are kept as bytes, keyed by their key bytes, and only the
 * survivors are decoded at the end.
 */
export class PartitionReplayer {
  private readonly latest = new Map<string, LatestRecord>();
  /** producer id → key → record, for transactional offset commits not yet decided by a marker. */
  private readonly pendingByProducer = new Map<bigint, Map<string, LatestRecord>>();
  private nextOffset = 0n;

  /** Applies every v2 batch of `recordSet` (CRC-checked). Legacy (magic 0/1) entries predate this topic's format. */
  apply(recordSet: Buffer): void {
    for (const entry of iterateRecordSet(recordSet)) {
      if (entry.magic !== 2) continue;
      const batch = new RecordBatch(entry.bytes);
      const header = batch.validate();
      this.nextOffset = batch.nextOffset;
      if (header.isControl) {
        for (const record of batch.records()) {
          const control = decodeControlRecord(record);
          if (control.type === ControlRecordType.Commit || control.type === ControlRecordType.Abort) {
            this.completeTransaction(header.producerId, control.type === ControlRecordType.Commit);
          }
        }
        continue;
      }
      for (const record of batch.records()) {
        if (record.key === null) continue;
        const latest = { key: record.key, value: record.value, offset: header.baseOffset + BigInt(record.offsetDelta) };
        const id = keyIdentity(record.key);
        // As Kafka's loader: only offset commits wait for their transaction's marker; a group record counts at
        // once even in a transactional batch.
        if (header.isTransactional && isOffsetCommitKey(record.key)) {
          let pending = this.pendingByProducer.get(header.producerId);
          if (pending === undefined) {
            pending = new Map();
            this.pendingByProducer.set(header.producerId, pending);
          }
          // A tombstone in a transaction withdraws the commit staged there; it never deletes a committed offset.
          if (record.value === null) pending.delete(id);
          else pending.set(id, latest);
        } else {
          this.latest.set(id, latest);
        }
      }
    }
  }

  result(): ReplayedPartition {
    const replayed: ReplayedPartition = {
      groups: new Map(),
      offsets: new Map(),
      pendingTransactionalOffsets: new Map(),
      removedGroups: new Set(),
      nextOffset: this.nextOffset,
      unknownRecords: 0,
    };
    for (const record of this.latest.values()) {
      const decoded = decodeCoordinatorRecord(record.key, record.value);
      if (decoded.type === 'unknown') {
        replayed.unknownRecords++;
      } else if (decoded.type === 'group') {
        if (decoded.value === null) replayed.removedGroups.add(decoded.group);
        else replayed.groups.set(decoded.group, decoded.value);
      } else if (decoded.value !== null) {
        nested(replayed.offsets, decoded.group).set(partitionKey(decoded.topic, decoded.partition), {
          topic: decoded.topic,
          partition: decoded.partition,
          logOffset: record.offset,
          value: decoded.value,
        });
      }
    }
    for (const [producerId, pending] of this.pendingByProducer) {
      for (const record of pending.values()) {
        const decoded = decodeCoordinatorRecord(record.key, record.value);
        if (decoded.type !== 'offset' || decoded.value === null) continue;
        const byProducer = nested(replayed.pendingTransactionalOffsets, decoded.group);
        let commits = byProducer.get(producerId);
        if (commits === undefined) {
          commits = new Map();
          byProducer.set(producerId, commits);
        }
        commits.set(partitionKey(decoded.topic, decoded.partition), {
          topic: decoded.topic,
          partition: decoded.partition,
          logOffset: record.offset,
          value: decoded.value,
        });
      }
    }
    return replayed;
  }

  /** A COMMIT marker makes the producer's staged commits real (the later log record wins); ABORT drops them. */
  private completeTransaction(producerId: bigint, isCommit: boolean): void {
    const pending = this.pendingByProducer.get(producerId);
    if (pending === undefined) return;
    this.pendingByProducer.delete(producerId);
    if (!isCommit) return;
    for (const [id, record] of pending) {
      const current = this.latest.get(id);
      if (current === undefined || current.offset < record.offset) this.latest.set(id, record);
    }
  }
}

/** Rebuilds a group from its last group record: Stable with its members, or Empty when it had none. */
export function groupFromRecord(groupId: string, partition: number, value: GroupMetadataValue, nowMs: number): ClassicGroup {
  const state = value.members.length === 0 ? GroupState.Empty : GroupState.Stable;
  const group = new ClassicGroup(groupId, partition, state, nowMs);
  group.generationId = value.generation;
  group.protocolType = value.protocolType === '' ? null : value.protocolType;
  group.protocolName = value.protocol;
  group.leaderId = value.leader;
  group.currentStateTimestampMs = value.currentStateTimestamp === -1n ? null : Number(value.currentStateTimestamp);
  const protocol = value.protocol ?? '';
  for (const m of value.members) {
    const member = new GroupMember(
      m.memberId,
      m.groupInstanceId,
      m.clientId,
      m.clientHost,
      m.rebalanceTimeout === -1 ? m.sessionTimeout : m.rebalanceTimeout,
      m.sessionTimeout,
      value.protocolType,
      // Copies: the decoded bytes are views of the read buffer, which must not stay pinned for the group's life.
      [{ name: protocol, metadata: Buffer.from(m.subscription) }],
    );
    member.assignment = Buffer.from(m.assignment);
    group.add(member);
  }
  group.subscribedTopics = group.computeSubscribedTopics();
  return group;
}

/** Offset commit keys are versions 0 and 1; group metadata keys are version 2 (Kafka's GroupMetadataManager). */
function isOffsetCommitKey(key: Buffer): boolean {
  if (key.length < 2) return false;
  const version = key.readInt16BE(0);
  return version === 0 || version === 1;
}

/**
 * The identity of a record key as a map key. Offset commit keys v0 and v1 have the same layout, so a v0 key is
 * read as its v1 twin: old and new records for one partition then replace each other as they should.
 */
function keyIdentity(key: Buffer): string {
  if (key.length >= 2 && key[0] === 0 && key[1] === 0) return '\u0000\u0001' + key.toString('latin1', 2);
  return key.toString('latin1');
}

function nested<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}
