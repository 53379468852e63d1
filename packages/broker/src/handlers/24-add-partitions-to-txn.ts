/**
 * AddPartitionsToTxn (key 24), versions 0-5. v0-v3 come from producers: one transaction, its partitions added
 * (and written to `__transaction_state`) before the producer writes to them. v4+ (KIP-890) carry a batch of
 * transactions and come from brokers; a `verifyOnly` transaction is answered with whether each partition is
 * already in the ongoing transaction (TRANSACTION_ABORTABLE when not).
 *
 * As Kafka: a partition the metadata does not know fails the whole transaction, that partition with
 * UNKNOWN_TOPIC_OR_PARTITION and the others with OPERATION_NOT_ATTEMPTED; any other failure is answered on every
 * partition; clients before v2 get INVALID_PRODUCER_EPOCH instead of PRODUCER_FENCED. No authorization (the
 * broker has no authorizer).
 */
import { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, ApiKey, ErrorCode, asTopicName } from '@tributary/protocol';
import { TopicPartition, TopicPartitionSet } from '@tributary/txn-coordinator';
import { RequestContext, defineHandler } from './handler';

type TopicResult = AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult;

export const addPartitionsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, context) {
    const transactions = context.apiVersion < 4 ? [v3Transaction(request)] : request.transactions;
    const results = await Promise.all(
      transactions.map(async (transaction) => ({
        transactionalId: transaction.transactionalId,
        topicResults: await answerTransaction(transaction, context),
      })),
    );
    if (context.apiVersion < 4) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: results[0].topicResults };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: results, resultsByTopicV3AndBelow: [] };
  },
  errorResponse(request, errorCode) {
    // As Kafka's getErrorResponse: v0-v3 carry the error on each partition, v4+ only at the top level. Each
    // field exists in one range of versions only, so both are set and the encoder keeps the right one.
    return {
      throttleTimeMs: 0,
      errorCode,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: topicResults(partitionsOf(v3Transaction(request)), () => errorCode),
    };
  },
});

/** A v0-v3 request as the one transaction it carries (Kafka's normalizeRequest). */
function v3Transaction(request: AddPartitionsToTxnRequest): AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction {
  return {
    transactionalId: request.v3AndBelowTransactionalId,
    producerId: request.v3AndBelowProducerId,
    producerEpoch: request.v3AndBelowProducerEpoch,
    verifyOnly: false,
    topics: request.v3AndBelowTopics,
  };
}

async function answerTransaction(transaction: AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction, context: RequestContext): Promise<TopicResult[]> {
  const partitions = partitionsOf(transaction);
  const { metadata } = context.services;
  const unknown = new TopicPartitionSet(partitions.filter((tp) => metadata.topic(tp.topic)?.partitions[tp.partition] === undefined));
  if (unknown.size > 0) {
    return topicResults(partitions, (tp) => (unknown.has(tp) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  const { coordinator } = context.services.transactions;
  const transactionalId = transaction.transactionalId;
  if (transaction.verifyOnly) {
    const verified = coordinator.verifyPartitionsInTransaction(transactionalId, transaction.producerId, transaction.producerEpoch, partitions);
    return topicResults(partitions, (tp) => verified.get(tp) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  }
  const errorCode = await coordinator.addPartitionsToTransaction(transactionalId, transaction.producerId, transaction.producerEpoch, partitions);
  const answered = context.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
  return topicResults(partitions, () => answered);
}

/** The request's partitions, each once (Kafka keys them by topic-partition). */
function partitionsOf(transaction: AddPartitionsToTxnRequest.AddPartitionsToTxnTransaction): TopicPartition[] {
  const set = new TopicPartitionSet();
  for (const topic of transaction.topics) for (const partition of topic.partitions) set.add({ topic: topic.name, partition });
  return [...set];
}

function topicResults(partitions: readonly TopicPartition[], errorFor: (tp: TopicPartition) => ErrorCode): TopicResult[] {
  const byTopic = new Map<string, TopicResult>();
  for (const tp of partitions) {
    let result = byTopic.get(tp.topic);
    if (result === undefined) {
      result = { name: asTopicName(tp.topic), resultsByPartition: [] };
      byTopic.set(tp.topic, result);
    }
    result.resultsByPartition.push({ partitionIndex: tp.partition, partitionErrorCode: errorFor(tp) });
  }
  return [...byTopic.values()];
}
