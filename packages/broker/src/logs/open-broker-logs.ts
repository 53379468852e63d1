/**
 * Opens the storage layer for a broker: a `LogManager` over `log.dirs` (recovering whatever a crash left), with
 * the intervals of its background work taken from the broker's log.* configs, and the `BrokerLogs` that serves
 * handlers and follows the metadata. The composition root calls this after the metadata is open.
 */
import path from 'node:path';
import { BrokerConfig, Clock, ClusterMetadata } from '@tributary/metadata';
import { LogManager, NodeFileSystem, StorageLogger } from '@tributary/storage';
import { Logger } from '../logger';
import { BrokerLogs } from './log-service';
import { topicLogConfig } from './topic-log-config';

/** How often the background work (retention, flush, checkpoints, cleaner) is checked for being due. */
const TICK_PERIOD_MS = 1000;

export interface OpenedBrokerLogs {
  logs: BrokerLogs;
  /** Starts the background work; separate from opening so a test can drive `manager.tick()` itself. */
  startScheduler(): void;
  /** Flushes every log and writes the checkpoints and the clean-shutdown marker. Idempotent. */
  close(): void;
}

export function openBrokerLogs(options: { config: BrokerConfig; metadata: ClusterMetadata; clock: Clock; logger: Logger }): OpenedBrokerLogs {
  const { config, metadata, clock, logger } = options;
  const storageLogger = storageLoggerFrom(logger.child({ component: 'storage' }));
  const manager = LogManager.open({
    fs: new NodeFileSystem(),
    clock,
    logDirs: config.logDirs.map((dir) => path.resolve(dir)),
    // Logs found on disk at start get their topic's config; the metadata is open by now.
    configFor: (topic) => topicLogConfig(metadata.topic(topic)?.configs ?? new Map(), metadata.brokerConfig()),
    // Standalone: this broker is the only replica, so an append is committed once written.
    highWatermarkFollowsLogEnd: true,
    logger: storageLogger,
    retentionCheckIntervalMs: config.int('log.retention.check.interval.ms'),
    recoveryPointCheckpointIntervalMs: config.int('log.flush.offset.checkpoint.interval.ms'),
    cleanerBackoffMs: config.int('log.cleaner.backoff.ms'),
    // Read at each check, so a dynamic change of producer.id.expiration.ms applies (Kafka reconfigures it too).
    producerIdExpirationMs: () => metadata.brokerConfig().int('producer.id.expiration.ms'),
    producerIdExpirationCheckIntervalMs: config.int('producer.id.expiration.check.interval.ms'),
  });
  const logs = new BrokerLogs(manager, metadata, logger);
  let closed = false;
  return {
    logs,
    startScheduler: () => manager.startScheduler(TICK_PERIOD_MS),
    close() {
      if (closed) return;
      closed = true;
      logs.close();
      manager.close();
    },
  };
}

function storageLoggerFrom(logger: Logger): StorageLogger {
  return {
    info: (message) => logger.info({}, message),
    warn: (message) => logger.warn({}, message),
    error: (message) => logger.error({}, message),
  };
}
