/**
 * AddOffsetsToTxn (key 25), versions 0-4: a transactional producer about to send offsets for a group
 * (`sendOffsetsToTransaction`) adds the group's `__consumer_offsets` partition to its transaction, so that the
 * transaction's markers reach that partition and commit (or drop) the offsets. As Kafka, clients before v2 get
 * INVALID_PRODUCER_EPOCH instead of PRODUCER_FENCED. No authorization (the broker has no authorizer).
 */
import { ApiKey, ErrorCode } from '@tributary/protocol';
import { OFFSETS_TOPIC } from '../groups';
import { defineHandler } from './handler';

export const addOffsetsToTxnHandler = defineHandler({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, context) {
    const offsetsPartition = { topic: OFFSETS_TOPIC, partition: context.services.groups.coordinator.partitionFor(request.groupId) };
    const errorCode = await context.services.transactions.coordinator.addPartitionsToTransaction(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      [offsetsPartition],
    );
    return { throttleTimeMs: 0, errorCode: context.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
