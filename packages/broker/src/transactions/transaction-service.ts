/**
 * The transaction coordinator as a broker service: builds the TransactionCoordinator over this broker's
 * `__transaction_state` logs, with producer ids from the cluster metadata's durable blocks and markers written
 * through the partition-side marker writer; loads every partition of the topic this broker leads (at start and
 * when the topic is created); and answers FindCoordinator's "who coordinates this transactional id", creating
 * the topic on first use as Kafka does (the partition bookkeeping is coordinators/coordinator-partitions.ts,
 * shared with the group coordinator).
 */
import { BrokerConfig, ClusterMetadata, TopicMetadata } from '@tributary/metadata';
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
import { CoordinatorPartitions } from '../coordinators/coordinator-partitions';
import { InternalTopicLog } from '../coordinators/internal-topic-log';
import { transactionStateTopicSpec } from './transaction-state-topic';

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
  private readonly partitions: CoordinatorPartitions;

  private constructor(options: TransactionServiceOptions) {
    const { metadata, logger } = options;
    this.coordinator = new TransactionCoordinator({
      log: new InternalTopicLog({ topic: TRANSACTION_STATE_TOPIC, logs: options.logs, metadata }),
      scheduler: options.scheduler,
      producerIds: new ProducerIdManager(metadata, (error) => logger.error({ err: error }, 'cannot reserve a block of producer ids')),
      markers: options.markers,
      config: coordinatorConfig(options.config(), metadata.topic(TRANSACTION_STATE_TOPIC)),
      logger,
      partitionExists: (topic, partition) => metadata.topic(topic)?.partitions[partition] !== undefined,
    });
    this.partitions = new CoordinatorPartitions({
      topic: transactionStateTopicSpec,
      coordinator: this.coordinator,
      metadata,
      config: options.config,
      logger,
    });
  }

  /** Builds the service, starts its timers, and begins loading the partitions this broker leads. */
  static start(options: TransactionServiceOptions): TransactionService {
    const service = new TransactionService(options);
    service.coordinator.startup();
    service.partitions.loadLedPartitions();
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
    return this.partitions.coordinatorNode(partition, listenerName);
  }

  /** Resolves once every partition load started so far has finished (for tests and orderly shutdown). */
  async loaded(): Promise<void> {
    await this.partitions.loaded();
  }

  shutdown(): void {
    this.partitions.close();
    this.coordinator.shutdown();
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
