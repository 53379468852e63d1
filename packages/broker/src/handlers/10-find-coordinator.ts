/**
 * FindCoordinator (key 10), versions 0-6, as Kafka 3.9 answers in ZooKeeper mode: the coordinator of a group is
 * the leader of its partition of `__consumer_offsets`, reported with its endpoint on the request's listener.
 * v4+ answers a batch of keys one by one. The first lookup creates `__consumer_offsets` (see
 * groups/offsets-topic.ts) and answers COORDINATOR_NOT_AVAILABLE while it is being created; clients retry.
 * Transactional ids (key type 1) are found the same way in `__transaction_state`, which the first lookup creates.
 */
import { ApiKey, asBrokerId } from '@tributary/protocol';
import { CoordinatorLocator, CoordinatorType, findCoordinator } from '@tributary/group-coordinator';
import { RequestContext, defineHandler } from './handler';

const KNOWN_KEY_TYPES: ReadonlySet<number> = new Set([CoordinatorType.Group, CoordinatorType.Transaction, CoordinatorType.Share]);
const INVALID_REQUEST_MESSAGE =
  'This most likely occurs because of a request being malformed by the client library or the message was sent to ' +
  'an incompatible broker. See the broker logs for more details.';

export const findCoordinatorHandler = defineHandler({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  // v6 (KIP-932) adds the share-group key type, which a ZooKeeper-mode Kafka 3.9 advertises but never serves.
  maxVersion: 6,
  handle(request, context) {
    const answer = findCoordinator(request, context.apiVersion, coordinatorLocator(context));
    // Kafka 3.9 leaves a key's error message at the field's default, "", except when it refuses the whole request
    // for a key type it does not know: then every key carries INVALID_REQUEST's message (checked side by side).
    const refusedWhole = context.apiVersion >= 1 && !KNOWN_KEY_TYPES.has(request.keyType);
    return {
      ...answer,
      coordinators: answer.coordinators.map((coordinator) => ({ ...coordinator, errorMessage: refusedWhole ? INVALID_REQUEST_MESSAGE : '' })),
    };
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

/** Groups from the group coordinator, transactional ids from the transaction coordinator. */
function coordinatorLocator(context: RequestContext): CoordinatorLocator {
  const listenerName = context.connection.listenerName;
  const groups = context.services.groups.locator(listenerName);
  const transactions = context.services.transactions;
  return {
    groupPartitions: groups.groupPartitions,
    transactionPartitions: transactions.transactionPartitions,
    leaderOf: (type, partition) =>
      type === CoordinatorType.Transaction ? transactions.coordinatorNode(partition, listenerName) : groups.leaderOf(type, partition),
  };
}
