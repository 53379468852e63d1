/**
 * DeleteTopics (key 20), versions 0-6.
 * Behaviour, as Kafka 3.9 (ZooKeeper mode) answers:
 * - v0-5 name topics (topic_names); v6 names them or gives their ids (topics[]); an entry with both makes the
 *   whole request INVALID_REQUEST, every entry answered with that error;
 * - an unknown name is UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID, without a message;
 * - with `delete.topic.enable=false` every topic is TOPIC_DELETION_DISABLED;
 * - timeout_ms <= 0 deletes but answers REQUEST_TIMED_OUT for the deleted topics, as Kafka.
 * The answer carries the name of a deleted topic, and its id when the request gave the id (v6). Partition logs are removed by the log layer
 * when the metadata tells its listeners.
 */
import { ApiKey, DeleteTopicsResponse, ErrorCode, TopicName, Uuid, ZERO_UUID } from '@tributary/protocol';
import { defineHandler } from './handler';

type Result = DeleteTopicsResponse.DeletableTopicResult;

export const deleteTopicsHandler = defineHandler({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(request, context) {
    const { metadata, config, logger } = context.services;
    const targets: { name: TopicName | null; topicId: Uuid }[] =
      context.apiVersion >= 6 ? request.topics.map(({ name, topicId }) => ({ name, topicId })) : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    if (targets.some((target) => target.name !== null && target.topicId !== ZERO_UUID)) {
      // Kafka rejects the whole request (InvalidRequestException) and answers every entry with that error.
      return { throttleTimeMs: 0, responses: targets.map(({ name, topicId }) => ({ name, topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: null })) };
    }
    const results: Result[] = [];
    const seen = new Set<string>();
    for (const target of targets) {
      const key = target.name ?? target.topicId;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!config.bool('delete.topic.enable')) {
        results.push({ ...target, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: null });
        continue;
      }
      const outcome = await metadata.deleteTopic(target.name !== null ? { name: target.name } : { topicId: target.topicId });
      if (outcome.errorCode === ErrorCode.NONE) logger.info({ topic: outcome.name, topicId: outcome.topicId, clientId: context.clientId }, 'deleted topic');
      const timedOut = outcome.errorCode === ErrorCode.NONE && request.timeoutMs <= 0;
      results.push({
        name: outcome.name,
        // Kafka echoes the id only when the request named the topic by id.
        topicId: target.topicId,
        errorCode: timedOut ? ErrorCode.REQUEST_TIMED_OUT : outcome.errorCode,
        errorMessage: outcome.errorMessage,
      });
    }
    return { throttleTimeMs: 0, responses: results };
  },
  errorResponse(request, errorCode, errorMessage) {
    const targets = request.topicNames.length > 0 ? request.topicNames.map((name) => ({ name, topicId: ZERO_UUID })) : request.topics;
    return { throttleTimeMs: 0, responses: targets.map(({ name, topicId }) => ({ name, topicId, errorCode, errorMessage })) };
  },
});
