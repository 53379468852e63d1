import * as protocol from '@tributary/protocol';
import type { FileHandle, FileSystem } from '../fs/file-system';
import { joinPath, readAt } from '../fs/file-system';
import { storageError } from '../errors';
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  offsetFileName,
} from '../format/file-names';
import { OffsetIndex, type OffsetPosition } from '../format/offset-index';
import { TimeIndex, type TimestampOffset } from '../format/time-index';
import { TransactionIndex } from '../format/transaction-index';
import { type BatchInfo, batchInfoAt, batchesIn, isEntryChecksumValid, scanFile } from './batch-scan';

const INT32_MAX = 2 ** 31 - 1;
// Taken once from the protocol package (its re-exports are property getters): LOG_OVERHEAD is the base offset and
// length field that start every batch, enough to know a batch's size.
const { LOG_OVERHEAD } = protocol;
const { BATCH_LENGTH: BATCH_LENGTH_FIELD } = protocol.BatchField;
/** How many consumers' read positions a segment remembers. */
const READ_END_POSITIONS = 64;

export interface SegmentOptions {
  fs: FileSystem;
  dir: string;
  baseOffset: bigint;
  indexIntervalBytes: number;
  maxIndexBytes: number;
  /** Wall-clock time of creation, for `segment.ms` when batches carry no timestamps. */
  createdMs: number;
  /** File-name suffix appended after the usual one (e.g. `.cleaned` for cleaner output). */
  fileSuffix?: string;
  /** A number in [0, 1): how much of `segment.jitter.ms` this segment rolls early. */
  jitterFraction?: number;
}

/** What `recover()` found. */
export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  batches: number;
  /** Why the scan stopped early, when it did. */
  stopReason?: string;
}

/**
 * One segment: the `.log` file of batches plus its offset, time and transaction indexes, all named by the base
 * offset. A segment only appends at its end; everything it holds after `append` returns is in the page cache,
 * and survives a crash only after `flush()`.
 *
 * Positions are numbers (a segment is at most 2 GiB, as in Kafka); offsets are bigint at the edges and relative
 * int32 inside the indexes. Call only from the event loop.
 */
export class LogSegment {
  readonly baseOffset: bigint;
  /** The largest offset whose offset relative to the base still fits the indexes' int32. */
  private readonly lastOffsetAllowed: bigint;
  /** The base offset as a number when every offset the segment can hold is below 2^53, so exact as a double. */
  private readonly baseOffsetNumber: number | undefined;
  private readonly fs: FileSystem;
  private readonly dir: string;
  private suffix: string;
  private handle: FileHandle;
  /** False once closed (renamed segments reopen it); closing twice would close someone else's descriptor. */
  private handleOpen = true;
  private _size: number;
  private offsetIndexLoaded: OffsetIndex | undefined;
  private timeIndexLoaded: TimeIndex | undefined;
  private txnIndexLoaded: TransactionIndex | undefined;
  private readonly indexIntervalBytes: number;
  private readonly maxIndexBytes: number;
  private bytesSinceLastIndexEntry = 0;
  /** Largest timestamp in the segment so far and the (relative) offset of the batch holding it; -1 when none. */
  private maxTimestampSoFar = -1;
  private offsetOfMaxTimestampSoFar = 0;
  /** Offset after the last batch; computed lazily for segments opened from disk. */
  private nextOffsetKnown: bigint | undefined;
  /** Where recent reads ended, by the offset a sequential reader asks for next (bounded, oldest dropped). */
  private readonly readEnds = new Map<bigint, { position: number; nextSize: number | undefined }>();
  /** Timestamp of the first batch, the reference for `segment.ms`. */
  private rollingBasedTimestamp: number | undefined;
  readonly createdMs: number;
  /** Where in [0, 1) of `segment.jitter.ms` this segment rolls early; drawn once, as Kafka draws rollJitterMs. */
  readonly jitterFraction: number;
  private lastAppendMs: number;

  private constructor(options: SegmentOptions, handle: FileHandle, size: number) {
    this.fs = options.fs;
    this.dir = options.dir;
    this.baseOffset = options.baseOffset;
    this.lastOffsetAllowed = options.baseOffset + BigInt(INT32_MAX);
    this.baseOffsetNumber = this.lastOffsetAllowed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(options.baseOffset) : undefined;
    this.suffix = options.fileSuffix ?? '';
    this.indexIntervalBytes = options.indexIntervalBytes;
    this.maxIndexBytes = options.maxIndexBytes;
    this.createdMs = options.createdMs;
    this.jitterFraction = options.jitterFraction ?? 0;
    this.lastAppendMs = options.createdMs;
    this.handle = handle;
    this._size = size;
  }

  /** Creates a new empty segment (its `.log` and both index files). */
  static create(options: SegmentOptions): LogSegment {
    const path = segmentPath(options.dir, options.baseOffset, LOG_SUFFIX) + (options.fileSuffix ?? '');
    let handle: FileHandle;
    try {
      handle = options.fs.open(path, { create: true });
      handle.truncate(0);
    } catch (cause) {
      throw storageError('create segment', path, cause);
    }
    const segment = new LogSegment(options, handle, 0);
    segment.offsetIndexLoaded = OffsetIndex.open(options.fs, segment.filePath(INDEX_SUFFIX), options.maxIndexBytes);
    segment.timeIndexLoaded = TimeIndex.open(options.fs, segment.filePath(TIME_INDEX_SUFFIX), options.maxIndexBytes);
    segment.offsetIndexLoaded.replaceWith([]);
    segment.timeIndexLoaded.replaceWith([]);
    segment.nextOffsetKnown = options.baseOffset;
    return segment;
  }

  /** Opens an existing segment; indexes load on first use. */
  static open(options: SegmentOptions): LogSegment {
    const path = segmentPath(options.dir, options.baseOffset, LOG_SUFFIX) + (options.fileSuffix ?? '');
    try {
      const handle = options.fs.open(path);
      return new LogSegment(options, handle, handle.size());
    } catch (cause) {
      throw storageError('open segment', path, cause);
    }
  }

  get size(): number {
    return this._size;
  }

  get logPath(): string {
    return this.filePath(LOG_SUFFIX);
  }

  filePath(suffix: string): string {
    return segmentPath(this.dir, this.baseOffset, suffix) + this.suffix;
  }

  get offsetIndex(): OffsetIndex {
    if (!this.offsetIndexLoaded) {
      this.offsetIndexLoaded = OffsetIndex.open(this.fs, this.filePath(INDEX_SUFFIX), this.maxIndexBytes);
    }
    return this.offsetIndexLoaded;
  }

  get timeIndex(): TimeIndex {
    if (!this.timeIndexLoaded) {
      this.timeIndexLoaded = TimeIndex.open(this.fs, this.filePath(TIME_INDEX_SUFFIX), this.maxIndexBytes);
    }
    return this.timeIndexLoaded;
  }

  get txnIndex(): TransactionIndex {
    if (!this.txnIndexLoaded) this.txnIndexLoaded = TransactionIndex.open(this.fs, this.filePath(TXN_INDEX_SUFFIX));
    return this.txnIndexLoaded;
  }

  /** Whether both index files exist and look consistent with the log; if not, `recover()` rebuilds them. */
  indexesLookSane(): boolean {
    const indexPath = this.filePath(INDEX_SUFFIX);
    const timePath = this.filePath(TIME_INDEX_SUFFIX);
    if (!this.fs.exists(indexPath) || !this.fs.exists(timePath)) return false;
    if (this.fs.stat(indexPath).size % 8 !== 0 || this.fs.stat(timePath).size % 12 !== 0) return false;
    const index = this.offsetIndex;
    if (!index.isSane(this._size)) return false;
    return this.timeIndex.isSane(INT32_MAX);
  }

  /** The offset after the last batch of this segment (its base offset when empty). */
  get nextOffset(): bigint {
    if (this.nextOffsetKnown === undefined) this.loadTail();
    return this.nextOffsetKnown as bigint;
  }

  /** The largest timestamp in the segment, or -1 if no batch carried one. */
  get maxTimestamp(): number {
    if (this.nextOffsetKnown === undefined) this.loadTail();
    return this.maxTimestampSoFar;
  }

  /** Time used for time-based retention: the largest timestamp, or the last write if there is none. */
  largestTimestampOrModifiedMs(): number {
    const max = this.maxTimestamp;
    if (max >= 0) return max;
    try {
      return Math.max(this.lastAppendMs, this.fs.stat(this.logPath).mtimeMs);
    } catch {
      return this.lastAppendMs;
    }
  }

  /** The timestamp `segment.ms` is measured from: the first batch's max timestamp, else creation time. */
  rollReferenceMs(): number {
    if (this.rollingBasedTimestamp === undefined && this._size > 0) {
      scanFile(this.handle, 0, this._size, (info) => {
        this.rollingBasedTimestamp = info.maxTimestamp;
        return false;
      });
    }
    const first = this.rollingBasedTimestamp;
    return first !== undefined && first >= 0 ? first : this.createdMs;
  }

  /** Whether an append of `bytes` ending at `lastOffset` must go to a new segment instead. */
  shouldRoll(bytes: number, lastOffset: bigint, maxTimestamp: number, nowMs: number, segmentBytes: number, segmentMs: number): boolean {
    if (this._size === 0) return false;
    if (this._size > segmentBytes - bytes) return true;
    if (this.offsetIndex.isFull || this.timeIndex.isFull) return true;
    if (lastOffset > this.lastOffsetAllowed) return true;
    const reference = this.rollReferenceMs();
    // As Kafka's timeWaitedForRoll: once the segment's first batch has a timestamp, the incoming batch's max
    // timestamp is compared with it, even when that is -1 (no timestamp: never a reason to roll); wall time
    // since creation counts only for a segment whose first batch has no timestamp.
    const basedOnTimestamps = this.rollingBasedTimestamp !== undefined && this.rollingBasedTimestamp >= 0;
    const now = basedOnTimestamps ? maxTimestamp : nowMs;
    return now - reference > segmentMs;
  }

  /**
   * Appends whole batches (already validated and with offsets assigned) and adds sparse index entries, as
   * Kafka's LogSegment.append does per batch: an entry maps a batch's last offset to its position once more
   * than `index.interval.bytes` were written since the previous entry.
   */
  append(records: Buffer, batches: readonly BatchInfo[], nowMs: number): void {
    const start = this._size;
    try {
      this.handle.write(records, start);
    } catch (cause) {
      this.restoreSizeAfterFailedWrite(start);
      throw storageError('append to', this.logPath, cause);
    }
    this._size = start + records.length;
    this.lastAppendMs = nowMs;
    if (this.nextOffsetKnown === undefined) this.loadTail();
    // This runs once per produce request: plain loops and number arithmetic, nothing allocated per batch.
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i];
      if (this.rollingBasedTimestamp === undefined) this.rollingBasedTimestamp = batch.maxTimestamp;
      const newMaxTimestamp = batch.maxTimestamp > this.maxTimestampSoFar;
      const indexEntryDue = this.bytesSinceLastIndexEntry > this.indexIntervalBytes;
      // Converted once, and only when needed: a bigint to number conversion costs tens of nanoseconds.
      const relativeLast = newMaxTimestamp || indexEntryDue ? this.relativeOffset(batch.lastOffset) : 0;
      if (newMaxTimestamp) {
        this.maxTimestampSoFar = batch.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = relativeLast;
      }
      if (indexEntryDue) {
        this.offsetIndex.append(relativeLast, start + batch.position);
        this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
        this.bytesSinceLastIndexEntry = 0;
      }
      this.bytesSinceLastIndexEntry += batch.size;
    }
    if (batches.length > 0) this.nextOffsetKnown = batches[batches.length - 1].lastOffset + 1n;
  }

  /** `offset` relative to the base offset, as the indexes hold it, without bigint arithmetic when exact. */
  private relativeOffset(offset: bigint): number {
    return this.baseOffsetNumber !== undefined ? Number(offset) - this.baseOffsetNumber : Number(offset - this.baseOffset);
  }

  /** A failed write may have left a torn prefix; cut it off so no reader or recovery ever sees it. */
  private restoreSizeAfterFailedWrite(size: number): void {
    try {
      this.handle.truncate(size);
    } catch {
      // The disk is failing; recovery on the next open truncates the torn bytes instead.
    }
  }

  /**
   * Position and shallow facts of the first batch whose last offset is ≥ `offset`, searching from the index
   * entry at or below it. Undefined when the segment has no such batch.
   */
  translateOffset(offset: bigint, startingPosition = 0): BatchInfo | undefined {
    const relative = offset - this.baseOffset;
    const fromIndex = relative > 0n ? this.offsetIndex.lookup(Number(relative > BigInt(INT32_MAX) ? INT32_MAX : relative)).position : 0;
    let found: BatchInfo | undefined;
    scanFile(
      this.handle,
      Math.max(startingPosition, fromIndex),
      this._size,
      (info) => {
        if (info.lastOffset >= offset) {
          found = info;
          return false;
        }
        return true;
      },
      false,
      16 * 1024,
    );
    return found;
  }

  /**
   * Reads whole batches starting with the one that holds `offset`, up to `maxBytes` (at least one batch when
   * `minOneBatch`), not past `maxPosition`. Returns a buffer of whole batches (a fresh buffer the caller owns).
   *
   * Consumers read sequentially, so the segment remembers where the last few reads ended: a fetch that starts
   * there costs one read of the file instead of an index lookup, a header scan and the read.
   */
  read(offset: bigint, maxBytes: number, maxPosition: number, minOneBatch: boolean): { records: Buffer } | undefined {
    const cached = this.readEnds.get(offset);
    let position: number;
    /** The first batch's size when known: from the index scan, or seen after the previous read's last batch. */
    let firstSize: number | undefined;
    const fromCache = cached !== undefined && cached.position < this._size;
    if (fromCache) {
      position = cached.position;
      firstSize = cached.nextSize;
    } else {
      const first = this.translateOffset(offset);
      if (!first) return undefined;
      position = first.position;
      firstSize = first.size;
    }
    if (position >= maxPosition) return undefined;
    const limit = Math.min(maxPosition, this._size) - position;
    let length = Math.min(limit, maxBytes);
    // A first batch larger than maxBytes is read whole in one go, along with the next batch's length field so
    // that the next sequential read can do the same.
    if (minOneBatch && firstSize !== undefined && firstSize > length) length = Math.min(firstSize + LOG_OVERHEAD, limit);
    if (length <= 0) return undefined;
    let buffer = this.readRange(position, length);
    const first = batchInfoAt(buffer, 0, position);
    if (fromCache) {
      // The remembered position must still start a batch that reaches `offset`; if not, take the slow path.
      if (!first || first.lastOffset < offset) {
        this.readEnds.delete(offset);
        return this.read(offset, maxBytes, maxPosition, minOneBatch);
      }
      // The first batch is larger than the read and its size was not known: fetch only its missing tail.
      if (minOneBatch && first.size > buffer.length && first.size <= limit) {
        buffer = this.extendRead(buffer, position, Math.min(first.size + LOG_OVERHEAD, limit));
      }
    }
    // Whole batches within maxBytes (or the one first batch that exceeds it, when minOneBatch).
    const budget = minOneBatch && first ? Math.max(maxBytes, first.size) : maxBytes;
    let wholeBytes = 0;
    let lastOffset = -1n;
    for (const batch of batchesIn(buffer)) {
      if (batch.position + batch.size > budget) break;
      wholeBytes = batch.position + batch.size;
      lastOffset = batch.lastOffset;
    }
    if (wholeBytes === 0) return undefined;
    const rest = buffer.length - wholeBytes;
    const nextSize = rest >= LOG_OVERHEAD ? buffer.readInt32BE(wholeBytes + BATCH_LENGTH_FIELD) + LOG_OVERHEAD : undefined;
    this.rememberReadEnd(lastOffset + 1n, position + wholeBytes, nextSize !== undefined && nextSize > LOG_OVERHEAD ? nextSize : undefined);
    return { records: buffer.subarray(0, wholeBytes) };
  }

  /** `head` (the bytes at `position`) followed by the file's next bytes, up to `length` in all. */
  private extendRead(head: Buffer, position: number, length: number): Buffer {
    const whole = Buffer.allocUnsafe(length);
    head.copy(whole, 0);
    let filled = head.length;
    try {
      while (filled < length) {
        const n = this.handle.read(whole, filled, length - filled, position + filled);
        if (n === 0) break;
        filled += n;
      }
    } catch (cause) {
      throw storageError('read', this.logPath, cause);
    }
    return filled === length ? whole : whole.subarray(0, filled);
  }

  private readRange(position: number, length: number): Buffer {
    try {
      return readAt(this.handle, position, length);
    } catch (cause) {
      throw storageError('read', this.logPath, cause);
    }
  }

  private rememberReadEnd(nextOffset: bigint, position: number, nextSize: number | undefined): void {
    this.readEnds.delete(nextOffset);
    this.readEnds.set(nextOffset, { position, nextSize });
    if (this.readEnds.size > READ_END_POSITIONS) {
      const oldest = this.readEnds.keys().next().value as bigint;
      this.readEnds.delete(oldest);
    }
  }

  /**
   * The first batch holding a record with timestamp ≥ `timestampMs` at or after `startingOffset`: start from the
   * time index, then scan batch headers. Returns the batch (the caller decodes it to find the exact record).
   */
  findBatchByTimestamp(timestampMs: number, startingOffset: bigint): BatchInfo | undefined {
    const entry = this.timeIndex.lookup(timestampMs);
    const startOffset = this.baseOffset + BigInt(entry.relativeOffset);
    const from = startOffset > startingOffset ? startOffset : startingOffset;
    const start = this.translateOffset(from);
    if (!start) return undefined;
    let found: BatchInfo | undefined;
    scanFile(this.handle, start.position, this._size, (info) => {
      if (info.maxTimestamp >= timestampMs && info.lastOffset >= startingOffset) {
        found = info;
        return false;
      }
      return true;
    });
    return found;
  }

  /**
   * Reads the whole batches that start at `position` and fit in about `maxBytes` (at least one), for sequential
   * consumers such as the cleaner. Returns them as views of one buffer and the position after the last.
   */
  readBatchesAt(position: number, maxBytes: number): { batches: { info: BatchInfo; bytes: Buffer }[]; next: number } {
    if (position >= this._size) return { batches: [], next: position };
    let chunk: Buffer;
    try {
      chunk = readAt(this.handle, position, Math.min(maxBytes, this._size - position));
      const first = batchInfoAt(chunk, 0, position);
      if (first && first.size > chunk.length) chunk = readAt(this.handle, position, Math.min(first.size, this._size - position));
    } catch (cause) {
      throw storageError('read', this.logPath, cause);
    }
    const batches: { info: BatchInfo; bytes: Buffer }[] = [];
    let consumed = 0;
    for (const info of batchesIn(chunk)) {
      batches.push({ info: { ...info, position: position + info.position }, bytes: chunk.subarray(info.position, info.position + info.size) });
      consumed = info.position + info.size;
    }
    return { batches, next: position + consumed };
  }

  /** Reads the bytes of one batch found by a scan. */
  readBatch(info: BatchInfo): Buffer {
    try {
      return readAt(this.handle, info.position, info.size);
    } catch (cause) {
      throw storageError('read', this.logPath, cause);
    }
  }

  /**
   * Re-validates every batch (size, magic, checksum, offsets inside the segment's range), truncates the file at
   * the first bad or torn one, and rebuilds both indexes from what remains. Kafka runs the same pass on every
   * segment above the recovery point after an unclean shutdown.
   */
  recover(maxBatchBytes: number): RecoveryResult {
    const offsets: OffsetPosition[] = [];
    const times: TimestampOffset[] = [];
    let sinceLastEntry = 0;
    let batches = 0;
    let stopReason: string | undefined;
    let maxTimestamp = -1;
    let offsetOfMax = 0;
    let lastOffset: bigint | undefined;
    let firstTimestamp: number | undefined;
    const fileSize = this.currentFileSize();
    const validBytes = scanFile(
      this.handle,
      0,
      fileSize,
      (info, bytes) => {
        if (info.size > maxBatchBytes) {
          stopReason = `batch at ${info.position} claims ${info.size} bytes, more than ${maxBatchBytes}`;
          return false;
        }
        if (!isEntryChecksumValid(bytes as Buffer, info.magic)) {
          stopReason = `checksum mismatch in batch at ${info.position}`;
          return false;
        }
        const relativeLast = info.lastOffset - this.baseOffset;
        if (info.baseOffset < this.baseOffset || relativeLast > BigInt(INT32_MAX) || (lastOffset !== undefined && info.baseOffset <= lastOffset)) {
          stopReason = `batch at ${info.position} has offsets ${info.baseOffset}..${info.lastOffset} out of order or out of range`;
          return false;
        }
        if (firstTimestamp === undefined) firstTimestamp = info.maxTimestamp;
        if (info.maxTimestamp > maxTimestamp) {
          maxTimestamp = info.maxTimestamp;
          offsetOfMax = Number(relativeLast);
        }
        if (sinceLastEntry > this.indexIntervalBytes) {
          offsets.push({ relativeOffset: Number(relativeLast), position: info.position });
          const previous = times[times.length - 1];
          if (!previous || (maxTimestamp > previous.timestampMs && offsetOfMax > previous.relativeOffset)) {
            times.push({ timestampMs: maxTimestamp, relativeOffset: offsetOfMax });
          }
          sinceLastEntry = 0;
        }
        sinceLastEntry += info.size;
        lastOffset = info.lastOffset;
        batches++;
        return true;
      },
      true,
    );
    if (validBytes < fileSize && stopReason === undefined) stopReason = `torn batch at ${validBytes}`;
    if (validBytes < fileSize) {
      try {
        this.handle.truncate(validBytes);
        // Durable at once, so a later crash cannot bring the torn or corrupt bytes back under new appends.
        this.handle.sync();
      } catch (cause) {
        throw storageError('truncate', this.logPath, cause);
      }
    }
    this._size = validBytes;
    this.readEnds.clear();
    this.offsetIndex.replaceWith(offsets);
    this.timeIndex.replaceWith(times);
    if (this.txnIndexLoaded || this.fs.exists(this.filePath(TXN_INDEX_SUFFIX))) {
      this.txnIndex.truncateTo(lastOffset === undefined ? this.baseOffset : lastOffset + 1n);
    }
    this.maxTimestampSoFar = maxTimestamp;
    this.offsetOfMaxTimestampSoFar = offsetOfMax;
    this.nextOffsetKnown = lastOffset === undefined ? this.baseOffset : lastOffset + 1n;
    this.rollingBasedTimestamp = firstTimestamp;
    this.bytesSinceLastIndexEntry = sinceLastEntry;
    return { validBytes, truncatedBytes: fileSize - validBytes, batches, stopReason };
  }

  /**
   * Cuts the segment so that it holds no offset ≥ `offset`. Returns the bytes removed. Index entries at or above
   * the offset go too; the tail state (next offset, max timestamp) is recomputed.
   */
  truncateTo(offset: bigint): number {
    const batch = this.translateOffset(offset);
    if (!batch) return 0;
    // The batch holding `offset` goes entirely when it starts at or after it; a batch that straddles the offset
    // (only possible for a follower truncating mid-batch) is removed too, as Kafka does.
    const position = batch.position;
    const removed = this._size - position;
    const relative = Number(offset - this.baseOffset);
    this.offsetIndex.truncateTo(relative);
    this.timeIndex.truncateTo(relative);
    if (this.txnIndexLoaded || this.fs.exists(this.filePath(TXN_INDEX_SUFFIX))) this.txnIndex.truncateTo(offset);
    try {
      this.handle.truncate(position);
    } catch (cause) {
      throw storageError('truncate', this.logPath, cause);
    }
    this._size = position;
    this.readEnds.clear();
    this.nextOffsetKnown = undefined;
    this.rollingBasedTimestamp = position === 0 ? undefined : this.rollingBasedTimestamp;
    this.loadTail();
    return removed;
  }

  /**
   * Finds the next offset and max timestamp by scanning from the last index entry to the end of the file, so
   * opening a big segment reads only its tail.
   */
  private loadTail(): void {
    const lastTime = this.timeIndex.lastEntry();
    this.maxTimestampSoFar = lastTime ? lastTime.timestampMs : -1;
    this.offsetOfMaxTimestampSoFar = lastTime ? lastTime.relativeOffset : 0;
    const last = this.offsetIndex.lastEntry();
    let next = this.baseOffset;
    let sinceLastEntry = 0;
    const start = last.position < this._size ? last.position : 0;
    scanFile(this.handle, start, this._size, (info) => {
      next = info.lastOffset + 1n;
      if (info.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = info.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = Number(info.lastOffset - this.baseOffset);
      }
      sinceLastEntry += info.size;
      return true;
    });
    this.bytesSinceLastIndexEntry = sinceLastEntry;
    this.nextOffsetKnown = next;
  }

  /** Called when a newer segment becomes active: record the final max timestamp, as Kafka does. */
  onBecomeInactive(): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    this.offsetIndexLoaded?.persist();
    this.timeIndexLoaded?.persist();
  }

  flush(): void {
    try {
      this.handle.sync();
    } catch (cause) {
      throw storageError('fsync', this.logPath, cause);
    }
    this.offsetIndexLoaded?.flush();
    this.timeIndexLoaded?.flush();
    this.txnIndexLoaded?.flush();
  }

  close(): void {
    if (this.handleOpen) this.handle.close();
    this.handleOpen = false;
    this.offsetIndexLoaded?.close();
    this.timeIndexLoaded?.close();
    this.txnIndexLoaded?.close();
  }

  /** Renames every file of the segment by adding `suffix` (e.g. `.deleted`); returns the new paths. */
  renameWithSuffix(suffix: string): string[] {
    this.close();
    const renamed: string[] = [];
    for (const fileSuffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
      const from = this.filePath(fileSuffix);
      if (!this.fs.exists(from)) continue;
      const to = segmentPath(this.dir, this.baseOffset, fileSuffix) + suffix;
      this.fs.rename(from, to);
      renamed.push(to);
    }
    this.offsetIndexLoaded = undefined;
    this.timeIndexLoaded = undefined;
    this.txnIndexLoaded = undefined;
    this.suffix = suffix;
    return renamed;
  }

  /** Drops the temporary suffix (`.cleaned`/`.swap`) so the segment takes its real names, and reopens it. */
  renameToFinal(): void {
    this.close();
    for (const fileSuffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
      const from = this.filePath(fileSuffix);
      if (this.fs.exists(from)) this.fs.rename(from, segmentPath(this.dir, this.baseOffset, fileSuffix));
    }
    this.suffix = '';
    this.offsetIndexLoaded = undefined;
    this.timeIndexLoaded = undefined;
    this.txnIndexLoaded = undefined;
    this.handle = this.fs.open(this.logPath);
    this.handleOpen = true;
  }

  /** Closes and unlinks every file of the segment now (abandoned cleaner output). */
  deleteFiles(): void {
    this.close();
    for (const fileSuffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
      const path = this.filePath(fileSuffix);
      if (this.fs.exists(path)) this.fs.unlink(path);
    }
  }

  /** Schedules the files for removal: rename to `.deleted` (they are unlinked later by the log). */
  markDeleted(): string[] {
    return this.renameWithSuffix(DELETED_SUFFIX);
  }

  private currentFileSize(): number {
    try {
      return this.handle.size();
    } catch (cause) {
      throw storageError('stat', this.logPath, cause);
    }
  }
}

export function segmentPath(dir: string, baseOffset: bigint, suffix: string): string {
  return joinPath(dir, offsetFileName(baseOffset, suffix));
}
