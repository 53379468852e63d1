import { ApiKey, ErrorCode, asTopicName } from '@tributary/protocol';
import { Harness, openHarness } from './harness';

const TOPIC = 2;
const BROKER = 4;
let h: Harness;
afterEach(async () => h?.close());

async function withTopic(config: Record<string, string> = {}): Promise<Harness> {
  h = await openHarness(config);
  await h.call(ApiKey.CreateTopics, 7, {
    topics: [{ name: asTopicName('t'), numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  return h;
}

const describe1 = (resourceType: number, resourceName: string, keys: string[] | null, version = 4) =>
  h.call(ApiKey.DescribeConfigs, version, { resources: [{ resourceType, resourceName, configurationKeys: keys }], includeSynonyms: version >= 1, includeDocumentation: false });

describe('DescribeConfigs', () => {
  test('topic configs with sources, synonyms and types', async () => {
    await withTopic({ 'log.retention.hours': '5' });
    const response = await describe1(TOPIC, 't', ['cleanup.policy', 'retention.ms', 'segment.bytes']);
    expect(response).toEqual({
      throttleTimeMs: 0,
      results: [
        {
          errorCode: 0,
          errorMessage: '',
          resourceType: TOPIC,
          resourceName: 't',
          configs: [
            {
              name: 'cleanup.policy',
              value: 'compact',
              readOnly: false,
              isDefault: false,
              configSource: 1,
              isSensitive: false,
              synonyms: [
                { name: 'cleanup.policy', value: 'compact', source: 1 },
                { name: 'log.cleanup.policy', value: 'delete', source: 5 },
              ],
              configType: 7,
              documentation: null,
            },
            {
              name: 'retention.ms',
              value: '18000000',
              readOnly: false,
              isDefault: false,
              // Kafka 3.9 reports a value from log.retention.hours as the default with no synonyms: only the
              // primary key log.retention.ms would count as a static broker config, and it has no default.
              configSource: 5,
              isSensitive: false,
              synonyms: [],
              configType: 5,
              documentation: null,
            },
            {
              name: 'segment.bytes',
              value: '1073741824',
              readOnly: false,
              isDefault: false,
              configSource: 5,
              isSensitive: false,
              synonyms: [{ name: 'log.segment.bytes', value: '1073741824', source: 5 }],
              configType: 3,
              documentation: null,
            },
          ],
        },
      ],
    });
  });

  test('v0 has no synonyms; all keys when none are named; unknown topics and illegal names are errors', async () => {
    await withTopic();
    const all = await describe1(TOPIC, 't', null, 0);
    expect(all.results[0].configs.length).toBeGreaterThan(30);
    expect(all.results[0].configs.every((config) => config.synonyms.length === 0)).toBe(true);
    // v0 carries is_default, and Kafka 3.9 sends false for every entry, defaults included.
    expect(all.results[0].configs.every((config) => !config.isDefault)).toBe(true);
    const missing = await describe1(TOPIC, 'missing', null);
    expect(missing.results[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, configs: [] });
    const illegal = await describe1(TOPIC, 'a/b', null);
    expect(illegal.results[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  test('this broker by id; the empty name (cluster defaults) is empty; another id is INVALID_REQUEST', async () => {
    await withTopic({ 'num.partitions': '4' });
    const mine = await describe1(BROKER, '1', ['num.partitions', 'broker.id', 'ssl.keystore.password', 'log.retention.ms']);
    expect(mine.results[0].configs).toEqual([
      { name: 'broker.id', value: '1', readOnly: true, isDefault: false, configSource: 4, isSensitive: false, synonyms: [{ name: 'broker.id', value: '1', source: 4 }, { name: 'broker.id', value: '-1', source: 5 }], configType: 3, documentation: null },
      { name: 'num.partitions', value: '4', readOnly: true, isDefault: false, configSource: 4, isSensitive: false, synonyms: [{ name: 'num.partitions', value: '4', source: 4 }, { name: 'num.partitions', value: '1', source: 5 }], configType: 3, documentation: null },
      { name: 'log.retention.ms', value: null, readOnly: false, isDefault: false, configSource: 5, isSensitive: false, synonyms: [], configType: 5, documentation: null },
      { name: 'ssl.keystore.password', value: null, readOnly: false, isDefault: false, configSource: 5, isSensitive: true, synonyms: [], configType: 9, documentation: null },
    ]);
    expect((await describe1(BROKER, '', null)).results[0]).toMatchObject({ errorCode: 0, configs: [] });
    expect((await describe1(BROKER, '2', null)).results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 1 or empty string, but received 2' });
  });

  test("Kafka's internal keys (producer.id.expiration.check.interval.ms) are listed only when set", async () => {
    const names = async () => (await describe1(BROKER, '1', null)).results[0].configs.map((config) => config.name);
    await withTopic();
    expect(await names()).toContain('producer.id.expiration.ms');
    expect(await names()).not.toContain('producer.id.expiration.check.interval.ms');
    await h.close();
    await withTopic({ 'producer.id.expiration.check.interval.ms': '500' });
    expect((await describe1(BROKER, '1', ['producer.id.expiration.check.interval.ms'])).results[0].configs).toEqual([
      { name: 'producer.id.expiration.check.interval.ms', value: '500', readOnly: true, isDefault: false, configSource: 4, isSensitive: false, synonyms: [{ name: 'producer.id.expiration.check.interval.ms', value: '500', source: 4 }, { name: 'producer.id.expiration.check.interval.ms', value: '600000', source: 5 }], configType: 3, documentation: null },
    ]);
  });
});

describe('AlterConfigs and IncrementalAlterConfigs', () => {
  const overrides = () => Object.fromEntries(h.metadata.topic('t')!.configs);

  test('AlterConfigs replaces the overrides; validateOnly and bad values change nothing', async () => {
    await withTopic();
    const alter = (configs: { name: string; value: string | null }[], validateOnly = false) =>
      h.call(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: TOPIC, resourceName: 't', configs }], validateOnly }).then((r) => r.responses[0]);
    expect(await alter([{ name: 'retention.ms', value: '5000' }], true)).toEqual({ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 't' });
    expect(overrides()).toEqual({ 'cleanup.policy': 'compact' });
    expect(await alter([{ name: 'retention.ms', value: '5000' }])).toEqual({ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 't' });
    expect(overrides()).toEqual({ 'retention.ms': '5000' });
    expect(await alter([{ name: 'segment.bytes', value: '1' }])).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: "Invalid config value for resource ConfigResource(type=TOPIC, name='t'): Invalid value 1 for configuration segment.bytes: Value must be at least 14",
    });
    expect(await alter([{ name: 'retention.mss', value: '1' }])).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Unknown topic config name: retention.mss' });
    expect(await alter([{ name: 'retention.ms', value: null }])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST });
    expect(overrides()).toEqual({ 'retention.ms': '5000' });
    const broker = await h.call(ApiKey.AlterConfigs, 0, { resources: [{ resourceType: BROKER, resourceName: '1', configs: [{ name: 'num.partitions', value: '3' }] }], validateOnly: false });
    expect(broker.responses[0]).toEqual({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Cannot update these configs dynamically: Set(num.partitions)', resourceType: BROKER, resourceName: '1' });
  });

  test('IncrementalAlterConfigs: set, delete, append and subtract lists, with Kafka errors', async () => {
    await withTopic();
    const alter = (configs: { name: string; configOperation: number; value: string | null }[]) =>
      h.call(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: TOPIC, resourceName: 't', configs }], validateOnly: false }).then((r) => r.responses[0]);
    expect(await alter([{ name: 'retention.ms', configOperation: 0, value: '100' }, { name: 'cleanup.policy', configOperation: 2, value: 'delete' }])).toMatchObject({ errorCode: 0 });
    expect(overrides()).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': '100' });
    expect(await alter([{ name: 'cleanup.policy', configOperation: 3, value: 'compact' }, { name: 'retention.ms', configOperation: 1, value: null }])).toMatchObject({ errorCode: 0 });
    expect(overrides()).toEqual({ 'cleanup.policy': 'delete' });
    expect(await alter([{ name: 'retention.ms', configOperation: 2, value: '1' }])).toEqual({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: 'Config value append is not allowed for config key: retention.ms',
      resourceType: TOPIC,
      resourceName: 't',
    });
    expect(await alter([{ name: 'retention.ms', configOperation: 0, value: '1' }, { name: 'retention.ms', configOperation: 1, value: null }])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST });
    const missing = await h.call(ApiKey.IncrementalAlterConfigs, 0, { resources: [{ resourceType: TOPIC, resourceName: 'nope', configs: [] }], validateOnly: false });
    expect(missing.responses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('dynamic broker configs', () => {
  const incremental = (resourceName: string, configs: { name: string; configOperation: number; value: string | null }[]) =>
    h.call(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName, configs }], validateOnly: false }).then((r) => r.responses[0]);
  const describeKeys = (resourceType: number, resourceName: string, keys: string[] | null) =>
    h
      .call(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType, resourceName, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false })
      .then((r) => r.results[0].configs.map(({ name, value, configSource, synonyms }) => ({ name, value, configSource, synonyms })));

  test('per-broker and cluster-default layers, their sources and synonyms, inherited by topics', async () => {
    await withTopic({ 'message.max.bytes': '2000000' });
    expect(await incremental('', [{ name: 'log.retention.ms', configOperation: 0, value: '200000' }])).toEqual({ errorCode: 0, errorMessage: null, resourceType: BROKER, resourceName: '' });
    expect(await incremental('1', [{ name: 'message.max.bytes', configOperation: 0, value: '3000000' }])).toMatchObject({ errorCode: 0 });
    expect(await describeKeys(BROKER, '1', ['log.retention.ms', 'message.max.bytes'])).toEqual([
      { name: 'log.retention.ms', value: '200000', configSource: 3, synonyms: [{ name: 'log.retention.ms', value: '200000', source: 3 }, { name: 'log.retention.hours', value: '168', source: 5 }] },
      {
        name: 'message.max.bytes',
        value: '3000000',
        configSource: 2,
        synonyms: [
          { name: 'message.max.bytes', value: '3000000', source: 2 },
          { name: 'message.max.bytes', value: '2000000', source: 4 },
          { name: 'message.max.bytes', value: '1048588', source: 5 },
        ],
      },
    ]);
    expect(await describeKeys(BROKER, '', null)).toEqual([{ name: 'log.retention.ms', value: '200000', configSource: 3, synonyms: [{ name: 'log.retention.ms', value: '200000', source: 3 }] }]);
    expect(await describeKeys(2, 't', ['retention.ms', 'max.message.bytes'])).toEqual([
      { name: 'max.message.bytes', value: '3000000', configSource: 2, synonyms: expect.arrayContaining([{ name: 'message.max.bytes', value: '3000000', source: 2 }]) },
      { name: 'retention.ms', value: '200000', configSource: 3, synonyms: [{ name: 'log.retention.ms', value: '200000', source: 3 }, { name: 'log.retention.hours', value: '168', source: 5 }] },
    ]);
    // Deleting the per-broker value falls back to the static one.
    expect(await incremental('1', [{ name: 'message.max.bytes', configOperation: 1, value: null }])).toMatchObject({ errorCode: 0 });
    expect(h.metadata.brokerConfig().int('message.max.bytes')).toBe(2000000);
    expect(h.metadata.dynamicBrokerConfigs(null)).toEqual(new Map([['log.retention.ms', '200000']]));
  });

  test("Kafka's refusals: keys that are not dynamic, bad values, another broker's id", async () => {
    await withTopic();
    expect(await incremental('1', [{ name: 'log.retention.hours', configOperation: 0, value: '5' }])).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Cannot update these configs dynamically: Set(log.retention.hours)',
    });
    expect(await incremental('1', [{ name: 'log.retention.ms', configOperation: 0, value: 'abc' }])).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Invalid value abc for configuration log.retention.ms: Not a number of type LONG',
    });
    expect(await incremental('7', [{ name: 'log.retention.ms', configOperation: 0, value: '1' }])).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Unexpected broker id, expected 1, but received 7',
    });
    // Kafka accepts keys it does not know (plug-ins read their own).
    expect(await incremental('1', [{ name: 'my.plugin.setting', configOperation: 0, value: 'x' }])).toMatchObject({ errorCode: 0 });
  });
});
