// The coordinator's own cost, without network or clients: the CPU time to form a 10-member group (two-step
// joins, the leader's assignment, the group record written), to rebalance it after one member leaves, to commit
// offsets, and to reload a partition of __consumer_offsets. Time is a ManualScheduler, so the initial rebalance
// delay and timeouts cost nothing here; the broker-level figures (real clients, next to Apache Kafka) belong to
// the broker's benchmark.
import { BatchField, ErrorCode, JoinGroupResponse, Writer, asGroupId, asTopicName, encodeConsumerProtocolSubscription } from '@tributary/protocol';
import { GroupCoordinator, InMemoryCoordinatorLog, ManualScheduler } from '../src';

const MIN_SECONDS = 1;
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function subscription(topics: string[]): Buffer {
  const w = new Writer(64);
  w.int16(1);
  encodeConsumerProtocolSubscription(w, 1, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null });
  return w.toBuffer();
}
const METADATA = subscription(['orders', 'payments']);

function coordinator(log = new InMemoryCoordinatorLog(), scheduler = new ManualScheduler()) {
  return { log, scheduler, coordinator: new GroupCoordinator({ log, scheduler, config: { offsetsTopicNumPartitions: 50 } }) };
}

async function load(c: GroupCoordinator): Promise<void> {
  for (let p = 0; p < 50; p++) await c.loadPartition(p, 0);
}

function join(c: GroupCoordinator, groupId: string, memberId: string): Promise<JoinGroupResponse> {
  return c.joinGroup(
    {
      groupId: asGroupId(groupId),
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 60_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: METADATA }],
      reason: null,
    },
    { apiVersion: 9, clientId: 'bench', clientHost: '/127.0.0.1' },
  );
}

/** Joins and syncs every member of a round; returns when all have their assignment. */
async function completeRound(c: GroupCoordinator, scheduler: ManualScheduler, groupId: string, joins: Promise<JoinGroupResponse>[]): Promise<string[]> {
  scheduler.advance(c.config.groupInitialRebalanceDelayMs * 2);
  const responses = await Promise.all(joins);
  const memberIds = responses.map((r) => r.memberId);
  const leader = responses[0].leader;
  const syncs = responses.map((r) =>
    c.syncGroup(
      {
        groupId: asGroupId(groupId),
        generationId: r.generationId,
        memberId: r.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: r.memberId === leader ? memberIds.map((memberId) => ({ memberId, assignment: Buffer.alloc(64) })) : [],
      },
      { apiVersion: 5 },
    ),
  );
  for (const s of await Promise.all(syncs)) if (s.errorCode !== ErrorCode.NONE) throw new Error(`sync failed: ${s.errorCode}`);
  return memberIds;
}

async function formGroup(c: GroupCoordinator, scheduler: ManualScheduler, groupId: string, size: number): Promise<string[]> {
  const joins: Promise<JoinGroupResponse>[] = [];
  for (let i = 0; i < size; i++) {
    const first = await join(c, groupId, '');
    joins.push(join(c, groupId, first.memberId));
  }
  return completeRound(c, scheduler, groupId, joins);
}

async function timed(label: string, unit: string, body: () => Promise<number>, afterWarmUp?: () => void): Promise<void> {
  // Warm up for as long as we measure: the JIT needs a few hundred rounds of this code before it settles.
  const warmStart = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - warmStart) / 1e9 < MIN_SECONDS) await body();
  afterWarmUp?.();
  let operations = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    operations += await body();
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < MIN_SECONDS);
  console.log(`${label.padEnd(52)} ${((elapsed / operations) * 1e6).toFixed(1).padStart(9)} µs/${unit}  (${operations} ${unit}s)`);
}

async function main(): Promise<void> {
  // A fresh coordinator per group, so timers of earlier groups never fire into a later measurement.
  await timed('form a 10-member group (joins, sync, group record)', 'group', async () => {
    const { coordinator: c, scheduler } = coordinator();
    await c.loadPartition(c.partitionFor('group'), 0);
    await formGroup(c, scheduler, 'group', 10);
    return 1;
  });

  let rebalanceNs = 0n;
  let rebalances = 0;
  const rebalanceOnly = () => {
    rebalanceNs = 0n;
    rebalances = 0;
  };
  await timed('rebalance a 10-member group after one member leaves', 'rebalance', async () => {
    const { coordinator: c, scheduler } = coordinator();
    await c.loadPartition(c.partitionFor('leave'), 0);
    const members = await formGroup(c, scheduler, 'leave', 10);
    const start = process.hrtime.bigint();
    c.leaveGroup({ groupId: asGroupId('leave'), memberId: '', members: [{ memberId: members[9], groupInstanceId: null, reason: null }] }, { apiVersion: 5 });
    await completeRound(c, scheduler, 'leave', members.slice(0, 9).map((id) => join(c, 'leave', id)));
    rebalanceNs += process.hrtime.bigint() - start;
    rebalances++;
    return 1;
  }, rebalanceOnly);
  console.log(`  of which the rebalance itself (leave, 9 rejoins, 9 syncs)   ${(Number(rebalanceNs) / rebalances / 1e3).toFixed(1).padStart(9)} µs`);

  const { coordinator: c } = coordinator();
  await load(c);
  let n = 0;
  const commitGroup = 'committer';
  await timed('commit 100 partitions (one OffsetCommit)', 'commit', async () => {
    const response = await c.commitOffsets(
      {
        groupId: asGroupId(commitGroup),
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [{ name: asTopicName('orders'), partitions: Array.from({ length: 100 }, (_, p) => ({ partitionIndex: p, committedOffset: BigInt(n++), committedLeaderEpoch: 1, commitTimestamp: -1n, committedMetadata: '' })) }],
      },
      { apiVersion: 9 },
    );
    if (response.topics[0].partitions.some((p) => p.errorCode !== 0)) throw new Error('commit failed');
    return 1;
  });

  // Reload: a partition holding 100 000 offset commits (1 000 rounds over 100 partitions) and a group record,
  // replayed into a fresh coordinator; last write wins per key.
  const replayed = coordinator();
  await load(replayed.coordinator);
  await formGroup(replayed.coordinator, replayed.scheduler, commitGroup, 10);
  const group = replayed.coordinator.group(commitGroup)!;
  const memberIds = [...group.members.keys()];
  for (let round = 0; round < 1_000; round++) {
    await replayed.coordinator.commitOffsets(
      {
        groupId: asGroupId(commitGroup),
        generationIdOrMemberEpoch: group.generationId,
        memberId: memberIds[round % memberIds.length],
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [{ name: asTopicName('orders'), partitions: Array.from({ length: 100 }, (_, p) => ({ partitionIndex: p, committedOffset: BigInt(round), committedLeaderEpoch: 1, commitTimestamp: -1n, committedMetadata: '' })) }],
      },
      { apiVersion: 9 },
    );
  }
  const partition = replayed.coordinator.partitionFor(commitGroup);
  let records = 0;
  for (const batch of replayed.log.batches(partition)) records += batch.readInt32BE(BatchField.RECORDS_COUNT);
  let reloadNs = 0n;
  let reloads = 0;
  await timed(`reload one partition (${records} records)`, 'reload', async () => {
    const fresh = new GroupCoordinator({ log: replayed.log, scheduler: new ManualScheduler(), config: { offsetsTopicNumPartitions: 50 } });
    const start = process.hrtime.bigint();
    await fresh.loadPartition(partition, 0);
    reloadNs += process.hrtime.bigint() - start;
    reloads++;
    if (fresh.group(commitGroup)!.offset('orders', 99)!.offset !== 999n) throw new Error('reload lost the last commit');
    fresh.shutdown();
    return 1;
  });
  console.log(`  replay rate ${((records * reloads) / (Number(reloadNs) / 1e9) / 1e3).toFixed(0)} k records/s`);
  await flush();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
