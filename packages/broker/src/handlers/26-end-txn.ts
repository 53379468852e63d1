/**
 * EndTxn (key 26), versions 0-4: commit or abort the producer's transaction. The answer comes once
 * PrepareCommit/PrepareAbort is in `__transaction_state`; the markers are written to every partition of the
 * transaction after that (a new transaction of the producer gets CONCURRENT_TRANSACTIONS until they are). A
 * retried EndTxn of a completed transaction with the same result succeeds. As Kafka, clients before v2 get
 * INVALID_PRODUCER_EPOCH instead of PRODUCER_FENCED.
 */
import { ApiKey, ErrorCode } from '@tributary/protocol';
import { defineHandler } from './handler';

export const endTxnHandler = defineHandler({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, context) {
    const errorCode = await context.services.transactions.coordinator.handleEndTransaction(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.committed,
    );
    return { throttleTimeMs: 0, errorCode: context.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
