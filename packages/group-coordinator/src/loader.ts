import {
  ControlRecordType,
  GroupMetadataValue,
  RecordBatch,
  decodeControlRecord,
  iterateRecordSet,
} from '@tributary/protocol';
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

/** An incremental replayer: feed it record sets in log order, then read `result`. */
export class PartitionReplayer {
  private readonly groups = new Map<string, GroupMetadataValue>();
  private readonly removedGroups = new Set<string>();
  private readonly offsets = new Map<string, Map<string, CommitRecord>>();
  /** producer id → group → partition key → commit */
  private readonly pendingByProducer = new Map<bigint, Map<string, Map<string, CommitRecord>>>();
  private nextOffset = 0n;
  private unknownRecords = 0;

  /** Applies every v2 batch of `recordSet`. Legacy (magic 0/1) entries predate this topic's format and are skipped. */
  apply(recordSet: Buffer): void {
    for (const entry of iterateRecordSet(recordSet)) {
      if (entry.magic !== 2) continue;
      const batch = new RecordBatch(entry.bytes);
      batch.validate();
      this.nextOffset = batch.nextOffset;
      const header = batch.header;
      if (header.isControl) {
        for (const record of batch.records()) {
          const control = decodeControlRecord(record);
          if (control.type === ControlRecordType.Commit || control.type === ControlRecordType.Abort) {
            this.completeTransaction(header.producerId, control.type === ControlRecordType.Commit);
          }
        }
        continue;
      }
      for (const record of batch.resolvedRecords()) {
        if (record.key === null) continue;
        const decoded = decodeCoordinatorRecord(record.key, record.value);
        if (decoded.type === 'unknown') {
          this.unknownRecords++;
        } else if (decoded.type === 'group') {
          if (decoded.value === null) {
            this.groups.delete(decoded.group);
            this.removedGroups.add(decoded.group);
          } else {
            this.groups.set(decoded.group, decoded.value);
            this.removedGroups.delete(decoded.group);
          }
        } else {
          const key = partitionKey(decoded.topic, decoded.partition);
          if (header.isTransactional) {
            const pending = nested(nested(this.pendingByProducer, header.producerId), decoded.group);
            if (decoded.value === null) pending.delete(key);
            else pending.set(key, { topic: decoded.topic, partition: decoded.partition, logOffset: record.offset, value: decoded.value });
          } else if (decoded.value === null) {
            this.offsets.get(decoded.group)?.delete(key);
          } else {
            nested(this.offsets, decoded.group).set(key, {
              topic: decoded.topic,
              partition: decoded.partition,
              logOffset: record.offset,
              value: decoded.value,
            });
          }
        }
      }
    }
  }

  result(): ReplayedPartition {
    const pendingTransactionalOffsets = new Map<string, Map<bigint, Map<string, CommitRecord>>>();
    for (const [producerId, byGroup] of this.pendingByProducer) {
      for (const [group, commits] of byGroup) {
        if (commits.size > 0) nested(pendingTransactionalOffsets, group).set(producerId, commits);
      }
    }
    for (const [group, commits] of this.offsets) if (commits.size === 0) this.offsets.delete(group);
    return {
      groups: this.groups,
      offsets: this.offsets,
      pendingTransactionalOffsets,
      removedGroups: this.removedGroups,
      nextOffset: this.nextOffset,
      unknownRecords: this.unknownRecords,
    };
  }

  /** A COMMIT marker makes the producer's staged commits real (the later log record wins); ABORT drops them. */
  private completeTransaction(producerId: bigint, isCommit: boolean): void {
    const byGroup = this.pendingByProducer.get(producerId);
    if (byGroup === undefined) return;
    this.pendingByProducer.delete(producerId);
    if (!isCommit) return;
    for (const [group, commits] of byGroup) {
      const committed = nested(this.offsets, group);
      for (const [key, commit] of commits) {
        const current = committed.get(key);
        if (current === undefined || (current.logOffset ?? -1n) < (commit.logOffset ?? -1n)) committed.set(key, commit);
      }
    }
  }
}

function nested<K, K2, V>(map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}
