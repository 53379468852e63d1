/**
 * `__transaction_state` as the transaction coordinator's internal topic is created the first time a client looks
 * for a transaction coordinator, with the settings Kafka gives it (TransactionStateManager.transactionTopicConfigs):
 * `transaction.state.log.num.partitions` partitions, compacted, uncompressed, no unclean leader election, segments
 * of `transaction.state.log.segment.bytes`, min ISR `transaction.state.log.min.isr`.
 *
 * Replication factor: as for `__consumer_offsets`, `transaction.state.log.replication.factor` capped at the number
 * of live brokers so that a standalone broker serves transactions with default settings (see
 * coordinators/internal-topic-creator.ts); the min ISR is capped at the factor the topic gets, since a min ISR
 * above the replica count would refuse every write.
 */
import { partitionFor } from '@tributary/group-coordinator';
import { TRANSACTION_STATE_TOPIC } from '@tributary/txn-coordinator';
import { InternalTopicSpec } from '../coordinators/internal-topic-creator';
import type { BrokerServices } from '../handlers/handler';

export const transactionStateTopicSpec: InternalTopicSpec = {
  name: TRANSACTION_STATE_TOPIC,
  numPartitions: (config) => config.int('transaction.state.log.num.partitions'),
  replicationFactor: (config) => config.int('transaction.state.log.replication.factor'),
  configs: (config, replicationFactor) =>
    new Map([
      ['unclean.leader.election.enable', 'false'],
      ['compression.type', 'uncompressed'],
      ['cleanup.policy', 'compact'],
      ['min.insync.replicas', String(Math.min(config.int('transaction.state.log.min.isr'), replicationFactor))],
      ['segment.bytes', String(config.int('transaction.state.log.segment.bytes'))],
    ]),
};

/**
 * Whether `transactionalId`'s `__transaction_state` partition has a leader, i.e. a coordinator KIP-890's
 * verification (Produce, TxnOffsetCommit) can ask. Without one Kafka's AddPartitionsToTxnManager answers
 * COORDINATOR_NOT_AVAILABLE.
 */
export function hasTransactionCoordinator(services: BrokerServices, transactionalId: string): boolean {
  const stateTopic = services.metadata.topic(TRANSACTION_STATE_TOPIC);
  const leader = stateTopic?.partitions[partitionFor(transactionalId, services.transactions.transactionPartitions)]?.leaderId;
  return leader !== undefined && leader >= 0;
}
