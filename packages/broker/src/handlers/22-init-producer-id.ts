/**
 * InitProducerId (key 22), versions 0-5. Without a transactional id: a new producer id at epoch 0 for an
 * idempotent producer (ids come from durable blocks, so a restart never hands one out twice). With one: the
 * transaction coordinator's answer (new id, epoch bump, KIP-360 recovery from v3, fencing of an ongoing
 * transaction). As Kafka, a producer id without an epoch (or the reverse) is INVALID_REQUEST, and clients before
 * v4 get INVALID_PRODUCER_EPOCH where newer ones get PRODUCER_FENCED. No authorization: the broker has no
 * authorizer.
 */
import { ApiKey, ErrorCode, asProducerId } from '@tributary/protocol';
import { defineHandler } from './handler';

const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;

export const initProducerIdHandler = defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, context) {
    const { producerId, producerEpoch } = request;
    const named = producerId !== NO_PRODUCER_ID || producerEpoch !== NO_PRODUCER_EPOCH;
    if (named && (producerId === NO_PRODUCER_ID || producerEpoch === NO_PRODUCER_EPOCH)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, producerId: asProducerId(NO_PRODUCER_ID), producerEpoch: NO_PRODUCER_EPOCH };
    }
    const result = await context.services.transactions.coordinator.initProducerId(
      request.transactionalId,
      request.transactionTimeoutMs,
      named ? { producerId, producerEpoch } : undefined,
    );
    const errorCode = context.apiVersion < 4 && result.errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : result.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: asProducerId(result.producerId), producerEpoch: result.producerEpoch };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: asProducerId(NO_PRODUCER_ID), producerEpoch: NO_PRODUCER_EPOCH };
  },
});
