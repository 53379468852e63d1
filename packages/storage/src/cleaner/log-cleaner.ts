import {
  type BatchRecordSpec,
  type KafkaRecord,
  type RecordBatchHeader,
  buildRecordBatch,
  decodeBatchRecords,
  readBatchHeader,
  recordTimestamp,
} from '@tributary/protocol';
import type { Clock } from '../clock';
import { CLEANED_SUFFIX } from '../format/file-names';
import type { AbortedTxn } from '../format/transaction-index';
import type { StorageLogger } from '../logger';
import { silentLogger } from '../logger';
import type { BatchInfo } from '../log/batch-scan';
import type { PartitionLog } from '../log/partition-log';
import { LogSegment } from '../log/segment';

/** Where the cleaner keeps its progress (the log manager's `cleaner-offset-checkpoint`). */
export interface CleanerCheckpoints {
  get(log: PartitionLog): bigint | undefined;
  set(log: PartitionLog, firstDirtyOffset: bigint): void;
}

export interface LogCleanerOptions {
  clock: Clock;
  checkpoints: CleanerCheckpoints;
  logger?: StorageLogger;
  /** Most distinct keys one pass can remember (Kafka sizes this from log.cleaner.dedupe.buffer.size). */
  maxOffsetMapEntries?: number;
  /** Bytes read between two yields to the event loop, so appends and reads keep flowing while it cleans. */
  yieldEveryBytes?: number;
}

/** Why a log is (or is not) ready to clean. */
export interface CleanableRange {
  firstDirtyOffset: bigint;
  /** Cleaning stops below this: the active segment, open transactions and min.compaction.lag.ms protect it. */
  firstUncleanableOffset: bigint;
  cleanBytes: number;
  dirtyBytes: number;
  dirtyRatio: number;
  /** A dirty segment is older than max.compaction.lag.ms, which forces a clean whatever the ratio. */
  overdue: boolean;
}

export interface CleanStats {
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsRetained: number;
  tombstonesRemoved: number;
  segmentsCleaned: number;
  durationMs: number;
}

const NO_TIMESTAMP = -1n;

/**
 * Log compaction, as Kafka's LogCleaner does it: for a log with `cleanup.policy=compact`, build a map of the
 * latest offset of every key in the dirty part of the log, then rewrite the segments from the log start up to the
 * first uncleanable offset keeping only records that are the latest for their key. Tombstones and transaction
 * markers get a delete horizon (`delete.retention.ms` from the first clean that sees them, stored in the batch as
 * Kafka 3.x does) and go on the first clean after it. Records of aborted transactions go. Offsets never change:
 * batches keep their base offset, last offset delta and producer fields, so gaps appear where records were.
 *
 * Runs in steps that yield to the event loop; the segments it reads are never the active one, and the swap of
 * cleaned segments is one synchronous step that first checks the log still holds the originals (retention or
 * truncation may have removed them meanwhile, in which case the pass is dropped).
 */
export class LogCleaner {
  private readonly clock: Clock;
  private readonly logger: StorageLogger;
  private readonly maxOffsetMapEntries: number;
  private readonly yieldEveryBytes: number;
  private running = false;

  constructor(private readonly options: LogCleanerOptions) {
    this.clock = options.clock;
    this.logger = options.logger ?? silentLogger;
    this.maxOffsetMapEntries = options.maxOffsetMapEntries ?? 4_000_000;
    this.yieldEveryBytes = options.yieldEveryBytes ?? 4 * 1024 * 1024;
  }

  /** The range a clean of `log` would cover, or undefined if it has nothing cleanable. */
  cleanableRange(log: PartitionLog): CleanableRange | undefined {
    if (!log.config.cleanupPolicy.compact) return undefined;
    const segments = log.allSegments();
    const checkpoint = this.options.checkpoints.get(log);
    let firstDirty = checkpoint ?? log.logStartOffset;
    if (firstDirty < log.logStartOffset || firstDirty > log.logEndOffset) firstDirty = log.logStartOffset;
    const nowMs = this.clock.nowMs();
    let firstUncleanable = log.activeSegment.baseOffset;
    if (log.lastStableOffset < firstUncleanable) firstUncleanable = log.lastStableOffset;
    let overdue = false;
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i];
      if (segment.nextOffset <= firstDirty) continue;
      const ageMs = nowMs - segment.largestTimestampOrModifiedMs();
      if (ageMs < log.config.minCompactionLagMs && segment.baseOffset < firstUncleanable) {
        firstUncleanable = segment.baseOffset;
        break;
      }
      if (ageMs > log.config.maxCompactionLagMs) overdue = true;
    }
    let cleanBytes = 0;
    let dirtyBytes = 0;
    for (const segment of segments) {
      if (segment.nextOffset <= firstDirty) cleanBytes += segment.size;
      else if (segment.nextOffset <= firstUncleanable) dirtyBytes += segment.size;
    }
    if (dirtyBytes === 0) return undefined;
    const dirtyRatio = dirtyBytes / (cleanBytes + dirtyBytes);
    return { firstDirtyOffset: firstDirty, firstUncleanableOffset: firstUncleanable, cleanBytes, dirtyBytes, dirtyRatio, overdue };
  }

  /** Cleans the log whose dirty ratio is highest (and at least its `min.cleanable.dirty.ratio`). */
  async cleanDirtiest(logs: Iterable<PartitionLog>): Promise<CleanStats | undefined> {
    if (this.running) return undefined;
    let best: { log: PartitionLog; range: CleanableRange } | undefined;
    for (const log of logs) {
      if (log.isFailed) continue;
      const range = this.cleanableRange(log);
      if (!range || (range.dirtyRatio < log.config.minCleanableDirtyRatio && !range.overdue)) continue;
      if (!best || range.dirtyRatio > best.range.dirtyRatio) best = { log, range };
    }
    return best ? this.clean(best.log) : undefined;
  }

  /** One cleaning pass over `log`, whatever its dirty ratio. Returns undefined if there was nothing to do. */
  async clean(log: PartitionLog): Promise<CleanStats | undefined> {
    if (this.running) throw new Error('the cleaner runs one pass at a time');
    this.running = true;
    try {
      return await this.doClean(log);
    } finally {
      this.running = false;
    }
  }

  private async doClean(log: PartitionLog): Promise<CleanStats | undefined> {
    const range = this.cleanableRange(log);
    if (!range) return undefined;
    const startedMs = this.clock.nowMs();
    const stats: CleanStats = { bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRetained: 0, tombstonesRemoved: 0, segmentsCleaned: 0, durationMs: 0 };
    const aborted = log.collectAbortedTransactions(log.logStartOffset, range.firstUncleanableOffset);

    // 1. The offset map: the latest offset of every key in the dirty range (aborted records do not count).
    const offsetMap = new Map<string, bigint>();
    const lastBatchOfProducer = new Map<bigint, bigint>();
    let mapEnd = range.firstDirtyOffset;
    const active = log.activeSegment;
    const candidates = log.allSegments().filter((s) => s !== active && s.nextOffset <= range.firstUncleanableOffset);
    for (const segment of candidates) {
      if (segment.nextOffset <= range.firstDirtyOffset) {
        await this.forEachBatch(segment, stats, (info, bytes) => this.noteProducer(bytes, info, lastBatchOfProducer));
        continue;
      }
      await this.forEachBatch(segment, stats, (info, bytes) => {
        this.noteProducer(bytes, info, lastBatchOfProducer);
        if (info.lastOffset < range.firstDirtyOffset || info.magic !== 2) return;
        const header = readBatchHeader(bytes);
        if (header.isControl || isAborted(header, aborted)) return;
        for (const record of decodeBatchRecords(bytes)) {
          if (record.key === null) continue;
          offsetMap.set(record.key.toString('latin1'), header.baseOffset + BigInt(record.offsetDelta));
        }
      });
      mapEnd = segment.nextOffset;
      // Like Kafka's bounded dedupe buffer: stop at a segment boundary once the map is full; the rest waits.
      if (offsetMap.size >= this.maxOffsetMapEntries) break;
    }
    if (mapEnd <= range.firstDirtyOffset) return undefined;

    // 2. Rewrite every segment below the end of the mapped range, in groups that fit one segment.
    const nowMs = this.clock.nowMs();
    const toClean = candidates.filter((s) => s.nextOffset <= mapEnd);
    for (const group of groupSegments(toClean, log.config.segmentBytes)) {
      const cleaned = LogSegment.create(log.segmentOptions(group[0].baseOffset, nowMs, CLEANED_SUFFIX));
      try {
        for (const segment of group) {
          await this.forEachBatch(
            segment,
            stats,
            (info, bytes) => {
              const kept = this.retain(bytes, info, { offsetMap, aborted, nowMs, deleteRetentionMs: log.config.deleteRetentionMs, lastBatchOfProducer, stats });
              if (kept) {
                cleaned.append(kept, [{ ...info, position: 0, size: kept.length }], nowMs);
                stats.bytesWritten += kept.length;
              }
            },
            // fsync what was written so far at each pause: the final flush before the swap then has little left
            // to do, instead of stalling the event loop on a whole segment's worth of dirty pages.
            () => cleaned.flush(),
          );
          for (const txn of segment.txnIndex.all) cleaned.txnIndex.append(txn);
        }
        cleaned.onBecomeInactive();
        cleaned.flush();
      } catch (error) {
        cleaned.deleteFiles();
        throw error;
      }
      const stillThere = group.every((s) => log.allSegments().includes(s));
      if (!stillThere) {
        this.logger.info(`${log.name}: segments changed during cleaning; dropping this pass`);
        cleaned.deleteFiles();
        return undefined;
      }
      log.replaceSegments(cleaned, group);
      stats.segmentsCleaned += group.length;
    }
    this.options.checkpoints.set(log, mapEnd);
    stats.durationMs = this.clock.nowMs() - startedMs;
    this.logger.info(
      `${log.name}: cleaned ${stats.segmentsCleaned} segments up to offset ${mapEnd}: ${stats.bytesRead} -> ${stats.bytesWritten} bytes, ` +
        `${stats.recordsRetained}/${stats.recordsRead} records kept`,
    );
    return stats;
  }

  private noteProducer(bytes: Buffer, info: BatchInfo, lastBatchOfProducer: Map<bigint, bigint>): void {
    if (info.magic !== 2) return;
    const producerId = bytes.readBigInt64BE(43);
    if (producerId >= 0n) lastBatchOfProducer.set(producerId, info.baseOffset);
  }

  /**
   * Decides what of one batch survives. Returns the batch bytes to write (the original bytes when nothing
   * changes), or undefined to drop it entirely.
   */
  private retain(
    bytes: Buffer,
    info: BatchInfo,
    context: {
      offsetMap: Map<string, bigint>;
      aborted: AbortedTxn[];
      nowMs: number;
      deleteRetentionMs: number;
      lastBatchOfProducer: Map<bigint, bigint>;
      stats: CleanStats;
    },
  ): Buffer | undefined {
    if (info.magic !== 2) return bytes; // Legacy entries are copied as they are.
    const header = readBatchHeader(bytes);
    const horizonPassed = header.hasDeleteHorizon && context.nowMs >= Number(header.baseTimestamp);
    const records = decodeBatchRecords(bytes);
    context.stats.recordsRead += records.length;

    if (header.isControl) {
      if (horizonPassed) return undefined;
      context.stats.recordsRetained += records.length;
      return header.hasDeleteHorizon ? bytes : rebuild(header, records, context.nowMs + context.deleteRetentionMs);
    }

    const isAbortedBatch = isAborted(header, context.aborted);
    const kept: KafkaRecord[] = [];
    let hasTombstone = false;
    for (const record of records) {
      if (isAbortedBatch || record.key === null) continue;
      const offset = header.baseOffset + BigInt(record.offsetDelta);
      const latest = context.offsetMap.get(record.key.toString('latin1'));
      if (latest !== undefined && offset < latest) continue;
      if (record.value === null) {
        if (horizonPassed) {
          context.stats.tombstonesRemoved++;
          continue;
        }
        hasTombstone = true;
      }
      kept.push(record);
    }
    context.stats.recordsRetained += kept.length;
    const needsHorizon = hasTombstone && !header.hasDeleteHorizon;
    if (kept.length === records.length && !needsHorizon) return bytes;
    if (kept.length === 0) {
      // An idempotent producer's last batch stays as an empty batch so its sequence state survives, as in Kafka.
      const keepForProducer = header.producerId >= 0n && context.lastBatchOfProducer.get(header.producerId) === header.baseOffset;
      if (!keepForProducer) return undefined;
    }
    const horizon = header.hasDeleteHorizon ? header.baseTimestamp : needsHorizon ? BigInt(context.nowMs + context.deleteRetentionMs) : undefined;
    return rebuild(header, kept, horizon === undefined ? undefined : Number(horizon));
  }

  private async forEachBatch(
    segment: LogSegment,
    stats: CleanStats,
    visit: (info: BatchInfo, bytes: Buffer) => void,
    beforeYield?: () => void,
  ): Promise<void> {
    let position = 0;
    let sinceYield = 0;
    while (position < segment.size) {
      const { batches, next } = segment.readBatchesAt(position, 1024 * 1024);
      if (batches.length === 0) break;
      for (const { info, bytes } of batches) visit(info, bytes);
      stats.bytesRead += next - position;
      sinceYield += next - position;
      position = next;
      if (sinceYield >= this.yieldEveryBytes) {
        sinceYield = 0;
        beforeYield?.();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }
}

/** Whether a transactional data batch belongs to an aborted transaction. */
function isAborted(header: RecordBatchHeader, aborted: readonly AbortedTxn[]): boolean {
  if (!header.isTransactional || header.isControl) return false;
  return aborted.some((t) => t.producerId === header.producerId && t.firstOffset <= header.baseOffset && t.lastOffset > header.baseOffset);
}

/**
 * Re-encodes a batch with only `kept` records, preserving everything Kafka preserves: base offset, last offset
 * delta, producer id/epoch/sequence, leader epoch, compression, timestamp type and the record offsets (gaps).
 */
function rebuild(header: RecordBatchHeader, kept: readonly KafkaRecord[], deleteHorizonMs: number | undefined): Buffer {
  const records: BatchRecordSpec[] = kept.map((record) => ({
    timestamp: recordTimestamp(header, record),
    key: record.key,
    value: record.value,
    headers: record.headers,
    offsetDelta: record.offsetDelta,
  }));
  const logAppendTime = header.timestampType === 1;
  return buildRecordBatch({
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    compression: header.compression,
    timestampType: header.timestampType,
    isTransactional: header.isTransactional,
    isControl: header.isControl,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    lastOffsetDelta: header.lastOffsetDelta,
    deleteHorizonMs: deleteHorizonMs === undefined ? undefined : BigInt(deleteHorizonMs),
    baseTimestamp: records.length === 0 && deleteHorizonMs === undefined ? NO_TIMESTAMP : undefined,
    maxTimestamp: logAppendTime ? header.maxTimestamp : undefined,
    records,
  });
}

/** Groups consecutive segments whose total size fits one segment (Kafka's groupSegmentsBySize, by bytes). */
function groupSegments(segments: readonly LogSegment[], maxBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let current: LogSegment[] = [];
  let size = 0;
  for (const segment of segments) {
    const tooBig = current.length > 0 && (size + segment.size > maxBytes || segment.nextOffset - current[0].baseOffset > 2n ** 31n - 1n);
    if (tooBig) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(segment);
    size += segment.size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
