import type { Cancellable } from './scheduler';

/** A protocol a member supports (an assignor name for consumers) with its opaque metadata. */
export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

/** What a parked JoinGroup learns when its join phase ends (or when it is cut short). */
export interface JoinResult {
  /** All members with their metadata for the leader; empty for everyone else. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
  memberId: string;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string;
  skipAssignment: boolean;
  errorCode: number;
}

export interface SyncResult {
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
  errorCode: number;
}

export type JoinCallback = (result: JoinResult) => void;
export type SyncCallback = (result: SyncResult) => void;

const EMPTY = Buffer.alloc(0);

/**
 * One member of a classic group. Callbacks hold the member's parked JoinGroup or SyncGroup; the heartbeat timer
 * is the member's session (or, while new, its join) deadline.
 */
export class GroupMember {
  assignment: Buffer = EMPTY;
  awaitingJoin: JoinCallback | undefined;
  awaitingSync: SyncCallback | undefined;
  /** Joined but not yet through a completed join phase: it cannot heartbeat, so a longer deadline applies. */
  isNew = false;
  heartbeatSatisfied = false;
  isLeaving = false;
  heartbeatTimer: Cancellable | undefined;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: MemberProtocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== undefined;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== undefined;
  }

  /** The metadata the member sent for `protocol`; empty if it does not support it. */
  metadata(protocol: string): Buffer {
    return this.supportedProtocols.find((p) => p.name === protocol)?.metadata ?? EMPTY;
  }

  /** Same protocols, in the same order, with byte-identical metadata: a rejoin that changes nothing. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    return protocols.every((p, i) => p.name === this.supportedProtocols[i].name && p.metadata.equals(this.supportedProtocols[i].metadata));
  }

  /** The member's first preference among the protocols every member supports. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.supportedProtocols.find((p) => candidates.has(p.name));
    if (choice === undefined) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(', ')}`);
    return choice.name;
  }

  /**
   * Whether the last session deadline was met. Members parked in a join or sync phase count as alive (they cannot
   * heartbeat while parked), except new members, which must finish a join phase before their deadline.
   */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return this.heartbeatSatisfied;
    if (this.isAwaitingJoin || this.isAwaitingSync) return true;
    return this.heartbeatSatisfied;
  }
}
