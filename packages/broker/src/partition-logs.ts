/**
 * The seam between cluster metadata and the log layer. When topics are created, grown or deleted, the metadata
 * tells its listeners after the change is durable; this module turns those changes into calls on whatever
 * keeps the partition logs (the storage layer, connected by the composition root). At start it also hands over
 * every partition the metadata knows, so the log layer can open or create them.
 *
 * Implementations must be idempotent: `openPartitions` may name partitions that already have logs (at start,
 * or after a change was delivered but the process stopped before it was acted on).
 */
import { ClusterMetadata, PartitionState, TopicMetadata } from '@tributary/metadata';
import { Logger } from './logger';

export interface PartitionLogs {
  /** Opens or creates the logs of these partitions of `topic`. */
  openPartitions(topic: TopicMetadata, partitions: readonly PartitionState[]): Promise<void> | void;
  /** Removes every log of a deleted topic. */
  deleteTopic(topic: TopicMetadata): Promise<void> | void;
  /** The topic's config overrides changed (retention, segment size, ...). */
  topicConfigsChanged(topic: TopicMetadata): Promise<void> | void;
}

export interface PartitionLogsConnection {
  /** Resolves when every change delivered so far has been acted on; for shutdown and for tests. */
  settled(): Promise<void>;
  disconnect(): void;
}

/**
 * Connects the log layer: opens every known partition (awaited, so the broker serves only once its logs are
 * open), then follows changes in the order they happen. A failure is logged with the topic, not thrown: the
 * metadata change stands, as in Kafka, where a broker that fails to create a log marks it offline.
 */
export async function connectPartitionLogs(metadata: ClusterMetadata, logs: PartitionLogs, logger: Logger): Promise<PartitionLogsConnection> {
  for (const topic of metadata.topics()) await logs.openPartitions(topic, topic.partitions);
  // One chain keeps changes in order: a delete never overtakes the create before it.
  let chain: Promise<void> = Promise.resolve();
  const run = (what: string, topic: TopicMetadata, action: () => Promise<void> | void): void => {
    chain = chain
      .then(action)
      .catch((error: unknown) => logger.error({ err: error, topic: topic.name, topicId: topic.topicId }, `log layer failed to ${what}`));
  };
  const unsubscribe = metadata.subscribe((change) => {
    switch (change.kind) {
      case 'topicCreated':
        run('create partition logs', change.topic, () => logs.openPartitions(change.topic, change.topic.partitions));
        break;
      case 'partitionsCreated':
        run('create partition logs', change.topic, () => logs.openPartitions(change.topic, change.topic.partitions.slice(change.firstNewPartition)));
        break;
      case 'topicDeleted':
        run('delete topic logs', change.topic, () => logs.deleteTopic(change.topic));
        break;
      case 'topicConfigsChanged':
        run('apply topic configs', change.topic, () => logs.topicConfigsChanged(change.topic));
        break;
      case 'brokerConfigsChanged':
        break;
    }
  });
  return {
    settled: () => chain,
    disconnect: unsubscribe,
  };
}
