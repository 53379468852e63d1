import { BrokerConfig, ConfigSource, InvalidConfigError, resolveTopicConfigs, checkTopicConfig, parseListeners } from '../src';

describe('BrokerConfig', () => {
  test("Kafka's defaults apply to keys not given", () => {
    const config = BrokerConfig.of();
    expect(config.int('num.partitions')).toBe(1);
    expect(config.int('message.max.bytes')).toBe(1048588);
    expect(config.int('socket.request.max.bytes')).toBe(104857600);
    expect(config.bool('auto.create.topics.enable')).toBe(true);
    expect(config.list('listeners')).toEqual(['PLAINTEXT://:9092']);
    expect(config.logDirs).toEqual(['/tmp/kafka-logs']);
    expect(config.optionalNumber('log.retention.ms')).toBeUndefined();
  });

  test('log.dirs wins over log.dir', () => {
    expect(BrokerConfig.of({ 'log.dir': '/a' }).logDirs).toEqual(['/a']);
    expect(BrokerConfig.of({ 'log.dir': '/a', 'log.dirs': '/b, /c' }).logDirs).toEqual(['/b', '/c']);
  });

  test('unknown keys are returned for a warning, Kafka-only keys are reported as ignored', () => {
    const { unknownKeys, ignoredKeys } = BrokerConfig.build({ 'no.such.key': '1', 'zookeeper.connect': 'localhost:2181', 'num.partitions': '3' });
    expect(unknownKeys).toEqual(['no.such.key']);
    expect(ignoredKeys).toEqual(['zookeeper.connect']);
  });

  test('every invalid value is reported at once, saying what was expected', () => {
    let error: unknown;
    try {
      BrokerConfig.build({ 'num.partitions': '0', 'auto.create.topics.enable': 'yes', 'log.segment.bytes': 'big', 'compression.type': 'brotli' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).problems).toEqual([
      'Invalid value 0 for configuration num.partitions: Value must be at least 1',
      'Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false',
      'Invalid value big for configuration log.segment.bytes: Not a number of type INT',
      'Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer',
    ]);
    expect((error as InvalidConfigError).code).toBe(40);
  });

  test('a dynamic key hides the static values of its synonym group, as Kafka merges the layers', () => {
    const config = BrokerConfig.of({ 'log.retention.hours': '72', 'message.max.bytes': '2000000' }).withDynamic(new Map([['message.max.bytes', '3000000']]), new Map([['log.retention.ms', '1000']]));
    expect(config.text('log.retention.ms')).toBe('1000');
    // Hidden by the dynamic log.retention.ms: reads as its default again.
    expect(config.text('log.retention.hours')).toBe('168');
    expect(config.int('message.max.bytes')).toBe(3000000);
    expect(config.synonyms(['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], 'log.retention.hours')).toEqual([
      { name: 'log.retention.hours', value: '72', source: ConfigSource.StaticBrokerConfig },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DefaultConfig },
    ]);
    expect(config.text('log.flush.interval.messages')).toBe('9223372036854775807');
  });

  test("Kafka's own sample server.properties keys are all known", () => {
    const sample = {
      'broker.id': '0',
      'num.network.threads': '3',
      'num.io.threads': '8',
      'socket.send.buffer.bytes': '102400',
      'socket.receive.buffer.bytes': '102400',
      'socket.request.max.bytes': '104857600',
      'log.dirs': '/tmp/kafka-logs',
      'num.partitions': '1',
      'num.recovery.threads.per.data.dir': '1',
      'offsets.topic.replication.factor': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'log.retention.hours': '168',
      'log.retention.check.interval.ms': '300000',
      'zookeeper.connect': 'localhost:2181',
      'zookeeper.connection.timeout.ms': '18000',
      'group.initial.rebalance.delay.ms': '0',
    };
    expect(BrokerConfig.build(sample).unknownKeys).toEqual([]);
  });
});

describe('topic configs', () => {
  test('a topic inherits from broker synonyms, converted to its unit, and says where each value came from', () => {
    const broker = BrokerConfig.of({ 'log.retention.hours': '2', 'message.max.bytes': '2000000', 'log.roll.ms': '5000' });
    const resolved = new Map(resolveTopicConfigs(new Map([['cleanup.policy', 'compact']]), broker).map((config) => [config.name, config]));
    expect(resolved.get('retention.ms')).toEqual({
      name: 'retention.ms',
      value: '7200000',
      // A secondary key (hours) gives the value but Kafka reports it as the default, with no synonyms: only the
      // primary key log.retention.ms counts as a static broker config, and it has no default of its own.
      source: ConfigSource.DefaultConfig,
      synonyms: [],
    });
    expect(resolved.get('segment.ms')).toEqual({
      name: 'segment.ms',
      value: '5000',
      source: ConfigSource.StaticBrokerConfig,
      // Once the primary key has an entry, the rest of the group follows it, defaults included.
      synonyms: [
        { name: 'log.roll.ms', value: '5000', source: ConfigSource.StaticBrokerConfig },
        { name: 'log.roll.hours', value: '168', source: ConfigSource.DefaultConfig },
      ],
    });
    expect(resolved.get('max.message.bytes')).toEqual({
      name: 'max.message.bytes',
      value: '2000000',
      source: ConfigSource.StaticBrokerConfig,
      synonyms: [
        { name: 'message.max.bytes', value: '2000000', source: ConfigSource.StaticBrokerConfig },
        { name: 'message.max.bytes', value: '1048588', source: ConfigSource.DefaultConfig },
      ],
    });
    expect(resolved.get('cleanup.policy')).toEqual({
      name: 'cleanup.policy',
      value: 'compact',
      source: ConfigSource.TopicConfig,
      synonyms: [
        { name: 'cleanup.policy', value: 'compact', source: ConfigSource.TopicConfig },
        { name: 'log.cleanup.policy', value: 'delete', source: ConfigSource.DefaultConfig },
      ],
    });
  });

  test("checks use Kafka's INVALID_CONFIG messages", () => {
    expect(checkTopicConfig('retention.ms', '1000')).toBeUndefined();
    expect(checkTopicConfig('retention.mss', '1000')).toBe('Unknown topic config name: retention.mss');
    expect(checkTopicConfig('segment.bytes', '10')).toBe('Invalid value 10 for configuration segment.bytes: Value must be at least 14');
    expect(checkTopicConfig('cleanup.policy', 'compact,delete')).toBeUndefined();
    expect(checkTopicConfig('cleanup.policy', 'archive')).toMatch(/cleanup.policy/);
  });
});

describe('listeners', () => {
  test('parses names, empty hosts, IPv6 and maps security protocols', () => {
    const map = 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT';
    expect(parseListeners(['PLAINTEXT://:9092', 'internal://[::1]:9093'], map)).toEqual([
      { name: 'PLAINTEXT', host: '', port: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'INTERNAL', host: '::1', port: 9093, securityProtocol: 'PLAINTEXT' },
    ]);
    expect(() => parseListeners(['localhost:9092'], map)).toThrow('not of the form NAME://host:port');
    expect(() => parseListeners(['SSL://:9092'], map)).toThrow('SSL is not in listener.security.protocol.map');
    expect(() => parseListeners(['PLAINTEXT://:1', 'PLAINTEXT://:2'], map)).toThrow('more than once');
  });
});
