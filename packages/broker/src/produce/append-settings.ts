/**
 * The topic settings a produce needs besides storage's LogConfig: the codec the topic stores batches in
 * (`compression.type`) and `min.insync.replicas`. Resolved once per topic metadata value and broker config (both
 * immutable: a change makes new ones), so the produce path does not resolve every topic config per request.
 */
import { BrokerConfig, TopicMetadata, resolveTopicConfigs } from '@tributary/metadata';
import { CompressionType } from '@tributary/protocol';

export interface AppendSettings {
  /** The codec batches are stored in; undefined keeps the producer's (`compression.type=producer`). */
  compression: CompressionType | undefined;
  minInsyncReplicas: number;
}

const CODECS: Record<string, CompressionType | undefined> = {
  producer: undefined,
  uncompressed: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

const cache = new WeakMap<TopicMetadata, { broker: BrokerConfig; settings: AppendSettings }>();

export function appendSettings(topic: TopicMetadata, broker: BrokerConfig): AppendSettings {
  const cached = cache.get(topic);
  if (cached && cached.broker === broker) return cached.settings;
  const resolved = new Map(resolveTopicConfigs(topic.configs, broker).map((config) => [config.name, config.value]));
  const settings: AppendSettings = {
    compression: CODECS[resolved.get('compression.type') ?? 'producer'],
    minInsyncReplicas: Number(resolved.get('min.insync.replicas') ?? '1'),
  };
  cache.set(topic, { broker, settings });
  return settings;
}
