import { UnsupportedCompressionTypeError } from '../compression/errors';
import { DecompressOptions } from '../compression/limits';
import { CompressionType, NO_TIMESTAMP, TimestampType } from './batch-header';
import {
  LegacyMagic,
  LegacyMessageSpec,
  LegacyRecord,
  buildLegacyMessageSet,
  iterateLegacyRecords,
  readLegacyMessage,
} from './legacy-message';
import { RecordBatch, buildRecordBatch } from './record-batch';
import { iterateRecordSet } from './record-set';

export interface DownConvertOptions extends DecompressOptions {
  /** Records before this offset are left out of converted batches (Kafka converts from the fetch offset). */
  firstOffset?: bigint;
}

/**
 * Rewrites a record set for a fetcher that only understands `toMagic` (Fetch v0-v1 read magic 0, v2-v3 magic 1),
 * following Kafka's RecordsUtil.downConvert: entries already at or below the target magic pass through as they
 * are; each newer batch becomes one legacy message set with the same codec, offsets and timestamp type, without
 * headers, producer state or leader epoch. Control batches are dropped (old clients know no transactions), and
 * so are batches left with no records. zstd cannot be expressed in a legacy message: UNSUPPORTED_COMPRESSION_TYPE.
 * A trailing partial entry is dropped.
 */
export function downConvertRecordSet(recordSet: Buffer, toMagic: LegacyMagic, options?: DownConvertOptions): Buffer {
  const firstOffset = options?.firstOffset ?? -1n;
  const pieces: Buffer[] = [];
  for (const entry of iterateRecordSet(recordSet)) {
    if (entry.magic <= toMagic) {
      pieces.push(entry.bytes);
      continue;
    }
    const converted =
      entry.magic === 2
        ? downConvertBatch(new RecordBatch(entry.bytes), toMagic, firstOffset, options)
        : downConvertLegacy(entry.bytes, toMagic, firstOffset, options);
    if (converted.length > 0) pieces.push(converted);
  }
  return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
}

function downConvertBatch(batch: RecordBatch, toMagic: LegacyMagic, firstOffset: bigint, options?: DecompressOptions): Buffer {
  const header = batch.header;
  if (header.isControl) return Buffer.alloc(0);
  if (header.compression === CompressionType.Zstd) {
    throw new UnsupportedCompressionTypeError('a zstd batch cannot be down-converted to a legacy message set');
  }
  const records = batch.resolvedRecords(options).filter((record) => record.offset >= firstOffset);
  return buildLegacyMessageSet({
    magic: toMagic,
    compression: header.compression,
    timestampType: header.timestampType,
    logAppendTime: header.maxTimestamp,
    records: records.map((record) => ({
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key,
      value: record.value,
    })),
  });
}

function downConvertLegacy(entry: Buffer, toMagic: LegacyMagic, firstOffset: bigint, options?: DecompressOptions): Buffer {
  const wrapper = readLegacyMessage(entry);
  const records: LegacyMessageSpec[] = [];
  for (const record of iterateLegacyRecords(entry, options)) {
    if (record.offset >= firstOffset) records.push({ offset: record.offset, key: record.key, value: record.value });
  }
  return buildLegacyMessageSet({ magic: toMagic, compression: wrapper.compression, records });
}

export interface UpConvertOptions extends DecompressOptions {
  /** The codec of the new batch; by default the codec the client used (Kafka's compression.type=producer). */
  compression?: CompressionType;
  /** The topic's message.timestamp.type. */
  timestampType?: TimestampType;
  /** The broker's append time, required with LogAppendTime. */
  logAppendTime?: bigint;
  baseOffset?: bigint;
}

/**
 * Turns a legacy message set from an old producer into one v2 batch, as Kafka's LogValidator does when it
 * converts on append: records get consecutive offsets from `baseOffset`, magic-0 records get no timestamp (-1),
 * no producer id, sequence or headers, and the codec is the client's unless the topic names one.
 */
export function upConvertMessageSet(messageSet: Buffer, options?: UpConvertOptions): Buffer {
  const records: LegacyRecord[] = [];
  let sourceCompression = CompressionType.None;
  for (const entry of iterateRecordSet(messageSet)) {
    const wrapper = readLegacyMessage(entry.bytes);
    if (wrapper.compression !== CompressionType.None) sourceCompression = wrapper.compression;
    for (const record of iterateLegacyRecords(entry.bytes, options)) records.push(record);
  }
  const timestampType = options?.timestampType ?? TimestampType.CreateTime;
  const logAppendTime = timestampType === TimestampType.LogAppendTime;
  return buildRecordBatch({
    baseOffset: options?.baseOffset ?? 0n,
    compression: options?.compression ?? sourceCompression,
    timestampType,
    maxTimestamp: logAppendTime ? (options?.logAppendTime ?? NO_TIMESTAMP) : undefined,
    records: records.map((record) => ({
      timestamp: logAppendTime ? (options?.logAppendTime ?? NO_TIMESTAMP) : record.timestamp,
      key: record.key,
      value: record.value,
    })),
  });
}
