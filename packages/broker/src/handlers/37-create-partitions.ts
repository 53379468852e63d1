/**
 * CreatePartitions (key 37), versions 0-3.
 * Behaviour, as Kafka 3.9 (ZooKeeper mode) answers: raises a topic's partition count; UNKNOWN_TOPIC_OR_PARTITION
 * for a missing topic, INVALID_PARTITIONS for a count not above the current one, INVALID_REPLICA_ASSIGNMENT when
 * the assignments do not match the new partitions or name unknown brokers, INVALID_REQUEST for a topic named
 * twice; validate_only checks without changing; timeout_ms <= 0 changes but answers REQUEST_TIMED_OUT.
 * New partitions get a log when the metadata tells the log layer.
 */
import { ApiKey, CreatePartitionsResponse, ErrorCode } from '@tributary/protocol';
import { defineHandler } from './handler';

type Result = CreatePartitionsResponse.CreatePartitionsTopicResult;

export const createPartitionsHandler = defineHandler({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(request, context) {
    const { metadata, logger } = context.services;
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const results: Result[] = [];
    for (const topic of request.topics) {
      if ((counts.get(topic.name) ?? 0) > 1) {
        if (!results.some((result) => result.name === topic.name)) {
          results.push({ name: topic.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic in request.' });
        }
        continue;
      }
      const assignments = topic.assignments?.map((assignment) => assignment.brokerIds) ?? null;
      const outcome = await metadata.createPartitions(topic.name, topic.count, assignments, { validateOnly: request.validateOnly });
      if (outcome.errorCode === ErrorCode.NONE && !request.validateOnly) {
        logger.info({ topic: topic.name, partitions: topic.count, clientId: context.clientId }, 'created partitions');
      }
      const timedOut = outcome.errorCode === ErrorCode.NONE && !request.validateOnly && request.timeoutMs <= 0;
      results.push({
        name: topic.name,
        errorCode: timedOut ? ErrorCode.REQUEST_TIMED_OUT : outcome.errorCode,
        errorMessage: timedOut ? null : outcome.errorMessage,
      });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode, errorMessage) {
    return { throttleTimeMs: 0, results: request.topics.map(({ name }) => ({ name, errorCode, errorMessage })) };
  },
});
