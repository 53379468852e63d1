import { ErrorCode } from '@tributary/protocol';
import { GROUP, Harness, flush } from './harness';

describe('timeouts on the injected scheduler', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.loadAll();
  });

  it('a member whose session expires is removed and the group rebalances; heartbeats re-arm the session', async () => {
    const { memberIds, generationId } = await h.stableGroup(2);
    h.scheduler.advance(9_000);
    expect(h.heartbeat(memberIds[0], generationId)).toBe(ErrorCode.NONE);
    expect(h.heartbeat(memberIds[1], generationId)).toBe(ErrorCode.NONE);
    h.scheduler.advance(9_000);
    expect(h.heartbeat(memberIds[0], generationId)).toBe(ErrorCode.NONE);
    expect(h.state()).toBe('Stable');
    // Member 1's last heartbeat was 10 s ago now: its session runs out and a rebalance waits for member 0.
    h.scheduler.advance(1_000);
    expect(h.coordinator.group(GROUP)!.has(memberIds[1])).toBe(false);
    expect(h.state()).toBe('PreparingRebalance');
    expect(h.heartbeat(memberIds[0], generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoin = await h.join({ memberId: memberIds[0] });
    expect(rejoin).toMatchObject({ errorCode: ErrorCode.NONE, generationId: generationId + 1, leader: memberIds[0] });
    expect(rejoin.members.map((m) => m.memberId)).toEqual([memberIds[0]]);
  });

  it('the session boundary is exact: a heartbeat 1 ms before expiry keeps the member', async () => {
    const { memberIds, generationId } = await h.stableGroup(1);
    h.scheduler.advance(9_999);
    expect(h.heartbeat(memberIds[0], generationId)).toBe(ErrorCode.NONE);
    h.scheduler.advance(9_999);
    expect(h.state()).toBe('Stable');
    h.scheduler.advance(1);
    expect(h.coordinator.group(GROUP)!.size).toBe(0);
  });

  it('the rebalance timeout ends a join phase without members that did not rejoin (dynamic ones are dropped)', async () => {
    const { memberIds, generationId } = await h.stableGroup(3);
    const leaderRejoin = h.join({ memberId: memberIds[0] });
    const rejoin1 = h.join({ memberId: memberIds[1] });
    // Member 2 keeps heartbeating but never rejoins.
    for (let i = 0; i < 5; i++) {
      h.scheduler.advance(5_000);
      expect(h.heartbeat(memberIds[2], generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    h.scheduler.advance(5_000); // 30 s after the rejoins
    const [l, r1] = await Promise.all([leaderRejoin, rejoin1]);
    expect(l.generationId).toBe(generationId + 1);
    expect(r1.generationId).toBe(generationId + 1);
    expect(l.members.map((m) => m.memberId)).toEqual([memberIds[0], memberIds[1]]);
    expect(h.heartbeat(memberIds[2], generationId + 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a new leader is elected when the leader does not rejoin', async () => {
    const { memberIds, generationId } = await h.stableGroup(2);
    const rejoin = h.join({ memberId: memberIds[1], protocols: [{ name: 'range', metadata: Buffer.from('changed') }] });
    h.heartbeat(memberIds[0], generationId);
    h.scheduler.advance(30_000);
    const response = await rejoin;
    expect(response).toMatchObject({ errorCode: ErrorCode.NONE, leader: memberIds[1], generationId: generationId + 1 });
  });

  it('the initial delay is extended by each new member but never beyond the rebalance timeout', async () => {
    const first = await h.joinNew({ rebalanceTimeoutMs: 10_000 });
    let done = false;
    void first.joined.then(() => (done = true));
    // A new member every 2.5 s keeps extending the 3 s delay (at 3 s, 6 s, 9 s)...
    for (let i = 0; i < 3; i++) {
      h.scheduler.advance(2_500);
      void (await h.joinNew({ rebalanceTimeoutMs: 10_000 })).joined;
      await flush();
      expect(done).toBe(false);
    }
    h.scheduler.advance(2_499);
    await flush();
    expect(done).toBe(false);
    // ...but the initial join phase is capped at 3 s + (10 s - 3 s) = 10 s after the first join.
    h.scheduler.advance(1);
    const response = await first.joined;
    expect(response.generationId).toBe(1);
    expect(response.members).toHaveLength(4);
    expect(h.state()).toBe('CompletingRebalance');
  });

  it('without newcomers the initial delayed join completes after exactly one delay', async () => {
    const a = await h.joinNew();
    let done = false;
    void a.joined.then(() => (done = true));
    h.scheduler.advance(2_999);
    await flush();
    expect(done).toBe(false);
    h.scheduler.advance(1);
    await flush();
    expect(done).toBe(true);
  });

  it('a pending member (MEMBER_ID_REQUIRED) that never rejoins expires after its session timeout', async () => {
    const { memberIds, generationId } = await h.stableGroup(1);
    const pending = await h.join();
    expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const group = h.coordinator.group(GROUP)!;
    expect(group.pendingMembers.has(pending.memberId)).toBe(true);
    // A rebalance now waits for the pending member too...
    const rejoin = h.join({ memberId: memberIds[0] });
    let done = false;
    void rejoin.then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    // ...until its session timeout removes it.
    h.scheduler.advance(10_000);
    expect((await rejoin).generationId).toBe(generationId + 1);
    expect(group.pendingMembers.size).toBe(0);
    // The expired id is unknown now.
    expect((await h.join({ memberId: pending.memberId })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a new member stuck in a join phase is dropped after the 5-minute new-member timeout', async () => {
    const { memberIds } = await h.stableGroup(1);
    // The old member keeps a huge rebalance timeout and never rejoins, so the phase outlives the new member.
    const group = h.coordinator.group(GROUP)!;
    group.get(memberIds[0]).rebalanceTimeoutMs = 600_000;
    const newcomer = await h.joinNew({ sessionTimeoutMs: 6_000 });
    for (let t = 0; t < 299_000; t += 5_000) {
      h.scheduler.advance(5_000);
      h.heartbeat(memberIds[0], 1);
    }
    h.scheduler.advance(1_000);
    expect(await newcomer.joined).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, memberId: '' });
    expect(group.has(newcomer.memberId)).toBe(false);
  });

  it('members that never send SyncGroup within the rebalance timeout are removed and the group rebalances', async () => {
    // Sessions longer than the rebalance timeout, so only the sync deadline can remove anyone.
    const a = await h.joinNew({ clientId: 'a', sessionTimeoutMs: 60_000 });
    const b = await h.joinNew({ clientId: 'b', sessionTimeoutMs: 60_000 });
    h.scheduler.advance(6_000);
    const [, jb] = await Promise.all([a.joined, b.joined]);
    const followerSync = h.sync(b.memberId, jb.generationId);
    // The leader never syncs.
    h.scheduler.advance(29_999);
    expect(h.state()).toBe('CompletingRebalance');
    h.scheduler.advance(1);
    expect((await followerSync).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const group = h.coordinator.group(GROUP)!;
    expect(group.has(a.memberId)).toBe(false);
    expect(group.has(b.memberId)).toBe(true);
    expect(h.state()).toBe('PreparingRebalance');
  });

  it('a member waiting in SyncGroup is not expired by its session; it gets a fresh session after the answer', async () => {
    const a = await h.joinNew({ clientId: 'a', rebalanceTimeoutMs: 60_000 });
    const b = await h.joinNew({ clientId: 'b', rebalanceTimeoutMs: 60_000 });
    h.scheduler.advance(6_000);
    const [ja, jb] = await Promise.all([a.joined, b.joined]);
    const followerSync = h.sync(b.memberId, jb.generationId);
    // 20 s, longer than the 10 s session; the leader heartbeats while it "computes" the assignment.
    for (let i = 0; i < 4; i++) {
      h.scheduler.advance(5_000);
      expect(h.heartbeat(a.memberId, ja.generationId)).toBe(ErrorCode.NONE);
    }
    expect(h.coordinator.group(GROUP)!.has(b.memberId)).toBe(true);
    void (await h.sync(a.memberId, ja.generationId, []));
    expect((await followerSync).errorCode).toBe(ErrorCode.NONE);
    h.scheduler.advance(9_000);
    expect(h.state()).toBe('Stable');
    expect(h.heartbeat(b.memberId, jb.generationId)).toBe(ErrorCode.NONE);
  });
});
