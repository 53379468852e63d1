/**
 * What DescribeConfigs and the two AlterConfigs APIs share: Kafka's resource types, config types as the
 * protocol numbers them, and how a topic's or this broker's configuration is described.
 */
import { ErrorCode, DescribeConfigsResponse } from '@tributary/protocol';
import {
  BROKER_CONFIG_DEFS,
  BrokerConfig,
  ConfigSource,
  ConfigType,
  TOPIC_CONFIGS,
  TopicMetadata,
  configValueText,
  resolveTopicConfigs,
  topicNameProblem,
  ClusterMetadata,
} from '@tributary/metadata';

export enum ConfigResourceType {
  Unknown = 0,
  Topic = 2,
  Broker = 4,
  BrokerLogger = 8,
  ClientMetrics = 16,
  Group = 32,
}

/** DescribeConfigs' config_type numbers (v3+). */
const PROTOCOL_CONFIG_TYPE: Record<ConfigType, number> = {
  [ConfigType.Boolean]: 1,
  [ConfigType.String]: 2,
  [ConfigType.Int]: 3,
  [ConfigType.Short]: 4,
  [ConfigType.Long]: 5,
  [ConfigType.Double]: 6,
  [ConfigType.List]: 7,
  [ConfigType.Class]: 8,
  [ConfigType.Password]: 9,
};

type Entry = DescribeConfigsResponse.DescribeConfigsResourceResult;

/**
 * Broker keys Kafka can change at run time, which it reports as not read-only: the primary broker key of each
 * topic config (log.retention.ms, not log.retention.hours) and a few more.
 */
const DYNAMIC_BROKER_KEYS: ReadonlySet<string> = new Set([
  ...[...TOPIC_CONFIGS.values()].flatMap((def) => (def.synonyms.length > 0 ? [def.synonyms[0].name] : [])),
  'ssl.keystore.password',
  'message.max.bytes',
  'num.io.threads',
  'num.network.threads',
  'num.recovery.threads.per.data.dir',
  'num.replica.fetchers',
  'max.connections',
  'max.connections.per.ip',
  'log.cleaner.threads',
  'log.cleaner.backoff.ms',
  'log.cleaner.dedupe.buffer.size',
  'advertised.listeners',
  'listeners',
]);

/**
 * is_default (v0 only) is always false: that is what a Kafka 3.9 broker sends, even for values that are the
 * default (checked side by side).
 */
export function describeTopicConfigs(topic: TopicMetadata, broker: BrokerConfig, includeSynonyms: boolean): Entry[] {
  return resolveTopicConfigs(topic.configs, broker).map((config) => ({
    name: config.name,
    value: config.value,
    readOnly: false,
    isDefault: false,
    configSource: config.source,
    isSensitive: false,
    synonyms: includeSynonyms ? config.synonyms : [],
    configType: PROTOCOL_CONFIG_TYPE[TOPIC_CONFIGS.get(config.name)!.type],
    documentation: null,
  }));
}

export function describeBrokerConfigs(broker: BrokerConfig, includeSynonyms: boolean): Entry[] {
  return BROKER_CONFIG_DEFS.map((def) => {
    const sensitive = def.type === ConfigType.Password;
    const explicit = broker.isExplicit(def.name);
    const source = explicit ? ConfigSource.StaticBrokerConfig : ConfigSource.DefaultConfig;
    const value = sensitive ? null : configValueText(broker.value(def.name));
    const synonyms: Entry['synonyms'] = [];
    if (explicit) synonyms.push({ name: def.name, value, source: ConfigSource.StaticBrokerConfig });
    if (def.defaultValue !== null) synonyms.push({ name: def.name, value: sensitive ? null : def.defaultValue, source: ConfigSource.DefaultConfig });
    return {
      name: def.name,
      value,
      readOnly: !DYNAMIC_BROKER_KEYS.has(def.name),
      isDefault: false,
      configSource: source,
      isSensitive: sensitive,
      synonyms: includeSynonyms ? synonyms : [],
      configType: PROTOCOL_CONFIG_TYPE[def.type],
      documentation: null,
    };
  });
}

export interface ResourceProblem {
  errorCode: number;
  errorMessage: string | null;
}

/**
 * Checks a topic resource name as Kafka does: an illegal name, then an unknown topic. Kafka words the unknown
 * topic differently per API: DescribeConfigs gives an empty message, the alter APIs name the topic.
 */
export function findTopic(metadata: ClusterMetadata, name: string, forAlter: boolean): TopicMetadata | ResourceProblem {
  const problem = topicNameProblem(name);
  if (problem) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: problem };
  const topic = metadata.topic(name);
  if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: forAlter ? `The topic '${name}' does not exist.` : '' };
  return topic;
}

/** A broker resource names this broker by id, or is empty for the cluster-wide defaults. */
export function brokerResourceProblem(metadata: ClusterMetadata, name: string): ResourceProblem | undefined {
  if (name === '' || name === String(metadata.localBrokerId)) return undefined;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${metadata.localBrokerId} or empty string, but received ${name}` };
}
