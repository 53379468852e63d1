/**
 * What DescribeConfigs and the two AlterConfigs APIs share: Kafka's resource types, config types as the
 * protocol numbers them, and how a topic's or this broker's configuration is described.
 */
import { BrokerId, ErrorCode, DescribeConfigsResponse } from '@tributary/protocol';
import {
  BROKER_CONFIGS,
  BROKER_CONFIG_DEFS,
  DYNAMIC_BROKER_KEYS,
  brokerSynonymGroup,
  BrokerConfig,
  ConfigSource,
  ConfigType,
  TOPIC_CONFIGS,
  TopicMetadata,
  resolveTopicConfigs,
  topicNameProblem,
  ClusterMetadata,
} from '@tributary/metadata';
import { RequestContext } from './handler';

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
  return BROKER_CONFIG_DEFS.flatMap((def) => {
    const sensitive = def.type === ConfigType.Password;
    const synonyms = broker.synonyms(brokerSynonymGroup(def.name), def.name);
    // Kafka lists its internal keys only when they were set (KafkaConfig.nonInternalValues plus the originals).
    if (def.internal && synonyms.every((synonym) => synonym.source === ConfigSource.DefaultConfig)) return [];
    return {
      name: def.name,
      value: sensitive ? null : broker.text(def.name),
      readOnly: !DYNAMIC_BROKER_KEYS.has(def.name),
      isDefault: false,
      configSource: synonyms[0]?.source ?? ConfigSource.DefaultConfig,
      isSensitive: sensitive,
      synonyms: includeSynonyms ? synonyms : [],
      configType: PROTOCOL_CONFIG_TYPE[def.type],
      documentation: null,
    };
  });
}

/** The cluster-wide dynamic defaults (the BROKER resource named ""), as Kafka lists them. */
export function describeDynamicDefaults(defaults: ReadonlyMap<string, string>, includeSynonyms: boolean): Entry[] {
  return [...defaults].map(([name, value]) => {
    const def = BROKER_CONFIGS.get(name);
    const source = ConfigSource.DynamicDefaultBrokerConfig;
    return {
      name,
      value,
      readOnly: false,
      isDefault: false,
      configSource: source,
      isSensitive: false,
      synonyms: includeSynonyms ? [{ name, value, source }] : [],
      configType: def ? PROTOCOL_CONFIG_TYPE[def.type] : 0,
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

/**
 * A broker resource names this broker by id, or is empty for the cluster-wide defaults. Kafka words the
 * refusal of another id differently when describing and when altering.
 */
export function brokerResourceProblem(metadata: ClusterMetadata, name: string, forAlter = false): ResourceProblem | undefined {
  if (name === '' || name === String(metadata.localBrokerId)) return undefined;
  const expected = forAlter ? `${metadata.localBrokerId}` : `${metadata.localBrokerId} or empty string`;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${expected}, but received ${name}` };
}

/** The dynamic-config entity of a valid broker resource name: this broker's id, or null for the defaults. */
export function brokerEntity(metadata: ClusterMetadata, name: string): BrokerId | null {
  return name === '' ? null : metadata.localBrokerId;
}

/**
 * The alter APIs name the resource in front of a bad value's message, as Kafka 3.9 words it; other refusals
 * (an unknown key) go out as they are.
 */
export function inTopicResource<T extends ResourceProblem>(topic: string, outcome: T): T {
  if (outcome.errorCode !== ErrorCode.INVALID_CONFIG || !outcome.errorMessage?.startsWith('Invalid value ')) return outcome;
  return { ...outcome, errorMessage: `Invalid config value for resource ConfigResource(type=TOPIC, name='${topic}'): ${outcome.errorMessage}` };
}

/** How an alter request turns a resource's dynamic configs into the new set, or refuses the resource. */
export interface ConfigRewrite {
  broker(entity: BrokerId | null): Map<string, string> | ResourceProblem;
  topic(topic: TopicMetadata): Map<string, string> | ResourceProblem;
}

/**
 * The path AlterConfigs and IncrementalAlterConfigs share for one resource, in Kafka's order of checks: the
 * resource must exist and be alterable here, then `rewrite` computes its new dynamic configs (or refuses), then
 * they are validated whole and stored unless `validateOnly`, and an applied change is logged.
 */
export async function alterResourceConfigs(
  resource: { resourceType: number; resourceName: string },
  validateOnly: boolean,
  context: RequestContext,
  rewrite: ConfigRewrite,
): Promise<ResourceProblem> {
  const { metadata, logger } = context.services;
  const name = resource.resourceName;
  if (resource.resourceType === ConfigResourceType.Broker) {
    const problem = brokerResourceProblem(metadata, name, true);
    if (problem) return problem;
    const entity = brokerEntity(metadata, name);
    const configs = rewrite.broker(entity);
    if (!(configs instanceof Map)) return configs;
    const outcome = await metadata.setBrokerConfigs(entity, configs, { validateOnly });
    if (outcome.errorCode === ErrorCode.NONE && !validateOnly) {
      logger.info({ broker: name, configs: Object.fromEntries(configs), clientId: context.clientId }, 'altered dynamic broker configs');
    }
    return outcome;
  }
  if (resource.resourceType !== ConfigResourceType.Topic) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resource.resourceType}` };
  }
  const found = findTopic(metadata, name, true);
  if ('errorCode' in found) return found;
  const configs = rewrite.topic(found);
  if (!(configs instanceof Map)) return configs;
  const outcome = inTopicResource(name, await metadata.setTopicConfigs(name, configs, { validateOnly }));
  if (outcome.errorCode === ErrorCode.NONE && !validateOnly) {
    logger.info({ topic: name, configs: Object.fromEntries(configs), clientId: context.clientId }, 'altered topic configs');
  }
  return outcome;
}
