/**
 * OffsetCommit (key 8), versions 0-9. As Kafka's KafkaApis: partitions of topics this cluster does not have are
 * answered UNKNOWN_TOPIC_OR_PARTITION here; the rest go to the group coordinator (generation and member checks,
 * retention, the append to `__consumer_offsets`), and the two answers are merged. When no partition is known the
 * coordinator is not asked at all, so the group is neither checked nor created.
 *
 * Difference from Kafka 3.9 in ZooKeeper mode: v0 commits are stored in `__consumer_offsets` like the others
 * (Kafka kept them in ZooKeeper).
 */
import { ApiKey, OffsetCommitResponse } from '@tributary/protocol';
import { answerEveryPartition, mergeTopics, splitKnownPartitions } from '../groups/known-partitions';
import { defineHandler } from './handler';

export const offsetCommitHandler = defineHandler({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  async handle(request, context) {
    const { known, refused } = splitKnownPartitions(context.services.metadata, request.topics);
    if (known.length === 0) return { throttleTimeMs: 0, topics: mergeTopics<OffsetCommitResponse.OffsetCommitResponseTopic>(refused, []) };
    const answered = await context.services.groups.coordinator.commitOffsets({ ...request, topics: known }, { apiVersion: context.apiVersion });
    return { ...answered, topics: mergeTopics(refused, answered.topics) };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: answerEveryPartition(request.topics, errorCode) };
  },
});
