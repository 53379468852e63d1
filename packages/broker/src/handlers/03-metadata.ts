/**
 * Metadata (key 3), versions 0-12.
 * Behaviour, as Kafka 3.9 (ZooKeeper mode) answers:
 * - the brokers' endpoints on the request's listener, the cluster id (v2+), the controller (v1+);
 * - all topics when the request's list is null (v1+) or empty (v0); otherwise the named ones, each once;
 * - a missing topic is auto-created when the broker's `auto.create.topics.enable` and the request's
 *   allow_auto_topic_creation (v4+; always on before) both allow it: it gets `num.partitions` and
 *   `default.replication.factor`, and this response reports LEADER_NOT_AVAILABLE for it with no partitions (the
 *   client asks again and then sees it); an illegal name is INVALID_TOPIC_EXCEPTION; without auto-creation a
 *   missing topic is UNKNOWN_TOPIC_OR_PARTITION;
 * - v10-11 name topics only: a request carrying a topic id there is refused whole, in Kafka's error form
 *   (no brokers, every topic INVALID_REQUEST). v12 may
 *   name topics by id (an unknown id is UNKNOWN_TOPIC_ID); lookups by id never auto-create;
 * - authorized operations: without an authorizer, every operation the resource supports when asked,
 *   otherwise Integer.MIN_VALUE.
 * Difference from Kafka: internal topics (__consumer_offsets, __transaction_state) are not auto-created from a
 * Metadata request; their coordinators create them.
 */
import { ApiKey, BrokerId, ErrorCode, MetadataRequest, MetadataResponse, TopicName, ZERO_UUID, asBrokerId } from '@tributary/protocol';
import { INTERNAL_TOPICS, TopicMetadata, topicNameProblem } from '@tributary/metadata';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_OPERATIONS, TOPIC_OPERATIONS } from './authorized-operations';
import { brokersOnListener } from './broker-endpoints';
import { RequestContext, defineHandler } from './handler';

type ResponseTopic = MetadataResponse.MetadataResponseTopic;

export const metadataHandler = defineHandler({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(request, context) {
    const { metadata } = context.services;
    const version = context.apiVersion;
    if (version < 12 && (request.topics ?? []).some((topic) => topic.name === null || topic.topicId !== ZERO_UUID)) {
      // Kafka rejects the whole request (InvalidRequestException) and answers with its error form.
      return metadataErrorResponse(request, ErrorCode.INVALID_REQUEST);
    }
    const topicOperations = request.includeTopicAuthorizedOperations ? TOPIC_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    const topics = await answerTopics(request, context, topicOperations);
    return {
      throttleTimeMs: 0,
      brokers: brokersOnListener(metadata, context.connection.listenerName).map(({ brokerId, host, port, rack }) => ({ nodeId: brokerId, host, port, rack })),
      clusterId: metadata.clusterId,
      controllerId: metadata.controllerId(),
      topics,
      clusterAuthorizedOperations:
        version >= 8 && version <= 10 && request.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
  errorResponse(request, errorCode) {
    return metadataErrorResponse(request, errorCode);
  },
});

/** As Kafka's MetadataRequest.getErrorResponse: no brokers, no controller, every requested topic with the error. */
function metadataErrorResponse(request: MetadataRequest, errorCode: number): MetadataResponse {
  return {
    throttleTimeMs: 0,
    brokers: [],
    clusterId: null,
    controllerId: asBrokerId(-1),
    topics: (request.topics ?? []).map((topic) => ({ ...errorTopic(errorCode, topic.name, AUTHORIZED_OPERATIONS_OMITTED), topicId: topic.topicId })),
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

async function answerTopics(request: MetadataRequest, context: RequestContext, topicOperations: number): Promise<ResponseTopic[]> {
  const { metadata, config } = context.services;
  const version = context.apiVersion;
  const allTopics = request.topics === null || (version === 0 && request.topics.length === 0);
  if (allTopics) return metadata.topics().map((topic) => describeTopic(topic, topicOperations));

  const requested = request.topics ?? [];

  const byId = requested.filter((topic) => topic.topicId !== ZERO_UUID);
  if (byId.length > 0) {
    return unique(byId.map((topic) => topic.topicId)).map((topicId) => {
      const topic = metadata.topicById(topicId);
      if (topic) return describeTopic(topic, topicOperations);
      return { ...errorTopic(ErrorCode.UNKNOWN_TOPIC_ID, null, topicOperations), topicId };
    });
  }

  const autoCreate = config.bool('auto.create.topics.enable') && (version < 4 || request.allowAutoTopicCreation);
  const names = unique(requested.map((topic) => topic.name as TopicName));
  const answers: ResponseTopic[] = [];
  for (const name of names) {
    const topic = metadata.topic(name);
    if (topic) {
      answers.push(describeTopic(topic, topicOperations));
    } else if (topicNameProblem(name) !== undefined) {
      answers.push(errorTopic(ErrorCode.INVALID_TOPIC_EXCEPTION, name, topicOperations));
    } else if (!autoCreate || INTERNAL_TOPICS.has(name)) {
      answers.push(errorTopic(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicOperations));
    } else {
      answers.push(await autoCreateTopic(name, context, topicOperations));
    }
  }
  return answers;
}

async function autoCreateTopic(name: TopicName, context: RequestContext, topicOperations: number): Promise<ResponseTopic> {
  const { metadata, logger } = context.services;
  const outcome = await metadata.createTopic({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: new Map() }, { validateOnly: false });
  if (outcome.errorCode === ErrorCode.NONE) {
    logger.info({ topic: name, partitions: outcome.topic?.partitions.length, clientId: context.clientId }, 'auto-created topic');
    return errorTopic(ErrorCode.LEADER_NOT_AVAILABLE, name, topicOperations);
  }
  // Another request created it meanwhile: Kafka answers LEADER_NOT_AVAILABLE then too.
  const error = outcome.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS ? ErrorCode.LEADER_NOT_AVAILABLE : outcome.errorCode;
  return errorTopic(error, name, topicOperations);
}

/**
 * Described topics, by the immutable TopicMetadata they describe: a change to a topic makes a new
 * TopicMetadata, so an entry can never be stale, and a busy cluster's Metadata requests stop re-building the
 * same partition lists (the encoder only reads them).
 */
const described = new WeakMap<TopicMetadata, Map<number, ResponseTopic>>();

function describeTopic(topic: TopicMetadata, topicOperations: number): ResponseTopic {
  let byOperations = described.get(topic);
  if (!byOperations) {
    byOperations = new Map();
    described.set(topic, byOperations);
  }
  let answer = byOperations.get(topicOperations);
  if (!answer) {
    answer = buildTopic(topic, topicOperations);
    byOperations.set(topicOperations, answer);
  }
  return answer;
}

function buildTopic(topic: TopicMetadata, topicOperations: number): ResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.isInternal,
    partitions: topic.partitions.map((partition) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: partition.partitionIndex,
      leaderId: partition.leaderId,
      leaderEpoch: partition.leaderEpoch,
      replicaNodes: [...partition.replicas],
      isrNodes: [...partition.isr],
      offlineReplicas: [...partition.offlineReplicas] as BrokerId[],
    })),
    topicAuthorizedOperations: topicOperations,
  };
}

function errorTopic(errorCode: ErrorCode, name: TopicName | null, topicOperations: number): ResponseTopic {
  return {
    errorCode,
    name,
    topicId: ZERO_UUID,
    isInternal: name !== null && INTERNAL_TOPICS.has(name),
    partitions: [],
    topicAuthorizedOperations: topicOperations,
  };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
