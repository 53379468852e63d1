/**
 * DeleteRecords (key 21), versions 0-2.
 *
 * Behaviour, as Kafka 3.9 answers it (ReplicaManager.deleteRecordsOnLocalLog, Partition.deleteRecordsOnLeader):
 * moves the partition's log start offset up to the requested offset (-1: the high watermark) and answers the new
 * low watermark. Per partition: UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION for internal topics,
 * NOT_LEADER_OR_FOLLOWER, POLICY_VIOLATION when cleanup.policy has no `delete`, OFFSET_OUT_OF_RANGE for a
 * negative offset or one above the high watermark, KAFKA_STORAGE_ERROR; a failed partition's low watermark is -1.
 * A request for an offset at or below the current start changes nothing and answers the current start. The
 * standalone broker is the only replica, so the answer never waits for followers.
 */
import { ApiKey, DeleteRecordsResponse, ErrorCode, TributaryError } from '@tributary/protocol';
import { leaderPartition } from '../logs/leader-partition';
import { BrokerServices, defineHandler } from './handler';

const HIGH_WATERMARK = -1n;

type PartitionResult = DeleteRecordsResponse.DeleteRecordsPartitionResult;

export const deleteRecordsHandler = defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle(request, context) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => deleteRecords(context.services, topic.name, partition.partitionIndex, partition.offset)),
      })),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, lowWatermark: -1n, errorCode })),
      })),
    };
  },
});

function deleteRecords(services: BrokerServices, topicName: string, partitionIndex: number, offset: bigint): PartitionResult {
  const failed = (errorCode: number): PartitionResult => ({ partitionIndex, lowWatermark: -1n, errorCode });
  const topic = services.metadata.topic(topicName);
  if (!topic?.partitions[partitionIndex]) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (topic.isInternal) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION);
  const found = leaderPartition(services, topicName, partitionIndex);
  if (!found.ok) return failed(found.errorCode);
  const { log } = found;
  if (!log.config.cleanupPolicy.delete) return failed(ErrorCode.POLICY_VIOLATION);
  const target = offset === HIGH_WATERMARK ? log.highWatermark : offset;
  if (target < 0n) return failed(ErrorCode.OFFSET_OUT_OF_RANGE);
  try {
    return { partitionIndex, lowWatermark: log.deleteRecordsBefore(target), errorCode: ErrorCode.NONE };
  } catch (error) {
    if (error instanceof TributaryError) return failed(error.code);
    throw error;
  }
}
