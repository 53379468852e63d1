import { ErrorCode, TributaryError } from '@tributary/protocol';
import { GROUP, Harness, flush } from './harness';

describe('bad and hostile input', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.loadAll();
  });

  it('takes megabyte protocol metadata and hundreds of protocols per member', async () => {
    const huge = Buffer.alloc(1 << 20, 7);
    const many = Array.from({ length: 500 }, (_, i) => ({ name: `p${i}`, metadata: Buffer.from([i & 0xff]) }));
    const a = await h.joinNew({ protocols: [{ name: 'range', metadata: huge }, ...many] });
    const b = await h.joinNew({ protocols: [...many.slice(0, 10), { name: 'range', metadata: huge }] });
    h.scheduler.advance(6_000);
    const [ja, jb] = await Promise.all([a.joined, b.joined]);
    // a votes range, b votes p0: a tie that the first vote counted wins.
    expect(ja.protocolName).toBe('range');
    expect(ja.members.map((m) => m.metadata.length)).toEqual([1 << 20, 1 << 20]);
    expect(jb.members).toEqual([]);
  });

  it('a group record the log refuses (too large) fails the sync and sends everyone back to JoinGroup', async () => {
    const a = await h.joinNew();
    const b = await h.joinNew();
    h.scheduler.advance(6_000);
    const [ja, jb] = await Promise.all([a.joined, b.joined]);
    const follower = h.sync(b.memberId, jb.generationId);
    h.log.failNextAppends = { count: 1, error: new TributaryError(ErrorCode.RECORD_LIST_TOO_LARGE, 'too large') };
    const leader = h.sync(a.memberId, ja.generationId, [{ memberId: a.memberId, assignment: Buffer.alloc(10) }]);
    expect((await leader).errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect((await follower).errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(h.state()).toBe('PreparingRebalance');
    // A timed-out write is reported as REBALANCE_IN_PROGRESS, as Kafka maps REQUEST_TIMED_OUT.
    const rejoins = await Promise.all([h.join({ memberId: a.memberId }), h.join({ memberId: b.memberId })]);
    h.log.failNextAppends = { count: 1, error: new TributaryError(ErrorCode.REQUEST_TIMED_OUT, 'slow') };
    expect((await h.sync(a.memberId, rejoins[0].generationId, [])).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    // Other failures pass through unchanged; non-Kafka errors are UNKNOWN_SERVER_ERROR.
    const again = await Promise.all([h.join({ memberId: a.memberId }), h.join({ memberId: b.memberId })]);
    h.log.failNextAppends = { count: 1, error: new TributaryError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'moved') };
    expect((await h.sync(a.memberId, again[0].generationId, [])).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const third = await Promise.all([h.join({ memberId: a.memberId }), h.join({ memberId: b.memberId })]);
    h.log.failNextAppends = { count: 1, error: new TributaryError(ErrorCode.POLICY_VIOLATION, 'odd') };
    expect((await h.sync(a.memberId, third[0].generationId, [])).errorCode).toBe(ErrorCode.POLICY_VIOLATION);
    const fourth = await Promise.all([h.join({ memberId: a.memberId }), h.join({ memberId: b.memberId })]);
    h.log.failNextAppends = { count: 1, error: new Error('disk on fire') };
    expect((await h.sync(a.memberId, fourth[0].generationId, [])).errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
  });

  it('bounds the members waiting for their second JoinGroup', async () => {
    h = new Harness({ maxPendingMembersPerGroup: 3 });
    await h.loadAll();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await h.join()).errorCode);
    expect(answers).toEqual([
      ErrorCode.MEMBER_ID_REQUIRED,
      ErrorCode.MEMBER_ID_REQUIRED,
      ErrorCode.MEMBER_ID_REQUIRED,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
    ]);
    expect(h.coordinator.group(GROUP)!.pendingMembers.size).toBe(3);
    // Once they expire (one session timeout) there is room again.
    h.scheduler.advance(10_000);
    expect((await h.join()).errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  });

  it('a join-and-leave flood from one client leaves no members, timers or pending ids behind', async () => {
    const { memberIds, generationId } = await h.stableGroup(1);
    for (let i = 0; i < 1_000; i++) {
      const first = await h.join({ clientId: `flood-${i}` });
      if (i % 2 === 0) h.leave([{ memberId: first.memberId }]);
      else void h.join({ memberId: first.memberId, clientId: `flood-${i}` });
      if (i % 10 === 0) expect(h.heartbeat(memberIds[0], generationId)).not.toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    await flush();
    const group = h.coordinator.group(GROUP)!;
    expect(group.pendingMembers.size).toBe(0);
    // The flood members that joined never sync or heartbeat: their sessions clear them out.
    for (let i = 0; i < 20; i++) {
      h.scheduler.advance(31_000);
      await flush();
    }
    expect(group.size).toBeLessThanOrEqual(1);
    expect(h.scheduler.pendingTasks).toBeLessThanOrEqual(group.size + 1);
  });
});
