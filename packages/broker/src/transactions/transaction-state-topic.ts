/**
 * Creating `__transaction_state` the first time a client looks for a transaction coordinator, with the settings
 * Kafka gives it (TransactionStateManager.transactionTopicConfigs): `transaction.state.log.num.partitions`
 * partitions, compacted, uncompressed, no unclean leader election, segments of
 * `transaction.state.log.segment.bytes`, min ISR `transaction.state.log.min.isr`.
 *
 * Replication factor: as for `__consumer_offsets` (see groups/offsets-topic.ts), capped at the number of live
 * brokers so that a standalone broker serves transactions with default settings; the min ISR is capped at the
 * same number, since a min ISR above the replica count would refuse every write.
 */
import { ErrorCode } from '@tributary/protocol';
import { BrokerConfig, ClusterMetadata } from '@tributary/metadata';
import { TRANSACTION_STATE_TOPIC } from '@tributary/txn-coordinator';
import { Logger } from '../logger';

export class TransactionStateTopicCreator {
  private creating: Promise<void> | undefined;

  constructor(
    private readonly metadata: ClusterMetadata,
    private readonly config: () => BrokerConfig,
    private readonly logger: Logger,
  ) {}

  /** Starts creating the topic unless it exists or is being created; callers answer COORDINATOR_NOT_AVAILABLE meanwhile. */
  ensure(): Promise<void> {
    if (this.metadata.topic(TRANSACTION_STATE_TOPIC) !== undefined) return Promise.resolve();
    this.creating ??= this.create().finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  private async create(): Promise<void> {
    const config = this.config();
    const liveBrokers = Math.max(1, this.metadata.brokers().length);
    const replicationFactor = Math.min(config.int('transaction.state.log.replication.factor'), liveBrokers);
    const outcome = await this.metadata.createTopic(
      {
        name: TRANSACTION_STATE_TOPIC,
        numPartitions: config.int('transaction.state.log.num.partitions'),
        replicationFactor,
        assignments: [],
        configs: new Map([
          ['unclean.leader.election.enable', 'false'],
          ['compression.type', 'uncompressed'],
          ['cleanup.policy', 'compact'],
          ['min.insync.replicas', String(Math.min(config.int('transaction.state.log.min.isr'), replicationFactor))],
          ['segment.bytes', String(config.int('transaction.state.log.segment.bytes'))],
        ]),
      },
      { validateOnly: false },
    );
    // TOPIC_ALREADY_EXISTS is a race with another creator and fine; anything else is logged and retried on the
    // next FindCoordinator.
    if (outcome.errorCode !== ErrorCode.NONE && outcome.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      this.logger.error({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage }, `cannot create ${TRANSACTION_STATE_TOPIC}`);
    } else if (outcome.errorCode === ErrorCode.NONE) {
      this.logger.info({ partitions: outcome.topic?.partitions.length }, `created ${TRANSACTION_STATE_TOPIC}`);
    }
  }
}
