/**
 * OffsetDelete (key 47), version 0 (KIP-496): removes a group's committed offsets of partitions it no longer
 * consumes. As Kafka's KafkaApis: partitions of unknown topics are answered UNKNOWN_TOPIC_OR_PARTITION here, the
 * rest by the group coordinator (GROUP_SUBSCRIBED_TO_TOPIC while the group consumes the topic), which is asked
 * even when nothing is left, so the group-level error still comes back.
 */
import { ApiKey } from '@tributary/protocol';
import { mergeTopics, splitKnownPartitions } from '../groups/known-partitions';
import { defineHandler } from './handler';

export const offsetDeleteHandler = defineHandler({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, context) {
    const { known, refused } = splitKnownPartitions(context.services.metadata, request.topics);
    const answered = await context.services.groups.coordinator.deleteOffsets({ ...request, topics: known });
    return { ...answered, topics: mergeTopics(refused, answered.topics) };
  },
  errorResponse(_request, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
});
