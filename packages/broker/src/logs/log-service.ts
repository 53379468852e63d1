/**
 * How handlers reach partition logs (`context.services.logs`), and the broker's implementation of the
 * `PartitionLogs` seam over storage's `LogManager`.
 *
 * Lookups go through the metadata first: a log is served only for a partition the metadata knows, under the
 * topic id the log was opened for. So a topic deleted and re-created under the same name never reaches the old
 * topic's log while its deletion is still queued, and a partition whose creation is still queued is opened on
 * first use rather than answered as unknown (opening is idempotent).
 *
 * Call only from the event loop: like `PartitionLog`, nothing here awaits.
 */
import path from 'node:path';
import { BrokerConfig, ClusterMetadata, MetadataChange, PartitionState, TopicMetadata } from '@tributary/metadata';
import { Uuid } from '@tributary/protocol';
import { AppendOptions, AppendResult, KafkaStorageError, LogManager, PartitionLog } from '@tributary/storage';
import { Logger } from '../logger';
import { PartitionLogs } from '../partition-logs';
import { topicLogConfig } from './topic-log-config';

/** Told after every append, with the log that grew (the Fetch long poll wakes on it). */
export type AppendListener = (log: PartitionLog, result: AppendResult) => void;

/** What handlers use. */
export interface LogService {
  /**
   * The log of a partition hosted on this broker, or undefined when the metadata knows no such topic or
   * partition, or this broker holds no replica of it. Throws storage's `KafkaStorageError` (code 56) when the
   * partition's log dir is offline.
   */
  partition(topicName: string, partitionIndex: number): PartitionLog | undefined;
  /** The same, by topic id (Fetch v13+, DeleteTopics by id). */
  partitionById(topicId: Uuid, partitionIndex: number): PartitionLog | undefined;
  /** Appends through the log and tells the append listeners; storage's typed errors pass through. */
  append(log: PartitionLog, records: Buffer, options?: AppendOptions): AppendResult;
  /** Registers a listener called after each append; returns a function that removes it. */
  onAppend(listener: AppendListener): () => void;
  /** The log dirs as configured (absolute), the ones offline, and which dir holds each hosted log. */
  logDirs(): readonly LogDirState[];
}

export interface LogDirState {
  path: string;
  offline: boolean;
  logs: readonly PartitionLog[];
}

interface TopicLogs {
  topicId: Uuid;
  /** By partition index; undefined where this broker holds no replica (or it is not opened yet). */
  logs: (PartitionLog | undefined)[];
  /** Partitions whose log was not found at start while a log dir was offline: their data may be in it. */
  unavailable: Set<number>;
}

export class BrokerLogs implements LogService, PartitionLogs {
  private readonly topics = new Map<string, TopicLogs>();
  private readonly listeners = new Set<AppendListener>();
  private readonly unsubscribe: () => void;
  /** Until the broker has opened every known partition: a missing log then is an existing partition's. */
  private starting = true;

  constructor(
    readonly manager: LogManager,
    private readonly metadata: ClusterMetadata,
    private readonly logger: Logger,
  ) {
    // A dynamic broker config (log.retention.ms for every topic) changes the effective config of every topic
    // that has no override of its own; the seam only forwards topic-level changes, so this listens itself.
    this.unsubscribe = metadata.subscribe((change: MetadataChange) => {
      if (change.kind === 'brokerConfigsChanged') this.reapplyAllConfigs();
    });
  }

  // ---- LogService ----

  partition(topicName: string, partitionIndex: number): PartitionLog | undefined {
    const topic = this.metadata.topic(topicName);
    return topic ? this.hostedLog(topic, partitionIndex) : undefined;
  }

  partitionById(topicId: Uuid, partitionIndex: number): PartitionLog | undefined {
    const topic = this.metadata.topicById(topicId);
    return topic ? this.hostedLog(topic, partitionIndex) : undefined;
  }

  append(log: PartitionLog, records: Buffer, options?: AppendOptions): AppendResult {
    const result = log.append(records, options);
    for (const listener of this.listeners) {
      try {
        listener(log, result);
      } catch (error) {
        // A listener's bug must not turn an append that is on disk into an error for the producer.
        this.logger.error({ err: error, topic: log.topic, partition: log.partition }, 'append listener failed');
      }
    }
    return result;
  }

  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  logDirs(): readonly LogDirState[] {
    const offline = this.manager.offlineDirs;
    const byDir = new Map<string, PartitionLog[]>(this.manager.logDirs.map((dir) => [dir, []]));
    for (const log of this.manager.allLogs()) byDir.get(path.dirname(log.dir))?.push(log);
    return this.manager.logDirs.map((dir) => ({ path: dir, offline: offline.has(dir), logs: offline.has(dir) ? [] : (byDir.get(dir) ?? []) }));
  }

  // ---- PartitionLogs (told by the metadata) ----

  openPartitions(topic: TopicMetadata, partitions: readonly PartitionState[]): void {
    const entry = this.entryFor(topic);
    if (!entry) return;
    const config = topicLogConfig(topic.configs, this.metadata.brokerConfig());
    for (const partition of partitions) this.openPartition(topic, entry, partition, config);
  }

  deleteTopic(topic: TopicMetadata): void {
    const entry = this.topics.get(topic.name);
    // Logs under this name that were opened for a newer topic of the same name are not this topic's.
    if (entry && entry.topicId !== topic.topicId) return;
    this.topics.delete(topic.name);
    for (const partition of topic.partitions) {
      if (this.manager.getLog(topic.name, partition.partitionIndex)) this.manager.deleteLog(topic.name, partition.partitionIndex);
    }
  }

  topicConfigsChanged(topic: TopicMetadata): void {
    this.manager.updateConfig(topic.name, topicLogConfig(topic.configs, this.metadata.brokerConfig()));
  }

  /**
   * Called once every known partition has been opened: removes stray logs, and from now on a missing log is a
   * new partition's, created wherever there is room.
   */
  startupComplete(): void {
    this.removeStrayLogs();
    this.starting = false;
  }

  /**
   * Removes the logs of partitions the metadata no longer has (a topic deleted, or the process stopped between
   * the metadata change and the log deletion), as Kafka deletes stray logs at start.
   */
  private removeStrayLogs(): void {
    for (const log of this.manager.allLogs()) {
      const topic = this.metadata.topic(log.topic);
      const stray = !topic || log.partition >= topic.partitions.length || (log.topicId !== undefined && log.topicId !== topic.topicId);
      if (!stray) continue;
      this.logger.warn({ topic: log.topic, partition: log.partition }, 'deleting a log the metadata does not know');
      this.manager.deleteLog(log.topic, log.partition);
    }
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  // ---- internals ----

  private hostedLog(topic: TopicMetadata, partitionIndex: number): PartitionLog | undefined {
    const partition = topic.partitions[partitionIndex];
    if (!partition || !partition.replicas.includes(this.metadata.localBrokerId)) return undefined;
    const entry = this.entryFor(topic);
    if (!entry) return undefined;
    if (entry.unavailable.has(partitionIndex)) {
      throw new KafkaStorageError(`the log of ${topic.name}-${partitionIndex} is not in any online log dir; a log dir is offline`);
    }
    const log = entry.logs[partitionIndex] ?? this.openPartition(topic, entry, partition, topicLogConfig(topic.configs, this.metadata.brokerConfig()));
    // The manager knows when the dir went offline; a cached log would only say it is closed.
    return log && this.manager.getLog(topic.name, partitionIndex);
  }

  /** The entry of this topic id; undefined while an older topic of the same name is still being deleted. */
  private entryFor(topic: TopicMetadata): TopicLogs | undefined {
    const existing = this.topics.get(topic.name);
    if (existing) return existing.topicId === topic.topicId ? existing : undefined;
    const created: TopicLogs = { topicId: topic.topicId, logs: [], unavailable: new Set() };
    this.topics.set(topic.name, created);
    return created;
  }

  private openPartition(topic: TopicMetadata, entry: TopicLogs, partition: PartitionState, config: ReturnType<typeof topicLogConfig>): PartitionLog | undefined {
    if (!partition.replicas.includes(this.metadata.localBrokerId)) return undefined;
    const existing = entry.logs[partition.partitionIndex];
    if (existing) return existing;
    if (this.starting && this.manager.offlineDirs.size > 0 && !this.manager.getLog(topic.name, partition.partitionIndex)) {
      // As Kafka refuses to create the log of an existing partition while a dir is offline: an empty log
      // elsewhere would silently hide the records in the offline dir. The partition answers KAFKA_STORAGE_ERROR.
      entry.unavailable.add(partition.partitionIndex);
      this.logger.error({ topic: topic.name, partition: partition.partitionIndex, offlineDirs: [...this.manager.offlineDirs] }, 'partition log not found while a log dir is offline');
      return undefined;
    }
    const log = this.manager.getOrCreateLog(topic.name, partition.partitionIndex, config);
    log.config = config;
    log.setTopicId(topic.topicId);
    // The epoch the partition's leader started at; later appends carry it (OffsetForLeaderEpoch answers from it).
    const latestEpoch = log.leaderEpochCache.latestEpoch();
    if (latestEpoch === undefined || latestEpoch < partition.leaderEpoch) {
      log.leaderEpochCache.assign(partition.leaderEpoch, log.logEndOffset);
    }
    entry.logs[partition.partitionIndex] = log;
    return log;
  }

  private reapplyAllConfigs(): void {
    const broker: BrokerConfig = this.metadata.brokerConfig();
    for (const topic of this.metadata.topics()) this.manager.updateConfig(topic.name, topicLogConfig(topic.configs, broker));
  }
}
