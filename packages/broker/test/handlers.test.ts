import { ApiKey, ErrorCode, MetadataRequest, ZERO_UUID, asBrokerId, asTopicName, encodeRequestFrame, decodeResponseFrame } from '@tributary/protocol';
import { Harness, openHarness } from './harness';

const OMITTED = -2147483648;
const broker = { nodeId: asBrokerId(1), host: 'broker.example', port: 9092, rack: null };

let h: Harness;
afterEach(async () => h?.close());

const metadataRequest = (names: string[] | null, allowAutoTopicCreation = true): MetadataRequest => ({
  topics: names === null ? null : names.map((name) => ({ topicId: ZERO_UUID, name: asTopicName(name) })),
  allowAutoTopicCreation,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
});

const createTopic = (name: string, numPartitions = -1, extra: object = {}) => ({
  name: asTopicName(name),
  numPartitions,
  replicationFactor: -1,
  assignments: [],
  configs: [],
  ...extra,
});

describe('ApiVersions', () => {
  test.each([0, 1, 2, 3, 4])('v%i lists exactly the served keys and versions', async (version) => {
    h = await openHarness();
    const response = await h.call(ApiKey.ApiVersions, version, { clientSoftwareName: 'test', clientSoftwareVersion: '1.0' });
    expect(response).toEqual({
      errorCode: 0,
      apiKeys: [
        { apiKey: 0, minVersion: 0, maxVersion: 11 },
        { apiKey: 1, minVersion: 0, maxVersion: 17 },
        { apiKey: 2, minVersion: 0, maxVersion: 9 },
        { apiKey: 3, minVersion: 0, maxVersion: 12 },
        { apiKey: 8, minVersion: 0, maxVersion: 9 },
        { apiKey: 9, minVersion: 0, maxVersion: 9 },
        { apiKey: 10, minVersion: 0, maxVersion: 6 },
        { apiKey: 11, minVersion: 0, maxVersion: 9 },
        { apiKey: 12, minVersion: 0, maxVersion: 4 },
        { apiKey: 13, minVersion: 0, maxVersion: 5 },
        { apiKey: 14, minVersion: 0, maxVersion: 5 },
        { apiKey: 15, minVersion: 0, maxVersion: 5 },
        { apiKey: 16, minVersion: 0, maxVersion: 5 },
        { apiKey: 17, minVersion: 0, maxVersion: 1 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
        { apiKey: 19, minVersion: 0, maxVersion: 7 },
        { apiKey: 20, minVersion: 0, maxVersion: 6 },
        { apiKey: 21, minVersion: 0, maxVersion: 2 },
        { apiKey: 22, minVersion: 0, maxVersion: 5 },
        { apiKey: 23, minVersion: 0, maxVersion: 4 },
        { apiKey: 24, minVersion: 0, maxVersion: 5 },
        { apiKey: 25, minVersion: 0, maxVersion: 4 },
        { apiKey: 26, minVersion: 0, maxVersion: 4 },
        { apiKey: 27, minVersion: 0, maxVersion: 1 },
        { apiKey: 28, minVersion: 0, maxVersion: 4 },
        { apiKey: 32, minVersion: 0, maxVersion: 4 },
        { apiKey: 33, minVersion: 0, maxVersion: 2 },
        { apiKey: 35, minVersion: 0, maxVersion: 4 },
        { apiKey: 36, minVersion: 0, maxVersion: 2 },
        { apiKey: 37, minVersion: 0, maxVersion: 3 },
        { apiKey: 42, minVersion: 0, maxVersion: 2 },
        { apiKey: 44, minVersion: 0, maxVersion: 1 },
        { apiKey: 47, minVersion: 0, maxVersion: 0 },
        { apiKey: 60, minVersion: 0, maxVersion: 1 },
        { apiKey: 61, minVersion: 0, maxVersion: 0 },
        { apiKey: 65, minVersion: 0, maxVersion: 0 },
        { apiKey: 66, minVersion: 0, maxVersion: 1 },
      ],
      throttleTimeMs: 0,
      supportedFeatures: [],
      // As a ZooKeeper-mode Kafka 3.9 sends it (v3+); older versions lack the field and decode its default, -1.
      finalizedFeaturesEpoch: version >= 3 ? 0n : -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    });
  });

  test('a newer version than ours gets UNSUPPORTED_VERSION in a v0 response listing our ApiVersions range', async () => {
    h = await openHarness();
    // A v9 request: header v2 (flexible), then a body we cannot know; only the header is read.
    const frame = encodeRequestFrame(ApiKey.ApiVersions, 3, 7, 'future-client', { clientSoftwareName: 'x', clientSoftwareVersion: '1' }).subarray(4);
    frame.writeInt16BE(9, 2);
    const outcome = await h.raw(frame);
    expect(outcome.kind).toBe('respond');
    const bytes = Buffer.concat((outcome as { chunks: Buffer[] }).chunks).subarray(4);
    expect(decodeResponseFrame(ApiKey.ApiVersions, 0, bytes)).toEqual({
      correlationId: 7,
      response: {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
        zkMigrationReady: false,
      },
    });
  });

  test('v3+ with an invalid client software name is INVALID_REQUEST', async () => {
    h = await openHarness();
    const response = await h.call(ApiKey.ApiVersions, 3, { clientSoftwareName: 'bad name!', clientSoftwareVersion: '1' });
    expect(response.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(response.apiKeys).toEqual([]);
  });
});

describe('closing cases', () => {
  test('an unknown API key, an unserved API, an unserved version and a truncated body close the connection', async () => {
    h = await openHarness();
    const unknownKey = Buffer.from([0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
    expect(await h.raw(unknownKey)).toEqual({ kind: 'close', reason: 'unknown API key 999' });
    const describeTokens = encodeRequestFrame(ApiKey.DescribeDelegationToken, 0, 1, null, { owners: null }).subarray(4);
    expect(await h.raw(describeTokens)).toEqual({ kind: 'close', reason: 'DescribeDelegationToken is not served by this broker' });
    const metadataV13 = encodeRequestFrame(ApiKey.Metadata, 12, 1, null, metadataRequest(null)).subarray(4);
    metadataV13.writeInt16BE(13, 2);
    expect(await h.raw(metadataV13)).toEqual({ kind: 'close', reason: 'Metadata version 13 is not served (versions 0-12)' });
    const truncated = encodeRequestFrame(ApiKey.CreateTopics, 4, 1, null, { topics: [createTopic('t')], timeoutMs: 1000, validateOnly: false }).subarray(4);
    const outcome = await h.raw(truncated.subarray(0, truncated.length - 3));
    expect(outcome.kind).toBe('close');
    expect((outcome as { reason: string }).reason).toMatch(/^malformed CreateTopics v4 request/);
    expect(await h.raw(Buffer.from([0, 3]))).toEqual({ kind: 'close', reason: 'malformed request header: request of 2 bytes has no room for a header' });
    // Nothing was created by the truncated request.
    expect(h.metadata.topics()).toEqual([]);
  });
});

describe('Metadata', () => {
  test('v12: brokers, cluster id, controller, and a topic with id, partitions, leader epoch', async () => {
    h = await openHarness({ 'num.partitions': '2' });
    await h.call(ApiKey.CreateTopics, 7, { topics: [createTopic('orders')], timeoutMs: 5000, validateOnly: false });
    const orders = h.metadata.topic('orders')!;
    const response = await h.call(ApiKey.Metadata, 12, { ...metadataRequest(['orders']), includeTopicAuthorizedOperations: true });
    const partition = (partitionIndex: number) => ({
      errorCode: 0,
      partitionIndex,
      leaderId: 1,
      leaderEpoch: 0,
      replicaNodes: [1],
      isrNodes: [1],
      offlineReplicas: [],
    });
    expect(response).toEqual({
      throttleTimeMs: 0,
      brokers: [broker],
      clusterId: h.metadata.clusterId,
      controllerId: 1,
      topics: [{ errorCode: 0, name: 'orders', topicId: orders.topicId, isInternal: false, partitions: [partition(0), partition(1)], topicAuthorizedOperations: 3576 }],
      clusterAuthorizedOperations: OMITTED,
    });
  });

  test('v0: an empty list means all topics; v1+: null means all and empty means none', async () => {
    h = await openHarness();
    await h.call(ApiKey.CreateTopics, 2, { topics: [createTopic('a'), createTopic('b')], timeoutMs: 5000, validateOnly: false });
    expect((await h.call(ApiKey.Metadata, 0, metadataRequest([]))).topics.map((t) => t.name)).toEqual(['a', 'b']);
    expect((await h.call(ApiKey.Metadata, 1, metadataRequest(null))).topics.map((t) => t.name)).toEqual(['a', 'b']);
    expect((await h.call(ApiKey.Metadata, 1, metadataRequest([]))).topics).toEqual([]);
    const v0 = await h.call(ApiKey.Metadata, 0, metadataRequest(['a']));
    expect(v0.brokers).toEqual([{ ...broker, rack: null }]);
    expect(v0.topics[0].partitions[0]).toEqual({ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: -1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] });
  });

  test('auto-creation: LEADER_NOT_AVAILABLE the first time, the topic the next; invalid names and disabled creation', async () => {
    h = await openHarness({ 'num.partitions': '3' });
    const first = await h.call(ApiKey.Metadata, 9, metadataRequest(['fresh', 'bad name']));
    expect(first.topics).toEqual([
      { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, name: 'fresh', topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: OMITTED },
      { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name: 'bad name', topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: OMITTED },
    ]);
    const second = await h.call(ApiKey.Metadata, 9, metadataRequest(['fresh']));
    expect(second.topics[0].errorCode).toBe(0);
    expect(second.topics[0].partitions).toHaveLength(3);

    const refused = await h.call(ApiKey.Metadata, 9, metadataRequest(['other'], false));
    expect(refused.topics).toEqual([
      { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: 'other', topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: OMITTED },
    ]);
    expect(h.metadata.topic('other')).toBeUndefined();
  });

  test('the broker switch auto.create.topics.enable=false wins over the request', async () => {
    h = await openHarness({ 'auto.create.topics.enable': 'false' });
    const response = await h.call(ApiKey.Metadata, 4, metadataRequest(['x'], true));
    expect(response.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(h.metadata.topics()).toEqual([]);
  });

  test('v12 by topic id: known ids are described, unknown ones are UNKNOWN_TOPIC_ID; v10 with an id is INVALID_REQUEST', async () => {
    h = await openHarness();
    await h.call(ApiKey.CreateTopics, 7, { topics: [createTopic('t')], timeoutMs: 5000, validateOnly: false });
    const id = h.metadata.topic('t')!.topicId;
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAQ' as typeof id;
    const request: MetadataRequest = { ...metadataRequest([]), topics: [{ topicId: id, name: null }, { topicId: unknown, name: null }] };
    const response = await h.call(ApiKey.Metadata, 12, request);
    expect(response.topics.map(({ errorCode, name, topicId }) => ({ errorCode, name, topicId }))).toEqual([
      { errorCode: 0, name: 't', topicId: id },
      { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: unknown },
    ]);
    const v10 = await h.call(ApiKey.Metadata, 10, { ...metadataRequest([]), topics: [{ topicId: id, name: asTopicName('t') }] });
    expect(v10.topics.map((t) => t.errorCode)).toEqual([ErrorCode.INVALID_REQUEST]);
  });

  test('v8-10 cluster authorized operations when asked', async () => {
    h = await openHarness();
    const response = await h.call(ApiKey.Metadata, 8, { ...metadataRequest(null), includeClusterAuthorizedOperations: true });
    expect(response.clusterAuthorizedOperations).toBe(8096);
  });
});

describe('CreateTopics', () => {
  test('v7: partitions, replication factor, every config with its source, and the topic id', async () => {
    h = await openHarness({ 'log.retention.hours': '1' });
    const response = await h.call(ApiKey.CreateTopics, 7, {
      topics: [createTopic('t', 4, { configs: [{ name: 'cleanup.policy', value: 'compact' }] })],
      timeoutMs: 5000,
      validateOnly: false,
    });
    const [result] = response.topics;
    expect({ ...result, configs: undefined }).toEqual({
      name: 't',
      topicId: h.metadata.topic('t')!.topicId,
      errorCode: 0,
      errorMessage: null,
      topicConfigErrorCode: 0,
      numPartitions: 4,
      replicationFactor: 1,
      configs: undefined,
    });
    const configs = new Map(result.configs!.map((config) => [config.name, config]));
    expect(configs.get('cleanup.policy')).toEqual({ name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: 1, isSensitive: false });
    // From log.retention.hours: converted, but reported as the default, as Kafka does for a secondary key.
    expect(configs.get('retention.ms')).toEqual({ name: 'retention.ms', value: '3600000', readOnly: false, configSource: 5, isSensitive: false });
    expect(configs.get('max.message.bytes')).toEqual({ name: 'max.message.bytes', value: '1048588', readOnly: false, configSource: 5, isSensitive: false });
    expect(configs.get('segment.bytes')).toEqual({ name: 'segment.bytes', value: '1073741824', readOnly: false, configSource: 5, isSensitive: false });
  });

  test('per-topic errors with messages; duplicates are INVALID_REQUEST; validateOnly creates nothing', async () => {
    h = await openHarness();
    await h.call(ApiKey.CreateTopics, 4, { topics: [createTopic('exists')], timeoutMs: 5000, validateOnly: false });
    const response = await h.call(ApiKey.CreateTopics, 4, {
      topics: [createTopic('exists'), createTopic('dup'), createTopic('dup'), createTopic('bad/name'), createTopic('rf', -1, { replicationFactor: 2 }), createTopic('check', 2)],
      timeoutMs: 5000,
      validateOnly: true,
    });
    expect(response.topics.map(({ name, errorCode, errorMessage }) => ({ name, errorCode, errorMessage }))).toEqual([
      { name: 'exists', errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: "Topic 'exists' already exists." },
      // Every entry of a name given twice is answered, as Kafka does.
      { name: 'dup', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Found multiple entries for this topic.' },
      { name: 'dup', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Found multiple entries for this topic.' },
      { name: 'bad/name', errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: "Topic name is invalid: 'bad/name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'" },
      { name: 'rf', errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: 'Replication factor: 2 larger than available brokers: 1.' },
      { name: 'check', errorCode: 0, errorMessage: null },
    ]);
    expect(h.metadata.topics().map((t) => t.name)).toEqual(['exists']);
  });

  test('v0 answers only name and error code; timeout 0 creates but answers REQUEST_TIMED_OUT, as Kafka', async () => {
    h = await openHarness();
    const response = await h.call(ApiKey.CreateTopics, 0, { topics: [createTopic('t')], timeoutMs: 0, validateOnly: false });
    // v0 carries only the name and error code: the other fields decode to their defaults.
    expect(response.topics.map(({ name, errorCode }) => ({ name, errorCode }))).toEqual([{ name: 't', errorCode: ErrorCode.REQUEST_TIMED_OUT }]);
    expect(h.metadata.topic('t')).toBeDefined();
  });
});

describe('DeleteTopics and CreatePartitions', () => {
  test('delete by name (v5) and by id (v6), with unknown names and ids', async () => {
    h = await openHarness();
    await h.call(ApiKey.CreateTopics, 7, { topics: [createTopic('a'), createTopic('b')], timeoutMs: 5000, validateOnly: false });
    const b = h.metadata.topic('b')!;
    expect(await h.call(ApiKey.DeleteTopics, 5, { topics: [], topicNames: [asTopicName('a'), asTopicName('nope')], timeoutMs: 5000 })).toEqual({
      throttleTimeMs: 0,
      responses: [
        { name: 'a', topicId: ZERO_UUID, errorCode: 0, errorMessage: null },
        { name: 'nope', topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null },
      ],
    });
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAQ' as typeof b.topicId;
    expect(
      await h.call(ApiKey.DeleteTopics, 6, {
        topics: [
          { name: null, topicId: b.topicId },
          { name: null, topicId: unknown },
        ],
        topicNames: [],
        timeoutMs: 5000,
      }),
    ).toEqual({
      throttleTimeMs: 0,
      responses: [
        { name: 'b', topicId: b.topicId, errorCode: 0, errorMessage: null },
        { name: null, topicId: unknown, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: null },
      ],
    });
    expect(h.metadata.topics()).toEqual([]);
  });

  test('delete.topic.enable=false refuses every deletion', async () => {
    h = await openHarness({ 'delete.topic.enable': 'false' });
    await h.call(ApiKey.CreateTopics, 7, { topics: [createTopic('a')], timeoutMs: 5000, validateOnly: false });
    const response = await h.call(ApiKey.DeleteTopics, 4, { topics: [], topicNames: [asTopicName('a')], timeoutMs: 5000 });
    expect(response.responses).toEqual([{ name: 'a', topicId: ZERO_UUID, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: null }]);
    expect(h.metadata.topic('a')).toBeDefined();
  });

  test('create partitions: grows, validates, refuses shrinking and duplicates', async () => {
    h = await openHarness();
    await h.call(ApiKey.CreateTopics, 7, { topics: [createTopic('t', 2)], timeoutMs: 5000, validateOnly: false });
    const response = await h.call(ApiKey.CreatePartitions, 3, {
      topics: [
        { name: asTopicName('t'), count: 4, assignments: null },
        { name: asTopicName('missing'), count: 4, assignments: null },
        { name: asTopicName('d'), count: 2, assignments: null },
        { name: asTopicName('d'), count: 3, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    });
    expect(response).toEqual({
      throttleTimeMs: 0,
      results: [
        { name: 't', errorCode: 0, errorMessage: null },
        { name: 'missing', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "The topic 'missing' does not exist." },
        { name: 'd', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic in request.' },
      ],
    });
    expect(h.metadata.topic('t')!.partitions).toHaveLength(4);
    const shrink = await h.call(ApiKey.CreatePartitions, 0, { topics: [{ name: asTopicName('t'), count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false });
    expect(shrink.results[0]).toEqual({ name: 't', errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic currently has 4 partitions, which is higher than the requested 3.' });
  });
});

describe('DescribeCluster', () => {
  test('v1 brokers; the controllers endpoint type is MISMATCHED_ENDPOINT_TYPE, an unknown one UNSUPPORTED', async () => {
    h = await openHarness();
    expect(await h.call(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 })).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId: h.metadata.clusterId,
      controllerId: 1,
      brokers: [{ brokerId: 1, host: 'broker.example', port: 9092, rack: null }],
      clusterAuthorizedOperations: 8096,
    });
    const controllers = await h.call(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    expect(controllers).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE,
      errorMessage: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER',
      endpointType: 1,
      clusterId: '',
      controllerId: -1,
      brokers: [],
      clusterAuthorizedOperations: -2147483648,
    });
    const unknownType = await h.call(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 7 });
    expect(unknownType.errorCode).toBe(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
  });
});

describe('a handler that fails unexpectedly', () => {
  test("answers UNKNOWN_SERVER_ERROR on every item, as Kafka's getErrorResponse does, instead of closing", async () => {
    h = await openHarness();
    const fail = () => Promise.reject(new Error('disk on fire'));
    Object.assign(h.metadata, { createTopic: fail, deleteTopic: fail });
    const created = await h.call(ApiKey.CreateTopics, 7, { topics: [createTopic('a'), createTopic('b')], timeoutMs: 5000, validateOnly: false });
    expect(created.topics.map(({ name, errorCode, errorMessage }) => ({ name, errorCode, errorMessage }))).toEqual([
      { name: 'a', errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'disk on fire' },
      { name: 'b', errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'disk on fire' },
    ]);
    const deleted = await h.call(ApiKey.DeleteTopics, 6, { topics: [{ name: asTopicName('a'), topicId: ZERO_UUID }], topicNames: [], timeoutMs: 5000 });
    expect(deleted.responses).toEqual([{ name: 'a', topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'disk on fire' }]);
  });
});

describe('SASL on a listener without SASL', () => {
  test('SaslHandshake and SaslAuthenticate answer ILLEGAL_SASL_STATE, as Kafka does', async () => {
    h = await openHarness();
    expect(await h.call(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
    expect(await h.call(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('x') })).toEqual({
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0n,
    });
  });
});
