import { ControlRecordType, ErrorCode, buildControlBatch, buildRecordBatch } from '@tributary/protocol';
import { ClassicGroup, GroupCoordinator, InMemoryCoordinatorLog, groupMetadataKey, offsetCommitKey, offsetCommitValue } from '../src';
import { GROUP, Harness, flush } from './harness';

/** Everything a reload must restore about a group, in comparable form. */
function snapshot(group: ClassicGroup | undefined) {
  if (group === undefined) return undefined;
  return {
    state: group.state,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leaderId: group.leaderId,
    staticMembers: [...group.staticMembers].sort(),
    members: [...group.members.values()]
      .map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        metadata: m.metadata(group.protocolName ?? '').toString('hex'),
        assignment: m.assignment.toString('hex'),
      }))
      .sort((a, b) => a.memberId.localeCompare(b.memberId)),
    offsets: [...group.offsets.values()]
      .map((r) => `${r.topic}/${r.partition}=${r.value.offset}@${r.value.leaderEpoch}:${r.value.metadata}:${r.value.commitTimestampMs}:${r.value.expireTimestampMs}`)
      .sort(),
  };
}

async function reload(h: Harness): Promise<GroupCoordinator> {
  const fresh = h.newCoordinator();
  await h.loadAll(fresh);
  return fresh;
}

describe('persistence in __consumer_offsets: write, reload into a fresh coordinator, same groups and offsets', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.loadAll();
  });

  it('restores a Stable group with static and dynamic members, its assignment and its offsets', async () => {
    const { memberIds, generationId } = await h.stableGroup(2);
    const staticJoin = h.join({ groupInstanceId: 'inst', clientId: 'static-client' });
    const rejoins = memberIds.map((id) => h.join({ memberId: id }));
    const responses = await Promise.all([staticJoin, ...rejoins]);
    const generation = responses[0].generationId;
    expect(generation).toBe(generationId + 1);
    const leader = responses[0].leader;
    const all = responses.map((r) => r.memberId);
    const syncs = all.map((id) => h.sync(id, generation, id === leader ? all.map((m) => ({ memberId: m, assignment: Buffer.from(`part-of-${m}`) })) : [], { groupInstanceId: id === all[0] ? 'inst' : null }));
    await Promise.all(syncs);
    expect(h.state()).toBe('Stable');
    // Offsets: several commits to one partition (last wins), and a deleted one.
    for (const offset of [1n, 2n, 3n]) await h.commit([{ topic: 't', partition: 0, offset }], { memberId: all[1], generationId: generation });
    await h.commit([{ topic: 't', partition: 1, offset: 10n }, { topic: 'u', partition: 0, offset: 20n, metadata: 'm' }], { memberId: all[1], generationId: generation });

    const before = snapshot(h.coordinator.group(GROUP));
    const fresh = await reload(h);
    const after = snapshot(fresh.group(GROUP));
    expect(after).toEqual(before);
    expect(after!.offsets).toHaveLength(3);
    expect(after!.state).toBe('Stable');

    // The reloaded group works: heartbeats with the same generation, SyncGroup returns the stored assignment.
    h.coordinator.shutdown();
    h.coordinator = fresh;
    expect(h.heartbeat(all[1], generation)).toBe(ErrorCode.NONE);
    expect((await h.sync(all[1], generation)).assignment).toEqual(Buffer.from(`part-of-${all[1]}`));
    expect(h.heartbeat(all[0], generation, 'inst')).toBe(ErrorCode.NONE);
    // Loaded members are on a session clock: one that never heartbeats again is removed.
    h.scheduler.advance(9_000);
    expect(h.heartbeat(all[0], generation, 'inst')).toBe(ErrorCode.NONE);
    expect(h.heartbeat(all[1], generation)).toBe(ErrorCode.NONE);
    h.scheduler.advance(2_000);
    expect(fresh.group(GROUP)!.has(all[2])).toBe(false);
    expect(h.state()).toBe('PreparingRebalance');
  });

  it('restores Empty groups, offsets-only groups, and forgets deleted groups and deleted offsets', async () => {
    const { memberIds } = await h.stableGroup(1);
    h.leave([{ memberId: memberIds[0] }]);
    await flush();
    expect(h.state()).toBe('Empty');
    await h.commit([{ topic: 't', partition: 0, offset: 5n }], { groupId: 'simple' });
    await h.commit([{ topic: 't', partition: 1, offset: 6n }], { groupId: 'simple' });
    await h.coordinator.deleteOffsets({ groupId: 'simple' as never, topics: [{ name: 't' as never, partitions: [{ partitionIndex: 1 }] }] });
    await h.commit([{ topic: 't', partition: 0, offset: 1n }], { groupId: 'doomed' });
    await h.coordinator.deleteGroups({ groupsNames: ['doomed' as never] });
    await h.commit([{ topic: 'x', partition: 0, offset: 1n }], { groupId: 'kept', retentionTimeMs: 3_600_000n });

    const fresh = await reload(h);
    for (const id of [GROUP, 'simple', 'doomed']) expect(snapshot(fresh.group(id))).toEqual(snapshot(h.coordinator.group(id)));
    // A commit with a retention time is stored as value v1, which has no leader epoch: like Kafka, the epoch
    // (5 here) does not survive a reload.
    expect(h.coordinator.group('kept')!.offset('x', 0)!.leaderEpoch).toBe(5);
    expect(fresh.group('kept')!.offset('x', 0)).toMatchObject({ offset: 1n, leaderEpoch: -1, metadata: 'meta' });
    expect(fresh.group(GROUP)).toMatchObject({ state: 'Empty', generationId: 2, protocolType: 'consumer', protocolName: null });
    expect(fresh.group('simple')!.offsets.size).toBe(1);
    expect(fresh.group('doomed')).toBeUndefined();
    expect(fresh.group('kept')!.offset('x', 0)!.expireTimestampMs).toBe(h.scheduler.nowMs() + 3_600_000);
    expect(fresh.listGroups({ statesFilter: [], typesFilter: [] }).groups.map((g) => g.groupId).sort()).toEqual(['kept', GROUP, 'simple']);
  });

  it('applies transactional offset commits only when a COMMIT marker follows, keeps open ones unstable', async () => {
    const partition = h.coordinator.partitionFor(GROUP);
    const commitValue = (offset: bigint) => offsetCommitValue({ offset, leaderEpoch: -1, metadata: '', commitTimestampMs: 1, expireTimestampMs: null });
    const txnBatch = (producerId: bigint, topicPartition: number, offset: bigint) =>
      buildRecordBatch({
        isTransactional: true,
        producerId,
        producerEpoch: 0,
        baseSequence: 0,
        records: [{ timestamp: 1n, key: offsetCommitKey(GROUP, 't', topicPartition), value: commitValue(offset) }],
      });
    const marker = (producerId: bigint, type: ControlRecordType.Commit | ControlRecordType.Abort) =>
      buildControlBatch({ type, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1n });
    await h.commit([{ topic: 't', partition: 0, offset: 1n }, { topic: 't', partition: 1, offset: 1n }, { topic: 't', partition: 2, offset: 1n }]);
    h.log.appendRaw(partition, txnBatch(10n, 0, 100n));
    h.log.appendRaw(partition, txnBatch(11n, 1, 200n));
    h.log.appendRaw(partition, txnBatch(12n, 2, 300n));
    h.log.appendRaw(partition, marker(10n, ControlRecordType.Commit));
    h.log.appendRaw(partition, marker(11n, ControlRecordType.Abort));

    const fresh = await reload(h);
    h.coordinator = fresh;
    const offsets = h.fetch([{ topic: 't', partitions: [0, 1, 2] }]).topics[0].partitions.map((p) => p.committedOffset);
    expect(offsets).toEqual([100n, 1n, 1n]);
    const stable = h.fetch([{ topic: 't', partitions: [0, 1, 2] }], GROUP, true).topics[0].partitions.map((p) => p.errorCode);
    expect(stable).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNSTABLE_OFFSET_COMMIT]);
    fresh.group(GROUP)!.completeTransactionalOffsetCommits(12n, true);
    expect(h.fetch([{ topic: 't', partitions: [2] }]).topics[0].partitions[0].committedOffset).toBe(300n);
  });

  it('skips records of the KRaft-only coordinator and a loaded group over group.max.size rebalances', async () => {
    await h.stableGroup(3);
    const partition = h.coordinator.partitionFor(GROUP);
    // A ConsumerGroupMetadata record (key version 3), as a KRaft cluster would leave behind.
    h.log.appendRaw(partition, buildRecordBatch({ records: [{ timestamp: 1n, key: Buffer.from([0, 3, 0, 1, 0x61]), value: Buffer.from([0, 0, 0, 0, 0, 1]) }] }));
    const small = new Harness({ groupMaxSize: 2 }, h.log);
    await small.loadAll();
    expect(small.coordinator.group(GROUP)!.state).toBe('PreparingRebalance');
    expect(small.coordinator.group(GROUP)!.size).toBe(3);
  });

  it('a group tombstone followed by new commits loads as a fresh offsets-only group', async () => {
    const partition = h.coordinator.partitionFor(GROUP);
    await h.stableGroup(1);
    h.log.appendRaw(partition, buildRecordBatch({ records: [{ timestamp: 1n, key: groupMetadataKey(GROUP), value: null }] }));
    h.log.appendRaw(partition, buildRecordBatch({ records: [{ timestamp: 1n, key: offsetCommitKey(GROUP, 't', 0), value: offsetCommitValue({ offset: 4n, leaderEpoch: 1, metadata: '', commitTimestampMs: 1, expireTimestampMs: null }) }] }));
    const fresh = await reload(h);
    expect(snapshot(fresh.group(GROUP))).toMatchObject({ state: 'Empty', generationId: 0, members: [], offsets: ['t/0=4@1::1:null'] });
  });

  it('treats offset commit keys v0 and v1 as the same key (old logs hold both)', async () => {
    const partition = h.coordinator.partitionFor(GROUP);
    const v0Key = (topicPartition: number) => {
      const key = offsetCommitKey(GROUP, 't', topicPartition);
      key.writeInt16BE(0, 0);
      return key;
    };
    const value = (offset: bigint) => offsetCommitValue({ offset, leaderEpoch: -1, metadata: '', commitTimestampMs: 1, expireTimestampMs: null });
    const batch = (key: Buffer, v: Buffer | null) => buildRecordBatch({ records: [{ timestamp: 1n, key, value: v }] });
    h.log.appendRaw(partition, batch(v0Key(0), value(1n)));
    h.log.appendRaw(partition, batch(offsetCommitKey(GROUP, 't', 0), value(2n)));
    h.log.appendRaw(partition, batch(offsetCommitKey(GROUP, 't', 1), value(3n)));
    h.log.appendRaw(partition, batch(v0Key(1), null));
    h.log.appendRaw(partition, batch(offsetCommitKey(GROUP, 't', 2), value(4n)));
    h.log.appendRaw(partition, batch(v0Key(2), value(5n)));
    const fresh = await reload(h);
    expect(snapshot(fresh.group(GROUP))!.offsets).toEqual(['t/0=2@-1::1:null', 't/2=5@-1::1:null']);
  });

  it('refuses a corrupted log instead of loading half a partition', async () => {
    await h.commit([{ topic: 't', partition: 0, offset: 1n }]);
    const partition = h.coordinator.partitionFor(GROUP);
    const batch = h.log.batches(partition)[0];
    batch[batch.length - 1] ^= 0xff;
    const fresh = h.newCoordinator();
    await expect(fresh.loadPartition(partition, 0)).rejects.toThrow(/CRC/);
    expect(fresh.isPartitionLoading(partition)).toBe(false);
    expect(fresh.ownsPartition(partition)).toBe(false);
    h.coordinator = fresh;
    expect(h.fetch(null).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });

  it('a second load call for the same epoch waits for the load already running', async () => {
    await h.commit([{ topic: 't', partition: 0, offset: 1n }]);
    const partition = h.coordinator.partitionFor(GROUP);
    const fresh = h.newCoordinator();
    const first = fresh.loadPartition(partition, 3);
    const second = fresh.loadPartition(partition, 3);
    expect(fresh.isPartitionLoading(partition)).toBe(true);
    await second;
    expect(fresh.ownsPartition(partition)).toBe(true);
    expect(fresh.group(GROUP)!.offset('t', 0)!.offset).toBe(1n);
    await first;
    // A newer leader epoch reloads.
    await h.commit([{ topic: 't', partition: 0, offset: 2n }]);
    await fresh.loadPartition(partition, 4);
    expect(fresh.group(GROUP)!.offset('t', 0)!.offset).toBe(2n);
  });

  it('a load overtaken by an unload installs nothing', async () => {
    await h.commit([{ topic: 't', partition: 0, offset: 1n }]);
    const partition = h.coordinator.partitionFor(GROUP);
    const fresh = new GroupCoordinator({
      log: { append: (p, b) => h.log.append(p, b), read: async function* (p, from) { await flush(); yield* h.log.read(p, from); } },
      scheduler: h.scheduler,
      config: { offsetsTopicNumPartitions: 4 },
    });
    const loading = fresh.loadPartition(partition, 1);
    fresh.unloadPartition(partition);
    await loading;
    expect(fresh.group(GROUP)).toBeUndefined();
    expect(fresh.ownsPartition(partition)).toBe(false);
  });
});

describe('InMemoryCoordinatorLog', () => {
  it('assigns consecutive offsets and reads from an offset', async () => {
    const log = new InMemoryCoordinatorLog();
    const two = buildRecordBatch({ records: [{ timestamp: 1n, key: Buffer.from('a'), value: null }, { timestamp: 1n, key: Buffer.from('b'), value: null }] });
    expect(await log.append(0, two)).toBe(0n);
    expect(await log.append(0, two)).toBe(2n);
    expect([...log.read(0, 2n)]).toHaveLength(1);
    expect([...log.read(0, 1n)]).toHaveLength(2);
  });
});
