/**
 * The broker configuration keys Tributary knows, with Kafka 3.9's defaults and types. A key in this table is
 * accepted in server.properties and `--override`; a key outside it is reported as unknown (Kafka warns about
 * such keys too, and so do we, rather than refusing to start). Several keys are accepted only so that Kafka's
 * own sample server.properties starts cleanly (thread counts, ZooKeeper settings in standalone mode): they are
 * marked `used: false`, and the start-up log says they are ignored.
 */
import { ConfigDef, ConfigType, atLeast, between, eachOneOf, oneOf } from './config-def';

export interface BrokerConfigDef extends ConfigDef {
  /** False for keys Tributary accepts but does not act on (yet). */
  used: boolean;
  /** Kafka defines the key as internal: it is taken from server.properties, but DescribeConfigs lists it only when set. */
  internal?: boolean;
}

const LONG_MAX = '9223372036854775807';
const INT_MAX = '2147483647';

function key(name: string, type: ConfigType, defaultValue: string | null, extra: Partial<BrokerConfigDef> = {}): BrokerConfigDef {
  return { name, type, defaultValue, used: true, ...extra };
}

function unused(name: string, type: ConfigType, defaultValue: string | null, extra: Partial<BrokerConfigDef> = {}): BrokerConfigDef {
  return key(name, type, defaultValue, { ...extra, used: false });
}

const { Boolean: BOOL, String: STR, Int: INT, Short: SHORT, Long: LONG, Double: DOUBLE, List: LIST, Class: CLASS, Password: PASSWORD } = ConfigType;

export const BROKER_CONFIG_DEFS: readonly BrokerConfigDef[] = [
  // Identity and listeners.
  key('broker.id', INT, '-1', { validate: atLeast(-1) }),
  key('listeners', LIST, 'PLAINTEXT://:9092'),
  key('advertised.listeners', LIST, null),
  key('listener.security.protocol.map', STR, 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT'),
  unused('inter.broker.listener.name', STR, null),
  unused('security.inter.broker.protocol', STR, 'PLAINTEXT'),
  key('broker.rack', STR, null),
  unused('broker.id.generation.enable', BOOL, 'true'),
  unused('reserved.broker.max.id', INT, '1000'),
  // Log directories and the log's defaults for every topic.
  key('log.dirs', LIST, null),
  key('log.dir', STR, '/tmp/kafka-logs'),
  key('num.partitions', INT, '1', { validate: atLeast(1) }),
  key('default.replication.factor', INT, '1', { validate: atLeast(1) }),
  key('log.retention.hours', INT, '168'),
  key('log.retention.minutes', INT, null),
  key('log.retention.ms', LONG, null),
  key('log.retention.bytes', LONG, '-1'),
  key('log.retention.check.interval.ms', LONG, '300000', { validate: atLeast(1) }),
  key('log.segment.bytes', INT, '1073741824', { validate: atLeast(14) }),
  key('log.segment.delete.delay.ms', LONG, '60000', { validate: atLeast(0) }),
  key('log.roll.hours', INT, '168', { validate: atLeast(1) }),
  key('log.roll.ms', LONG, null),
  key('log.roll.jitter.hours', INT, '0', { validate: atLeast(0) }),
  key('log.roll.jitter.ms', LONG, null),
  key('log.index.size.max.bytes', INT, '10485760', { validate: atLeast(4) }),
  key('log.index.interval.bytes', INT, '4096', { validate: atLeast(0) }),
  key('log.flush.interval.messages', LONG, LONG_MAX, { validate: atLeast(1) }),
  key('log.flush.interval.ms', LONG, null),
  key('log.flush.scheduler.interval.ms', LONG, LONG_MAX),
  key('log.flush.offset.checkpoint.interval.ms', INT, '60000', { validate: atLeast(0) }),
  key('log.flush.start.offset.checkpoint.interval.ms', INT, '60000', { validate: atLeast(0) }),
  key('log.cleanup.policy', LIST, 'delete', { validate: eachOneOf('delete', 'compact') }),
  key('log.cleaner.enable', BOOL, 'true'),
  key('log.cleaner.threads', INT, '1', { validate: atLeast(0) }),
  key('log.cleaner.delete.retention.ms', LONG, '86400000', { validate: atLeast(0) }),
  key('log.cleaner.min.compaction.lag.ms', LONG, '0', { validate: atLeast(0) }),
  key('log.cleaner.max.compaction.lag.ms', LONG, LONG_MAX, { validate: atLeast(1) }),
  key('log.cleaner.min.cleanable.ratio', DOUBLE, '0.5', { validate: between(0, 1) }),
  key('log.cleaner.backoff.ms', LONG, '15000', { validate: atLeast(0) }),
  key('log.cleaner.dedupe.buffer.size', LONG, '134217728'),
  key('log.preallocate', BOOL, 'false'),
  key('log.message.timestamp.type', STR, 'CreateTime', { validate: oneOf('CreateTime', 'LogAppendTime') }),
  key('log.message.timestamp.difference.max.ms', LONG, LONG_MAX, { validate: atLeast(0) }),
  key('log.message.timestamp.before.max.ms', LONG, LONG_MAX, { validate: atLeast(0) }),
  key('log.message.timestamp.after.max.ms', LONG, LONG_MAX, { validate: atLeast(0) }),
  key('log.message.downconversion.enable', BOOL, 'true'),
  key('log.message.format.version', STR, '3.0-IV1'),
  key('log.local.retention.ms', LONG, '-2', { validate: atLeast(-2) }),
  key('log.local.retention.bytes', LONG, '-2', { validate: atLeast(-2) }),
  key('compression.type', STR, 'producer', { validate: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer') }),
  key('compression.gzip.level', INT, '-1', { validate: between(-1, 9) }),
  key('compression.lz4.level', INT, '9', { validate: between(1, 17) }),
  key('compression.zstd.level', INT, '3', { validate: between(-131072, 22) }),
  key('message.max.bytes', INT, '1048588', { validate: atLeast(0) }),
  key('min.insync.replicas', INT, '1', { validate: atLeast(1) }),
  key('unclean.leader.election.enable', BOOL, 'false'),
  key('num.recovery.threads.per.data.dir', INT, '1', { validate: atLeast(1), used: false }),
  // Topic management.
  key('auto.create.topics.enable', BOOL, 'true'),
  key('delete.topic.enable', BOOL, 'true'),
  unused('auto.leader.rebalance.enable', BOOL, 'true'),
  // Network.
  key('socket.request.max.bytes', INT, '104857600', { validate: atLeast(1) }),
  key('socket.send.buffer.bytes', INT, '102400'),
  key('socket.receive.buffer.bytes', INT, '102400'),
  key('queued.max.requests', INT, '500', { validate: atLeast(1) }),
  key('connections.max.idle.ms', LONG, '600000'),
  unused('max.connections', INT, INT_MAX, { validate: atLeast(0) }),
  unused('max.connections.per.ip', INT, INT_MAX, { validate: atLeast(0) }),
  unused('num.network.threads', INT, '3', { validate: atLeast(1) }),
  unused('num.io.threads', INT, '8', { validate: atLeast(1) }),
  unused('background.threads', INT, '10', { validate: atLeast(1) }),
  key('fetch.max.bytes', INT, '57671680', { validate: atLeast(1024) }),
  key('max.incremental.fetch.session.cache.slots', INT, '1000', { validate: atLeast(0) }),
  // Replication (a single broker has no followers; kept so that configs from a cluster start).
  unused('num.replica.fetchers', INT, '1'),
  unused('replica.lag.time.max.ms', LONG, '30000'),
  unused('replica.fetch.max.bytes', INT, '1048576', { validate: atLeast(0) }),
  unused('controlled.shutdown.enable', BOOL, 'true'),
  unused('inter.broker.protocol.version', STR, '3.9-IV0'),
  // Consumer groups and offsets.
  key('offsets.topic.num.partitions', INT, '50', { validate: atLeast(1) }),
  key('offsets.topic.replication.factor', SHORT, '3', { validate: atLeast(1) }),
  key('offsets.topic.segment.bytes', INT, '104857600', { validate: atLeast(1) }),
  key('offsets.retention.minutes', INT, '10080', { validate: atLeast(1) }),
  key('offsets.retention.check.interval.ms', LONG, '600000', { validate: atLeast(1) }),
  key('offsets.commit.timeout.ms', INT, '5000', { validate: atLeast(1) }),
  key('offset.metadata.max.bytes', INT, '4096'),
  key('group.initial.rebalance.delay.ms', INT, '3000'),
  key('group.min.session.timeout.ms', INT, '6000'),
  key('group.max.session.timeout.ms', INT, '1800000'),
  key('group.max.size', INT, INT_MAX, { validate: atLeast(1) }),
  // Transactions and idempotence.
  key('transaction.state.log.num.partitions', INT, '50', { validate: atLeast(1) }),
  key('transaction.state.log.replication.factor', SHORT, '3', { validate: atLeast(1) }),
  key('transaction.state.log.min.isr', INT, '2', { validate: atLeast(1) }),
  key('transaction.state.log.segment.bytes', INT, '104857600', { validate: atLeast(1) }),
  key('transaction.max.timeout.ms', INT, '900000', { validate: atLeast(1) }),
  key('transactional.id.expiration.ms', INT, '604800000', { validate: atLeast(1) }),
  key('transaction.abort.timed.out.transaction.cleanup.interval.ms', INT, '10000', { validate: atLeast(1) }),
  key('transaction.remove.expired.transaction.cleanup.interval.ms', INT, '3600000', { validate: atLeast(1) }),
  key('producer.id.expiration.ms', INT, '86400000', { validate: atLeast(1) }),
  key('producer.id.expiration.check.interval.ms', INT, '600000', { validate: atLeast(1), internal: true }),
  // KIP-890: checked by Produce and TxnOffsetCommit before a transaction first writes to a partition.
  key('transaction.partition.verification.enable', BOOL, 'true'),
  // ZooKeeper: read by the ZooKeeper metadata mode (a later issue); ignored by standalone.
  unused('zookeeper.connect', STR, null),
  unused('zookeeper.connection.timeout.ms', INT, null),
  unused('zookeeper.session.timeout.ms', INT, '18000'),
  unused('zookeeper.set.acl', BOOL, 'false'),
  // KRaft identity keys: known so that a KRaft properties file gets a clear "ignored" rather than "unknown".
  unused('process.roles', LIST, ''),
  unused('node.id', INT, '-1'),
  unused('controller.quorum.voters', LIST, ''),
  unused('controller.listener.names', STR, null),
  // Security plug-ins Tributary does not load: accepted so that a file naming the defaults starts.
  unused('authorizer.class.name', STR, ''),
  unused('ssl.keystore.password', PASSWORD, null),
  unused('principal.builder.class', CLASS, null),
];

export const BROKER_CONFIGS: ReadonlyMap<string, BrokerConfigDef> = new Map(BROKER_CONFIG_DEFS.map((def) => [def.name, def]));
