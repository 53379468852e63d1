/**
 * OffsetFetch (key 9), versions 0-9: one group (v0-v7; all its offsets when topics is null, v2+) or several
 * groups (v8+), with `require_stable` (v7+) answering UNSTABLE_OFFSET_COMMIT while a transaction's offsets are
 * pending. Kafka does not check here that the topics exist: unknown partitions come back with offset -1.
 */
import { ApiKey } from '@tributary/protocol';
import { defineHandler } from './handler';

export const offsetFetchHandler = defineHandler({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 0,
  maxVersion: 9,
  handle(request, context) {
    return context.services.groups.coordinator.fetchOffsets(request, { apiVersion: context.apiVersion });
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      topics: (request.topics ?? []).map((topic) => ({
        name: topic.name,
        partitions: topic.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode })),
      })),
      groups: request.groups.map((group) => ({ groupId: group.groupId, topics: [], errorCode })),
    };
  },
});
