import * as protocol from '@tributary/protocol';
import * as zlib from 'zlib';
import type { FileHandle } from '../fs/file-system';
import { readAt } from '../fs/file-system';
import { isBatchChecksumValid } from './batch-checksum';

/**
 * The shallow facts about one batch that storage needs, read from its header without decoding records.
 * Legacy (magic 0/1) entries carry only their last offset; for them `baseOffset` equals `lastOffset` — Kafka
 * treats them the same way when it walks a log shallowly.
 */
export interface BatchInfo {
  /** Byte position of the batch in the file or buffer it came from. */
  position: number;
  /** Whole size including the 12-byte log overhead. */
  size: number;
  magic: number;
  baseOffset: bigint;
  lastOffset: bigint;
  /** Max timestamp of the batch (-1 when the batch carries none). */
  maxTimestamp: number;
  /** The first record's timestamp (v2 base timestamp), -1 when none. */
  firstTimestamp: number;
}

// Taken once from the protocol package: its re-exports are property getters, and these run for every batch.
const { BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_PREFIX_SIZE } = protocol;
const { BATCH_LENGTH, MAGIC, LAST_OFFSET_DELTA, MAX_TIMESTAMP, BASE_TIMESTAMP } = protocol.BatchField;

const LEGACY_V0_HEADER = LOG_OVERHEAD + 4 + 1 + 1 + 4 + 4;
const LEGACY_V1_HEADER = LEGACY_V0_HEADER + 8;

/**
 * Reads the shallow facts of the entry starting at `buffer[at]`. Returns undefined when the bytes there cannot
 * start an entry (too short, a nonsensical length or magic); the caller treats that as the end of valid data.
 */
export function batchInfoAt(buffer: Buffer, at: number, position = at): BatchInfo | undefined {
  if (buffer.length - at < MAGIC_PREFIX_SIZE) return undefined;
  const length = buffer.readInt32BE(at + BATCH_LENGTH);
  const magic = buffer.readInt8(at + MAGIC);
  const offset = buffer.readBigInt64BE(at);
  if (offset < 0n) return undefined;
  if (magic === 2) {
    if (length < BATCH_HEADER_SIZE - LOG_OVERHEAD) return undefined;
    if (buffer.length - at < BATCH_HEADER_SIZE) return undefined;
    const lastOffsetDelta = buffer.readInt32BE(at + LAST_OFFSET_DELTA);
    if (lastOffsetDelta < 0) return undefined;
    return {
      position,
      size: length + LOG_OVERHEAD,
      magic,
      baseOffset: offset,
      lastOffset: offset + BigInt(lastOffsetDelta),
      maxTimestamp: Number(buffer.readBigInt64BE(at + MAX_TIMESTAMP)),
      firstTimestamp: Number(buffer.readBigInt64BE(at + BASE_TIMESTAMP)),
    };
  }
  if (magic === 0 || magic === 1) {
    const minimum = (magic === 0 ? LEGACY_V0_HEADER : LEGACY_V1_HEADER) - LOG_OVERHEAD;
    if (length < minimum) return undefined;
    let timestamp = -1;
    if (magic === 1) {
      if (buffer.length - at < LEGACY_V1_HEADER) return undefined;
      timestamp = Number(buffer.readBigInt64BE(at + LOG_OVERHEAD + 6));
    }
    return { position, size: length + LOG_OVERHEAD, magic, baseOffset: offset, lastOffset: offset, maxTimestamp: timestamp, firstTimestamp: timestamp };
  }
  return undefined;
}

/** Whether a whole entry's checksum holds: CRC-32C for v2, CRC-32 (IEEE) for legacy messages. */
export function isEntryChecksumValid(entry: Buffer, magic: number): boolean {
  if (magic === 2) return isBatchChecksumValid(entry);
  const stored = entry.readUInt32BE(LOG_OVERHEAD);
  return zlib.crc32(entry.subarray(LOG_OVERHEAD + 4)) >>> 0 === stored;
}

/** Walks the whole entries of an in-memory record set; stops at the first incomplete or invalid one. */
export function* batchesIn(buffer: Buffer): Generator<BatchInfo> {
  let at = 0;
  while (at < buffer.length) {
    const info = batchInfoAt(buffer, at);
    if (!info || at + info.size > buffer.length) return;
    yield info;
    at += info.size;
  }
}

const SCAN_CHUNK_BYTES = 1 << 20;

/**
 * Walks the entries of a file from `start` to `end`, reading large chunks so a scan costs few system calls.
 * With `withBytes`, each step also gets the entry's bytes (a view into the chunk, valid only during the call).
 * Stops at the first entry that is torn or invalid, or when `visit` returns false; returns the position where
 * the walk stopped, which is the end of the last entry visited.
 */
export function scanFile(
  handle: FileHandle,
  start: number,
  end: number,
  visit: (info: BatchInfo, bytes: Buffer | undefined) => boolean,
  withBytes = false,
  chunkBytes = SCAN_CHUNK_BYTES,
): number {
  let position = start;
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = start;
  while (position < end) {
    let at = position - chunkStart;
    let info = batchInfoAt(chunk, at, position);
    const needed = info ? (withBytes ? info.size : Math.min(info.size, BATCH_HEADER_SIZE)) : BATCH_HEADER_SIZE;
    if (!info || at + needed > chunk.length) {
      chunk = readAt(handle, position, Math.min(end - position, Math.max(chunkBytes, info ? needed : 0)));
      chunkStart = position;
      at = 0;
      info = batchInfoAt(chunk, 0, position);
    }
    if (!info || position + info.size > end) return position;
    let bytes: Buffer | undefined;
    if (withBytes) {
      if (info.size > chunk.length) return position;
      bytes = chunk.subarray(at, at + info.size);
    }
    if (!visit(info, bytes)) return position;
    position += info.size;
  }
  return position;
}
