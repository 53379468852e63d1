import { TimestampType } from '@tributary/protocol';

/**
 * Per-topic log settings, named after Kafka's topic configs (camelCase of the dotted name) with Kafka's defaults.
 * `-1` means "no limit" where Kafka uses it that way (retention.ms, retention.bytes, flush.*).
 */
export interface LogConfig {
  /** segment.bytes: roll a new segment before an append would grow the active one past this. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** segment.jitter.ms: each segment rolls up to this much earlier (random), so partitions do not roll together. */
  segmentJitterMs: number;
  /** segment.index.bytes: largest offset/time index per segment; a full index rolls the segment. */
  segmentIndexBytes: number;
  /** index.interval.bytes: log bytes between two sparse index entries. */
  indexIntervalBytes: number;
  /** retention.ms: delete segments whose newest record is older than this; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the partition is bigger than this; -1 means no limit. */
  retentionBytes: number;
  /** cleanup.policy: 'delete', 'compact', or both. */
  cleanupPolicy: { delete: boolean; compact: boolean };
  /** delete.retention.ms: how long the cleaner keeps tombstones and abort/commit markers. */
  deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio: clean only when dirty bytes / total bytes reach this. */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms: records younger than this are never compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty record older than this forces a clean regardless of the ratio. */
  maxCompactionLagMs: number;
  /** file.delete.delay.ms: time between renaming a segment to `.deleted` and removing it. */
  fileDeleteDelayMs: number;
  /** flush.messages: fsync after this many records; the default leaves it to the OS. */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed write is this old; the default leaves it to the OS. */
  flushMs: number;
  /** max.message.bytes: largest record batch accepted. */
  maxMessageBytes: number;
  /** message.timestamp.type. */
  messageTimestampType: TimestampType;
  /** message.timestamp.before.max.ms: how far in the past a CreateTime may be. */
  messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms: how far in the future a CreateTime may be. */
  messageTimestampAfterMaxMs: number;
}

const LONG_MAX_AS_NUMBER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze({ delete: true, compact: false }),
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: LONG_MAX_AS_NUMBER,
  fileDeleteDelayMs: 60_000,
  flushMessages: LONG_MAX_AS_NUMBER,
  flushMs: LONG_MAX_AS_NUMBER,
  maxMessageBytes: 1024 * 1024 + 12,
  messageTimestampType: TimestampType.CreateTime,
  messageTimestampBeforeMaxMs: LONG_MAX_AS_NUMBER,
  messageTimestampAfterMaxMs: LONG_MAX_AS_NUMBER,
});

export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy }, ...overrides };
}

/** Parses Kafka's `cleanup.policy` value ("delete", "compact", "compact,delete"). */
export function parseCleanupPolicy(value: string): { delete: boolean; compact: boolean } {
  const parts = value.split(',').map((p) => p.trim());
  for (const part of parts) {
    if (part !== 'delete' && part !== 'compact') throw new Error(`unknown cleanup.policy '${part}'`);
  }
  return { delete: parts.includes('delete'), compact: parts.includes('compact') };
}

/**
 * Builds a typed config from Kafka's dotted names and string values, as they arrive from CreateTopics or
 * AlterConfigs. Unknown names are ignored here (other layers own them).
 */
export function logConfigFromProperties(properties: Record<string, string>): LogConfig {
  const config = logConfig();
  const numeric: Record<string, keyof LogConfig> = {
    'segment.bytes': 'segmentBytes',
    'segment.ms': 'segmentMs',
    'segment.jitter.ms': 'segmentJitterMs',
    'segment.index.bytes': 'segmentIndexBytes',
    'index.interval.bytes': 'indexIntervalBytes',
    'retention.ms': 'retentionMs',
    'retention.bytes': 'retentionBytes',
    'delete.retention.ms': 'deleteRetentionMs',
    'min.cleanable.dirty.ratio': 'minCleanableDirtyRatio',
    'min.compaction.lag.ms': 'minCompactionLagMs',
    'max.compaction.lag.ms': 'maxCompactionLagMs',
    'file.delete.delay.ms': 'fileDeleteDelayMs',
    'flush.messages': 'flushMessages',
    'flush.ms': 'flushMs',
    'max.message.bytes': 'maxMessageBytes',
    'message.timestamp.before.max.ms': 'messageTimestampBeforeMaxMs',
    'message.timestamp.after.max.ms': 'messageTimestampAfterMaxMs',
  };
  for (const [name, value] of Object.entries(properties)) {
    const key = numeric[name];
    if (key) {
      const parsed = Number(value);
      if (!Number.isFinite(parsed)) throw new Error(`${name} must be a number, got '${value}'`);
      (config as unknown as Record<string, number>)[key] = Math.min(parsed, LONG_MAX_AS_NUMBER);
    } else if (name === 'cleanup.policy') {
      config.cleanupPolicy = parseCleanupPolicy(value);
    } else if (name === 'message.timestamp.type') {
      if (value === 'CreateTime') config.messageTimestampType = TimestampType.CreateTime;
      else if (value === 'LogAppendTime') config.messageTimestampType = TimestampType.LogAppendTime;
      else throw new Error(`unknown message.timestamp.type '${value}'`);
    }
  }
  return config;
}
