import type { FileHandle, FileSystem } from '../fs/file-system';
import { storageError } from '../errors';

/** Pending index bytes that trigger a write: a few KiB, so an entry costs a fraction of a system call. */
const PENDING_BYTES_BEFORE_WRITE = 4096;

/**
 * A file of fixed-size entries, kept whole in memory and written to disk in groups. Kafka memory-maps its
 * indexes so that adding an entry costs no system call; here the bytes live in a Buffer and new entries reach
 * the file when a few KiB of them are pending, on flush, roll and close. An index that lags its log is safe:
 * lookups only scan further, recovery rebuilds the indexes of every unflushed segment, and a flush writes
 * them before the recovery point moves past their segment.
 *
 * Unlike Kafka we do not preallocate the active index to `segment.index.bytes`: the file always holds exactly
 * its entries, which is the state Kafka leaves it in after a roll or a clean shutdown, so either broker reads
 * the other's files. The capacity limit is still enforced, so a full index rolls the segment as in Kafka.
 *
 * Call only from the event loop; not re-entrant.
 */
export class IndexFile {
  private bytes: Buffer;
  private used: number;
  /** How many bytes of `bytes` the file holds; entries after this are pending. */
  private persisted: number;
  private handle: FileHandle | undefined;

  private constructor(
    private readonly fs: FileSystem,
    public path: string,
    readonly entrySize: number,
    readonly maxEntries: number,
    contents: Buffer,
  ) {
    this.used = contents.length - (contents.length % entrySize);
    this.persisted = contents.length;
    this.bytes = Buffer.alloc(Math.max(this.used, entrySize * 64));
    contents.copy(this.bytes, 0, 0, this.used);
  }

  /** Opens an existing index (a trailing partial entry is ignored) or starts an empty one. */
  static open(fs: FileSystem, path: string, entrySize: number, maxIndexBytes: number): IndexFile {
    let contents: Buffer = Buffer.alloc(0);
    try {
      if (fs.exists(path)) contents = fs.readFile(path);
    } catch (cause) {
      throw storageError('read index', path, cause);
    }
    const maxEntries = Math.max(1, Math.floor(maxIndexBytes / entrySize));
    return new IndexFile(fs, path, entrySize, maxEntries, contents);
  }

  get entries(): number {
    return this.used / this.entrySize;
  }

  get isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  /** The bytes of entry `n` (a view). */
  entry(n: number): Buffer {
    return this.bytes.subarray(n * this.entrySize, (n + 1) * this.entrySize);
  }

  append(entry: Buffer): void {
    this.appendInMemory(entry);
    if (this.used - this.persisted >= PENDING_BYTES_BEFORE_WRITE) this.persist();
  }

  /**
   * Appends an 8-byte entry of two big-endian int32s (the offset index's layout) straight into the buffer: the
   * active segment adds one per produced batch, so building each entry in a Buffer of its own first shows.
   */
  appendInt32Pair(first: number, second: number): void {
    if (this.entrySize !== 8) throw new Error(`${this.path}: entries are ${this.entrySize} bytes, not two int32s`);
    this.makeRoomForEntry();
    this.bytes.writeInt32BE(first, this.used);
    this.bytes.writeInt32BE(second, this.used + 4);
    this.used += 8;
    if (this.used - this.persisted >= PENDING_BYTES_BEFORE_WRITE) this.persist();
  }

  /**
   * Appends a 12-byte entry of a big-endian int64 and an int32 (the time index's layout) straight into the
   * buffer; `first` must be an integer within ±2^53 (every millisecond timestamp), written as two int32 halves.
   */
  appendInt64Int32(first: number, second: number): void {
    if (this.entrySize !== 12) throw new Error(`${this.path}: entries are ${this.entrySize} bytes, not an int64 and an int32`);
    this.makeRoomForEntry();
    const high = Math.floor(first / 0x1_0000_0000);
    this.bytes.writeInt32BE(high, this.used);
    this.bytes.writeUInt32BE(first - high * 0x1_0000_0000, this.used + 4);
    this.bytes.writeInt32BE(second, this.used + 8);
    this.used += 12;
    if (this.used - this.persisted >= PENDING_BYTES_BEFORE_WRITE) this.persist();
  }

  /** Writes pending entries to the file. */
  persist(): void {
    if (this.persisted === this.used) return;
    try {
      const handle = this.writable();
      // A torn trailing entry from an earlier crash is overwritten, never followed.
      const from = Math.min(this.persisted, this.used) - (Math.min(this.persisted, this.used) % this.entrySize);
      handle.write(this.bytes.subarray(from, this.used), from);
      if (this.persisted > this.used) handle.truncate(this.used);
    } catch (cause) {
      throw storageError('write index', this.path, cause);
    }
    this.persisted = this.used;
  }

  /** Keeps the first `entries` entries. */
  truncateToEntries(entries: number): void {
    const size = Math.min(this.used, entries * this.entrySize);
    try {
      if (this.persisted > size) this.writable().truncate(size);
    } catch (cause) {
      throw storageError('truncate index', this.path, cause);
    }
    this.used = size;
    this.persisted = Math.min(this.persisted, size);
  }

  /** Writes the in-memory entries out as the whole file (after a rebuild). */
  rewrite(): void {
    try {
      const handle = this.writable();
      handle.truncate(0);
      if (this.used > 0) handle.write(this.bytes.subarray(0, this.used), 0);
    } catch (cause) {
      throw storageError('rewrite index', this.path, cause);
    }
    this.persisted = this.used;
  }

  /** Empties the index in memory only; call `rewrite()` after filling it again. */
  clearInMemory(): void {
    this.used = 0;
  }

  appendInMemory(entry: Buffer): void {
    this.makeRoomForEntry();
    entry.copy(this.bytes, this.used);
    this.used += this.entrySize;
  }

  private makeRoomForEntry(): void {
    if (this.used + this.entrySize > this.bytes.length) {
      const grown = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
  }

  flush(): void {
    this.persist();
    if (!this.handle) return;
    try {
      this.handle.sync();
    } catch (cause) {
      throw storageError('fsync index', this.path, cause);
    }
  }

  /** Writes pending entries and closes the file handle; the entries stay readable in memory. */
  close(): void {
    try {
      this.persist();
    } finally {
      this.handle?.close();
    }
    this.handle = undefined;
  }

  renameTo(path: string): void {
    this.close();
    this.fs.rename(this.path, path);
    this.path = path;
  }

  /** Makes sure the file exists on disk even when it has no entries (Kafka always has both index files). */
  ensureFile(): void {
    try {
      this.writable();
    } catch (cause) {
      throw storageError('create index', this.path, cause);
    }
  }

  private writable(): FileHandle {
    if (!this.handle) this.handle = this.fs.open(this.path, { create: true });
    return this.handle;
  }
}
