/**
 * ListTransactions (key 66), versions 0-1 (KIP-664, `kafka-transactions.sh list`): the transactional ids of the
 * `__transaction_state` partitions this broker leads, filtered by state names (unknown names are echoed back),
 * producer ids and, from v1 (KIP-994), by running longer than a duration. COORDINATOR_LOAD_IN_PROGRESS while any
 * partition loads.
 */
import { ApiKey, asProducerId, asTransactionalId } from '@tributary/protocol';
import { defineHandler } from './handler';

export const listTransactionsHandler = defineHandler({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(request, context) {
    const listed = context.services.transactions.coordinator.listTransactions(
      new Set(request.producerIdFilters),
      request.stateFilters,
      context.apiVersion >= 1 ? request.durationFilter : -1n,
    );
    return {
      throttleTimeMs: 0,
      errorCode: listed.errorCode,
      unknownStateFilters: listed.unknownStateFilters,
      transactionStates: listed.transactionStates.map((state) => ({
        transactionalId: asTransactionalId(state.transactionalId),
        producerId: asProducerId(state.producerId),
        transactionState: state.transactionState,
      })),
    };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
  },
});
