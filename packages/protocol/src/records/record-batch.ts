import { decompress } from '../compression/codec';
import { DecompressOptions } from '../compression/limits';
import { CorruptRecordError } from '../errors/tributary-error';
import { Reader } from '../primitives/reader';
import { Writer } from '../primitives/writer';
import {
  BATCH_HEADER_SIZE,
  BatchAttribute,
  BatchField,
  CompressionType,
  LOG_OVERHEAD,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  RecordBatchHeader,
  TimestampType,
  computeBatchCrc,
  readBatchHeader,
} from './batch-header';
import { compress } from '../compression/codec';
import { KafkaRecord, MIN_RECORD_SIZE, RecordHeader, readRecord, writeRecord } from './record';

export const MAGIC_V2 = 2;
const MAX_KNOWN_COMPRESSION = CompressionType.Zstd;

export interface BatchRecordSpec {
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Defaults to the record's index; must increase strictly (gaps are what compaction leaves). */
  offsetDelta?: number;
}

export interface BatchSpec {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Defaults to the first record's timestamp (-1 for an empty batch), or the delete horizon when one is set. */
  baseTimestamp?: bigint;
  /** Defaults to the largest record timestamp; for LogAppendTime pass the broker's append time. */
  maxTimestamp?: bigint;
  /** Sets attribute bit 6 and stores the horizon in baseTimestamp, as Kafka's cleaner does. */
  deleteHorizonMs?: bigint;
  /** Defaults to the last record's offsetDelta; set it for an empty batch kept to retain producer state. */
  lastOffsetDelta?: number;
  records: BatchRecordSpec[];
}

/** Encodes one v2 batch, compressing the records if asked, with its CRC computed. */
export function buildRecordBatch(spec: BatchSpec): Buffer {
  const records = spec.records;
  const compression = spec.compression ?? CompressionType.None;
  const timestampType = spec.timestampType ?? TimestampType.CreateTime;
  const firstTimestamp = records.length > 0 ? records[0].timestamp : NO_TIMESTAMP;
  const baseTimestamp = spec.deleteHorizonMs ?? spec.baseTimestamp ?? firstTimestamp;
  let maxTimestamp = NO_TIMESTAMP;
  const body = new Writer(Math.min(64 * 1024, 64 + records.length * 32));
  let previousOffsetDelta = -1;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const offsetDelta = record.offsetDelta ?? i;
    if (offsetDelta <= previousOffsetDelta) {
      throw new RangeError(`record offsetDelta ${offsetDelta} does not follow ${previousOffsetDelta}`);
    }
    previousOffsetDelta = offsetDelta;
    if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
    writeRecord(body, {
      timestampDelta: record.timestamp - baseTimestamp,
      offsetDelta,
      key: record.key,
      value: record.value,
      headers: record.headers,
    });
  }
  const recordBytes = body.chunks();
  const payload =
    compression === CompressionType.None ? recordBytes : [compress(compression, Buffer.concat(recordBytes))];
  const payloadSize = payload.reduce((sum, piece) => sum + piece.length, 0);

  let attributes = compression & BatchAttribute.COMPRESSION_MASK;
  if (timestampType === TimestampType.LogAppendTime) attributes |= BatchAttribute.TIMESTAMP_TYPE;
  if (spec.isTransactional) attributes |= BatchAttribute.TRANSACTIONAL;
  if (spec.isControl) attributes |= BatchAttribute.CONTROL;
  if (spec.deleteHorizonMs !== undefined) attributes |= BatchAttribute.DELETE_HORIZON;

  const header = Buffer.alloc(BATCH_HEADER_SIZE);
  header.writeBigInt64BE(spec.baseOffset ?? 0n, BatchField.BASE_OFFSET);
  header.writeInt32BE(BATCH_HEADER_SIZE - LOG_OVERHEAD + payloadSize, BatchField.BATCH_LENGTH);
  header.writeInt32BE(spec.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, BatchField.PARTITION_LEADER_EPOCH);
  header.writeInt8(MAGIC_V2, BatchField.MAGIC);
  header.writeInt16BE(attributes, BatchField.ATTRIBUTES);
  header.writeInt32BE(spec.lastOffsetDelta ?? Math.max(previousOffsetDelta, 0), BatchField.LAST_OFFSET_DELTA);
  header.writeBigInt64BE(baseTimestamp, BatchField.BASE_TIMESTAMP);
  header.writeBigInt64BE(spec.maxTimestamp ?? maxTimestamp, BatchField.MAX_TIMESTAMP);
  header.writeBigInt64BE(spec.producerId ?? NO_PRODUCER_ID, BatchField.PRODUCER_ID);
  header.writeInt16BE(spec.producerEpoch ?? NO_PRODUCER_EPOCH, BatchField.PRODUCER_EPOCH);
  header.writeInt32BE(spec.baseSequence ?? NO_SEQUENCE, BatchField.BASE_SEQUENCE);
  header.writeInt32BE(records.length, BatchField.RECORDS_COUNT);
  const batch = Buffer.concat([header, ...payload], BATCH_HEADER_SIZE + payloadSize);
  batch.writeUInt32BE(computeBatchCrc(batch), BatchField.CRC);
  return batch;
}

/**
 * Checks one whole v2 batch without decoding its records: magic, declared length against the bytes given,
 * attributes, CRC-32C, and that the record count fits the offset range (and, uncompressed, the bytes).
 */
export function validateBatch(batch: Buffer): RecordBatchHeader {
  const header = readBatchHeader(batch);
  if (header.magic !== MAGIC_V2) throw new CorruptRecordError(`record batch has magic ${header.magic}, expected 2`);
  if (header.batchLength + LOG_OVERHEAD !== batch.length) {
    throw new CorruptRecordError(
      `record batch declares ${header.batchLength + LOG_OVERHEAD} bytes but ${batch.length} were given`,
    );
  }
  if (header.compression > MAX_KNOWN_COMPRESSION) {
    throw new CorruptRecordError(`record batch uses unknown compression type ${header.compression}`);
  }
  const crc = computeBatchCrc(batch);
  if (crc !== header.crc) {
    throw new CorruptRecordError(`record batch CRC is ${header.crc}, computed ${crc}`);
  }
  if (header.recordsCount < 0) throw new CorruptRecordError(`record batch has count ${header.recordsCount}`);
  if (header.recordsCount > 0 && header.lastOffsetDelta < header.recordsCount - 1) {
    throw new CorruptRecordError(
      `record batch holds ${header.recordsCount} records but spans only ${header.lastOffsetDelta + 1} offsets`,
    );
  }
  const payloadSize = batch.length - BATCH_HEADER_SIZE;
  if (header.compression === CompressionType.None && header.recordsCount * MIN_RECORD_SIZE > payloadSize) {
    throw new CorruptRecordError(`record batch claims ${header.recordsCount} records in ${payloadSize} bytes`);
  }
  return header;
}

/**
 * Kafka's extra rules for a batch a client produces (LogValidator): at least one record, exactly one offset per
 * record (no gaps: only compaction makes them), and no control batches (only coordinators write markers).
 */
export function validateProducedBatch(batch: Buffer): RecordBatchHeader {
  const header = validateBatch(batch);
  if (header.recordsCount <= 0) throw new CorruptRecordError('produced record batch has no records');
  if (header.lastOffsetDelta + 1 !== header.recordsCount) {
    throw new CorruptRecordError(
      `produced record batch has ${header.recordsCount} records over ${header.lastOffsetDelta + 1} offsets`,
    );
  }
  if (header.isControl) throw new CorruptRecordError('clients may not produce control batches');
  return header;
}

/** The records of a v2 batch, decompressed if needed. Does not check the CRC (validateBatch does). */
export function decodeBatchRecords(batch: Buffer, options?: DecompressOptions): KafkaRecord[] {
  return [...iterateBatchRecords(batch, options)];
}

/**
 * The records of a v2 batch one at a time, for callers that stop early or keep none (a consumer-offset scan,
 * compaction's key pass). The batch is checked and decompressed before the first record; the count must match
 * the records present exactly, as in decodeBatchRecords.
 */
export function* iterateBatchRecords(batch: Buffer, options?: DecompressOptions): Generator<KafkaRecord> {
  const header = readBatchHeader(batch);
  if (header.magic !== MAGIC_V2) throw new CorruptRecordError(`record batch has magic ${header.magic}, expected 2`);
  const end = header.batchLength + LOG_OVERHEAD;
  if (header.batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || end > batch.length) {
    throw new CorruptRecordError(`record batch declares ${end} bytes but ${batch.length} were given`);
  }
  if (header.compression > MAX_KNOWN_COMPRESSION) {
    throw new CorruptRecordError(`record batch uses unknown compression type ${header.compression}`);
  }
  const payload = decompress(header.compression, batch.subarray(BATCH_HEADER_SIZE, end), options);
  const count = header.recordsCount;
  if (count < 0 || count * MIN_RECORD_SIZE > payload.length) {
    throw new CorruptRecordError(`record batch claims ${count} records in ${payload.length} bytes`);
  }
  const reader = new Reader(payload);
  for (let i = 0; i < count; i++) yield readRecord(reader);
  if (reader.remaining !== 0) {
    throw new CorruptRecordError(`record batch has ${reader.remaining} bytes after its ${count} records`);
  }
}

/** A record with its absolute offset and timestamp resolved against its batch. */
export interface ResolvedRecord {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/**
 * A v2 batch kept as the bytes it arrived in. Nothing is parsed until asked for: the header on first access,
 * the records (and decompression) only through `records()`.
 */
export class RecordBatch {
  private cachedHeader: RecordBatchHeader | undefined;

  /** `bytes` is exactly one batch; it is kept as a view, not copied. */
  constructor(readonly bytes: Buffer) {}

  get header(): RecordBatchHeader {
    return (this.cachedHeader ??= readBatchHeader(this.bytes));
  }

  get baseOffset(): bigint {
    return this.header.baseOffset;
  }

  get lastOffset(): bigint {
    return this.header.baseOffset + BigInt(this.header.lastOffsetDelta);
  }

  get nextOffset(): bigint {
    return this.lastOffset + 1n;
  }

  get sizeInBytes(): number {
    return this.bytes.length;
  }

  /** Full structural and CRC check; see validateBatch. */
  validate(): RecordBatchHeader {
    return (this.cachedHeader = validateBatch(this.bytes));
  }

  records(options?: DecompressOptions): KafkaRecord[] {
    return decodeBatchRecords(this.bytes, options);
  }

  /** Records with offsets and timestamps made absolute (LogAppendTime batches report maxTimestamp for all). */
  resolvedRecords(options?: DecompressOptions): ResolvedRecord[] {
    const header = this.header;
    return this.records(options).map((record) => ({
      offset: header.baseOffset + BigInt(record.offsetDelta),
      timestamp: recordTimestamp(header, record),
      key: record.key,
      value: record.value,
      headers: record.headers,
    }));
  }
}

/** A record's timestamp as a consumer sees it. */
export function recordTimestamp(header: RecordBatchHeader, record: KafkaRecord): bigint {
  if (header.timestampType === TimestampType.LogAppendTime) return header.maxTimestamp;
  return header.baseTimestamp + record.timestampDelta;
}
