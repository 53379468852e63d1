/**
 * The transaction coordinator as a broker service: builds the TransactionCoordinator over this broker's
 * `__transaction_state` logs, with producer ids from the cluster metadata's durable blocks and markers written
 * through the partition-side marker writer; loads every partition of the topic this broker leads (at start and
 * when the topic is created); and answers FindCoordinator's "who coordinates this transactional id", creating
 * the topic on first use as Kafka does.
 */
import { BrokerConfig, ClusterMetadata, MetadataChange, PartitionState, TopicMetadata } from '@tributary/metadata';
import { CoordinatorNode, Scheduler } from '@tributary/group-coordinator';
import {
  ProducerIdManager,
  TRANSACTION_STATE_TOPIC,
  TransactionCoordinator,
  TransactionCoordinatorConfig,
  TransactionMarkerSink,
} from '@tributary/txn-coordinator';
import { Logger } from '../logger';
import type { LogService } from '../logs/log-service';
import { TransactionStateLog } from './transaction-state-log';
import { TransactionStateTopicCreator } from './transaction-state-topic';

export interface TransactionServiceOptions {
  metadata: ClusterMetadata;
  /** The effective broker configuration (with dynamic configs). */
  config: () => BrokerConfig;
  logs: Pick<LogService, 'partition' | 'append'>;
  /** Where COMMIT/ABORT markers are written: the broker's PartitionMarkerWriter. */
  markers: TransactionMarkerSink;
  scheduler: Scheduler;
  logger: Logger;
}

export class TransactionService {
  readonly coordinator: TransactionCoordinator;
  private readonly topicCreator: TransactionStateTopicCreator;
  private readonly unsubscribe: () => void;
  private readonly loads = new Set<Promise<void>>();

  private constructor(private readonly options: TransactionServiceOptions) {
    const { metadata, logger } = options;
    this.coordinator = new TransactionCoordinator({
      log: new TransactionStateLog({
        logs: options.logs,
        leaderEpoch: (partition) => metadata.topic(TRANSACTION_STATE_TOPIC)?.partitions[partition]?.leaderEpoch,
      }),
      scheduler: options.scheduler,
      producerIds: new ProducerIdManager(metadata, (error) => logger.error({ err: error }, 'cannot reserve a block of producer ids')),
      markers: options.markers,
      config: coordinatorConfig(options.config(), metadata.topic(TRANSACTION_STATE_TOPIC)),
      logger,
      partitionExists: (topic, partition) => metadata.topic(topic)?.partitions[partition] !== undefined,
    });
    this.topicCreator = new TransactionStateTopicCreator(metadata, options.config, logger);
    this.unsubscribe = metadata.subscribe((change) => this.onMetadataChange(change));
  }

  /** Builds the service, starts its timers, and begins loading the partitions this broker leads. */
  static start(options: TransactionServiceOptions): TransactionService {
    const service = new TransactionService(options);
    service.coordinator.startup();
    const topic = options.metadata.topic(TRANSACTION_STATE_TOPIC);
    if (topic !== undefined) service.loadLedPartitions(topic);
    return service;
  }

  /** `transaction.state.log.num.partitions` as FindCoordinator hashes with: the topic's own count once it exists. */
  get transactionPartitions(): number {
    return this.coordinator.config.transactionStateLogNumPartitions;
  }

  /**
   * The coordinator of a `__transaction_state` partition, with its endpoint on `listenerName`, or null while
   * there is none: the topic does not exist yet (its creation starts here) or the partition has no leader.
   */
  coordinatorNode(partition: number, listenerName: string): CoordinatorNode | null {
    const { metadata } = this.options;
    const topic = metadata.topic(TRANSACTION_STATE_TOPIC);
    if (topic === undefined) {
      void this.topicCreator.ensure();
      return null;
    }
    const state = topic.partitions[partition];
    const leaderId = state?.leaderId;
    if (leaderId === undefined || leaderId < 0) return null;
    // The topic may be visible before its creation was announced to listeners: start the load here, so the
    // producer's next request gets COORDINATOR_LOAD_IN_PROGRESS rather than NOT_COORDINATOR.
    if (leaderId === metadata.localBrokerId && !this.coordinator.ownsPartition(partition) && !this.coordinator.isPartitionLoading(partition)) {
      this.load([state]);
    }
    const endpoint = metadata
      .brokers()
      .find((broker) => broker.brokerId === leaderId)
      ?.endpoints.find((candidate) => candidate.listenerName === listenerName);
    return endpoint === undefined ? null : { nodeId: leaderId, host: endpoint.host, port: endpoint.port };
  }

  /** Resolves once every partition load started so far has finished (for tests and orderly shutdown). */
  async loaded(): Promise<void> {
    while (this.loads.size > 0) await Promise.allSettled([...this.loads]);
  }

  shutdown(): void {
    this.unsubscribe();
    this.coordinator.shutdown();
  }

  private onMetadataChange(change: MetadataChange): void {
    if (change.kind === 'brokerConfigsChanged' || change.topic.name !== TRANSACTION_STATE_TOPIC) return;
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
      // The partition's leader epoch is the coordinator epoch: markers carry it, and partitions refuse older ones.
      this.coordinator.loadPartition(partition.partitionIndex, partition.leaderEpoch).catch((error: unknown) => {
        logger.error({ err: error, partition: partition.partitionIndex }, `cannot load ${TRANSACTION_STATE_TOPIC}-${partition.partitionIndex}`);
      }),
    );
    const load = Promise.all(loads).then(() => undefined);
    this.loads.add(load);
    void load.finally(() => this.loads.delete(load));
  }
}

/** The coordinator's settings from the broker's; the partition count is the topic's own once it exists. */
function coordinatorConfig(config: BrokerConfig, existing: TopicMetadata | undefined): Partial<TransactionCoordinatorConfig> {
  return {
    transactionStateLogNumPartitions: existing?.partitions.length ?? config.int('transaction.state.log.num.partitions'),
    transactionMaxTimeoutMs: config.int('transaction.max.timeout.ms'),
    transactionalIdExpirationMs: config.int('transactional.id.expiration.ms'),
    abortTimedOutTransactionsIntervalMs: config.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    removeExpiredTransactionalIdsIntervalMs: config.int('transaction.remove.expired.transaction.cleanup.interval.ms'),
  };
}
