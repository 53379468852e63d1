/**
 * KIP-890's verification for TxnOffsetCommit, as Kafka 3.9's ReplicaManager.maybeStartTransactionVerificationForPartition
 * and AddPartitionsToTxnManager do it: before a transactional offset commit is appended to the group's
 * `__consumer_offsets` partition, the transaction coordinator must confirm that the partition is part of the
 * producer's ongoing transaction (AddOffsetsToTxn put it there). A late commit from a producer whose transaction
 * already ended would otherwise open a transaction in that partition that no marker ever closes, and hold its
 * last stable offset (and its compaction) back for good.
 *
 * - Skipped when `transaction.partition.verification.enable` is false, or when the partition's producer state
 *   already has an open transaction of this producer at this epoch (it was verified when it began).
 * - The coordinator of the transactional id is this broker's (standalone); while `__transaction_state` or its
 *   partition's leader does not exist: COORDINATOR_NOT_AVAILABLE, as Kafka finds no coordinator node.
 * - The coordinator's answers become what Kafka's manager makes of them: PRODUCER_FENCED is INVALID_PRODUCER_EPOCH;
 *   TRANSACTION_ABORTABLE stays so for v4+ clients and is INVALID_TXN_STATE for older ones; the rest pass (the
 *   group coordinator then maps them as Kafka's maybeConvertOffsetCommitError).
 *
 * Not kept: Kafka's verification guard, which refuses the append when a marker slipped in between the check and
 * the write. Here the check and the append run in one turn of the event loop, with no marker in between.
 */
import { ErrorCode, TxnOffsetCommitRequest } from '@tributary/protocol';
import { TransactionVerifier } from '@tributary/group-coordinator';
import { KafkaStorageError } from '@tributary/storage';
import type { BrokerServices } from '../handlers/handler';
import { OFFSETS_TOPIC } from '../groups/offsets-topic';
import { hasTransactionCoordinator } from './transaction-state-topic';

export function transactionalOffsetsVerifier(services: BrokerServices, request: TxnOffsetCommitRequest, apiVersion: number): TransactionVerifier {
  return (offsetsPartition) => {
    if (!services.config.bool('transaction.partition.verification.enable')) return ErrorCode.NONE;
    const producerId: bigint = request.producerId;
    const producerEpoch = request.producerEpoch;
    try {
      const log = services.logs.partition(OFFSETS_TOPIC, offsetsPartition);
      if (log === undefined) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
      if (log.hasOngoingTransaction(producerId, producerEpoch)) return ErrorCode.NONE;
    } catch (error) {
      if (error instanceof KafkaStorageError) return ErrorCode.KAFKA_STORAGE_ERROR;
      throw error;
    }

    const transactionalId: string = request.transactionalId;
    if (!hasTransactionCoordinator(services, transactionalId)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;

    const partition = { topic: OFFSETS_TOPIC, partition: offsetsPartition };
    const verified = services.transactions.coordinator.verifyPartitionsInTransaction(transactionalId, producerId, producerEpoch, [partition]).get(partition) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (verified === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (verified === ErrorCode.TRANSACTION_ABORTABLE && apiVersion < 4) return ErrorCode.INVALID_TXN_STATE;
    return verified;
  };
}
