import type { FileSystem } from '../fs/file-system';
import { IndexFile } from './index-file';

const ENTRY_SIZE = 8;

export interface OffsetPosition {
  /** Offset relative to the segment's base offset. */
  relativeOffset: number;
  /** Byte position in the segment's `.log` file. */
  position: number;
}

/**
 * The sparse offset index (`.index`): 8-byte entries of (relative offset int32, file position int32), strictly
 * increasing. Lookup finds the last entry at or below an offset; the caller scans the log forward from there.
 */
export class OffsetIndex {
  private constructor(private readonly file: IndexFile) {}

  static open(fs: FileSystem, path: string, maxIndexBytes: number): OffsetIndex {
    return new OffsetIndex(IndexFile.open(fs, path, ENTRY_SIZE, maxIndexBytes));
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

  entryAt(n: number): OffsetPosition {
    const bytes = this.file.entry(n);
    return { relativeOffset: bytes.readInt32BE(0), position: bytes.readInt32BE(4) };
  }

  lastEntry(): OffsetPosition {
    return this.entries === 0 ? { relativeOffset: 0, position: 0 } : this.entryAt(this.entries - 1);
  }

  append(relativeOffset: number, position: number): void {
    this.file.appendInt32Pair(relativeOffset, position);
  }

  /** The last entry whose offset is ≤ `relativeOffset`, or (0, 0) — the start of the segment — if none. */
  lookup(relativeOffset: number): OffsetPosition {
    const n = this.floorEntry(relativeOffset);
    return n < 0 ? { relativeOffset: 0, position: 0 } : this.entryAt(n);
  }

  /** Drops entries whose offset is ≥ `relativeOffset` (used when the log is truncated). */
  truncateTo(relativeOffset: number): void {
    this.file.truncateToEntries(this.floorEntry(relativeOffset - 1) + 1);
  }

  /**
   * Whether the entries can be trusted for a log of `logSize` bytes: offsets and positions strictly increasing
   * and every position inside the log. Kafka checks less (the file length); a stricter check costs one pass
   * over memory and catches garbage left by a crash.
   */
  isSane(logSize: number): boolean {
    let previousOffset = -1;
    let previousPosition = -1;
    for (let i = 0; i < this.entries; i++) {
      const { relativeOffset, position } = this.entryAt(i);
      if (relativeOffset <= previousOffset || position <= previousPosition || position >= logSize) return false;
      previousOffset = relativeOffset;
      previousPosition = position;
    }
    return true;
  }

  /** Replaces all entries (after a rebuild from the log). */
  replaceWith(entries: OffsetPosition[]): void {
    this.file.clearInMemory();
    for (const e of entries) this.file.appendInMemory(encode(e.relativeOffset, e.position));
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

  /** Index of the last entry with offset ≤ target, or -1. */
  private floorEntry(relativeOffset: number): number {
    let low = 0;
    let high = this.entries - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.file.entry(mid).readInt32BE(0) <= relativeOffset) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }
}

function encode(relativeOffset: number, position: number): Buffer {
  const entry = Buffer.allocUnsafe(ENTRY_SIZE);
  entry.writeInt32BE(relativeOffset, 0);
  entry.writeInt32BE(position, 4);
  return entry;
}
