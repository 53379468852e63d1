/**
 * Hostile group traffic against a Tributary started as a user starts it: huge protocol metadata, unknown and
 * mismatched protocol types, commits for topics that do not exist, and a seeded storm of joins, leaves and
 * dropped connections from 50 members. The coordinator must keep answering everyone promptly and end in a
 * consistent state. TRIBUTARY_SEED=<seed> replays the storm; TRIBUTARY_STORM_MS sets its length (default 60 s,
 * as issue 5 asks; shorten it locally with TRIBUTARY_STORM_MS=10000).
 */
import { ApiKey, ApiMessages, ErrorCode, GroupId, TopicName, decodeResponseFrame, encodeRequestFrame } from '@tributary/protocol';
import { SeededRandom, seedFromEnv } from '@tributary/storage';
import { useTempDirs } from '../helpers/tmp';
import { RawClient } from '../broker/raw-client';
import { TributaryProcess } from '../broker/tributary-process';

jest.setTimeout(180_000);

const STORM_MS = Number(process.env.TRIBUTARY_STORM_MS ?? 60_000);
const tempDir = useTempDirs('groups-bad-input');
let broker: TributaryProcess;
let correlation = 0;

beforeAll(async () => {
  broker = await TributaryProcess.start(tempDir(), ['group.initial.rebalance.delay.ms=0']);
}, 30_000);

afterAll(async () => {
  expect(await broker?.stop()).toBe(0);
});

/** One connection, one request at a time: the answer to each request, decoded. */
class Connection {
  private constructor(readonly raw: RawClient) {}

  static async open(): Promise<Connection> {
    return new Connection(await RawClient.connect(broker.host, broker.port));
  }

  async call<K extends ApiKey>(apiKey: K, version: number, request: ApiMessages[K]['request'], timeoutMs = 30_000): Promise<ApiMessages[K]['response']> {
    const before = this.raw.frames.length;
    const id = ++correlation;
    this.raw.send(encodeRequestFrame(apiKey, version, id, 'bad-input', request));
    await this.raw.until(() => this.raw.frames.length > before || this.raw.closed, `${ApiKey[apiKey]} answer`, timeoutMs);
    if (this.raw.frames.length === before) throw new Error(`connection closed instead of answering ${ApiKey[apiKey]}`);
    const { correlationId, response } = decodeResponseFrame(apiKey, version, this.raw.frames[before]);
    expect(correlationId).toBe(id);
    return response;
  }

  close(): void {
    this.raw.close();
  }
}

const group = (name: string) => name as GroupId;

function joinRequest(groupId: string, memberId: string, protocolType: string, metadata: Buffer, rebalanceTimeoutMs = 10_000): ApiMessages[ApiKey.JoinGroup]['request'] {
  return {
    groupId: group(groupId),
    sessionTimeoutMs: 6_000,
    rebalanceTimeoutMs,
    memberId,
    groupInstanceId: null,
    protocolType,
    protocols: [{ name: 'range', metadata }],
    reason: null,
  };
}

/** KIP-394's two-step join: the first JoinGroup hands out a member id, the second joins with it. */
async function join(connection: Connection, groupId: string, protocolType: string, metadata: Buffer, rebalanceTimeoutMs?: number) {
  const first = await connection.call(ApiKey.JoinGroup, 5, joinRequest(groupId, '', protocolType, metadata, rebalanceTimeoutMs));
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) return first;
  return connection.call(ApiKey.JoinGroup, 5, joinRequest(groupId, first.memberId, protocolType, metadata, rebalanceTimeoutMs));
}

async function findCoordinator(connection: Connection, groupId: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const answer = await connection.call(ApiKey.FindCoordinator, 3, { key: groupId, keyType: 0, coordinatorKeys: [] });
    if (answer.errorCode === ErrorCode.NONE) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no coordinator');
}

test('huge protocol metadata: stored and handed to the leader up to the record size limit, refused beyond it', async () => {
  const connection = await Connection.open();
  await findCoordinator(connection, 'big-ok');
  const large = Buffer.alloc(300 * 1024, 7);
  const joined = await join(connection, 'big-ok', 'consumer', large);
  expect(joined.errorCode).toBe(ErrorCode.NONE);
  expect(joined.members.map((m) => m.metadata.length)).toEqual([large.length]);
  const synced = await connection.call(ApiKey.SyncGroup, 3, {
    groupId: group('big-ok'),
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from('a') }],
  });
  expect(synced.errorCode).toBe(ErrorCode.NONE);

  // 2 MiB of metadata makes a group record larger than __consumer_offsets' max.message.bytes (1 MiB): the
  // join succeeds, storing the assignment fails, and Kafka answers that with UNKNOWN_SERVER_ERROR.
  await findCoordinator(connection, 'big-too');
  const huge = Buffer.alloc(2 * 1024 * 1024, 9);
  const hugeJoin = await join(connection, 'big-too', 'consumer', huge);
  expect(hugeJoin.errorCode).toBe(ErrorCode.NONE);
  const hugeSync = await connection.call(ApiKey.SyncGroup, 3, {
    groupId: group('big-too'),
    generationId: hugeJoin.generationId,
    memberId: hugeJoin.memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [{ memberId: hugeJoin.memberId, assignment: Buffer.from('a') }],
  });
  expect(hugeSync.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
  // The broker goes on serving: the first group still heartbeats.
  expect((await connection.call(ApiKey.Heartbeat, 3, { groupId: group('big-ok'), generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null })).errorCode).toBe(ErrorCode.NONE);
  connection.close();
});

test('protocol types: any type starts a group, a different type or no protocols is INCONSISTENT_GROUP_PROTOCOL', async () => {
  const first = await Connection.open();
  const second = await Connection.open();
  await findCoordinator(first, 'typed');
  const joined = await join(first, 'typed', 'no-such-client-type', Buffer.from('x'));
  expect(joined.errorCode).toBe(ErrorCode.NONE);
  const other = await second.call(ApiKey.JoinGroup, 5, joinRequest('typed', '', 'consumer', Buffer.from('y')));
  expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const none = await second.call(ApiKey.JoinGroup, 5, { ...joinRequest('typed-empty', '', 'consumer', Buffer.alloc(0)), protocols: [] });
  expect(none.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const emptyType = await second.call(ApiKey.JoinGroup, 5, joinRequest('typed-empty', '', '', Buffer.alloc(0)));
  expect(emptyType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  first.close();
  second.close();
});

test('commits for topics that do not exist are UNKNOWN_TOPIC_OR_PARTITION and create no group', async () => {
  const connection = await Connection.open();
  await findCoordinator(connection, 'ghost-committer');
  const answer = await connection.call(ApiKey.OffsetCommit, 8, {
    groupId: group('ghost-committer'),
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: 'no-such-topic' as TopicName, partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
  });
  expect(answer.topics).toEqual([{ name: 'no-such-topic', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] }]);
  const listed = await connection.call(ApiKey.ListGroups, 4, { statesFilter: [], typesFilter: [] });
  expect(listed.groups.map((g) => g.groupId)).not.toContain('ghost-committer');
  connection.close();
});

test('a storm of joins, leaves and dropped connections from 50 members: answered promptly, consistent after', async () => {
  const seed = seedFromEnv();
  console.log(`join storm seed ${seed} (TRIBUTARY_SEED=${seed} replays it), ${STORM_MS} ms`);
  const random = new SeededRandom(seed);
  const GROUP = 'storm';
  const observer = await Connection.open();
  await findCoordinator(observer, GROUP);
  const stopAt = Date.now() + STORM_MS;
  const counts = { joins: 0, syncs: 0, heartbeats: 0, leaves: 0, drops: 0 };
  const allowed = new Set<number>([
    ErrorCode.NONE,
    ErrorCode.MEMBER_ID_REQUIRED,
    ErrorCode.REBALANCE_IN_PROGRESS,
    ErrorCode.UNKNOWN_MEMBER_ID,
    ErrorCode.ILLEGAL_GENERATION,
    ErrorCode.COORDINATOR_NOT_AVAILABLE, // Tributary's bound on pending members (README of the coordinator)
  ]);
  const unexpected: string[] = [];
  const note = (api: string, code: number) => {
    if (!allowed.has(code)) unexpected.push(`${api}: ${ErrorCode[code] ?? code}`);
  };

  async function member(index: number): Promise<void> {
    let connection = await Connection.open();
    let memberId = '';
    let generationId = -1;
    try {
      while (Date.now() < stopAt) {
        const joined = await connection.call(ApiKey.JoinGroup, 5, joinRequest(GROUP, memberId, 'consumer', Buffer.from(`m${index}`), 3_000), 20_000);
        counts.joins++;
        note('JoinGroup', joined.errorCode);
        if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
          memberId = joined.memberId;
          continue;
        }
        if (joined.errorCode !== ErrorCode.NONE) {
          if (joined.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) memberId = '';
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        generationId = joined.generationId;
        const assignments = joined.leader === memberId ? joined.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from('p') })) : [];
        const synced = await connection.call(ApiKey.SyncGroup, 3, { groupId: group(GROUP), generationId, memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments }, 20_000);
        counts.syncs++;
        note('SyncGroup', synced.errorCode);
        // Heartbeat a little while, until told to rejoin or until this member decides to go.
        for (let beats = Math.floor(random.next() * 5); beats > 0 && Date.now() < stopAt; beats--) {
          await new Promise((resolve) => setTimeout(resolve, 50 + random.next() * 200));
          const beat = await connection.call(ApiKey.Heartbeat, 3, { groupId: group(GROUP), generationId, memberId, groupInstanceId: null });
          counts.heartbeats++;
          note('Heartbeat', beat.errorCode);
          if (beat.errorCode !== ErrorCode.NONE) break;
        }
        const roll = random.next();
        if (roll < 0.3) {
          const left = await connection.call(ApiKey.LeaveGroup, 4, { groupId: group(GROUP), memberId: '', members: [{ memberId, groupInstanceId: null, reason: null }] });
          counts.leaves++;
          note('LeaveGroup', left.errorCode);
          memberId = '';
        } else if (roll < 0.4) {
          // Gone without a word: only its session timeout removes it.
          connection.close();
          connection = await Connection.open();
          counts.drops++;
          memberId = '';
        }
      }
      if (memberId !== '') {
        await connection.call(ApiKey.LeaveGroup, 4, { groupId: group(GROUP), memberId: '', members: [{ memberId, groupInstanceId: null, reason: null }] });
      }
    } finally {
      connection.close();
    }
  }

  // While the storm runs, the observer's DescribeGroups must keep coming back promptly.
  let slowestDescribeMs = 0;
  const observing = (async () => {
    while (Date.now() < stopAt) {
      const started = performance.now();
      const described = await observer.call(ApiKey.DescribeGroups, 5, { groups: [group(GROUP)], includeAuthorizedOperations: false }, 5_000);
      slowestDescribeMs = Math.max(slowestDescribeMs, performance.now() - started);
      expect(described.groups[0].errorCode).toBe(ErrorCode.NONE);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await Promise.all([observing, ...Array.from({ length: 50 }, (_, i) => member(i))]);
  console.log(`storm: ${JSON.stringify(counts)}, slowest DescribeGroups ${slowestDescribeMs.toFixed(0)} ms`);
  expect(unexpected).toEqual([]);
  expect(counts.syncs).toBeGreaterThan(50);
  expect(slowestDescribeMs).toBeLessThan(1_000);

  // Consistent after: once the dropped members' sessions (6 s) expire, the group is Empty with no members.
  const deadline = Date.now() + 30_000;
  let described = await observer.call(ApiKey.DescribeGroups, 5, { groups: [group(GROUP)], includeAuthorizedOperations: false });
  while (described.groups[0].groupState !== 'Empty' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    described = await observer.call(ApiKey.DescribeGroups, 5, { groups: [group(GROUP)], includeAuthorizedOperations: false });
  }
  expect(described.groups[0].groupState).toBe('Empty');
  expect(described.groups[0].members).toEqual([]);
  // And a newcomer still gets a working group.
  const newcomer = await join(observer, GROUP, 'consumer', Buffer.from('late'));
  expect(newcomer.errorCode).toBe(ErrorCode.NONE);
  expect(newcomer.members.map((m) => m.memberId)).toEqual([newcomer.memberId]);
  observer.close();
});
