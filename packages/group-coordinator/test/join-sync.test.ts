import { ErrorCode, Reader, RecordBatch, asGroupId, decodeGroupMetadataValue } from '@tributary/protocol';
import { CoordinatorLog, GroupCoordinator, InMemoryCoordinatorLog, ManualScheduler } from '../src';
import { GROUP, Harness, flush, subscription } from './harness';

/** The group records written so far for GROUP, decoded (null for tombstones). */
function groupRecords(h: Harness) {
  const partition = h.coordinator.partitionFor(GROUP);
  return h.log.batches(partition).flatMap((bytes) =>
    new RecordBatch(bytes).records().flatMap((record) => {
      const key = new Reader(record.key!);
      if (key.int16() !== 2) return [];
      if (record.value === null) return [null];
      const value = new Reader(record.value);
      const version = value.int16();
      expect(version).toBe(3);
      return [decodeGroupMetadataValue(value, version)];
    }),
  );
}

describe('JoinGroup and SyncGroup: the classic state machine', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.loadAll();
  });

  it('asks a v4+ member for a member id first (KIP-394), then runs the initial delayed join', async () => {
    const first = await h.join({ clientId: 'app' });
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: 'app-uuid-1', generationId: -1, leader: '' });
    expect(h.state()).toBe('Empty');
    let answered = false;
    const joined = h.join({ clientId: 'app', memberId: first.memberId }).then((r) => ((answered = true), r));
    expect(h.state()).toBe('PreparingRebalance');
    h.scheduler.advance(2_999);
    await flush();
    expect(answered).toBe(false);
    h.scheduler.advance(1);
    const response = await joined;
    expect(response).toMatchObject({
      errorCode: ErrorCode.NONE,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leader: 'app-uuid-1',
      memberId: 'app-uuid-1',
      skipAssignment: false,
    });
    expect(response.members).toEqual([{ memberId: 'app-uuid-1', groupInstanceId: null, metadata: subscription(['t']) }]);
    expect(h.state()).toBe('CompletingRebalance');
  });

  it('adds v0-v3 members at once, and v0 uses the session timeout as rebalance timeout', async () => {
    const joined = h.join({ apiVersion: 0, rebalanceTimeoutMs: -1 });
    expect(h.state()).toBe('PreparingRebalance');
    h.scheduler.advance(3_000);
    const response = await joined;
    expect(response).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, memberId: 'client-uuid-1', protocolName: 'range' });
    expect(h.coordinator.group(GROUP)!.get('client-uuid-1').rebalanceTimeoutMs).toBe(10_000);
  });

  it('reaches Stable when the leader syncs: followers wait for the assignment, the group record is written first', async () => {
    const a = await h.joinNew({ clientId: 'a' });
    const b = await h.joinNew({ clientId: 'b' });
    h.scheduler.advance(6_000);
    const [ja, jb] = await Promise.all([a.joined, b.joined]);
    expect(ja.leader).toBe(a.memberId);
    expect(ja.members.map((m) => m.memberId)).toEqual([a.memberId, b.memberId]);
    expect(jb.members).toEqual([]);
    expect(jb.generationId).toBe(1);

    let followerAnswered = false;
    const followerSync = h.sync(b.memberId, 1).then((r) => ((followerAnswered = true), r));
    await flush();
    expect(followerAnswered).toBe(false);
    const leaderSync = h.sync(a.memberId, 1, [
      { memberId: a.memberId, assignment: Buffer.from('A') },
      { memberId: b.memberId, assignment: Buffer.from('B') },
    ]);
    // The state changes only once the group record is appended.
    expect(h.state()).toBe('CompletingRebalance');
    const [la, fb] = await Promise.all([leaderSync, followerSync]);
    expect(la).toMatchObject({ errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('A') });
    expect(fb).toMatchObject({ errorCode: ErrorCode.NONE, assignment: Buffer.from('B') });
    expect(h.state()).toBe('Stable');

    const records = groupRecords(h);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ protocolType: 'consumer', generation: 1, protocol: 'range', leader: a.memberId });
    expect(records[0]!.members.map((m) => [m.memberId, m.clientId, m.assignment.toString()])).toEqual([
      [a.memberId, 'a', 'A'],
      [b.memberId, 'b', 'B'],
    ]);
    expect(records[0]!.members[0].subscription).toEqual(subscription(['t']));

    // A Stable group answers SyncGroup with the member's current assignment.
    expect(await h.sync(b.memberId, 1)).toMatchObject({ errorCode: ErrorCode.NONE, assignment: Buffer.from('B') });
  });

  it('gives members the leader left out an empty assignment', async () => {
    const { memberIds, generationId } = await h.stableGroup(1);
    const c = await h.joinNew({ clientId: 'c' });
    const rejoin = h.join({ memberId: memberIds[0] });
    const [jc, j0] = await Promise.all([c.joined, rejoin]);
    expect(jc.generationId).toBe(generationId + 1);
    const leaderSync = h.sync(memberIds[0], j0.generationId, [{ memberId: memberIds[0], assignment: Buffer.from('x') }]);
    const followerSync = h.sync(c.memberId, jc.generationId);
    expect((await followerSync).assignment).toEqual(Buffer.alloc(0));
    expect((await leaderSync).assignment).toEqual(Buffer.from('x'));
  });

  it('rejects SyncGroup with a wrong generation, unknown member, wrong protocol, or during a join phase', async () => {
    const { memberIds, generationId } = await h.stableGroup(2);
    expect((await h.sync(memberIds[0], generationId + 1)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await h.sync('nobody', generationId)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const wrongProtocol = await h.coordinator.syncGroup(
      { groupId: asGroupId(GROUP), generationId, memberId: memberIds[0], groupInstanceId: null, protocolType: 'consumer', protocolName: 'roundrobin', assignments: [] },
      { apiVersion: 5 },
    );
    expect(wrongProtocol.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const missingProtocol = await h.coordinator.syncGroup(
      { groupId: asGroupId(GROUP), generationId, memberId: memberIds[0], groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] },
      { apiVersion: 5 },
    );
    expect(missingProtocol.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.sync('x', 1, [], { groupId: 'no-such-group' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);

    void h.join({ memberId: memberIds[0] }); // leader rejoin: PreparingRebalance
    expect(h.state()).toBe('PreparingRebalance');
    expect((await h.sync(memberIds[1], generationId)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('answers heartbeats by state, generation and member', async () => {
    expect(h.heartbeat('m', 0, null, 'unknown-group')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const { memberIds, generationId } = await h.stableGroup(2);
    expect(h.heartbeat(memberIds[1], generationId)).toBe(ErrorCode.NONE);
    expect(h.heartbeat(memberIds[1], generationId - 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.heartbeat('stranger', generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    void h.join({ memberId: memberIds[0] });
    expect(h.heartbeat(memberIds[1], generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = h.join({ memberId: memberIds[1] });
    await rejoined;
    expect(h.state()).toBe('CompletingRebalance');
    // Between the JoinGroup and SyncGroup answers a heartbeat is normal.
    expect(h.heartbeat(memberIds[1], generationId + 1)).toBe(ErrorCode.NONE);
  });

  it('validates session timeouts, group ids, protocol types and protocols', async () => {
    expect((await h.join({ sessionTimeoutMs: 5_999 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await h.join({ sessionTimeoutMs: 1_800_001 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await h.join({ groupId: '' })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await h.join({ protocolType: '' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.join({ protocols: [] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.join({ memberId: 'made-up', groupId: 'fresh' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);

    await h.stableGroup(1);
    expect((await h.join({ protocolType: 'connect' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.join({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] })).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect((await h.join({ memberId: 'made-up' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('accepts any non-empty protocol type for a new group (Connect, Schema Registry, unknown tools)', async () => {
    const first = await h.join({ protocolType: 'some-tool', protocols: [{ name: 'v1', metadata: Buffer.from([1, 2, 3]) }] });
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const joined = h.join({ memberId: first.memberId, protocolType: 'some-tool', protocols: [{ name: 'v1', metadata: Buffer.from([1, 2, 3]) }] });
    h.scheduler.advance(3_000);
    expect(await joined).toMatchObject({ errorCode: ErrorCode.NONE, protocolType: 'some-tool', protocolName: 'v1' });
    // Not a consumer group: subscriptions are not parsed.
    expect(h.coordinator.group(GROUP)!.subscribedTopics).toBeNull();
  });

  it('selects the protocol by vote among those every member supports', async () => {
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const a = await h.joinNew({ protocols: p('range', 'cooperative-sticky') });
    const b = await h.joinNew({ protocols: p('cooperative-sticky', 'range') });
    const c = await h.joinNew({ protocols: p('cooperative-sticky', 'range', 'roundrobin') });
    h.scheduler.advance(10_000);
    const responses = await Promise.all([a.joined, b.joined, c.joined]);
    expect(responses.map((r) => r.protocolName)).toEqual(['cooperative-sticky', 'cooperative-sticky', 'cooperative-sticky']);
    // The leader receives each member's metadata for the chosen protocol.
    expect(responses[0].members.map((m) => m.metadata.toString())).toEqual(['cooperative-sticky', 'cooperative-sticky', 'cooperative-sticky']);
    // A member that supports none of the group's protocols is refused.
    expect((await h.join({ protocols: p('roundrobin') })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('rebalances on a leader rejoin or changed metadata, but not on a follower rejoin that changes nothing', async () => {
    const { memberIds, generationId } = await h.stableGroup(2);
    const follower = await h.join({ memberId: memberIds[1] });
    expect(follower).toMatchObject({ errorCode: ErrorCode.NONE, generationId, members: [] });
    expect(h.state()).toBe('Stable');

    const changed = h.join({ memberId: memberIds[1], protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] });
    expect(h.state()).toBe('PreparingRebalance');
    const leader = h.join({ memberId: memberIds[0] });
    const [c, l] = await Promise.all([changed, leader]);
    expect(c.generationId).toBe(generationId + 1);
    expect(l.generationId).toBe(generationId + 1);
    expect(h.coordinator.group(GROUP)!.subscribedTopics).toEqual(new Set(['t', 'u']));

    // In CompletingRebalance a rejoin with the same metadata gets this generation's answer again.
    const again = await h.join({ memberId: memberIds[0], protocols: [{ name: 'range', metadata: subscription(['t']) }] });
    expect(again).toMatchObject({ errorCode: ErrorCode.NONE, generationId: generationId + 1, leader: memberIds[0] });
    expect(again.members).toHaveLength(2);
    expect(h.state()).toBe('CompletingRebalance');
  });

  it('a member joining a Stable group starts a rebalance that ends as soon as everyone rejoined', async () => {
    const { memberIds, generationId } = await h.stableGroup(2);
    const c = await h.joinNew({ clientId: 'c' });
    expect(h.state()).toBe('PreparingRebalance');
    const rejoins = memberIds.map((id) => h.join({ memberId: id }));
    const all = await Promise.all([c.joined, ...rejoins]);
    expect(all.map((r) => r.generationId)).toEqual([generationId + 1, generationId + 1, generationId + 1]);
    expect(h.state()).toBe('CompletingRebalance');
  });

  it('parked SyncGroups are told to rejoin when a rebalance starts during CompletingRebalance', async () => {
    const a = await h.joinNew({ clientId: 'a' });
    const b = await h.joinNew({ clientId: 'b' });
    h.scheduler.advance(6_000);
    const [, jb] = await Promise.all([a.joined, b.joined]);
    const parked = h.sync(b.memberId, jb.generationId);
    void (await h.joinNew({ clientId: 'c' }));
    expect((await parked).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(h.state()).toBe('PreparingRebalance');
  });

  it('LeaveGroup removes members in a batch and rebalances; the last one out leaves an Empty group record', async () => {
    const { memberIds, generationId } = await h.stableGroup(3);
    const response = h.leave([{ memberId: memberIds[1] }, { memberId: 'ghost' }, { memberId: memberIds[2] }]);
    expect(response.errorCode).toBe(ErrorCode.NONE);
    expect(response.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.NONE]);
    expect(h.state()).toBe('PreparingRebalance');
    const rejoin = await h.join({ memberId: memberIds[0] });
    expect(rejoin.generationId).toBe(generationId + 1);
    expect(rejoin.members.map((m) => m.memberId)).toEqual([memberIds[0]]);

    h.leave([{ memberId: memberIds[0] }]);
    // With nobody left, everyone "has rejoined": the join phase completes at once into Empty, next generation.
    await flush();
    expect(h.state()).toBe('Empty');
    const last = groupRecords(h).at(-1)!;
    expect(last).toMatchObject({ generation: generationId + 2, protocol: null, leader: null, members: [] });

    // Unknown group: each member gets UNKNOWN_MEMBER_ID.
    expect(h.leave([{ memberId: 'x' }], 'nope').members[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('LeaveGroup v0-v2 reports the single member error at the top level', async () => {
    await h.stableGroup(1);
    const response = h.coordinator.leaveGroup({ groupId: asGroupId(GROUP), memberId: 'ghost', members: [] }, { apiVersion: 1 });
    expect(response.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('enforces group.max.size', async () => {
    h = new Harness({ groupMaxSize: 2 });
    await h.loadAll();
    await h.stableGroup(2);
    // A Stable group at its limit turns a newcomer away before even handing out a member id.
    expect(await h.join()).toMatchObject({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED, memberId: '' });
    expect(h.state()).toBe('Stable');
  });

  it('group.max.size in PreparingRebalance counts waiting members: the last to rejoin is turned away', async () => {
    h = new Harness({ groupMaxSize: 2 });
    await h.loadAll();
    const { memberIds } = await h.stableGroup(2);
    // Shrink the limit as an operator would, by restarting with a smaller group.max.size.
    (h.coordinator.config as { groupMaxSize: number }).groupMaxSize = 1;
    const first = h.join({ memberId: memberIds[0] });
    expect(h.state()).toBe('PreparingRebalance');
    const second = await h.join({ memberId: memberIds[1] });
    expect(second).toMatchObject({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED, memberId: '' });
    expect((await first).members.map((m) => m.memberId)).toEqual([memberIds[0]]);
    expect(h.coordinator.group(GROUP)!.size).toBe(1);
  });

  it('describes groups: metadata and assignments only when Stable; unknown groups are Dead', async () => {
    const { memberIds } = await h.stableGroup(2);
    const described = h.describe();
    expect(described).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(described.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.memberAssignment.toString()])).toEqual(
      memberIds.map((id, i) => [id, `client-${i}`, '/127.0.0.1', `assignment-of-${id}`]),
    );
    expect(described.members[0].memberMetadata).toEqual(subscription(['t']));
    void h.join({ memberId: memberIds[0] });
    const rebalancing = h.describe();
    expect(rebalancing).toMatchObject({ groupState: 'PreparingRebalance', protocolData: '' });
    expect(rebalancing.members[0].memberMetadata).toEqual(Buffer.alloc(0));
    expect(h.describe('unknown')).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Dead', members: [] });
    expect(h.describe('')).toMatchObject({ errorCode: ErrorCode.NONE, groupState: 'Dead' });
  });

  it('lists groups with a case-insensitive state filter; only the classic type matches', async () => {
    await h.stableGroup(1);
    await h.commit([{ topic: 't', partition: 0, offset: 1n }], { groupId: 'simple' });
    const list = (statesFilter: string[], typesFilter: string[] = []) =>
      h.coordinator.listGroups({ statesFilter, typesFilter }).groups.map((g) => [g.groupId, g.groupState, g.protocolType, g.groupType]);
    expect(list([])).toEqual([
      [GROUP, 'Stable', 'consumer', 'classic'],
      ['simple', 'Empty', '', 'classic'],
    ]);
    expect(list(['stable'])).toEqual([[GROUP, 'Stable', 'consumer', 'classic']]);
    expect(list(['Empty', 'Dead'])).toEqual([['simple', 'Empty', '', 'classic']]);
    expect(list([], ['Classic'])).toHaveLength(2);
    expect(list([], ['consumer'])).toEqual([]);
  });

  it('deletes only Empty groups', async () => {
    await h.stableGroup(1);
    await h.commit([{ topic: 't', partition: 0, offset: 1n }], { groupId: 'simple' });
    const response = await h.coordinator.deleteGroups({ groupsNames: [GROUP, 'simple', 'missing'].map(asGroupId) });
    expect(response.results.map((r) => [r.groupId, r.errorCode])).toEqual([
      [GROUP, ErrorCode.NON_EMPTY_GROUP],
      ['simple', ErrorCode.NONE],
      ['missing', ErrorCode.GROUP_ID_NOT_FOUND],
    ]);
    expect(h.coordinator.group('simple')).toBeUndefined();
    expect(h.fetch([{ topic: 't', partitions: [0] }], 'simple').topics[0].partitions[0].committedOffset).toBe(-1n);
  });
});

describe('coordinator ownership and loading', () => {
  it('answers NOT_COORDINATOR for partitions it does not own', async () => {
    const h = new Harness();
    expect((await h.join()).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(h.heartbeat('m', 1)).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await h.commit([{ topic: 't', partition: 0, offset: 1n }]))[0]).toBe(ErrorCode.NOT_COORDINATOR);
    expect(h.fetch(null).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(h.describe().errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS while loading (heartbeats blindly NONE, syncs REBALANCE_IN_PROGRESS)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inner = new InMemoryCoordinatorLog();
    const slowLog: CoordinatorLog = {
      append: (partition, batch) => inner.append(partition, batch),
      async *read(partition, from) {
        await gate;
        yield* inner.read(partition, from);
      },
    };
    const scheduler = new ManualScheduler();
    const coordinator = new GroupCoordinator({ log: slowLog, scheduler, config: { offsetsTopicNumPartitions: 1 } });
    const loading = coordinator.loadPartition(0, 0);
    const h = new Harness();
    h.coordinator = coordinator;
    expect((await h.join()).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(h.heartbeat('m', 1)).toBe(ErrorCode.NONE);
    expect((await h.sync('m', 1)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(h.fetch(null).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(coordinator.listGroups({ statesFilter: [], typesFilter: [] }).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await loading;
    expect((await h.join()).errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  });

  it('unloading a partition fails parked requests with NOT_COORDINATOR and forgets its groups', async () => {
    const h = new Harness();
    await h.loadAll();
    const { joined } = await h.joinNew();
    h.coordinator.unloadPartition(h.coordinator.partitionFor(GROUP));
    expect((await joined).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(h.coordinator.group(GROUP)).toBeUndefined();
    expect(h.scheduler.pendingTasks).toBe(1); // only the pending-member expiry of the first join, now a no-op
  });

  it('answers COORDINATOR_NOT_AVAILABLE after shutdown', async () => {
    const h = new Harness();
    await h.loadAll();
    h.coordinator.shutdown();
    expect((await h.join()).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(h.coordinator.listGroups({ statesFilter: [], typesFilter: [] }).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
