import {
  CompressionType,
  GroupMetadataValue,
  OffsetCommitValue,
  Reader,
  TimestampType,
  Writer,
  buildRecordBatch,
  decodeGroupMetadataKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '@tributary/protocol';
import { OffsetAndMetadata } from './offsets';

/**
 * The records of `__consumer_offsets` exactly as Kafka 3.9 writes them: key = int16 version + key struct, value =
 * int16 version + value struct, a null value deletes. The key version says what the record is: 0/1 offset commit,
 * 2 group metadata, 3+ the KRaft-only coordinator's records (ignored here, as Kafka's classic coordinator does).
 */

/** Kafka writes OffsetCommitKey v1 (identical to v0). */
export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
/** Written by IBP >= 2.1-IV1 unless the commit carries an explicit expire timestamp. */
export const OFFSET_COMMIT_VALUE_VERSION = 3;
/** Written for commits with an explicit expire timestamp (retention given in OffsetCommit v2-v4). */
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
/** Written by IBP >= 2.3 (adds groupInstanceId). */
export const GROUP_METADATA_VALUE_VERSION = 3;

export interface CoordinatorRecord {
  key: Buffer;
  value: Buffer | null;
}

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.int16(OFFSET_COMMIT_KEY_VERSION);
  encodeOffsetCommitKey(w, OFFSET_COMMIT_KEY_VERSION, { group, topic, partition });
  return w.toBuffer();
}

export function groupMetadataKey(group: string): Buffer {
  const w = new Writer(32);
  w.int16(GROUP_METADATA_KEY_VERSION);
  encodeGroupMetadataKey(w, GROUP_METADATA_KEY_VERSION, { group });
  return w.toBuffer();
}

export function offsetCommitValue(value: OffsetAndMetadata): Buffer {
  const version = value.expireTimestampMs === null ? OFFSET_COMMIT_VALUE_VERSION : OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY;
  const w = new Writer(64);
  w.int16(version);
  encodeOffsetCommitValue(w, version, {
    offset: value.offset,
    leaderEpoch: value.leaderEpoch,
    metadata: value.metadata,
    commitTimestamp: BigInt(value.commitTimestampMs),
    expireTimestamp: BigInt(value.expireTimestampMs ?? -1),
  });
  return w.toBuffer();
}

export function groupMetadataValue(value: GroupMetadataValue): Buffer {
  const w = new Writer(256);
  w.int16(GROUP_METADATA_VALUE_VERSION);
  encodeGroupMetadataValue(w, GROUP_METADATA_VALUE_VERSION, value);
  return w.toBuffer();
}

export type DecodedCoordinatorRecord =
  | { type: 'offset'; group: string; topic: string; partition: number; value: OffsetAndMetadata | null }
  | { type: 'group'; group: string; value: GroupMetadataValue | null }
  | { type: 'unknown'; keyVersion: number };

/** Decodes one record of `__consumer_offsets`; throws a DecodeError for bytes no Kafka wrote. */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): DecodedCoordinatorRecord {
  const keyReader = new Reader(key);
  const keyVersion = keyReader.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const k = decodeOffsetCommitKey(keyReader, keyVersion);
    return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: value === null ? null : decodeOffsetValue(value) };
  }
  if (keyVersion === GROUP_METADATA_KEY_VERSION) {
    const k = decodeGroupMetadataKey(keyReader, keyVersion);
    if (value === null) return { type: 'group', group: k.group, value: null };
    const valueReader = new Reader(value);
    const valueVersion = valueReader.int16();
    return { type: 'group', group: k.group, value: decodeGroupMetadataValue(valueReader, valueVersion) };
  }
  return { type: 'unknown', keyVersion };
}

function decodeOffsetValue(value: Buffer): OffsetAndMetadata {
  const reader = new Reader(value);
  const version = reader.int16();
  const v: OffsetCommitValue = decodeOffsetCommitValue(reader, version);
  return {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestampMs: Number(v.commitTimestamp),
    // Only value v1 carries an expire timestamp; -1 there means none (Kafka's DEFAULT_TIMESTAMP).
    expireTimestampMs: version === 1 && v.expireTimestamp !== -1n ? Number(v.expireTimestamp) : null,
  };
}

/** The producer of a transactional batch (TxnOffsetCommit). */
export interface TransactionalProducer {
  producerId: bigint;
  producerEpoch: number;
}

/**
 * One uncompressed v2 batch of coordinator records with CreateTime `timestampMs`, as Kafka appends them. A
 * TxnOffsetCommit's batch is transactional and carries the producer (base sequence 0, as Kafka writes it).
 */
export function buildCoordinatorBatch(records: readonly CoordinatorRecord[], timestampMs: number, producer?: TransactionalProducer): Buffer {
  const timestamp = BigInt(timestampMs);
  return buildRecordBatch({
    compression: CompressionType.None,
    timestampType: TimestampType.CreateTime,
    ...(producer === undefined
      ? {}
      : { isTransactional: true, producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: 0 }),
    records: records.map((record) => ({ timestamp, key: record.key, value: record.value })),
  });
}
