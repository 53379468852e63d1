/**
 * CreateTopics (key 19), versions 0-7.
 * Behaviour, as Kafka 3.9 (ZooKeeper mode) answers:
 * - per topic: INVALID_TOPIC_EXCEPTION (name rules), TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
 *   INVALID_REPLICATION_FACTOR (more than the live brokers), INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG
 *   (unknown topic config or a bad value), INVALID_REQUEST (a name given twice; partitions or replication
 *   factor given together with an explicit assignment; a null config value), each with Kafka's message (v1+);
 * - num_partitions / replication_factor -1 take the broker's `num.partitions` / `default.replication.factor`;
 * - validate_only (v1+) checks everything and reports what would be created, creating nothing;
 * - v5+ answers the partition count, replication factor and every topic config with its value and source;
 *   v7+ the new topic's id (zero for validate_only, as Kafka);
 * - timeout_ms <= 0 without validate_only creates the topics but answers REQUEST_TIMED_OUT for them, because
 *   Kafka does not wait for the new metadata to spread then.
 * Partition logs are created by the log layer when the metadata tells its listeners about the new topic.
 */
import { ApiKey, CreateTopicsRequest, CreateTopicsResponse, ErrorCode, TopicName, ZERO_UUID } from '@tributary/protocol';
import { TopicMetadata, resolveTopicConfigs } from '@tributary/metadata';
import { RequestContext, defineHandler } from './handler';

type Result = CreateTopicsResponse.CreatableTopicResult;

export const createTopicsHandler = defineHandler({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(request, context) {
    const counts = new Map<string, number>();
    for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
    const results: Result[] = [];
    for (const topic of request.topics) {
      // Kafka answers every entry of a name given more than once, and creates none of them.
      if ((counts.get(topic.name) ?? 0) > 1) results.push(errorResult(topic.name, ErrorCode.INVALID_REQUEST, 'Found multiple entries for this topic.'));
      else results.push(await createOne(topic, request, context));
    }
    return { throttleTimeMs: 0, topics: results };
  },
  errorResponse(request, errorCode, errorMessage) {
    return { throttleTimeMs: 0, topics: request.topics.map((topic) => errorResult(topic.name, errorCode, errorMessage)) };
  },
});

async function createOne(topic: CreateTopicsRequest.CreatableTopic, request: CreateTopicsRequest, context: RequestContext): Promise<Result> {
  const { metadata, logger } = context.services;
  const outcome = await metadata.createTopic(
    {
      name: topic.name,
      numPartitions: topic.numPartitions,
      replicationFactor: topic.replicationFactor,
      assignments: topic.assignments,
      configs: new Map(topic.configs.map((config) => [config.name, config.value])),
    },
    { validateOnly: request.validateOnly },
  );
  if (outcome.errorCode !== ErrorCode.NONE || !outcome.topic) {
    return errorResult(topic.name, outcome.errorCode, outcome.errorMessage);
  }
  if (!request.validateOnly) {
    logger.info({ topic: topic.name, topicId: outcome.topic.topicId, partitions: outcome.topic.partitions.length, clientId: context.clientId }, 'created topic');
  }
  const created = describeCreated(outcome.topic, request.validateOnly, context);
  if (request.timeoutMs <= 0 && !request.validateOnly) {
    // Kafka keeps the new topic's id but none of its details in this answer.
    return { ...errorResult(topic.name, ErrorCode.REQUEST_TIMED_OUT, null), topicId: created.topicId };
  }
  return created;
}

function describeCreated(topic: TopicMetadata, validateOnly: boolean, context: RequestContext): Result {
  const withDetails = context.apiVersion >= 5;
  return {
    name: topic.name,
    topicId: validateOnly ? ZERO_UUID : topic.topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: withDetails ? topic.partitions.length : -1,
    replicationFactor: withDetails ? (topic.partitions[0]?.replicas.length ?? -1) : -1,
    configs: withDetails
      ? resolveTopicConfigs(topic.configs, context.services.config).map((config) => ({
          name: config.name,
          value: config.value,
          readOnly: false,
          configSource: config.source,
          isSensitive: false,
        }))
      : [],
  };
}

function errorResult(name: TopicName, errorCode: number, errorMessage: string | null): Result {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  };
}
