import { Handler } from './handler';
import { produceHandler } from './00-produce';
import { fetchHandler } from './01-fetch';
import { listOffsetsHandler } from './02-list-offsets';
import { metadataHandler } from './03-metadata';
import { offsetCommitHandler } from './08-offset-commit';
import { offsetFetchHandler } from './09-offset-fetch';
import { findCoordinatorHandler } from './10-find-coordinator';
import { joinGroupHandler } from './11-join-group';
import { heartbeatHandler } from './12-heartbeat';
import { leaveGroupHandler } from './13-leave-group';
import { syncGroupHandler } from './14-sync-group';
import { describeGroupsHandler } from './15-describe-groups';
import { listGroupsHandler } from './16-list-groups';
import { saslHandshakeHandler } from './17-sasl-handshake';
import { apiVersionsHandler } from './18-api-versions';
import { createTopicsHandler } from './19-create-topics';
import { deleteTopicsHandler } from './20-delete-topics';
import { deleteRecordsHandler } from './21-delete-records';
import { initProducerIdHandler } from './22-init-producer-id';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch';
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn';
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn';
import { endTxnHandler } from './26-end-txn';
import { writeTxnMarkersHandler } from './27-write-txn-markers';
import { txnOffsetCommitHandler } from './28-txn-offset-commit';
import { describeConfigsHandler } from './32-describe-configs';
import { alterConfigsHandler } from './33-alter-configs';
import { describeLogDirsHandler } from './35-describe-log-dirs';
import { saslAuthenticateHandler } from './36-sasl-authenticate';
import { createPartitionsHandler } from './37-create-partitions';
import { deleteGroupsHandler } from './42-delete-groups';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs';
import { offsetDeleteHandler } from './47-offset-delete';
import { describeClusterHandler } from './60-describe-cluster';
import { describeProducersHandler } from './61-describe-producers';
import { describeTransactionsHandler } from './65-describe-transactions';
import { listTransactionsHandler } from './66-list-transactions';

/** Every handler this broker serves; the composition root registers them all. */
export const ALL_HANDLERS: readonly Handler[] = [
  produceHandler,
  listOffsetsHandler,
  deleteRecordsHandler,
  offsetForLeaderEpochHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeLogDirsHandler,
  fetchHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  saslHandshakeHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  saslAuthenticateHandler,
  createPartitionsHandler,
  deleteGroupsHandler,
  incrementalAlterConfigsHandler,
  offsetDeleteHandler,
  describeClusterHandler,
  describeProducersHandler,
  initProducerIdHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
] as unknown as readonly Handler[];
