import type { FileSystem } from '../fs/file-system';
import { IndexFile } from './index-file';

const ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestampMs: number;
  /** Offset relative to the segment's base offset. */
  relativeOffset: number;
}

/**
 * The time index (`.timeindex`): 12-byte entries of (timestamp int64, relative offset int32). An entry (T, O)
 * says that T is the largest timestamp in the segment up to the batch holding O, so a record with a timestamp
 * above T comes after O. Timestamps and offsets never decrease.
 */
export class TimeIndex {
  /**
   * The last entry, kept decoded because every append compares against it: its timestamp (-1 with no entries)
   * and relative offset, as two numbers so that adding an entry allocates nothing. Read from the file on first use.
   */
  private lastTimestampMs = -1;
  private lastRelativeOffset = -1;
  private lastKnown = false;

  private constructor(private readonly file: IndexFile) {}

  static open(fs: FileSystem, path: string, maxIndexBytes: number): TimeIndex {
    return new TimeIndex(IndexFile.open(fs, path, ENTRY_SIZE, maxIndexBytes));
  }

  get path(): string {
    return this.file.path;
  }

  get entries(): number {
    return this.file.entries;
  }

  get isFull(): boolean {
    return this.file.isFull;
  }

  entryAt(n: number): TimestampOffset {
    const bytes = this.file.entry(n);
    return { timestampMs: Number(bytes.readBigInt64BE(0)), relativeOffset: bytes.readInt32BE(8) };
  }

  lastEntry(): TimestampOffset | undefined {
    return this.entries === 0 ? undefined : this.entryAt(this.entries - 1);
  }

  /**
   * Appends (T, O) when T is above the last entry's timestamp, as Kafka's `maybeAppend` does. An entry for an
   * offset that is already the last entry's offset replaces nothing and is skipped.
   */
  maybeAppend(timestampMs: number, relativeOffset: number): void {
    if (!this.lastKnown) this.loadLast();
    if (this.entries > 0 && (timestampMs <= this.lastTimestampMs || relativeOffset <= this.lastRelativeOffset)) return;
    this.file.appendInt64Int32(timestampMs, relativeOffset);
    this.lastTimestampMs = timestampMs;
    this.lastRelativeOffset = relativeOffset;
  }

  private loadLast(): void {
    const last = this.lastEntry();
    this.lastTimestampMs = last ? last.timestampMs : -1;
    this.lastRelativeOffset = last ? last.relativeOffset : -1;
    this.lastKnown = true;
  }

  /** The last entry with timestamp ≤ target, or (-1, 0) meaning "scan from the start of the segment". */
  lookup(timestampMs: number): TimestampOffset {
    let low = 0;
    let high = this.entries - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (Number(this.file.entry(mid).readBigInt64BE(0)) <= timestampMs) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found < 0 ? { timestampMs: -1, relativeOffset: 0 } : this.entryAt(found);
  }

  /** Drops entries whose offset is ≥ `relativeOffset`. */
  truncateTo(relativeOffset: number): void {
    this.lastKnown = false;
    let keep = this.entries;
    while (keep > 0 && this.entryAt(keep - 1).relativeOffset >= relativeOffset) keep--;
    this.file.truncateToEntries(keep);
  }

  /** Whether timestamps and offsets never decrease and offsets stay below `maxRelativeOffset`. */
  isSane(maxRelativeOffset: number): boolean {
    let previous: TimestampOffset | undefined;
    for (let i = 0; i < this.entries; i++) {
      const e = this.entryAt(i);
      if (e.relativeOffset < 0 || e.relativeOffset > maxRelativeOffset) return false;
      if (previous && (e.timestampMs < previous.timestampMs || e.relativeOffset < previous.relativeOffset)) return false;
      previous = e;
    }
    return true;
  }

  replaceWith(entries: TimestampOffset[]): void {
    this.lastKnown = false;
    this.file.clearInMemory();
    for (const e of entries) this.file.appendInMemory(encode(e.timestampMs, e.relativeOffset));
    this.file.rewrite();
  }

  ensureFile(): void {
    this.file.ensureFile();
  }

  /** Writes entries still pending in memory to the file (no fsync). */
  persist(): void {
    this.file.persist();
  }

  flush(): void {
    this.file.flush();
  }

  close(): void {
    this.file.close();
  }

  renameTo(path: string): void {
    this.file.renameTo(path);
  }
}

function encode(timestampMs: number, relativeOffset: number): Buffer {
  const entry = Buffer.allocUnsafe(ENTRY_SIZE);
  entry.writeBigInt64BE(BigInt(timestampMs), 0);
  entry.writeInt32BE(relativeOffset, 8);
  return entry;
}
