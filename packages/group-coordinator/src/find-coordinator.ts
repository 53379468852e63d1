import { BrokerId, ErrorCode, FindCoordinatorRequest, FindCoordinatorResponse, asBrokerId } from '@tributary/protocol';
import { partitionFor } from './partitioner';

/** FindCoordinator's key types; SHARE (2, KIP-932) is not served by Kafka 3.9's ZooKeeper mode. */
export enum CoordinatorType {
  Group = 0,
  Transaction = 1,
  Share = 2,
}

export interface CoordinatorNode {
  nodeId: number;
  host: string;
  port: number;
}

export interface CoordinatorLocator {
  /** `offsets.topic.num.partitions` */
  groupPartitions: number;
  /** `transaction.state.log.num.partitions` */
  transactionPartitions: number;
  /**
   * The live leader of that partition of `__consumer_offsets` / `__transaction_state`, or null when there is
   * none yet. The broker creates the internal topic here when it does not exist (and returns null meanwhile).
   */
  leaderOf(type: CoordinatorType.Group | CoordinatorType.Transaction, partition: number): CoordinatorNode | null;
}

/** Kafka's Node.noNode(). */
const NO_NODE: CoordinatorNode = { nodeId: -1, host: '', port: -1 };

/** Errors.message() for the few errors FindCoordinator answers; Errors.NONE's message is its name. */
const ERROR_MESSAGES: Partial<Record<number, string>> = {
  [ErrorCode.NONE]: 'NONE',
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: 'The coordinator is not available.',
  [ErrorCode.INVALID_REQUEST]:
    'This most likely occurs because of a request being malformed by the client library or the message was sent to ' +
    'an incompatible broker. See the broker logs for more details.',
};

/**
 * FindCoordinator v0-v5: the coordinator of a group or transactional id is the leader of partition
 * abs(hashCode(key)) % N of the internal topic. v0-v3 carry one key (v0 only groups) and report errors at the
 * top level; v4+ carry a batch of keys with one answer each. An unknown key type is INVALID_REQUEST.
 * Authorization is the broker's concern and happens before this is called.
 */
export function findCoordinator(request: FindCoordinatorRequest, apiVersion: number, locator: CoordinatorLocator): FindCoordinatorResponse {
  const keyType = apiVersion >= 1 ? request.keyType : CoordinatorType.Group;
  const locate = (key: string): { errorCode: ErrorCode; node: CoordinatorNode } => {
    if (keyType === CoordinatorType.Share) return { errorCode: apiVersion < 6 ? ErrorCode.INVALID_REQUEST : ErrorCode.COORDINATOR_NOT_AVAILABLE, node: NO_NODE };
    if (keyType !== CoordinatorType.Group && keyType !== CoordinatorType.Transaction) return { errorCode: ErrorCode.INVALID_REQUEST, node: NO_NODE };
    const partitions = keyType === CoordinatorType.Group ? locator.groupPartitions : locator.transactionPartitions;
    const node = locator.leaderOf(keyType, partitionFor(key, partitions));
    return node === null ? { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, node: NO_NODE } : { errorCode: ErrorCode.NONE, node };
  };
  if (apiVersion >= 4) {
    // v4+ has no top-level error or node (they keep their defaults); an unknown key type fails every key.
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: '',
      nodeId: asBrokerId(0),
      host: '',
      port: 0,
      coordinators: request.coordinatorKeys.map((key) => {
        const { errorCode, node } = locate(key);
        return { key, nodeId: asBrokerId(node.nodeId), host: node.host, port: node.port, errorCode, errorMessage: null };
      }),
    };
  }
  const { errorCode, node } = locate(request.key);
  return single(errorCode, errorCode === ErrorCode.NONE ? node : NO_NODE);
}

function single(errorCode: ErrorCode, node: CoordinatorNode): FindCoordinatorResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage: ERROR_MESSAGES[errorCode] ?? null,
    nodeId: asBrokerId(node.nodeId) as BrokerId,
    host: node.host,
    port: node.port,
    coordinators: [],
  };
}
