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
import type { BatchInfo } from './batch-scan';
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
 */
export function validateAndAssignOffsets(
  records: Buffer,
  config: LogConfig,
  options: {
    nextOffset: bigint;
    assignOffsets: boolean;
    origin: AppendOrigin;
    nowMs: number;
    leaderEpoch?: number;
    timestampType?: TimestampType;
  },
): ValidatedAppend {
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
  if (timestamp < nowMs - config.messageTimestampBeforeMaxMs) {
    throw new InvalidTimestampError(
      `timestamp ${timestamp} is more than message.timestamp.before.max.ms (${config.messageTimestampBeforeMaxMs}) before broker time ${nowMs}`,
    );
  }
  if (timestamp > nowMs + config.messageTimestampAfterMaxMs) {
    throw new InvalidTimestampError(
      `timestamp ${timestamp} is more than message.timestamp.after.max.ms (${config.messageTimestampAfterMaxMs}) after broker time ${nowMs}`,
    );
  }
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
