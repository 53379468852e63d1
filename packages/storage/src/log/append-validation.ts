import * as protocol from '@tributary/protocol';
import { CorruptRecordError, type TimestampType } from '@tributary/protocol';
import type { LogConfig } from '../config';
import {
  InvalidRecordError,
  InvalidTimestampError,
  RecordBatchTooLargeError,
  RecordTooLargeError,
  UnsupportedForMessageFormatError,
} from '../errors';
import { nativeAddon } from '../native';
import { type BatchInfo, batchesIn } from './batch-scan';
import { isBatchChecksumValidAt, updateBatchChecksum } from './batch-checksum';

/** Who is appending: producers are checked strictly; followers copy the leader's batches as they are. */
export enum AppendOrigin {
  Client = 'client',
  /** The group or transaction coordinator (may write control batches). */
  Coordinator = 'coordinator',
  /** A follower appending the leader's batches with their offsets. */
  Replication = 'replication',
}

// Taken once from the protocol package: its re-exports are property getters, and these run for every batch.
const { BATCH_HEADER_SIZE, BatchField, LOG_OVERHEAD, decodeBatchRecords } = protocol;
const { MAGIC, BATCH_LENGTH, LAST_OFFSET_DELTA, RECORDS_COUNT, ATTRIBUTES, BASE_OFFSET, MAX_TIMESTAMP, BASE_TIMESTAMP, PARTITION_LEADER_EPOCH } =
  BatchField;
const LOG_APPEND_TIME = protocol.TimestampType.LogAppendTime;

const TIMESTAMP_TYPE_BIT = 0x08;
const CONTROL_BIT = 0x20;
const NO_TIMESTAMP = -1;

export interface ValidatedAppend {
  batches: BatchInfo[];
  firstOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: number;
  /** Offset of the batch holding `maxTimestamp`. */
  offsetOfMaxTimestamp: bigint;
  /** Records in the append (sum of the batches' offset ranges). */
  recordCount: number;
  /** LogAppendTime stamped on the batches, or -1 when they keep CreateTime. */
  logAppendTimeMs: number;
}

export interface AppendValidationOptions {
  nextOffset: bigint;
  assignOffsets: boolean;
  origin: AppendOrigin;
  nowMs: number;
  leaderEpoch?: number;
  timestampType?: TimestampType;
}

const validateBatches = nativeAddon?.validateBatches;

/**
 * Checks a produced record set without decoding its records and, when `assignOffsets` is set, gives the batches
 * offsets from `nextOffset` by rewriting each base offset in place. With LogAppendTime the max timestamp and the
 * timestamp-type bit are rewritten and the CRC recomputed (those bytes are covered by it); nothing else changes.
 *
 * Checked here: whole v2 batches only, each batch's size against `max.message.bytes`, the whole set against
 * `segment.bytes`, CRC-32C, `lastOffsetDelta + 1 == recordsCount` for producer batches, control batches only from
 * coordinators, keys on compacted topics, and CreateTime timestamps against `message.timestamp.before/after.max.ms`.
 * Kafka checks every record's timestamp; we check the batch's first and max timestamp, which bound them all
 * except a record older than the first — a difference only for producers that reorder timestamps in a batch.
 *
 * The native addon runs these checks in one call per record set when it is built (`validateNatively`);
 * `validateInJs` is the same checks in JavaScript, the fallback and the reference the addon is tested against.
 */
export function validateAndAssignOffsets(records: Buffer, config: LogConfig, options: AppendValidationOptions): ValidatedAppend {
  if (records.length > config.segmentBytes) {
    throw new RecordBatchTooLargeError(`record set of ${records.length} bytes exceeds segment.bytes ${config.segmentBytes}`);
  }
  return (validateBatches && validateNatively(records, config, options)) || validateInJs(records, config, options);
}

// The addon's parameter and result slots (the same enums are in native/addon.c).
enum ValidationParam {
  NextOffset,
  Flags,
  NowMs,
  LeaderEpoch,
  MaxMessageBytes,
  BeforeMaxMs,
  AfterMaxMs,
  Count,
}
enum ValidationFlag {
  AssignOffsets = 1,
  Replication = 2,
  FromClient = 4,
  StampLogAppendTime = 8,
  SetLeaderEpoch = 16,
}
enum ValidationOut {
  FirstOffset,
  LastOffset,
  MaxTimestamp,
  OffsetOfMaxTimestamp,
  RecordCount,
  /** Index of the batch holding the max timestamp, -1 when no batch has a timestamp. */
  BatchOfMaxTimestamp,
  Count,
}
/** Each batch's facts follow the totals in `out`, `BatchFact.Stride` numbers per batch. */
enum BatchFact {
  Position,
  Size,
  BaseOffset,
  LastOffset,
  MaxTimestamp,
  FirstTimestamp,
  Stride,
}
/** The addon's negative answers; on a failure `out[0..2]` hold the numbers the message needs. */
enum ValidationFailure {
  ShortHeader = -1,
  BadMagic = -2,
  BadSize = -3,
  TooLarge = -4,
  BadCrc = -5,
  NegativeDelta = -6,
  CountMismatch = -7,
  ControlFromClient = -8,
  OffsetBelowNext = -9,
  TimestampTooOld = -10,
  TimestampTooNew = -11,
  Overlap = -12,
  Empty = -13,
  /** An offset past 2^53, which a double cannot carry: the JavaScript path (bigint) takes over. */
  OffsetsBeyondDouble = -14,
}

// One pair of arrays for every call, allocated by the addon so that a call passes only the record set: appends
// run one at a time on the event loop, and each call reads its results out before returning. `out` grows when
// a record set has more batches than it has room for.
const INITIAL_BATCHES_WITH_FACTS = 64;
const initialArrays = nativeAddon?.validationArrays(INITIAL_BATCHES_WITH_FACTS);
const params = initialArrays?.[0] ?? new Float64Array(0);
let out = initialArrays?.[1] ?? new Float64Array(0);
/** Beyond this many batches in one record set their facts are read back from the headers instead (6 MiB). */
const MAX_BATCHES_WITH_FACTS = 128 * 1024;

function roomIn(array: Float64Array): number {
  return (array.length - ValidationOut.Count) / BatchFact.Stride;
}

/**
 * The addon's validation, or undefined when this append needs the JavaScript path: records decoded for the key
 * check of a compacted topic, offsets at or past 2^53, or a leader epoch that is not an int32.
 */
export function validateNatively(records: Buffer, config: LogConfig, options: AppendValidationOptions): ValidatedAppend | undefined {
  const replication = options.origin === AppendOrigin.Replication;
  if (!validateBatches || (config.cleanupPolicy.compact && !replication)) return undefined;
  const nextOffset = Number(options.nextOffset);
  if (!(nextOffset >= 0 && nextOffset <= Number.MAX_SAFE_INTEGER)) return undefined;
  const { leaderEpoch } = options;
  if (leaderEpoch !== undefined && (leaderEpoch | 0) !== leaderEpoch) return undefined;
  const timestampType = options.timestampType ?? config.messageTimestampType;
  const stampLogAppendTime = timestampType === LOG_APPEND_TIME && !replication;
  params[ValidationParam.NextOffset] = nextOffset;
  params[ValidationParam.Flags] =
    (options.assignOffsets ? ValidationFlag.AssignOffsets : 0) |
    (replication ? ValidationFlag.Replication : 0) |
    (options.origin === AppendOrigin.Client ? ValidationFlag.FromClient : 0) |
    (stampLogAppendTime ? ValidationFlag.StampLogAppendTime : 0) |
    (leaderEpoch !== undefined ? ValidationFlag.SetLeaderEpoch : 0);
  params[ValidationParam.NowMs] = options.nowMs;
  params[ValidationParam.LeaderEpoch] = leaderEpoch ?? -1;
  params[ValidationParam.MaxMessageBytes] = config.maxMessageBytes;
  params[ValidationParam.BeforeMaxMs] = config.messageTimestampBeforeMaxMs;
  params[ValidationParam.AfterMaxMs] = config.messageTimestampAfterMaxMs;
  const count = validateBatches(records);
  if (count > 0) {
    const room = roomIn(out);
    // Each bigint made from a double costs about 40 ns, a tenth of the native call: the first base offset and
    // the offset of the max timestamp reuse bigints that exist already.
    const batches = count <= room ? batchesFromFacts(count, options.assignOffsets ? options.nextOffset : undefined) : [...batchesIn(records)];
    const batchOfMaxTimestamp = out[ValidationOut.BatchOfMaxTimestamp];
    const result: ValidatedAppend = {
      batches,
      firstOffset: batches[0].baseOffset,
      lastOffset: batches[count - 1].lastOffset,
      maxTimestamp: out[ValidationOut.MaxTimestamp],
      offsetOfMaxTimestamp: batchOfMaxTimestamp >= 0 ? batches[batchOfMaxTimestamp].lastOffset : options.nextOffset,
      recordCount: out[ValidationOut.RecordCount],
      logAppendTimeMs: stampLogAppendTime ? options.nowMs : -1,
    };
    // Room for next time (a follower's appends keep bringing as many batches), within reason.
    if (count > room && count <= MAX_BATCHES_WITH_FACTS) out = nativeAddon!.validationArrays(count)[1];
    return result;
  }
  if (count === ValidationFailure.OffsetsBeyondDouble) return undefined;
  throw validationError(count, out[0], out[1], out[2], config, options.nowMs);
}

/**
 * The BatchInfo of each batch the addon just validated, from the facts it left in `out`. `firstBaseOffset` is the
 * first batch's base offset when the caller has it as a bigint already (offsets were assigned from it).
 */
function batchesFromFacts(count: number, firstBaseOffset: bigint | undefined): BatchInfo[] {
  const batches = new Array<BatchInfo>(count);
  for (let i = 0, at = ValidationOut.Count; i < count; i++, at += BatchFact.Stride) {
    batches[i] = {
      position: out[at + BatchFact.Position],
      size: out[at + BatchFact.Size],
      magic: 2,
      baseOffset: i === 0 && firstBaseOffset !== undefined ? firstBaseOffset : BigInt(out[at + BatchFact.BaseOffset]),
      lastOffset: BigInt(out[at + BatchFact.LastOffset]),
      maxTimestamp: out[at + BatchFact.MaxTimestamp],
      firstTimestamp: out[at + BatchFact.FirstTimestamp],
    };
  }
  return batches;
}

/** The typed error, with the message the JavaScript path gives, for one of the addon's failures. */
function validationError(code: number, a: number, b: number, c: number, config: LogConfig, nowMs: number): Error {
  switch (code as ValidationFailure) {
    case ValidationFailure.ShortHeader:
      return new CorruptRecordError(`record set ends with ${a} bytes, less than a batch header`);
    case ValidationFailure.BadMagic:
      return new UnsupportedForMessageFormatError(`batch at byte ${a} has magic ${b}; storage holds only magic 2`);
    case ValidationFailure.BadSize:
      return new CorruptRecordError(`batch at byte ${a} claims ${b} bytes, but ${c} remain`);
    case ValidationFailure.TooLarge:
      return new RecordTooLargeError(`batch of ${a} bytes exceeds max.message.bytes ${config.maxMessageBytes}`);
    case ValidationFailure.BadCrc:
      return new CorruptRecordError(`batch at byte ${a} fails its CRC-32C check`);
    case ValidationFailure.NegativeDelta:
      return new InvalidRecordError(`batch at byte ${a} has a negative lastOffsetDelta`);
    case ValidationFailure.CountMismatch:
      return new InvalidRecordError(`batch at byte ${a} holds ${b} records but its offsets span ${c}`);
    case ValidationFailure.ControlFromClient:
      return new InvalidRecordError('clients may not write control batches');
    case ValidationFailure.OffsetBelowNext:
      return new InvalidRecordError(`batch offset ${a} is below the next expected offset ${b}`);
    case ValidationFailure.TimestampTooOld:
    case ValidationFailure.TimestampTooNew:
      return timestampError(a, config, nowMs);
    case ValidationFailure.Overlap:
      return new InvalidRecordError(`batch offsets ${a}.. overlap the previous batch ending at ${b}`);
    case ValidationFailure.Empty:
      return new InvalidRecordError('empty record set');
    default:
      return new Error(`storage addon: unexpected validation result ${code}`);
  }
}

/** The JavaScript validation: the fallback without the addon, and the reference the addon is tested against. */
export function validateInJs(records: Buffer, config: LogConfig, options: AppendValidationOptions): ValidatedAppend {
  if (records.length > config.segmentBytes) {
    throw new RecordBatchTooLargeError(`record set of ${records.length} bytes exceeds segment.bytes ${config.segmentBytes}`);
  }
  const timestampType = options.timestampType ?? config.messageTimestampType;
  const stampLogAppendTime = timestampType === LOG_APPEND_TIME && options.origin !== AppendOrigin.Replication;
  const batches: BatchInfo[] = [];
  let at = 0;
  let next = options.nextOffset;
  let maxTimestamp = NO_TIMESTAMP;
  let offsetOfMaxTimestamp = options.nextOffset;
  let recordCount = 0;
  let previousLast: bigint | undefined;
  // Fields are read at `at + FIELD` in the record set itself: this runs once per produced batch, and a view per
  // batch or a bigint per timestamp is measurable next to a 16 KiB write.
  while (at < records.length) {
    if (records.length - at < BATCH_HEADER_SIZE) {
      throw new CorruptRecordError(`record set ends with ${records.length - at} bytes, less than a batch header`);
    }
    const magic = records.readInt8(at + MAGIC);
    if (magic !== 2) {
      throw new UnsupportedForMessageFormatError(`batch at byte ${at} has magic ${magic}; storage holds only magic 2`);
    }
    const size = records.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || at + size > records.length) {
      throw new CorruptRecordError(`batch at byte ${at} claims ${size} bytes, but ${records.length - at} remain`);
    }
    if (size > config.maxMessageBytes) {
      throw new RecordTooLargeError(`batch of ${size} bytes exceeds max.message.bytes ${config.maxMessageBytes}`);
    }
    if (!isBatchChecksumValidAt(records, at, size)) throw new CorruptRecordError(`batch at byte ${at} fails its CRC-32C check`);
    const lastOffsetDelta = records.readInt32BE(at + LAST_OFFSET_DELTA);
    const recordsCount = records.readInt32BE(at + RECORDS_COUNT);
    const attributes = records.readInt16BE(at + ATTRIBUTES);
    if (lastOffsetDelta < 0) throw new InvalidRecordError(`batch at byte ${at} has a negative lastOffsetDelta`);
    if (options.origin !== AppendOrigin.Replication) {
      if (recordsCount !== lastOffsetDelta + 1) {
        throw new InvalidRecordError(`batch at byte ${at} holds ${recordsCount} records but its offsets span ${lastOffsetDelta + 1}`);
      }
      if ((attributes & CONTROL_BIT) !== 0 && options.origin === AppendOrigin.Client) {
        throw new InvalidRecordError('clients may not write control batches');
      }
      // A compacted topic keeps the latest record per key, so a record without a key has no place in it. Only
      // here are records decoded (and decompressed) on append, as in Kafka's LogValidator.
      if (config.cleanupPolicy.compact && (attributes & CONTROL_BIT) === 0) {
        for (const record of decodeBatchRecords(records.subarray(at, at + size))) {
          if (record.key === null) throw new InvalidRecordError('compacted topic cannot accept a record without a key');
        }
      }
    }

    if (options.assignOffsets) {
      writeOffset(records, at + BASE_OFFSET, next);
    } else {
      const base = records.readBigInt64BE(at + BASE_OFFSET);
      if (base < next) throw new InvalidRecordError(`batch offset ${base} is below the next expected offset ${next}`);
      next = base;
    }
    if (options.leaderEpoch !== undefined && options.origin !== AppendOrigin.Replication) {
      records.writeInt32BE(options.leaderEpoch, at + PARTITION_LEADER_EPOCH);
    }

    const firstTimestamp = readTimestamp(records, at + BASE_TIMESTAMP);
    let batchMaxTimestamp = readTimestamp(records, at + MAX_TIMESTAMP);
    if (options.origin !== AppendOrigin.Replication) {
      if (stampLogAppendTime) {
        records.writeInt16BE(attributes | TIMESTAMP_TYPE_BIT, at + ATTRIBUTES);
        records.writeBigInt64BE(BigInt(options.nowMs), at + MAX_TIMESTAMP);
        updateBatchChecksum(records.subarray(at, at + size));
        batchMaxTimestamp = options.nowMs;
      } else {
        checkCreateTime(firstTimestamp, config, options.nowMs);
        checkCreateTime(batchMaxTimestamp, config, options.nowMs);
      }
    }

    const baseOffset = next;
    const lastOffset = baseOffset + BigInt(lastOffsetDelta);
    if (previousLast !== undefined && baseOffset <= previousLast) {
      throw new InvalidRecordError(`batch offsets ${baseOffset}.. overlap the previous batch ending at ${previousLast}`);
    }
    if (batchMaxTimestamp > maxTimestamp) {
      maxTimestamp = batchMaxTimestamp;
      offsetOfMaxTimestamp = lastOffset;
    }
    batches.push({ position: at, size, magic, baseOffset, lastOffset, maxTimestamp: batchMaxTimestamp, firstTimestamp });
    recordCount += lastOffsetDelta + 1;
    previousLast = lastOffset;
    next = lastOffset + 1n;
    at += size;
  }
  if (batches.length === 0) throw new InvalidRecordError('empty record set');
  return {
    batches,
    firstOffset: batches[0].baseOffset,
    lastOffset: batches[batches.length - 1].lastOffset,
    maxTimestamp,
    offsetOfMaxTimestamp,
    recordCount,
    logAppendTimeMs: stampLogAppendTime ? options.nowMs : -1,
  };
}

function checkCreateTime(timestamp: number, config: LogConfig, nowMs: number): void {
  if (timestamp === NO_TIMESTAMP) return;
  if (timestamp < nowMs - config.messageTimestampBeforeMaxMs || timestamp > nowMs + config.messageTimestampAfterMaxMs) {
    throw timestampError(timestamp, config, nowMs);
  }
}

/** The error for a CreateTime `timestamp` outside the bounds around `nowMs` (which bound it breaks decides). */
function timestampError(timestamp: number, config: LogConfig, nowMs: number): InvalidTimestampError {
  if (timestamp < nowMs - config.messageTimestampBeforeMaxMs) {
    return new InvalidTimestampError(
      `timestamp ${timestamp} is more than message.timestamp.before.max.ms (${config.messageTimestampBeforeMaxMs}) before broker time ${nowMs}`,
    );
  }
  return new InvalidTimestampError(
    `timestamp ${timestamp} is more than message.timestamp.after.max.ms (${config.messageTimestampAfterMaxMs}) after broker time ${nowMs}`,
  );
}

/** Writes an int64 offset; offsets below 2^53 (every real one) go as two int32 halves, without bigint arithmetic. */
function writeOffset(buffer: Buffer, at: number, offset: bigint): void {
  const value = Number(offset);
  if (value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
    buffer.writeUInt32BE(Math.floor(value / 0x1_0000_0000), at);
    buffer.writeUInt32BE(value % 0x1_0000_0000, at + 4);
  } else {
    buffer.writeBigInt64BE(offset, at);
  }
}

/**
 * An int64 millisecond timestamp as a number, from its two 32-bit halves: the same value `Number(readBigInt64BE)`
 * gives for every timestamp below 2^53 (all real ones, and -1), without a bigint per read.
 */
function readTimestamp(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * 0x1_0000_0000 + buffer.readUInt32BE(at + 4);
}
