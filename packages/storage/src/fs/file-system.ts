/**
 * Every byte the storage layer reads or writes goes through this interface, so tests can swap in an in-memory
 * or fault-injecting implementation.
 *
 * The interface is synchronous on purpose. An append must reach the file in the order offsets were assigned, and
 * a partition's state (log end offset, indexes) must change in the same turn of the event loop as the write —
 * with promises, two appends could interleave between "assign offsets" and "write". Positional writes to the page
 * cache take microseconds, like Kafka's own FileChannel writes on the request thread; the only slow call is
 * fsync, which by default (as in Kafka) is left to the operating system and is otherwise done by the flush
 * scheduler, not per request.
 */
export interface FileSystem {
  /** Opens a file for positional reads and writes, creating it when `create` is set. */
  open(path: string, options?: { create?: boolean; readOnly?: boolean }): FileHandle;
  exists(path: string): boolean;
  stat(path: string): FileStat;
  /** Entry names (not paths) in a directory. */
  readdir(path: string): string[];
  mkdir(path: string): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Removes a directory and everything below it. */
  removeTree(path: string): void;
  readFile(path: string): Buffer;
  /** Makes a directory's entries (new, renamed, removed files) durable. */
  syncDirectory(path: string): void;
}

export interface FileStat {
  size: number;
  isDirectory: boolean;
  mtimeMs: number;
}

export interface FileHandle {
  readonly path: string;
  /** Reads up to `length` bytes at `position` into `target[targetOffset..]`; returns how many were read. */
  read(target: Buffer, targetOffset: number, length: number, position: number): number;
  /** Writes all of `data` at `position`. Throws if the bytes cannot all be written. */
  write(data: Buffer, position: number): void;
  size(): number;
  truncate(size: number): void;
  /** fsync: the written bytes survive a power loss once this returns. */
  sync(): void;
  close(): void;
}

/** Reads exactly `length` bytes at `position`, or fewer if the file ends first. */
export function readAt(handle: FileHandle, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const n = handle.read(buffer, filled, length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Replaces a small file atomically: write `<path>.tmp`, fsync it, rename over `path`, fsync the directory.
 * A crash leaves either the old or the new content, never a mix — Kafka writes its checkpoints the same way.
 */
export function writeFileAtomically(fs: FileSystem, path: string, data: Buffer): void {
  const tmp = `${path}.tmp`;
  const handle = fs.open(tmp, { create: true });
  try {
    handle.truncate(0);
    handle.write(data, 0);
    handle.sync();
  } finally {
    handle.close();
  }
  fs.rename(tmp, path);
  fs.syncDirectory(parentOf(path));
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export function joinPath(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/');
}
