// The broker's path for every version Kafka 3.9 serves: encode a request with the generated codec at version v,
// decode it (so fields absent in v take their defaults), hand it to the coordinator with apiVersion v, and
// encode the answer at v. A response shape a version cannot carry fails here, not in a client.
import { API_DESCRIPTORS, ApiKey, ErrorCode, Reader, Writer, asGroupId, asTopicName } from '@tributary/protocol';
import { CoordinatorType, findCoordinator } from '../src';
import { GROUP, Harness, flush, subscription } from './harness';

/** Encodes `message` at `version` with the API's generated codec and decodes it back. */
function roundTrip<K extends ApiKey>(apiKey: K, side: 'request' | 'response', version: number, message: unknown): any {
  const descriptor = API_DESCRIPTORS[apiKey] as any;
  const w = new Writer();
  descriptor[side === 'request' ? 'encodeRequest' : 'encodeResponse'](w, version, message);
  const r = new Reader(w.toBuffer());
  const decoded = descriptor[side === 'request' ? 'decodeRequest' : 'decodeResponse'](r, version);
  expect(r.remaining).toBe(0);
  return decoded;
}

const versions = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('every served version: request decoded at v, coordinator answer encodable at v', () => {
  it.each(versions(0, 9))('JoinGroup v%i, SyncGroup, Heartbeat and LeaveGroup through a full rebalance', async (joinVersion) => {
    const h = new Harness();
    await h.loadAll();
    const syncVersion = Math.min(joinVersion, 5);
    const heartbeatVersion = Math.min(joinVersion, 4);
    const leaveVersion = Math.min(joinVersion, 5);
    const ctx = { apiVersion: joinVersion, clientId: 'c', clientHost: '/h' };
    const joinRequest = (memberId: string) =>
      roundTrip(ApiKey.JoinGroup, 'request', joinVersion, {
        groupId: asGroupId(GROUP),
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 30_000,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: subscription(['t']) }],
        reason: null,
      });
    let pending = h.coordinator.joinGroup(joinRequest(''), ctx);
    if (joinVersion >= 4) {
      // KIP-394: v4+ first get a member id, then join with it.
      const required = await pending;
      roundTrip(ApiKey.JoinGroup, 'response', joinVersion, required);
      expect(required.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
      pending = h.coordinator.joinGroup(joinRequest(required.memberId), ctx);
    }
    h.scheduler.advance(3_000);
    const first = await pending;
    const joined = roundTrip(ApiKey.JoinGroup, 'response', joinVersion, first);
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, protocolName: 'range' });
    expect(joined.members).toHaveLength(1);

    const syncRequest = roundTrip(ApiKey.SyncGroup, 'request', syncVersion, {
      groupId: asGroupId(GROUP),
      generationId: 1,
      memberId: first.memberId,
      groupInstanceId: null,
      protocolType: syncVersion >= 5 ? 'consumer' : null,
      protocolName: syncVersion >= 5 ? 'range' : null,
      assignments: [{ memberId: first.memberId, assignment: Buffer.from('a') }],
    });
    const synced = roundTrip(ApiKey.SyncGroup, 'response', syncVersion, await h.coordinator.syncGroup(syncRequest, { apiVersion: syncVersion }));
    expect(synced).toMatchObject({ errorCode: 0, assignment: Buffer.from('a') });

    const heartbeat = roundTrip(ApiKey.Heartbeat, 'request', heartbeatVersion, { groupId: asGroupId(GROUP), generationId: 1, memberId: first.memberId, groupInstanceId: null });
    expect(roundTrip(ApiKey.Heartbeat, 'response', heartbeatVersion, h.coordinator.heartbeat(heartbeat, { apiVersion: heartbeatVersion })).errorCode).toBe(0);

    const leave = roundTrip(ApiKey.LeaveGroup, 'request', leaveVersion, {
      groupId: asGroupId(GROUP),
      memberId: leaveVersion < 3 ? first.memberId : '',
      members: leaveVersion >= 3 ? [{ memberId: first.memberId, groupInstanceId: null, reason: null }] : [],
    });
    const left = roundTrip(ApiKey.LeaveGroup, 'response', leaveVersion, h.coordinator.leaveGroup(leave, { apiVersion: leaveVersion }));
    expect(left.errorCode).toBe(0);
    if (leaveVersion >= 3) expect(left.members).toEqual([{ memberId: first.memberId, groupInstanceId: null, errorCode: 0 }]);
    await flush();
    expect(h.state()).toBe('Empty');
    // An error answer is encodable too (v0-v6 have a non-nullable protocol name).
    roundTrip(ApiKey.JoinGroup, 'response', joinVersion, await h.coordinator.joinGroup(joinRequest('unknown-member'), ctx));
  });

  it.each(versions(0, 9))('OffsetCommit and OffsetFetch v%i', async (version) => {
    const h = new Harness();
    await h.loadAll();
    const commit = roundTrip(ApiKey.OffsetCommit, 'request', version, {
      groupId: asGroupId(GROUP),
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: version >= 2 && version <= 4 ? 3_600_000n : -1n,
      topics: [{ name: asTopicName('t'), partitions: [{ partitionIndex: 0, committedOffset: 17n, committedLeaderEpoch: version >= 6 ? 3 : -1, commitTimestamp: version === 1 ? 1_234n : -1n, committedMetadata: 'm' }] }],
    });
    const committed = roundTrip(ApiKey.OffsetCommit, 'response', version, await h.coordinator.commitOffsets(commit, { apiVersion: version }));
    expect(committed.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, errorCode: 0 });
    const stored = h.coordinator.group(GROUP)!.offset('t', 0)!;
    expect(stored.commitTimestampMs).toBe(version === 1 ? 1_234 : h.scheduler.nowMs());
    expect(stored.expireTimestampMs).toBe(version >= 2 && version <= 4 ? h.scheduler.nowMs() + 3_600_000 : null);

    const fetchRequest =
      version >= 8
        ? { groupId: asGroupId(''), topics: [], requireStable: false, groups: [{ groupId: asGroupId(GROUP), memberId: null, memberEpoch: -1, topics: [{ name: asTopicName('t'), partitionIndexes: [0, 1] }] }] }
        : { groupId: asGroupId(GROUP), topics: [{ name: asTopicName('t'), partitionIndexes: [0, 1] }], requireStable: version >= 7, groups: [] };
    const fetch = roundTrip(ApiKey.OffsetFetch, 'request', version, fetchRequest);
    const fetched = roundTrip(ApiKey.OffsetFetch, 'response', version, h.coordinator.fetchOffsets(fetch, { apiVersion: version }));
    const partitions = version >= 8 ? fetched.groups[0].topics[0].partitions : fetched.topics[0].partitions;
    expect(partitions.map((p: { committedOffset: bigint }) => p.committedOffset)).toEqual([17n, -1n]);
    expect(partitions[0].committedLeaderEpoch).toBe(version >= 6 && !(version >= 2 && version <= 4) ? 3 : -1);
  });

  it.each(versions(0, 5))('DescribeGroups and ListGroups v%i', async (version) => {
    const h = new Harness();
    await h.loadAll();
    await h.stableGroup(1);
    const describe = roundTrip(ApiKey.DescribeGroups, 'request', version, { groups: [asGroupId(GROUP), asGroupId('none')], includeAuthorizedOperations: false });
    const described = roundTrip(ApiKey.DescribeGroups, 'response', version, h.coordinator.describeGroups(describe));
    expect(described.groups.map((g: { groupState: string }) => g.groupState)).toEqual(['Stable', 'Dead']);
    const list = roundTrip(ApiKey.ListGroups, 'request', version, { statesFilter: version >= 4 ? ['Stable'] : [], typesFilter: version >= 5 ? ['classic'] : [] });
    const listed = roundTrip(ApiKey.ListGroups, 'response', version, h.coordinator.listGroups(list));
    expect(listed.groups.map((g: { groupId: string }) => g.groupId)).toEqual([GROUP]);
  });

  it.each(versions(0, 2))('DeleteGroups v%i and OffsetDelete v0', async (version) => {
    const h = new Harness();
    await h.loadAll();
    await h.commit([{ topic: 't', partition: 0, offset: 1n }, { topic: 't', partition: 1, offset: 1n }]);
    const offsetDelete = roundTrip(ApiKey.OffsetDelete, 'request', 0, { groupId: asGroupId(GROUP), topics: [{ name: asTopicName('t'), partitions: [{ partitionIndex: 0 }] }] });
    expect(roundTrip(ApiKey.OffsetDelete, 'response', 0, await h.coordinator.deleteOffsets(offsetDelete)).topics[0].partitions[0].errorCode).toBe(0);
    const deleteGroups = roundTrip(ApiKey.DeleteGroups, 'request', version, { groupsNames: [asGroupId(GROUP), asGroupId('none')] });
    const deleted = roundTrip(ApiKey.DeleteGroups, 'response', version, await h.coordinator.deleteGroups(deleteGroups));
    expect(deleted.results.map((r: { errorCode: number }) => r.errorCode)).toEqual([0, ErrorCode.GROUP_ID_NOT_FOUND]);
  });
});

describe('FindCoordinator', () => {
  const locator = {
    groupPartitions: 50,
    transactionPartitions: 50,
    leaderOf: (type: CoordinatorType.Group | CoordinatorType.Transaction, partition: number) =>
      partition === 12 || type === CoordinatorType.Transaction ? { nodeId: partition, host: `broker-${type}`, port: 9092 } : null,
  };

  it.each(versions(0, 3))('v%i answers one key at the top level', (version) => {
    const request = roundTrip(ApiKey.FindCoordinator, 'request', version, { key: 'my-group', keyType: 0, coordinatorKeys: [] });
    const response = roundTrip(ApiKey.FindCoordinator, 'response', version, findCoordinator(request, version, locator));
    expect(response).toMatchObject({ errorCode: 0, nodeId: 12, host: 'broker-0', port: 9092 });
    if (version >= 1) expect(response.errorMessage).toBe('NONE');
    const missing = findCoordinator({ key: 'test-group-x', keyType: 0, coordinatorKeys: [] }, version, locator);
    expect(missing).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1, host: '', port: -1 });
    roundTrip(ApiKey.FindCoordinator, 'response', version, missing);
  });

  it.each(versions(4, 5))('v%i answers a batch of keys, each with its own error', (version) => {
    const request = roundTrip(ApiKey.FindCoordinator, 'request', version, { key: '', keyType: 0, coordinatorKeys: ['my-group', 'test-group', 'console-consumer-12345'] });
    const response = roundTrip(ApiKey.FindCoordinator, 'response', version, findCoordinator(request, version, locator));
    expect(response.coordinators.map((c: { key: string; nodeId: number; errorCode: number }) => [c.key, c.nodeId, c.errorCode])).toEqual([
      ['my-group', 12, 0],
      ['test-group', 12, 0],
      ['console-consumer-12345', -1, ErrorCode.COORDINATOR_NOT_AVAILABLE],
    ]);
    const txn = findCoordinator({ key: '', keyType: 1, coordinatorKeys: ['my-txn-id'] }, version, locator);
    expect(txn.coordinators[0]).toMatchObject({ nodeId: 11, host: 'broker-1', errorCode: 0 });
    expect(roundTrip(ApiKey.FindCoordinator, 'response', version, findCoordinator({ key: '', keyType: 7, coordinatorKeys: ['x'] }, version, locator)).coordinators[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(findCoordinator({ key: '', keyType: 2, coordinatorKeys: ['x'] }, version, locator).coordinators[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('v1-v3 refuse an unknown key type at the top level; v0 always means a group key', () => {
    for (const version of [1, 2, 3]) {
      const response = roundTrip(ApiKey.FindCoordinator, 'response', version, findCoordinator({ key: 'k', keyType: 9, coordinatorKeys: [] }, version, locator));
      expect(response).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1 });
    }
    expect(findCoordinator({ key: 'my-txn-id', keyType: 1, coordinatorKeys: [] }, 0, locator)).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
  });
});
