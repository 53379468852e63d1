import { ErrorCode, JoinGroupResponse, Reader, RecordBatch, TributaryError, decodeGroupMetadataValue } from '@tributary/protocol';
import { GroupCoordinator } from '../src';
import { GROUP, Harness, JoinOptions, flush } from './harness';

const protocols = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(`meta-${name}`) }));

/** Forms a Stable group of static members (instance ids i0, i1, ...). */
async function staticGroup(h: Harness, count: number, options: JoinOptions = {}) {
  const joins: Promise<JoinGroupResponse>[] = [];
  for (let i = 0; i < count; i++) joins.push(h.join({ groupInstanceId: `i${i}`, ...options }));
  h.scheduler.advance(3_000 * (count + 1));
  const responses = await Promise.all(joins);
  const memberIds = responses.map((r) => r.memberId);
  const generationId = responses[0].generationId;
  const leader = responses[0].leader;
  const syncs = memberIds.map((id, i) =>
    h.sync(id, generationId, id === leader ? memberIds.map((m, j) => ({ memberId: m, assignment: Buffer.from(`A${j}`) })) : [], { groupInstanceId: `i${i}` }),
  );
  for (const s of await Promise.all(syncs)) expect(s.errorCode).toBe(ErrorCode.NONE);
  expect(h.state()).toBe('Stable');
  return { memberIds, generationId, leader };
}

function lastGroupRecord(h: Harness) {
  const batches = h.log.batches(h.coordinator.partitionFor(GROUP));
  const record = new RecordBatch(batches[batches.length - 1]).records()[0];
  const reader = new Reader(record.value!);
  return decodeGroupMetadataValue(reader, reader.int16());
}

describe('static membership (KIP-345)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.loadAll();
  });

  it('static members join without MEMBER_ID_REQUIRED, with ids made from their instance id', async () => {
    const { memberIds, leader } = await staticGroup(h, 2);
    expect(memberIds).toEqual(['i0-uuid-1', 'i1-uuid-2']);
    expect(leader).toBe('i0-uuid-1');
    expect(lastGroupRecord(h).members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([
      ['i0-uuid-1', 'i0'],
      ['i1-uuid-2', 'i1'],
    ]);
  });

  it('a restarted follower takes its slot back without a rebalance, keeping its assignment; the old id is fenced', async () => {
    const { memberIds, generationId } = await staticGroup(h, 2);
    const rejoined = await h.join({ groupInstanceId: 'i1' });
    expect(rejoined).toMatchObject({ errorCode: ErrorCode.NONE, generationId, memberId: 'i1-uuid-3', leader: memberIds[0], skipAssignment: false, members: [] });
    expect(h.state()).toBe('Stable');
    expect(lastGroupRecord(h).members.map((m) => m.memberId)).toEqual([memberIds[0], 'i1-uuid-3']);
    expect((await h.sync('i1-uuid-3', generationId, [], { groupInstanceId: 'i1' })).assignment).toEqual(Buffer.from('A1'));

    // The old incarnation is fenced wherever it shows up with its instance id, and unknown without it.
    expect(h.heartbeat(memberIds[1], generationId, 'i1')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(h.heartbeat(memberIds[1], generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await h.sync(memberIds[1], generationId, [], { groupInstanceId: 'i1' })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await h.join({ memberId: memberIds[1], groupInstanceId: 'i1' })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await h.commit([{ topic: 't', partition: 0, offset: 1n }], { memberId: memberIds[1], generationId, groupInstanceId: 'i1' }))[0]).toBe(
      ErrorCode.FENCED_INSTANCE_ID,
    );
    expect(h.leave([{ memberId: memberIds[1], groupInstanceId: 'i1' }]).members[0].errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(h.heartbeat('i1-uuid-3', generationId, 'i1')).toBe(ErrorCode.NONE);
    // A member id with an instance id the group does not know.
    expect((await h.join({ memberId: 'i1-uuid-3', groupInstanceId: 'i9' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a restarted leader is told to skip assignment on v9, and is given the old leader id before v9', async () => {
    const { memberIds, generationId } = await staticGroup(h, 2);
    const v9 = await h.join({ groupInstanceId: 'i0' });
    expect(v9).toMatchObject({ errorCode: ErrorCode.NONE, generationId, memberId: 'i0-uuid-3', leader: 'i0-uuid-3', skipAssignment: true });
    expect(v9.members.map((m) => m.memberId).sort()).toEqual(['i0-uuid-3', memberIds[1]].sort());
    expect(h.state()).toBe('Stable');

    const v8 = await h.join({ groupInstanceId: 'i0', apiVersion: 8 });
    expect(v8).toMatchObject({ errorCode: ErrorCode.NONE, memberId: 'i0-uuid-4', leader: 'i0-uuid-3', skipAssignment: false, members: [] });
    expect(h.coordinator.group(GROUP)!.leaderId).toBe('i0-uuid-4');
  });

  it('a restart that would change the selected protocol rebalances', async () => {
    await staticGroup(h, 1, { protocols: protocols('range', 'roundrobin') });
    // The only member rejoined, so the join phase it started completes at once into a new generation.
    const response = await h.join({ groupInstanceId: 'i0', protocols: protocols('roundrobin', 'range') });
    expect(h.state()).toBe('CompletingRebalance');
    expect(response).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, protocolName: 'roundrobin', memberId: 'i0-uuid-2' });
  });

  it('a duplicate instance joining while the original waits in a join phase fences the original', async () => {
    const { memberIds } = await staticGroup(h, 2);
    const original = h.join({ memberId: memberIds[1], groupInstanceId: 'i1', protocols: protocols('range') });
    expect(h.state()).toBe('PreparingRebalance');
    const duplicate = h.join({ groupInstanceId: 'i1', protocols: protocols('range') });
    expect(await original).toMatchObject({ errorCode: ErrorCode.FENCED_INSTANCE_ID, memberId: memberIds[1] });
    const leader = h.join({ memberId: memberIds[0], groupInstanceId: 'i0', protocols: protocols('range') });
    const [d, l] = await Promise.all([duplicate, leader]);
    expect(d).toMatchObject({ errorCode: ErrorCode.NONE, memberId: 'i1-uuid-3', generationId: 2 });
    expect(l.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([
      [memberIds[0], 'i0'],
      ['i1-uuid-3', 'i1'],
    ]);
  });

  it('a static restart during CompletingRebalance forces a new rebalance', async () => {
    const { memberIds } = await staticGroup(h, 2);
    const l = h.join({ memberId: memberIds[0], groupInstanceId: 'i0' });
    const f = h.join({ memberId: memberIds[1], groupInstanceId: 'i1' });
    await Promise.all([l, f]);
    expect(h.state()).toBe('CompletingRebalance');
    void h.join({ groupInstanceId: 'i1' });
    expect(h.state()).toBe('PreparingRebalance');
  });

  it('static members that do not rejoin keep their slot through the join phase; only their session removes them', async () => {
    const { memberIds, generationId } = await staticGroup(h, 2, { sessionTimeoutMs: 120_000 });
    const leader = h.join({ memberId: memberIds[0], groupInstanceId: 'i0', sessionTimeoutMs: 120_000 });
    h.scheduler.advance(30_000);
    const response = await leader;
    expect(response.generationId).toBe(generationId + 1);
    expect(response.members.map((m) => m.memberId)).toEqual(memberIds);
    // i1 still holds its slot; its session (120 s) eventually expires.
    expect(h.coordinator.group(GROUP)!.has(memberIds[1])).toBe(true);
    void h.sync(memberIds[0], response.generationId, [], { groupInstanceId: 'i0' });
    await flush();
    h.scheduler.advance(100_000);
    expect(h.coordinator.group(GROUP)!.has(memberIds[1])).toBe(false);
  });

  it('LeaveGroup by instance id alone removes a static member (administrative removal)', async () => {
    const { memberIds } = await staticGroup(h, 2);
    const response = h.leave([{ memberId: '', groupInstanceId: 'i1' }, { memberId: '', groupInstanceId: 'nobody' }]);
    expect(response.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(h.coordinator.group(GROUP)!.has(memberIds[1])).toBe(false);
    expect(h.coordinator.group(GROUP)!.staticMembers.has('i1')).toBe(false);
    expect(h.state()).toBe('PreparingRebalance');
  });

  it('removing a static member by instance id answers its parked SyncGroup instead of leaving it hanging', async () => {
    const { memberIds } = await staticGroup(h, 2);
    const rejoins = await Promise.all([
      h.join({ memberId: memberIds[0], groupInstanceId: 'i0' }),
      h.join({ memberId: memberIds[1], groupInstanceId: 'i1' }),
    ]);
    const parked = h.sync(memberIds[1], rejoins[1].generationId, [], { groupInstanceId: 'i1' });
    h.leave([{ memberId: '', groupInstanceId: 'i1' }]);
    expect((await parked).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.state()).toBe('PreparingRebalance');
  });

  it('a static rejoin waiting for its group write is answered NOT_COORDINATOR if the partition is unloaded', async () => {
    let hold = false;
    const held: (() => void)[] = [];
    const inner = h.log;
    h.coordinator = new GroupCoordinator({
      log: {
        append: async (partition, batch) => {
          if (hold) await new Promise<void>((resolve) => held.push(resolve));
          return inner.append(partition, batch);
        },
        read: (partition, from) => inner.read(partition, from),
      },
      scheduler: h.scheduler,
      config: { offsetsTopicNumPartitions: 4 },
      newUuid: (() => {
        let n = 100;
        return () => `uuid-${++n}`;
      })(),
    });
    await h.loadAll();
    await staticGroup(h, 2);
    hold = true;
    const rejoin = h.join({ groupInstanceId: 'i1' });
    await flush();
    h.coordinator.unloadPartition(h.coordinator.partitionFor(GROUP));
    expect(await rejoin).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR });
    for (const release of held) release();
  });

  it('if persisting the new member id fails, the old id gets its slot back and the joiner gets the error', async () => {
    const { memberIds, generationId } = await staticGroup(h, 2);
    h.log.failNextAppends = { count: 1, error: new TributaryError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'moved') };
    const response = await h.join({ groupInstanceId: 'i1' });
    expect(response).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, memberId: '', generationId });
    const group = h.coordinator.group(GROUP)!;
    expect(group.currentStaticMemberId('i1')).toBe(memberIds[1]);
    expect(h.heartbeat(memberIds[1], generationId, 'i1')).toBe(ErrorCode.NONE);
    expect(group.numAwaitingJoin).toBe(0);
  });
});
