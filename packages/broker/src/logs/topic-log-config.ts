/**
 * A topic's effective configuration (its overrides over the broker's log.* defaults, resolved by the metadata
 * package exactly as DescribeConfigs reports them) turned into the storage layer's typed `LogConfig`. One place
 * maps the two, so the value a client reads in DescribeConfigs is the value the log enforces.
 */
import { BrokerConfig, resolveTopicConfigs } from '@tributary/metadata';
import { LogConfig, logConfigFromProperties } from '@tributary/storage';

export function topicLogConfig(overrides: ReadonlyMap<string, string>, broker: BrokerConfig): LogConfig {
  const effective: Record<string, string> = {};
  for (const resolved of resolveTopicConfigs(overrides, broker)) {
    if (resolved.value !== null) effective[resolved.name] = resolved.value;
  }
  return logConfigFromProperties(effective);
}
