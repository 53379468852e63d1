/**
 * The broker's cache of incremental fetch sessions (KIP-227), with Kafka's admission and eviction rules.
 *
 * A session remembers, per partition, what its client last asked for and was last told, so later requests
 * (incremental) name only what changed and responses carry only partitions with news. The cache holds at most
 * `max.incremental.fetch.session.cache.slots` sessions. When it is full, a new session may take the place of:
 *   1. the least recently used session, if unused for longer than the eviction interval (2 minutes), else
 *   2. the least valuable evictable session, if the newcomer is worth at least as much. Value orders by
 *      privilege (followers' sessions first), then by partition count, then by id. A session becomes
 *      evictable by anyone once older than the eviction interval; before that, a non-privileged session may
 *      still be evicted by a privileged newcomer.
 * Otherwise no session is created and the client keeps doing full fetches (session id 0), as with Kafka.
 */
import { Uuid } from '@tributary/protocol';

/** Session id 0: no session. */
export const INVALID_SESSION_ID = 0;
/** Epoch 0 in a request: create a session. */
export const INITIAL_EPOCH = 0;
/** Epoch -1 in a request: close the session (or use none). */
export const FINAL_EPOCH = -1;
/** Kafka's FetchSessionCache eviction interval (MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS). */
export const SESSION_EVICTION_MS = 120_000;

/** The epoch that follows `epoch`; wraps from Integer.MAX_VALUE to 1 (0 would mean "create"), FINAL stays FINAL. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

/** One partition as a request names it. `topic` is null for a topic id this broker does not know (v13+). */
export interface RequestedPartition {
  topic: string | null;
  topicId: Uuid;
  partition: number;
  fetchOffset: bigint;
  logStartOffset: bigint;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

/** What a client fetches of one partition, and what the session last sent it about that partition. */
export interface CachedPartition extends RequestedPartition {
  /** The high watermark last sent, -1 when never sent or after an error (so the partition is sent again). */
  sentHighWatermark: bigint;
  /** The log start offset last sent, -1 when never sent. */
  sentLogStartOffset: bigint;
}

/** A partition's identity inside a session: by topic id when the session uses ids, else by name. */
export function partitionKey(usesTopicIds: boolean, target: { topic: string | null; topicId: Uuid; partition: number }): string {
  return usesTopicIds ? `${target.topicId}:${target.partition}` : `${target.topic ?? ''}\u0000${target.partition}`;
}

export class FetchSession {
  /** The epoch the next request of this session must carry. */
  epoch: number;
  lastUsedMs: number;
  /** Partition count when last indexed in the cache's eviction order; -1 before. */
  indexedSize = -1;

  constructor(
    readonly id: number,
    readonly privileged: boolean,
    /** In iteration order: partitions answered with data move to the end, so the others are read first next time. */
    readonly partitions: Map<string, CachedPartition>,
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
  ) {
    this.epoch = nextEpoch(INITIAL_EPOCH);
    this.lastUsedMs = creationMs;
  }

  get size(): number {
    return this.partitions.size;
  }
}

/** Orders sessions by worth, least first: unprivileged before privileged, then fewer partitions, then lower id. */
function compareWorth(a: { privileged: boolean; size: number; id: number }, b: { privileged: boolean; size: number; id: number }): number {
  if (a.privileged !== b.privileged) return a.privileged ? 1 : -1;
  if (a.size !== b.size) return a.size - b.size;
  return a.id - b.id;
}

export interface FetchSessionCacheOptions {
  maxSessions: number;
  evictionMs?: number;
  /** A random 31-bit integer; new session ids are drawn from it. */
  randomInt: () => number;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly evictionMs: number;
  /** Total partitions across cached sessions, as Kafka reports it (NumIncrementalFetchPartitionsCached). */
  private partitionCount = 0;

  constructor(private readonly options: FetchSessionCacheOptions) {
    this.evictionMs = options.evictionMs ?? SESSION_EVICTION_MS;
  }

  get size(): number {
    return this.sessions.size;
  }

  get totalPartitions(): number {
    return this.partitionCount;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: number): FetchSession | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    this.sessions.delete(id);
    if (session.indexedSize >= 0) this.partitionCount -= session.indexedSize;
    return session;
  }

  /** Records a use of the session (its recency and current size count for eviction). */
  touch(session: FetchSession, nowMs: number): void {
    if (session.indexedSize >= 0) this.partitionCount -= session.indexedSize;
    session.lastUsedMs = nowMs;
    session.indexedSize = session.size;
    this.partitionCount += session.indexedSize;
  }

  /**
   * Creates a session for these partitions if there is room, or room can be made by eviction; returns its id,
   * or INVALID_SESSION_ID when the client must go on without one.
   */
  maybeCreate(nowMs: number, privileged: boolean, partitions: Map<string, CachedPartition>, usesTopicIds: boolean): number {
    if (this.options.maxSessions <= 0) return INVALID_SESSION_ID;
    if (this.sessions.size >= this.options.maxSessions && !this.tryEvict(privileged, partitions.size, nowMs)) return INVALID_SESSION_ID;
    const session = new FetchSession(this.newSessionId(), privileged, partitions, usesTopicIds, nowMs);
    this.sessions.set(session.id, session);
    this.touch(session, nowMs);
    return session.id;
  }

  private tryEvict(privileged: boolean, size: number, nowMs: number): boolean {
    let leastRecent: FetchSession | undefined;
    for (const session of this.sessions.values()) {
      if (!leastRecent || session.lastUsedMs < leastRecent.lastUsedMs || (session.lastUsedMs === leastRecent.lastUsedMs && session.id < leastRecent.id)) {
        leastRecent = session;
      }
    }
    if (!leastRecent) return false;
    if (nowMs - leastRecent.lastUsedMs > this.evictionMs) {
      this.remove(leastRecent.id);
      return true;
    }
    // No stale session: the least valuable one this newcomer may evict, if it is worth no more than the newcomer.
    let candidate: FetchSession | undefined;
    for (const session of this.sessions.values()) {
      const old = nowMs - session.creationMs > this.evictionMs;
      const evictable = old || (privileged && !session.privileged);
      if (!evictable) continue;
      const worth = { privileged: session.privileged, size: session.indexedSize, id: session.id };
      if (!candidate || compareWorth(worth, { privileged: candidate.privileged, size: candidate.indexedSize, id: candidate.id }) < 0) candidate = session;
    }
    if (!candidate) return false;
    // The newcomer has id 0 in the comparison, so among equals the existing session stays.
    if (compareWorth({ privileged, size, id: 0 }, { privileged: candidate.privileged, size: candidate.indexedSize, id: candidate.id }) < 0) return false;
    this.remove(candidate.id);
    return true;
  }

  private newSessionId(): number {
    for (;;) {
      const id = this.options.randomInt() & 0x7fffffff;
      if (id !== INVALID_SESSION_ID && !this.sessions.has(id)) return id;
    }
  }
}
