import {
  ErrorCode,
  Reader,
  RecordBatch,
  TributaryError,
  asGroupId,
  asTopicName,
  decodeOffsetCommitValue,
} from '@tributary/protocol';
import { CoordinatorLog, GroupCoordinator, InMemoryCoordinatorLog, decodeCoordinatorRecord } from '../src';
import { GROUP, Harness, flush, subscription } from './harness';

const DAY_MS = 24 * 3_600_000;

/** Every record written to GROUP's partition, decoded. */
function records(h: Harness, group = GROUP) {
  return h.log
    .batches(h.coordinator.partitionFor(group))
    .flatMap((bytes) => new RecordBatch(bytes).records().map((r) => ({ raw: r, decoded: decodeCoordinatorRecord(r.key!, r.value) })));
}

/** A log whose appends wait until released, to observe commits in flight. */
class GatedLog implements CoordinatorLog {
  readonly inner = new InMemoryCoordinatorLog();
  private gates: (() => void)[] = [];
  gated = false;
  async append(partition: number, batch: Buffer): Promise<bigint> {
    if (this.gated) await new Promise<void>((resolve) => this.gates.push(resolve));
    return this.inner.append(partition, batch);
  }
  read(partition: number, from: bigint) {
    return this.inner.read(partition, from);
  }
  release(): void {
    for (const gate of this.gates.splice(0)) gate();
  }
}

function fetched(h: Harness, topic: string, partition: number, group = GROUP) {
  return h.fetch([{ topic, partitions: [partition] }], group).topics[0].partitions[0];
}

describe('OffsetCommit and OffsetFetch', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.loadAll();
  });

  it('a simple commit (generation -1) creates an Empty group and is readable back', async () => {
    expect(await h.commit([{ topic: 't', partition: 0, offset: 42n }, { topic: 't', partition: 1, offset: 7n, metadata: null }])).toEqual([0, 0]);
    expect(h.state()).toBe('Empty');
    expect(fetched(h, 't', 0)).toEqual({ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 5, metadata: 'meta', errorCode: 0 });
    expect(fetched(h, 't', 1)).toMatchObject({ committedOffset: 7n, metadata: '' });
    expect(fetched(h, 't', 9)).toEqual({ partitionIndex: 9, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 });
    expect(fetched(h, 't', 0, 'unknown-group')).toMatchObject({ committedOffset: -1n, errorCode: 0 });
    // The value is OffsetCommitValue v3 with the coordinator's commit timestamp.
    const value = records(h)[0].raw.value!;
    const reader = new Reader(value);
    expect(reader.int16()).toBe(3);
    expect(decodeOffsetCommitValue(reader, 3)).toMatchObject({ offset: 42n, leaderEpoch: 5, metadata: 'meta', commitTimestamp: BigInt(h.scheduler.nowMs()) });
  });

  it('OffsetFetch with null topics returns every committed partition; v8 answers several groups', async () => {
    await h.commit([{ topic: 'a', partition: 0, offset: 1n }, { topic: 'b', partition: 3, offset: 2n }]);
    await h.commit([{ topic: 'c', partition: 0, offset: 9n }], { groupId: 'other' });
    const all = h.fetch(null);
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])])).toEqual([
      ['a', [[0, 1n]]],
      ['b', [[3, 2n]]],
    ]);
    expect(h.fetch(null, 'unknown').topics).toEqual([]);
    const multi = h.coordinator.fetchOffsets(
      {
        groupId: asGroupId(''),
        topics: [],
        requireStable: false,
        groups: [
          { groupId: asGroupId(GROUP), memberId: null, memberEpoch: -1, topics: null },
          { groupId: asGroupId('other'), memberId: null, memberEpoch: -1, topics: [{ name: asTopicName('c'), partitionIndexes: [0, 1] }] },
          { groupId: asGroupId(''), memberId: null, memberEpoch: -1, topics: null },
        ],
      },
      { apiVersion: 9 },
    );
    expect(multi.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => p.committedOffset))])).toEqual([
      [GROUP, 0, [1n, 2n]],
      ['other', 0, [9n, -1n]],
      ['', 0, []],
    ]);
  });

  it('OffsetFetch v0/v1 report group errors on each partition', async () => {
    const fresh = new Harness();
    const response = fresh.coordinator.fetchOffsets(
      { groupId: asGroupId(GROUP), topics: [{ name: asTopicName('t'), partitionIndexes: [0, 1] }], groups: [], requireStable: false },
      { apiVersion: 1 },
    );
    expect(response.topics[0].partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR]);
  });

  it('rejects oversized metadata per partition while storing the rest', async () => {
    const big = 'x'.repeat(4_097);
    expect(await h.commit([{ topic: 't', partition: 0, offset: 1n, metadata: big }, { topic: 't', partition: 1, offset: 2n, metadata: 'x'.repeat(4_096) }])).toEqual([
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.NONE,
    ]);
    expect(fetched(h, 't', 0).committedOffset).toBe(-1n);
    expect(fetched(h, 't', 1).committedOffset).toBe(2n);
    // The limit counts characters (Java String.length), not UTF-8 bytes: 4096 'é' (8192 bytes) pass.
    expect(await h.commit([{ topic: 't', partition: 2, offset: 3n, metadata: 'é'.repeat(4_096) }])).toEqual([ErrorCode.NONE]);
  });

  it('checks generation and membership for member commits, by group state', async () => {
    expect(await h.commit([{ topic: 't', partition: 0, offset: 1n }], { groupId: 'nobody-home', generationId: 3, memberId: 'm' })).toEqual([
      ErrorCode.ILLEGAL_GENERATION,
    ]);
    const { memberIds, generationId } = await h.stableGroup(2);
    const at = (memberId: string, generation: number) => h.commit([{ topic: 't', partition: 0, offset: 10n }], { memberId, generationId: generation });
    expect(await at(memberIds[1], generationId)).toEqual([ErrorCode.NONE]);
    expect(await at(memberIds[1], generationId + 1)).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(await at('stranger', generationId)).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // Simple commits into a group with members are refused.
    expect(await h.commit([{ topic: 't', partition: 0, offset: 1n }])).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // PreparingRebalance still accepts the previous generation's commits...
    const rejoin = h.join({ memberId: memberIds[0] });
    expect(await at(memberIds[1], generationId)).toEqual([ErrorCode.NONE]);
    const rejoin1 = h.join({ memberId: memberIds[1] });
    await Promise.all([rejoin, rejoin1]);
    // ...but CompletingRebalance does not, even for the new generation.
    expect(await at(memberIds[1], generationId + 1)).toEqual([ErrorCode.REBALANCE_IN_PROGRESS]);
  });

  it('a commit is visible only once appended; require_stable reports it as UNSTABLE_OFFSET_COMMIT meanwhile', async () => {
    const log = new GatedLog();
    h = new Harness({}, log.inner);
    h.coordinator = new GroupCoordinator({
      log,
      scheduler: h.scheduler,
      config: { offsetsTopicNumPartitions: 4 },
    });
    await h.loadAll();
    await h.commit([{ topic: 't', partition: 0, offset: 1n }]);
    log.gated = true;
    let done = false;
    const pending = h.commit([{ topic: 't', partition: 0, offset: 2n }]).then((r) => ((done = true), r));
    await flush();
    expect(done).toBe(false);
    expect(fetched(h, 't', 0).committedOffset).toBe(1n);
    expect(h.fetch([{ topic: 't', partitions: [0] }], GROUP, true).topics[0].partitions[0].errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    // Pending commits keep an Empty group from expiring its offsets or dying.
    h.scheduler.advance(8 * DAY_MS);
    await h.coordinator.expireOffsets();
    log.release();
    expect(await pending).toEqual([ErrorCode.NONE]);
    expect(fetched(h, 't', 0).committedOffset).toBe(2n);
  });

  it('maps append failures as Kafka does and leaves the committed offset unchanged', async () => {
    await h.commit([{ topic: 't', partition: 0, offset: 1n }]);
    h.log.failNextAppends = { count: 1, error: new TributaryError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'not leader') };
    expect(await h.commit([{ topic: 't', partition: 0, offset: 2n }])).toEqual([ErrorCode.NOT_COORDINATOR]);
    h.log.failNextAppends = { count: 1, error: new TributaryError(ErrorCode.RECORD_LIST_TOO_LARGE, 'too big') };
    expect(await h.commit([{ topic: 't', partition: 0, offset: 3n }])).toEqual([ErrorCode.INVALID_COMMIT_OFFSET_SIZE]);
    h.log.failNextAppends = { count: 1, error: new Error('disk on fire') };
    expect(await h.commit([{ topic: 't', partition: 0, offset: 4n }])).toEqual([ErrorCode.UNKNOWN_SERVER_ERROR]);
    expect(fetched(h, 't', 0).committedOffset).toBe(1n);
    expect(h.coordinator.group(GROUP)!.pendingOffsetCommits.size).toBe(0);
  });

  it('transactional offsets (hook for TxnOffsetCommit) are invisible and unstable until their transaction commits', async () => {
    await h.commit([{ topic: 't', partition: 0, offset: 1n }]);
    const group = h.coordinator.group(GROUP)!;
    group.stageTransactionalOffsetCommit(77n, { topic: 't', partition: 0, logOffset: 100n, value: { offset: 5n, leaderEpoch: -1, metadata: '', commitTimestampMs: 0, expireTimestampMs: null } });
    expect(fetched(h, 't', 0).committedOffset).toBe(1n);
    expect(h.fetch([{ topic: 't', partitions: [0] }], GROUP, true).topics[0].partitions[0].errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    // require_stable only exists from v7; older versions just see the committed offset.
    const v6 = h.coordinator.fetchOffsets(
      { groupId: asGroupId(GROUP), topics: [{ name: asTopicName('t'), partitionIndexes: [0] }], groups: [], requireStable: true },
      { apiVersion: 6 },
    );
    expect(v6.topics[0].partitions[0]).toMatchObject({ errorCode: 0, committedOffset: 1n });
    group.completeTransactionalOffsetCommits(77n, true);
    expect(fetched(h, 't', 0).committedOffset).toBe(5n);
    group.stageTransactionalOffsetCommit(78n, { topic: 't', partition: 0, logOffset: 101n, value: { offset: 9n, leaderEpoch: -1, metadata: '', commitTimestampMs: 0, expireTimestampMs: null } });
    group.completeTransactionalOffsetCommits(78n, false);
    expect(fetched(h, 't', 0).committedOffset).toBe(5n);
  });

  it('a commit with a retention time (v2-v4) is written as value v1 with its expire timestamp', async () => {
    const now = h.scheduler.nowMs();
    await h.commit([{ topic: 't', partition: 0, offset: 1n }], { retentionTimeMs: 60_000n });
    const decoded = records(h)[0].decoded;
    expect(decoded).toMatchObject({ type: 'offset', value: { expireTimestampMs: now + 60_000 } });
    const reader = new Reader(records(h)[0].raw.value!);
    expect(reader.int16()).toBe(1);
  });
});

describe('OffsetDelete', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.loadAll();
  });

  const deleteOffsets = (groupId: string, topics: { topic: string; partitions: number[] }[]) =>
    h.coordinator.deleteOffsets({
      groupId: asGroupId(groupId),
      topics: topics.map((t) => ({ name: asTopicName(t.topic), partitions: t.partitions.map((partitionIndex) => ({ partitionIndex })) })),
    });

  it('deletes offsets of an Empty group with tombstones; the group dies with its last offset', async () => {
    await h.commit([{ topic: 't', partition: 0, offset: 1n }, { topic: 't', partition: 1, offset: 2n }]);
    const first = await deleteOffsets(GROUP, [{ topic: 't', partitions: [0] }]);
    expect(first).toMatchObject({ errorCode: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
    expect(fetched(h, 't', 0).committedOffset).toBe(-1n);
    expect(h.state()).toBe('Empty');
    await deleteOffsets(GROUP, [{ topic: 't', partitions: [1] }]);
    expect(h.state()).toBe('Dead');
    const tombstones = records(h).filter((r) => r.raw.value === null).map((r) => r.decoded);
    expect(tombstones).toEqual([
      { type: 'offset', group: GROUP, topic: 't', partition: 0, value: null },
      { type: 'offset', group: GROUP, topic: 't', partition: 1, value: null },
    ]);
    expect((await deleteOffsets(GROUP, [{ topic: 't', partitions: [1] }])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('refuses topics a consumer group subscribes to, and any topic of a non-consumer group with members', async () => {
    const { memberIds, generationId } = await h.stableGroup(1);
    await h.commit([{ topic: 't', partition: 0, offset: 1n }, { topic: 'old', partition: 0, offset: 1n }], { memberId: memberIds[0], generationId });
    const response = await deleteOffsets(GROUP, [{ topic: 't', partitions: [0] }, { topic: 'old', partitions: [0] }]);
    expect(response.topics.map((t) => [t.name, t.partitions[0].errorCode])).toEqual([
      ['t', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
      ['old', ErrorCode.NONE],
    ]);
    expect(fetched(h, 'old', 0).committedOffset).toBe(-1n);
    expect(fetched(h, 't', 0).committedOffset).toBe(1n);

    const p = (name: string) => [{ name, metadata: Buffer.from('x') }];
    const other = await h.join({ groupId: 'connect', protocolType: 'connect', protocols: p('v1') });
    const joined = h.join({ groupId: 'connect', protocolType: 'connect', protocols: p('v1'), memberId: other.memberId });
    h.scheduler.advance(3_000);
    await joined;
    expect((await deleteOffsets('connect', [{ topic: 't', partitions: [0] }])).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
  });
});

describe('offset expiry (offsets.retention.minutes, KIP-211)', () => {
  const RETENTION_MS = 7 * DAY_MS;
  let h: Harness;
  beforeEach(async () => {
    h = new Harness({ offsetsRetentionMs: RETENTION_MS, offsetsRetentionCheckIntervalMs: 600_000 });
    await h.loadAll();
  });

  /** Lets `durationMs` pass while the member heartbeats every 20 minutes (its session is the 30-minute maximum). */
  function keepAlive(memberId: string, generationId: number, durationMs: number): void {
    const stepMs = 20 * 60_000;
    for (let elapsed = 0; elapsed < durationMs; elapsed += stepMs) {
      h.scheduler.advance(Math.min(stepMs, durationMs - elapsed));
      expect(h.heartbeat(memberId, generationId)).toBe(ErrorCode.NONE);
    }
  }

  it('a simple-consumer group expires offsets by commit time, then dies without a group tombstone', async () => {
    await h.commit([{ topic: 't', partition: 0, offset: 1n }]);
    h.scheduler.advance(DAY_MS);
    await h.commit([{ topic: 't', partition: 1, offset: 1n }]);
    h.scheduler.advance(RETENTION_MS - DAY_MS - 1);
    expect(await h.coordinator.expireOffsets()).toBe(0);
    h.scheduler.advance(1);
    expect(await h.coordinator.expireOffsets()).toBe(1);
    expect(fetched(h, 't', 0).committedOffset).toBe(-1n);
    expect(fetched(h, 't', 1).committedOffset).toBe(1n);
    h.scheduler.advance(DAY_MS);
    expect(await h.coordinator.expireOffsets()).toBe(1);
    expect(h.coordinator.group(GROUP)).toBeUndefined();
    const tombstones = records(h).filter((r) => r.raw.value === null).map((r) => r.decoded.type);
    expect(tombstones).toEqual(['offset', 'offset']);
  });

  it('an Empty consumer group keeps its offsets for the retention period after it became Empty', async () => {
    const { memberIds, generationId } = await h.stableGroup(1, { sessionTimeoutMs: 1_800_000 });
    await h.commit([{ topic: 't', partition: 0, offset: 5n }], { memberId: memberIds[0], generationId });
    // The group stays Stable for 30 days: its subscribed topic's offset does not expire.
    keepAlive(memberIds[0], generationId, 30 * DAY_MS);
    expect(await h.coordinator.expireOffsets()).toBe(0);
    h.leave([{ memberId: memberIds[0] }]);
    await flush();
    expect(h.state()).toBe('Empty');
    h.scheduler.advance(RETENTION_MS - 1);
    expect(await h.coordinator.expireOffsets()).toBe(0);
    h.scheduler.advance(1);
    expect(await h.coordinator.expireOffsets()).toBe(1);
    expect(h.coordinator.group(GROUP)).toBeUndefined();
    // Offset tombstone, then the group tombstone (it had a generation, so a group record exists).
    const tail = records(h).slice(-2).map((r) => [r.decoded.type, r.raw.value]);
    expect(tail).toEqual([
      ['offset', null],
      ['group', null],
    ]);
  });

  it('a Stable consumer group loses only offsets of topics it no longer subscribes to', async () => {
    const { memberIds, generationId } = await h.stableGroup(1, {
      sessionTimeoutMs: 1_800_000,
      protocols: [{ name: 'range', metadata: subscription(['t', 'gone']) }],
    });
    await h.commit([{ topic: 't', partition: 0, offset: 1n }, { topic: 'gone', partition: 0, offset: 1n }], { memberId: memberIds[0], generationId });
    // The member changes its subscription (drops "gone") and the group rebalances to Stable again.
    const rejoin = h.join({ memberId: memberIds[0], sessionTimeoutMs: 1_800_000, protocols: [{ name: 'range', metadata: subscription(['t']) }] });
    const r = await rejoin;
    void (await h.sync(memberIds[0], r.generationId, []));
    expect(h.state()).toBe('Stable');
    expect(h.coordinator.group(GROUP)!.subscribedTopics).toEqual(new Set(['t']));
    keepAlive(memberIds[0], r.generationId, RETENTION_MS - 60_000);
    expect(await h.coordinator.expireOffsets()).toBe(0);
    keepAlive(memberIds[0], r.generationId, 60_000);
    expect(await h.coordinator.expireOffsets()).toBe(1);
    expect(fetched(h, 'gone', 0).committedOffset).toBe(-1n);
    expect(fetched(h, 't', 0).committedOffset).toBe(1n);
  });

  it('an explicit expire timestamp wins over the retention setting', async () => {
    await h.commit([{ topic: 't', partition: 0, offset: 1n }], { retentionTimeMs: 60_000n });
    h.scheduler.advance(59_999);
    expect(await h.coordinator.expireOffsets()).toBe(0);
    h.scheduler.advance(1);
    expect(await h.coordinator.expireOffsets()).toBe(1);
  });

  it('runs every offsets.retention.check.interval.ms once started', async () => {
    h.coordinator.startup();
    await h.commit([{ topic: 't', partition: 0, offset: 1n }]);
    h.scheduler.advance(RETENTION_MS);
    await flush();
    h.scheduler.advance(600_000);
    await flush();
    expect(h.coordinator.group(GROUP)).toBeUndefined();
    h.coordinator.shutdown();
    expect(h.scheduler.pendingTasks).toBe(0);
  });
});
