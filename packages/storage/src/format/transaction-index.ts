import type { FileHandle, FileSystem } from '../fs/file-system';
import { readAt } from '../fs/file-system';
import { storageError } from '../errors';

const ENTRY_SIZE = 34;
const VERSION = 0;

/** One aborted transaction, as recorded in `.txnindex`. */
export interface AbortedTxn {
  producerId: bigint;
  /** First offset of the aborted transaction. */
  firstOffset: bigint;
  /** Offset of the ABORT marker. */
  lastOffset: bigint;
  /** Last stable offset when the abort was written. */
  lastStableOffset: bigint;
}

/**
 * The aborted-transaction index (`.txnindex`): 34-byte entries (version int16 = 0, producerId, firstOffset,
 * lastOffset, lastStableOffset — all int64), appended in order of the ABORT markers of the segment. Created only
 * when the segment receives its first abort. Fetches at READ_COMMITTED ask it which aborted transactions overlap
 * the range they return.
 */
export class TransactionIndex {
  private readonly entries: AbortedTxn[];
  private handle: FileHandle | undefined;

  private constructor(
    private readonly fs: FileSystem,
    public path: string,
    entries: AbortedTxn[],
  ) {
    this.entries = entries;
  }

  static open(fs: FileSystem, path: string): TransactionIndex {
    let contents: Buffer = Buffer.alloc(0);
    try {
      if (fs.exists(path)) contents = fs.readFile(path);
    } catch (cause) {
      throw storageError('read txn index', path, cause);
    }
    return new TransactionIndex(fs, path, decodeAbortedTxns(contents));
  }

  get all(): readonly AbortedTxn[] {
    return this.entries;
  }

  append(txn: AbortedTxn): void {
    const last = this.entries[this.entries.length - 1];
    if (last && txn.lastOffset <= last.lastOffset) {
      throw new Error(`aborted txn ending at ${txn.lastOffset} is not after the last one (${last.lastOffset})`);
    }
    try {
      if (!this.handle) this.handle = this.fs.open(this.path, { create: true });
      this.handle.write(encodeAbortedTxn(txn), this.entries.length * ENTRY_SIZE);
    } catch (cause) {
      throw storageError('write txn index', this.path, cause);
    }
    this.entries.push(txn);
  }

  /**
   * Kafka's TransactionIndex.collectAbortedTxns: the entries that overlap [fetchOffset, upperBoundOffset), and
   * whether the search may stop here. It may once an entry's LSO reaches the bound: every transaction that began
   * below the bound had ended by that ABORT, so later segments hold no entry that overlaps.
   */
  searchAbortedTxns(fetchOffset: bigint, upperBoundOffset: bigint): { abortedTransactions: AbortedTxn[]; isComplete: boolean } {
    const abortedTransactions: AbortedTxn[] = [];
    for (const txn of this.entries) {
      if (txn.lastOffset >= fetchOffset && txn.firstOffset < upperBoundOffset) abortedTransactions.push(txn);
      if (txn.lastStableOffset >= upperBoundOffset) return { abortedTransactions, isComplete: true };
    }
    return { abortedTransactions, isComplete: false };
  }

  /** Aborted transactions that overlap [fetchOffset, upperBoundOffset): their last offset ≥ fetchOffset. */
  collectAbortedTxns(fetchOffset: bigint, upperBoundOffset: bigint): AbortedTxn[] {
    return this.entries.filter((t) => t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset);
  }

  /** Drops entries whose ABORT marker is at or above `offset`. */
  truncateTo(offset: bigint): void {
    let keep = this.entries.length;
    while (keep > 0 && this.entries[keep - 1].lastOffset >= offset) keep--;
    if (keep === this.entries.length) return;
    this.entries.length = keep;
    try {
      if (!this.handle) this.handle = this.fs.open(this.path, { create: true });
      this.handle.truncate(keep * ENTRY_SIZE);
    } catch (cause) {
      throw storageError('truncate txn index', this.path, cause);
    }
  }

  flush(): void {
    try {
      this.handle?.sync();
    } catch (cause) {
      throw storageError('fsync txn index', this.path, cause);
    }
  }

  close(): void {
    this.handle?.close();
    this.handle = undefined;
  }

  renameTo(path: string): void {
    this.close();
    if (this.fs.exists(this.path)) this.fs.rename(this.path, path);
    this.path = path;
  }
}

export function encodeAbortedTxn(txn: AbortedTxn): Buffer {
  const entry = Buffer.allocUnsafe(ENTRY_SIZE);
  entry.writeInt16BE(VERSION, 0);
  entry.writeBigInt64BE(txn.producerId, 2);
  entry.writeBigInt64BE(txn.firstOffset, 10);
  entry.writeBigInt64BE(txn.lastOffset, 18);
  entry.writeBigInt64BE(txn.lastStableOffset, 26);
  return entry;
}

/** Decodes whole entries; a torn trailing entry (after a crash) is ignored, as Kafka does. */
export function decodeAbortedTxns(bytes: Buffer): AbortedTxn[] {
  const result: AbortedTxn[] = [];
  for (let at = 0; at + ENTRY_SIZE <= bytes.length; at += ENTRY_SIZE) {
    const version = bytes.readInt16BE(at);
    if (version !== VERSION) throw new Error(`unknown txn index entry version ${version} at byte ${at}`);
    result.push({
      producerId: bytes.readBigInt64BE(at + 2),
      firstOffset: bytes.readBigInt64BE(at + 10),
      lastOffset: bytes.readBigInt64BE(at + 18),
      lastStableOffset: bytes.readBigInt64BE(at + 26),
    });
  }
  return result;
}

/** Reads a `.txnindex` file without keeping it open. */
export function readTransactionIndexFile(fs: FileSystem, path: string): AbortedTxn[] {
  const handle = fs.open(path, { readOnly: true });
  try {
    return decodeAbortedTxns(readAt(handle, 0, handle.size()));
  } finally {
    handle.close();
  }
}
