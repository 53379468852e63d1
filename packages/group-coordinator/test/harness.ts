import {
  ErrorCode,
  JoinGroupRequest,
  JoinGroupResponse,
  OffsetCommitRequest,
  Writer,
  asGroupId,
  asTopicName,
  encodeConsumerProtocolSubscription,
} from '@tributary/protocol';
import { GroupCoordinator, GroupCoordinatorConfig, InMemoryCoordinatorLog, ManualScheduler } from '../src';

/** Lets appends to the in-memory log and the continuations after them run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Consumer-protocol subscription metadata (version 1 prefix), as a real consumer sends it. */
export function subscription(topics: string[]): Buffer {
  const w = new Writer(64);
  w.int16(1);
  encodeConsumerProtocolSubscription(w, 1, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null });
  return w.toBuffer();
}

export const GROUP = 'my-group';
export const SESSION_MS = 10_000;
export const REBALANCE_MS = 30_000;

export interface JoinOptions {
  memberId?: string;
  groupInstanceId?: string | null;
  protocols?: { name: string; metadata: Buffer }[];
  protocolType?: string;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  apiVersion?: number;
  clientId?: string;
  groupId?: string;
}

/** A coordinator over an in-memory log and a manual clock, owning every partition, plus request builders. */
export class Harness {
  readonly scheduler = new ManualScheduler();
  readonly log: InMemoryCoordinatorLog;
  coordinator: GroupCoordinator;
  private uuid = 0;

  constructor(
    readonly config: Partial<GroupCoordinatorConfig> = {},
    log = new InMemoryCoordinatorLog(),
  ) {
    this.log = log;
    this.coordinator = this.newCoordinator();
  }

  newCoordinator(): GroupCoordinator {
    return new GroupCoordinator({
      log: this.log,
      scheduler: this.scheduler,
      config: { offsetsTopicNumPartitions: 4, groupInitialRebalanceDelayMs: 3_000, ...this.config },
      newUuid: () => `uuid-${++this.uuid}`,
    });
  }

  async loadAll(coordinator = this.coordinator): Promise<void> {
    for (let p = 0; p < coordinator.config.offsetsTopicNumPartitions; p++) await coordinator.loadPartition(p, 0);
  }

  joinRequest(options: JoinOptions = {}): JoinGroupRequest {
    return {
      groupId: asGroupId(options.groupId ?? GROUP),
      sessionTimeoutMs: options.sessionTimeoutMs ?? SESSION_MS,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? REBALANCE_MS,
      memberId: options.memberId ?? '',
      groupInstanceId: options.groupInstanceId ?? null,
      protocolType: options.protocolType ?? 'consumer',
      protocols: options.protocols ?? [{ name: 'range', metadata: subscription(['t']) }],
      reason: null,
    };
  }

  join(options: JoinOptions = {}): Promise<JoinGroupResponse> {
    return this.coordinator.joinGroup(this.joinRequest(options), {
      apiVersion: options.apiVersion ?? 9,
      clientId: options.clientId ?? 'client',
      clientHost: '/127.0.0.1',
    });
  }

  /** A v4+ dynamic member's two-step join: returns the member id it was given and the pending second join. */
  async joinNew(options: JoinOptions = {}): Promise<{ memberId: string; joined: Promise<JoinGroupResponse> }> {
    const first = await this.join(options);
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    return { memberId: first.memberId, joined: this.join({ ...options, memberId: first.memberId }) };
  }

  sync(memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = [], extra: { groupInstanceId?: string | null; groupId?: string; apiVersion?: number } = {}) {
    return this.coordinator.syncGroup(
      {
        groupId: asGroupId(extra.groupId ?? GROUP),
        generationId,
        memberId,
        groupInstanceId: extra.groupInstanceId ?? null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments,
      },
      { apiVersion: extra.apiVersion ?? 5 },
    );
  }

  heartbeat(memberId: string, generationId: number, groupInstanceId: string | null = null, groupId = GROUP) {
    return this.coordinator.heartbeat({ groupId: asGroupId(groupId), generationId, memberId, groupInstanceId }, { apiVersion: 4 }).errorCode;
  }

  leave(members: { memberId: string; groupInstanceId?: string | null }[], groupId = GROUP) {
    return this.coordinator.leaveGroup(
      {
        groupId: asGroupId(groupId),
        memberId: '',
        members: members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, reason: null })),
      },
      { apiVersion: 5 },
    );
  }

  commitRequest(
    offsets: { topic: string; partition: number; offset: bigint; metadata?: string | null }[],
    member: { memberId?: string; generationId?: number; groupInstanceId?: string | null; groupId?: string; retentionTimeMs?: bigint } = {},
  ): OffsetCommitRequest {
    const topics = new Map<string, OffsetCommitRequest.OffsetCommitRequestPartition[]>();
    for (const o of offsets) {
      const list = topics.get(o.topic) ?? [];
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: 5, commitTimestamp: -1n, committedMetadata: o.metadata === undefined ? 'meta' : o.metadata });
      topics.set(o.topic, list);
    }
    return {
      groupId: asGroupId(member.groupId ?? GROUP),
      generationIdOrMemberEpoch: member.generationId ?? -1,
      memberId: member.memberId ?? '',
      groupInstanceId: member.groupInstanceId ?? null,
      retentionTimeMs: member.retentionTimeMs ?? -1n,
      topics: [...topics].map(([name, partitions]) => ({ name: asTopicName(name), partitions })),
    };
  }

  /** Commits and returns the error code of every partition, in request order. */
  async commit(...args: Parameters<Harness['commitRequest']>): Promise<number[]> {
    const response = await this.coordinator.commitOffsets(this.commitRequest(...args), { apiVersion: 8 });
    return response.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
  }

  fetch(partitions: { topic: string; partitions: number[] }[] | null, groupId = GROUP, requireStable = false) {
    const response = this.coordinator.fetchOffsets(
      {
        groupId: asGroupId(groupId),
        topics: partitions === null ? null : partitions.map((p) => ({ name: asTopicName(p.topic), partitionIndexes: p.partitions })),
        groups: [],
        requireStable,
      },
      { apiVersion: 7 },
    );
    return response;
  }

  describe(groupId = GROUP) {
    return this.coordinator.describeGroups({ groups: [asGroupId(groupId)], includeAuthorizedOperations: false }).groups[0];
  }

  state(groupId = GROUP): string {
    return this.describe(groupId).groupState;
  }

  /** Forms a Stable group of `count` dynamic members (v9 joins) and returns their ids and the generation. */
  async stableGroup(count: number, options: JoinOptions = {}): Promise<{ memberIds: string[]; generationId: number; leader: string }> {
    const pending: Promise<JoinGroupResponse>[] = [];
    for (let i = 0; i < count; i++) {
      const { joined } = await this.joinNew({ ...options, clientId: `client-${i}` });
      pending.push(joined);
    }
    this.scheduler.advance(this.coordinator.config.groupInitialRebalanceDelayMs * (count + 1));
    const responses = await Promise.all(pending);
    for (const r of responses) expect(r.errorCode).toBe(ErrorCode.NONE);
    const leader = responses[0].leader;
    const generationId = responses[0].generationId;
    const memberIds = responses.map((r) => r.memberId);
    const syncs = memberIds.map((id) =>
      this.sync(id, generationId, id === leader ? memberIds.map((m) => ({ memberId: m, assignment: Buffer.from(`assignment-of-${m}`) })) : []),
    );
    await flush();
    for (const s of await Promise.all(syncs)) expect(s.errorCode).toBe(ErrorCode.NONE);
    expect(this.state()).toBe('Stable');
    return { memberIds, generationId, leader };
  }
}
