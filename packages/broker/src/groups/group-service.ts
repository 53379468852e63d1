/**
 * The group coordinator as a broker service: builds the GroupCoordinator over this broker's `__consumer_offsets`
 * logs, loads every partition of that topic this broker leads (at start, and when the topic is created), and
 * answers FindCoordinator's question "who leads partition p" with the endpoint on the asking listener.
 *
 * The log service opens a partition's log on first use, so a load may start in the same breath as the metadata
 * tells the log layer about the new topic.
 */
import { BrokerConfig, ClusterMetadata, MetadataChange, PartitionState, TopicMetadata } from '@tributary/metadata';
import {
  CoordinatorLocator,
  CoordinatorNode,
  CoordinatorType,
  GroupCoordinator,
  GroupCoordinatorConfig,
  Scheduler,
} from '@tributary/group-coordinator';
import { Logger } from '../logger';
import type { LogService } from '../logs/log-service';
import { OffsetsTopicCreator } from './offsets-topic';
import { OFFSETS_TOPIC, PartitionCoordinatorLog } from './partition-coordinator-log';

export interface GroupServiceOptions {
  metadata: ClusterMetadata;
  /** The effective broker configuration (with dynamic configs). */
  config: () => BrokerConfig;
  /** The broker's partition logs. */
  logs: Pick<LogService, 'partition' | 'append'>;
  scheduler: Scheduler;
  logger: Logger;
}

export class GroupService {
  readonly coordinator: GroupCoordinator;
  private readonly offsetsTopic: OffsetsTopicCreator;
  private readonly unsubscribe: () => void;
  private readonly loads = new Set<Promise<void>>();

  private constructor(private readonly options: GroupServiceOptions) {
    const { metadata } = options;
    const config = options.config();
    this.coordinator = new GroupCoordinator({
      log: new PartitionCoordinatorLog({
        logs: options.logs,
        leaderEpoch: (partition) => metadata.topic(OFFSETS_TOPIC)?.partitions[partition]?.leaderEpoch,
      }),
      scheduler: options.scheduler,
      config: coordinatorConfig(config, metadata.topic(OFFSETS_TOPIC)),
    });
    this.offsetsTopic = new OffsetsTopicCreator(metadata, options.config, options.logger);
    this.unsubscribe = metadata.subscribe((change) => this.onMetadataChange(change));
  }

  /** Builds the service, starts offset expiry, and begins loading the partitions this broker leads. */
  static start(options: GroupServiceOptions): GroupService {
    const service = new GroupService(options);
    service.coordinator.startup();
    const topic = options.metadata.topic(OFFSETS_TOPIC);
    if (topic !== undefined) service.loadLedPartitions(topic);
    return service;
  }

  /** Where FindCoordinator finds coordinators, for a request that arrived on `listenerName`. */
  locator(listenerName: string): CoordinatorLocator {
    return {
      groupPartitions: this.coordinator.config.offsetsTopicNumPartitions,
      transactionPartitions: this.options.config().int('transaction.state.log.num.partitions'),
      leaderOf: (type, partition) => {
        // Transactional ids are located by the TransactionService (FindCoordinator combines both); not here.
        if (type !== CoordinatorType.Group) return null;
        return this.groupCoordinatorNode(partition, listenerName);
      },
    };
  }

  /**
   * A producer's COMMIT or ABORT marker is now in these `__consumer_offsets` partitions (Kafka's
   * GroupCoordinator.onTransactionCompleted): the offsets it staged there with TxnOffsetCommit become committed
   * offsets, or are dropped. A partition still loading needs nothing: its replay reads to the log end, marker
   * included.
   */
  completeTransaction(producerId: bigint, offsetsPartitions: readonly number[], committed: boolean): void {
    for (const partition of offsetsPartitions) this.coordinator.completeTransaction(producerId, partition, committed);
  }

  /** Resolves once every partition load started so far has finished (for tests and orderly shutdown). */
  async loaded(): Promise<void> {
    while (this.loads.size > 0) await Promise.allSettled([...this.loads]);
  }

  shutdown(): void {
    this.unsubscribe();
    this.coordinator.shutdown();
  }

  private groupCoordinatorNode(partition: number, listenerName: string): CoordinatorNode | null {
    const { metadata } = this.options;
    const topic = metadata.topic(OFFSETS_TOPIC);
    if (topic === undefined) {
      void this.offsetsTopic.ensure();
      return null;
    }
    const state = topic.partitions[partition];
    const leaderId = state?.leaderId;
    if (leaderId === undefined || leaderId < 0) return null;
    // The topic may be visible before its creation was announced to listeners: start the load here, so the
    // group's next request gets COORDINATOR_LOAD_IN_PROGRESS rather than NOT_COORDINATOR.
    if (leaderId === metadata.localBrokerId && !this.coordinator.ownsPartition(partition) && !this.coordinator.isPartitionLoading(partition)) {
      this.load([state]);
    }
    const endpoint = metadata
      .brokers()
      .find((broker) => broker.brokerId === leaderId)
      ?.endpoints.find((candidate) => candidate.listenerName === listenerName);
    return endpoint === undefined ? null : { nodeId: leaderId, host: endpoint.host, port: endpoint.port };
  }

  private onMetadataChange(change: MetadataChange): void {
    if (change.kind === 'brokerConfigsChanged' || change.topic.name !== OFFSETS_TOPIC) return;
    if (change.kind === 'topicCreated' || change.kind === 'partitionsCreated') {
      this.loadLedPartitions(change.topic);
    } else if (change.kind === 'topicDeleted') {
      for (const partition of change.topic.partitions) this.coordinator.unloadPartition(partition.partitionIndex);
    }
  }

  private loadLedPartitions(topic: TopicMetadata): void {
    this.load(topic.partitions.filter((partition) => partition.leaderId === this.options.metadata.localBrokerId));
  }

  private load(partitions: readonly PartitionState[]): void {
    const { logger } = this.options;
    const loads = partitions.map((partition) =>
      this.coordinator.loadPartition(partition.partitionIndex, partition.leaderEpoch).catch((error: unknown) => {
        logger.error({ err: error, partition: partition.partitionIndex }, `cannot load ${OFFSETS_TOPIC}-${partition.partitionIndex}`);
      }),
    );
    const load = Promise.all(loads).then(() => undefined);
    this.loads.add(load);
    void load.finally(() => this.loads.delete(load));
  }
}

/** The coordinator's settings from the broker's; the partition count is the topic's own once it exists. */
function coordinatorConfig(config: BrokerConfig, existing: TopicMetadata | undefined): Partial<GroupCoordinatorConfig> {
  return {
    offsetsTopicNumPartitions: existing?.partitions.length ?? config.int('offsets.topic.num.partitions'),
    groupMinSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    groupInitialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    groupMaxSize: config.int('group.max.size'),
    offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: config.int('offsets.retention.check.interval.ms'),
  };
}
