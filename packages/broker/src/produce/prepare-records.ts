/**
 * What Kafka's leader does to a produced record set before it reaches the log (ProduceRequest.validateRecords,
 * UnifiedLog.analyzeAndValidateRecords, LogValidator), except what storage's append already checks on every
 * batch (max.message.bytes, CRC-32C, count against offsets, control batches, segment.bytes):
 *
 * - request-version rules: v3+ carries exactly one batch, of magic 2; zstd needs v7+;
 * - a trailing partial entry is dropped, as Kafka trims invalid bytes;
 * - every entry has the magic of the first; a v2 batch from a client starts at offset 0, and a batch with a
 *   producer id has a sequence;
 * - per-record rules (a key on a compacted topic; CreateTime inside message.timestamp.before/after.max.ms),
 *   answered with record errors. Records are decoded only when a rule needs them: the default configuration
 *   appends without decoding anything, as Kafka appends an uncompressed or same-codec batch in place;
 * - legacy (magic 0/1) message sets from old clients are up-converted to one v2 batch (message format 3.0);
 * - a topic whose compression.type names a codec gets its batches rewritten in that codec.
 *
 * Producer ids, epochs and sequences pass through unchanged (a recompressed batch keeps them): storage checks
 * them against the partition's producer state when the batches are appended.
 */
import {
  BATCH_HEADER_SIZE,
  BatchAttribute,
  BatchField,
  CompressionType,
  RecordSetEntry,
  TimestampType,
  buildRecordBatch,
  iterateBatchRecords,
  iterateLegacyRecords,
  iterateRecordSet,
  readLegacyMessage,
  recordTimestamp,
  upConvertMessageSet,
  validateBatch,
} from '@tributary/protocol';
import { LogConfig, RecordTooLargeError } from '@tributary/storage';
import { AppendSettings } from './append-settings';
import { InvalidProducedRecordsError, RecordError, RecordValidationError, UnsupportedCompressionTypeError } from './produce-errors';

/** storage's LogConfig holds Long.MAX_VALUE as the largest safe integer: "no limit". */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;
const NO_TIMESTAMP = -1n;
const LOG_APPEND_TIME_BIT = 0x08;

export interface ProduceTarget {
  /** `topic-partition`, as Kafka names it in messages. */
  name: string;
  config: LogConfig;
  settings: AppendSettings;
  nowMs: number;
}

/** Kafka's ProduceRequest.validateRecords: the rules that depend on the request version. */
export function checkRecordsForVersion(version: number, records: Buffer): void {
  if (version < 3) return;
  const entries = iterateRecordSet(records);
  const first = entries.next();
  if (first.done) throw new InvalidProducedRecordsError(`Produce requests with version ${version} must have at least one record batch per partition`);
  if (first.value.magic !== 2) {
    throw new InvalidProducedRecordsError(`Produce requests with version ${version} are only allowed to contain record batches with magic version 2`);
  }
  if (version < 7 && (first.value.bytes.readInt16BE(BatchField.ATTRIBUTES) & 0x07) === CompressionType.Zstd) {
    throw new UnsupportedCompressionTypeError(`Produce requests with version ${version} are not allowed to use ZStandard compression`);
  }
  if (!entries.next().done) {
    throw new InvalidProducedRecordsError(`Produce requests with version ${version} are only allowed to contain exactly one record batch per partition`);
  }
}

/** Whether the first batch of any partition is transactional (Kafka's RequestUtils.hasTransactionalRecords). */
export function isTransactional(records: Buffer | null): boolean {
  if (!records || records.length < BATCH_HEADER_SIZE || records.readInt8(BatchField.MAGIC) !== 2) return false;
  return (records.readInt16BE(BatchField.ATTRIBUTES) & BatchAttribute.TRANSACTIONAL) !== 0;
}

/**
 * Returns the v2 batches to append (the request's own bytes when nothing needs rewriting), or an empty buffer
 * when the set holds no whole entry. Throws typed errors carrying Kafka's codes.
 */
export function prepareProducedRecords(records: Buffer, target: ProduceTarget): Buffer {
  const entries = [...iterateRecordSet(records)];
  if (entries.length === 0) return records.subarray(0, 0);
  const end = entries[entries.length - 1].offset + entries[entries.length - 1].size;
  const whole = end === records.length ? records : records.subarray(0, end);
  const firstMagic = entries[0].magic;
  for (const entry of entries) {
    if (entry.magic !== firstMagic) {
      throw new InvalidProducedRecordsError(`Batch magic ${entry.magic} is not the same as the first batch's magic byte ${firstMagic} in topic partition ${target.name}`);
    }
  }
  return firstMagic === 2 ? prepareBatches(whole, entries, target) : upConvert(whole, entries, target);
}

function prepareBatches(records: Buffer, entries: readonly RecordSetEntry[], target: ProduceTarget): Buffer {
  const decode = needsRecordChecks(target.config);
  let rewritten: Buffer[] | undefined;
  for (let i = 0; i < entries.length; i++) {
    const batch = entries[i].bytes;
    const baseOffset = batch.readBigInt64BE(BatchField.BASE_OFFSET);
    if (baseOffset !== 0n) {
      throw new InvalidProducedRecordsError(`The baseOffset of the record batch in the append to ${target.name} should be 0, but it is ${baseOffset}`);
    }
    checkSize(batch.length, target);
    // Kafka's hasProducerId is producerId > -1: a non-negative high word, read without a bigint per batch.
    const baseSequence = batch.readInt32BE(BatchField.BASE_SEQUENCE);
    if (baseSequence < 0 && batch.readInt32BE(BatchField.PRODUCER_ID) >= 0) {
      const producerId = batch.readBigInt64BE(BatchField.PRODUCER_ID);
      throw new InvalidProducedRecordsError(`Invalid sequence number ${baseSequence} in record batch with producerId ${producerId} in topic partition ${target.name}`);
    }
    const attributes = batch.readInt16BE(BatchField.ATTRIBUTES);
    const codec = (attributes & 0x07) as CompressionType;
    const recompress = target.settings.compression !== undefined && target.settings.compression !== codec;
    // A producer may not claim LogAppendTime; Kafka's per-record rule reports it (see throwRecordErrors).
    const claimsLogAppendTime = (attributes & LOG_APPEND_TIME_BIT) !== 0;
    if (!decode && !recompress && !claimsLogAppendTime) continue;
    // Records are read from here on: the bytes must be the producer's (CRC) before anything is judged by them.
    const header = validateBatch(batch);
    const decoded = [...iterateBatchRecords(batch)];
    throwRecordErrors(
      decoded.map((record) => ({ offset: header.baseOffset + BigInt(record.offsetDelta), timestamp: recordTimestamp(header, record), key: record.key, value: record.value })),
      target,
      claimsLogAppendTime,
    );
    if (recompress) {
      rewritten ??= entries.slice(0, i).map((entry) => entry.bytes);
      rewritten.push(
        buildRecordBatch({
          compression: target.settings.compression,
          timestampType: header.timestampType,
          isTransactional: header.isTransactional,
          producerId: header.producerId,
          producerEpoch: header.producerEpoch,
          baseSequence: header.baseSequence,
          partitionLeaderEpoch: header.partitionLeaderEpoch,
          baseTimestamp: header.baseTimestamp,
          maxTimestamp: header.maxTimestamp,
          records: decoded.map((record) => ({
            timestamp: recordTimestamp(header, record),
            key: record.key,
            value: record.value,
            headers: record.headers,
            offsetDelta: record.offsetDelta,
          })),
        }),
      );
    } else {
      rewritten?.push(batch);
    }
  }
  return rewritten ? Buffer.concat(rewritten) : records;
}

/**
 * Old producers (Produce v0-v2) send magic 0/1 message sets; Kafka 3.x stores magic 2 only and converts them
 * on append. Each uncompressed message is its own entry (its records are indexed from 0 in record errors); a
 * compressed set is one wrapper, and only one is allowed.
 */
function upConvert(records: Buffer, entries: readonly RecordSetEntry[], target: ProduceTarget): Buffer {
  let sourceCompression = CompressionType.None;
  for (const entry of entries) {
    checkSize(entry.size, target);
    const wrapper = readLegacyMessage(entry.bytes);
    if (wrapper.compression !== CompressionType.None) sourceCompression = wrapper.compression;
  }
  if (sourceCompression !== CompressionType.None && entries.length > 1) {
    throw new InvalidProducedRecordsError('Compressed outer record has more than one batch');
  }
  for (const entry of entries) {
    throwRecordErrors([...iterateLegacyRecords(entry.bytes)], target);
  }
  return upConvertMessageSet(records, {
    compression: target.settings.compression ?? sourceCompression,
    timestampType: target.config.messageTimestampType,
    logAppendTime: BigInt(target.nowMs),
    baseOffset: 0n,
  });
}

function checkSize(size: number, target: ProduceTarget): void {
  if (size > target.config.maxMessageBytes) {
    throw new RecordTooLargeError(
      `The record batch size in the append to ${target.name} is ${size} bytes which exceeds the maximum configured value of ${target.config.maxMessageBytes}.`,
    );
  }
}

function needsRecordChecks(config: LogConfig): boolean {
  return (
    config.cleanupPolicy.compact ||
    (config.messageTimestampType === TimestampType.CreateTime && (config.messageTimestampBeforeMaxMs < NO_LIMIT || config.messageTimestampAfterMaxMs < NO_LIMIT))
  );
}

/**
 * LogValidator's per-record rules, every record checked so that the client hears of each failing one: a key on a
 * compacted topic; under CreateTime a timestamp inside the window; otherwise (LogAppendTime topics, or records
 * without a timestamp) a batch claiming LogAppendTime is refused.
 */
function throwRecordErrors(
  records: readonly { offset: bigint; timestamp: bigint; key: Buffer | null; value?: Buffer | null }[],
  target: ProduceTarget,
  claimsLogAppendTime = false,
): void {
  const { config, nowMs, name } = target;
  const errors: (RecordError & { timestamp: boolean })[] = [];
  const before = config.messageTimestampBeforeMaxMs;
  const after = config.messageTimestampAfterMaxMs;
  records.forEach((record, index) => {
    if (config.cleanupPolicy.compact && record.key === null) {
      errors.push({ batchIndex: index, message: `Compacted topic cannot accept message without key in topic partition ${name}`, timestamp: false });
      return;
    }
    if (config.messageTimestampType !== TimestampType.CreateTime || record.timestamp === NO_TIMESTAMP) {
      if (claimsLogAppendTime) {
        const described = `DefaultRecord(offset=${record.offset}, timestamp=${record.timestamp}, key=${record.key?.length ?? 0} bytes, value=${record.value?.length ?? 0} bytes)`;
        errors.push({ batchIndex: index, message: `Invalid timestamp type in message ${described}. Producer should not set timestamp type to LogAppendTime.`, timestamp: true });
      }
      return;
    }
    const difference = nowMs - Number(record.timestamp);
    if ((before < NO_LIMIT && difference > before) || (after < NO_LIMIT && -difference > after)) {
      errors.push({
        batchIndex: index,
        message: `Timestamp ${record.timestamp} of message with offset ${record.offset} is out of range. The timestamp should be within [${windowEdge(nowMs, -before)}, ${windowEdge(nowMs, after)}]`,
        timestamp: true,
      });
    }
  });
  if (errors.length > 0) throw RecordValidationError.of(errors);
}

/** `now ± limit` as Java's long arithmetic prints it (wrapping past Long.MAX_VALUE, as Kafka's message does). */
function windowEdge(nowMs: number, limit: number): string {
  const LONG_MAX = (1n << 63n) - 1n;
  const value = BigInt(nowMs) + (Math.abs(limit) >= NO_LIMIT ? (limit < 0 ? -LONG_MAX : LONG_MAX) : BigInt(limit));
  return String(BigInt.asIntN(64, value));
}
