import * as fs from 'fs';
import * as util from 'util';
import { nativeAddon } from '../native';
import type { FileHandle, FileStat, FileSystem } from './file-system';

/** The real file system, through Node's synchronous positional calls. */
export class NodeFileSystem implements FileSystem {
  open(path: string, options: { create?: boolean; readOnly?: boolean } = {}): FileHandle {
    const { O_RDWR, O_RDONLY, O_CREAT } = fs.constants;
    const flags = options.readOnly ? O_RDONLY : O_RDWR | (options.create ? O_CREAT : 0);
    return new NodeFileHandle(path, fs.openSync(path, flags, 0o644));
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  stat(path: string): FileStat {
    const stat = fs.statSync(path);
    return { size: stat.size, isDirectory: stat.isDirectory(), mtimeMs: stat.mtimeMs };
  }

  readdir(path: string): string[] {
    return fs.readdirSync(path);
  }

  mkdir(path: string): void {
    fs.mkdirSync(path, { recursive: true });
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  unlink(path: string): void {
    fs.unlinkSync(path);
  }

  removeTree(path: string): void {
    fs.rmSync(path, { recursive: true, force: true });
  }

  readFile(path: string): Buffer {
    return fs.readFileSync(path);
  }

  syncDirectory(path: string): void {
    const fd = fs.openSync(path, fs.constants.O_RDONLY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

class NodeFileHandle implements FileHandle {
  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  read(target: Buffer, targetOffset: number, length: number, position: number): number {
    return fs.readSync(this.fd, target, targetOffset, length, position);
  }

  write(data: Buffer, position: number): void {
    let written = 0;
    while (written < data.length) {
      const rest = written === 0 ? data : data.subarray(written);
      written += nativeAddon ? nativeWrite(this.fd, rest, position + written, this.path) : fs.writeSync(this.fd, rest, 0, rest.length, position + written);
    }
  }

  size(): number {
    return fs.fstatSync(this.fd).size;
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.fd, size);
  }

  sync(): void {
    fs.fsyncSync(this.fd);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

/**
 * The addon's pwrite: the same system call as fs.writeSync, without Node's wrapping (a tenth of a 16 KiB append).
 * Errors become the same kind of error fs would throw, with the errno's name as `code`.
 */
function nativeWrite(fd: number, data: Buffer, position: number, path: string): number {
  const result = nativeAddon!.pwrite(fd, data, position);
  if (result >= 0) return result;
  const code = util.getSystemErrorName(result);
  throw Object.assign(new Error(`${code}: write failed, ${path}`), { code, errno: result, syscall: 'write', path });
}
