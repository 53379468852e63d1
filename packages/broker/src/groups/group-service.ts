/**
 * The group coordinator as a broker service: builds the GroupCoordinator over this broker's `__consumer_offsets`
 * logs, loads every partition of that topic this broker leads (at start, and when the topic is created), and
 * answers FindCoordinator's question "who leads partition p" with the endpoint on the asking listener (the
 * partition bookkeeping is coordinators/coordinator-partitions.ts, shared with the transaction coordinator).
 */
import { BrokerConfig, ClusterMetadata, TopicMetadata } from '@tributary/metadata';
import {
  CoordinatorLocator,
  CoordinatorType,
  GroupCoordinator,
  GroupCoordinatorConfig,
  Scheduler,
} from '@tributary/group-coordinator';
import { Logger } from '../logger';
import type { LogService } from '../logs/log-service';
import { CoordinatorPartitions } from '../coordinators/coordinator-partitions';
import { InternalTopicLog } from '../coordinators/internal-topic-log';
import { OFFSETS_TOPIC, offsetsTopicSpec } from './offsets-topic';

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
  private readonly partitions: CoordinatorPartitions;

  private constructor(private readonly options: GroupServiceOptions) {
    const { metadata } = options;
    const config = options.config();
    this.coordinator = new GroupCoordinator({
      log: new InternalTopicLog({ topic: OFFSETS_TOPIC, logs: options.logs, metadata }),
      scheduler: options.scheduler,
      config: coordinatorConfig(config, metadata.topic(OFFSETS_TOPIC)),
    });
    this.partitions = new CoordinatorPartitions({
      topic: offsetsTopicSpec,
      coordinator: this.coordinator,
      metadata,
      config: options.config,
      logger: options.logger,
    });
  }

  /** Builds the service, starts offset expiry, and begins loading the partitions this broker leads. */
  static start(options: GroupServiceOptions): GroupService {
    const service = new GroupService(options);
    service.coordinator.startup();
    service.partitions.loadLedPartitions();
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
        return this.partitions.coordinatorNode(partition, listenerName);
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
    await this.partitions.loaded();
  }

  shutdown(): void {
    this.partitions.close();
    this.coordinator.shutdown();
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
