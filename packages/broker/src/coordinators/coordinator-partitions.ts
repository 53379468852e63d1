/**
 * The broker-side bookkeeping a coordinator needs over the partitions of its internal topic, shared by the group
 * and the transaction services: loading every partition this broker leads (at start, and when the topic or new
 * partitions are created), unloading them when the topic is deleted, tracking the loads under way, and answering
 * FindCoordinator's "who leads partition p" with the leader's endpoint on the asking listener, creating the topic
 * on first use as Kafka does.
 *
 * The log service opens a partition's log on first use, so a load may start in the same breath as the metadata
 * tells the log layer about the new topic.
 */
import { BrokerConfig, ClusterMetadata, MetadataChange, PartitionState } from '@tributary/metadata';
import { CoordinatorNode } from '@tributary/group-coordinator';
import { brokerOnListener } from '../handlers/broker-endpoints';
import { Logger } from '../logger';
import { InternalTopicCreator, InternalTopicSpec } from './internal-topic-creator';

/** What this bookkeeping asks of a coordinator about the partitions of its topic. */
export interface PartitionedCoordinator {
  loadPartition(partition: number, epoch: number): Promise<void>;
  unloadPartition(partition: number): void;
  ownsPartition(partition: number): boolean;
  isPartitionLoading(partition: number): boolean;
}

export interface CoordinatorPartitionsOptions {
  /** The coordinator's internal topic, and how to create it. */
  topic: InternalTopicSpec;
  coordinator: PartitionedCoordinator;
  metadata: ClusterMetadata;
  /** The effective broker configuration (with dynamic configs). */
  config: () => BrokerConfig;
  logger: Logger;
}

export class CoordinatorPartitions {
  private readonly topicCreator: InternalTopicCreator;
  private readonly unsubscribe: () => void;
  private readonly loads = new Set<Promise<void>>();

  /** Starts listening to metadata changes of the topic; `loadLedPartitions` loads what exists already. */
  constructor(private readonly options: CoordinatorPartitionsOptions) {
    const { topic, metadata, config, logger } = options;
    this.topicCreator = new InternalTopicCreator(topic, metadata, config, logger);
    this.unsubscribe = metadata.subscribe((change) => this.onMetadataChange(change));
  }

  /** Begins loading the partitions of the topic, if it exists, that this broker leads. */
  loadLedPartitions(): void {
    const topic = this.options.metadata.topic(this.options.topic.name);
    if (topic !== undefined) this.loadLed(topic.partitions);
  }

  /**
   * The coordinator of partition `partition` of the topic, with its endpoint on `listenerName`, or null while
   * there is none: the topic does not exist yet (its creation starts here) or the partition has no leader.
   */
  coordinatorNode(partition: number, listenerName: string): CoordinatorNode | null {
    const { metadata, coordinator } = this.options;
    const topic = metadata.topic(this.options.topic.name);
    if (topic === undefined) {
      void this.topicCreator.ensure();
      return null;
    }
    const state = topic.partitions[partition];
    const leaderId = state?.leaderId;
    if (leaderId === undefined || leaderId < 0) return null;
    // The topic may be visible before its creation was announced to listeners: start the load here, so the
    // client's next request gets COORDINATOR_LOAD_IN_PROGRESS rather than NOT_COORDINATOR.
    if (leaderId === metadata.localBrokerId && !coordinator.ownsPartition(partition) && !coordinator.isPartitionLoading(partition)) {
      this.load([state]);
    }
    const endpoint = brokerOnListener(metadata, listenerName, leaderId);
    return endpoint === undefined ? null : { nodeId: leaderId, host: endpoint.host, port: endpoint.port };
  }

  /** Resolves once every partition load started so far has finished (for tests and orderly shutdown). */
  async loaded(): Promise<void> {
    while (this.loads.size > 0) await Promise.allSettled([...this.loads]);
  }

  /** Stops listening to metadata changes. */
  close(): void {
    this.unsubscribe();
  }

  private onMetadataChange(change: MetadataChange): void {
    if (change.kind === 'brokerConfigsChanged' || change.topic.name !== this.options.topic.name) return;
    if (change.kind === 'topicCreated' || change.kind === 'partitionsCreated') {
      this.loadLed(change.topic.partitions);
    } else if (change.kind === 'topicDeleted') {
      for (const partition of change.topic.partitions) this.options.coordinator.unloadPartition(partition.partitionIndex);
    }
  }

  private loadLed(partitions: readonly PartitionState[]): void {
    this.load(partitions.filter((partition) => partition.leaderId === this.options.metadata.localBrokerId));
  }

  private load(partitions: readonly PartitionState[]): void {
    const { coordinator, logger } = this.options;
    const topicName = this.options.topic.name;
    const loads = partitions.map((partition) =>
      // The partition's leader epoch is the coordinator epoch (a transaction coordinator's markers carry it, and
      // partitions refuse older ones).
      coordinator.loadPartition(partition.partitionIndex, partition.leaderEpoch).catch((error: unknown) => {
        logger.error({ err: error, partition: partition.partitionIndex }, `cannot load ${topicName}-${partition.partitionIndex}`);
      }),
    );
    const load = Promise.all(loads).then(() => undefined);
    this.loads.add(load);
    void load.finally(() => this.loads.delete(load));
  }
}
