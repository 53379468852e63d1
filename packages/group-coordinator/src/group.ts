import { ErrorCode, Reader, decodeConsumerProtocolSubscription } from '@tributary/protocol';
import { GroupState, IllegalGroupTransitionError, isValidTransition } from './group-state';
import { GroupMember, JoinResult, MemberProtocol, SyncResult } from './member';
import { CommitRecord, OffsetAndMetadata, TopicPartition, partitionKey } from './offsets';
import type { Cancellable } from './scheduler';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/**
 * One classic group: its members, generation, chosen protocol and committed offsets (Kafka's GroupMetadata).
 * Mutated only from the coordinator, on the event loop, and never across an await: every check and the change
 * it guards happen in one synchronous run.
 */
export class ClassicGroup {
  state: GroupState;
  /** When the group last changed state (written to the log as currentStateTimestamp; drives KIP-211 expiry). */
  currentStateTimestampMs: number | null = null;
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id → the member id that currently holds it. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED and not yet used in a second JoinGroup. */
  readonly pendingMembers = new Set<string>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  private readonly supportedProtocolCounts = new Map<string, number>();
  private awaitingJoinCount = 0;
  /** Set when a member joins during the initial delayed join, which then waits another delay. */
  newMemberAdded = false;
  /** Topics the members subscribe to (consumer protocol only); null when unknown. */
  subscribedTopics: Set<string> | null = null;

  readonly offsets = new Map<string, CommitRecord>();
  /** Plain commits appended but not yet acknowledged by the log, by partition key. */
  readonly pendingOffsetCommits = new Map<string, OffsetAndMetadata>();
  /** Transactional commits awaiting their transaction's marker, by producer id then partition key. */
  readonly pendingTransactionalOffsetCommits = new Map<bigint, Map<string, CommitRecord>>();

  /** The running join-phase deadline (DelayedJoin / InitialDelayedJoin). */
  joinTimer: Cancellable | undefined;
  /** Whether the running join phase may finish early once everyone has joined (false for the initial delay). */
  joinCanCompleteEarly = false;
  /** The deadline for members of this generation to send SyncGroup. */
  syncTimer: Cancellable | undefined;

  constructor(
    readonly groupId: string,
    readonly partition: number,
    initialState: GroupState,
    nowMs: number,
  ) {
    this.state = initialState;
    this.currentStateTimestampMs = nowMs;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, nowMs: number): void {
    if (!isValidTransition(this.state, state)) throw new IllegalGroupTransitionError(this.groupId, this.state, state);
    this.state = state;
    this.currentStateTimestampMs = nowMs;
  }

  /** Whether a rebalance may start from here (PreparingRebalance's valid previous states). */
  get canRebalance(): boolean {
    return isValidTransition(this.state, GroupState.PreparingRebalance);
  }

  get size(): number {
    return this.members.size;
  }

  get numAwaitingJoin(): number {
    return this.awaitingJoinCount;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): GroupMember {
    const member = this.members.get(memberId);
    if (member === undefined) throw new Error(`group ${this.groupId} has no member ${memberId}`);
    return member;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /** The longest rebalance timeout of any member: how long a join phase may wait. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const member of this.members.values()) max = Math.max(max, member.rebalanceTimeoutMs);
    return max;
  }

  get isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.awaitingJoinCount && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): GroupMember[] {
    return [...this.members.values()].filter((member) => !member.isAwaitingJoin);
  }

  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** A request whose instance id is held by a different member id comes from a fenced duplicate. */
  isStaticMemberFenced(groupInstanceId: string | null, memberId: string): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /**
   * Kafka's validateCurrentMember: an instance id, when given, must be held by this member id (else the caller
   * is a fenced duplicate), and the member must exist.
   */
  validateCurrentMember(memberId: string, groupInstanceId: string | null): ErrorCode | undefined {
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? undefined : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /**
   * Whether a joining member's protocols are compatible: an Empty group takes any non-empty type with at least
   * one protocol; otherwise the type must match and one protocol must be supported by every current member.
   */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.is(GroupState.Empty)) return protocolType !== '' && protocolNames.length > 0;
    return (
      this.protocolType === protocolType &&
      protocolNames.some((name) => (this.supportedProtocolCounts.get(name) ?? 0) === this.members.size)
    );
  }

  add(member: GroupMember, callback?: (result: JoinResult) => void): void {
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = callback;
    if (member.isAwaitingJoin) this.awaitingJoinCount++;
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (member !== undefined) {
      this.members.delete(memberId);
      this.countProtocols(member, -1);
      if (member.isAwaitingJoin) this.awaitingJoinCount--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.isLeader(memberId)) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    return member;
  }

  updateMember(
    member: GroupMember,
    protocols: MemberProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    callback: ((result: JoinResult) => void) | undefined,
  ): void {
    this.countProtocols(member, -1);
    member.supportedProtocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (callback !== undefined && !member.isAwaitingJoin) this.awaitingJoinCount++;
    else if (callback === undefined && member.isAwaitingJoin) this.awaitingJoinCount--;
    member.awaitingJoin = callback;
  }

  /**
   * Gives a static member's slot to a new member id. The old id's parked requests are answered with
   * FENCED_INSTANCE_ID at once, so a duplicate instance learns it lost.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fencedCode: number): GroupMember {
    const member = this.members.get(oldMemberId);
    if (member === undefined) throw new Error(`static member ${groupInstanceId} (${oldMemberId}) is not in group ${this.groupId}`);
    this.members.delete(oldMemberId);
    this.invokeJoinCallback(member, failedJoin(oldMemberId, fencedCode));
    this.invokeSyncCallback(member, failedSync(fencedCode));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  /** Answers a parked JoinGroup, if any. */
  invokeJoinCallback(member: GroupMember, result: JoinResult): boolean {
    const callback = member.awaitingJoin;
    if (callback === undefined) return false;
    member.awaitingJoin = undefined;
    this.awaitingJoinCount--;
    callback(result);
    return true;
  }

  /** Answers a parked SyncGroup, if any. */
  invokeSyncCallback(member: GroupMember, result: SyncResult): boolean {
    const callback = member.awaitingSync;
    if (callback === undefined) return false;
    member.awaitingSync = undefined;
    callback(result);
    return true;
  }

  /** If the leader did not rejoin, hand leadership to a member that did; false if nobody rejoined. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.isAwaitingJoin) return true;
    for (const member of this.members.values()) {
      if (member.isAwaitingJoin) {
        this.leaderId = member.memberId;
        return true;
      }
    }
    return false;
  }

  /**
   * Kafka's protocol vote: among the protocols every member supports, each member votes for its first
   * preference and the most votes win (ties go to the protocol that reached the count first).
   */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocolCounts) if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    let winner = '';
    let winnerVotes = 0;
    for (const member of this.members.values()) {
      const choice = member.vote(candidates);
      const count = (votes.get(choice) ?? 0) + 1;
      votes.set(choice, count);
      if (count > winnerVotes) {
        winner = choice;
        winnerVotes = count;
      }
    }
    return winner;
  }

  /** Starts the next generation: Empty if nobody is left, else CompletingRebalance with a freshly voted protocol. */
  initNextGeneration(nowMs: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(GroupState.CompletingRebalance, nowMs);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(GroupState.Empty, nowMs);
    }
    this.pendingSyncMembers.clear();
  }

  /** Each member's metadata for the chosen protocol, as the leader receives it. */
  currentMemberMetadata(): JoinResult['members'] {
    const protocol = this.protocolName ?? '';
    return [...this.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      metadata: member.metadata(protocol),
    }));
  }

  /**
   * The union of the members' subscribed topics, parsed with the version-0 prefix every consumer protocol
   * version shares. Null (unknown) for other protocol types or metadata that does not parse.
   */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const member of this.members.values()) {
        const reader = new Reader(member.metadata(this.protocolName));
        reader.int16();
        for (const topic of decodeConsumerProtocolSubscription(reader, 0).topics) topics.add(topic);
      }
    } catch {
      return null;
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null ? true : this.subscribedTopics.has(topic);
  }

  // ---- offsets ----

  offset(topic: string, partition: number): OffsetAndMetadata | undefined {
    return this.offsets.get(partitionKey(topic, partition))?.value;
  }

  get hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0 || this.pendingTransactionalOffsetCommits.size > 0;
  }

  hasPendingOffsetCommitsFor(topic: string, partition: number): boolean {
    const key = partitionKey(topic, partition);
    if (this.pendingOffsetCommits.has(key)) return true;
    for (const pending of this.pendingTransactionalOffsetCommits.values()) if (pending.has(key)) return true;
    return false;
  }

  prepareOffsetCommit(topic: string, partition: number, value: OffsetAndMetadata): void {
    this.pendingOffsetCommits.set(partitionKey(topic, partition), value);
  }

  /** The append of a plain commit completed: it becomes visible unless a later record already won. */
  onOffsetCommitAppend(record: CommitRecord): void {
    const key = partitionKey(record.topic, record.partition);
    if (this.pendingOffsetCommits.get(key) === record.value) this.pendingOffsetCommits.delete(key);
    const current = this.offsets.get(key);
    if (current === undefined || isOlder(current, record)) this.offsets.set(key, record);
  }

  failPendingOffsetWrite(topic: string, partition: number, value: OffsetAndMetadata): void {
    const key = partitionKey(topic, partition);
    if (this.pendingOffsetCommits.get(key) === value) this.pendingOffsetCommits.delete(key);
  }

  /**
   * Hook for transactional offset commits (TxnOffsetCommit): staged per producer, invisible to OffsetFetch
   * (which answers UNSTABLE_OFFSET_COMMIT under require_stable) until the transaction's marker arrives.
   */
  stageTransactionalOffsetCommit(producerId: bigint, record: CommitRecord): void {
    let pending = this.pendingTransactionalOffsetCommits.get(producerId);
    if (pending === undefined) {
      pending = new Map();
      this.pendingTransactionalOffsetCommits.set(producerId, pending);
    }
    pending.set(partitionKey(record.topic, record.partition), record);
  }

  /** The append of a staged transactional commit failed: it is withdrawn (if still the staged one). */
  failTransactionalOffsetCommit(producerId: bigint, record: CommitRecord): void {
    const pending = this.pendingTransactionalOffsetCommits.get(producerId);
    const key = partitionKey(record.topic, record.partition);
    if (pending?.get(key) !== record) return;
    pending.delete(key);
    if (pending.size === 0) this.pendingTransactionalOffsetCommits.delete(producerId);
  }

  /** The producer's transaction ended: on commit its staged offsets become committed, on abort they vanish. */
  completeTransactionalOffsetCommits(producerId: bigint, isCommit: boolean): void {
    const pending = this.pendingTransactionalOffsetCommits.get(producerId);
    if (pending === undefined) return;
    this.pendingTransactionalOffsetCommits.delete(producerId);
    if (!isCommit) return;
    for (const [key, record] of pending) {
      const current = this.offsets.get(key);
      if (current === undefined || isOlder(current, record)) this.offsets.set(key, record);
    }
  }

  /** Removes and returns the offsets of the given partitions (OffsetDelete). */
  removeOffsets(partitions: readonly TopicPartition[]): CommitRecord[] {
    const removed: CommitRecord[] = [];
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition);
      const record = this.offsets.get(key);
      this.pendingOffsetCommits.delete(key);
      if (record !== undefined) {
        this.offsets.delete(key);
        removed.push(record);
      }
    }
    return removed;
  }

  removeAllOffsets(): CommitRecord[] {
    const removed = [...this.offsets.values()];
    this.offsets.clear();
    this.pendingOffsetCommits.clear();
    this.pendingTransactionalOffsetCommits.clear();
    return removed;
  }

  /**
   * KIP-211 expiry: an Empty group's offsets expire `retentionMs` after it became Empty; a Stable consumer group
   * that knows its subscription loses only offsets of topics it no longer subscribes to (by commit time); groups
   * without a protocol (simple consumers) expire by commit time. Commits with an explicit expire timestamp use it.
   */
  removeExpiredOffsets(nowMs: number, retentionMs: number): CommitRecord[] {
    let baseTimestamp: ((record: CommitRecord) => number) | undefined;
    let subscribed: ReadonlySet<string> = new Set();
    if (this.protocolType !== null && this.is(GroupState.Empty)) {
      const emptySince = this.currentStateTimestampMs;
      baseTimestamp = (record) => emptySince ?? record.value.commitTimestampMs;
    } else if (this.isConsumerGroup && this.subscribedTopics !== null && this.is(GroupState.Stable)) {
      subscribed = this.subscribedTopics;
      baseTimestamp = (record) => record.value.commitTimestampMs;
    } else if (this.protocolType === null) {
      baseTimestamp = (record) => record.value.commitTimestampMs;
    }
    if (baseTimestamp === undefined) return [];
    const expired: CommitRecord[] = [];
    for (const [key, record] of this.offsets) {
      if (subscribed.has(record.topic) || this.pendingOffsetCommits.has(key)) continue;
      const expire = record.value.expireTimestampMs;
      const isExpired = expire === null ? nowMs - baseTimestamp(record) >= retentionMs : nowMs >= expire;
      if (isExpired) expired.push(record);
    }
    for (const record of expired) this.offsets.delete(partitionKey(record.topic, record.partition));
    return expired;
  }

  private countProtocols(member: GroupMember, delta: number): void {
    for (const { name } of member.supportedProtocols) {
      const count = (this.supportedProtocolCounts.get(name) ?? 0) + delta;
      if (count === 0) this.supportedProtocolCounts.delete(name);
      else this.supportedProtocolCounts.set(name, count);
    }
  }
}

function isOlder(current: CommitRecord, candidate: CommitRecord): boolean {
  if (current.logOffset === undefined || candidate.logOffset === undefined) return true;
  return current.logOffset < candidate.logOffset;
}

export function failedJoin(memberId: string, errorCode: number): JoinResult {
  return {
    members: [],
    memberId,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leaderId: '',
    skipAssignment: false,
    errorCode,
  };
}

export function failedSync(errorCode: number): SyncResult {
  return { protocolType: null, protocolName: null, assignment: Buffer.alloc(0), errorCode };
}
