/**
 * DescribeProducers (key 61), version 0 — what `kafka-transactions.sh describe-producers` asks.
 *
 * Behaviour, as Kafka 3.9 answers it (KafkaApis.handleDescribeProducersRequest, ReplicaManager.activeProducerState,
 * Partition.activeProducerState):
 * - per topic first: an illegal name is INVALID_TOPIC_EXCEPTION with the name rule as message; a topic the
 *   metadata does not know is UNKNOWN_TOPIC_OR_PARTITION with Kafka's default message. Every requested partition
 *   of such a topic carries that error;
 * - per partition: UNKNOWN_TOPIC_OR_PARTITION for a partition the metadata does not know, KAFKA_STORAGE_ERROR when
 *   its log dir is offline, NOT_LEADER_OR_FOLLOWER when this broker holds no log for it (no message for these);
 * - otherwise every producer the partition's log knows (followers answer too, as Kafka's Partition reads its local
 *   log): id, epoch, last sequence (-1 when no batch of the epoch is retained), last timestamp, the coordinator
 *   epoch of its last marker (-1 before any) and the first offset of its open transaction (-1 when none).
 * Without an authorizer there is no TOPIC_AUTHORIZATION_FAILED. Topics and partitions are answered in request order.
 */
import { topicNameProblem } from '@tributary/metadata';
import { ApiKey, DescribeProducersResponse, ErrorCode, asProducerId } from '@tributary/protocol';
import { leaderPartition } from '../logs/leader-partition';
import { defineHandler } from './handler';

/** Kafka's default message for UNKNOWN_TOPIC_OR_PARTITION (Errors.UNKNOWN_TOPIC_OR_PARTITION.message()). */
const UNKNOWN_TOPIC_MESSAGE = 'This server does not host this topic-partition.';

type PartitionResponse = DescribeProducersResponse.PartitionResponse;

export const describeProducersHandler = defineHandler({
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(request, context) {
    const { services } = context;
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => {
        const topicError = topicProblem(topic.name, services.metadata.topic(topic.name) !== undefined);
        return {
          name: topic.name,
          partitions: topic.partitionIndexes.map((index): PartitionResponse => {
            if (topicError) return { ...failure(index, topicError.errorCode), errorMessage: topicError.errorMessage };
            const found = leaderPartition(services, topic.name, index, { requireLeader: false });
            if (!found.ok) return failure(index, found.errorCode);
            return {
              partitionIndex: index,
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              activeProducers: found.log.activeProducers().map((producer) => ({
                producerId: asProducerId(producer.producerId),
                producerEpoch: producer.producerEpoch,
                lastSequence: producer.lastSequence,
                lastTimestamp: BigInt(producer.lastTimestamp),
                coordinatorEpoch: producer.coordinatorEpoch,
                currentTxnStartOffset: producer.currentTxnStartOffset,
              })),
            };
          }),
        };
      }),
    };
  },
});

function topicProblem(name: string, known: boolean): { errorCode: ErrorCode; errorMessage: string } | undefined {
  const illegal = topicNameProblem(name);
  if (illegal !== undefined) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: illegal };
  if (!known) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: UNKNOWN_TOPIC_MESSAGE };
  return undefined;
}

function failure(partitionIndex: number, errorCode: ErrorCode): PartitionResponse {
  return { partitionIndex, errorCode, errorMessage: null, activeProducers: [] };
}
