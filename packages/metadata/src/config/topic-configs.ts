/**
 * Topic-level configuration keys (Kafka 3.9's LogConfig), each with the broker keys that supply its default.
 * A topic's effective value is its own override if set; else the first broker synonym given in the broker's
 * configuration (converted to the topic key's unit: `log.retention.hours` counts hours, `retention.ms`
 * milliseconds); else the default. DescribeConfigs and CreateTopics report the source as Kafka 3.9 does
 * (checked side by side against one): the synonyms begin at the primary broker key (`log.retention.ms`), so a
 * value that comes from a secondary key alone (`log.retention.hours`) is reported as the default with no
 * synonyms, though its value is the converted one (see BrokerConfig.synonyms).
 */
import type { BrokerConfig, ConfigSynonym } from './broker-config';
import { ConfigDef, ConfigType, atLeast, between, eachOneOf, oneOf, parseConfigValue } from './config-def';
import { ConfigSource } from './config-source';

export interface BrokerSynonym {
  name: string;
  /** Multiply the broker value by this to get the topic key's unit (hours to ms: 3 600 000). */
  factor: number;
}

export interface TopicConfigDef extends ConfigDef {
  synonyms: readonly BrokerSynonym[];
}

const LONG_MAX = '9223372036854775807';
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const { Boolean: BOOL, String: STR, Int: INT, Long: LONG, Double: DOUBLE, List: LIST } = ConfigType;

function topicKey(name: string, type: ConfigType, defaultValue: string | null, synonyms: (string | BrokerSynonym)[], validate?: ConfigDef['validate']): TopicConfigDef {
  return { name, type, defaultValue, validate, synonyms: synonyms.map((s) => (typeof s === 'string' ? { name: s, factor: 1 } : s)) };
}

export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  topicKey('cleanup.policy', LIST, 'delete', ['log.cleanup.policy'], eachOneOf('delete', 'compact')),
  topicKey('compression.gzip.level', INT, '-1', ['compression.gzip.level'], between(-1, 9)),
  topicKey('compression.lz4.level', INT, '9', ['compression.lz4.level'], between(1, 17)),
  topicKey('compression.type', STR, 'producer', ['compression.type'], oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer')),
  topicKey('compression.zstd.level', INT, '3', ['compression.zstd.level'], between(-131072, 22)),
  topicKey('delete.retention.ms', LONG, '86400000', ['log.cleaner.delete.retention.ms'], atLeast(0)),
  topicKey('file.delete.delay.ms', LONG, '60000', ['log.segment.delete.delay.ms'], atLeast(0)),
  topicKey('flush.messages', LONG, LONG_MAX, ['log.flush.interval.messages'], atLeast(1)),
  topicKey('flush.ms', LONG, LONG_MAX, ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], atLeast(0)),
  topicKey('follower.replication.throttled.replicas', LIST, '', []),
  topicKey('index.interval.bytes', INT, '4096', ['log.index.interval.bytes'], atLeast(0)),
  topicKey('leader.replication.throttled.replicas', LIST, '', []),
  topicKey('local.retention.bytes', LONG, '-2', ['log.local.retention.bytes'], atLeast(-2)),
  topicKey('local.retention.ms', LONG, '-2', ['log.local.retention.ms'], atLeast(-2)),
  topicKey('max.compaction.lag.ms', LONG, LONG_MAX, ['log.cleaner.max.compaction.lag.ms'], atLeast(1)),
  topicKey('max.message.bytes', INT, '1048588', ['message.max.bytes'], atLeast(0)),
  topicKey('message.downconversion.enable', BOOL, 'true', ['log.message.downconversion.enable']),
  topicKey('message.format.version', STR, '3.0-IV1', ['log.message.format.version']),
  topicKey('message.timestamp.after.max.ms', LONG, LONG_MAX, ['log.message.timestamp.after.max.ms'], atLeast(0)),
  topicKey('message.timestamp.before.max.ms', LONG, LONG_MAX, ['log.message.timestamp.before.max.ms'], atLeast(0)),
  topicKey('message.timestamp.difference.max.ms', LONG, LONG_MAX, ['log.message.timestamp.difference.max.ms'], atLeast(0)),
  topicKey('message.timestamp.type', STR, 'CreateTime', ['log.message.timestamp.type'], oneOf('CreateTime', 'LogAppendTime')),
  topicKey('min.cleanable.dirty.ratio', DOUBLE, '0.5', ['log.cleaner.min.cleanable.ratio'], between(0, 1)),
  topicKey('min.compaction.lag.ms', LONG, '0', ['log.cleaner.min.compaction.lag.ms'], atLeast(0)),
  topicKey('min.insync.replicas', INT, '1', ['min.insync.replicas'], atLeast(1)),
  topicKey('preallocate', BOOL, 'false', ['log.preallocate']),
  topicKey('remote.log.copy.disable', BOOL, 'false', []),
  topicKey('remote.log.delete.on.disable', BOOL, 'false', []),
  topicKey('remote.storage.enable', BOOL, 'false', []),
  topicKey('retention.bytes', LONG, '-1', ['log.retention.bytes']),
  topicKey('retention.ms', LONG, '604800000', ['log.retention.ms', { name: 'log.retention.minutes', factor: MINUTE_MS }, { name: 'log.retention.hours', factor: HOUR_MS }], atLeast(-1)),
  topicKey('segment.bytes', INT, '1073741824', ['log.segment.bytes'], atLeast(14)),
  topicKey('segment.index.bytes', INT, '10485760', ['log.index.size.max.bytes'], atLeast(4)),
  topicKey('segment.jitter.ms', LONG, '0', ['log.roll.jitter.ms', { name: 'log.roll.jitter.hours', factor: HOUR_MS }], atLeast(0)),
  topicKey('segment.ms', LONG, '604800000', ['log.roll.ms', { name: 'log.roll.hours', factor: HOUR_MS }], atLeast(1)),
  topicKey('unclean.leader.election.enable', BOOL, 'false', ['unclean.leader.election.enable']),
];

export const TOPIC_CONFIGS: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIG_DEFS.map((def) => [def.name, def]));

/** Checks a topic config override: returns Kafka's INVALID_CONFIG message, or undefined when it is valid. */
export function checkTopicConfig(name: string, value: string): string | undefined {
  const def = TOPIC_CONFIGS.get(name);
  if (!def) return `Unknown topic config name: ${name}`;
  const parsed = parseConfigValue(def, value);
  return parsed.ok ? undefined : parsed.error;
}

export interface ResolvedConfig {
  name: string;
  value: string | null;
  source: ConfigSource;
  /** Where else the value could have come from, most specific first (DescribeConfigs' synonyms). */
  synonyms: ConfigSynonym[];
}

/** The effective value of every topic config for a topic with these overrides, with its source and synonyms. */
export function resolveTopicConfigs(overrides: ReadonlyMap<string, string>, broker: BrokerConfig): ResolvedConfig[] {
  return TOPIC_CONFIG_DEFS.map((def) => resolveTopicConfig(def, overrides, broker));
}

/**
 * The broker keys that configure the same thing as `name`, primary first (log.retention.hours belongs with
 * log.retention.ms and log.retention.minutes), as Kafka groups them for DescribeConfigs; a key outside any
 * group is its own.
 */
export function brokerSynonymGroup(name: string): string[] {
  const def = TOPIC_CONFIG_DEFS.find((candidate) => candidate.synonyms.some((synonym) => synonym.name === name));
  if (!def) return [name];
  return def.synonyms.map((synonym) => synonym.name);
}

function resolveTopicConfig(def: TopicConfigDef, overrides: ReadonlyMap<string, string>, broker: BrokerConfig): ResolvedConfig {
  // Synonyms show each value as its own key states it (`log.retention.hours=168`); the config's value is in
  // the topic key's unit (`retention.ms=604800000`), taken from the first broker key of the group that has a
  // value in any layer, as Kafka computes it.
  const synonyms: ConfigSynonym[] = [];
  const override = overrides.get(def.name);
  if (override !== undefined) synonyms.push({ name: def.name, value: override, source: ConfigSource.TopicConfig });
  if (def.synonyms.length > 0) synonyms.push(...broker.synonyms(def.synonyms.map((synonym) => synonym.name)));
  let value: string | null | undefined = override;
  for (const synonym of def.synonyms) {
    if (value !== undefined) break;
    const brokerText = broker.text(synonym.name);
    if (brokerText !== null) value = brokerValueInTopicUnit(brokerText, synonym.factor);
  }
  return { name: def.name, value: value === undefined ? def.defaultValue : value, source: synonyms[0]?.source ?? ConfigSource.DefaultConfig, synonyms };
}

/** Converts with integers of any size: Long.MAX_VALUE must come out as Kafka prints it. */
function brokerValueInTopicUnit(text: string, factor: number): string {
  return factor === 1 ? text : String(BigInt(text.trim()) * BigInt(factor));
}
