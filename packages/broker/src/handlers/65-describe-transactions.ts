/**
 * DescribeTransactions (key 65), version 0 (KIP-664, `kafka-transactions.sh describe`): the state of each
 * transactional id this broker coordinates: its producer, state, timeout, start time and partitions.
 * TRANSACTIONAL_ID_NOT_FOUND for an unknown id, NOT_COORDINATOR for one coordinated elsewhere.
 */
import { ApiKey, asProducerId, asTopicName, asTransactionalId } from '@tributary/protocol';
import { defineHandler } from './handler';

export const describeTransactionsHandler = defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(request, context) {
    const { coordinator } = context.services.transactions;
    return {
      throttleTimeMs: 0,
      transactionStates: request.transactionalIds.map((transactionalId) => {
        const described = coordinator.describeTransaction(transactionalId);
        return {
          ...described,
          transactionalId: asTransactionalId(described.transactionalId),
          producerId: asProducerId(described.producerId),
          topics: described.topics.map((topic) => ({ topic: asTopicName(topic.topic), partitions: topic.partitions })),
        };
      }),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      transactionStates: request.transactionalIds.map((transactionalId) => ({
        errorCode,
        transactionalId,
        transactionState: '',
        transactionTimeoutMs: 0,
        transactionStartTimeMs: 0n,
        producerId: asProducerId(0n),
        producerEpoch: 0,
        topics: [],
      })),
    };
  },
});
