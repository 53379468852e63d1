/**
 * Produce (key 0), versions 0-11.
 *
 * Behaviour, as Kafka 3.9's KafkaApis.handleProduceRequest and ReplicaManager.appendToLocalLog answer it:
 * - per partition, in this order: UNKNOWN_TOPIC_OR_PARTITION for a partition the metadata does not know; the
 *   request-version rules on the records (v3+: one batch of magic 2, zstd from v7); INVALID_REQUIRED_ACKS when
 *   acks is not -1, 0 or 1; INVALID_TOPIC_EXCEPTION for an internal topic unless the client id is
 *   `__admin_client`; NOT_LEADER_OR_FOLLOWER (with the current leader, v10+) where this broker is not the
 *   leader; KAFKA_STORAGE_ERROR for an offline log dir; NOT_ENOUGH_REPLICAS for acks=-1 below
 *   min.insync.replicas; then the record rules (see produce/prepare-records.ts) and storage's (CORRUPT_MESSAGE,
 *   MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_RECORD, INVALID_TIMESTAMP with record errors v8+);
 * - a failed partition answers base offset -1 and log append time -1; its log start offset is -1 for the
 *   errors Kafka raises before it looks at the log (and for corrupt, too large and storage errors, as Kafka
 *   does), else the partition's; only record errors carry an error message;
 * - success: the base offset, the log append time (-1 under CreateTime) and the log start offset;
 * - acks=0: no response, unless a partition failed, then the connection is closed, as Kafka does;
 * - acks=-1 on a standalone broker is acks=1: this broker is the only replica, so an append is committed once
 *   written. The timeout therefore never expires;
 * - transactional batches without a transactional id: TRANSACTIONAL_ID_AUTHORIZATION_FAILED on every partition;
 * - KIP-890 part 1 (`transaction.partition.verification.enable`, default true): a producer's first transactional
 *   batch on a partition is checked with the transaction coordinator; not in the transaction → INVALID_TXN_STATE,
 *   fenced → INVALID_PRODUCER_EPOCH, coordinator busy or absent → NOT_ENOUGH_REPLICAS (see
 *   transactions/produce-verification.ts), with log start offset -1;
 * - idempotent and transactional batches go through storage's producer state (Kafka's ProducerAppendInfo):
 *   OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE, answered like any other append
 *   failure after the log was found (the partition's log start offset, no message). A retry of one of the
 *   producer's last five batches is not written again: it succeeds with the original base offset and, as
 *   Kafka's duplicate path sets it, the original batch's max timestamp as log append time;
 * - auto.create.topics.enable does not apply: a Kafka 3.x broker creates topics from Metadata only.
 * Partitions are answered in request order (Kafka's order is its hash map's); a partition named twice is appended
 * and answered once, with the records named last, as Kafka's map of partitions does.
 */
import { ApiKey, ErrorCode, ProduceRequest, ProduceResponse, TributaryError, asBrokerId } from '@tributary/protocol';
import { PartitionState, TopicMetadata } from '@tributary/metadata';
import { KafkaStorageError, PartitionLog } from '@tributary/storage';
import { appendSettings } from '../produce/append-settings';
import { checkRecordsForVersion, isTransactional, prepareProducedRecords } from '../produce/prepare-records';
import { RecordValidationError } from '../produce/produce-errors';
import { verifyProducedTransaction } from '../transactions/produce-verification';
import { leaderEndpoints } from './broker-endpoints';
import { RequestContext, NO_RESPONSE, closeConnection, defineHandler } from './handler';

/** The client id Kafka's admin tools use; only it may write to internal topics. */
const ADMIN_CLIENT_ID = '__admin_client';
const NO_OFFSET = -1n;
const NO_LEADER = Object.freeze({ leaderId: asBrokerId(-1), leaderEpoch: -1 });
const EMPTY = Buffer.alloc(0);

/** Errors Kafka answers with log start offset -1 even once it found the partition (UNKNOWN_LOG_APPEND_INFO). */
const WITHOUT_LOG_START = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.MESSAGE_TOO_LARGE,
  ErrorCode.RECORD_LIST_TOO_LARGE,
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

type PartitionResponse = ProduceResponse.PartitionProduceResponse;

export const produceHandler = defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 11,
  handle(request, context) {
    const transactionalWithoutId =
      request.transactionalId === null && request.topicData.some((topic) => topic.partitionData.some((partition) => isTransactional(partition.records)));
    const responses = transactionalWithoutId
      ? errorResponses(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
      : distinctPartitions(request).map((topic) => produceTopic(request, topic, context));
    const failed = responses.some((topic) => topic.partitionResponses.some((partition) => partition.errorCode !== ErrorCode.NONE));
    if (request.acks === 0) {
      return failed ? closeConnection(`produce with acks=0 failed: ${summarize(responses)}`) : NO_RESPONSE;
    }
    const nodeEndpoints =
      context.apiVersion >= 10 ? leaderEndpoints(context.services.metadata, context.connection.listenerName, namedLeaders(responses)) : [];
    return { responses, throttleTimeMs: 0, nodeEndpoints };
  },
  errorResponse(request, errorCode) {
    return { responses: errorResponses(request, errorCode), throttleTimeMs: 0, nodeEndpoints: [] };
  },
});

/**
 * Kafka keys a request's partitions by topic and partition: a partition named twice is appended once, with the
 * records named last, and answered once; a topic named twice is one topic. Kept in order of first appearance.
 */
function distinctPartitions(request: ProduceRequest): ProduceRequest.TopicProduceData[] {
  const topics = new Map<string, Map<number, ProduceRequest.PartitionProduceData>>();
  for (const topic of request.topicData) {
    let partitions = topics.get(topic.name);
    if (!partitions) topics.set(topic.name, (partitions = new Map()));
    for (const partition of topic.partitionData) partitions.set(partition.index, partition);
  }
  if (topics.size === request.topicData.length && request.topicData.every((topic) => topics.get(topic.name)?.size === topic.partitionData.length)) {
    return request.topicData;
  }
  return [...topics].map(([name, partitions]) => ({ name: name as ProduceRequest.TopicProduceData['name'], partitionData: [...partitions.values()] }));
}

function produceTopic(request: ProduceRequest, topic: ProduceRequest.TopicProduceData, context: RequestContext): ProduceResponse.TopicProduceResponse {
  const metadata = context.services.metadata.topic(topic.name);
  return {
    name: topic.name,
    partitionResponses: topic.partitionData.map((partition) => producePartition(request, metadata, topic.name, partition, context)),
  };
}

function producePartition(
  request: ProduceRequest,
  topic: TopicMetadata | undefined,
  topicName: string,
  partition: ProduceRequest.PartitionProduceData,
  context: RequestContext,
): PartitionResponse {
  const { services, apiVersion } = context;
  const state = topic?.partitions[partition.index];
  if (!topic || !state) return failure(partition.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const records = partition.records ?? EMPTY;
  try {
    checkRecordsForVersion(apiVersion, records);
  } catch (error) {
    if (error instanceof TributaryError) return failure(partition.index, error.code);
    throw error;
  }
  if (request.acks !== -1 && request.acks !== 0 && request.acks !== 1) return failure(partition.index, ErrorCode.INVALID_REQUIRED_ACKS);
  if (topic.isInternal && context.clientId !== ADMIN_CLIENT_ID) return failure(partition.index, ErrorCode.INVALID_TOPIC_EXCEPTION);

  let log: PartitionLog | undefined;
  try {
    log = services.logs.partition(topic.name, partition.index);
  } catch (error) {
    if (error instanceof KafkaStorageError) return failure(partition.index, ErrorCode.KAFKA_STORAGE_ERROR);
    throw error;
  }
  if (!log || state.leaderId !== services.metadata.localBrokerId) return notLeader(partition.index, state, apiVersion);

  try {
    const settings = appendSettings(topic, services.config);
    if (request.acks === -1 && state.isr.length < settings.minInsyncReplicas) {
      return failure(partition.index, ErrorCode.NOT_ENOUGH_REPLICAS, log.logStartOffset);
    }
    if (request.transactionalId !== null && isTransactional(records)) {
      // KIP-890: the partition must be in the producer's transaction before its first batch lands here.
      const unverified = verifyProducedTransaction(services, request.transactionalId, records, log);
      if (unverified !== ErrorCode.NONE) return failure(partition.index, unverified);
    }
    const nowMs = services.clock.nowMs();
    const prepared = prepareProducedRecords(records, { name: `${topicName}-${partition.index}`, config: log.config, settings, nowMs });
    // A set with no whole entry appends nothing, and Kafka answers it without an error.
    if (prepared.length === 0) return success(partition.index, NO_OFFSET, NO_OFFSET, log.logStartOffset);
    const result = services.logs.append(log, prepared, { leaderEpoch: state.leaderEpoch });
    return success(partition.index, result.firstOffset, BigInt(result.logAppendTimeMs), result.logStartOffset);
  } catch (error) {
    if (error instanceof RecordValidationError) {
      return {
        ...failure(partition.index, error.code, log.logStartOffset),
        recordErrors: error.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message })),
        errorMessage: error.message,
      };
    }
    if (error instanceof TributaryError) {
      if (error.code === ErrorCode.KAFKA_STORAGE_ERROR) services.logger.error({ err: error, topic: topicName, partition: partition.index }, 'produce failed on a storage error');
      return failure(partition.index, error.code, WITHOUT_LOG_START.has(error.code) ? NO_OFFSET : log.logStartOffset);
    }
    throw error;
  }
}

function success(index: number, baseOffset: bigint, logAppendTimeMs: bigint, logStartOffset: bigint): PartitionResponse {
  return { index, errorCode: ErrorCode.NONE, baseOffset, logAppendTimeMs, logStartOffset, recordErrors: [], errorMessage: null, currentLeader: { ...NO_LEADER } };
}

function failure(index: number, errorCode: number, logStartOffset = NO_OFFSET): PartitionResponse {
  return { index, errorCode, baseOffset: NO_OFFSET, logAppendTimeMs: NO_OFFSET, logStartOffset, recordErrors: [], errorMessage: null, currentLeader: { ...NO_LEADER } };
}

/** v10+ tells the client who leads instead (KIP-951), so it need not refresh its metadata first. */
function notLeader(index: number, state: PartitionState, apiVersion: number): PartitionResponse {
  const response = failure(index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (apiVersion >= 10) response.currentLeader = { leaderId: state.leaderId, leaderEpoch: state.leaderEpoch };
  return response;
}

/** The leaders NOT_LEADER_OR_FOLLOWER answers named (v10+); successful partitions name none. */
function namedLeaders(responses: readonly ProduceResponse.TopicProduceResponse[]): Set<number> {
  const leaders = new Set<number>();
  for (const topic of responses) {
    for (const partition of topic.partitionResponses) if (partition.currentLeader.leaderId >= 0) leaders.add(partition.currentLeader.leaderId);
  }
  return leaders;
}

function errorResponses(request: ProduceRequest, errorCode: number): ProduceResponse.TopicProduceResponse[] {
  return request.topicData.map((topic) => ({ name: topic.name, partitionResponses: topic.partitionData.map((partition) => failure(partition.index, errorCode)) }));
}

function summarize(responses: readonly ProduceResponse.TopicProduceResponse[]): string {
  return responses
    .flatMap((topic) => topic.partitionResponses.map((partition) => `${topic.name}-${partition.index}: ${ErrorCode[partition.errorCode] ?? partition.errorCode}`))
    .join(', ');
}
