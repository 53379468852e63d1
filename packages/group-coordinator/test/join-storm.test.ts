import { ErrorCode, JoinGroupResponse } from '@tributary/protocol';
import { ClassicGroup, GroupState } from '../src';
import { GROUP, Harness, flush, subscription } from './harness';
import { seedFromEnv, seededRandom } from '@tributary/storage';

type Phase = 'out' | 'joining' | 'syncing' | 'stable' | 'crashed';

/** One simulated consumer, acting as a real client would on each answer. */
interface Client {
  index: number;
  instanceId: string | null;
  memberId: string;
  generationId: number;
  phase: Phase;
  /** Requests sent and not answered yet. */
  inFlight: number;
  assignment: string;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`invariant broken: ${what}`);
}

/** Checks everything that must hold between any two events, whatever happened before (plain checks: it runs often). */
function checkInvariants(group: ClassicGroup | undefined, maxSize: number): void {
  if (group === undefined) return;
  const members = [...group.members.values()];
  check(group.numAwaitingJoin === members.filter((m) => m.isAwaitingJoin).length, 'awaiting-join count matches the members');
  if (members.length === 0) check(group.leaderId === null, 'an empty group has no leader');
  else check(group.members.has(group.leaderId!), 'the leader is a member');
  for (const [instanceId, memberId] of group.staticMembers) check(group.members.get(memberId)?.groupInstanceId === instanceId, `instance ${instanceId} maps to its member`);
  for (const member of members) {
    if (member.groupInstanceId !== null) check(group.staticMembers.get(member.groupInstanceId) === member.memberId, 'static member is mapped');
    check(!group.pendingMembers.has(member.memberId), 'a member is not also pending');
  }
  for (const id of group.pendingSyncMembers) check(group.members.has(id), 'pending-sync members are members');
  // group.max.size, as Kafka enforces it: members waiting in a join phase never exceed it; outside a join phase
  // dynamic members never do (static members that did not rejoin keep their slot and may add to it).
  check(group.numAwaitingJoin <= maxSize, 'group.max.size bounds the members waiting to join');
  if (!group.is(GroupState.PreparingRebalance)) check(members.filter((m) => !m.isStatic).length <= maxSize, 'group.max.size bounds dynamic members');
  switch (group.state) {
    case GroupState.Empty:
      check(members.length === 0, 'Empty has no members');
      check(group.joinTimer === undefined, 'Empty has no join phase');
      break;
    case GroupState.PreparingRebalance:
      check(group.joinTimer !== undefined, 'PreparingRebalance has a join deadline');
      check(group.pendingSyncMembers.size === 0, 'no sync is pending during a join phase');
      break;
    case GroupState.CompletingRebalance:
    case GroupState.Stable:
      check(members.length > 0, `${group.state} has members`);
      check(group.protocolName !== null, `${group.state} has a protocol`);
      for (const member of members) check(member.supportedProtocols.some((p) => p.name === group.protocolName), 'every member supports the protocol');
      check(group.joinTimer === undefined, `${group.state} has no join phase`);
      if (group.is(GroupState.Stable)) for (const member of members) check(!member.isAwaitingSync, 'nobody waits for an assignment in Stable');
      break;
    case GroupState.Dead:
      throw new Error('a live group map must not hold a Dead group');
  }
}

describe('join storm: 50 members joining, syncing, heartbeating, leaving and crashing in a seeded random order', () => {
  it('keeps the group consistent after every step and settles into one Stable generation', async () => {
    const runSeed = seedFromEnv();
    // Printed so a failure can be replayed with TRIBUTARY_SEED=<seed>.
    console.log(`join storm seed: ${runSeed} (replay with TRIBUTARY_SEED=${runSeed})`);
    const random = seededRandom(runSeed);
    const maxSize = 40;
    const h = new Harness({ groupMaxSize: maxSize, groupInitialRebalanceDelayMs: 500 });
    await h.loadAll();
    const clients: Client[] = Array.from({ length: 50 }, (_, index) => ({
      index,
      instanceId: index % 5 === 0 ? `instance-${index}` : null,
      memberId: '',
      generationId: -1,
      phase: 'out',
      inFlight: 0,
      assignment: '',
    }));
    let lastGeneration = 0;
    const stats = { joins: 0, syncs: 0, leaves: 0, crashes: 0 };
    const protocolsOf = (c: Client) => [{ name: 'range', metadata: subscription([`topic-${c.index % 3}`]) }];

    const reset = (c: Client) => {
      c.memberId = '';
      c.generationId = -1;
      c.phase = 'out';
    };

    const onJoin = (c: Client, r: JoinGroupResponse) => {
      c.inFlight--;
      if (c.phase === 'crashed') return;
      if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        c.memberId = r.memberId;
        return join(c);
      }
      if (r.errorCode !== ErrorCode.NONE) {
        if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || r.errorCode === ErrorCode.FENCED_INSTANCE_ID || r.errorCode === ErrorCode.GROUP_MAX_SIZE_REACHED) reset(c);
        else c.phase = 'out';
        return;
      }
      check(r.generationId >= lastGeneration, 'join answers never go back in generations');
      stats.joins++;
      c.memberId = r.memberId;
      c.generationId = r.generationId;
      c.phase = 'syncing';
      const assignments = r.leader === r.memberId && !r.skipAssignment ? r.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`gen${r.generationId}:${m.memberId}`) })) : [];
      if (r.leader === r.memberId) check(r.members.length > 0, 'the leader receives the members');
      c.inFlight++;
      void h.sync(c.memberId, c.generationId, assignments, { groupInstanceId: c.instanceId }).then((s) => {
        c.inFlight--;
        if (c.phase === 'crashed') return;
        if (s.errorCode === ErrorCode.NONE) {
          c.phase = 'stable';
          c.assignment = s.assignment.toString();
          if (c.assignment !== '') check(c.assignment === `gen${c.generationId}:${c.memberId}`, 'a member gets the assignment the leader made for it');
          stats.syncs++;
        } else if (s.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || s.errorCode === ErrorCode.FENCED_INSTANCE_ID) reset(c);
        else c.phase = 'out';
      });
    };

    const join = (c: Client) => {
      c.phase = 'joining';
      c.inFlight++;
      void h.join({ memberId: c.memberId, groupInstanceId: c.instanceId, clientId: `c${c.index}`, protocols: protocolsOf(c), rebalanceTimeoutMs: 20_000 }).then((r) => onJoin(c, r));
    };

    for (let step = 0; step < 3_000; step++) {
      const c = clients[Math.floor(random() * clients.length)];
      const roll = random();
      if (c.phase === 'crashed') {
        if (roll < 0.05) reset(c); // restarts (a static one with its instance id: replacement)
      } else if (c.inFlight === 0) {
        if (roll < 0.02) {
          c.phase = 'crashed';
          stats.crashes++;
        } else if (roll < 0.06 && c.memberId !== '') {
          h.leave([{ memberId: c.memberId, groupInstanceId: c.instanceId }]);
          stats.leaves++;
          reset(c);
        } else if (c.phase === 'out') join(c);
        else if (c.phase === 'stable') {
          const error = h.heartbeat(c.memberId, c.generationId, c.instanceId);
          if (error === ErrorCode.REBALANCE_IN_PROGRESS || error === ErrorCode.ILLEGAL_GENERATION) join(c);
          else if (error === ErrorCode.UNKNOWN_MEMBER_ID || error === ErrorCode.FENCED_INSTANCE_ID) reset(c);
          else check(error === ErrorCode.NONE, `heartbeat answered ${error}`);
        }
      }
      if (random() < 0.3) h.scheduler.advance(Math.floor(random() * 2_000));
      await flush();
      const group = h.coordinator.group(GROUP);
      checkInvariants(group, maxSize);
      if (group !== undefined) {
        check(group.generationId >= lastGeneration, 'generations only go up');
        lastGeneration = group.generationId;
      }
    }

    // Calm: crashed clients stay down, everyone else keeps heartbeating and rejoining until the group is Stable.
    for (let round = 0; round < 200; round++) {
      for (const c of clients) {
        if (c.inFlight > 0 || c.phase === 'crashed') continue;
        if (c.phase === 'out') join(c);
        else if (c.phase === 'stable') {
          const error = h.heartbeat(c.memberId, c.generationId, c.instanceId);
          if (error === ErrorCode.REBALANCE_IN_PROGRESS || error === ErrorCode.ILLEGAL_GENERATION) join(c);
          else if (error !== ErrorCode.NONE) reset(c);
        }
      }
      h.scheduler.advance(1_000);
      await flush();
      checkInvariants(h.coordinator.group(GROUP), maxSize);
    }
    const group = h.coordinator.group(GROUP)!;
    console.log(`join storm: ${JSON.stringify(stats)}, final generation ${group.generationId}, ${group.size} members`);
    expect(group.state).toBe(GroupState.Stable);
    expect(stats.joins).toBeGreaterThan(100);
    expect(group.generationId).toBeGreaterThan(10);
    const live = clients.filter((c) => c.phase === 'stable');
    // Every member of the group is a live client of the final generation (crashed ones timed out).
    expect(new Set(group.members.keys())).toEqual(new Set(live.filter((c) => group.has(c.memberId)).map((c) => c.memberId)));
    expect(group.size).toBeLessThanOrEqual(live.length);
    for (const c of live) {
      if (!group.has(c.memberId)) continue;
      expect(c.generationId).toBe(group.generationId);
    }
    // No request is left hanging.
    expect(clients.reduce((sum, c) => sum + c.inFlight, 0)).toBe(0);

    // What is in the log reloads into the same membership.
    const fresh = h.newCoordinator();
    await h.loadAll(fresh);
    const reloaded = fresh.group(GROUP)!;
    expect(reloaded.generationId).toBe(group.generationId);
    expect(new Set(reloaded.members.keys())).toEqual(new Set(group.members.keys()));
    expect(reloaded.leaderId).toBe(group.leaderId);
  }, 30_000);
});
