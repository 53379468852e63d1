import type { FileHandle, FileStat, FileSystem } from './file-system';
import { parentOf } from './file-system';

/**
 * A file system in memory that remembers what was fsynced. `crash()` throws away every byte that was written
 * but not synced, the way a power loss drops the page cache, so recovery can be tested without real processes.
 * Directory changes (create, rename, unlink) are treated as durable at once: the log's correctness must not
 * depend on that anyway, because it fsyncs directories where Kafka does.
 */
export class MemoryFileSystem implements FileSystem {
  private readonly files = new Map<string, MemoryFile>();
  private readonly directories = new Set<string>(['/']);

  open(path: string, options: { create?: boolean; readOnly?: boolean } = {}): FileHandle {
    let file = this.files.get(path);
    if (!file) {
      if (!options.create || options.readOnly) throw errno('ENOENT', 'open', path);
      if (!this.directories.has(parentOf(path))) throw errno('ENOENT', 'open', path);
      file = new MemoryFile();
      this.files.set(path, file);
    }
    return new MemoryFileHandle(path, file, options.readOnly === true);
  }

  exists(path: string): boolean {
    return this.files.has(path) || this.directories.has(path);
  }

  stat(path: string): FileStat {
    const file = this.files.get(path);
    if (file) return { size: file.length, isDirectory: false, mtimeMs: file.mtimeMs };
    if (this.directories.has(path)) return { size: 0, isDirectory: true, mtimeMs: 0 };
    throw errno('ENOENT', 'stat', path);
  }

  readdir(path: string): string[] {
    if (!this.directories.has(path)) throw errno('ENOENT', 'scandir', path);
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const names = new Set<string>();
    for (const entry of [...this.files.keys(), ...this.directories]) {
      if (entry.startsWith(prefix) && entry.length > prefix.length) {
        const rest = entry.slice(prefix.length);
        if (!rest.includes('/')) names.add(rest);
      }
    }
    return [...names].sort();
  }

  mkdir(path: string): void {
    let current = '';
    for (const part of path.split('/').filter((p) => p !== '')) {
      current += `/${part}`;
      if (this.files.has(current)) throw errno('ENOTDIR', 'mkdir', current);
      this.directories.add(current);
    }
  }

  rename(from: string, to: string): void {
    const file = this.files.get(from);
    if (file) {
      this.files.delete(from);
      this.files.set(to, file);
      return;
    }
    if (!this.directories.has(from)) throw errno('ENOENT', 'rename', from);
    for (const dir of [...this.directories]) {
      if (dir === from || dir.startsWith(`${from}/`)) {
        this.directories.delete(dir);
        this.directories.add(to + dir.slice(from.length));
      }
    }
    for (const [path, entry] of [...this.files]) {
      if (path.startsWith(`${from}/`)) {
        this.files.delete(path);
        this.files.set(to + path.slice(from.length), entry);
      }
    }
  }

  unlink(path: string): void {
    if (!this.files.delete(path)) throw errno('ENOENT', 'unlink', path);
  }

  removeTree(path: string): void {
    this.files.delete(path);
    for (const dir of [...this.directories]) {
      if (dir === path || dir.startsWith(`${path}/`)) this.directories.delete(dir);
    }
    for (const file of [...this.files.keys()]) {
      if (file.startsWith(`${path}/`)) this.files.delete(file);
    }
  }

  readFile(path: string): Buffer {
    const file = this.files.get(path);
    if (!file) throw errno('ENOENT', 'open', path);
    return Buffer.from(file.bytes());
  }

  syncDirectory(path: string): void {
    if (!this.directories.has(path)) throw errno('ENOENT', 'open', path);
  }

  /** Drops every unsynced byte of every file, as a power loss would. */
  crash(): void {
    for (const file of this.files.values()) file.revertToDurable();
  }

  /** Direct access for tests that damage files on purpose. */
  fileBytes(path: string): Buffer {
    const file = this.files.get(path);
    if (!file) throw errno('ENOENT', 'open', path);
    return file.bytes();
  }
}

class MemoryFile {
  private data = Buffer.alloc(0);
  length = 0;
  private durable = Buffer.alloc(0);
  mtimeMs = 0;

  bytes(): Buffer {
    return this.data.subarray(0, this.length);
  }

  write(source: Buffer, position: number): void {
    const end = position + source.length;
    if (end > this.data.length) {
      const grown = Buffer.alloc(Math.max(end, this.data.length * 2, 4096));
      this.data.copy(grown, 0, 0, this.length);
      this.data = grown;
    }
    if (position > this.length) this.data.fill(0, this.length, position);
    source.copy(this.data, position);
    this.length = Math.max(this.length, end);
  }

  truncate(size: number): void {
    if (size > this.length) {
      this.write(Buffer.alloc(size - this.length), this.length);
    } else {
      this.length = size;
    }
  }

  sync(): void {
    this.durable = Buffer.from(this.bytes());
  }

  revertToDurable(): void {
    this.data = Buffer.from(this.durable);
    this.length = this.durable.length;
  }
}

class MemoryFileHandle implements FileHandle {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly file: MemoryFile,
    private readonly readOnly: boolean,
  ) {}

  read(target: Buffer, targetOffset: number, length: number, position: number): number {
    this.checkOpen();
    const available = Math.max(0, Math.min(length, this.file.length - position));
    this.file.bytes().copy(target, targetOffset, position, position + available);
    return available;
  }

  write(data: Buffer, position: number): void {
    this.checkWritable();
    this.file.write(data, position);
  }

  size(): number {
    this.checkOpen();
    return this.file.length;
  }

  truncate(size: number): void {
    this.checkWritable();
    this.file.truncate(size);
  }

  sync(): void {
    this.checkOpen();
    this.file.sync();
  }

  close(): void {
    // Like a real descriptor: closing twice is a bug (the number may already belong to another file).
    this.checkOpen();
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw errno('EBADF', 'use of closed file', this.path);
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.readOnly) throw errno('EBADF', 'write to read-only file', this.path);
  }
}

/** An error shaped like Node's system errors (`code`, `syscall`, `path`). */
export function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const error = new Error(`${code}: ${syscall} '${path}'`) as NodeJS.ErrnoException;
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}
