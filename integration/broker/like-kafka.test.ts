/**
 * Side by side: the same request bytes sent to Tributary and to a real Kafka 3.9 broker in ZooKeeper mode, and
 * the decoded answers compared whole, after replacing what must differ (topic ids, the cluster id, ports) by
 * placeholders. Where Tributary deliberately differs, the test says so next to the case.
 */
import { ApiKey, ApiMessages, CompressionType, TimestampType, ZERO_UUID, asBrokerId, asGroupId, asTopicName, buildLegacyMessageSet, buildRecordBatch, decodeResponseFrame, encodeRequestFrame } from '@tributary/protocol';
import { describeWithPeers } from '../helpers/peers';
import { useTempDirs } from '../helpers/tmp';
import { RawClient } from './raw-client';
import { TributaryProcess } from './tributary-process';
import { ZkKafka, startZkKafka } from './zk-kafka';

const SETTINGS = { 'broker.id': '1', 'num.partitions': '2', 'log.retention.hours': '72' };

describeWithPeers(['kafka-tools', 'zookeeper'], 'answers like Kafka 3.9 in ZooKeeper mode', () => {
  const tempDir = useTempDirs('like-kafka');
  let kafka: ZkKafka;
  let tributary: TributaryProcess;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    [kafka, tributary] = await Promise.all([
      startZkKafka(SETTINGS),
      TributaryProcess.start(tempDir(), Object.entries(SETTINGS).map(([key, value]) => `${key}=${value}`)),
    ]);
    clients.push(await RawClient.connect(kafka.host, kafka.port), await RawClient.connect(tributary.host, tributary.port));
    // A ZooKeeper-mode broker answers admin requests only once it knows the controller.
    for (let attempt = 0; ; attempt++) {
      const [answer] = await both(ApiKey.Metadata, 12, metadataRequest(null));
      if ((answer as { controllerId: number }).controllerId !== -1) break;
      if (attempt > 100) throw new Error('Kafka has no controller');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all([kafka?.stop(), tributary?.stop()]);
  }, 60_000);

  let correlationId = 0;

  /** Sends one request to each broker and returns both answers, normalized, Kafka's first. */
  async function both<K extends ApiKey>(apiKey: K, version: number, request: ApiMessages[K]['request']): Promise<[unknown, unknown]> {
    const id = ++correlationId;
    const frame = encodeRequestFrame(apiKey, version, id, 'like-kafka', request);
    const answers = await Promise.all(
      clients.map(async (client) => {
        const before = client.frames.length;
        client.send(frame);
        await client.until(() => client.frames.length > before || client.closed, 'an answer');
        if (client.closed) return 'closed';
        const { correlationId: answered, response } = decodeResponseFrame(apiKey, version, client.frames[before]);
        expect(answered).toBe(id);
        return normalize(response);
      }),
    );
    return [answers[0], answers[1]];
  }

  async function expectSame<K extends ApiKey>(apiKey: K, version: number, request: ApiMessages[K]['request']): Promise<unknown> {
    const [fromKafka, fromTributary] = await both(apiKey, version, request);
    expect(fromTributary).toEqual(fromKafka);
    return fromKafka;
  }

  const topic = (name: string, numPartitions = -1, extra: object = {}) => ({ name: asTopicName(name), numPartitions, replicationFactor: -1, assignments: [], configs: [], ...extra });

  test('ApiVersions v3: features, and the same version ranges for every API Tributary serves', async () => {
    const [fromKafka, fromTributary] = (await both(ApiKey.ApiVersions, 3, { clientSoftwareName: 'like-kafka', clientSoftwareVersion: '1' })) as ApiMessages[ApiKey.ApiVersions]['response'][];
    const served = new Set(fromTributary.apiKeys.map((api) => api.apiKey));
    expect(fromTributary).toEqual({ ...fromKafka, apiKeys: fromKafka.apiKeys.filter((api) => served.has(api.apiKey)) });
    const tooNew = encodeRequestFrame(ApiKey.ApiVersions, 3, 999, 'like-kafka', { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    tooNew.writeInt16BE(99, 6);
    const answers = await Promise.all(
      clients.map(async (client) => {
        const before = client.frames.length;
        client.send(tooNew);
        await client.until(() => client.frames.length > before, 'an answer');
        return decodeResponseFrame(ApiKey.ApiVersions, 0, client.frames[before]);
      }),
    );
    expect(answers[1]).toEqual(answers[0]);
  });

  test('CreateTopics v7: successes with every config and its source, and each error with its message', async () => {
    await expectSame(ApiKey.CreateTopics, 7, {
      topics: [topic('orders', 3, { configs: [{ name: 'cleanup.policy', value: 'compact' }] }), topic('events')],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    await expectSame(ApiKey.CreateTopics, 7, {
      topics: [
        topic(''),
        topic('.'),
        topic('..'),
        topic('x'.repeat(250)),
        topic('a b'),
        topic('orders'),
        topic('orders_x'),
        topic('cfg1', 1, { configs: [{ name: 'retention.mss', value: '1' }] }),
        topic('cfg2', 1, { configs: [{ name: 'segment.bytes', value: '1' }] }),
        topic('cfg3', 1, { configs: [{ name: 'retention.ms', value: 'abc' }] }),
        topic('cfg4', 1, { configs: [{ name: 'retention.ms', value: null }] }),
        topic('np0', 0),
        topic('rf3', 1, { replicationFactor: 3 }),
        topic('both', 1, { assignments: [{ partitionIndex: 0, brokerIds: [asBrokerId(1)] }] }),
        topic('gap', -1, { assignments: [{ partitionIndex: 1, brokerIds: [asBrokerId(1)] }] }),
        topic('dupreplica', -1, { assignments: [{ partitionIndex: 0, brokerIds: [asBrokerId(1), asBrokerId(1)] }] }),
        topic('dry', 5),
      ],
      timeoutMs: 10_000,
      validateOnly: true,
    });
  });

  test('Metadata v12 and v1 for all topics, named topics, unknown topics, and auto-creation', async () => {
    await expectSame(ApiKey.Metadata, 12, { ...metadataRequest(['orders', 'events', 'missing', 'bad name']), includeTopicAuthorizedOperations: true });
    await expectSame(ApiKey.Metadata, 1, { ...metadataRequest(null), allowAutoTopicCreation: true });
    // Both create 'auto' and answer LEADER_NOT_AVAILABLE; then both describe it.
    await expectSame(ApiKey.Metadata, 9, { ...metadataRequest(['auto']), allowAutoTopicCreation: true });
    await waitUntilKafkaHasLeader('auto');
    await expectSame(ApiKey.Metadata, 9, metadataRequest(['auto']));
  });

  test('DescribeCluster v1, both endpoint types', async () => {
    await expectSame(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    await expectSame(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
  });

  test('DescribeConfigs v4 and v0: topic configs with synonyms, unknown topics, broker configs', async () => {
    await expectSame(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: 2, resourceName: 'orders', configurationKeys: null },
        { resourceType: 2, resourceName: 'missing', configurationKeys: null },
        { resourceType: 4, resourceName: '', configurationKeys: null },
        { resourceType: 4, resourceName: '7', configurationKeys: null },
        { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions', 'broker.id', 'log.retention.ms', 'log.retention.hours', 'message.max.bytes', 'ssl.keystore.password'] },
      ],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    await expectSame(ApiKey.DescribeConfigs, 0, {
      resources: [{ resourceType: 2, resourceName: 'events', configurationKeys: ['retention.ms', 'segment.bytes', 'cleanup.policy'] }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
  });

  test('IncrementalAlterConfigs and AlterConfigs on topics, then DescribeConfigs sees the same', async () => {
    await expectSame(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [
        { resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }, { name: 'cleanup.policy', configOperation: 2, value: 'delete' }] },
        { resourceType: 2, resourceName: 'events', configs: [{ name: 'retention.ms', configOperation: 2, value: '5' }] },
        { resourceType: 2, resourceName: 'missing', configs: [{ name: 'retention.ms', configOperation: 0, value: '5' }] },
      ],
      validateOnly: false,
    });
    await expectSame(ApiKey.AlterConfigs, 2, {
      resources: [{ resourceType: 2, resourceName: 'events', configs: [{ name: 'segment.ms', value: '60000' }] }],
      validateOnly: false,
    });
    await expectSame(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms', 'cleanup.policy'] },
        { resourceType: 2, resourceName: 'events', configurationKeys: ['segment.ms', 'retention.ms'] },
      ],
      includeSynonyms: true,
      includeDocumentation: false,
    });
  });

  test('CreatePartitions v3 and DeleteTopics v6', async () => {
    await expectSame(ApiKey.CreatePartitions, 3, {
      topics: [
        { name: asTopicName('orders'), count: 5, assignments: null },
        { name: asTopicName('events'), count: 1, assignments: null },
        { name: asTopicName('missing'), count: 3, assignments: null },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    await expectSame(ApiKey.DeleteTopics, 6, {
      topics: [
        { name: asTopicName('events'), topicId: ZERO_UUID },
        { name: asTopicName('missing'), topicId: ZERO_UUID },
      ],
      topicNames: [],
      timeoutMs: 10_000,
    });
  });

  test('dynamic broker configs: the same refusals, the same acceptances, then the same DescribeConfigs', async () => {
    const alter = (resourceName: string, configs: { name: string; configOperation: number; value: string | null }[]) =>
      expectSame(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 4, resourceName, configs }], validateOnly: false });
    await alter('1', [{ name: 'num.partitions', configOperation: 0, value: '3' }]);
    await alter('1', [{ name: 'log.retention.hours', configOperation: 0, value: '5' }]);
    await alter('1', [{ name: 'log.retention.ms', configOperation: 0, value: 'abc' }]);
    await alter('7', [{ name: 'log.retention.ms', configOperation: 0, value: '1' }]);
    await alter('', [{ name: 'log.retention.ms', configOperation: 0, value: '200000' }]);
    await alter('1', [{ name: 'message.max.bytes', configOperation: 0, value: '3000000' }]);
    const describe = {
      resources: [
        { resourceType: 4, resourceName: '1', configurationKeys: ['log.retention.ms', 'log.retention.hours', 'message.max.bytes', 'num.partitions'] },
        { resourceType: 4, resourceName: '', configurationKeys: null },
        { resourceType: 2, resourceName: 'auto', configurationKeys: ['retention.ms', 'max.message.bytes', 'segment.ms'] },
      ],
      includeSynonyms: true,
      includeDocumentation: false,
    };
    // Kafka applies dynamic configs when ZooKeeper notifies it, a moment after it acknowledged them.
    for (let attempt = 0; ; attempt++) {
      const [fromKafka, fromTributary] = await both(ApiKey.DescribeConfigs, 4, describe);
      if (JSON.stringify(fromKafka) === JSON.stringify(fromTributary)) break;
      if (attempt === 50) expect(fromTributary).toEqual(fromKafka);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }, 60_000);

  test('every version of every API Tributary serves answers the same', async () => {
    // Requests that change nothing (or fail the same way on both), shaped for each version: a field a version
    // lacks must hold its default there.
    for (let version = 0; version <= 4; version++) {
      const request = { clientSoftwareName: version >= 3 ? 'like-kafka' : '', clientSoftwareVersion: version >= 3 ? '1' : '' };
      const [fromKafka, fromTributary] = (await both(ApiKey.ApiVersions, version, request)) as ApiMessages[ApiKey.ApiVersions]['response'][];
      // Kafka serves more APIs; those Tributary serves must have the same ranges.
      const served = new Set(fromTributary.apiKeys.map((api) => api.apiKey));
      expect(fromTributary).toEqual({ ...fromKafka, apiKeys: fromKafka.apiKeys.filter((api) => served.has(api.apiKey)) });
    }
    // Runs alone too: 'orders' is made here if an earlier test has not made it.
    await both(ApiKey.CreateTopics, 7, { topics: [topic('orders', 3)], timeoutMs: 10_000, validateOnly: false });
    await waitUntilKafkaHasLeader('orders');
    for (let version = 0; version <= 12; version++) {
      // Before v4 every request may auto-create, which Kafka does asynchronously: ask for unknown topics only
      // where creation can be refused.
      const names = version >= 4 ? ['orders', 'no-such-topic'] : ['orders'];
      await expectSame(ApiKey.Metadata, version, {
        topics: names.map((name) => ({ topicId: ZERO_UUID, name: asTopicName(name) })),
        allowAutoTopicCreation: version < 4,
        includeClusterAuthorizedOperations: version >= 8 && version <= 10,
        includeTopicAuthorizedOperations: version >= 8,
      });
    }
    for (let version = 0; version <= 7; version++) {
      // Every topic here is refused, so nothing is created even by v0, which has no validate_only.
      await expectSame(ApiKey.CreateTopics, version, {
        topics: [topic('orders'), topic('bad name'), topic('zero', 0), topic('cfg', 1, { configs: [{ name: 'retention.mss', value: '1' }] })],
        timeoutMs: 10_000,
        validateOnly: version >= 1,
      });
    }
    for (let version = 0; version <= 6; version++) {
      await expectSame(ApiKey.DeleteTopics, version, {
        topics: version >= 6 ? [{ name: asTopicName('no-such-topic'), topicId: ZERO_UUID }] : [],
        topicNames: version < 6 ? [asTopicName('no-such-topic')] : [],
        timeoutMs: 10_000,
      });
    }
    for (let version = 0; version <= 3; version++) {
      await expectSame(ApiKey.CreatePartitions, version, {
        topics: [
          { name: asTopicName('orders'), count: 1, assignments: null },
          { name: asTopicName('no-such-topic'), count: 2, assignments: null },
        ],
        timeoutMs: 10_000,
        validateOnly: true,
      });
    }
    for (let version = 0; version <= 4; version++) {
      await expectSame(ApiKey.DescribeConfigs, version, {
        resources: [
          { resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms', 'cleanup.policy', 'segment.bytes'] },
          { resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions', 'log.retention.hours'] },
        ],
        includeSynonyms: version >= 1,
        includeDocumentation: false,
      });
    }
    for (let version = 0; version <= 2; version++) {
      await expectSame(ApiKey.AlterConfigs, version, {
        resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.mss', value: '1' }] }],
        validateOnly: true,
      });
    }
    for (let version = 0; version <= 1; version++) {
      await expectSame(ApiKey.IncrementalAlterConfigs, version, {
        resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'segment.bytes', configOperation: 0, value: '1' }] }],
        validateOnly: true,
      });
      await expectSame(ApiKey.DescribeCluster, version, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    }
  }, 60_000);

  test('duplicates and conflicting fields in one request', async () => {
    await expectSame(ApiKey.CreateTopics, 7, { topics: [topic('twice'), topic('twice'), topic('once-only', 2)], timeoutMs: 10_000, validateOnly: true });
    await expectSame(ApiKey.CreatePartitions, 3, {
      topics: [
        { name: asTopicName('twice'), count: 2, assignments: null },
        { name: asTopicName('twice'), count: 3, assignments: null },
      ],
      timeoutMs: 10_000,
      validateOnly: true,
    });
    await expectSame(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: 'no-such-topic', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }, { name: 'retention.ms', configOperation: 1, value: null }] }],
      validateOnly: true,
    });
  });

  test('explicit assignments, topic ids, and ids where a version does not take them', async () => {
    const one = asBrokerId(1);
    await expectSame(ApiKey.CreateTopics, 7, {
      topics: [topic('assigned', -1, { assignments: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, brokerIds: [one] })) })],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    await waitUntilKafkaHasLeader('assigned');
    await expectSame(ApiKey.Metadata, 12, metadataRequest(['assigned']));
    await expectSame(ApiKey.CreatePartitions, 3, {
      topics: [
        { name: asTopicName('assigned'), count: 5, assignments: [{ brokerIds: [one] }] },
      ],
      timeoutMs: 10_000,
      validateOnly: true,
    });
    await expectSame(ApiKey.CreatePartitions, 3, {
      topics: [{ name: asTopicName('assigned'), count: 4, assignments: [{ brokerIds: [one] }] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    await waitUntilKafkaHasLeader('assigned');
    await expectSame(ApiKey.Metadata, 12, metadataRequest(['assigned']));
    const unknownId = 'AAAAAAAAAAAAAAAAAAAAAQ' as typeof ZERO_UUID;
    await expectSame(ApiKey.Metadata, 12, { ...metadataRequest([]), topics: [{ topicId: unknownId, name: null }] });
    await expectSame(ApiKey.Metadata, 10, { ...metadataRequest([]), topics: [{ topicId: unknownId, name: asTopicName('assigned') }] });
    await expectSame(ApiKey.DeleteTopics, 6, {
      topics: [
        { name: null, topicId: unknownId },
        { name: asTopicName('assigned'), topicId: unknownId },
      ],
      topicNames: [],
      timeoutMs: 10_000,
    });
  });

  test('list operations, unknown keys, null values, and timeouts of zero', async () => {
    await expectSame(ApiKey.CreateTopics, 7, {
      topics: [topic('lists', 1, { configs: [{ name: 'cleanup.policy', value: 'compact,delete' }] })],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    await waitUntilKafkaHasLeader('lists');
    const incremental = (configs: { name: string; configOperation: number; value: string | null }[]) =>
      expectSame(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'lists', configs }], validateOnly: false });
    await incremental([{ name: 'retention.ms', configOperation: 2, value: '5' }]);
    await incremental([{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }]);
    await incremental([{ name: 'follower.replication.throttled.replicas', configOperation: 2, value: '0:1' }]);
    await incremental([{ name: 'retention.ms', configOperation: 0, value: null }]);
    await incremental([{ name: 'no.such.key', configOperation: 1, value: null }]);
    await expectSame(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: 2, resourceName: 'lists', configs: [{ name: 'retention.ms', value: null }] }], validateOnly: true });
    await expectSame(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: 'lists', configurationKeys: ['cleanup.policy', 'follower.replication.throttled.replicas', 'no.such.key'] }],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    await expectSame(ApiKey.CreateTopics, 7, { topics: [topic('timeout-zero')], timeoutMs: 0, validateOnly: false });
    await waitUntilKafkaHasLeader('timeout-zero');
    await expectSame(ApiKey.CreatePartitions, 3, { topics: [{ name: asTopicName('timeout-zero'), count: 4, assignments: null }], timeoutMs: 0, validateOnly: false });
    await expectSame(ApiKey.DeleteTopics, 6, { topics: [{ name: asTopicName('timeout-zero'), topicId: ZERO_UUID }], topicNames: [], timeoutMs: 0 });
  });

  test('SASL requests on a listener without SASL', async () => {
    for (let version = 0; version <= 1; version++) await expectSame(ApiKey.SaslHandshake, version, { mechanism: 'PLAIN' });
    for (let version = 0; version <= 2; version++) await expectSame(ApiKey.SaslAuthenticate, version, { authBytes: Buffer.from('\u0000user\u0000secret') });
  });

  test('Produce v0-v11, ListOffsets v0-v9, DeleteRecords and OffsetForLeaderEpoch: answers and errors', async () => {
    // The same answer from both, and an answer at all (two closed connections would compare equal too).
    const answered = async <K extends ApiKey>(apiKey: K, version: number, request: ApiMessages[K]['request']) => {
      const answer = await expectSame(apiKey, version, request);
      expect(answer).not.toBe('closed');
      return answer;
    };
    await answered(ApiKey.CreateTopics, 7, {
      topics: [
        topic('produced', 2),
        topic('produce-compacted', 1, { configs: [{ name: 'cleanup.policy', value: 'compact' }] }),
        topic('produce-small', 1, { configs: [{ name: 'max.message.bytes', value: '200' }] }),
        topic('produce-append-time', 1, { configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }),
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    for (const name of ['produced', 'produce-compacted', 'produce-small', 'produce-append-time']) await waitUntilKafkaHasLeader(name);
    const batch = (count: number, fields: Partial<Parameters<typeof buildRecordBatch>[0]> = {}, key: (i: number) => Buffer | null = (i) => Buffer.from(`k${i}`)) =>
      buildRecordBatch({
        records: Array.from({ length: count }, (_, i) => ({ timestamp: 1_700_000_000_000n + BigInt(i * 10), key: key(i), value: Buffer.from(`v${i}`) })),
        ...fields,
      });
    const produce = (name: string, records: Buffer, fields: object = {}, index = 0): ApiMessages[ApiKey.Produce]['request'] => ({
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: asTopicName(name), partitionData: [{ index, records }] }],
      ...fields,
    });
    // Successes at every version: offsets 0.. of partition 0, each version one more batch of 2.
    for (let version = 0; version <= 11; version++) {
      const answer = (await answered(ApiKey.Produce, version, produce('produced', batch(2, { compression: version >= 7 ? CompressionType.Zstd : CompressionType.Gzip })))) as ApiMessages[ApiKey.Produce]['response'];
      expect(answer.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: BigInt(version * 2) });
    }
    // A partition named twice: appended once, with the records named last (offsets 24-26).
    await answered(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: asTopicName('produced'), partitionData: [{ index: 0, records: batch(1) }, { index: 0, records: batch(3) }] }] });
    const badCrc = batch(2);
    badCrc[badCrc.length - 1] ^= 1;
    await answered(ApiKey.Produce, 9, produce('produced', badCrc));
    await answered(ApiKey.Produce, 9, produce('missing-topic', batch(1)));
    await answered(ApiKey.Produce, 9, produce('produced', batch(1), {}, 7));
    await answered(ApiKey.Produce, 9, produce('produced', batch(1), { acks: 2 }));
    await answered(ApiKey.Produce, 9, produce('produce-small', batch(20)));
    await answered(ApiKey.Produce, 9, produce('produce-compacted', batch(4, {}, (i) => (i % 2 ? Buffer.from('k') : null))));
    await answered(ApiKey.Produce, 7, produce('produce-compacted', batch(1, {}, () => null)));
    await answered(ApiKey.Produce, 3, produce('produced', Buffer.concat([batch(1), batch(1)]), {}, 1));
    await answered(ApiKey.Produce, 6, produce('produced', batch(1, { compression: CompressionType.Zstd }), {}, 1));
    await answered(ApiKey.Produce, 9, produce('produced', batch(1, { baseOffset: 3n }), {}, 1));
    await answered(ApiKey.Produce, 9, produce('produced', batch(1, { producerId: 5n, producerEpoch: 0, baseSequence: -1 }), {}, 1));
    await answered(ApiKey.Produce, 9, produce('produced', batch(1, { producerId: 5n, producerEpoch: 0, baseSequence: 0, isTransactional: true }), {}, 1));
    await answered(ApiKey.Produce, 9, produce('produced', Buffer.alloc(0), {}, 1));
    // A producer claiming LogAppendTime: refused per record on a LogAppendTime topic (accepted under CreateTime).
    await answered(ApiKey.Produce, 9, produce('produce-append-time', batch(2, { timestampType: TimestampType.LogAppendTime, maxTimestamp: 1_700_000_000_000n })));
    await answered(ApiKey.Produce, 9, produce('produce-small', batch(2, { timestampType: TimestampType.LogAppendTime, maxTimestamp: 1_700_000_000_000n })));
    // Old producers: magic 0 and 1 message sets, stored as v2 by both.
    await answered(ApiKey.Produce, 0, produce('produced', buildLegacyMessageSet({ magic: 0, records: [{ key: null, value: Buffer.from('old') }] }), { acks: 1 }, 1));
    await answered(ApiKey.Produce, 2, produce('produced', buildLegacyMessageSet({ magic: 1, compression: CompressionType.Snappy, records: [{ timestamp: 1_700_000_000_000n, key: null, value: Buffer.from('newer') }] }), { acks: 1 }, 1));

    const partition = (fields: object = {}) => ({ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1, ...fields });
    const listOffsets = (partitions: object[], fields: object = {}): ApiMessages[ApiKey.ListOffsets]['request'] => ({
      replicaId: asBrokerId(-1),
      isolationLevel: 0,
      topics: [{ name: asTopicName('produced'), partitions: partitions.map((p) => partition(p)) }],
      ...fields,
    });
    for (const timestamp of [-1n, -2n, -3n, -4n, -5n, 1_700_000_000_005n, 1_700_000_000_010n, 1_800_000_000_000n]) {
      for (let version = 0; version <= 9; version++) {
        if (version === 0 && timestamp < -2n) continue;
        const [fromKafka, fromTributary] = await both(ApiKey.ListOffsets, version, listOffsets([{ timestamp }]));
        expect(fromKafka).not.toBe('closed');
        expect({ version, timestamp, answer: fromTributary }).toEqual({ version, timestamp, answer: fromKafka });
      }
    }
    await answered(ApiKey.ListOffsets, 0, listOffsets([{ timestamp: -3n }]));
    await answered(ApiKey.ListOffsets, 0, listOffsets([{ timestamp: -1n, maxNumOffsets: 10 }]));
    await answered(ApiKey.ListOffsets, 6, listOffsets([{ timestamp: -3n }]));
    await answered(ApiKey.ListOffsets, 9, listOffsets([{}, {}]));
    await answered(ApiKey.ListOffsets, 9, listOffsets([{ currentLeaderEpoch: 1 }]));
    await answered(ApiKey.ListOffsets, 9, listOffsets([{ partitionIndex: 1, currentLeaderEpoch: 0, timestamp: -2n }], { isolationLevel: 1 }));
    await answered(ApiKey.ListOffsets, 9, { ...listOffsets([{ partitionIndex: 5 }]), topics: [{ name: asTopicName('missing-topic'), partitions: [partition()] }] });

    const epochs = (partitions: object[]): ApiMessages[ApiKey.OffsetForLeaderEpoch]['request'] => ({
      replicaId: asBrokerId(-1),
      topics: [{ topic: asTopicName('produced'), partitions: partitions.map((p) => ({ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0, ...p })) }],
    });
    for (const leaderEpoch of [0, -1, 3]) {
      for (let version = 0; version <= 4; version++) await answered(ApiKey.OffsetForLeaderEpoch, version, epochs([{ leaderEpoch }]));
    }
    await answered(ApiKey.OffsetForLeaderEpoch, 4, epochs([{ currentLeaderEpoch: 2 }]));
    await answered(ApiKey.OffsetForLeaderEpoch, 4, { replicaId: asBrokerId(-1), topics: [{ topic: asTopicName('missing-topic'), partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });

    const deleteRecords = (name: string, partitionIndex: number, offset: bigint): ApiMessages[ApiKey.DeleteRecords]['request'] => ({
      topics: [{ name: asTopicName(name), partitions: [{ partitionIndex, offset }] }],
      timeoutMs: 10_000,
    });
    for (let version = 0; version <= 2; version++) {
      await answered(ApiKey.DeleteRecords, version, deleteRecords('produced', 0, 1000n));
      await answered(ApiKey.DeleteRecords, version, deleteRecords('produced', 0, -5n));
      await answered(ApiKey.DeleteRecords, version, deleteRecords('produce-compacted', 0, 0n));
      await answered(ApiKey.DeleteRecords, version, deleteRecords('missing-topic', 0, 0n));
    }
    await answered(ApiKey.DeleteRecords, 2, deleteRecords('produced', 0, 4n));
    await answered(ApiKey.DeleteRecords, 2, deleteRecords('produced', 0, 2n));
    await answered(ApiKey.DeleteRecords, 2, deleteRecords('produced', 1, -1n));
    await answered(ApiKey.ListOffsets, 9, listOffsets([{ timestamp: -2n }, { partitionIndex: 1, timestamp: -2n }]));
    await answered(ApiKey.OffsetForLeaderEpoch, 4, epochs([{ leaderEpoch: 0 }]));

    // DescribeLogDirs: the dirs' paths and free space differ by nature; sizes and the listing must not.
    for (let version = 0; version <= 4; version++) {
      const [fromKafka, fromTributary] = (await both(ApiKey.DescribeLogDirs, version, { topics: [{ topic: asTopicName('produced'), partitions: [0, 1] }] })) as ApiMessages[ApiKey.DescribeLogDirs]['response'][];
      const comparable = (answer: ApiMessages[ApiKey.DescribeLogDirs]['response']) => ({
        ...answer,
        results: answer.results.map((result) => ({
          ...result,
          logDir: 'DIR',
          totalBytes: result.totalBytes > 0n ? 'BYTES' : result.totalBytes,
          usableBytes: result.usableBytes > 0n ? 'BYTES' : result.usableBytes,
          topics: [...result.topics].sort((a, b) => a.name.localeCompare(b.name)),
        })),
      });
      expect({ version, answer: comparable(fromTributary) }).toEqual({ version, answer: comparable(fromKafka) });
      expect(fromKafka.results[0].topics.find((t) => t.name === 'produced')?.partitions).toHaveLength(2);
    }
  });

  test('Fetch v0-17: records, offsets, errors, KIP-74 limits, down-conversion and sessions', async () => {
    await expectSame(ApiKey.CreateTopics, 7, {
      topics: [topic('fetched', 2), topic('fetch-zstd', 1, { configs: [{ name: 'compression.type', value: 'zstd' }] })],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    await waitUntilKafkaHasLeader('fetched');
    await waitUntilKafkaHasLeader('fetch-zstd');
    /** Sends each broker its own request (topic ids and session ids differ) and compares the answers. */
    const perBroker = async <K extends ApiKey>(apiKey: K, version: number, request: (broker: number) => ApiMessages[K]['request'], tidy = (answer: ApiMessages[K]['response'], _broker: number): unknown => answer) => {
      const answers = await Promise.all(
        clients.map(async (client, i) => {
          const before = client.frames.length;
          client.send(encodeRequestFrame(apiKey, version, ++correlationId, 'like-kafka', request(i)));
          await client.until(() => client.frames.length > before, 'an answer');
          return decodeResponseFrame(apiKey, version, client.frames[before]).response as ApiMessages[K]['response'];
        }),
      );
      expect({ version, answer: normalize(tidy(answers[1], 1)) }).toEqual({ version, answer: normalize(tidy(answers[0], 0)) });
      return answers;
    };
    const described = (await perBroker(ApiKey.Metadata, 12, () => metadataRequest(['fetched']))).map((answer) => answer.topics[0].topicId);
    // The same batches go to both brokers: offsets 0-2 and 3-4 of partition 0, with keys, headers and timestamps.
    for (const count of [3, 2]) {
      const records = buildRecordBatch({
        records: Array.from({ length: count }, (_, i) => ({
          timestamp: 1_700_000_000_000n + BigInt(i),
          key: Buffer.from(`k${i}`),
          value: Buffer.from(`value-${i}`),
          headers: [{ key: 'h', value: Buffer.from(String(i)) }],
        })),
      });
      await expectSame(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: asTopicName('fetched'), partitionData: [{ index: 0, records }] }] });
    }
    const partition = (fields: object = {}) => ({ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20, replicaDirectoryId: ZERO_UUID, ...fields });
    const fetch = (topics: { name: string; id?: typeof ZERO_UUID; partitions: object[] }[], fields: object = {}): ApiMessages[ApiKey.Fetch]['request'] => ({
      clusterId: null,
      replicaId: asBrokerId(-1),
      replicaState: { replicaId: asBrokerId(-1), replicaEpoch: -1n },
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 50 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: topics.map((t) => ({ topic: asTopicName(t.name), topicId: t.id ?? ZERO_UUID, partitions: t.partitions.map((p) => partition(p)) })),
      forgottenTopicsData: [],
      rackId: '',
      ...fields,
    });
    const byName = [
      { name: 'fetched', partitions: [{}, { partition: 1 }, { partition: 2 }, { partition: 0, fetchOffset: 9n }] },
      { name: 'missing', partitions: [{}] },
    ];
    for (let version = 0; version <= 12; version++) {
      const [fromKafka, fromTributary] = await both(ApiKey.Fetch, version, fetch(byName));
      expect({ version, answer: fromTributary }).toEqual({ version, answer: fromKafka });
    }
    const byId = (broker: number) => [
      { name: '', id: described[broker], partitions: [{}, { partition: 1, fetchOffset: 7n }] },
      { name: '', id: 'AAAAAAAAAAAAAAAAAAAAAQ' as typeof ZERO_UUID, partitions: [{}] },
    ];
    for (let version = 13; version <= 17; version++) await perBroker(ApiKey.Fetch, version, (broker) => fetch(byId(broker)));
    // KIP-74: the first batch comes back whole above both limits; the rest of the response gets what is left.
    await expectSame(ApiKey.Fetch, 11, fetch([{ name: 'fetched', partitions: [{ partitionMaxBytes: 10 }] }], { maxBytes: 10 }));
    // v0-2 have hard limits: a first batch above them is not sent.
    for (const version of [0, 2]) await expectSame(ApiKey.Fetch, version, fetch([{ name: 'fetched', partitions: [{ partitionMaxBytes: 10 }] }]));
    await expectSame(ApiKey.Fetch, 11, fetch([{ name: 'fetched', partitions: [{ fetchOffset: 1n }] }], { isolationLevel: 1 }));
    await expectSame(ApiKey.Fetch, 12, fetch([{ name: 'fetched', partitions: [{ currentLeaderEpoch: 5 }, { partition: 1, fetchOffset: 0n, lastFetchedEpoch: 3 }] }]));
    // A replica id of a broker that is no follower of the partition.
    await perBroker(ApiKey.Fetch, 17, (broker) => fetch([{ name: '', id: described[broker], partitions: [{}] }], { replicaState: { replicaId: asBrokerId(5), replicaEpoch: -1n } }));
    await expectSame(ApiKey.Fetch, 11, fetch([{ name: 'fetched', partitions: [{}] }], { replicaId: asBrokerId(5) }));
    await expectSame(ApiKey.Fetch, 9, fetch([{ name: 'fetch-zstd', partitions: [{}] }]));
    await expectSame(ApiKey.Fetch, 10, fetch([{ name: 'fetch-zstd', partitions: [{}] }]));
    // Sessions: ids are random, so each broker is answered with its own and the id is compared as "SESSION".
    const sessions = [0, 0];
    const tidySession = (answer: ApiMessages[ApiKey.Fetch]['response'], broker: number) => ({ ...answer, sessionId: answer.sessionId !== 0 && answer.sessionId === sessions[broker] ? 'SESSION' : answer.sessionId });
    const opened = await perBroker(ApiKey.Fetch, 12, () => fetch(byName.slice(0, 1), { sessionEpoch: 0 }), (answer) => ({ ...answer, sessionId: answer.sessionId === 0 ? 0 : 'NEW' }));
    sessions.splice(0, 2, ...opened.map((answer) => answer.sessionId));
    expect(sessions[1]).not.toBe(0);
    await perBroker(ApiKey.Fetch, 12, () => fetch([], { sessionId: 123, sessionEpoch: 1 }));
    await perBroker(ApiKey.Fetch, 12, () => fetch([], { sessionId: 0, sessionEpoch: 5 }));
    // Incremental: nothing new; the same epoch again; the next epoch; v13 on a session opened without ids.
    await perBroker(ApiKey.Fetch, 12, (broker) => fetch([], { sessionId: sessions[broker], sessionEpoch: 1 }), tidySession);
    await perBroker(ApiKey.Fetch, 12, (broker) => fetch([], { sessionId: sessions[broker], sessionEpoch: 1 }), tidySession);
    await perBroker(ApiKey.Fetch, 12, (broker) => fetch([{ name: 'fetched', partitions: [{ partition: 1 }] }], { sessionId: sessions[broker], sessionEpoch: 2 }), tidySession);
    await perBroker(ApiKey.Fetch, 13, (broker) => fetch([], { sessionId: sessions[broker], sessionEpoch: 3 }), tidySession);
    await perBroker(ApiKey.Fetch, 12, (broker) => fetch([], { sessionId: sessions[broker], sessionEpoch: -1 }), tidySession);
  });

  test('group APIs: FindCoordinator v0-v6, and every group and offset API where the answer is deterministic', async () => {
    // The first FindCoordinator creates __consumer_offsets on both (COORDINATOR_NOT_AVAILABLE meanwhile).
    await expectSame(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['like-group'] });
    for (let attempt = 0; ; attempt++) {
      const answers = (await both(ApiKey.FindCoordinator, 3, { key: 'like-group', keyType: 0, coordinatorKeys: [] })) as ApiMessages[ApiKey.FindCoordinator]['response'][];
      if (answers.every((answer) => answer.errorCode === 0)) break;
      if (attempt > 200) throw new Error(`no coordinator: ${JSON.stringify(answers)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (let version = 0; version <= 3; version++) await expectSame(ApiKey.FindCoordinator, version, { key: 'like-group', keyType: 0, coordinatorKeys: [] });
    for (const version of [4, 5, 6]) await expectSame(ApiKey.FindCoordinator, version, { key: '', keyType: 0, coordinatorKeys: ['like-group', 'other-group'] });
    for (const version of [5, 6]) await expectSame(ApiKey.FindCoordinator, version, { key: '', keyType: 2, coordinatorKeys: ['share'] });
    await expectSame(ApiKey.FindCoordinator, 3, { key: 'x', keyType: 7, coordinatorKeys: [] });
    await expectSame(ApiKey.FindCoordinator, 4, { key: '', keyType: 7, coordinatorKeys: ['x'] });
    // Wait until both have loaded the group's partition (COORDINATOR_LOAD_IN_PROGRESS meanwhile).
    for (let attempt = 0; ; attempt++) {
      const answers = (await both(ApiKey.DescribeGroups, 5, { groups: [asGroupId('like-group')], includeAuthorizedOperations: false })) as ApiMessages[ApiKey.DescribeGroups]['response'][];
      if (answers.every((answer) => answer.groups[0].errorCode === 0)) break;
      if (attempt > 200) throw new Error(`group partition not loaded: ${JSON.stringify(answers)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    await expectSame(ApiKey.CreateTopics, 7, { topics: [topic('grp-topic', 2)], timeoutMs: 10_000, validateOnly: false });
    const join = (extra: Partial<ApiMessages[ApiKey.JoinGroup]['request']>): ApiMessages[ApiKey.JoinGroup]['request'] => ({
      groupId: asGroupId('like-group'),
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from('m') }],
      reason: null,
      ...extra,
    });
    // Refused joins: a member id the group never gave, session timeouts out of range, no protocols, no type.
    for (const version of [0, 5, 9]) await expectSame(ApiKey.JoinGroup, version, join({ memberId: 'nobody' }));
    await expectSame(ApiKey.JoinGroup, 5, join({ sessionTimeoutMs: 1_000 }));
    await expectSame(ApiKey.JoinGroup, 5, join({ sessionTimeoutMs: 2_000_000 }));
    await expectSame(ApiKey.JoinGroup, 5, join({ protocols: [] }));
    await expectSame(ApiKey.JoinGroup, 5, join({ protocolType: '' }));
    // Requests from members of groups that do not exist.
    const member = { groupId: asGroupId('like-group'), generationId: 1, memberId: 'nobody', groupInstanceId: null };
    for (const version of [0, 3, 4]) await expectSame(ApiKey.Heartbeat, version, member);
    for (const version of [0, 3, 5]) {
      await expectSame(ApiKey.SyncGroup, version, { ...member, protocolType: version >= 5 ? 'consumer' : null, protocolName: version >= 5 ? 'range' : null, assignments: [] });
    }
    await expectSame(ApiKey.LeaveGroup, 0, { groupId: asGroupId('like-group'), memberId: 'nobody', members: [] });
    await expectSame(ApiKey.LeaveGroup, 5, { groupId: asGroupId('like-group'), memberId: '', members: [{ memberId: 'nobody', groupInstanceId: null, reason: null }, { memberId: '', groupInstanceId: 'ghost', reason: 'x' }] });

    // A simple group (no members) commits, with partitions and topics that do not exist refused.
    const partition = (partitionIndex: number, committedOffset: bigint) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'meta' });
    for (const version of [2, 8, 9]) {
      await expectSame(ApiKey.OffsetCommit, version, {
        groupId: asGroupId('like-group'),
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          { name: asTopicName('no-such-topic'), partitions: [partition(0, 1n)] },
          { name: asTopicName('grp-topic'), partitions: [partition(0, 10n + BigInt(version)), partition(7, 1n), partition(1, 20n)] },
        ],
      });
    }
    await expectSame(ApiKey.OffsetCommit, 8, { groupId: asGroupId('like-group'), generationIdOrMemberEpoch: 5, memberId: 'nobody', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: asTopicName('grp-topic'), partitions: [partition(0, 1n)] }] });
    const fetchTopics = [{ name: asTopicName('grp-topic'), partitionIndexes: [0, 1] }, { name: asTopicName('no-such-topic'), partitionIndexes: [0] }];
    for (const version of [1, 5, 7]) await expectSame(ApiKey.OffsetFetch, version, { groupId: asGroupId('like-group'), topics: fetchTopics, groups: [], requireStable: version >= 7 });
    await expectSame(ApiKey.OffsetFetch, 7, { groupId: asGroupId('like-group'), topics: null, groups: [], requireStable: false });
    await expectSame(ApiKey.OffsetFetch, 9, {
      groupId: asGroupId(''),
      topics: [],
      groups: [
        { groupId: asGroupId('like-group'), memberId: null, memberEpoch: -1, topics: null },
        { groupId: asGroupId('never-seen'), memberId: null, memberEpoch: -1, topics: [{ name: asTopicName('grp-topic'), partitionIndexes: [0] }] },
      ],
      requireStable: true,
    });
    for (const version of [0, 3, 5]) await expectSame(ApiKey.DescribeGroups, version, { groups: [asGroupId('like-group'), asGroupId('never-seen')], includeAuthorizedOperations: version >= 3 });
    for (const version of [0, 4]) await expectSame(ApiKey.ListGroups, version, { statesFilter: version >= 4 ? ['Empty'] : [], typesFilter: [] });
    await expectSame(ApiKey.OffsetDelete, 0, {
      groupId: asGroupId('like-group'),
      topics: [
        { name: asTopicName('grp-topic'), partitions: [{ partitionIndex: 0 }, { partitionIndex: 9 }] },
        { name: asTopicName('no-such-topic'), partitions: [{ partitionIndex: 0 }] },
      ],
    });
    await expectSame(ApiKey.OffsetDelete, 0, { groupId: asGroupId('never-seen'), topics: [] });
    // Kafka answers DeleteGroups from a hash map, so its order means nothing: compared sorted by group.
    for (const version of [0, 2]) {
      const answers = (await both(ApiKey.DeleteGroups, version, { groupsNames: [asGroupId(version === 0 ? 'like-group' : 'never-seen'), asGroupId('')] })) as ApiMessages[ApiKey.DeleteGroups]['response'][];
      const sorted = answers.map((answer) => ({ ...answer, results: [...answer.results].sort((a, b) => a.groupId.localeCompare(b.groupId)) }));
      expect(sorted[1]).toEqual(sorted[0]);
    }
  });

  /** Kafka creates an auto-created topic's partitions asynchronously; ask until it has a leader. */
  async function waitUntilKafkaHasLeader(name: string): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const [fromKafka] = (await both(ApiKey.Metadata, 9, metadataRequest([name]))) as ApiMessages[ApiKey.Metadata]['response'][];
      if (fromKafka.topics[0].errorCode === 0 && fromKafka.topics[0].partitions.every((p) => p.leaderId !== -1)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Kafka never had a leader for ${name}`);
  }
});

function metadataRequest(names: string[] | null): ApiMessages[ApiKey.Metadata]['request'] {
  return {
    topics: names === null ? null : names.map((name) => ({ topicId: ZERO_UUID, name: asTopicName(name) })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
}

/**
 * Replaces what legitimately differs between two brokers (random ids, ports) and orders what Kafka leaves
 * unordered (topics in Metadata, configs in DescribeConfigs), so that answers compare whole.
 */
function normalize(value: unknown, key = ''): unknown {
  // Record sets compare as hex: readable in a diff, and far faster for Jest than a Buffer's bytes one by one.
  if (Buffer.isBuffer(value)) return `bytes:${value.toString('hex')}`;
  if (Array.isArray(value)) {
    const items = value.map((item) => normalize(item));
    const sortKey = (item: unknown) => {
      const record = item as Record<string, unknown> | null;
      return record && typeof record === 'object' ? String(record.name ?? record.resourceName ?? '') : '';
    };
    if (key === 'partitions') return [...items].sort((a, b) => (a as { partitionIndex: number }).partitionIndex - (b as { partitionIndex: number }).partitionIndex);
    return ['topics', 'configs'].includes(key) ? [...items].sort((a, b) => sortKey(a).localeCompare(sortKey(b))) : items;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [field, inner] of Object.entries(value)) {
      if (field === '_unknownTaggedFields') continue;
      if (field === 'topicId') out[field] = inner === ZERO_UUID ? 'ZERO' : 'ID';
      else if (field === 'clusterId') out[field] = inner === null ? null : 'CLUSTER';
      else if (field === 'port') out[field] = 'PORT';
      else if (field === 'value' && typeof inner === 'string') out[field] = inner.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').replace(/tributary-like-kafka-[^,]*|\/tmp\/[^,]*/g, 'DIR');
      else out[field] = normalize(inner, field);
    }
    return out;
  }
  return value;
}
