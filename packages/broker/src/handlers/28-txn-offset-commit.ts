/**
 * TxnOffsetCommit (key 28), versions 0-4: a transactional producer's `sendOffsetsToTransaction`. As Kafka 3.9's
 * KafkaApis.handleTxnOffsetCommitRequest: partitions of topics the metadata does not know, or beyond a topic's
 * partition count, are answered UNKNOWN_TOPIC_OR_PARTITION here; the rest go to the group coordinator, which
 * checks the group's status (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS), the
 * member and generation when the request names them (v3+), stages the offsets under the producer id and appends
 * them as that producer's transactional batch (its epoch checked by the storage layer). They become committed
 * offsets when the transaction's COMMIT marker reaches the group's `__consumer_offsets` partition.
 *
 * Before the append, KIP-890's verification asks the transaction coordinator whether the group's offsets
 * partition is in the producer's transaction (see transactions/offsets-verification.ts): a commit without
 * AddOffsetsToTxn first, or from a producer whose transaction ended, is refused (INVALID_TXN_STATE before v4,
 * TRANSACTION_ABORTABLE from v4) rather than leaving a transaction open in `__consumer_offsets`.
 *
 * Clients before v2 (Kafka 0.11 to 2.0) may crash on COORDINATOR_LOAD_IN_PROGRESS, so, as Kafka does, they get
 * COORDINATOR_NOT_AVAILABLE instead. When no partition is known the coordinator is not asked at all.
 * Not checked: authorization, since this broker has no authorizer.
 */
import { ApiKey, ErrorCode, TxnOffsetCommitResponse } from '@tributary/protocol';
import { answerEveryPartition, mergeTopics, splitKnownPartitions } from '../groups/known-partitions';
import { transactionalOffsetsVerifier } from '../transactions/offsets-verification';
import { defineHandler } from './handler';

type ResponseTopic = TxnOffsetCommitResponse.TxnOffsetCommitResponseTopic;

export const txnOffsetCommitHandler = defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, context) {
    const { known, refused } = splitKnownPartitions(context.services.metadata, request.topics);
    let topics: ResponseTopic[];
    if (known.length === 0) {
      topics = mergeTopics<ResponseTopic>(refused, []);
    } else {
      const verifier = transactionalOffsetsVerifier(context.services, request, context.apiVersion);
      const answered = await context.services.groups.coordinator.commitTransactionalOffsets({ ...request, topics: known }, { apiVersion: context.apiVersion }, verifier);
      topics = mergeTopics(refused, answered.topics);
    }
    if (context.apiVersion < 2) topics = withoutLoadInProgress(topics);
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, topics: answerEveryPartition(request.topics, errorCode) };
  },
});

function withoutLoadInProgress(topics: readonly ResponseTopic[]): ResponseTopic[] {
  return topics.map((topic) => ({
    ...topic,
    partitions: topic.partitions.map((partition) =>
      partition.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? { ...partition, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE } : partition,
    ),
  }));
}
