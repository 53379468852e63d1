import { BatchField, CorruptRecordError, TimestampType, decodeBatchRecords, readBatchHeader, recordTimestamp } from '@tributary/protocol';
import type { Clock } from '../clock';
import type { LogConfig } from '../config';
import { KafkaStorageError, OffsetOutOfRangeError, storageError } from '../errors';
import type { FileSystem } from '../fs/file-system';
import { joinPath } from '../fs/file-system';
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  SNAPSHOT_SUFFIX,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  TXN_INDEX_SUFFIX,
  offsetFromFileName,
} from '../format/file-names';
import type { AbortedTxn } from '../format/transaction-index';
import { PARTITION_METADATA, readPartitionMetadata, writePartitionMetadata } from '../format/partition-metadata';
import type { StorageLogger } from '../logger';
import { silentLogger } from '../logger';
import { AppendOrigin, validateAndAssignOffsets } from './append-validation';
import { batchesIn, isEntryChecksumValid } from './batch-scan';
import { LeaderEpochCache } from './leader-epoch-cache';
import { LogSegment, type SegmentOptions } from './segment';
import type { BatchInfo } from './batch-scan';
import { type ProducerAnalysis, analyzeProducerBatches, hasProducerId, replayProducerBatches } from '../producer-state/producer-batches';
import { type ActiveProducer, DEFAULT_PRODUCER_ID_EXPIRATION_MS, ProducerStateManager } from '../producer-state/producer-state-manager';
import { type BatchMetadata, batchFirstOffset } from '../producer-state/producer-state-entry';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
/** How much of a segment is read at a time when replaying producer batches. */
const REPLAY_CHUNK_BYTES = 1024 * 1024;
// Taken once: the protocol package's re-exports are property getters, and this is read per replicated batch.
const { PARTITION_LEADER_EPOCH } = BatchField;

/** ListOffsets' special timestamps. */
export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;
export const MAX_TIMESTAMP = -3n;

/** How far a fetch may read: followers to the log end, consumers to the high watermark or last stable offset. */
export enum FetchIsolation {
  LogEnd = 'log-end',
  HighWatermark = 'high-watermark',
  TxnCommitted = 'txn-committed',
}

export interface PartitionLogOptions {
  fs: FileSystem;
  clock: Clock;
  /** The partition directory, `<log.dir>/<topic>-<partition>`. */
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  /** Offset below which everything is known to be flushed; recovery validates from here on. */
  recoveryPoint?: bigint;
  /** Checkpointed log start offset (after DeleteRecords). */
  logStartOffset?: bigint;
  /** Checkpointed high watermark. */
  highWatermark?: bigint;
  /** When the broker shut down cleanly, nothing needs re-validation. */
  hadCleanShutdown?: boolean;
  /**
   * Standalone brokers commit on append: the high watermark follows the log end offset. A replicated partition
   * sets it from follower progress instead.
   */
  highWatermarkFollowsLogEnd?: boolean;
  /** Randomness in [0, 1) for segment jitter (default Math.random); tests pass a seeded one. */
  random?: () => number;
  /** Check each batch's CRC before handing it to a reader (default on; costs ~0.3 ms per MB). */
  verifyChecksumsOnRead?: boolean;
  /** `producer.id.expiration.ms` (default one day); read at each expiry check, so a config change applies. */
  producerIdExpirationMs?: () => number;
  logger?: StorageLogger;
}

export interface AppendOptions {
  /** Assign offsets from the log end (leaders); false keeps the batches' offsets (followers). */
  assignOffsets?: boolean;
  leaderEpoch?: number;
  origin?: AppendOrigin;
  /** Overrides `message.timestamp.type` for this append. */
  timestampType?: TimestampType;
}

export interface AppendResult {
  firstOffset: bigint;
  lastOffset: bigint;
  /** Broker time stamped on the batches, or -1 under CreateTime. */
  logAppendTimeMs: number;
  logStartOffset: bigint;
  maxTimestamp: number;
  offsetOfMaxTimestamp: bigint;
  recordCount: number;
  validBytes: number;
  /**
   * Set when the append repeated one of the producer's last five batches (a retry): nothing was written, and the
   * offsets (and, as Kafka answers, the batch's max timestamp as `logAppendTimeMs`) are the original batch's.
   */
  duplicate?: boolean;
}

export interface ReadOptions {
  isolation?: FetchIsolation;
  /** Read no batch whose last offset is at or above this (in addition to the isolation bound). */
  maxOffset?: bigint;
  /** Return at least one whole batch even when it is larger than maxBytes (KIP-74); default true. */
  minOneBatch?: boolean;
}

export interface ReadResult {
  /** Whole batches, as one buffer read from the segment (a view; not copied again). */
  records: Buffer;
  /** Base offset of the first batch returned, if any. */
  firstBatchOffset: bigint | undefined;
  highWatermark: bigint;
  logStartOffset: bigint;
  lastStableOffset: bigint;
  logEndOffset: bigint;
  /** For READ_COMMITTED fetches: aborted transactions that overlap the returned range. */
  abortedTransactions?: AbortedTxn[];
}

export interface TimestampAndOffset {
  timestamp: bigint;
  offset: bigint;
  leaderEpoch?: number;
}

/** A segment renamed to `.deleted`, waiting for `file.delete.delay.ms`. */
interface PendingDeletion {
  paths: string[];
  dueMs: number;
}

/**
 * The log of one partition: an ordered list of segments, the last of which is active and takes appends.
 *
 * Concurrency: call only from the event loop. Every method runs to completion without awaiting, so the
 * partition's state (segments, offsets, indexes) changes atomically with respect to other requests. The cleaner
 * prepares compacted segments separately and swaps them in with `replaceSegments`, also synchronously.
 */
export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  config: LogConfig;
  private readonly fs: FileSystem;
  private readonly clock: Clock;
  private readonly logger: StorageLogger;
  private segments: LogSegment[] = [];
  private _logStartOffset = 0n;
  private _highWatermark = 0n;
  private _recoveryPoint = 0n;
  private firstUnstableOffset: bigint | undefined;
  private unflushedRecords = 0;
  private lastFlushMs: number;
  /** When the last roll happened (for flushing rolled segments), if any since opening. */
  private lastRollMs: number | undefined;
  private pendingDeletions: PendingDeletion[] = [];
  private readonly highWatermarkFollowsLogEnd: boolean;
  private readonly verifyChecksumsOnRead: boolean;
  private readonly random: () => number;
  /** Set after a disk failure: the log refuses further work until it is reopened. */
  private failure: KafkaStorageError | undefined;
  private closed = false;
  readonly leaderEpochCache: LeaderEpochCache;
  /** Idempotent and transactional producers' state: sequences, epochs, open transactions, snapshots. */
  private readonly producerState: ProducerStateManager;
  /** Snapshots written at a roll without fsync; synced with the rolled segments, as Kafka does. */
  private unsyncedSnapshots: bigint[] = [];

  private constructor(options: PartitionLogOptions) {
    this.fs = options.fs;
    this.clock = options.clock;
    this.dir = options.dir;
    this.topic = options.topic;
    this.partition = options.partition;
    this.config = options.config;
    this.logger = options.logger ?? silentLogger;
    this.highWatermarkFollowsLogEnd = options.highWatermarkFollowsLogEnd ?? true;
    this.verifyChecksumsOnRead = options.verifyChecksumsOnRead ?? true;
    this.random = options.random ?? Math.random;
    this.lastFlushMs = this.clock.nowMs();
    this.leaderEpochCache = new LeaderEpochCache(this.fs, joinPath(this.dir, LEADER_EPOCH_CHECKPOINT));
    const expirationMs = options.producerIdExpirationMs ?? (() => DEFAULT_PRODUCER_ID_EXPIRATION_MS);
    this.producerState = new ProducerStateManager({
      fs: this.fs,
      dir: this.dir,
      name: `${this.topic}-${this.partition}`,
      producerIdExpirationMs: expirationMs,
      logger: this.logger,
    });
  }

  /** Opens (creating if needed) and recovers a partition's log. */
  static open(options: PartitionLogOptions): PartitionLog {
    const log = new PartitionLog(options);
    try {
      log.load(options);
    } catch (cause) {
      log.closeQuietly();
      throw storageError('load log', options.dir, cause);
    }
    return log;
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  get logStartOffset(): bigint {
    return this._logStartOffset;
  }

  get logEndOffset(): bigint {
    return this.activeSegment.nextOffset;
  }

  get highWatermark(): bigint {
    return this._highWatermark;
  }

  get recoveryPoint(): bigint {
    return this._recoveryPoint;
  }

  /** The last stable offset: the high watermark, or the first offset of the oldest open transaction below it. */
  get lastStableOffset(): bigint {
    const fuo = this.firstUnstableOffset;
    return fuo !== undefined && fuo < this._highWatermark ? fuo : this._highWatermark;
  }

  /** Set by the producer-state tracking (transactions); undefined when no transaction is open. */
  setFirstUnstableOffset(offset: bigint | undefined): void {
    this.firstUnstableOffset = offset;
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  /** The segments, oldest first. A snapshot: later appends or rolls do not change the array returned. */
  allSegments(): readonly LogSegment[] {
    return [...this.segments];
  }

  get sizeInBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  get isFailed(): boolean {
    return this.failure !== undefined;
  }

  setHighWatermark(offset: bigint): void {
    const leo = this.logEndOffset;
    const clamped = offset < this._logStartOffset ? this._logStartOffset : offset > leo ? leo : offset;
    this._highWatermark = clamped;
    this.producerState.onHighWatermarkUpdated(clamped);
    this.refreshFirstUnstableOffset();
  }

  /** The state of every producer known on this partition (DescribeProducers). */
  activeProducers(): ActiveProducer[] {
    return this.producerState.activeProducers();
  }

  /**
   * Whether this producer, at this epoch, has a transaction open on this partition (Kafka's
   * UnifiedLog.hasOngoingTransaction): its first transactional batch here was verified with the coordinator,
   * so later ones need not be.
   */
  hasOngoingTransaction(producerId: bigint, producerEpoch: number): boolean {
    const entry = this.producerState.lastEntry(producerId);
    return entry !== undefined && entry.currentTxnFirstOffset !== undefined && entry.producerEpoch === producerEpoch;
  }

  /** Forgets producers idle longer than `producer.id.expiration.ms` without an open transaction here. */
  removeExpiredProducers(): number {
    return this.producerState.removeExpiredProducers(this.clock.nowMs());
  }

  /** Offsets of the `.snapshot` files, ascending. */
  producerSnapshotOffsets(): readonly bigint[] {
    return this.producerState.snapshotOffsets();
  }

  /**
   * The first unstable offset follows the producer state: the oldest transaction that is open, or completed
   * with its marker still above the high watermark; never below the log start.
   */
  private refreshFirstUnstableOffset(): void {
    const fuo = this.producerState.firstUnstableOffset();
    this.firstUnstableOffset = fuo !== undefined && fuo < this._logStartOffset ? this._logStartOffset : fuo;
  }

  /**
   * Validates, assigns offsets to and appends a record set. The batches are rewritten in place (base offset,
   * leader epoch, LogAppendTime) and written as they are. Throws a typed error with the Kafka error code on a
   * bad batch (nothing is written) or on a disk failure (the log then refuses further appends).
   */
  append(records: Buffer, options: AppendOptions = {}): AppendResult {
    this.checkUsable();
    const nowMs = this.clock.nowMs();
    const origin = options.origin ?? AppendOrigin.Client;
    const validated = validateAndAssignOffsets(records, this.config, {
      nextOffset: this.logEndOffset,
      assignOffsets: options.assignOffsets ?? true,
      origin,
      nowMs,
      leaderEpoch: options.leaderEpoch,
      timestampType: options.timestampType,
    });
    // Producer checks run on the batches with their offsets, before anything is written, so a rejected or
    // duplicate append leaves the log untouched.
    const producers = this.analyzeProducers(records, validated.batches, origin);
    if (producers?.duplicate) return this.duplicateResult(producers.duplicate);
    try {
      // Followers of a compacted leader may skip offsets; a segment simply continues above the gap.
      const segment = this.maybeRoll(records.length, validated.lastOffset, validated.maxTimestamp, nowMs);
      segment.append(records, validated.batches, nowMs);
      if (options.origin === AppendOrigin.Replication) {
        // A follower learns the epochs from the leader's batches, as Kafka does for replicated appends.
        for (const batch of validated.batches) {
          const epoch = records.readInt32BE(batch.position + PARTITION_LEADER_EPOCH);
          if (epoch >= 0) this.leaderEpochCache.assign(epoch, batch.baseOffset);
        }
      } else if (options.leaderEpoch !== undefined) {
        this.leaderEpochCache.assign(options.leaderEpoch, validated.firstOffset);
      }
    } catch (cause) {
      throw this.fail(storageError('append to', this.name, cause));
    }
    if (producers) this.applyProducers(producers);
    if (this.highWatermarkFollowsLogEnd) {
      this._highWatermark = this.logEndOffset;
      if (producers) {
        this.producerState.onHighWatermarkUpdated(this._highWatermark);
        this.refreshFirstUnstableOffset();
      }
    }
    this.unflushedRecords += validated.recordCount;
    if (this.unflushedRecords >= this.config.flushMessages) this.flush();
    return {
      firstOffset: validated.firstOffset,
      lastOffset: validated.lastOffset,
      logAppendTimeMs: validated.logAppendTimeMs,
      logStartOffset: this._logStartOffset,
      maxTimestamp: validated.maxTimestamp,
      offsetOfMaxTimestamp: validated.offsetOfMaxTimestamp,
      recordCount: validated.recordCount,
      validBytes: records.length,
    };
  }

  /** Validates the producer fields when any batch has a producer id; the common case costs one read per batch. */
  private analyzeProducers(records: Buffer, batches: readonly BatchInfo[], origin: AppendOrigin): ProducerAnalysis | undefined {
    for (let i = 0; i < batches.length; i++) {
      if (hasProducerId(records, batches[i].position)) return analyzeProducerBatches(this.producerState, records, batches, origin);
    }
    return undefined;
  }

  /** Kafka answers a retried batch with the original's offsets and the original's max timestamp as append time. */
  private duplicateResult(duplicate: BatchMetadata): AppendResult {
    return {
      firstOffset: batchFirstOffset(duplicate),
      lastOffset: duplicate.lastOffset,
      logAppendTimeMs: duplicate.timestamp,
      logStartOffset: this._logStartOffset,
      maxTimestamp: duplicate.timestamp,
      offsetOfMaxTimestamp: duplicate.lastOffset,
      recordCount: 0,
      validBytes: 0,
      duplicate: true,
    };
  }

  /**
   * Applies an append's producer changes once its batches are written: the producers' new state, then each
   * completed transaction — an aborted one gets its `.txnindex` entry, with the LSO it leaves behind — and the
   * first unstable offset moves on.
   */
  private applyProducers(analysis: ProducerAnalysis): void {
    for (const update of analysis.updates) this.producerState.update(update);
    for (const completed of analysis.completedTxns) {
      if (completed.isAborted) {
        const lastStableOffset = this.producerState.lastStableOffsetAfter(completed);
        try {
          this.segments[this.segmentIndexFor(completed.lastOffset)].txnIndex.append({
            producerId: completed.producerId,
            firstOffset: completed.firstOffset,
            lastOffset: completed.lastOffset,
            lastStableOffset,
          });
        } catch (cause) {
          throw this.fail(storageError('index aborted transaction in', this.name, cause));
        }
      }
      this.producerState.completeTxn(completed);
    }
    this.refreshFirstUnstableOffset();
  }

  /**
   * Reads whole batches from `offset` up to `maxBytes` (at least one batch unless `minOneBatch` is false),
   * bounded by the isolation level: followers read to the log end, consumers to the high watermark, READ_COMMITTED
   * consumers to the last stable offset. Batches whose CRC fails are never returned.
   */
  read(offset: bigint, maxBytes: number, options: ReadOptions = {}): ReadResult {
    this.checkUsable();
    const isolation = options.isolation ?? FetchIsolation.HighWatermark;
    const isolationBound =
      isolation === FetchIsolation.LogEnd
        ? this.logEndOffset
        : isolation === FetchIsolation.HighWatermark
          ? this._highWatermark
          : this.lastStableOffset;
    const upperBound = options.maxOffset !== undefined && options.maxOffset < isolationBound ? options.maxOffset : isolationBound;
    const base: ReadResult = {
      records: Buffer.alloc(0),
      firstBatchOffset: undefined,
      highWatermark: this._highWatermark,
      logStartOffset: this._logStartOffset,
      lastStableOffset: this.lastStableOffset,
      logEndOffset: this.logEndOffset,
    };
    if (offset < this._logStartOffset || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(
        `offset ${offset} is outside [${this._logStartOffset}, ${this.logEndOffset}] of ${this.name}`,
      );
    }
    if (offset >= upperBound) return base;
    let index = this.segmentIndexFor(offset);
    const minOneBatch = options.minOneBatch ?? true;
    while (index < this.segments.length) {
      const segment = this.segments[index];
      let result;
      try {
        result = segment.read(offset, maxBytes, segment.size, minOneBatch);
      } catch (cause) {
        throw this.fail(storageError('read from', this.name, cause));
      }
      if (result) {
        const records = this.trimToReadable(result.records, offset, upperBound);
        if (records.length === 0) return base;
        const firstBatchOffset = records.readBigInt64BE(0);
        const out: ReadResult = { ...base, records, firstBatchOffset };
        if (isolation === FetchIsolation.TxnCommitted) {
          out.abortedTransactions = this.collectAbortedTransactions(offset, upperBound);
        }
        return out;
      }
      index++;
    }
    return base;
  }

  /**
   * Keeps the batches below `upperBound` that pass the checks a reader can make: checksum, and last offsets that
   * reach the requested one and then increase. Refuses (CORRUPT_MESSAGE) when the very first batch fails, so a
   * damaged batch is never handed out; later failures just end the read early.
   */
  private trimToReadable(records: Buffer, requestedOffset: bigint, upperBound: bigint): Buffer {
    let end = 0;
    let previousLast = requestedOffset - 1n;
    for (const batch of batchesIn(records)) {
      if (batch.lastOffset >= upperBound) break;
      // Compaction leaves gaps, so the first batch may start above the requested offset, but never end below it.
      const inOrder = batch.lastOffset > previousLast;
      const intact =
        inOrder && (!this.verifyChecksumsOnRead || isEntryChecksumValid(records.subarray(batch.position, batch.position + batch.size), batch.magic));
      if (!intact) {
        if (end === 0) {
          this.logger.error(`${this.name}: batch at offset ${batch.baseOffset} is damaged on disk; not returning it`);
          throw new CorruptRecordError(`batch at offset ${batch.baseOffset} of ${this.name} is corrupt on disk`);
        }
        break;
      }
      previousLast = batch.lastOffset;
      end = batch.position + batch.size;
    }
    return records.subarray(0, end);
  }

  /**
   * Aborted transactions (from the segments' `.txnindex`) that overlap [fromOffset, upperBound). A transaction is
   * indexed in the segment of its ABORT marker, which may lie segments past `upperBound`; so, as Kafka's
   * LocalLog.collectAbortedTransactions, the search goes on until an entry shows every transaction begun below
   * the bound had ended (see TransactionIndex.searchAbortedTxns), or the segments run out.
   */
  collectAbortedTransactions(fromOffset: bigint, upperBound: bigint): AbortedTxn[] {
    const result: AbortedTxn[] = [];
    for (let i = this.segmentIndexFor(fromOffset); i < this.segments.length; i++) {
      // No exists() per segment per read: the segment loads its index once (empty when there is no file) and
      // keeps it, and every abort written later goes through that same object.
      const search = this.segments[i].txnIndex.searchAbortedTxns(fromOffset, upperBound);
      result.push(...search.abortedTransactions);
      if (search.isComplete) break;
    }
    return result;
  }

  /**
   * Records an aborted transaction in the `.txnindex` of the segment holding its marker. `append` does this for
   * every ABORT marker it writes; this remains for tools and tests that build an index by hand.
   */
  appendAbortedTransaction(txn: AbortedTxn): void {
    this.checkUsable();
    try {
      const segment = this.segments[this.segmentIndexFor(txn.lastOffset)];
      // Appending an ABORT marker already indexes its transaction; a caller repeating that is a no-op.
      const last = segment.txnIndex.all[segment.txnIndex.all.length - 1];
      if (last && last.lastOffset === txn.lastOffset && last.producerId === txn.producerId) return;
      segment.txnIndex.append(txn);
    } catch (cause) {
      throw this.fail(storageError('index aborted transaction in', this.name, cause));
    }
  }

  /**
   * ListOffsets: earliest (-2), latest (-1), max timestamp (-3), or the first batch holding a record with a
   * timestamp at or after `timestamp`. Returns undefined when no record is that late. The time index narrows
   * the search to a few batches; only the matching batch is decoded to find the exact record.
   */
  offsetForTimestamp(timestamp: bigint): TimestampAndOffset | undefined {
    this.checkUsable();
    if (timestamp === EARLIEST_TIMESTAMP) return { timestamp: -1n, offset: this._logStartOffset };
    if (timestamp === LATEST_TIMESTAMP) return { timestamp: -1n, offset: this.logEndOffset };
    if (timestamp === MAX_TIMESTAMP) {
      let best: { segment: LogSegment; ts: number } | undefined;
      for (const segment of this.segments) {
        const ts = segment.maxTimestamp;
        if (ts >= 0 && (!best || ts > best.ts)) best = { segment, ts };
      }
      if (!best) return undefined;
      const batch = best.segment.findBatchByTimestamp(best.ts, this._logStartOffset);
      if (!batch) return undefined;
      return firstRecordAtOrAfter(best.segment.readBatch(batch), BigInt(best.ts), this._logStartOffset);
    }
    const target = Number(timestamp);
    for (const segment of this.segments) {
      if (segment.nextOffset <= this._logStartOffset || segment.maxTimestamp < target) continue;
      // A batch whose max timestamp qualifies may still hold no such record at or above the log start (it
      // straddles the start); then the search goes on from the batch after it.
      let from = this._logStartOffset;
      for (;;) {
        const batch = segment.findBatchByTimestamp(target, from);
        if (!batch) break;
        const exact = firstRecordAtOrAfter(segment.readBatch(batch), timestamp, this._logStartOffset);
        if (exact) return exact;
        from = batch.lastOffset + 1n;
      }
    }
    return undefined;
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (bounded by the high watermark) and removes the
   * segments that lie wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: bigint): bigint {
    this.checkUsable();
    if (offset > this._highWatermark) {
      throw new OffsetOutOfRangeError(`cannot delete records before ${offset}: above the high watermark ${this._highWatermark}`);
    }
    if (offset > this._logStartOffset) {
      this._logStartOffset = offset;
      this.leaderEpochCache.truncateFromStart(offset);
      this.producerState.onLogStartOffsetIncremented(offset);
      this.refreshFirstUnstableOffset();
      this.deleteSegmentsWhile((_segment, next) => next !== undefined && next.baseOffset <= this._logStartOffset, 'log start offset');
    }
    return this._logStartOffset;
  }

  /**
   * Applies retention: segments older than `retention.ms`, beyond `retention.bytes`, or below the log start
   * offset are renamed to `.deleted` and removed after `file.delete.delay.ms`. Only data below the high
   * watermark is ever deleted. Returns the number of segments deleted.
   */
  applyRetention(): number {
    this.checkUsable();
    let deleted = this.deleteSegmentsWhile(
      (_segment, next) => next !== undefined && next.baseOffset <= this._logStartOffset,
      'log start offset',
    );
    if (!this.config.cleanupPolicy.delete) return deleted;
    const nowMs = this.clock.nowMs();
    if (this.config.retentionMs >= 0) {
      deleted += this.deleteSegmentsWhile(
        (segment) => nowMs - segment.largestTimestampOrModifiedMs() > this.config.retentionMs,
        `retention.ms ${this.config.retentionMs}`,
      );
    }
    if (this.config.retentionBytes >= 0) {
      let excess = this.sizeInBytes - this.config.retentionBytes;
      deleted += this.deleteSegmentsWhile((segment) => {
        if (excess - segment.size < 0) return false;
        excess -= segment.size;
        return true;
      }, `retention.bytes ${this.config.retentionBytes}`);
    }
    return deleted;
  }

  /**
   * Deletes the oldest segments while `predicate` holds, never past the high watermark. When every segment
   * qualifies, the active one is rolled first so the log keeps an (empty) active segment, as Kafka does.
   */
  private deleteSegmentsWhile(predicate: (segment: LogSegment, next: LogSegment | undefined) => boolean, reason: string): number {
    const doomed: LogSegment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const next = this.segments[i + 1];
      const upper = next ? next.baseOffset : this.logEndOffset;
      if (upper > this._highWatermark) break;
      if (!next && segment.size === 0) break;
      if (!predicate(segment, next)) break;
      doomed.push(segment);
    }
    if (doomed.length === 0) return 0;
    try {
      if (doomed.length === this.segments.length) this.roll();
      const nowMs = this.clock.nowMs();
      for (const segment of doomed) {
        this.segments.shift();
        const paths = segment.markDeleted();
        this.pendingDeletions.push({ paths, dueMs: nowMs + this.config.fileDeleteDelayMs });
        // The snapshot at the segment's base offset goes with it, as Kafka's deleteProducerSnapshots does.
        this.producerState.deleteSnapshot(segment.baseOffset);
        this.logger.info(`${this.name}: deleting segment ${segment.baseOffset} (${reason})`);
      }
    } catch (cause) {
      throw this.fail(storageError('delete segments of', this.name, cause));
    }
    const first = this.segments[0].baseOffset;
    if (first > this._logStartOffset) {
      this._logStartOffset = first;
      this.leaderEpochCache.truncateFromStart(first);
      this.producerState.onLogStartOffsetIncremented(first);
      this.refreshFirstUnstableOffset();
    }
    if (this._recoveryPoint < this._logStartOffset) this._recoveryPoint = this._logStartOffset;
    this.deletePendingFiles();
    return doomed.length;
  }

  /** Unlinks `.deleted` files whose delay has passed. Returns how many files were removed. */
  deletePendingFiles(): number {
    const nowMs = this.clock.nowMs();
    let removed = 0;
    const remaining: PendingDeletion[] = [];
    for (const pending of this.pendingDeletions) {
      if (pending.dueMs > nowMs) {
        remaining.push(pending);
        continue;
      }
      for (const path of pending.paths) {
        try {
          if (this.fs.exists(path)) this.fs.unlink(path);
          removed++;
        } catch (cause) {
          this.logger.warn(`${this.name}: could not delete ${path}: ${String(cause)}`);
        }
      }
    }
    this.pendingDeletions = remaining;
    return removed;
  }

  /** Starts a new active segment at the log end offset (no-op if the active segment is empty). */
  roll(): LogSegment {
    const active = this.activeSegment;
    if (active.size === 0) return active;
    const nowMs = this.clock.nowMs();
    active.onBecomeInactive();
    const segment = LogSegment.create(this.segmentOptions(this.logEndOffset, nowMs));
    this.segments.push(segment);
    try {
      // A snapshot at each segment's base offset lets recovery start from the segment instead of the log's start.
      // It is fsynced later, with the rolled segment, to keep the fsync off the append path (as Kafka does).
      this.producerState.updateMapEndOffset(segment.baseOffset);
      const snapshot = this.producerState.takeSnapshot(false);
      if (snapshot !== undefined) this.unsyncedSnapshots.push(snapshot);
      this.fs.syncDirectory(this.dir);
    } catch (cause) {
      throw storageError('fsync directory', this.dir, cause);
    }
    this.lastRollMs = nowMs;
    this.logger.info(`${this.name}: rolled new segment at offset ${segment.baseOffset}`);
    return segment;
  }

  private maybeRoll(bytes: number, lastOffset: bigint, maxTimestamp: number, nowMs: number): LogSegment {
    const active = this.activeSegment;
    // Kafka draws each segment's jitter once, when the segment is created, from [0, segment.jitter.ms).
    const jitterMs = this.config.segmentJitterMs > 0 ? Math.floor(active.jitterFraction * Math.min(this.config.segmentJitterMs, this.config.segmentMs)) : 0;
    if (active.shouldRoll(bytes, lastOffset, maxTimestamp, nowMs, this.config.segmentBytes, this.config.segmentMs - jitterMs)) {
      return this.roll();
    }
    return active;
  }

  /**
   * fsyncs everything appended so far and moves the recovery point to the log end offset: a crash after this
   * returns never loses these records.
   */
  flush(): void {
    this.checkUsable();
    const target = this.logEndOffset;
    if (target <= this._recoveryPoint && this.unflushedRecords === 0) return;
    try {
      for (let i = this.segmentIndexFor(this._recoveryPoint); i < this.segments.length; i++) this.segments[i].flush();
      this.flushSnapshots();
    } catch (cause) {
      throw this.fail(storageError('flush', this.name, cause));
    }
    this._recoveryPoint = target;
    this.unflushedRecords = 0;
    this.lastFlushMs = this.clock.nowMs();
  }

  private flushSnapshots(): void {
    if (this.unsyncedSnapshots.length === 0) return;
    for (const offset of this.unsyncedSnapshots) this.producerState.flushSnapshot(offset);
    this.unsyncedSnapshots = [];
  }

  /** Flushes when `flush.ms` has passed since the last flush (called by the log manager's scheduler). */
  flushIfDue(): void {
    if (this.unflushedRecords > 0 && this.clock.nowMs() - this.lastFlushMs >= this.config.flushMs) this.flush();
  }

  /**
   * Kafka flushes a segment once it is rolled (on a background thread), so the recovery point keeps up even
   * when flushing is left to the OS and a crash re-validates only the active segment. We do the same from the
   * scheduler, `delayMs` after the roll: by then the kernel has written most of those pages back (its dirty
   * expiry is 30 s), so the fsync is short even though it runs on the event loop.
   */
  flushRolledSegments(delayMs: number): void {
    if (this.lastRollMs === undefined || this.clock.nowMs() - this.lastRollMs < delayMs) return;
    const active = this.activeSegment;
    if (active.baseOffset <= this._recoveryPoint) return;
    this.checkUsable();
    try {
      for (let i = this.segmentIndexFor(this._recoveryPoint); i < this.segments.length - 1; i++) this.segments[i].flush();
      this.flushSnapshots();
      this.fs.syncDirectory(this.dir);
    } catch (cause) {
      throw this.fail(storageError('flush', this.name, cause));
    }
    this._recoveryPoint = active.baseOffset;
  }

  /**
   * Removes every offset ≥ `offset` (a follower diverged from its leader). Whole segments above it go; the one
   * holding it is cut. The high watermark and recovery point move down with it.
   */
  truncateTo(offset: bigint): void {
    this.checkUsable();
    const leo = this.logEndOffset;
    if (offset >= leo) return;
    if (offset < this._logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    try {
      while (this.segments.length > 1 && this.activeSegment.baseOffset >= offset) {
        const segment = this.segments.pop() as LogSegment;
        this.pendingDeletions.push({ paths: segment.markDeleted(), dueMs: this.clock.nowMs() + this.config.fileDeleteDelayMs });
        this.producerState.deleteSnapshot(segment.baseOffset);
      }
      this.activeSegment.truncateTo(offset);
      // The state must forget what the cut removed: reload the newest snapshot at or below the cut and replay.
      // The state reflects the log up to its old end (the map end offset is only kept current for snapshots),
      // which lets a log that never saw a producer id skip the replay, as Kafka does.
      this.producerState.updateMapEndOffset(leo);
      this.rebuildProducerState(offset, false);
    } catch (cause) {
      throw this.fail(storageError('truncate', this.name, cause));
    }
    this.leaderEpochCache.truncateFromEnd(offset);
    if (this._highWatermark > offset) this._highWatermark = offset;
    if (this._recoveryPoint > offset) this._recoveryPoint = offset;
    this.refreshFirstUnstableOffset();
    // Make the cut durable now, with everything before it: otherwise a power loss could bring the removed
    // batches back (they are valid, so recovery would keep them), resurrecting offsets a follower was told to
    // drop, or keep the cut while losing older unflushed batches, leaving a hole. Truncation is rare.
    this.unflushedRecords = Math.max(this.unflushedRecords, 1);
    this.flush();
  }

  /** Drops every segment and starts an empty log at `offset`. */
  truncateFullyAndStartAt(offset: bigint): void {
    this.checkUsable();
    try {
      const nowMs = this.clock.nowMs();
      for (const segment of this.segments) {
        this.pendingDeletions.push({ paths: segment.markDeleted(), dueMs: nowMs + this.config.fileDeleteDelayMs });
      }
      this.segments = [LogSegment.create(this.segmentOptions(offset, nowMs))];
      this.producerState.truncateFullyAndStartAt(offset);
      this.producerState.takeSnapshot(true);
    } catch (cause) {
      throw this.fail(storageError('truncate', this.name, cause));
    }
    this.leaderEpochCache.clear();
    this._logStartOffset = offset;
    this._highWatermark = offset;
    this._recoveryPoint = offset;
    this.refreshFirstUnstableOffset();
  }

  /**
   * Swaps compacted segments in for the originals (called by the cleaner). `cleaned` must already be
   * written and flushed under the `.cleaned` suffix and cover exactly the offsets of `originals`. The swap follows
   * Kafka's crash-safe order: rename the cleaned files to `.swap`, mark the originals `.deleted`, then drop
   * the `.swap` suffix. Recovery finishes any step a crash interrupted.
   */
  replaceSegments(cleaned: LogSegment, originals: readonly LogSegment[]): void {
    this.checkUsable();
    const first = this.segments.indexOf(originals[0]);
    if (first < 0 || originals.some((s, i) => this.segments[first + i] !== s)) {
      throw new Error('segments to replace are no longer contiguous in the log');
    }
    try {
      cleaned.renameWithSuffix(SWAP_SUFFIX);
      this.fs.syncDirectory(this.dir);
      const nowMs = this.clock.nowMs();
      for (const segment of originals) {
        this.pendingDeletions.push({ paths: segment.markDeleted(), dueMs: nowMs + this.config.fileDeleteDelayMs });
        if (segment.baseOffset !== cleaned.baseOffset) this.producerState.deleteSnapshot(segment.baseOffset);
      }
      cleaned.renameToFinal();
      this.fs.syncDirectory(this.dir);
    } catch (cause) {
      throw this.fail(storageError('swap cleaned segment into', this.name, cause));
    }
    this.segments.splice(first, originals.length, cleaned);
  }

  /** Options for a new segment in this log's directory. */
  segmentOptions(baseOffset: bigint, nowMs: number, fileSuffix?: string): SegmentOptions {
    return {
      fs: this.fs,
      dir: this.dir,
      baseOffset,
      indexIntervalBytes: this.config.indexIntervalBytes,
      maxIndexBytes: this.config.segmentIndexBytes,
      createdMs: nowMs,
      fileSuffix,
      jitterFraction: this.random(),
    };
  }

  /** Index of the segment holding `offset` (the last one whose base offset is ≤ it). */
  private segmentIndexFor(offset: bigint): number {
    let low = 0;
    let high = this.segments.length - 1;
    let found = 0;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      if (this.segments[mid].baseOffset <= offset) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  /** The topic id recorded in `partition.metadata`, if any. */
  get topicId(): string | undefined {
    return readPartitionMetadata(this.fs, joinPath(this.dir, PARTITION_METADATA));
  }

  /** Records the topic id in `partition.metadata` (Kafka writes it once the id is known). */
  setTopicId(topicId: string): void {
    const existing = this.topicId;
    if (existing === topicId) return;
    if (existing !== undefined) throw new KafkaStorageError(`${this.name} belongs to topic id ${existing}, not ${topicId}`);
    writePartitionMetadata(this.fs, joinPath(this.dir, PARTITION_METADATA), topicId);
  }

  /** Closes the files. The active segment's time index gets its final entry first, as on a Kafka shutdown. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.failure) {
      try {
        this.activeSegment?.onBecomeInactive();
      } catch (cause) {
        this.logger.warn(`${this.name}: could not write the final time index entry: ${String(cause)}`);
      }
      try {
        // A snapshot at the log end lets the next start skip replaying the log, as after Kafka's clean close.
        this.producerState.updateMapEndOffset(this.logEndOffset);
        this.producerState.takeSnapshot(true);
        this.flushSnapshots();
      } catch (cause) {
        this.logger.warn(`${this.name}: could not write the producer state snapshot: ${String(cause)}`);
      }
    }
    this.closeQuietly();
  }

  /** Closes and removes the whole partition directory. */
  delete(): void {
    this.closed = true;
    this.closeQuietly();
    this.fs.removeTree(this.dir);
  }

  private closeQuietly(): void {
    for (const segment of this.segments) {
      try {
        segment.close();
      } catch {
        // Closing after a disk failure may fail too; nothing more can be done for this file.
      }
    }
  }

  private checkUsable(): void {
    if (this.failure) throw new KafkaStorageError(`${this.name} is offline after a disk failure`, { cause: this.failure });
    if (this.closed) throw new KafkaStorageError(`${this.name} is closed`);
  }

  /** Records a disk failure: the log stops serving until reopened (its log dir goes offline). */
  private fail(error: KafkaStorageError): KafkaStorageError {
    this.failure = error;
    this.logger.error(`${this.name}: ${error.message}; the partition is offline until its log dir is reopened`);
    this.onFailure?.(error);
    return error;
  }

  /** Called once when the log hits a disk failure (the log manager takes the dir offline). */
  onFailure: ((error: KafkaStorageError) => void) | undefined;

  // ---- loading and recovery ----

  private load(options: PartitionLogOptions): void {
    this.fs.mkdir(this.dir);
    this.completeInterruptedSwaps();
    this.producerState.rescanSnapshots();
    const baseOffsets = this.listSegmentBaseOffsets();
    const nowMs = this.clock.nowMs();
    for (const baseOffset of baseOffsets) this.segments.push(LogSegment.open(this.segmentOptions(baseOffset, nowMs)));

    const recoveryPoint = options.hadCleanShutdown ? undefined : (options.recoveryPoint ?? 0n);
    this.recoverSegments(recoveryPoint);

    if (this.segments.length === 0) {
      const start = options.logStartOffset ?? 0n;
      this.segments.push(LogSegment.create(this.segmentOptions(start, nowMs)));
    }
    const firstBase = this.segments[0].baseOffset;
    const checkpointedStart = options.logStartOffset ?? firstBase;
    const leo = this.logEndOffset;
    this._logStartOffset = checkpointedStart > firstBase ? (checkpointedStart > leo ? leo : checkpointedStart) : firstBase;
    // Recovery proved the data above the recovery point valid, not durable: after a process crash it may still
    // sit only in the page cache. The next flush must sync it, so the recovery point stays where it was.
    const knownDurable = options.hadCleanShutdown ? leo : (options.recoveryPoint ?? 0n);
    this._recoveryPoint = knownDurable < this._logStartOffset ? this._logStartOffset : knownDurable > leo ? leo : knownDurable;
    const hw = options.highWatermark ?? (this.highWatermarkFollowsLogEnd ? leo : this._logStartOffset);
    this._highWatermark = this.highWatermarkFollowsLogEnd ? leo : hw;
    this.setHighWatermark(this._highWatermark);
    this.leaderEpochCache.truncateFromEnd(leo);
    this.leaderEpochCache.truncateFromStart(this._logStartOffset);
    this.producerState.removeStraySnapshots(this.segments.map((s) => s.baseOffset));
    // After a crash the indexes above the recovery point may have lost what the log kept; replaying from a
    // snapshot at or below it restores the `.txnindex` of every recovered segment, as Kafka's recovery does.
    this.rebuildProducerState(leo, options.hadCleanShutdown ?? false, options.hadCleanShutdown ? undefined : (options.recoveryPoint ?? 0n));
    this.producerState.onHighWatermarkUpdated(this._highWatermark);
    this.refreshFirstUnstableOffset();
  }

  /**
   * Brings the producer state to `lastOffset` (Kafka's UnifiedLog.rebuildProducerState): drop snapshots outside the
   * log, load the newest one at or below `lastOffset`, replay the batches after it, and snapshot the result.
   * After a clean shutdown without any snapshot (a log written before producer state existed) nothing is scanned:
   * empty snapshots at the last two segments' bases and the end stand in, as in Kafka's upgrade path.
   * Replaying also restores `.txnindex` entries for aborts a power loss dropped from the index but not the log.
   */
  private rebuildProducerState(lastOffset: bigint, reloadFromCleanShutdown: boolean, replayFrom?: bigint): void {
    const state = this.producerState;
    const last = this.segments[this.segments.length - 1];
    const previous = this.segments[this.segments.length - 2];
    const offsetsToSnapshot = [previous?.baseOffset, last?.baseOffset, lastOffset].filter((o): o is bigint => o !== undefined);
    if (state.latestSnapshotOffset === undefined && reloadFromCleanShutdown) {
      for (const offset of offsetsToSnapshot) {
        state.updateMapEndOffset(offset);
        state.takeSnapshot(true);
      }
      return;
    }
    const isEmptyBeforeTruncation = state.isEmpty && state.mapEndOffset >= lastOffset;
    state.truncateAndReload(this._logStartOffset, lastOffset, this.clock.nowMs(), replayFrom);
    if (lastOffset > state.mapEndOffset && !isEmptyBeforeTruncation) {
      for (let i = this.segmentIndexFor(state.mapEndOffset); i < this.segments.length; i++) {
        const segment = this.segments[i];
        if (segment.baseOffset >= lastOffset) break;
        const start = [segment.baseOffset, state.mapEndOffset, this._logStartOffset].reduce((a, b) => (a > b ? a : b));
        state.updateMapEndOffset(start);
        if (offsetsToSnapshot.includes(segment.baseOffset)) state.takeSnapshot(true);
        this.replaySegment(segment, start, lastOffset);
      }
    }
    state.updateMapEndOffset(lastOffset);
    state.takeSnapshot(true);
  }

  /** Replays the producer batches of `segment` in [from, to) into the producer state. */
  private replaySegment(segment: LogSegment, from: bigint, to: bigint): void {
    let position = segment.translateOffset(from)?.position ?? segment.size;
    for (;;) {
      const { batches, next } = segment.readBatchesAt(position, REPLAY_CHUNK_BYTES);
      if (batches.length === 0) return;
      for (const { info, bytes } of batches) {
        if (info.lastOffset < from) continue;
        if (info.baseOffset >= to) return;
        if (info.magic !== 2 || !hasProducerId(bytes, 0)) continue;
        const analysis = replayProducerBatches(this.producerState, bytes, [{ ...info, position: 0 }]);
        for (const update of analysis.updates) this.producerState.update(update);
        for (const completed of analysis.completedTxns) {
          if (completed.isAborted) this.restoreAbortedTxnEntry(completed, this.producerState.lastStableOffsetAfter(completed));
          this.producerState.completeTxn(completed);
        }
      }
      position = next;
    }
  }

  /** Re-adds an aborted transaction's `.txnindex` entry when the index lost it (it was written after the log). */
  private restoreAbortedTxnEntry(completed: { producerId: bigint; firstOffset: bigint; lastOffset: bigint }, lastStableOffset: bigint): void {
    const segment = this.segments[this.segmentIndexFor(completed.lastOffset)];
    const entries = segment.txnIndex.all;
    const lastIndexed = entries[entries.length - 1];
    if (lastIndexed && lastIndexed.lastOffset >= completed.lastOffset) return;
    this.logger.warn(`${this.name}: restoring the .txnindex entry of the transaction aborted at ${completed.lastOffset}`);
    segment.txnIndex.append({ producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset, lastStableOffset });
  }

  /**
   * Re-validates every segment at or above the recovery point (all of them when it is 0), and any segment whose
   * indexes are missing or inconsistent. At the first invalid or torn batch the segment is truncated and every
   * later segment deleted: offsets must stay contiguous, and nothing after a hole can be trusted.
   */
  private recoverSegments(recoveryPoint: bigint | undefined): void {
    const recovered: LogSegment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const next = this.segments[i + 1];
      const aboveRecoveryPoint = recoveryPoint !== undefined && (!next || next.baseOffset > recoveryPoint);
      const needsRecovery = aboveRecoveryPoint || !segment.indexesLookSane();
      if (!needsRecovery) continue;
      const result = segment.recover(Math.max(this.config.maxMessageBytes, this.config.segmentBytes));
      recovered.push(segment);
      if (result.truncatedBytes > 0) {
        // The cut is durable (recover synced it); make the valid batches before it durable too, so that a
        // second crash cannot keep the cut yet lose what came before it.
        for (const earlier of recovered) earlier.flush();
        this.logger.warn(
          `${this.name}: recovery truncated ${result.truncatedBytes} bytes of segment ${segment.baseOffset} (${result.stopReason})`,
        );
        const dropped = this.segments.splice(i + 1);
        for (const later of dropped) {
          this.logger.warn(`${this.name}: deleting segment ${later.baseOffset} after the corruption in ${segment.baseOffset}`);
          later.close();
          for (const path of later.renameWithSuffix(DELETED_SUFFIX)) this.fs.unlink(path);
        }
        // A truncated segment may have become empty; an empty non-first segment is dropped too (its offsets
        // are no longer known to be reachable) unless it is the only one left.
        break;
      }
    }
    // The segments' base offsets must be above the previous segments' data, else the log is inconsistent.
    for (let i = 1; i < this.segments.length; i++) {
      if (this.segments[i].baseOffset < this.segments[i - 1].nextOffset) {
        throw new KafkaStorageError(
          `${this.name}: segment ${this.segments[i].baseOffset} overlaps the previous one ending at ${this.segments[i - 1].nextOffset}`,
        );
      }
    }
  }

  /** Base offsets of the `.log` files, after removing leftovers (`.deleted`, `.cleaned`, `.tmp`, orphan indexes). */
  private listSegmentBaseOffsets(): bigint[] {
    const names = this.fs.readdir(this.dir);
    const logs = new Set<string>();
    for (const name of names) {
      if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith('.tmp')) {
        this.fs.unlink(joinPath(this.dir, name));
        continue;
      }
      if (name.endsWith(LOG_SUFFIX) && offsetFromFileName(name) !== undefined) logs.add(name.slice(0, 20));
    }
    for (const name of names) {
      const isIndex = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX].some((s) => name.endsWith(s));
      if (isIndex && offsetFromFileName(name) !== undefined && !logs.has(name.slice(0, 20))) {
        this.logger.warn(`${this.name}: removing index ${name} that has no log file`);
        this.fs.unlink(joinPath(this.dir, name));
      }
    }
    return [...logs].map((n) => BigInt(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Finishes a cleaner swap a crash interrupted: a `.swap` segment is complete (it was flushed before the
   * rename), so the originals it replaces are removed and it takes the real names.
   */
  private completeInterruptedSwaps(): void {
    const names = this.fs.readdir(this.dir);
    for (const name of names) {
      if (!name.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) continue;
      const base = offsetFromFileName(name);
      if (base === undefined) continue;
      const swap = LogSegment.open({ ...this.segmentOptions(base, this.clock.nowMs()), fileSuffix: SWAP_SUFFIX });
      const end = swap.nextOffset;
      swap.close();
      for (const other of names) {
        const otherBase = offsetFromFileName(other);
        if (otherBase === undefined || other.endsWith(SWAP_SUFFIX)) continue;
        // The producer snapshot at the cleaned segment's own base stays (Kafka deletes only the merged ones').
        if (otherBase === base && other.endsWith(SNAPSHOT_SUFFIX)) continue;
        if (otherBase >= base && otherBase < end) this.fs.unlink(joinPath(this.dir, other));
      }
      for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
        const from = joinPath(this.dir, name.slice(0, 20) + suffix + SWAP_SUFFIX);
        if (this.fs.exists(from)) this.fs.rename(from, joinPath(this.dir, name.slice(0, 20) + suffix));
      }
      this.logger.info(`${this.name}: completed an interrupted cleaner swap of segment ${base}`);
    }
  }
}


/** The first record of a batch with timestamp ≥ `timestamp` and offset ≥ `minOffset` (decodes the batch). */
function firstRecordAtOrAfter(batch: Buffer, timestamp: bigint, minOffset: bigint): TimestampAndOffset | undefined {
  const header = readBatchHeader(batch);
  if (header.magic !== 2) {
    // Legacy entries are indexed by their only (last) offset; answer at that granularity.
    return header.baseOffset >= minOffset ? { timestamp, offset: header.baseOffset } : undefined;
  }
  for (const record of decodeBatchRecords(batch)) {
    const offset = header.baseOffset + BigInt(record.offsetDelta);
    const recordTs = recordTimestamp(header, record);
    if (offset >= minOffset && recordTs >= timestamp) {
      return { timestamp: recordTs, offset, leaderEpoch: header.partitionLeaderEpoch >= 0 ? header.partitionLeaderEpoch : undefined };
    }
  }
  return undefined;
}
