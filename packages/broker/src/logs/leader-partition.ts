/**
 * Kafka's ReplicaManager.getPartitionOrException followed by the leader check, shared by the handlers that
 * read or change a partition's log on its leader: UNKNOWN_TOPIC_OR_PARTITION when the metadata does not know the
 * partition, NOT_LEADER_OR_FOLLOWER when it is not led from here, KAFKA_STORAGE_ERROR when its dir is offline.
 */
import { PartitionState, TopicMetadata } from '@tributary/metadata';
import { ErrorCode } from '@tributary/protocol';
import { KafkaStorageError, PartitionLog } from '@tributary/storage';
import type { BrokerServices } from '../handlers/handler';

export type LeaderPartition =
  | { ok: true; topic: TopicMetadata; state: PartitionState; log: PartitionLog }
  | { ok: false; errorCode: ErrorCode };

export function leaderPartition(services: BrokerServices, topicName: string, partitionIndex: number, options: { requireLeader?: boolean } = {}): LeaderPartition {
  const topic = services.metadata.topic(topicName);
  const state = topic?.partitions[partitionIndex];
  if (!topic || !state) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  let log: PartitionLog | undefined;
  try {
    log = services.logs.partition(topicName, partitionIndex);
  } catch (error) {
    if (error instanceof KafkaStorageError) return { ok: false, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
    throw error;
  }
  if (!log || ((options.requireLeader ?? true) && state.leaderId !== services.metadata.localBrokerId)) {
    return { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  }
  return { ok: true, topic, state, log };
}

/**
 * Kafka's check of the leader epoch a client believes current (KIP-320): older than ours is FENCED_LEADER_EPOCH,
 * newer is UNKNOWN_LEADER_EPOCH; -1 skips the check. Returns the error code, or undefined when it passes.
 */
export function checkCurrentLeaderEpoch(requested: number, state: PartitionState): ErrorCode | undefined {
  if (requested === -1) return undefined;
  if (requested < state.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (requested > state.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  return undefined;
}
