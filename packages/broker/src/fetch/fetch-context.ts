/**
 * Turns a Fetch request's session fields into what to read and what to answer (KIP-227, as Kafka's
 * FetchManager does it):
 *   - session 0, epoch -1: no session; read and answer what the request names.
 *   - epoch 0 (any session id): a full fetch that opens a new session (closing the named one, if any).
 *   - session N, epoch -1: close session N and fetch without one.
 *   - session N, epoch E > 0: an incremental fetch. The request names only partitions to add or change and
 *     topics to forget; the broker reads every partition of the session and answers only those with news
 *     (records, a changed high watermark or log start offset, an error, a diverging epoch, a preferred replica).
 *     An unknown session is FETCH_SESSION_ID_NOT_FOUND; a wrong epoch INVALID_FETCH_SESSION_EPOCH; a session
 *     opened with topic ids used by a version without them (or the reverse) FETCH_SESSION_TOPIC_ID_ERROR.
 */
import { ErrorCode, Uuid } from '@tributary/protocol';
import {
  CachedPartition,
  RequestedPartition,
  FINAL_EPOCH,
  FetchSession,
  FetchSessionCache,
  INITIAL_EPOCH,
  INVALID_SESSION_ID,
  nextEpoch,
  partitionKey,
} from './fetch-session-cache';

export type { RequestedPartition };

export interface ForgottenPartition {
  topic: string | null;
  topicId: Uuid;
  partition: number;
}

/** What reading one partition produced, as far as the session needs to know. */
export interface PartitionOutcome<T> {
  target: RequestedPartition;
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  recordBytes: number;
  /** A preferred read replica or a diverging epoch: always sent. */
  otherNews: boolean;
  /** The handler's response entry, passed through untouched. */
  data: T;
}

export interface FetchAnswer<T> {
  sessionId: number;
  partitions: PartitionOutcome<T>[];
}

export interface FetchContext {
  /** Set when the request fails as a whole (a session error); nothing is read. */
  readonly errorCode: number;
  /** The partitions to read, in the order to read them (limits favour the first). */
  readonly partitions: readonly RequestedPartition[];
  /** Builds the answer from the outcomes of reading `partitions` and updates the session. */
  answer<T>(outcomes: PartitionOutcome<T>[]): FetchAnswer<T>;
}

export interface FetchSessionRequest {
  version: number;
  sessionId: number;
  sessionEpoch: number;
  /** Replica fetches get privileged sessions. */
  isFollower: boolean;
  partitions: readonly RequestedPartition[];
  forgotten: readonly ForgottenPartition[];
  /** Topic id to name, for sessions that use ids (v13+); undefined when unknown. */
  topicName(topicId: Uuid): string | undefined;
}

export class FetchSessionManager {
  constructor(
    private readonly cache: FetchSessionCache,
    private readonly clock: { nowMs(): number },
  ) {}

  get sessions(): FetchSessionCache {
    return this.cache;
  }

  newContext(request: FetchSessionRequest): FetchContext {
    const usesTopicIds = request.version >= 13;
    const isFull = request.sessionEpoch === INITIAL_EPOCH || request.sessionEpoch === FINAL_EPOCH;
    if (isFull) {
      // Any session named by a full fetch is closed.
      if (request.sessionId !== INVALID_SESSION_ID) this.cache.remove(request.sessionId);
      if (request.sessionEpoch === FINAL_EPOCH) return sessionless(request.partitions);
      return this.fullContext(request.partitions, request.isFollower, usesTopicIds);
    }
    const session = this.cache.get(request.sessionId);
    if (!session) return errorContext(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    if (session.epoch !== request.sessionEpoch) return errorContext(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    if (session.usesTopicIds !== usesTopicIds) return errorContext(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    updateSession(session, request.partitions, request.forgotten);
    if (session.size === 0) {
      // Everything was forgotten: the session ends and the (empty) request is answered without one.
      this.cache.remove(session.id);
      return sessionless(request.partitions);
    }
    this.cache.touch(session, this.clock.nowMs());
    session.epoch = nextEpoch(session.epoch);
    if (session.usesTopicIds) {
      // A topic unknown when added may exist now (and a deleted one no longer resolves).
      for (const cached of session.partitions.values()) cached.topic = request.topicName(cached.topicId) ?? null;
    }
    return incrementalContext(session);
  }

  private fullContext(partitions: readonly RequestedPartition[], isFollower: boolean, usesTopicIds: boolean): FetchContext {
    const cache = this.cache;
    const clock = this.clock;
    return {
      errorCode: ErrorCode.NONE,
      partitions,
      answer<T>(outcomes: PartitionOutcome<T>[]): FetchAnswer<T> {
        const cached = new Map<string, CachedPartition>();
        for (const outcome of outcomes) {
          const entry = toCached(outcome.target);
          recordSent(entry, outcome);
          cached.set(partitionKey(usesTopicIds, entry), entry);
        }
        const sessionId = cache.maybeCreate(clock.nowMs(), isFollower, cached, usesTopicIds);
        return { sessionId, partitions: outcomes };
      },
    };
  }
}

function sessionless(partitions: readonly RequestedPartition[]): FetchContext {
  return {
    errorCode: ErrorCode.NONE,
    partitions,
    answer: (outcomes) => ({ sessionId: INVALID_SESSION_ID, partitions: outcomes }),
  };
}

function errorContext(errorCode: number): FetchContext {
  return {
    errorCode,
    partitions: [],
    answer: () => ({ sessionId: INVALID_SESSION_ID, partitions: [] }),
  };
}

function incrementalContext(session: FetchSession): FetchContext {
  const partitions = [...session.partitions.values()].map((cached) => ({ ...cached }));
  return {
    errorCode: ErrorCode.NONE,
    partitions,
    answer<T>(outcomes: PartitionOutcome<T>[]): FetchAnswer<T> {
      const included: PartitionOutcome<T>[] = [];
      for (const outcome of outcomes) {
        const key = partitionKey(session.usesTopicIds, outcome.target);
        const cached = session.partitions.get(key);
        // Forgotten by a concurrent request of the same session while this one waited: nothing to say.
        if (!cached) continue;
        const news =
          outcome.recordBytes > 0 ||
          outcome.errorCode !== ErrorCode.NONE ||
          outcome.otherNews ||
          outcome.highWatermark !== cached.sentHighWatermark ||
          outcome.logStartOffset !== cached.sentLogStartOffset;
        if (!news) continue;
        recordSent(cached, outcome);
        // Answered partitions go to the back, so the next read starts with those that were not (fairness
        // under the response size limit, as Kafka's session order does).
        session.partitions.delete(key);
        session.partitions.set(key, cached);
        included.push(outcome);
      }
      return { sessionId: session.id, partitions: included };
    },
  };
}

function updateSession(session: FetchSession, partitions: readonly RequestedPartition[], forgotten: readonly ForgottenPartition[]): void {
  for (const requested of partitions) {
    const key = partitionKey(session.usesTopicIds, requested);
    const cached = session.partitions.get(key);
    if (cached) {
      cached.fetchOffset = requested.fetchOffset;
      cached.logStartOffset = requested.logStartOffset;
      cached.maxBytes = requested.maxBytes;
      cached.currentLeaderEpoch = requested.currentLeaderEpoch;
      cached.lastFetchedEpoch = requested.lastFetchedEpoch;
    } else {
      session.partitions.set(key, toCached(requested));
    }
  }
  for (const gone of forgotten) session.partitions.delete(partitionKey(session.usesTopicIds, gone));
}

function toCached(requested: RequestedPartition): CachedPartition {
  return { ...requested, sentHighWatermark: -1n, sentLogStartOffset: -1n };
}

function recordSent(cached: CachedPartition, outcome: PartitionOutcome<unknown>): void {
  // After an error the partition is sent again once the error is gone, whatever its high watermark.
  cached.sentHighWatermark = outcome.errorCode === ErrorCode.NONE ? outcome.highWatermark : -1n;
  cached.sentLogStartOffset = outcome.logStartOffset;
}
