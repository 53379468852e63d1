import {
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  ErrorCode,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  SyncGroupRequest,
  SyncGroupResponse,
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
  asGroupId,
} from '@tributary/protocol';
import { randomUUID } from 'node:crypto';
import { DEFAULT_GROUP_COORDINATOR_CONFIG, GroupCoordinatorConfig } from './config';
import { CoordinatorLog } from './coordinator-log';
import { CoordinatorWriter } from './coordinator-writer';
import { GroupApi, GroupOffsets, TransactionVerifier } from './group-offsets';
import { ClassicGroup, failedJoin, failedSync } from './group';
import { GroupState } from './group-state';
import { PartitionReplayer, groupFromRecord } from './loader';
import { GroupMember, JoinResult, MemberProtocol, SyncResult } from './member';
import { partitionFor } from './partitioner';
import { Cancellable, Scheduler } from './scheduler';

/** Who sent a request, as the broker knows it from the request header and the connection. */
export interface ClientContext {
  apiVersion: number;
  clientId: string;
  clientHost: string;
}

export interface GroupCoordinatorOptions {
  log: CoordinatorLog;
  scheduler: Scheduler;
  config?: Partial<GroupCoordinatorConfig>;
  /** Makes the random part of member ids; tests inject a counter to get stable ids. */
  newUuid?: () => string;
}

/** Kafka's "no authorized operations requested" value in DescribeGroups. */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
const EMPTY = Buffer.alloc(0);

interface OwnedPartition {
  epoch: number;
  loading: boolean;
  /** Bumped on every load/unload, so a load that was overtaken stops instead of installing stale groups. */
  generation: number;
  /** The replay that loads it; resolved once the partition is served. */
  load: Promise<void>;
}

/**
 * Kafka's classic group coordinator (GroupCoordinator + GroupMetadataManager of Kafka 3.9, ZooKeeper mode).
 *
 * Concurrency: call only from the event loop. Every request runs its checks and the state change they guard in
 * one synchronous run; the only awaits are log appends, and their continuations re-check the group's state and
 * generation before acting (as Kafka's callbacks do), because anything may have happened meanwhile.
 */
export class GroupCoordinator {
  readonly config: Readonly<GroupCoordinatorConfig>;
  private readonly log: CoordinatorLog;
  private readonly scheduler: Scheduler;
  private readonly newUuid: () => string;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly writer: CoordinatorWriter;
  private readonly offsets: GroupOffsets;
  private readonly partitions = new Map<number, OwnedPartition>();
  private partitionGeneration = 0;
  private active = true;
  private expiryTimer: Cancellable | undefined;

  constructor(options: GroupCoordinatorOptions) {
    this.config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...options.config };
    this.log = options.log;
    this.scheduler = options.scheduler;
    this.newUuid = options.newUuid ?? randomUUID;
    this.writer = new CoordinatorWriter(this.log, this.scheduler);
    this.offsets = new GroupOffsets({
      config: this.config,
      scheduler: this.scheduler,
      writer: this.writer,
      validateGroupStatus: (groupId, api) => this.validateGroupStatus(groupId, api),
      partitionFor: (groupId) => this.partitionFor(groupId),
      ownsPartition: (partition) => this.ownsPartition(partition),
      groups: () => this.groups,
      touchMember: (group, memberId) => this.completeAndScheduleNextHeartbeatExpiration(group, group.get(memberId)),
      cancelGroupTimers: (group) => this.cancelGroupTimers(group),
    });
  }

  /** The `__consumer_offsets` partition that coordinates `groupId`. */
  partitionFor(groupId: string): number {
    return partitionFor(groupId, this.config.offsetsTopicNumPartitions);
  }

  /** Starts the periodic offset expiry (offsets.retention.check.interval.ms). */
  startup(): void {
    this.active = true;
    this.scheduleExpiry();
  }

  /** Stops answering (COORDINATOR_NOT_AVAILABLE) and drops every timer and group. */
  shutdown(): void {
    this.active = false;
    this.expiryTimer?.cancel();
    this.expiryTimer = undefined;
    for (const partition of [...this.partitions.keys()]) this.unloadPartition(partition);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Partition ownership: load on becoming leader of a __consumer_offsets partition, unload on losing it.
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Takes over a partition: replays it from the start and installs its groups and offsets. Until it finishes,
   * requests for its groups get COORDINATOR_LOAD_IN_PROGRESS.
   */
  loadPartition(partition: number, epoch: number): Promise<void> {
    const current = this.partitions.get(partition);
    // Already served or being loaded at this epoch: the caller waits for that same load.
    if (current !== undefined && current.epoch >= epoch) return current.load;
    if (current !== undefined) this.unloadPartition(partition);
    const token = ++this.partitionGeneration;
    const owned: OwnedPartition = { epoch, loading: true, generation: token, load: Promise.resolve() };
    this.partitions.set(partition, owned);
    owned.load = this.replayPartition(partition, token);
    return owned.load;
  }

  private async replayPartition(partition: number, token: number): Promise<void> {
    const replayer = new PartitionReplayer();
    try {
      for await (const recordSet of this.log.read(partition, 0n)) {
        if (this.partitions.get(partition)?.generation !== token) return;
        replayer.apply(recordSet);
      }
    } catch (error) {
      // As in Kafka, a partition that fails to load is not served at all (NOT_COORDINATOR), never half-loaded.
      if (this.partitions.get(partition)?.generation === token) this.partitions.delete(partition);
      throw error;
    }
    const owned = this.partitions.get(partition);
    if (owned?.generation !== token) return;
    const replayed = replayer.result();
    const nowMs = this.scheduler.nowMs();
    const loaded: ClassicGroup[] = [];
    for (const [groupId, value] of replayed.groups) loaded.push(groupFromRecord(groupId, partition, value, nowMs));
    // Groups that only store offsets (simple consumers) have offset records but no group record.
    for (const groupId of new Set([...replayed.offsets.keys(), ...replayed.pendingTransactionalOffsets.keys()])) {
      if (!replayed.groups.has(groupId)) loaded.push(new ClassicGroup(groupId, partition, GroupState.Empty, nowMs));
    }
    for (const group of loaded) {
      for (const [key, commit] of replayed.offsets.get(group.groupId) ?? []) group.offsets.set(key, commit);
      for (const [producerId, commits] of replayed.pendingTransactionalOffsets.get(group.groupId) ?? []) {
        for (const commit of commits.values()) group.stageTransactionalOffsetCommit(producerId, commit);
        this.offsets.trackTransactionalProducer(producerId, group.groupId);
      }
      this.groups.set(group.groupId, group);
    }
    owned.loading = false;
    for (const group of loaded) this.onGroupLoaded(group);
  }

  /** Gives a partition up: its groups die (parked requests get NOT_COORDINATOR) and leave memory. */
  unloadPartition(partition: number): void {
    this.partitions.delete(partition);
    for (const group of [...this.groups.values()]) {
      if (group.partition !== partition) continue;
      this.onGroupUnloaded(group);
      this.groups.delete(group.groupId);
    }
  }

  isPartitionLoading(partition: number): boolean {
    return this.partitions.get(partition)?.loading === true;
  }

  /** Whether this coordinator currently serves `partition` (loaded, not loading). */
  ownsPartition(partition: number): boolean {
    return this.partitions.get(partition)?.loading === false;
  }

  private onGroupLoaded(group: ClassicGroup): void {
    if (group.size > this.config.groupMaxSize) this.prepareRebalance(group);
    for (const member of group.members.values()) this.completeAndScheduleNextHeartbeatExpiration(group, member);
  }

  private onGroupUnloaded(group: ClassicGroup): void {
    group.transitionTo(GroupState.Dead, this.scheduler.nowMs());
    this.cancelGroupTimers(group);
    // Whatever is parked learns that this broker no longer coordinates the group. (Kafka answers joins only in
    // PreparingRebalance and syncs only in Stable/CompletingRebalance; a static rejoin waiting for its group
    // write in Stable is answered here too rather than left hanging.)
    for (const member of group.members.values()) {
      group.invokeJoinCallback(member, failedJoin(member.memberId, ErrorCode.NOT_COORDINATOR));
      group.invokeSyncCallback(member, failedSync(ErrorCode.NOT_COORDINATOR));
    }
  }

  private cancelGroupTimers(group: ClassicGroup): void {
    group.joinTimer?.cancel();
    group.joinTimer = undefined;
    group.syncTimer?.cancel();
    group.syncTimer = undefined;
    for (const member of group.members.values()) {
      member.heartbeatTimer?.cancel();
      member.heartbeatTimer = undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Request validation shared by every API.
  // ---------------------------------------------------------------------------------------------------------

  private validateGroupStatus(groupId: string | null, api: GroupApi): ErrorCode | undefined {
    // OffsetCommit, OffsetFetch, DescribeGroups and DeleteGroups accept the empty group id for old clients.
    const emptyIdAllowed = api === 'commit' || api === 'fetch' || api === 'describe' || api === 'delete';
    if (groupId === null || (groupId === '' && !emptyIdAllowed)) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const owned = this.partitions.get(this.partitionFor(groupId));
    if (owned?.loading === true) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (owned === undefined) return ErrorCode.NOT_COORDINATOR;
    return undefined;
  }

  /** A group as a request sees it: undefined if unknown (Dead groups are returned; callers check). */
  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  // ---------------------------------------------------------------------------------------------------------
  // JoinGroup (v0-v9)
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Answers when the member's join phase ends (or at once for errors, MEMBER_ID_REQUIRED and rejoins that change
   * nothing). v4+ dynamic members must first get a member id (KIP-394); v5+ may be static (KIP-345); v9+ static
   * leaders rejoining a Stable group are told to skip assignment.
   */
  joinGroup(request: JoinGroupRequest, context: ClientContext): Promise<JoinGroupResponse> {
    return new Promise((resolve) => {
      this.handleJoinGroup(request, context, (result) => resolve(joinResponse(result, context.apiVersion)));
    });
  }

  private handleJoinGroup(request: JoinGroupRequest, context: ClientContext, respond: (result: JoinResult) => void): void {
    const groupId: string = request.groupId;
    const memberId = request.memberId;
    const statusError = this.validateGroupStatus(groupId, 'join');
    if (statusError !== undefined) return respond(failedJoin(memberId, statusError));
    const sessionTimeoutMs = request.sessionTimeoutMs;
    if (sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return respond(failedJoin(memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    // JoinGroup v0 had no rebalance timeout: the session timeout served for both.
    const rebalanceTimeoutMs = context.apiVersion === 0 || request.rebalanceTimeoutMs < 0 ? sessionTimeoutMs : request.rebalanceTimeoutMs;
    const protocols = distinctProtocols(request.protocols);
    const isUnknownMember = memberId === '';
    let group = this.groups.get(groupId);
    if (group === undefined) {
      // A group is created by a first join without a member id; a member id for an unknown group is stale.
      if (!isUnknownMember) return respond(failedJoin(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = new ClassicGroup(groupId, this.partitionFor(groupId), GroupState.Empty, this.scheduler.nowMs());
      this.groups.set(groupId, group);
    }
    const join: JoinParams = {
      memberId,
      groupInstanceId: context.apiVersion >= 5 ? request.groupInstanceId : null,
      requireKnownMemberId: context.apiVersion >= 4,
      supportSkippingAssignment: context.apiVersion >= 9,
      clientId: context.clientId,
      clientHost: context.clientHost,
      rebalanceTimeoutMs,
      sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols,
    };
    if (!this.acceptJoiningMember(group, memberId)) {
      // Kafka removes the member too: a member that cannot rejoin within the size limit is out.
      const removed = group.members.get(memberId);
      if (removed !== undefined) this.removeMemberAndUpdateGroup(group, removed);
      else group.remove(memberId);
      respond(failedJoin('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) {
      this.doNewMemberJoinGroup(group, join, respond);
    } else {
      this.doCurrentMemberJoinGroup(group, join, respond);
    }
    if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group);
  }

  /**
   * group.max.size: in PreparingRebalance only members already waiting count (so the last rejoiners are the ones
   * turned away when the limit shrank); otherwise the group's size.
   */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case GroupState.Empty:
      case GroupState.Dead:
        return true;
      case GroupState.PreparingRebalance:
        return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numAwaitingJoin < this.config.groupMaxSize;
      case GroupState.CompletingRebalance:
      case GroupState.Stable:
        return group.has(memberId) || group.size < this.config.groupMaxSize;
    }
  }

  private doNewMemberJoinGroup(group: ClassicGroup, join: JoinParams, respond: (result: JoinResult) => void): void {
    if (group.is(GroupState.Dead)) return respond(failedJoin('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(join.protocolType, join.protocols.map((p) => p.name))) {
      return respond(failedJoin('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const newMemberId = `${join.groupInstanceId ?? join.clientId}-${this.newUuid()}`;
    if (join.groupInstanceId !== null) {
      const oldMemberId = group.currentStaticMemberId(join.groupInstanceId);
      if (oldMemberId !== undefined) {
        this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, join, respond);
      } else {
        this.addMemberAndRebalance(group, { ...join, memberId: newMemberId }, respond);
      }
    } else if (join.requireKnownMemberId) {
      if (group.pendingMembers.size >= this.config.maxPendingMembersPerGroup) {
        return respond(failedJoin('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
      }
      // KIP-394: hand out the id and park it as pending for one session timeout; the client rejoins with it.
      group.pendingMembers.add(newMemberId);
      this.scheduler.schedule(join.sessionTimeoutMs, () => {
        if (!group.is(GroupState.Dead) && group.pendingMembers.has(newMemberId)) this.removePendingMemberAndUpdateGroup(group, newMemberId);
      });
      respond(failedJoin(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, { ...join, memberId: newMemberId }, respond);
    }
  }

  private doCurrentMemberJoinGroup(group: ClassicGroup, join: JoinParams, respond: (result: JoinResult) => void): void {
    const memberId = join.memberId;
    if (group.is(GroupState.Dead)) return respond(failedJoin(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(join.protocolType, join.protocols.map((p) => p.name))) {
      return respond(failedJoin(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.pendingMembers.has(memberId)) {
      // A pending member is always dynamic; Kafka treats an instance id here as a bug, we ignore it.
      return this.addMemberAndRebalance(group, { ...join, groupInstanceId: null }, respond);
    }
    const instanceIdUnknown = join.groupInstanceId !== null && group.currentStaticMemberId(join.groupInstanceId) === undefined;
    if (group.isStaticMemberFenced(join.groupInstanceId, memberId)) return respond(failedJoin(memberId, ErrorCode.FENCED_INSTANCE_ID));
    if (!group.has(memberId) || instanceIdUnknown) return respond(failedJoin(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    const member = group.get(memberId);
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return this.updateMemberAndRebalance(group, member, join, respond);
      case GroupState.CompletingRebalance:
        if (member.matches(join.protocols)) {
          // The member lost its JoinGroup response: send this generation's answer again.
          return respond(this.currentJoinResult(group, memberId, group.isLeader(memberId), false, group.leaderId ?? ''));
        }
        return this.updateMemberAndRebalance(group, member, join, respond);
      case GroupState.Stable:
        // A leader rejoin always rebalances: that is how a leader reacts to topic metadata changes.
        if (group.isLeader(memberId) || !member.matches(join.protocols)) return this.updateMemberAndRebalance(group, member, join, respond);
        return respond(this.currentJoinResult(group, memberId, false, false, group.leaderId ?? ''));
      case GroupState.Empty:
      case GroupState.Dead:
        return respond(failedJoin(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private currentJoinResult(group: ClassicGroup, memberId: string, withMembers: boolean, skipAssignment: boolean, leaderId: string): JoinResult {
    return {
      members: withMembers ? group.currentMemberMetadata() : [],
      memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId,
      skipAssignment,
      errorCode: ErrorCode.NONE,
    };
  }

  private addMemberAndRebalance(group: ClassicGroup, join: JoinParams, respond: (result: JoinResult) => void): void {
    const member = new GroupMember(
      join.memberId,
      join.groupInstanceId,
      join.clientId,
      join.clientHost,
      join.rebalanceTimeoutMs,
      join.sessionTimeoutMs,
      join.protocolType,
      join.protocols,
    );
    member.isNew = true;
    // During the initial delayed join each new member buys the group another delay.
    if (group.is(GroupState.PreparingRebalance) && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, respond);
    // A new member cannot heartbeat until its join completes, and a client that gave up may retry with a fresh
    // JoinGroup; so new members expire after newMemberJoinTimeoutMs instead of their session timeout.
    this.completeAndScheduleNextHeartbeatExpiration(group, member, this.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalance(group);
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, join: JoinParams, respond: (result: JoinResult) => void): void {
    group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, respond);
    this.maybePrepareRebalance(group);
  }

  /**
   * KIP-345: a known instance id rejoining with a new member id takes over the old member's slot. In a Stable
   * group whose chosen protocol would not change, nothing rebalances: the group record is rewritten with the new
   * id and the member keeps its assignment.
   */
  private updateStaticMemberAndRebalance(
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    join: JoinParams,
    respond: (result: JoinResult) => void,
  ): void {
    const instanceId = join.groupInstanceId as string;
    const currentLeader = group.leaderId ?? '';
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, ErrorCode.FENCED_INSTANCE_ID);
    this.completeAndScheduleNextHeartbeatExpiration(group, member);
    const oldProtocols = member.supportedProtocols;
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs;
    const oldSessionTimeoutMs = member.sessionTimeoutMs;
    group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, respond);
    switch (group.state) {
      case GroupState.Stable: {
        if (group.protocolName !== group.selectProtocol()) {
          this.maybePrepareRebalance(group);
          return;
        }
        const generationId = group.generationId;
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
        this.writer.storeGroup(group, assignment, (error) => {
          if (group.is(GroupState.Dead) || group.members.get(newMemberId) !== member) return;
          if (error !== ErrorCode.NONE) {
            // Persisting the new member id failed: give the slot back to the old id, as Kafka does.
            group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, undefined);
            const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID);
            this.completeAndScheduleNextHeartbeatExpiration(group, restored);
            respond({ ...this.currentJoinResult(group, '', false, false, currentLeader), errorCode: error });
          } else if (join.supportSkippingAssignment) {
            // v9+: the leader learns it leads (to keep watching metadata) but must not run the assignor.
            const isLeader = group.isLeader(newMemberId);
            group.invokeJoinCallback(member, {
              ...this.currentJoinResult(group, newMemberId, isLeader, isLeader, group.leaderId ?? ''),
              generationId,
            });
          } else {
            // Older clients are told the old leader id, so a returning leader does not think it must assign.
            group.invokeJoinCallback(member, { ...this.currentJoinResult(group, newMemberId, false, false, currentLeader), generationId });
          }
        });
        return;
      }
      case GroupState.CompletingRebalance:
        // The leader may already be assigning with the old member id: only a new rebalance keeps them consistent.
        this.prepareRebalance(group);
        return;
      case GroupState.PreparingRebalance:
      case GroupState.Empty:
      case GroupState.Dead:
        return;
    }
  }

  private maybePrepareRebalance(group: ClassicGroup): void {
    if (group.canRebalance) this.prepareRebalance(group);
  }

  private prepareRebalance(group: ClassicGroup): void {
    if (group.is(GroupState.CompletingRebalance)) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const wasEmpty = group.is(GroupState.Empty);
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs;
    group.transitionTo(GroupState.PreparingRebalance, this.scheduler.nowMs());
    group.joinTimer?.cancel();
    if (wasEmpty) {
      const delayMs = this.config.groupInitialRebalanceDelayMs;
      this.scheduleInitialDelayedJoin(group, delayMs, Math.max(rebalanceTimeoutMs - delayMs, 0));
    } else {
      this.scheduleDelayedJoin(group, rebalanceTimeoutMs);
      this.tryCompleteJoin(group);
    }
  }

  /** The join phase of a rebalance: ends when everyone has rejoined, or at the rebalance timeout. */
  private scheduleDelayedJoin(group: ClassicGroup, timeoutMs: number): void {
    group.joinCanCompleteEarly = true;
    const timer = this.scheduler.schedule(timeoutMs, () => {
      if (group.joinTimer !== timer) return;
      group.joinTimer = undefined;
      this.onCompleteJoin(group);
    });
    group.joinTimer = timer;
  }

  /**
   * The first join phase of an Empty group waits `group.initial.rebalance.delay.ms` so that consumers starting
   * together land in one generation; a member joining meanwhile buys another delay, never beyond the rebalance
   * timeout in total. It never completes early.
   */
  private scheduleInitialDelayedJoin(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    group.joinCanCompleteEarly = false;
    const timer = this.scheduler.schedule(delayMs, () => {
      if (group.joinTimer !== timer) return;
      group.joinTimer = undefined;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const nextDelayMs = Math.min(this.config.groupInitialRebalanceDelayMs, remainingMs);
        this.scheduleInitialDelayedJoin(group, nextDelayMs, Math.max(remainingMs - delayMs, 0));
      } else {
        this.onCompleteJoin(group);
      }
    });
    group.joinTimer = timer;
  }

  /** Ends the join phase early when every member (and no pending one) is waiting. */
  private tryCompleteJoin(group: ClassicGroup): void {
    if (group.joinTimer === undefined || !group.joinCanCompleteEarly || !group.hasAllMembersJoined()) return;
    group.joinTimer.cancel();
    group.joinTimer = undefined;
    this.onCompleteJoin(group);
  }

  private onCompleteJoin(group: ClassicGroup): void {
    if (!group.is(GroupState.PreparingRebalance)) return;
    // Dynamic members that did not rejoin are gone; static members keep their slot until their session expires.
    for (const member of group.notYetRejoinedMembers()) {
      if (!member.isStatic) this.dropMember(group, member);
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Nobody rejoined: wait another rebalance timeout for session expiry to clear the group.
      this.scheduleDelayedJoin(group, group.rebalanceTimeoutMs);
      return;
    }
    const nowMs = this.scheduler.nowMs();
    group.initNextGeneration(nowMs);
    if (group.is(GroupState.Empty)) {
      // If this write fails the previous generation comes back after a restart; with no members that is harmless.
      this.writer.storeGroup(group, new Map(), () => undefined);
      return;
    }
    for (const member of group.members.values()) {
      group.invokeJoinCallback(
        member,
        this.currentJoinResult(group, member.memberId, group.isLeader(member.memberId), false, group.leaderId ?? ''),
      );
      this.completeAndScheduleNextHeartbeatExpiration(group, member);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  // ---------------------------------------------------------------------------------------------------------
  // SyncGroup (v0-v5)
  // ---------------------------------------------------------------------------------------------------------

  /** Followers wait for the leader's assignment; the leader's SyncGroup is answered once the group record is written. */
  syncGroup(request: SyncGroupRequest, context: Pick<ClientContext, 'apiVersion'>): Promise<SyncGroupResponse> {
    return new Promise((resolve) => {
      this.handleSyncGroup(request, context.apiVersion, (result) =>
        resolve({ throttleTimeMs: 0, errorCode: result.errorCode, protocolType: result.protocolType, protocolName: result.protocolName, assignment: result.assignment }),
      );
    });
  }

  private handleSyncGroup(request: SyncGroupRequest, apiVersion: number, respond: (result: SyncResult) => void): void {
    // v5+ must name the protocol type and name (KafkaApis checks this before the coordinator sees the request).
    if (apiVersion >= 5 && (request.protocolType === null || request.protocolName === null)) {
      return respond(failedSync(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const statusError = this.validateGroupStatus(request.groupId, 'sync');
    // While loading, the rebalance state is lost; REBALANCE_IN_PROGRESS sends the member back to JoinGroup
    // (older clients do not know COORDINATOR_LOAD_IN_PROGRESS here).
    if (statusError === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return respond(failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
    if (statusError !== undefined) return respond(failedSync(statusError));
    const group = this.groups.get(request.groupId);
    if (group === undefined) return respond(failedSync(ErrorCode.UNKNOWN_MEMBER_ID));
    const memberId = request.memberId;
    const groupInstanceId = apiVersion >= 3 ? request.groupInstanceId : null;
    if (group.is(GroupState.Dead)) return respond(failedSync(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const memberError = group.validateCurrentMember(memberId, groupInstanceId);
    if (memberError !== undefined) return respond(failedSync(memberError));
    if (request.generationId !== group.generationId) return respond(failedSync(ErrorCode.ILLEGAL_GENERATION));
    if (request.protocolType !== null && request.protocolType !== group.protocolType) {
      return respond(failedSync(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (request.protocolName !== null && request.protocolName !== group.protocolName) {
      return respond(failedSync(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case GroupState.Empty:
        return respond(failedSync(ErrorCode.UNKNOWN_MEMBER_ID));
      case GroupState.PreparingRebalance:
        return respond(failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
      case GroupState.CompletingRebalance: {
        const member = group.get(memberId);
        // A repeated SyncGroup replaces the parked one; the earlier request is told to rejoin.
        group.invokeSyncCallback(member, failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
        member.awaitingSync = respond;
        this.removePendingSyncMember(group, memberId);
        if (!group.isLeader(memberId)) return;
        const assignment = new Map<string, Buffer>();
        for (const { memberId: id, assignment: bytes } of request.assignments) assignment.set(id, bytes);
        // Members the leader left out get an empty assignment.
        for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY);
        const generationId = group.generationId;
        this.writer.storeGroup(group, assignment, (error) => {
          // Anything may have happened during the write: act only if this is still the same rebalance.
          if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generationId) return;
          if (error !== ErrorCode.NONE) {
            this.resetAndPropagateAssignmentError(group, error);
            this.maybePrepareRebalance(group);
          } else {
            for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
            this.propagateAssignment(group, ErrorCode.NONE);
            group.transitionTo(GroupState.Stable, this.scheduler.nowMs());
          }
        });
        return;
      }
      case GroupState.Stable: {
        this.removePendingSyncMember(group, memberId);
        const member = group.get(memberId);
        respond({ protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment, errorCode: ErrorCode.NONE });
        this.completeAndScheduleNextHeartbeatExpiration(group, member);
        return;
      }
    }
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, error: ErrorCode): void {
    for (const member of group.members.values()) member.assignment = EMPTY;
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: ClassicGroup, error: ErrorCode): void {
    const ok = error === ErrorCode.NONE;
    for (const member of group.members.values()) {
      const answered = group.invokeSyncCallback(member, {
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: member.assignment,
        errorCode: error,
      });
      // A session that ran out while the member waited was ignored; give it a fresh deadline now.
      if (answered) this.completeAndScheduleNextHeartbeatExpiration(group, member);
    }
  }

  private schedulePendingSync(group: ClassicGroup): void {
    group.syncTimer?.cancel();
    const generationId = group.generationId;
    const timer = this.scheduler.schedule(group.rebalanceTimeoutMs, () => {
      if (group.syncTimer !== timer) return;
      group.syncTimer = undefined;
      this.onExpirePendingSync(group, generationId);
    });
    group.syncTimer = timer;
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) {
      group.syncTimer?.cancel();
      group.syncTimer = undefined;
    }
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    group.syncTimer?.cancel();
    group.syncTimer = undefined;
  }

  /** Members that never sent SyncGroup within the rebalance timeout are removed and the group rebalances. */
  private onExpirePendingSync(group: ClassicGroup, generationId: number): void {
    if (generationId !== group.generationId) return;
    if (!group.is(GroupState.CompletingRebalance) && !group.is(GroupState.Stable)) return;
    if (group.pendingSyncMembers.size === 0) return;
    for (const memberId of [...group.pendingSyncMembers]) {
      const member = group.members.get(memberId);
      if (member !== undefined) this.dropMember(group, member);
    }
    this.prepareRebalance(group);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Heartbeat (v0-v4) and session timeouts
  // ---------------------------------------------------------------------------------------------------------

  heartbeat(request: HeartbeatRequest, context: Pick<ClientContext, 'apiVersion'>): HeartbeatResponse {
    return { throttleTimeMs: 0, errorCode: this.handleHeartbeat(request, context.apiVersion >= 3 ? request.groupInstanceId : null) };
  }

  private handleHeartbeat(request: HeartbeatRequest, groupInstanceId: string | null): ErrorCode {
    const statusError = this.validateGroupStatus(request.groupId, 'heartbeat');
    // While loading, answer blindly: the member will learn the truth once the group is back.
    if (statusError === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (statusError !== undefined) return statusError;
    const group = this.groups.get(request.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = group.validateCurrentMember(request.memberId, groupInstanceId);
    if (memberError !== undefined) return memberError;
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case GroupState.Empty:
      case GroupState.Dead:
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case GroupState.CompletingRebalance:
      case GroupState.Stable:
        // Members may heartbeat between their JoinGroup and SyncGroup answers; that is a normal heartbeat.
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(request.memberId));
        return ErrorCode.NONE;
      case GroupState.PreparingRebalance:
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(request.memberId));
        return ErrorCode.REBALANCE_IN_PROGRESS;
    }
  }

  /** Meets the member's current deadline and sets the next one (its session timeout, or `timeoutMs`). */
  private completeAndScheduleNextHeartbeatExpiration(group: ClassicGroup, member: GroupMember, timeoutMs = member.sessionTimeoutMs): void {
    member.heartbeatTimer?.cancel();
    member.heartbeatSatisfied = false;
    const timer = this.scheduler.schedule(timeoutMs, () => {
      if (member.heartbeatTimer !== timer) return;
      member.heartbeatTimer = undefined;
      this.onExpireHeartbeat(group, member);
    });
    member.heartbeatTimer = timer;
  }

  private onExpireHeartbeat(group: ClassicGroup, member: GroupMember): void {
    if (group.is(GroupState.Dead) || group.members.get(member.memberId) !== member) return;
    if (member.isLeaving || member.hasSatisfiedHeartbeat()) return;
    this.removeMemberAndUpdateGroup(group, member);
  }

  private removeHeartbeatForLeavingMember(member: GroupMember): void {
    member.isLeaving = true;
    member.heartbeatTimer?.cancel();
    member.heartbeatTimer = undefined;
  }

  /**
   * Takes a member out of the group and answers whatever it has parked with UNKNOWN_MEMBER_ID: a new member may
   * time out while its JoinGroup waits, and a member removed by someone else (an administrative LeaveGroup, a
   * sync deadline) may be waiting in SyncGroup or in a static rejoin. Kafka drops the latter unanswered until the
   * client times out; an unanswered request would hold a connection slot here, so it gets an answer.
   */
  private dropMember(group: ClassicGroup, member: GroupMember): void {
    group.invokeJoinCallback(member, failedJoin('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.invokeSyncCallback(member, failedSync(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    this.removeHeartbeatForLeavingMember(member);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember): void {
    this.dropMember(group, member);
    switch (group.state) {
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        this.maybePrepareRebalance(group);
        return;
      case GroupState.PreparingRebalance:
        this.tryCompleteJoin(group);
        return;
      case GroupState.Empty:
      case GroupState.Dead:
        return;
    }
  }

  private removePendingMemberAndUpdateGroup(group: ClassicGroup, memberId: string): void {
    group.pendingMembers.delete(memberId);
    if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group);
  }

  // ---------------------------------------------------------------------------------------------------------
  // LeaveGroup (v0-v5)
  // ---------------------------------------------------------------------------------------------------------

  /**
   * v0-v2 name one member (top-level member id); v3+ carry a batch of {memberId, groupInstanceId}, where an empty
   * member id with an instance id removes a static member administratively.
   */
  leaveGroup(request: LeaveGroupRequest, context: Pick<ClientContext, 'apiVersion'>): LeaveGroupResponse {
    const version = context.apiVersion;
    const leaving: LeaveGroupRequest.MemberIdentity[] =
      version >= 3 ? request.members : [{ memberId: request.memberId, groupInstanceId: null, reason: null }];
    const { errorCode, members } = this.handleLeaveGroup(request.groupId, leaving);
    if (version >= 3) return { throttleTimeMs: 0, errorCode, members };
    // Before v3 the single member's error is the response's error.
    return { throttleTimeMs: 0, errorCode: errorCode !== ErrorCode.NONE ? errorCode : (members[0]?.errorCode ?? ErrorCode.NONE), members: [] };
  }

  private handleLeaveGroup(groupId: string, leaving: LeaveGroupRequest.MemberIdentity[]): { errorCode: ErrorCode; members: LeaveGroupResponse.MemberResponse[] } {
    const answer = (m: LeaveGroupRequest.MemberIdentity, errorCode: ErrorCode) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    const statusError = this.validateGroupStatus(groupId, 'leave');
    if (statusError !== undefined) return { errorCode: statusError, members: [] };
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.NONE, members: leaving.map((m) => answer(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.is(GroupState.Dead)) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((m) => {
      if (m.memberId === '') {
        const current = m.groupInstanceId === null ? undefined : group.currentStaticMemberId(m.groupInstanceId);
        if (current === undefined) return answer(m, ErrorCode.UNKNOWN_MEMBER_ID);
        this.removeMemberAndUpdateGroup(group, group.get(current));
        return answer(m, ErrorCode.NONE);
      }
      if (group.pendingMembers.has(m.memberId)) {
        this.removePendingMemberAndUpdateGroup(group, m.memberId);
        return answer(m, ErrorCode.NONE);
      }
      const error = group.validateCurrentMember(m.memberId, m.groupInstanceId);
      if (error !== undefined) return answer(m, error);
      this.removeMemberAndUpdateGroup(group, group.get(m.memberId));
      return answer(m, ErrorCode.NONE);
    });
    return { errorCode: ErrorCode.NONE, members };
  }

  // ---------------------------------------------------------------------------------------------------------
  // DescribeGroups (v0-v5), ListGroups (v0-v5), DeleteGroups (v0-v2)
  // ---------------------------------------------------------------------------------------------------------

  describeGroups(request: DescribeGroupsRequest): DescribeGroupsResponse {
    return { throttleTimeMs: 0, groups: request.groups.map((groupId) => this.describeGroup(groupId)) };
  }

  private describeGroup(groupId: string): DescribeGroupsResponse.DescribedGroup {
    const described = (errorCode: ErrorCode, groupState: string): DescribeGroupsResponse.DescribedGroup => ({
      errorCode,
      groupId: asGroupId(groupId),
      groupState,
      protocolType: '',
      protocolData: '',
      members: [],
      authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });
    const statusError = this.validateGroupStatus(groupId, 'describe');
    if (statusError !== undefined) return described(statusError, '');
    const group = this.groups.get(groupId);
    if (group === undefined) return described(ErrorCode.NONE, GroupState.Dead);
    // Only a Stable group has metadata and assignments worth showing; other states list members bare.
    const stable = group.is(GroupState.Stable);
    const protocol = group.protocolName ?? '';
    return {
      ...described(ErrorCode.NONE, group.state),
      protocolType: group.protocolType ?? '',
      protocolData: stable ? protocol : '',
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        memberMetadata: stable ? member.metadata(protocol) : EMPTY,
        memberAssignment: stable ? member.assignment : EMPTY,
      })),
    };
  }

  /** Lists the groups of every loaded partition; COORDINATOR_LOAD_IN_PROGRESS (with what is known) while any loads. */
  listGroups(request: ListGroupsRequest): ListGroupsResponse {
    if (!this.active) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const loading = [...this.partitions.values()].some((p) => p.loading);
    const states = new Set(request.statesFilter.map((s) => s.toLowerCase()));
    // Every group of the classic coordinator is a "classic" group; any other type filter matches nothing.
    const typesMatch = request.typesFilter.length === 0 || request.typesFilter.some((t) => t.toLowerCase() === 'classic');
    const groups: ListGroupsResponse.ListedGroup[] = [];
    if (typesMatch) {
      for (const group of this.groups.values()) {
        if (states.size > 0 && !states.has(group.state.toLowerCase())) continue;
        groups.push({ groupId: asGroupId(group.groupId), protocolType: group.protocolType ?? '', groupState: group.state, groupType: 'classic' });
      }
    }
    return { throttleTimeMs: 0, errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  }

  /** Deletes Empty groups (offsets and all, with tombstones); others get NON_EMPTY_GROUP or GROUP_ID_NOT_FOUND. */
  async deleteGroups(request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
    const results: DeleteGroupsResponse.DeletableGroupResult[] = [];
    const writes: Promise<void>[] = [];
    for (const groupId of request.groupsNames) {
      const statusError = this.validateGroupStatus(groupId, 'delete');
      const group = this.groups.get(groupId);
      let errorCode: ErrorCode = ErrorCode.NONE;
      if (statusError !== undefined) errorCode = statusError;
      else if (group === undefined || group.is(GroupState.Dead)) errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
      else if (!group.is(GroupState.Empty)) errorCode = ErrorCode.NON_EMPTY_GROUP;
      else {
        group.transitionTo(GroupState.Dead, this.scheduler.nowMs());
        writes.push(this.offsets.cleanupGroupMetadata(group, group.removeAllOffsets()));
      }
      results.push({ groupId: asGroupId(groupId), errorCode });
    }
    // Kafka appends these tombstones without waiting; we wait so the answer means the deletion is in the log.
    await Promise.all(writes);
    return { throttleTimeMs: 0, results };
  }


  // ---------------------------------------------------------------------------------------------------------
  // Offsets: OffsetCommit (v0-v9), OffsetFetch (v0-v9), OffsetDelete (v0), expiry — see group-offsets.ts
  // ---------------------------------------------------------------------------------------------------------

  /**
   * Validates the committer (simple commits with generation -1 only into an Empty or unknown group; members by
   * id, instance id and generation), then appends the commits; they become visible once appended. Topic
   * existence is the broker's check (UNKNOWN_TOPIC_OR_PARTITION) before it calls here.
   */
  commitOffsets(request: OffsetCommitRequest, context: Pick<ClientContext, 'apiVersion'>): Promise<OffsetCommitResponse> {
    return this.offsets.commitOffsets(request, context.apiVersion);
  }

  /** OffsetFetch v0-v7 (one group; v2+ `topics: null` = every committed partition) and v8+ (several groups). */
  fetchOffsets(request: OffsetFetchRequest, context: Pick<ClientContext, 'apiVersion'>): OffsetFetchResponse {
    return this.offsets.fetchOffsets(request, context.apiVersion);
  }

  /** TxnOffsetCommit (v0-v4): offsets staged under the producer until its transaction's marker; see GroupOffsets. */
  commitTransactionalOffsets(request: TxnOffsetCommitRequest, context: Pick<ClientContext, 'apiVersion'>, verifyTransaction?: TransactionVerifier): Promise<TxnOffsetCommitResponse> {
    return this.offsets.commitTransactionalOffsets(request, context.apiVersion, verifyTransaction);
  }

  /** Called once the producer's COMMIT or ABORT marker is written to `partition` of __consumer_offsets. */
  completeTransaction(producerId: bigint, partition: number, isCommit: boolean): void {
    this.offsets.completeTransaction(producerId, partition, isCommit);
  }

  /** OffsetDelete: see GroupOffsets.deleteOffsets. */
  deleteOffsets(request: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
    return this.offsets.deleteOffsets(request);
  }

  /** One expiry pass over every loaded group; resolves with the number of offsets removed. */
  expireOffsets(): Promise<number> {
    return this.offsets.expireOffsets();
  }

  private scheduleExpiry(): void {
    this.expiryTimer?.cancel();
    this.expiryTimer = this.scheduler.schedule(this.config.offsetsRetentionCheckIntervalMs, () => {
      this.expiryTimer = undefined;
      void this.offsets.expireOffsets().finally(() => {
        if (this.active) this.scheduleExpiry();
      });
    });
  }

}

interface JoinParams {
  memberId: string;
  groupInstanceId: string | null;
  requireKnownMemberId: boolean;
  supportSkippingAssignment: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
}

/** JoinGroup protocols are a keyed collection in Kafka's schema: a repeated name counts once (first wins). */
function distinctProtocols(protocols: readonly JoinGroupRequest.JoinGroupRequestProtocol[]): MemberProtocol[] {
  const seen = new Set<string>();
  const result: MemberProtocol[] = [];
  for (const p of protocols) {
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    result.push({ name: p.name, metadata: p.metadata });
  }
  return result;
}

function joinResponse(result: JoinResult, apiVersion: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    generationId: result.generationId,
    protocolType: result.protocolType,
    // Before v7 the protocol name is not nullable: Kafka sends "" when there is none.
    protocolName: apiVersion >= 7 ? result.protocolName : (result.protocolName ?? ''),
    leader: result.leaderId,
    skipAssignment: result.skipAssignment,
    memberId: result.memberId,
    members: result.members,
  };
}
