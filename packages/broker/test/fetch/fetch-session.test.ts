import { ErrorCode, Uuid, ZERO_UUID } from '@tributary/protocol';
import { FetchSessionCache, INVALID_SESSION_ID, SESSION_EVICTION_MS, nextEpoch, CachedPartition } from '../../src/fetch/fetch-session-cache';
import { FetchSessionManager, PartitionOutcome, RequestedPartition, FetchSessionRequest } from '../../src/fetch/fetch-context';

const TOPIC_ID = '4tJv2dHbQGWzYmQ1b2c3dA' as Uuid;

function requested(topic: string, partition: number, fetchOffset = 0n): RequestedPartition {
  return { topic, topicId: ZERO_UUID, partition, fetchOffset, logStartOffset: -1n, maxBytes: 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 };
}

function outcome(target: RequestedPartition, highWatermark: bigint, recordBytes = 0, errorCode = 0): PartitionOutcome<string> {
  return { target, errorCode, highWatermark, logStartOffset: 0n, recordBytes, otherNews: false, data: `${target.topic}-${target.partition}` };
}

function setup(maxSessions = 10) {
  const clock = { now: 1_000, nowMs() { return this.now; } };
  let next = 100;
  const cache = new FetchSessionCache({ maxSessions, randomInt: () => next++ });
  const manager = new FetchSessionManager(cache, clock);
  const request = (fields: Partial<FetchSessionRequest>): FetchSessionRequest => ({
    version: 12, sessionId: 0, sessionEpoch: -1, isFollower: false, partitions: [], forgotten: [], topicName: () => undefined, ...fields,
  });
  return { clock, cache, manager, request };
}

describe('fetch sessions (KIP-227)', () => {
  test('epochs advance by one and wrap from Integer.MAX_VALUE to 1', () => {
    expect(nextEpoch(0)).toBe(1);
    expect(nextEpoch(41)).toBe(42);
    expect(nextEpoch(0x7fffffff)).toBe(1);
    expect(nextEpoch(-1)).toBe(-1);
  });

  test('session 0 epoch -1 is sessionless: all partitions read and answered, session id 0, nothing cached', () => {
    const { manager, cache, request } = setup();
    const parts = [requested('a', 0), requested('a', 1)];
    const context = manager.newContext(request({ partitions: parts }));
    expect(context.errorCode).toBe(ErrorCode.NONE);
    expect(context.partitions).toEqual(parts);
    const answer = context.answer(parts.map((p) => outcome(p, 5n)));
    expect(answer).toEqual({ sessionId: INVALID_SESSION_ID, partitions: parts.map((p) => outcome(p, 5n)) });
    expect(cache.size).toBe(0);
  });

  test('a full fetch opens a session; incremental fetches answer only partitions with news, then close', () => {
    const { manager, cache, request } = setup();
    const a0 = requested('a', 0);
    const a1 = requested('a', 1);
    const full = manager.newContext(request({ sessionId: 0, sessionEpoch: 0, partitions: [a0, a1] }));
    const opened = full.answer([outcome(a0, 5n, 100), outcome(a1, 0n)]);
    expect(opened.sessionId).toBe(100);
    expect(opened.partitions).toHaveLength(2);
    expect(cache.size).toBe(1);
    expect(cache.totalPartitions).toBe(2);

    // Epoch 1: nothing changed for a1, a0 moved its offset and got more data.
    const inc = manager.newContext(request({ sessionId: 100, sessionEpoch: 1, partitions: [requested('a', 0, 5n)] }));
    expect(inc.errorCode).toBe(ErrorCode.NONE);
    expect(inc.partitions.map((p) => [p.topic, p.partition, p.fetchOffset])).toEqual([
      ['a', 0, 5n],
      ['a', 1, 0n],
    ]);
    const answer = inc.answer([outcome(inc.partitions[0], 9n, 40), outcome(inc.partitions[1], 0n)]);
    expect(answer.sessionId).toBe(100);
    expect(answer.partitions.map((p) => p.data)).toEqual(['a-0']);

    // Answered partitions go to the back: a1 is read first next time. A changed high watermark is news.
    const inc2 = manager.newContext(request({ sessionId: 100, sessionEpoch: 2 }));
    expect(inc2.partitions.map((p) => p.partition)).toEqual([1, 0]);
    expect(inc2.answer([outcome(inc2.partitions[0], 3n), outcome(inc2.partitions[1], 9n)]).partitions.map((p) => p.data)).toEqual(['a-1']);

    // An error is always news, and the partition is sent again once the error is gone even at the same HW.
    const inc3 = manager.newContext(request({ sessionId: 100, sessionEpoch: 3 }));
    expect(inc3.answer([outcome(inc3.partitions[0], 9n, 0, ErrorCode.NOT_LEADER_OR_FOLLOWER), outcome(inc3.partitions[1], 3n)]).partitions.map((p) => p.data)).toEqual(['a-0']);
    const inc4 = manager.newContext(request({ sessionId: 100, sessionEpoch: 4 }));
    expect(inc4.answer(inc4.partitions.map((p) => outcome(p, p.partition === 0 ? 9n : 3n))).partitions.map((p) => p.data)).toEqual(['a-0']);

    // Epoch -1 closes the session and is answered without one.
    const close = manager.newContext(request({ sessionId: 100, sessionEpoch: -1, partitions: [a0] }));
    expect(close.answer([outcome(a0, 9n)]).sessionId).toBe(0);
    expect(cache.size).toBe(0);
    expect(cache.totalPartitions).toBe(0);
  });

  test('session errors: unknown id, wrong epoch, topic ids switched on or off', () => {
    const { manager, request } = setup();
    const a0 = requested('a', 0);
    const id = manager.newContext(request({ sessionEpoch: 0, partitions: [a0] })).answer([outcome(a0, 0n)]).sessionId;
    const notFound = manager.newContext(request({ sessionId: 999, sessionEpoch: 1 }));
    expect(notFound.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(notFound.partitions).toEqual([]);
    expect(notFound.answer([])).toEqual({ sessionId: 0, partitions: [] });
    expect(manager.newContext(request({ sessionId: id, sessionEpoch: 2 })).errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    expect(manager.newContext(request({ version: 13, sessionId: id, sessionEpoch: 1 })).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    // The failed attempts did not advance the epoch.
    expect(manager.newContext(request({ sessionId: id, sessionEpoch: 1 })).errorCode).toBe(ErrorCode.NONE);
  });

  test('forgotten topics leave the session; forgetting all ends it', () => {
    const { manager, cache, request } = setup();
    const a0 = requested('a', 0);
    const b0 = requested('b', 0);
    const id = manager.newContext(request({ sessionEpoch: 0, partitions: [a0, b0] })).answer([outcome(a0, 0n), outcome(b0, 0n)]).sessionId;
    const inc = manager.newContext(request({ sessionId: id, sessionEpoch: 1, forgotten: [{ topic: 'a', topicId: ZERO_UUID, partition: 0 }] }));
    expect(inc.partitions.map((p) => p.topic)).toEqual(['b']);
    const end = manager.newContext(request({ sessionId: id, sessionEpoch: 2, forgotten: [{ topic: 'b', topicId: ZERO_UUID, partition: 0 }] }));
    expect(end.partitions).toEqual([]);
    expect(end.answer([]).sessionId).toBe(0);
    expect(cache.size).toBe(0);
  });

  test('v13+ sessions key partitions by topic id and resolve names on each request', () => {
    const { manager, request } = setup();
    let known = false;
    const topicName = (id: Uuid) => (known && id === TOPIC_ID ? 't' : undefined);
    const p: RequestedPartition = { ...requested('t', 0), topic: null, topicId: TOPIC_ID };
    const id = manager.newContext(request({ version: 13, sessionEpoch: 0, partitions: [p], topicName })).answer([outcome(p, -1n, 0, ErrorCode.UNKNOWN_TOPIC_ID)]).sessionId;
    known = true;
    const inc = manager.newContext(request({ version: 13, sessionId: id, sessionEpoch: 1, topicName }));
    expect(inc.partitions.map((x) => [x.topic, x.topicId])).toEqual([['t', TOPIC_ID]]);
  });

  test('a full cache admits a newcomer only by evicting a stale or less valuable evictable session', () => {
    const { manager, cache, clock, request } = setup(2);
    const open = (parts: RequestedPartition[], isFollower = false) =>
      manager.newContext(request({ sessionEpoch: 0, partitions: parts, isFollower })).answer(parts.map((p) => outcome(p, 0n))).sessionId;
    const s1 = open([requested('a', 0), requested('a', 1)]);
    clock.now += 10;
    const s2 = open([requested('b', 0), requested('b', 1), requested('b', 2)]);
    // Young sessions are not evictable by a consumer: no session for the third.
    clock.now += 10;
    expect(open([requested('c', 0), requested('c', 1), requested('c', 2), requested('c', 3)])).toBe(INVALID_SESSION_ID);
    // A follower may evict a young consumer session: the least valuable one (fewest partitions).
    const s3 = open([requested('d', 0)], true);
    expect(s3).not.toBe(INVALID_SESSION_ID);
    expect(cache.get(s1)).toBeUndefined();
    expect(cache.get(s2)).toBeDefined();
    // Once older than the eviction interval, sessions are evictable by anyone worth as much; s2 (3 partitions)
    // stays against consumers of 2 or 3 partitions (among equals the cached one stays), a 4-partition one evicts it.
    const s2Session = cache.get(s2)!;
    clock.now += SESSION_EVICTION_MS + 1;
    cache.touch(s2Session, clock.now);
    cache.touch(cache.get(s3)!, clock.now);
    expect(open([requested('e', 0), requested('e', 1)])).toBe(INVALID_SESSION_ID);
    expect(open([requested('e', 0), requested('e', 1), requested('e', 2)])).toBe(INVALID_SESSION_ID);
    const s4 = open([requested('f', 0), requested('f', 1), requested('f', 2), requested('f', 3)]);
    expect(s4).not.toBe(INVALID_SESSION_ID);
    expect(cache.get(s2)).toBeUndefined();
    // A session unused for longer than the interval is evicted first, whatever its worth (the follower's).
    clock.now += SESSION_EVICTION_MS + 1;
    cache.touch(cache.get(s4)!, clock.now);
    expect(open([requested('g', 0)])).not.toBe(INVALID_SESSION_ID);
    expect(cache.get(s3)).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  test('max sessions 0 never creates one', () => {
    const { manager, request } = setup(0);
    const a0 = requested('a', 0);
    expect(manager.newContext(request({ sessionEpoch: 0, partitions: [a0] })).answer([outcome(a0, 0n)]).sessionId).toBe(0);
  });
});

// Keep the CachedPartition shape honest: it is what a session remembers per partition.
export type _Cached = CachedPartition;
