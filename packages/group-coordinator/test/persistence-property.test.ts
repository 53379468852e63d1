// A seeded property test of persistence: after any sequence of commits, offset deletions, group deletions,
// membership changes and expiry passes, a fresh coordinator replaying the log holds exactly the offsets the live
// one holds, and the same membership for every Stable or Empty group.
import { ErrorCode, asGroupId, asTopicName } from '@tributary/protocol';
import { ClassicGroup, GroupCoordinator } from '../src';
import { Harness, flush } from './harness';
import { seedFromEnv, seededRandom } from '@tributary/storage';

function offsetsOf(group: ClassicGroup | undefined): string[] {
  if (group === undefined) return [];
  return [...group.offsets.values()].map((r) => `${r.topic}/${r.partition}=${r.value.offset}:${r.value.metadata}:${r.value.commitTimestampMs}`).sort();
}

function membershipOf(group: ClassicGroup | undefined) {
  if (group === undefined || (group.state !== 'Stable' && group.state !== 'Empty')) return undefined;
  return {
    state: group.state,
    generationId: group.generationId,
    leaderId: group.leaderId,
    protocolName: group.protocolName,
    members: [...group.members.values()].map((m) => `${m.memberId}:${m.assignment.toString('hex')}`).sort(),
  };
}

/** Reloads the log into a second coordinator, compares, and shuts it down (its timers share our scheduler). */
async function compareWithReload(h: Harness, groupIds: string[]): Promise<void> {
  const fresh: GroupCoordinator = h.newCoordinator();
  await h.loadAll(fresh);
  for (const id of groupIds) {
    const live = h.coordinator.group(id);
    expect({ id, offsets: offsetsOf(fresh.group(id)) }).toEqual({ id, offsets: offsetsOf(live) });
    const liveMembership = membershipOf(live);
    if (liveMembership !== undefined && liveMembership.generationId > 0) expect(membershipOf(fresh.group(id))).toEqual(liveMembership);
    if (live === undefined) expect(fresh.group(id)).toBeUndefined();
  }
  fresh.shutdown();
}

describe('persistence property: the log always reloads into the live state', () => {
  it('holds after a seeded random history of commits, deletions, rebalances and expiry', async () => {
    const seed = seedFromEnv();
    console.log(`persistence property seed: ${seed} (replay with TRIBUTARY_SEED=${seed})`);
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const h = new Harness({ offsetsRetentionMs: 3_600_000 });
    await h.loadAll();
    const groupIds = ['simple-a', 'simple-b', 'simple-c', 'consumers-x', 'consumers-y'];
    const topics = ['t0', 't1', 't2'];
    const members = new Map<string, { memberIds: string[]; generationId: number }>();

    for (let step = 0; step < 400; step++) {
      const groupId = pick(groupIds);
      const roll = random();
      const isConsumerGroup = groupId.startsWith('consumers');
      if (roll < 0.45) {
        const offsets = Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({
          topic: pick(topics),
          partition: Math.floor(random() * 3),
          offset: BigInt(Math.floor(random() * 1e6)),
          metadata: random() < 0.2 ? null : `m${step}`,
        }));
        // Deduplicate partitions within one request (a request names each partition once).
        const unique = [...new Map(offsets.map((o) => [`${o.topic}/${o.partition}`, o])).values()];
        const membership = members.get(groupId);
        const who = membership !== undefined && h.coordinator.group(groupId)?.state === 'Stable' ? { groupId, memberId: membership.memberIds[0], generationId: membership.generationId } : { groupId };
        await h.commit(unique, who);
      } else if (roll < 0.55) {
        await h.coordinator.deleteOffsets({ groupId: asGroupId(groupId), topics: [{ name: asTopicName(pick(topics)), partitions: [{ partitionIndex: Math.floor(random() * 3) }] }] });
      } else if (roll < 0.6) {
        await h.coordinator.deleteGroups({ groupsNames: [asGroupId(groupId)] });
        members.delete(groupId);
      } else if (roll < 0.75 && isConsumerGroup) {
        const current = members.get(groupId);
        if (current !== undefined && h.coordinator.group(groupId)?.state === 'Stable') {
          h.leave(current.memberIds.map((memberId) => ({ memberId })), groupId);
          members.delete(groupId);
          await flush();
        } else if (h.coordinator.group(groupId) === undefined || h.coordinator.group(groupId)!.state === 'Empty') {
          const count = 1 + Math.floor(random() * 3);
          const pending = [];
          for (let i = 0; i < count; i++) pending.push((await h.joinNew({ groupId, clientId: `c${step}-${i}`, sessionTimeoutMs: 1_800_000 })).joined);
          h.scheduler.advance(3_000 * (count + 1));
          const joined = await Promise.all(pending);
          const ids = joined.map((j) => j.memberId);
          const generationId = joined[0].generationId;
          await Promise.all(ids.map((id) => h.sync(id, generationId, id === joined[0].leader ? ids.map((m) => ({ memberId: m, assignment: Buffer.from(`${step}:${m}`) })) : [], { groupId })));
          members.set(groupId, { memberIds: ids, generationId });
        }
      } else if (roll < 0.8) {
        h.scheduler.advance(Math.floor(random() * 1_800_000));
        // Live members keep their sessions.
        for (const [id, m] of members) {
          for (const memberId of m.memberIds) {
            const error = h.heartbeat(memberId, m.generationId, null, id);
            if (error !== ErrorCode.NONE) members.delete(id);
          }
        }
        await h.coordinator.expireOffsets();
      }
      await flush();
      if (step % 50 === 49) await compareWithReload(h, groupIds);
    }
    await compareWithReload(h, groupIds);
  }, 30_000);
});
