import { compress, decompress } from '../compression/codec';
import { UnsupportedCompressionTypeError } from '../compression/errors';
import { DecompressOptions } from '../compression/limits';
import { CorruptRecordError } from '../errors/tributary-error';
import { CompressionType, LOG_OVERHEAD, NO_TIMESTAMP, TimestampType } from './batch-header';
import { crc32 } from './crc';
import { iterateRecordSet } from './record-set';

/**
 * Legacy message sets, magic 0 (Kafka 0.8-0.9) and magic 1 (0.10, adds a timestamp). One log entry is
 * `offset int64, size int32` followed by the message `crc uint32, magic int8, attributes int8, [timestamp int64],
 * key bytes, value bytes`; the CRC is zlib's CRC-32 over magic..end. A compressed message is a wrapper whose
 * value is a whole inner message set compressed with the wrapper's codec.
 */
export const LegacyField = {
  OFFSET: 0,
  SIZE: 8,
  CRC: 12,
  MAGIC: 16,
  ATTRIBUTES: 17,
  TIMESTAMP: 18,
} as const;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const MAX_LEGACY_COMPRESSION = CompressionType.Lz4;

export type LegacyMagic = 0 | 1;

/** One legacy message as stored, before any wrapper is opened. Key and value are views. */
export interface LegacyMessage {
  offset: bigint;
  magic: LegacyMagic;
  crc: number;
  attributes: number;
  compression: CompressionType;
  timestampType: TimestampType;
  /** -1 for magic 0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/** A logical record of a legacy set: a plain message, or one of the messages inside a wrapper. */
export interface LegacyRecord {
  offset: bigint;
  magic: LegacyMagic;
  timestamp: bigint;
  timestampType: TimestampType;
  key: Buffer | null;
  value: Buffer | null;
}

function keyOffset(magic: number): number {
  return magic === 0 ? LegacyField.TIMESTAMP : LegacyField.TIMESTAMP + 8;
}

/** Parses and checks one whole legacy entry (exactly its bytes): sizes, magic, attributes and CRC-32. */
export function readLegacyMessage(entry: Buffer): LegacyMessage {
  if (entry.length < LegacyField.ATTRIBUTES + 1) {
    throw new CorruptRecordError(`legacy message of ${entry.length} bytes is shorter than its header`);
  }
  const magic = entry.readInt8(LegacyField.MAGIC);
  if (magic !== 0 && magic !== 1) throw new CorruptRecordError(`legacy message has magic ${magic}`);
  const size = entry.readInt32BE(LegacyField.SIZE);
  if (size + LOG_OVERHEAD !== entry.length) {
    throw new CorruptRecordError(`legacy message declares ${size} bytes but ${entry.length - LOG_OVERHEAD} were given`);
  }
  let at = keyOffset(magic);
  const key = lengthPrefixed(entry, at, 'key');
  at += 4 + (key?.length ?? 0);
  const value = lengthPrefixed(entry, at, 'value');
  at += 4 + (value?.length ?? 0);
  if (at !== entry.length) throw new CorruptRecordError(`legacy message has ${entry.length - at} trailing bytes`);
  const crc = entry.readUInt32BE(LegacyField.CRC);
  const computed = crc32(entry.subarray(LegacyField.MAGIC));
  if (crc !== computed) throw new CorruptRecordError(`legacy message CRC is ${crc}, computed ${computed}`);
  const attributes = entry.readInt8(LegacyField.ATTRIBUTES);
  const compression = (attributes & COMPRESSION_MASK) as CompressionType;
  if (compression > MAX_LEGACY_COMPRESSION) {
    throw new CorruptRecordError(`legacy message uses compression type ${compression}`);
  }
  return {
    offset: entry.readBigInt64BE(LegacyField.OFFSET),
    magic,
    crc,
    attributes,
    compression,
    timestampType: magic > 0 && attributes & TIMESTAMP_TYPE_BIT ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    timestamp: magic === 0 ? NO_TIMESTAMP : entry.readBigInt64BE(LegacyField.TIMESTAMP),
    key,
    value,
  };
}

function lengthPrefixed(entry: Buffer, at: number, what: string): Buffer | null {
  if (entry.length - at < 4) throw new CorruptRecordError(`legacy message ends before its ${what} length`);
  const size = entry.readInt32BE(at);
  if (size === -1) return null;
  if (size < 0 || size > entry.length - at - 4) {
    throw new CorruptRecordError(`legacy message ${what} of ${size} bytes does not fit`);
  }
  return entry.subarray(at + 4, at + 4 + size);
}

/**
 * The logical records of one legacy entry: itself, or the messages its wrapper holds with offsets made
 * absolute (v1 inner offsets are relative and the wrapper carries the last one's absolute offset) and, for a
 * LogAppendTime v1 wrapper, the wrapper's timestamp given to every inner message.
 */
export function* iterateLegacyRecords(entry: Buffer, options?: DecompressOptions): Generator<LegacyRecord> {
  const wrapper = readLegacyMessage(entry);
  if (wrapper.compression === CompressionType.None) {
    yield toRecord(wrapper);
    return;
  }
  if (wrapper.value === null) throw new CorruptRecordError('compressed legacy message has a null value');
  const innerSet = decompress(wrapper.compression, wrapper.value, { ...options, magic: wrapper.magic });
  const inner: LegacyMessage[] = [];
  let consumed = 0;
  for (const innerEntry of iterateRecordSet(innerSet)) {
    const message = readLegacyMessage(innerEntry.bytes);
    if (message.magic !== wrapper.magic) {
      throw new CorruptRecordError(`inner message magic ${message.magic} differs from its wrapper's ${wrapper.magic}`);
    }
    if (message.compression !== CompressionType.None) throw new CorruptRecordError('legacy wrappers may not nest');
    inner.push(message);
    consumed = innerEntry.offset + innerEntry.size;
  }
  if (consumed !== innerSet.length) throw new CorruptRecordError('compressed legacy message set ends inside a message');
  if (inner.length === 0) throw new CorruptRecordError('compressed legacy message holds no messages');
  // Kafka's rule: only when the wrapper offset minus the last inner offset is not negative are the inner offsets
  // relative. Producers send wrappers at offset 0 (kafkajs, kafka-python), so before the broker assigns offsets
  // the inner ones are read as they are.
  const base = wrapper.offset - inner[inner.length - 1].offset;
  const shift = wrapper.magic > 0 && base >= 0n ? base : 0n;
  const logAppendTime = wrapper.magic > 0 && wrapper.timestampType === TimestampType.LogAppendTime;
  for (const message of inner) {
    const record = toRecord(message);
    record.offset += shift;
    if (logAppendTime) {
      record.timestamp = wrapper.timestamp;
      record.timestampType = TimestampType.LogAppendTime;
    }
    yield record;
  }
}

function toRecord(message: LegacyMessage): LegacyRecord {
  return {
    offset: message.offset,
    magic: message.magic,
    timestamp: message.timestamp,
    timestampType: message.timestampType,
    key: message.key,
    value: message.value,
  };
}

/** Every logical record of a legacy message set (a trailing partial entry is ignored, as in a fetch). */
export function decodeLegacyMessageSet(messageSet: Buffer, options?: DecompressOptions): LegacyRecord[] {
  const records: LegacyRecord[] = [];
  for (const entry of iterateRecordSet(messageSet)) {
    if (entry.magic > 1) throw new CorruptRecordError(`entry at byte ${entry.offset} is a v2 batch, not a legacy message`);
    for (const record of iterateLegacyRecords(entry.bytes, options)) records.push(record);
  }
  return records;
}

export interface LegacyMessageSpec {
  /** Magic 1 only; magic 0 has no timestamp. Defaults to -1. */
  timestamp?: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** Absolute offset; defaults to baseOffset + index. */
  offset?: bigint;
}

export interface LegacyMessageSetSpec {
  magic: LegacyMagic;
  compression?: CompressionType;
  baseOffset?: bigint;
  /** Magic 1 only. With LogAppendTime every message (and the wrapper) carries `logAppendTime`. */
  timestampType?: TimestampType;
  logAppendTime?: bigint;
  records: LegacyMessageSpec[];
}

/** Encodes one legacy entry (offset, size, message) with its CRC. */
export function buildLegacyMessage(
  magic: LegacyMagic,
  offset: bigint,
  attributes: number,
  timestamp: bigint,
  key: Buffer | null,
  value: Buffer | null,
): Buffer {
  const at = keyOffset(magic);
  const size = at + 8 + (key?.length ?? 0) + (value?.length ?? 0);
  const entry = Buffer.allocUnsafe(size);
  entry.writeBigInt64BE(offset, LegacyField.OFFSET);
  entry.writeInt32BE(size - LOG_OVERHEAD, LegacyField.SIZE);
  entry.writeInt8(magic, LegacyField.MAGIC);
  entry.writeInt8(attributes, LegacyField.ATTRIBUTES);
  if (magic > 0) entry.writeBigInt64BE(timestamp, LegacyField.TIMESTAMP);
  let cursor = writeLengthPrefixed(entry, at, key);
  cursor = writeLengthPrefixed(entry, cursor, value);
  entry.writeUInt32BE(crc32(entry.subarray(LegacyField.MAGIC)), LegacyField.CRC);
  return entry;
}

function writeLengthPrefixed(entry: Buffer, at: number, bytes: Buffer | null): number {
  if (bytes === null) {
    entry.writeInt32BE(-1, at);
    return at + 4;
  }
  entry.writeInt32BE(bytes.length, at);
  bytes.copy(entry, at + 4);
  return at + 4 + bytes.length;
}

/**
 * Encodes a legacy message set the way Kafka's legacy MemoryRecordsBuilder does: one entry per record when
 * uncompressed; otherwise one wrapper whose offset is the last record's, whose timestamp is the largest (or the
 * log append time), holding inner messages with relative offsets (magic 1) or absolute ones (magic 0).
 */
export function buildLegacyMessageSet(spec: LegacyMessageSetSpec): Buffer {
  const { magic, records } = spec;
  const compression = spec.compression ?? CompressionType.None;
  if (compression > MAX_LEGACY_COMPRESSION) {
    throw new UnsupportedCompressionTypeError(`compression type ${compression} cannot be used with magic ${magic}`);
  }
  const logAppendTime = magic > 0 && spec.timestampType === TimestampType.LogAppendTime;
  const timestampBit = logAppendTime ? TIMESTAMP_TYPE_BIT : 0;
  const baseOffset = spec.baseOffset ?? 0n;
  const offsets = records.map((record, i) => record.offset ?? baseOffset + BigInt(i));
  const timestampOf = (record: LegacyMessageSpec): bigint => {
    if (magic === 0) return NO_TIMESTAMP;
    if (logAppendTime) return spec.logAppendTime ?? NO_TIMESTAMP;
    return record.timestamp ?? NO_TIMESTAMP;
  };
  if (compression === CompressionType.None) {
    return Buffer.concat(
      records.map((record, i) =>
        buildLegacyMessage(magic, offsets[i], timestampBit, timestampOf(record), record.key, record.value),
      ),
    );
  }
  if (records.length === 0) return Buffer.alloc(0);
  const firstOffset = offsets[0];
  const inner = Buffer.concat(
    records.map((record, i) =>
      buildLegacyMessage(
        magic,
        magic === 0 ? offsets[i] : offsets[i] - firstOffset,
        timestampBit,
        timestampOf(record),
        record.key,
        record.value,
      ),
    ),
  );
  let wrapperTimestamp = NO_TIMESTAMP;
  for (const record of records) {
    const timestamp = timestampOf(record);
    if (timestamp > wrapperTimestamp) wrapperTimestamp = timestamp;
  }
  const value = compress(compression, inner, { magic });
  return buildLegacyMessage(magic, offsets[offsets.length - 1], compression | timestampBit, wrapperTimestamp, null, value);
}
