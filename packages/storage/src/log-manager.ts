import { randomUUID } from 'crypto';
import type { Clock } from './clock';
import type { LogConfig } from './config';
import { logConfig } from './config';
import { KafkaStorageError, UnknownTopicOrPartitionError, storageError } from './errors';
import type { FileSystem } from './fs/file-system';
import { joinPath } from './fs/file-system';
import { OffsetCheckpointFile, type TopicPartitionOffset } from './format/checkpoint-file';
import { parsePartitionDirName, partitionDirName } from './format/file-names';
import { readMetaProperties, writeMetaProperties } from './format/meta-properties';
import type { StorageLogger } from './logger';
import { silentLogger } from './logger';
import { PartitionLog } from './log/partition-log';
import { LogCleaner } from './cleaner/log-cleaner';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
export const META_PROPERTIES = 'meta.properties';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

export interface LogManagerOptions {
  fs: FileSystem;
  clock: Clock;
  /** `log.dirs`: absolute paths. */
  logDirs: string[];
  /** Config of a topic (its overrides applied over the broker defaults). */
  configFor?: (topic: string) => LogConfig;
  /** Broker identity written to (and checked against) each dir's meta.properties. */
  identity?: { brokerId: number; clusterId: string };
  highWatermarkFollowsLogEnd?: boolean;
  logger?: StorageLogger;
  /** log.retention.check.interval.ms (default 5 minutes). */
  retentionCheckIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms (default 60 s). */
  recoveryPointCheckpointIntervalMs?: number;
  /** replica.high.watermark.checkpoint.interval.ms (default 5 s). */
  highWatermarkCheckpointIntervalMs?: number;
  /** How long after a roll the rolled segments are fsynced and the recovery point moved past them (30 s). */
  rolledSegmentFlushDelayMs?: number;
  /** log.cleaner.backoff.ms: how often the cleaner looks for a log to compact (default 15 s). */
  cleanerBackoffMs?: number;
  /** producer.id.expiration.ms: idle producers are forgotten after this (default one day); read at each check. */
  producerIdExpirationMs?: () => number;
  /** producer.id.expiration.check.interval.ms: how often idle producers are looked for (default 10 minutes). */
  producerIdExpirationCheckIntervalMs?: number;
}

interface PeriodicTask {
  name: string;
  intervalMs: number;
  nextDueMs: number;
  run: () => void;
}

/**
 * All partition logs of a broker across its `log.dirs`. Loads (and recovers) every partition on open, keeps the
 * dir-level checkpoints, takes a dir offline when its disk fails while the other dirs keep serving, and runs the
 * background work (retention, flush by time, checkpoints, delayed file deletion) from `tick()`, which the
 * broker drives from a timer; every due time is measured with the injected clock.
 *
 * Call only from the event loop.
 */
export class LogManager {
  private readonly fs: FileSystem;
  private readonly clock: Clock;
  private readonly logger: StorageLogger;
  private readonly configFor: (topic: string) => LogConfig;
  private readonly logs = new Map<string, { log: PartitionLog; dir: string }>();
  private readonly offline = new Set<string>();
  private readonly cleanerCheckpoints = new Map<string, Map<string, bigint>>();
  private readonly tasks: PeriodicTask[] = [];
  private readonly pendingDirDeletions: { path: string; dueMs: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  readonly logDirs: readonly string[];
  /** Compacts logs with cleanup.policy=compact; its progress is kept in cleaner-offset-checkpoint. */
  readonly cleaner: LogCleaner;

  private constructor(private readonly options: LogManagerOptions) {
    this.fs = options.fs;
    this.clock = options.clock;
    this.logger = options.logger ?? silentLogger;
    this.configFor = options.configFor ?? (() => logConfig());
    this.logDirs = options.logDirs;
    this.cleaner = new LogCleaner({
      clock: this.clock,
      logger: this.logger,
      checkpoints: {
        get: (log) => this.cleanerCheckpoint(log.topic, log.partition),
        set: (log, offset) => this.setCleanerCheckpoint(log.topic, log.partition, offset),
      },
    });
  }

  static open(options: LogManagerOptions): LogManager {
    const manager = new LogManager(options);
    for (const dir of options.logDirs) manager.loadDir(dir);
    manager.scheduleTasks();
    return manager;
  }

  get offlineDirs(): ReadonlySet<string> {
    return this.offline;
  }

  /** The log of a partition, or undefined if this broker has none. Throws KAFKA_STORAGE_ERROR if its dir is offline. */
  getLog(topic: string, partition: number): PartitionLog | undefined {
    const entry = this.logs.get(partitionDirName(topic, partition));
    if (!entry) return undefined;
    if (this.offline.has(entry.dir)) throw new KafkaStorageError(`log dir ${entry.dir} of ${topic}-${partition} is offline`);
    return entry.log;
  }

  allLogs(): PartitionLog[] {
    return [...this.logs.values()].filter((e) => !this.offline.has(e.dir)).map((e) => e.log);
  }

  /** Creates the partition's log in the online dir with the fewest partitions, or returns the existing one. */
  getOrCreateLog(topic: string, partition: number, config?: LogConfig): PartitionLog {
    const existing = this.getLog(topic, partition);
    if (existing) return existing;
    const dir = this.pickDirForNewLog();
    const log = this.openLog(dir, topic, partition, { config: config ?? this.configFor(topic) });
    this.logger.info(`created log for ${topic}-${partition} in ${dir}`);
    return log;
  }

  /**
   * Deletes a partition's log: the directory is renamed to `<topic>-<p>.<uuid>-delete` at once (so a restart
   * never reloads it) and removed after `file.delete.delay.ms`.
   */
  deleteLog(topic: string, partition: number): void {
    const key = partitionDirName(topic, partition);
    const entry = this.logs.get(key);
    if (!entry) throw new UnknownTopicOrPartitionError(`no log for ${key}`);
    const log = entry.log;
    this.logs.delete(key);
    log.close();
    const renamed = joinPath(entry.dir, `${key}.${randomUUID().replace(/-/g, '')}-delete`);
    try {
      this.fs.rename(log.dir, renamed);
      this.fs.syncDirectory(entry.dir);
    } catch (cause) {
      this.markOffline(entry.dir, storageError('delete log', log.dir, cause));
      return;
    }
    this.pendingDirDeletions.push({ path: renamed, dueMs: this.clock.nowMs() + log.config.fileDeleteDelayMs });
  }

  /** Applies a topic's new config (AlterConfigs) to every partition of it on this broker. */
  updateConfig(topic: string, config: LogConfig): void {
    for (const { log } of this.logs.values()) if (log.topic === topic) log.config = config;
  }

  /** Records the cleaner's progress (first dirty offset) for a compacted partition. */
  setCleanerCheckpoint(topic: string, partition: number, firstDirtyOffset: bigint): void {
    const entry = this.logs.get(partitionDirName(topic, partition));
    if (!entry) return;
    let map = this.cleanerCheckpoints.get(entry.dir);
    if (!map) this.cleanerCheckpoints.set(entry.dir, (map = new Map()));
    map.set(partitionDirName(topic, partition), firstDirtyOffset);
  }

  cleanerCheckpoint(topic: string, partition: number): bigint | undefined {
    const entry = this.logs.get(partitionDirName(topic, partition));
    return entry ? this.cleanerCheckpoints.get(entry.dir)?.get(partitionDirName(topic, partition)) : undefined;
  }

  /** Runs every periodic task that is due by the injected clock. */
  tick(): void {
    const nowMs = this.clock.nowMs();
    for (const task of this.tasks) {
      if (nowMs < task.nextDueMs) continue;
      task.nextDueMs = nowMs + task.intervalMs;
      try {
        task.run();
      } catch (error) {
        this.logger.error(`background task ${task.name} failed: ${String(error)}`);
      }
    }
  }

  /** Drives `tick()` from a Node timer (unref'd, so it never keeps the process alive). */
  startScheduler(periodMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), periodMs);
    this.timer.unref();
  }

  /** Registers extra periodic work (the cleaner) on the same schedule. */
  schedule(name: string, intervalMs: number, run: () => void): void {
    this.tasks.push({ name, intervalMs, nextDueMs: this.clock.nowMs() + intervalMs, run });
  }

  applyRetention(): void {
    for (const log of this.allLogs()) this.guard(() => log.applyRetention());
  }

  /** Forgets idle producers on every log (Kafka's PeriodicProducerExpirationCheck). */
  removeExpiredProducers(): void {
    for (const log of this.allLogs()) this.guard(() => log.removeExpiredProducers());
  }

  flushDueLogs(): void {
    for (const log of this.allLogs()) {
      this.guard(() => log.flushIfDue());
      this.guard(() => log.flushRolledSegments(this.options.rolledSegmentFlushDelayMs ?? 30_000));
    }
  }

  deletePendingFiles(): void {
    for (const log of this.allLogs()) this.guard(() => log.deletePendingFiles());
    const nowMs = this.clock.nowMs();
    for (let i = this.pendingDirDeletions.length - 1; i >= 0; i--) {
      const pending = this.pendingDirDeletions[i];
      if (pending.dueMs > nowMs) continue;
      this.pendingDirDeletions.splice(i, 1);
      try {
        this.fs.removeTree(pending.path);
      } catch (cause) {
        this.logger.warn(`could not remove ${pending.path}: ${String(cause)}`);
      }
    }
  }

  checkpointRecoveryPoints(): void {
    this.writeOffsetCheckpoint(RECOVERY_POINT_CHECKPOINT, (log) => log.recoveryPoint);
  }

  checkpointHighWatermarks(): void {
    this.writeOffsetCheckpoint(REPLICATION_OFFSET_CHECKPOINT, (log) => log.highWatermark);
  }

  /** Only partitions whose start is above their first segment (DeleteRecords) are written, as in Kafka. */
  checkpointLogStartOffsets(): void {
    this.writeOffsetCheckpoint(LOG_START_OFFSET_CHECKPOINT, (log) =>
      log.logStartOffset > log.allSegments()[0].baseOffset ? log.logStartOffset : undefined,
    );
  }

  checkpointCleanerOffsets(): void {
    for (const dir of this.onlineDirs()) {
      const entries: TopicPartitionOffset[] = [];
      for (const [key, offset] of this.cleanerCheckpoints.get(dir) ?? []) {
        const tp = parsePartitionDirName(key);
        if (tp && this.logs.has(key)) entries.push({ ...tp, offset });
      }
      this.guardDir(dir, () => new OffsetCheckpointFile(this.fs, joinPath(dir, CLEANER_OFFSET_CHECKPOINT)).write(entries));
    }
  }

  /**
   * Clean shutdown: flush every log, write all checkpoints and the `.kafka_cleanshutdown` marker that lets the
   * next start skip recovery. With `markClean: false` the marker is not written, so the next start recovers
   * as after a crash (tests use this to exercise recovery on every start).
   */
  close(options: { markClean?: boolean } = {}): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const log of this.allLogs()) this.guard(() => log.flush());
    this.checkpointRecoveryPoints();
    this.checkpointHighWatermarks();
    this.checkpointLogStartOffsets();
    this.checkpointCleanerOffsets();
    for (const { log } of this.logs.values()) log.close();
    for (const dir of options.markClean === false ? [] : this.onlineDirs()) {
      this.guardDir(dir, () => {
        const handle = this.fs.open(joinPath(dir, CLEAN_SHUTDOWN_FILE), { create: true });
        try {
          handle.truncate(0);
          handle.write(Buffer.from('{"version":0,"brokerEpoch":-1}'), 0);
          handle.sync();
        } finally {
          handle.close();
        }
        this.fs.syncDirectory(dir);
      });
    }
    this.logs.clear();
  }

  // ---- internals ----

  private loadDir(dir: string): void {
    try {
      this.fs.mkdir(dir);
      this.checkMetaProperties(dir);
      const cleanShutdownPath = joinPath(dir, CLEAN_SHUTDOWN_FILE);
      const hadCleanShutdown = this.fs.exists(cleanShutdownPath);
      const recoveryPoints = new OffsetCheckpointFile(this.fs, joinPath(dir, RECOVERY_POINT_CHECKPOINT)).read();
      const highWatermarks = new OffsetCheckpointFile(this.fs, joinPath(dir, REPLICATION_OFFSET_CHECKPOINT)).read();
      const logStartOffsets = new OffsetCheckpointFile(this.fs, joinPath(dir, LOG_START_OFFSET_CHECKPOINT)).read();
      const cleaner = new OffsetCheckpointFile(this.fs, joinPath(dir, CLEANER_OFFSET_CHECKPOINT)).read();
      const cleanerMap = new Map<string, bigint>();
      for (const [key, entry] of cleaner) cleanerMap.set(key, entry.offset);
      this.cleanerCheckpoints.set(dir, cleanerMap);
      const startedMs = this.clock.nowMs();
      let loaded = 0;
      for (const name of this.fs.readdir(dir)) {
        if (/\.[0-9a-f]{32}-delete$/.test(name)) {
          this.fs.removeTree(joinPath(dir, name));
          continue;
        }
        const tp = parsePartitionDirName(name);
        if (!tp || !this.fs.stat(joinPath(dir, name)).isDirectory) continue;
        this.openLog(dir, tp.topic, tp.partition, {
          config: this.configFor(tp.topic),
          recoveryPoint: recoveryPoints.get(name)?.offset ?? 0n,
          highWatermark: highWatermarks.get(name)?.offset,
          logStartOffset: logStartOffsets.get(name)?.offset,
          hadCleanShutdown,
        });
        loaded++;
      }
      // The marker is valid for one start only: an unclean stop after this must trigger recovery.
      if (hadCleanShutdown) this.fs.unlink(cleanShutdownPath);
      this.logger.info(`loaded ${loaded} logs from ${dir} in ${this.clock.nowMs() - startedMs} ms${hadCleanShutdown ? ' (clean shutdown)' : ''}`);
    } catch (cause) {
      this.markOffline(dir, cause instanceof KafkaStorageError ? cause : storageError('load log dir', dir, cause));
    }
  }

  private checkMetaProperties(dir: string): void {
    const identity = this.options.identity;
    if (!identity) return;
    const path = joinPath(dir, META_PROPERTIES);
    const existing = readMetaProperties(this.fs, path);
    if (existing) {
      if (existing['cluster.id'] !== undefined && existing['cluster.id'] !== identity.clusterId) {
        throw new KafkaStorageError(`${path} belongs to cluster ${existing['cluster.id']}, not ${identity.clusterId}`);
      }
      if (existing['broker.id'] !== undefined && existing['broker.id'] !== String(identity.brokerId)) {
        throw new KafkaStorageError(`${path} belongs to broker ${existing['broker.id']}, not ${identity.brokerId}`);
      }
      return;
    }
    writeMetaProperties(
      this.fs,
      path,
      { version: '0', 'broker.id': String(identity.brokerId), 'cluster.id': identity.clusterId },
      new Date(this.clock.nowMs()),
    );
  }

  private openLog(
    dir: string,
    topic: string,
    partition: number,
    extra: { config: LogConfig; recoveryPoint?: bigint; highWatermark?: bigint; logStartOffset?: bigint; hadCleanShutdown?: boolean },
  ): PartitionLog {
    const log = PartitionLog.open({
      fs: this.fs,
      clock: this.clock,
      dir: joinPath(dir, partitionDirName(topic, partition)),
      topic,
      partition,
      logger: this.logger,
      highWatermarkFollowsLogEnd: this.options.highWatermarkFollowsLogEnd,
      producerIdExpirationMs: this.options.producerIdExpirationMs,
      ...extra,
    });
    log.onFailure = (error) => this.markOffline(dir, error);
    this.logs.set(partitionDirName(topic, partition), { log, dir });
    return log;
  }

  private pickDirForNewLog(): string {
    const online = this.onlineDirs();
    if (online.length === 0) throw new KafkaStorageError('no log dir is online');
    const counts = new Map(online.map((d) => [d, 0]));
    for (const { dir } of this.logs.values()) if (counts.has(dir)) counts.set(dir, (counts.get(dir) as number) + 1);
    return online.reduce((best, d) => ((counts.get(d) as number) < (counts.get(best) as number) ? d : best));
  }

  private onlineDirs(): string[] {
    return this.logDirs.filter((d) => !this.offline.has(d));
  }

  /** A dir whose disk failed stops serving; its partitions answer KAFKA_STORAGE_ERROR; other dirs carry on. */
  private markOffline(dir: string, error: KafkaStorageError): void {
    if (this.offline.has(dir)) return;
    this.offline.add(dir);
    this.logger.error(`log dir ${dir} is offline: ${error.message}. Its partitions are unavailable on this broker.`);
    for (const [key, entry] of this.logs) {
      if (entry.dir !== dir) continue;
      entry.log.close();
      this.logs.set(key, entry);
    }
  }

  private guard(work: () => unknown): void {
    try {
      work();
    } catch (error) {
      if (error instanceof KafkaStorageError) return; // the log already took its dir offline
      throw error;
    }
  }

  private guardDir(dir: string, work: () => void): void {
    try {
      work();
    } catch (cause) {
      this.markOffline(dir, storageError('write checkpoint in', dir, cause));
    }
  }

  private writeOffsetCheckpoint(name: string, offsetOf: (log: PartitionLog) => bigint | undefined): void {
    for (const dir of this.onlineDirs()) {
      const entries: TopicPartitionOffset[] = [];
      for (const entry of this.logs.values()) {
        if (entry.dir !== dir || entry.log.isFailed) continue;
        const offset = offsetOf(entry.log);
        if (offset !== undefined) entries.push({ topic: entry.log.topic, partition: entry.log.partition, offset });
      }
      this.guardDir(dir, () => new OffsetCheckpointFile(this.fs, joinPath(dir, name)).write(entries));
    }
  }

  private scheduleTasks(): void {
    this.schedule('log-retention', this.options.retentionCheckIntervalMs ?? 300_000, () => this.applyRetention());
    this.schedule('log-flush', 1000, () => this.flushDueLogs());
    this.schedule('delete-files', 1000, () => this.deletePendingFiles());
    this.schedule('recovery-point-checkpoint', this.options.recoveryPointCheckpointIntervalMs ?? 60_000, () => {
      this.checkpointRecoveryPoints();
      this.checkpointLogStartOffsets();
    });
    this.schedule('log-cleaner', this.options.cleanerBackoffMs ?? 15_000, () => {
      // The cleaner yields between steps, so appends and reads on every partition go on while it works.
      this.cleaner
        .cleanDirtiest(this.allLogs())
        .then((stats) => {
          if (stats) this.checkpointCleanerOffsets();
        })
        .catch((error: unknown) => this.logger.error(`log cleaner failed: ${String(error)}`));
    });
    this.schedule('producer-expiration', this.options.producerIdExpirationCheckIntervalMs ?? 600_000, () => this.removeExpiredProducers());
    this.schedule('high-watermark-checkpoint', this.options.highWatermarkCheckpointIntervalMs ?? 5000, () =>
      this.checkpointHighWatermarks(),
    );
  }
}
