import {
  ErrorCode,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  TopicName,
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
} from '@tributary/protocol';
import { GroupCoordinatorConfig } from './config';
import { CoordinatorWriter, commitAppendError } from './coordinator-writer';
import { ClassicGroup } from './group';
import { GroupState } from './group-state';
import { CommitRecord, OffsetAndMetadata, TopicPartition, partitionKey } from './offsets';
import { offsetCommitKey, offsetCommitValue, groupMetadataKey, CoordinatorRecord } from './records';
import { Scheduler } from './scheduler';

/** OffsetCommitRequest.DEFAULT_RETENTION_TIME and DEFAULT_TIMESTAMP. */
const DEFAULT_RETENTION_TIME = -1n;
const DEFAULT_TIMESTAMP = -1n;

export type GroupApi = 'join' | 'sync' | 'heartbeat' | 'leave' | 'commit' | 'txnCommit' | 'fetch' | 'describe' | 'delete' | 'offsetDelete';

/** What the offset APIs need from the coordinator that owns the groups. */
export interface OffsetContext {
  readonly config: Readonly<GroupCoordinatorConfig>;
  readonly scheduler: Scheduler;
  readonly writer: CoordinatorWriter;
  /** INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR, or undefined. */
  validateGroupStatus(groupId: string | null, api: GroupApi): ErrorCode | undefined;
  partitionFor(groupId: string): number;
  ownsPartition(partition: number): boolean;
  groups(): Map<string, ClassicGroup>;
  /** A valid member commit counts as a heartbeat: it re-arms the member's session. */
  touchMember(group: ClassicGroup, memberId: string): void;
  /** Drops a group's timers (it is leaving memory). */
  cancelGroupTimers(group: ClassicGroup): void;
}

/**
 * KIP-890's check, before a transactional offset commit is appended, that the group's `__consumer_offsets`
 * partition is part of the producer's ongoing transaction: the error to answer, or NONE. Given the partition.
 */
export type TransactionVerifier = (offsetsPartition: number) => ErrorCode;

/**
 * Kafka's GroupMetadataManager.maybeConvertOffsetCommitError for a failed verification: a network failure is
 * retried as a load in progress, placement errors as for an append; INVALID_TXN_STATE and the like pass.
 */
export function offsetCommitVerificationError(code: ErrorCode): ErrorCode {
  return code === ErrorCode.NETWORK_EXCEPTION ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : commitAppendError({ code });
}

interface PendingCommit {
  topic: string;
  partition: number;
  value: OffsetAndMetadata;
}

/** Every commit's partition answered with `code` (the request failed as a whole). */
function everyCommit(commits: readonly PendingCommit[], code: ErrorCode): Map<string, ErrorCode> {
  return new Map(commits.map((c) => [partitionKey(c.topic, c.partition), code]));
}

/**
 * The commits whose metadata fits `maxBytes`; the others are answered OFFSET_METADATA_TOO_LARGE in `errors`.
 * Kafka compares Java's String.length(), i.e. UTF-16 code units, which is what JS's length counts too.
 */
function withinMetadataLimit(commits: readonly PendingCommit[], maxBytes: number, errors: Map<string, ErrorCode>): PendingCommit[] {
  const valid: PendingCommit[] = [];
  for (const commit of commits) {
    if (commit.value.metadata.length > maxBytes) {
      errors.set(partitionKey(commit.topic, commit.partition), ErrorCode.OFFSET_METADATA_TOO_LARGE);
    } else {
      valid.push(commit);
    }
  }
  return valid;
}

/** OffsetCommit's and TxnOffsetCommit's answer (same shape): each requested partition's code, in request order. */
function commitResponseTopics(
  topics: readonly { name: TopicName; partitions: readonly { partitionIndex: number }[] }[],
  errors: ReadonlyMap<string, ErrorCode>,
): { name: TopicName; partitions: { partitionIndex: number; errorCode: number }[] }[] {
  return topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      errorCode: errors.get(partitionKey(topic.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
    })),
  }));
}

/**
 * Committed offsets (Kafka's GroupMetadataManager offset side): OffsetCommit, OffsetFetch, OffsetDelete, expiry
 * and the tombstones that go with removing offsets and dead groups. Same concurrency rule as the coordinator:
 * event loop only, no await between a check and the change it guards.
 */
export class GroupOffsets {
  /**
   * Producer id → ids of the groups it staged transactional offsets in (Kafka's openGroupsForProducer), so that a
   * marker visits those groups only, not every group of the coordinator. Entries of groups that left memory are
   * dropped when the producer's next marker looks for them.
   */
  private readonly groupsByProducer = new Map<bigint, Set<string>>();

  constructor(private readonly context: OffsetContext) {}

  /** Records that `producerId` has offsets staged in `groupId` (a TxnOffsetCommit, or one replayed on load). */
  trackTransactionalProducer(producerId: bigint, groupId: string): void {
    let groupIds = this.groupsByProducer.get(producerId);
    if (groupIds === undefined) this.groupsByProducer.set(producerId, (groupIds = new Set()));
    groupIds.add(groupId);
  }

  /**
   * Validates the committer (simple commits with generation -1 only into an Empty or unknown group; members by
   * id, instance id and generation), then appends the commits; they become visible once appended. Topic
   * existence is the broker's check (UNKNOWN_TOPIC_OR_PARTITION) before it calls here.
   */
  async commitOffsets(request: OffsetCommitRequest, apiVersion: number): Promise<OffsetCommitResponse> {
    const nowMs = this.context.scheduler.nowMs();
    const expireTimestampMs = request.retentionTimeMs === DEFAULT_RETENTION_TIME ? null : nowMs + Number(request.retentionTimeMs);
    const commits: PendingCommit[] = [];
    for (const topic of request.topics) {
      for (const p of topic.partitions) {
        commits.push({
          topic: topic.name,
          partition: p.partitionIndex,
          value: {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata ?? '',
            // Only v1 carries a commit timestamp; otherwise (or when -1) the coordinator's clock sets it.
            commitTimestampMs: apiVersion === 1 && p.commitTimestamp !== DEFAULT_TIMESTAMP ? Number(p.commitTimestamp) : nowMs,
            expireTimestampMs,
          },
        });
      }
    }
    const groupInstanceId = apiVersion >= 7 ? request.groupInstanceId : null;
    const errors = await this.handleCommitOffsets(request.groupId, request.memberId, groupInstanceId, request.generationIdOrMemberEpoch, commits);
    return { throttleTimeMs: 0, topics: commitResponseTopics(request.topics, errors) };
  }

  private handleCommitOffsets(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    commits: PendingCommit[],
  ): Promise<Map<string, ErrorCode>> | Map<string, ErrorCode> {
    const all = (code: ErrorCode) => everyCommit(commits, code);
    const statusError = this.context.validateGroupStatus(groupId, 'commit');
    if (statusError !== undefined) return all(statusError);
    let group = this.context.groups().get(groupId);
    if (group === undefined) {
      // No group management: a simple consumer (or the admin client) storing offsets creates an Empty group.
      if (generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = new ClassicGroup(groupId, this.context.partitionFor(groupId), GroupState.Empty, this.context.scheduler.nowMs());
      this.context.groups().set(groupId, group);
    }
    const validationError = this.validateOffsetCommit(group, generationId, memberId, groupInstanceId);
    if (validationError !== undefined) return all(validationError);
    switch (group.state) {
      case GroupState.Empty:
        return this.storeOffsets(group, commits);
      case GroupState.Stable:
      case GroupState.PreparingRebalance:
        // Commits during PreparingRebalance are still accepted; the heartbeat answer tells the member to rejoin.
        this.context.touchMember(group, memberId);
        return this.storeOffsets(group, commits);
      case GroupState.CompletingRebalance:
        // The member has this generation's JoinGroup answer but not its assignment yet.
        return all(ErrorCode.REBALANCE_IN_PROGRESS);
      case GroupState.Dead:
        return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }

  private validateOffsetCommit(group: ClassicGroup, generationId: number, memberId: string, groupInstanceId: string | null, isTransactional = false): ErrorCode | undefined {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (generationId < 0 && group.is(GroupState.Empty)) return undefined;
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      return group.validateCurrentMember(memberId, groupInstanceId) ?? (generationId !== group.generationId ? ErrorCode.ILLEGAL_GENERATION : undefined);
    }
    // Only members may commit into a group that has members; transactional commits are exempt, because
    // TxnOffsetCommit v0-v2 carry no member id or generation at all.
    return isTransactional || group.is(GroupState.Empty) ? undefined : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /**
   * TxnOffsetCommit (v0-v4), the coordinator's half: validates like OffsetCommit (members of a group are checked
   * when the request names a member or generation, v3+), stages the offsets under the producer at once, and
   * appends them as a transactional batch of that producer. They become committed offsets only when
   * `completeTransaction` reports the producer's COMMIT marker in this partition; ABORT drops them. Checking the
   * producer against the transaction coordinator (KIP-890 verification) is the broker's part.
   */
  async commitTransactionalOffsets(request: TxnOffsetCommitRequest, apiVersion: number, verifyTransaction?: TransactionVerifier): Promise<TxnOffsetCommitResponse> {
    const nowMs = this.context.scheduler.nowMs();
    const commits: PendingCommit[] = request.topics.flatMap((topic) =>
      topic.partitions.map((p) => ({
        topic: topic.name as string,
        partition: p.partitionIndex,
        value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '', commitTimestampMs: nowMs, expireTimestampMs: null },
      })),
    );
    const errors = await this.handleTransactionalCommit(request, apiVersion, commits, verifyTransaction);
    return { throttleTimeMs: 0, topics: commitResponseTopics(request.topics, errors) };
  }

  private handleTransactionalCommit(
    request: TxnOffsetCommitRequest,
    apiVersion: number,
    commits: PendingCommit[],
    verifyTransaction: TransactionVerifier | undefined,
  ): Map<string, ErrorCode> | Promise<Map<string, ErrorCode>> {
    const all = (code: ErrorCode) => everyCommit(commits, code);
    const groupId: string = request.groupId;
    const statusError = this.context.validateGroupStatus(groupId, 'txnCommit');
    if (statusError !== undefined) return all(statusError);
    let group = this.context.groups().get(groupId);
    if (group === undefined) {
      group = new ClassicGroup(groupId, this.context.partitionFor(groupId), GroupState.Empty, this.context.scheduler.nowMs());
      this.context.groups().set(groupId, group);
    }
    // As Kafka's handleTxnCommitOffsets: the transaction is verified after the group exists, before the member.
    const verificationError = verifyTransaction?.(group.partition) ?? ErrorCode.NONE;
    if (verificationError !== ErrorCode.NONE) return all(offsetCommitVerificationError(verificationError));
    const memberId = apiVersion >= 3 ? request.memberId : '';
    const generationId = apiVersion >= 3 ? request.generationId : -1;
    const groupInstanceId = apiVersion >= 3 ? request.groupInstanceId : null;
    const validationError = this.validateOffsetCommit(group, generationId, memberId, groupInstanceId, true);
    if (validationError !== undefined) return all(validationError);

    const errors = new Map<string, ErrorCode>();
    const valid = withinMetadataLimit(commits, this.context.config.offsetMetadataMaxBytes, errors);
    if (valid.length === 0) return errors;
    const producerId: bigint = request.producerId;
    const staged = valid.map((c) => ({ topic: c.topic, partition: c.partition, logOffset: undefined as bigint | undefined, value: c.value }));
    for (const record of staged) group.stageTransactionalOffsetCommit(producerId, record);
    this.trackTransactionalProducer(producerId, group.groupId);
    const records = valid.map((c) => ({ key: offsetCommitKey(group.groupId, c.topic, c.partition), value: offsetCommitValue(c.value) }));
    const target = group;
    return this.context.writer.append(target.partition, records, { producerId, producerEpoch: request.producerEpoch }).then(
      (baseOffset) => {
        staged.forEach((record, i) => {
          record.logOffset = baseOffset + BigInt(i);
          errors.set(partitionKey(record.topic, record.partition), ErrorCode.NONE);
        });
        return errors;
      },
      (error: unknown) => {
        const code = commitAppendError(error);
        for (const record of staged) {
          if (!target.is(GroupState.Dead)) target.failTransactionalOffsetCommit(producerId, record);
          errors.set(partitionKey(record.topic, record.partition), code);
        }
        return errors;
      },
    );
  }

  /**
   * The producer's transaction ended and its marker is in `partition` of __consumer_offsets (Kafka's
   * handleTxnCompletion): every group there with offsets staged by that producer commits or drops them.
   */
  completeTransaction(producerId: bigint, partition: number, isCommit: boolean): void {
    const groupIds = this.groupsByProducer.get(producerId);
    if (groupIds === undefined) return;
    for (const groupId of [...groupIds]) {
      const group = this.context.groups().get(groupId);
      if (group === undefined || group.is(GroupState.Dead)) {
        groupIds.delete(groupId);
        continue;
      }
      // The producer's groups in other partitions wait for their own marker.
      if (group.partition !== partition) continue;
      group.completeTransactionalOffsetCommits(producerId, isCommit);
      groupIds.delete(groupId);
    }
    if (groupIds.size === 0) this.groupsByProducer.delete(producerId);
  }

  private storeOffsets(group: ClassicGroup, commits: PendingCommit[]): Map<string, ErrorCode> | Promise<Map<string, ErrorCode>> {
    const errors = new Map<string, ErrorCode>();
    const valid = withinMetadataLimit(commits, this.context.config.offsetMetadataMaxBytes, errors);
    if (valid.length === 0) return errors;
    for (const commit of valid) group.prepareOffsetCommit(commit.topic, commit.partition, commit.value);
    const records = valid.map((c) => ({ key: offsetCommitKey(group.groupId, c.topic, c.partition), value: offsetCommitValue(c.value) }));
    return this.context.writer.append(group.partition, records).then(
      (baseOffset) => {
        valid.forEach((c, i) => {
          if (!group.is(GroupState.Dead)) {
            group.onOffsetCommitAppend({ topic: c.topic, partition: c.partition, logOffset: baseOffset + BigInt(i), value: c.value });
          }
          errors.set(partitionKey(c.topic, c.partition), ErrorCode.NONE);
        });
        return errors;
      },
      (error: unknown) => {
        const code = commitAppendError(error);
        for (const c of valid) {
          if (!group.is(GroupState.Dead)) group.failPendingOffsetWrite(c.topic, c.partition, c.value);
          errors.set(partitionKey(c.topic, c.partition), code);
        }
        return errors;
      },
    );
  }

  /**
   * OffsetFetch: v0-v7 one group (v2+ with `topics: null` meaning every partition with an offset), v8+ several
   * groups. Offsets are returned whatever the group's state, since simple consumers have no membership.
   */
  fetchOffsets(request: OffsetFetchRequest, apiVersion: number): OffsetFetchResponse {
    const version = apiVersion;
    const requireStable = version >= 7 && request.requireStable;
    if (version >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: ErrorCode.NONE,
        groups: request.groups.map((g) => {
          const { errorCode, topics } = this.fetchGroupOffsets(g.groupId, g.topics, requireStable);
          return { groupId: g.groupId, errorCode, topics };
        }),
      };
    }
    const { errorCode, topics } = this.fetchGroupOffsets(request.groupId, version >= 2 ? request.topics : (request.topics ?? []), requireStable);
    if (version >= 2) return { throttleTimeMs: 0, topics, errorCode, groups: [] };
    // v0/v1 have no top-level error: it is reported on every requested partition.
    const perPartition =
      errorCode === ErrorCode.NONE
        ? topics
        : (request.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode })),
          }));
    return { throttleTimeMs: 0, topics: perPartition, errorCode: ErrorCode.NONE, groups: [] };
  }

  private fetchGroupOffsets(
    groupId: string,
    topics: readonly { name: TopicName; partitionIndexes: number[] }[] | null,
    requireStable: boolean,
  ): { errorCode: ErrorCode; topics: OffsetFetchResponse.OffsetFetchResponseTopic[] } {
    const statusError = this.context.validateGroupStatus(groupId, 'fetch');
    if (statusError !== undefined) return { errorCode: statusError, topics: [] };
    const group = this.context.groups().get(groupId);
    const live = group !== undefined && !group.is(GroupState.Dead) ? group : undefined;
    let requested: TopicPartition[];
    if (topics !== null) {
      requested = topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name as string, partition })));
    } else {
      requested = live === undefined ? [] : [...live.offsets.values()].map((r) => ({ topic: r.topic, partition: r.partition }));
    }
    const byTopic = new Map<string, OffsetFetchResponse.OffsetFetchResponsePartition[]>();
    for (const { topic, partition } of requested) {
      let entry: OffsetFetchResponse.OffsetFetchResponsePartition;
      if (live !== undefined && requireStable && live.hasPendingOffsetCommitsFor(topic, partition)) {
        entry = { partitionIndex: partition, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      } else {
        const committed = live?.offset(topic, partition);
        entry = committed === undefined
          ? { partitionIndex: partition, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
          : { partitionIndex: partition, committedOffset: committed.offset, committedLeaderEpoch: committed.leaderEpoch, metadata: committed.metadata, errorCode: ErrorCode.NONE };
      }
      let list = byTopic.get(topic);
      if (list === undefined) {
        list = [];
        byTopic.set(topic, list);
      }
      list.push(entry);
    }
    return { errorCode: ErrorCode.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name: name as TopicName, partitions })) };
  }

  /**
   * OffsetDelete: an Empty group loses the offsets; a consumer group with members keeps offsets of topics it
   * subscribes to (GROUP_SUBSCRIBED_TO_TOPIC); other non-empty groups get NON_EMPTY_GROUP.
   */
  async deleteOffsets(request: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
    const fail = (errorCode: ErrorCode): OffsetDeleteResponse => ({ errorCode, throttleTimeMs: 0, topics: [] });
    const statusError = this.context.validateGroupStatus(request.groupId, 'offsetDelete');
    if (statusError !== undefined) return fail(statusError);
    const group = this.context.groups().get(request.groupId);
    if (group === undefined || group.is(GroupState.Dead)) return fail(ErrorCode.GROUP_ID_NOT_FOUND);
    const requested = request.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name as string, partition: p.partitionIndex })));
    const errors = new Map<string, ErrorCode>();
    let eligible: TopicPartition[];
    if (group.is(GroupState.Empty)) {
      eligible = requested;
    } else if (group.isConsumerGroup) {
      eligible = [];
      for (const tp of requested) {
        if (group.isSubscribedToTopic(tp.topic)) errors.set(partitionKey(tp.topic, tp.partition), ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
        else eligible.push(tp);
      }
    } else {
      return fail(ErrorCode.NON_EMPTY_GROUP);
    }
    if (eligible.length > 0) {
      const removed = group.removeOffsets(eligible);
      for (const tp of eligible) errors.set(partitionKey(tp.topic, tp.partition), ErrorCode.NONE);
      await this.cleanupGroupMetadata(group, removed);
    }
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(partitionKey(t.name, p.partitionIndex)) ?? ErrorCode.NONE })),
      })),
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // Offset expiry and group cleanup
  // ---------------------------------------------------------------------------------------------------------

  /** One expiry pass over every loaded group; resolves with the number of offsets removed. */
  async expireOffsets(): Promise<number> {
    const nowMs = this.context.scheduler.nowMs();
    let removedCount = 0;
    const writes: Promise<void>[] = [];
    for (const group of [...this.context.groups().values()]) {
      if (!this.context.ownsPartition(group.partition) || group.is(GroupState.Dead)) continue;
      const removed = group.removeExpiredOffsets(nowMs, this.context.config.offsetsRetentionMs);
      removedCount += removed.length;
      writes.push(this.cleanupGroupMetadata(group, removed));
    }
    await Promise.all(writes);
    return removedCount;
  }

  /**
   * Writes tombstones for removed offsets; an Empty group left without offsets dies, leaves memory and (if it
   * ever had a generation, i.e. a group record) gets a group tombstone too.
   */
  cleanupGroupMetadata(group: ClassicGroup, removed: readonly CommitRecord[]): Promise<void> {
    const nowMs = this.context.scheduler.nowMs();
    if (group.is(GroupState.Empty) && !group.hasOffsets) group.transitionTo(GroupState.Dead, nowMs);
    const records: CoordinatorRecord[] = removed.map((r) => ({ key: offsetCommitKey(group.groupId, r.topic, r.partition), value: null }));
    if (group.is(GroupState.Dead) && this.context.groups().get(group.groupId) === group) {
      this.context.groups().delete(group.groupId);
      this.context.cancelGroupTimers(group);
      if (group.generationId > 0) records.push({ key: groupMetadataKey(group.groupId), value: null });
    }
    if (records.length === 0) return Promise.resolve();
    // A lost tombstone is harmless: the next expiry pass (or the next load) removes the entries again.
    return this.context.writer.append(group.partition, records).then(
      () => undefined,
      () => undefined,
    );
  }
}
