import type { FileSystem } from '../fs/file-system';
import { joinPath } from '../fs/file-system';
import { SNAPSHOT_SUFFIX, offsetFileName, offsetFromFileName } from '../format/file-names';
import { type ProducerSnapshotEntry, decodeProducerSnapshot, encodeProducerSnapshot } from '../format/producer-snapshot';
import type { StorageLogger } from '../logger';
import type { AppendOrigin } from '../log/append-validation';
import { type CompletedTxn, ProducerAppendInfo } from './producer-append-info';
import { ProducerStateEntry } from './producer-state-entry';

/** Kafka's default `producer.id.expiration.ms`: one day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;

/** One producer as DescribeProducers reports it. */
export interface ActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  /** -1 when no data batch of the current epoch is retained. */
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** -1 when the producer has no open transaction here. */
  currentTxnStartOffset: bigint;
}

interface TxnMetadata {
  producerId: bigint;
  firstOffset: bigint;
  /** Offset of the marker, once written. */
  lastOffset?: bigint;
}

export interface ProducerStateManagerOptions {
  fs: FileSystem;
  /** The partition directory, where `<offset>.snapshot` files live. */
  dir: string;
  /** `topic-partition`, for messages. */
  name: string;
  producerIdExpirationMs: () => number;
  logger: StorageLogger;
}

/**
 * The producer state of one partition (Kafka's ProducerStateManager): per producer id its latest epoch, last five
 * batches and open transaction; the transactions that are open (which hold the last stable offset back) and
 * those completed above the high watermark; and the `.snapshot` files that let a restart rebuild all of it by
 * reading only the log after the latest snapshot.
 *
 * The map end offset is the offset up to which the state reflects the log. The log keeps it current before each
 * snapshot rather than after every append, so appends without a producer id never touch this class.
 *
 * Call only from the event loop, like the PartitionLog that owns it.
 */
export class ProducerStateManager {
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly name: string;
  private readonly logger: StorageLogger;
  private readonly expirationMs: () => number;
  private readonly producers = new Map<bigint, ProducerStateEntry>();
  /** Open transactions, ordered by first offset (appends come in offset order, so pushes keep the order). */
  private ongoingTxns: TxnMetadata[] = [];
  /** Completed transactions whose marker is not yet below the high watermark; ordered by first offset. */
  private unreplicatedTxns: TxnMetadata[] = [];
  /** Offsets of the snapshot files on disk, ascending. */
  private snapshots: bigint[] = [];
  private lastMapOffset = 0n;
  private lastSnapOffset = 0n;

  constructor(options: ProducerStateManagerOptions) {
    this.fs = options.fs;
    this.dir = options.dir;
    this.name = options.name;
    this.logger = options.logger;
    this.expirationMs = options.producerIdExpirationMs;
    // The snapshot files are listed by rescanSnapshots, once the log has finished any interrupted swap: listing
    // them here as well would read the directory twice per partition at startup.
  }

  get mapEndOffset(): bigint {
    return this.lastMapOffset;
  }

  updateMapEndOffset(offset: bigint): void {
    this.lastMapOffset = offset;
  }

  get isEmpty(): boolean {
    return this.producers.size === 0 && this.unreplicatedTxns.length === 0;
  }

  get producerCount(): number {
    return this.producers.size;
  }

  lastEntry(producerId: bigint): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  prepareUpdate(producerId: bigint, origin: AppendOrigin): ProducerAppendInfo {
    const current = this.producers.get(producerId) ?? ProducerStateEntry.empty(producerId);
    return new ProducerAppendInfo(this.name, producerId, current, origin);
  }

  /** Applies what an append did to one producer (after the records are written). */
  update(info: ProducerAppendInfo): void {
    const current = this.producers.get(info.producerId);
    if (current) current.update(info.updatedEntry);
    else this.producers.set(info.producerId, info.updatedEntry);
    for (const txn of info.startedTransactions) insertByFirstOffset(this.ongoingTxns, { producerId: txn.producerId, firstOffset: txn.firstOffset });
  }

  /**
   * The last stable offset to record with an aborted transaction in the `.txnindex`: the first offset of the
   * oldest transaction of another producer still open, else the offset after the marker.
   */
  lastStableOffsetAfter(completed: CompletedTxn): bigint {
    for (const txn of this.ongoingTxns) if (txn.producerId !== completed.producerId) return txn.firstOffset;
    return completed.lastOffset + 1n;
  }

  /** Marks a transaction complete; it keeps holding the LSO back until its marker is below the high watermark. */
  completeTxn(completed: CompletedTxn): void {
    const index = this.ongoingTxns.findIndex((t) => t.firstOffset === completed.firstOffset);
    if (index < 0) throw new Error(`${this.name}: completing transaction at ${completed.firstOffset} of producer ${completed.producerId}, which was not started`);
    const [txn] = this.ongoingTxns.splice(index, 1);
    txn.lastOffset = completed.lastOffset;
    insertByFirstOffset(this.unreplicatedTxns, txn);
  }

  /** Forgets completed transactions whose markers the high watermark has passed. */
  onHighWatermarkUpdated(highWatermark: bigint): void {
    this.removeUnreplicatedTransactions(highWatermark);
  }

  /**
   * The first offset that is not yet stable: the start of the oldest transaction that is open, or complete with its
   * marker above the high watermark. Undefined when every transaction is decided and replicated.
   */
  firstUnstableOffset(): bigint | undefined {
    const undecided = this.ongoingTxns[0]?.firstOffset;
    const unreplicated = this.unreplicatedTxns[0]?.firstOffset;
    if (undecided === undefined) return unreplicated;
    if (unreplicated === undefined) return undecided;
    return undecided < unreplicated ? undecided : unreplicated;
  }

  /** The first offset of the oldest open transaction, ignoring replication. */
  firstUndecidedOffset(): bigint | undefined {
    return this.ongoingTxns[0]?.firstOffset;
  }

  activeProducers(): ActiveProducer[] {
    return [...this.producers.values()].map((entry) => ({
      producerId: entry.producerId,
      producerEpoch: entry.producerEpoch,
      lastSequence: entry.lastSeq,
      lastTimestamp: entry.lastTimestamp,
      coordinatorEpoch: entry.coordinatorEpoch,
      currentTxnStartOffset: entry.currentTxnFirstOffset ?? -1n,
    }));
  }

  /** A producer idle for `producer.id.expiration.ms` is forgotten, unless it has a transaction open here. */
  private isExpired(nowMs: number, entry: { currentTxnFirstOffset: bigint | undefined; lastTimestamp: number }): boolean {
    return entry.currentTxnFirstOffset === undefined && nowMs - entry.lastTimestamp >= this.expirationMs();
  }

  /** Removes expired producers. Returns how many were removed. */
  removeExpiredProducers(nowMs: number): number {
    let removed = 0;
    for (const [producerId, entry] of this.producers) {
      if (this.isExpired(nowMs, entry)) {
        this.producers.delete(producerId);
        removed++;
      }
    }
    return removed;
  }

  // ---- snapshots ----

  get latestSnapshotOffset(): bigint | undefined {
    return this.snapshots[this.snapshots.length - 1];
  }

  get oldestSnapshotOffset(): bigint | undefined {
    return this.snapshots[0];
  }

  snapshotOffsets(): readonly bigint[] {
    return [...this.snapshots];
  }

  snapshotPath(offset: bigint): string {
    return joinPath(this.dir, offsetFileName(offset, SNAPSHOT_SUFFIX));
  }

  /**
   * Writes the state as `<map end offset>.snapshot`, unless a snapshot already covers that offset. Returns the
   * offset written, if any. Kafka writes the file in place (no rename): its CRC exposes a torn write, and a bad
   * snapshot is skipped on load in favour of an older one or a rescan.
   */
  takeSnapshot(sync: boolean): bigint | undefined {
    if (this.lastMapOffset <= this.lastSnapOffset) return undefined;
    const offset = this.lastMapOffset;
    const entries: ProducerSnapshotEntry[] = [];
    for (const entry of this.producers.values()) {
      entries.push({
        producerId: entry.producerId,
        producerEpoch: entry.producerEpoch,
        lastSequence: entry.lastSeq,
        lastOffset: entry.lastDataOffset,
        offsetDelta: entry.lastOffsetDelta,
        timestampMs: BigInt(entry.lastTimestamp),
        coordinatorEpoch: entry.coordinatorEpoch,
        currentTxnFirstOffset: entry.currentTxnFirstOffset ?? -1n,
      });
    }
    const path = this.snapshotPath(offset);
    const handle = this.fs.open(path, { create: true });
    try {
      handle.truncate(0);
      handle.write(encodeProducerSnapshot(entries), 0);
      if (sync) handle.sync();
    } finally {
      handle.close();
    }
    if (!this.snapshots.includes(offset)) insertSorted(this.snapshots, offset);
    this.lastSnapOffset = offset;
    return offset;
  }

  /** Lists the snapshot files; the log calls it while loading, after removing leftovers of an interrupted cleaner swap. */
  rescanSnapshots(): void {
    this.snapshots = this.listSnapshotOffsets();
  }

  /** fsyncs a snapshot written without sync (after a roll, from the scheduler, as Kafka does). */
  flushSnapshot(offset: bigint): void {
    const path = this.snapshotPath(offset);
    if (!this.fs.exists(path)) return;
    const handle = this.fs.open(path);
    try {
      handle.sync();
    } finally {
      handle.close();
    }
  }

  deleteSnapshot(offset: bigint): void {
    const index = this.snapshots.indexOf(offset);
    if (index < 0) return;
    this.snapshots.splice(index, 1);
    const path = this.snapshotPath(offset);
    if (this.fs.exists(path)) this.fs.unlink(path);
  }

  deleteSnapshotsBefore(offset: bigint): void {
    for (const snapshot of this.snapshots.filter((s) => s < offset)) this.deleteSnapshot(snapshot);
  }

  /**
   * Removes snapshots that match no segment's base offset, except the newest stray one when it lies above every
   * segment (the snapshot a clean shutdown writes at the log end).
   */
  removeStraySnapshots(segmentBaseOffsets: readonly bigint[]): void {
    const bases = new Set(segmentBaseOffsets);
    const maxBase = segmentBaseOffsets.reduce<bigint | undefined>((max, b) => (max === undefined || b > max ? b : max), undefined);
    let latestStray: bigint | undefined;
    for (const offset of [...this.snapshots]) {
      if (bases.has(offset)) continue;
      if (latestStray !== undefined) this.deleteSnapshot(latestStray);
      latestStray = offset;
    }
    if (latestStray !== undefined && maxBase !== undefined && latestStray < maxBase) this.deleteSnapshot(latestStray);
  }

  /**
   * Drops snapshots outside (logStartOffset, logEndOffset] and, unless the state already ends at logEndOffset,
   * reloads it from the newest remaining snapshot (at or below `loadAtOrBelow` when given, keeping the newer
   * ones on disk). The caller then replays the log from `mapEndOffset`.
   */
  truncateAndReload(logStartOffset: bigint, logEndOffset: bigint, nowMs: number, loadAtOrBelow?: bigint): void {
    for (const offset of [...this.snapshots]) {
      if (offset > logEndOffset || offset <= logStartOffset) this.deleteSnapshot(offset);
    }
    if (logEndOffset !== this.lastMapOffset) {
      this.producers.clear();
      this.ongoingTxns = [];
      this.unreplicatedTxns = [];
      this.loadFromSnapshot(logStartOffset, nowMs, loadAtOrBelow);
    } else {
      this.onLogStartOffsetIncremented(logStartOffset);
    }
  }

  /** Forgets everything, removes every snapshot, and starts the state at `offset` (an emptied log). */
  truncateFullyAndStartAt(offset: bigint): void {
    this.producers.clear();
    this.ongoingTxns = [];
    this.unreplicatedTxns = [];
    for (const snapshot of [...this.snapshots]) this.deleteSnapshot(snapshot);
    this.lastSnapOffset = 0n;
    this.lastMapOffset = offset;
  }

  onLogStartOffsetIncremented(logStartOffset: bigint): void {
    this.removeUnreplicatedTransactions(logStartOffset);
    if (this.lastMapOffset < logStartOffset) this.lastMapOffset = logStartOffset;
    this.lastSnapOffset = this.latestSnapshotOffset ?? logStartOffset;
  }

  private loadFromSnapshot(logStartOffset: bigint, nowMs: number, atOrBelow?: bigint): void {
    for (;;) {
      const latest = atOrBelow === undefined ? this.latestSnapshotOffset : this.snapshots.filter((o) => o <= atOrBelow).pop();
      if (latest === undefined) {
        this.lastSnapOffset = logStartOffset;
        this.lastMapOffset = logStartOffset;
        return;
      }
      try {
        const entries = decodeProducerSnapshot(this.fs.readFile(this.snapshotPath(latest)));
        for (const e of entries) {
          const entry = new ProducerStateEntry(
            e.producerId,
            e.producerEpoch,
            e.coordinatorEpoch,
            Number(e.timestampMs),
            e.currentTxnFirstOffset >= 0n ? e.currentTxnFirstOffset : undefined,
          );
          if (e.lastOffset >= 0n) entry.addBatch(e.producerEpoch, e.lastSequence, e.lastOffset, e.offsetDelta, Number(e.timestampMs));
          if (this.isExpired(nowMs, entry)) continue;
          this.producers.set(e.producerId, entry);
          if (entry.currentTxnFirstOffset !== undefined) {
            insertByFirstOffset(this.ongoingTxns, { producerId: e.producerId, firstOffset: entry.currentTxnFirstOffset });
          }
        }
        this.lastSnapOffset = latest;
        this.lastMapOffset = latest;
        this.logger.info(`${this.name}: loaded producer state of ${this.producers.size} producers from snapshot ${latest}`);
        return;
      } catch (error) {
        this.logger.warn(`${this.name}: could not load producer snapshot ${latest}: ${String(error)}; trying an older one`);
        this.deleteSnapshot(latest);
      }
    }
  }

  private removeUnreplicatedTransactions(offset: bigint): void {
    if (this.unreplicatedTxns.length === 0) return;
    this.unreplicatedTxns = this.unreplicatedTxns.filter((t) => t.lastOffset === undefined || t.lastOffset >= offset);
  }

  private listSnapshotOffsets(): bigint[] {
    if (!this.fs.exists(this.dir)) return [];
    const offsets: bigint[] = [];
    for (const name of this.fs.readdir(this.dir)) {
      if (!name.endsWith(SNAPSHOT_SUFFIX)) continue;
      const offset = offsetFromFileName(name);
      if (offset !== undefined && name.length === 20 + SNAPSHOT_SUFFIX.length) offsets.push(offset);
    }
    return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

function insertByFirstOffset(list: TxnMetadata[], txn: TxnMetadata): void {
  let at = list.length;
  while (at > 0 && list[at - 1].firstOffset > txn.firstOffset) at--;
  list.splice(at, 0, txn);
}

function insertSorted(list: bigint[], value: bigint): void {
  let at = list.length;
  while (at > 0 && list[at - 1] > value) at--;
  list.splice(at, 0, value);
}
