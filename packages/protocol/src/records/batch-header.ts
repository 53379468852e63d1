import { calculate as crc32c } from 'fast-crc32c';
import { CorruptRecordError } from '../errors/tributary-error';

/**
 * Byte positions of the fixed header of a record batch, magic v2 (Kafka's DefaultRecordBatch). The header is
 * 61 bytes; the CRC-32C covers bytes [ATTRIBUTES, end), so the broker may rewrite the base offset and the
 * partition leader epoch without recomputing it.
 */
export const BatchField = {
  BASE_OFFSET: 0,
  BATCH_LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORDS_COUNT: 57,
} as const;

/** Size of the v2 batch header, up to and including the records count. */
export const BATCH_HEADER_SIZE = 61;
/** Bytes that precede and are not counted by `batchLength` (base offset + the length itself). */
export const LOG_OVERHEAD = 12;
/** The smallest prefix that tells how long an entry is and which magic it has. */
export const MAGIC_PREFIX_SIZE = 17;

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

/** Bits of the v2 batch attributes (int16). */
export const BatchAttribute = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_TYPE: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const;
const COMPRESSION_MASK = BatchAttribute.COMPRESSION_MASK;
const TIMESTAMP_TYPE_BIT = BatchAttribute.TIMESTAMP_TYPE;
const TRANSACTIONAL_BIT = BatchAttribute.TRANSACTIONAL;
const CONTROL_BIT = BatchAttribute.CONTROL;
const DELETE_HORIZON_BIT = BatchAttribute.DELETE_HORIZON;

/** Kafka's sentinel for "no timestamp", "no producer id" and friends. */
export const NO_TIMESTAMP = -1n;
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

/** The decoded fixed header of one v2 batch. int64 fields are bigint. */
export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
}

/** Reads the header of the v2 batch that starts at `buffer[0]`. Does not check the CRC. */
export function readBatchHeader(buffer: Buffer): RecordBatchHeader {
  if (buffer.length < BATCH_HEADER_SIZE) {
    throw new CorruptRecordError(`record batch of ${buffer.length} bytes is shorter than its 61-byte header`);
  }
  const attributes = buffer.readInt16BE(BatchField.ATTRIBUTES);
  return {
    baseOffset: buffer.readBigInt64BE(BatchField.BASE_OFFSET),
    batchLength: buffer.readInt32BE(BatchField.BATCH_LENGTH),
    partitionLeaderEpoch: buffer.readInt32BE(BatchField.PARTITION_LEADER_EPOCH),
    magic: buffer.readInt8(BatchField.MAGIC),
    crc: buffer.readUInt32BE(BatchField.CRC),
    attributes,
    lastOffsetDelta: buffer.readInt32BE(BatchField.LAST_OFFSET_DELTA),
    baseTimestamp: buffer.readBigInt64BE(BatchField.BASE_TIMESTAMP),
    maxTimestamp: buffer.readBigInt64BE(BatchField.MAX_TIMESTAMP),
    producerId: buffer.readBigInt64BE(BatchField.PRODUCER_ID),
    producerEpoch: buffer.readInt16BE(BatchField.PRODUCER_EPOCH),
    baseSequence: buffer.readInt32BE(BatchField.BASE_SEQUENCE),
    recordsCount: buffer.readInt32BE(BatchField.RECORDS_COUNT),
    compression: (attributes & COMPRESSION_MASK) as CompressionType,
    timestampType: attributes & TIMESTAMP_TYPE_BIT ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    hasDeleteHorizon: (attributes & DELETE_HORIZON_BIT) !== 0,
  };
}

/** CRC-32C of the bytes a v2 batch's checksum covers. `batch` is exactly one whole batch. */
export function computeBatchCrc(batch: Buffer): number {
  return crc32c(batch.subarray(BatchField.ATTRIBUTES)) >>> 0;
}

/** Whether the stored CRC of a whole v2 batch matches its contents. */
export function isBatchCrcValid(batch: Buffer): boolean {
  return batch.readUInt32BE(BatchField.CRC) === computeBatchCrc(batch);
}

/** Rewrites the CRC field after a change to the covered bytes (attributes, timestamps, records). */
export function updateBatchCrc(batch: Buffer): void {
  batch.writeUInt32BE(computeBatchCrc(batch), BatchField.CRC);
}

/** Assigns the batch's base offset in place. The CRC does not cover it, so nothing else changes. */
export function setBaseOffset(batch: Buffer, baseOffset: bigint): void {
  batch.writeBigInt64BE(baseOffset, BatchField.BASE_OFFSET);
}

/** Sets the partition leader epoch in place (not covered by the CRC). */
export function setPartitionLeaderEpoch(batch: Buffer, epoch: number): void {
  batch.writeInt32BE(epoch, BatchField.PARTITION_LEADER_EPOCH);
}
