/**
 * FindCoordinator (key 10), versions 0-5, as Kafka 3.9 answers in ZooKeeper mode: the coordinator of a group is
 * the leader of its partition of `__consumer_offsets`, reported with its endpoint on the request's listener.
 * v4+ answers a batch of keys one by one. The first lookup creates `__consumer_offsets` (see
 * groups/offsets-topic.ts) and answers COORDINATOR_NOT_AVAILABLE while it is being created; clients retry.
 *
 * Difference from Kafka, for now: transactional ids (key type 1) get COORDINATOR_NOT_AVAILABLE, because the
 * transaction coordinator is issue 6; Kafka answers them with the leader of their `__transaction_state` partition.
 */
import { ApiKey, asBrokerId } from '@tributary/protocol';
import { findCoordinator } from '@tributary/group-coordinator';
import { defineHandler } from './handler';

export const findCoordinatorHandler = defineHandler({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context) {
    return findCoordinator(request, context.apiVersion, context.services.groups.locator(context.connection.listenerName));
  },
  errorResponse(request, errorCode, errorMessage) {
    return {
      throttleTimeMs: 0,
      errorCode,
      errorMessage,
      nodeId: asBrokerId(-1),
      host: '',
      port: -1,
      coordinators: request.coordinatorKeys.map((key) => ({ key, nodeId: asBrokerId(-1), host: '', port: -1, errorCode, errorMessage })),
    };
  },
});
