import { ErrorCode, GroupMetadataValue } from '@tributary/protocol';
import { CoordinatorLog } from './coordinator-log';
import { ClassicGroup } from './group';
import { CoordinatorRecord, TransactionalProducer, buildCoordinatorBatch, groupMetadataKey, groupMetadataValue } from './records';
import { Clock } from './scheduler';

const EMPTY = Buffer.alloc(0);

/**
 * Appends coordinator records to `__consumer_offsets`. Appends to one partition are chained, so records land in
 * the order the state changes behind them happened even if the log would run two appends concurrently.
 */
export class CoordinatorWriter {
  private readonly chains = new Map<number, Promise<unknown>>();

  constructor(
    private readonly log: CoordinatorLog,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends one batch of `records` (CreateTime now; transactional when a producer is given); resolves with the
   * base offset the log gave it.
   */
  append(partition: number, records: readonly CoordinatorRecord[], producer?: TransactionalProducer): Promise<bigint> {
    const batch = buildCoordinatorBatch(records, this.clock.nowMs(), producer);
    const previous = this.chains.get(partition) ?? Promise.resolve();
    const append = previous.then(() => this.log.append(partition, batch));
    const settled = append.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(partition, settled);
    void settled.then(() => {
      if (this.chains.get(partition) === settled) this.chains.delete(partition);
    });
    return append;
  }

  /** Writes the group record (Kafka's storeGroup) and calls `then` with the outcome, mapped as Kafka maps it. */
  storeGroup(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>, then: (error: ErrorCode) => void): void {
    const record = { key: groupMetadataKey(group.groupId), value: groupMetadataValue(groupMetadataRecord(group, assignment)) };
    this.append(group.partition, [record]).then(
      () => then(ErrorCode.NONE),
      (error: unknown) => then(groupAppendError(error)),
    );
  }
}

/** The group record as Kafka writes it: every member with its metadata for the chosen protocol and its assignment. */
export function groupMetadataRecord(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): GroupMetadataValue {
  const protocol = group.protocolName;
  return {
    protocolType: group.protocolType ?? '',
    generation: group.generationId,
    protocol,
    leader: group.leaderId,
    currentStateTimestamp: BigInt(group.currentStateTimestampMs ?? -1),
    members: [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeout: member.rebalanceTimeoutMs,
      sessionTimeout: member.sessionTimeoutMs,
      subscription: member.metadata(protocol ?? ''),
      assignment: assignment.get(member.memberId) ?? EMPTY,
    })),
  };
}

/** The Kafka error code a failure carries (typed errors have one), else UNKNOWN_SERVER_ERROR. */
export function errorCodeOf(error: unknown): ErrorCode {
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number') {
    return (error as { code: number }).code;
  }
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/**
 * What Kafka's coordinator store paths (the group's storeOffsets and storeGroup, the transaction log's
 * appendTransactionToLog) make of an append that failed because of where the partition lives: its leader is
 * gone or lacks replicas (COORDINATOR_NOT_AVAILABLE), or this broker no longer leads it (NOT_COORDINATOR).
 * Undefined for other failures, which each path maps its own way.
 */
export function placementError(code: number): ErrorCode | undefined {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return undefined;
  }
}

const isRecordSizeError = (code: number): boolean =>
  code === ErrorCode.MESSAGE_TOO_LARGE || code === ErrorCode.RECORD_LIST_TOO_LARGE || code === ErrorCode.INVALID_FETCH_SIZE;

/** How Kafka's storeOffsets reports a failed append of offset commits. */
export function commitAppendError(error: unknown): ErrorCode {
  const code = errorCodeOf(error);
  return placementError(code) ?? (isRecordSizeError(code) ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : code);
}

/** How Kafka's storeGroup reports a failed append of a group record. */
export function groupAppendError(error: unknown): ErrorCode {
  const code = errorCodeOf(error);
  if (code === ErrorCode.REQUEST_TIMED_OUT) return ErrorCode.REBALANCE_IN_PROGRESS;
  return placementError(code) ?? (isRecordSizeError(code) ? ErrorCode.UNKNOWN_SERVER_ERROR : code);
}
