/**
 * KIP-890 part 1 as Kafka 3.9 applies it on Produce (`transaction.partition.verification.enable`, on by
 * default): before a transactional batch is appended, the partition leader asks the transaction coordinator
 * whether the partition is in the producer's ongoing transaction, so that a batch sent without
 * AddPartitionsToTxn (or after the transaction ended) cannot leave a transaction hanging open on the partition.
 *
 * Kafka asks with AddPartitionsToTxn v4 verifyOnly; here the coordinator of every transactional id is this
 * broker, so it is asked directly. The coordinator's answers are translated for the producer as Kafka's
 * ReplicaManager and AddPartitionsToTxnManager translate them: not in the transaction → INVALID_TXN_STATE;
 * PRODUCER_FENCED → INVALID_PRODUCER_EPOCH; retriable coordinator states → NOT_ENOUGH_REPLICAS (which every
 * client retries without refreshing metadata).
 */
import { BatchField, ErrorCode } from '@tributary/protocol';
import { PartitionLog } from '@tributary/storage';
import { TopicPartition, TransactionCoordinator } from '@tributary/txn-coordinator';
import type { BrokerServices } from '../handlers/handler';
import { hasTransactionCoordinator } from './transaction-state-topic';

const RETRIABLE_FOR_PRODUCER = new Set<number>([
  ErrorCode.CONCURRENT_TRANSACTIONS,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);

/** The error a Produce answers for each partition that failed verification; partitions that passed are absent. */
export function verifyTransactionalProduce(
  coordinator: Pick<TransactionCoordinator, 'verifyPartitionsInTransaction'>,
  transactionalId: string,
  producerId: bigint,
  producerEpoch: number,
  partitions: readonly TopicPartition[],
): Map<TopicPartition, ErrorCode> {
  const failed = new Map<TopicPartition, ErrorCode>();
  const verified = coordinator.verifyPartitionsInTransaction(transactionalId, producerId, producerEpoch, partitions);
  for (const [tp, errorCode] of verified) {
    if (errorCode === ErrorCode.NONE) continue;
    failed.set(tp, producerError(errorCode));
  }
  return failed;
}

function producerError(errorCode: ErrorCode): ErrorCode {
  if (errorCode === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
  // Produce v11 and older (all Kafka 3.9 serves) predate TRANSACTION_ABORTABLE in produce answers.
  if (errorCode === ErrorCode.TRANSACTION_ABORTABLE) return ErrorCode.INVALID_TXN_STATE;
  if (RETRIABLE_FOR_PRODUCER.has(errorCode)) return ErrorCode.NOT_ENOUGH_REPLICAS;
  return errorCode;
}

/**
 * The error Produce answers for transactional `records` (v2 batches, transactional bit set) on `log`, or NONE
 * when they may be appended. Only a producer's first transactional batch on a partition is asked about, as
 * Kafka does: once its transaction is open here (at this epoch), it was verified when it began. Check and append
 * run in one turn of the event loop, so no marker can slip in between them (Kafka needs a verification guard
 * for that).
 */
export function verifyProducedTransaction(services: BrokerServices, transactionalId: string, records: Buffer, log: PartitionLog): ErrorCode {
  if (!services.config.bool('transaction.partition.verification.enable')) return ErrorCode.NONE;
  const producerId = records.readBigInt64BE(BatchField.PRODUCER_ID);
  const producerEpoch = records.readInt16BE(BatchField.PRODUCER_EPOCH);
  if (log.hasOngoingTransaction(producerId, producerEpoch)) return ErrorCode.NONE;
  // No coordinator to ask: Kafka's manager answers COORDINATOR_NOT_AVAILABLE, which the producer retries.
  if (!hasTransactionCoordinator(services, transactionalId)) return producerError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  const tp: TopicPartition = { topic: log.topic, partition: log.partition };
  return verifyTransactionalProduce(services.transactions.coordinator, transactionalId, producerId, producerEpoch, [tp]).get(tp) ?? ErrorCode.NONE;
}
