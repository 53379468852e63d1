/**
 * OffsetForLeaderEpoch (key 23), versions 0-4.
 *
 * Behaviour, as Kafka 3.9 answers it (Partition.lastOffsetForLeaderEpoch, LeaderEpochFileCache.endOffsetFor):
 * the end offset of the requested epoch, i.e. the start offset of the next epoch the leader knows, with the
 * epoch it found:
 * - the latest epoch (the one being written) ends at the log end offset;
 * - an epoch between two known ones is answered with the largest known epoch below it and the start of the
 *   next one;
 * - an epoch older than every known one is answered as itself, ending where the first known epoch starts;
 * - UNDEFINED (-1), an epoch newer than the latest, or an empty epoch cache: no error, epoch -1, offset -1.
 * Per partition: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER (except for the debugging replica id -2,
 * which v0-v2 imply), KAFKA_STORAGE_ERROR, and from v2 the current leader epoch check (FENCED_LEADER_EPOCH,
 * UNKNOWN_LEADER_EPOCH).
 */
import { ApiKey, ErrorCode, OffsetForLeaderEpochResponse } from '@tributary/protocol';
import { PartitionLog } from '@tributary/storage';
import { checkCurrentLeaderEpoch, leaderPartition } from '../logs/leader-partition';
import { defineHandler } from './handler';

const UNDEFINED_EPOCH = -1;
const DEBUGGING_REPLICA_ID = -2;

type EpochEndOffset = OffsetForLeaderEpochResponse.EpochEndOffset;

export const offsetForLeaderEpochHandler = defineHandler({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle(request, context) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        topic: topic.topic,
        partitions: topic.partitions.map((partition): EpochEndOffset => {
          const answer = (errorCode: number, leaderEpoch = UNDEFINED_EPOCH, endOffset = -1n): EpochEndOffset => ({ errorCode, partition: partition.partition, leaderEpoch, endOffset });
          const found = leaderPartition(context.services, topic.topic, partition.partition, { requireLeader: request.replicaId !== DEBUGGING_REPLICA_ID });
          if (!found.ok) return answer(found.errorCode);
          const epochError = context.apiVersion >= 2 ? checkCurrentLeaderEpoch(partition.currentLeaderEpoch, found.state) : undefined;
          if (epochError !== undefined) return answer(epochError);
          const end = endOffsetForEpoch(found.log, partition.leaderEpoch);
          return end ? answer(ErrorCode.NONE, end.epoch, end.endOffset) : answer(ErrorCode.NONE);
        }),
      })),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        topic: topic.topic,
        partitions: topic.partitions.map((partition) => ({ errorCode, partition: partition.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: -1n })),
      })),
    };
  },
});

/** LeaderEpochFileCache.endOffsetFor over the log's epoch cache; undefined where Kafka answers UNDEFINED. */
function endOffsetForEpoch(log: PartitionLog, requested: number): { epoch: number; endOffset: bigint } | undefined {
  const entries = log.leaderEpochCache.all;
  if (requested === UNDEFINED_EPOCH || entries.length === 0) return undefined;
  const latest = entries[entries.length - 1];
  if (latest.epoch === requested) return { epoch: requested, endOffset: log.logEndOffset };
  const higher = entries.find((entry) => entry.epoch > requested);
  if (!higher) return undefined;
  const floor = [...entries].reverse().find((entry) => entry.epoch <= requested);
  return floor ? { epoch: floor.epoch, endOffset: higher.startOffset } : { epoch: requested, endOffset: higher.startOffset };
}
