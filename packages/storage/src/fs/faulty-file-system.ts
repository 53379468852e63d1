import { SeededRandom } from '../random';
import type { FileHandle, FileStat, FileSystem } from './file-system';
import { errno } from './memory-file-system';

export type FaultCode = 'EIO' | 'ENOSPC';

/** Random faults, drawn from the seeded generator on every matching call. */
export interface FaultRates {
  /** A write fails with EIO or ENOSPC after a random prefix of its bytes reached the file (a torn write). */
  write?: number;
  /** fsync fails with EIO. */
  sync?: number;
  /** A read returns its bytes with one bit flipped (the file itself is unchanged). */
  readBitFlip?: number;
}

interface ScheduledWriteFault {
  code: FaultCode;
  /** How many bytes of the failing write still land in the file before the error. */
  tornBytes: number;
}

/**
 * Wraps a file system and injects faults, either scheduled one-shot ("the next write to a .log fails after 17
 * bytes with ENOSPC") or at seeded random rates. Every injected fault is recorded in `injected` so a failing
 * test can print what happened along with its seed. Reuse it from any package's tests via
 * `@tributary/storage`'s testing exports.
 */
export class FaultyFileSystem implements FileSystem {
  readonly random: SeededRandom;
  readonly injected: string[] = [];
  rates: FaultRates = {};
  /** Faults apply only to paths this accepts (by default every path). */
  pathFilter: (path: string) => boolean = () => true;
  private readonly writeFaults: ScheduledWriteFault[] = [];
  private readonly syncFaults: FaultCode[] = [];
  private readonly openFaults: FaultCode[] = [];

  constructor(
    readonly inner: FileSystem,
    readonly seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  failNextWrite(code: FaultCode, tornBytes = 0): void {
    this.writeFaults.push({ code, tornBytes });
  }

  failNextSync(code: FaultCode = 'EIO'): void {
    this.syncFaults.push(code);
  }

  failNextOpen(code: FaultCode = 'EIO'): void {
    this.openFaults.push(code);
  }

  /** Stops all scheduled and random faults (for the "reopen and check" phase of a test). */
  heal(): void {
    this.rates = {};
    this.writeFaults.length = 0;
    this.syncFaults.length = 0;
    this.openFaults.length = 0;
  }

  open(path: string, options?: { create?: boolean; readOnly?: boolean }): FileHandle {
    if (this.pathFilter(path)) {
      const code = this.openFaults.shift();
      if (code) {
        this.injected.push(`open ${path}: ${code}`);
        throw errno(code, 'open', path);
      }
    }
    return new FaultyFileHandle(this, this.inner.open(path, options));
  }

  exists(path: string): boolean {
    return this.inner.exists(path);
  }

  stat(path: string): FileStat {
    return this.inner.stat(path);
  }

  readdir(path: string): string[] {
    return this.inner.readdir(path);
  }

  mkdir(path: string): void {
    this.inner.mkdir(path);
  }

  rename(from: string, to: string): void {
    this.inner.rename(from, to);
  }

  unlink(path: string): void {
    this.inner.unlink(path);
  }

  removeTree(path: string): void {
    this.inner.removeTree(path);
  }

  readFile(path: string): Buffer {
    return this.inner.readFile(path);
  }

  syncDirectory(path: string): void {
    this.inner.syncDirectory(path);
  }

  /** @internal Decides whether this write fails, and how many of its bytes land first. */
  takeWriteFault(path: string, length: number): ScheduledWriteFault | undefined {
    if (!this.pathFilter(path)) return undefined;
    const scheduled = this.writeFaults.shift();
    if (scheduled) return { code: scheduled.code, tornBytes: Math.min(scheduled.tornBytes, length) };
    if (this.rates.write && this.random.chance(this.rates.write)) {
      return { code: this.random.chance(0.5) ? 'EIO' : 'ENOSPC', tornBytes: this.random.int(length + 1) };
    }
    return undefined;
  }

  /** @internal */
  takeSyncFault(path: string): FaultCode | undefined {
    if (!this.pathFilter(path)) return undefined;
    const scheduled = this.syncFaults.shift();
    if (scheduled) return scheduled;
    if (this.rates.sync && this.random.chance(this.rates.sync)) return 'EIO';
    return undefined;
  }

  /** @internal */
  shouldFlipReadBit(path: string): boolean {
    return this.pathFilter(path) && this.rates.readBitFlip !== undefined && this.random.chance(this.rates.readBitFlip);
  }
}

class FaultyFileHandle implements FileHandle {
  constructor(
    private readonly owner: FaultyFileSystem,
    private readonly inner: FileHandle,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  read(target: Buffer, targetOffset: number, length: number, position: number): number {
    const n = this.inner.read(target, targetOffset, length, position);
    if (n > 0 && this.owner.shouldFlipReadBit(this.path)) {
      const byte = this.owner.random.int(n);
      const bit = this.owner.random.int(8);
      target[targetOffset + byte] ^= 1 << bit;
      this.owner.injected.push(`read ${this.path}@${position + byte}: flipped bit ${bit}`);
    }
    return n;
  }

  write(data: Buffer, position: number): void {
    const fault = this.owner.takeWriteFault(this.path, data.length);
    if (fault) {
      if (fault.tornBytes > 0) this.inner.write(data.subarray(0, fault.tornBytes), position);
      this.owner.injected.push(`write ${this.path}@${position}+${data.length}: ${fault.code} after ${fault.tornBytes} bytes`);
      throw errno(fault.code, 'write', this.path);
    }
    this.inner.write(data, position);
  }

  size(): number {
    return this.inner.size();
  }

  truncate(size: number): void {
    this.inner.truncate(size);
  }

  sync(): void {
    const code = this.owner.takeSyncFault(this.path);
    if (code) {
      this.owner.injected.push(`fsync ${this.path}: ${code}`);
      throw errno(code, 'fsync', this.path);
    }
    this.inner.sync();
  }

  close(): void {
    this.inner.close();
  }
}
