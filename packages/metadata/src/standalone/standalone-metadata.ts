/**
 * Standalone metadata: this broker is the whole cluster and its own controller. The metadata lives in memory
 * and, durably, in one small JSON snapshot in the first log dir, rewritten whole on each change (temp file,
 * fsync, rename, fsync dir). Metadata changes are rare and the state small (a topic is a few hundred bytes), so
 * a snapshot is simpler than an append-only log and recovers trivially: the file is either the old or the new
 * state. `meta.properties` in every log dir carries the broker and cluster identity, as in Kafka.
 *
 * Concurrency: call from the event loop only. Every change validates and applies to memory without awaiting,
 * so two concurrent requests see each other's changes in order; only the durable write is awaited, and writes
 * are chained so that the file always ends with the latest state.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { BrokerId, ErrorCode, TopicName, TributaryError, Uuid, asBrokerId, asTopicName, randomUuid, ZERO_UUID } from '@tributary/protocol';
import { Clock } from '../clock';
import {
  ClusterMetadata,
  CreateTopicOutcome,
  DeleteTopicOutcome,
  MetadataOutcome,
  NewTopic,
  PRODUCER_ID_BLOCK_SIZE,
  ProducerIdBlock,
} from '../cluster-metadata';
import { BrokerConfig } from '../config/broker-config';
import { checkTopicConfig } from '../config/topic-configs';
import { checkDynamicBrokerConfigs } from '../config/dynamic-broker-configs';
import { BrokerEndpoint, BrokerInfo, MetadataChange, MetadataListener, PartitionState, TopicMetadata } from '../model';
import { INTERNAL_TOPICS, topicNameProblem, unifyCollisionChars } from '../topic-names';
import { readFileIfExists, writeFileDurably } from './durable-file';
import { InconsistentLogDirError, readMetaProperties, writeMetaProperties } from './meta-properties';

export const METADATA_SNAPSHOT = 'tributary-metadata.json';
const SNAPSHOT_FORMAT = 1;

export interface StandaloneMetadataOptions {
  config: BrokerConfig;
  /** Where clients reach this broker (its advertised listeners). */
  endpoints: readonly BrokerEndpoint[];
  clock: Clock;
  randomBytes: (size: number) => Buffer;
  /** Told about failures to persist (which also fail the change that caused them). */
  onPersistError?: (error: unknown) => void;
}

interface SnapshotTopic {
  name: string;
  topicId: string;
  configs: Record<string, string>;
  partitions: { partitionIndex: number; leaderId: number; leaderEpoch: number; replicas: number[]; isr: number[] }[];
}

interface Snapshot {
  format: number;
  clusterId: string;
  brokerId: number;
  topics: SnapshotTopic[];
  /** Dynamic broker configs by broker id; "" holds the cluster-wide defaults. Absent in older snapshots. */
  brokerConfigs?: Record<string, Record<string, string>>;
  /**
   * The last producer-id block reserved, as Kafka keeps it in /latest_producer_id_block (inclusive bounds, as
   * decimal strings because ids are 64-bit). Absent until the first reservation.
   */
  latestProducerIdBlock?: { brokerId: number; blockStart: string; blockEnd: string };
}

/** Producer ids are int64 but Kafka stops at Long.MAX_VALUE minus one block. */
const MAX_PRODUCER_ID = 0x7fffffffffffffffn - BigInt(PRODUCER_ID_BLOCK_SIZE);

export class ProducerIdReservationError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, message);
  }
}

/** What InitProducerId answers once the id space is used up (Kafka: UNKNOWN_SERVER_ERROR). */
export class ProducerIdsExhaustedError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.UNKNOWN_SERVER_ERROR, message);
  }
}

const ok = (): MetadataOutcome => ({ errorCode: ErrorCode.NONE, errorMessage: null });
const fail = (errorCode: ErrorCode, errorMessage: string | null): MetadataOutcome => ({ errorCode, errorMessage });

/**
 * Opens the standalone metadata of the broker configured by `options.config`: reads or creates
 * meta.properties in every log dir (all must agree), then loads the snapshot.
 */
export async function openStandaloneMetadata(options: StandaloneMetadataOptions): Promise<ClusterMetadata> {
  const { config, clock } = options;
  const logDirs = config.logDirs;
  let identity: { brokerId: number; clusterId: string } | undefined;
  const missing: string[] = [];
  for (const dir of logDirs) {
    await fs.mkdir(dir, { recursive: true });
    const meta = await readMetaProperties(dir);
    if (!meta) {
      missing.push(dir);
      continue;
    }
    if (identity && identity.clusterId !== meta.clusterId) {
      throw new InconsistentLogDirError(`log dir ${dir} belongs to cluster ${meta.clusterId}, another log dir to ${identity.clusterId}`);
    }
    if (config.brokerId !== -1 && meta.brokerId !== config.brokerId) {
      throw new InconsistentLogDirError(`log dir ${dir} belongs to broker ${meta.brokerId}, but broker.id is ${config.brokerId}`);
    }
    identity = meta;
  }
  // With broker.id unset (-1) Kafka takes a generated id above reserved.broker.max.id from ZooKeeper; the first
  // one it hands out is reserved.broker.max.id + 1, which is what a lone broker gets here.
  const brokerId = config.brokerId !== -1 ? config.brokerId : (identity?.brokerId ?? config.int('reserved.broker.max.id') + 1);
  const clusterId = identity?.clusterId ?? randomUuid(options.randomBytes);
  for (const dir of missing) await writeMetaProperties(dir, { brokerId, clusterId }, clock);

  const snapshotFile = path.join(logDirs[0], METADATA_SNAPSHOT);
  const text = await readFileIfExists(snapshotFile);
  const snapshot: Snapshot = text === undefined ? { format: SNAPSHOT_FORMAT, clusterId, brokerId, topics: [] } : parseSnapshot(text, snapshotFile);
  if (snapshot.clusterId !== clusterId) {
    throw new InconsistentLogDirError(`${snapshotFile} belongs to cluster ${snapshot.clusterId}, meta.properties to ${clusterId}`);
  }
  const dynamic = new Map(Object.entries(snapshot.brokerConfigs ?? {}).map(([entity, configs]) => [entity, new Map(Object.entries(configs))]));
  const metadata = new StandaloneMetadata(
    options,
    snapshotFile,
    asBrokerId(brokerId),
    clusterId,
    snapshot.topics.map(topicFromSnapshot),
    dynamic,
    snapshot.latestProducerIdBlock ? BigInt(snapshot.latestProducerIdBlock.blockEnd) : -1n,
  );
  if (text === undefined) await metadata.persistNow();
  return metadata;
}

function parseSnapshot(text: string, file: string): Snapshot {
  const snapshot = JSON.parse(text) as Snapshot;
  if (snapshot.format !== SNAPSHOT_FORMAT) throw new InconsistentLogDirError(`${file} has format ${snapshot.format}, expected ${SNAPSHOT_FORMAT}`);
  return snapshot;
}

function topicFromSnapshot(topic: SnapshotTopic): TopicMetadata {
  return {
    name: asTopicName(topic.name),
    topicId: topic.topicId as Uuid,
    isInternal: INTERNAL_TOPICS.has(topic.name),
    configs: new Map(Object.entries(topic.configs)),
    partitions: topic.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      leaderId: asBrokerId(p.leaderId),
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicas.map(asBrokerId),
      isr: p.isr.map(asBrokerId),
      offlineReplicas: [],
    })),
  };
}

function topicToSnapshot(topic: TopicMetadata): SnapshotTopic {
  return {
    name: topic.name,
    topicId: topic.topicId,
    configs: Object.fromEntries(topic.configs),
    partitions: topic.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      leaderId: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      replicas: [...p.replicas],
      isr: [...p.isr],
    })),
  };
}

class StandaloneMetadata implements ClusterMetadata {
  private readonly byName = new Map<string, TopicMetadata>();
  private readonly byId = new Map<Uuid, TopicMetadata>();
  private readonly listeners = new Set<MetadataListener>();
  private readonly localBroker: BrokerInfo;
  /** The effective configuration, rebuilt when dynamic configs change. */
  private effectiveConfig: BrokerConfig;
  private persistChain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly options: StandaloneMetadataOptions,
    private readonly snapshotFile: string,
    readonly localBrokerId: BrokerId,
    readonly clusterId: string,
    topics: readonly TopicMetadata[],
    /** Dynamic broker configs by entity: the broker id as text, or "" for the cluster-wide defaults. */
    private readonly dynamicConfigs: Map<string, ReadonlyMap<string, string>>,
    /** The last producer id of the latest reserved block; -1 before the first reservation. */
    private lastReservedProducerId: bigint,
  ) {
    for (const topic of topics) this.put(topic);
    this.effectiveConfig = this.buildEffectiveConfig();
    this.localBroker = { brokerId: localBrokerId, rack: options.config.string('broker.rack'), endpoints: options.endpoints };
  }

  controllerId(): BrokerId {
    return this.localBrokerId;
  }

  brokers(): readonly BrokerInfo[] {
    return [this.localBroker];
  }

  brokerConfig(): BrokerConfig {
    return this.effectiveConfig;
  }

  dynamicBrokerConfigs(brokerId: BrokerId | null): ReadonlyMap<string, string> {
    return this.dynamicConfigs.get(brokerId === null ? '' : String(brokerId)) ?? new Map();
  }

  async setBrokerConfigs(brokerId: BrokerId | null, configs: ReadonlyMap<string, string>, { validateOnly }: { validateOnly: boolean }): Promise<MetadataOutcome> {
    if (brokerId !== null && brokerId !== this.localBrokerId) {
      return fail(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${this.localBrokerId}, but received ${brokerId}`);
    }
    const problem = checkDynamicBrokerConfigs(configs);
    if (problem) return problem;
    if (validateOnly) return ok();
    const entity = brokerId === null ? '' : String(brokerId);
    if (configs.size === 0) this.dynamicConfigs.delete(entity);
    else this.dynamicConfigs.set(entity, new Map(configs));
    this.effectiveConfig = this.buildEffectiveConfig();
    return this.persist({ kind: 'brokerConfigsChanged', brokerId });
  }

  private buildEffectiveConfig(): BrokerConfig {
    const own = this.dynamicConfigs.get(String(this.localBrokerId)) ?? new Map<string, string>();
    return this.options.config.withDynamic(own, this.dynamicConfigs.get('') ?? new Map());
  }

  topics(): readonly TopicMetadata[] {
    return [...this.byName.values()];
  }

  topic(name: string): TopicMetadata | undefined {
    return this.byName.get(name);
  }

  topicById(topicId: Uuid): TopicMetadata | undefined {
    return this.byId.get(topicId);
  }

  async createTopic(spec: NewTopic, { validateOnly }: { validateOnly: boolean }): Promise<CreateTopicOutcome> {
    const nameProblem = topicNameProblem(spec.name);
    if (nameProblem) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
    if (this.byName.has(spec.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    const collision = this.collidingTopic(spec.name);
    if (collision) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${spec.name}' collides with existing topic: ${collision}`);

    const configs = new Map<string, string>();
    for (const [name, value] of spec.configs) {
      if (value === null) return fail(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${name}`);
      configs.set(name, value);
    }
    const assigned = this.assignReplicas(spec);
    if ('errorCode' in assigned) return assigned;
    for (const [name, value] of configs) {
      const problem = checkTopicConfig(name, value);
      if (problem) return fail(ErrorCode.INVALID_CONFIG, problem);
    }

    const topic: TopicMetadata = {
      name: asTopicName(spec.name),
      topicId: randomUuid(this.options.randomBytes),
      isInternal: INTERNAL_TOPICS.has(spec.name),
      configs,
      partitions: assigned.map((replicas, partitionIndex) => newPartition(partitionIndex, replicas)),
    };
    if (validateOnly) return { ...ok(), topic };
    this.put(topic);
    const outcome = await this.persist({ kind: 'topicCreated', topic });
    return outcome.errorCode === ErrorCode.NONE ? { ...outcome, topic } : outcome;
  }

  async deleteTopic(by: { name: string } | { topicId: Uuid }): Promise<DeleteTopicOutcome> {
    const topic = 'name' in by ? this.byName.get(by.name) : this.byId.get(by.topicId);
    if (!topic) {
      const errorCode = 'name' in by ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID;
      return { errorCode, errorMessage: null, name: 'name' in by ? asTopicName(by.name) : null, topicId: 'topicId' in by ? by.topicId : ZERO_UUID };
    }
    this.byName.delete(topic.name);
    this.byId.delete(topic.topicId);
    const outcome = await this.persist({ kind: 'topicDeleted', topic });
    return { ...outcome, name: topic.name, topicId: topic.topicId };
  }

  async createPartitions(
    name: string,
    count: number,
    assignments: readonly (readonly number[])[] | null,
    { validateOnly }: { validateOnly: boolean },
  ): Promise<MetadataOutcome> {
    const topic = this.byName.get(name);
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    const current = topic.partitions.length;
    if (count < current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
    if (count === current) return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
    const added = count - current;
    const replicationFactor = topic.partitions[0]?.replicas.length ?? 1;
    let newReplicas: (readonly number[])[];
    if (assignments) {
      if (assignments.length !== added) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${added} but ${assignments.length} assignments provided.`);
      }
      for (const replicas of assignments) {
        const problem = this.replicaListProblem(replicas, replicationFactor);
        if (problem) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
      }
      newReplicas = [...assignments];
    } else {
      newReplicas = Array.from({ length: added }, (_, i) => this.roundRobinReplicas(current + i, replicationFactor));
    }
    if (validateOnly) return ok();
    const updated: TopicMetadata = { ...topic, partitions: [...topic.partitions, ...newReplicas.map((replicas, i) => newPartition(current + i, replicas))] };
    this.put(updated);
    return this.persist({ kind: 'partitionsCreated', topic: updated, firstNewPartition: current });
  }

  async setTopicConfigs(name: string, configs: ReadonlyMap<string, string>, { validateOnly }: { validateOnly: boolean }): Promise<MetadataOutcome> {
    const topic = this.byName.get(name);
    if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    for (const [key, value] of configs) {
      const problem = checkTopicConfig(key, value);
      if (problem) return fail(ErrorCode.INVALID_CONFIG, problem);
    }
    if (validateOnly) return ok();
    const updated: TopicMetadata = { ...topic, configs: new Map(configs) };
    this.put(updated);
    return this.persist({ kind: 'topicConfigsChanged', topic: updated });
  }

  subscribe(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async allocateProducerIdBlock(): Promise<ProducerIdBlock> {
    const firstProducerId = this.lastReservedProducerId + 1n;
    const lastProducerId = firstProducerId + BigInt(PRODUCER_ID_BLOCK_SIZE) - 1n;
    if (lastProducerId > MAX_PRODUCER_ID) {
      throw new ProducerIdsExhaustedError(`producer ids are exhausted: the next block would end at ${lastProducerId}`);
    }
    // Taken before the write: a concurrent reservation gets the block after this one even if this write fails,
    // so no two callers can ever be handed overlapping blocks.
    this.lastReservedProducerId = lastProducerId;
    const outcome = await this.persist(undefined);
    if (outcome.errorCode !== ErrorCode.NONE) throw new ProducerIdReservationError(outcome.errorMessage ?? 'cannot reserve producer ids');
    return { assignedBrokerId: this.localBrokerId, firstProducerId, size: PRODUCER_ID_BLOCK_SIZE };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.persistChain;
  }

  /** Writes the current state; used once at first start, so that a fresh log dir has a snapshot. */
  async persistNow(): Promise<void> {
    const outcome = await this.persist(undefined);
    if (outcome.errorCode !== ErrorCode.NONE) throw new Error(outcome.errorMessage ?? 'cannot write the metadata snapshot');
  }

  private put(topic: TopicMetadata): void {
    this.byName.set(topic.name, topic);
    this.byId.set(topic.topicId, topic);
  }

  private collidingTopic(name: string): TopicName | undefined {
    const unified = unifyCollisionChars(name);
    for (const existing of this.byName.keys()) {
      if (existing !== name && unifyCollisionChars(existing) === unified) return asTopicName(existing);
    }
    return undefined;
  }

  /** The replicas of each partition of a new topic, or Kafka's error for the request's numbers. */
  private assignReplicas(spec: NewTopic): (readonly number[])[] | MetadataOutcome {
    const config = this.effectiveConfig;
    if (spec.assignments.length > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
        return fail(
          ErrorCode.INVALID_REQUEST,
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      }
      const sorted = [...spec.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      if (sorted.some((assignment, i) => assignment.partitionIndex !== i)) {
        return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
      }
      const replicationFactor = sorted[0].brokerIds.length;
      for (const { partitionIndex, brokerIds } of sorted) {
        if (brokerIds.length !== replicationFactor) {
          return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `All partitions should have the same number of replicas; partition ${partitionIndex} has ${brokerIds.length}, partition 0 has ${replicationFactor}`);
        }
        if (new Set(brokerIds).size !== brokerIds.length) {
          // Kafka prints the whole assignment as Scala renders it.
          const rendered = sorted.map((a) => `${a.partitionIndex} -> ArrayBuffer(${a.brokerIds.join(', ')})`).join(', ');
          return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Duplicate replica assignment found: HashMap(${rendered})`);
        }
        const problem = this.replicaListProblem(brokerIds, replicationFactor);
        if (problem) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
      }
      return sorted.map((assignment) => assignment.brokerIds);
    }
    const numPartitions = spec.numPartitions === -1 ? config.int('num.partitions') : spec.numPartitions;
    const replicationFactor = spec.replicationFactor === -1 ? config.int('default.replication.factor') : spec.replicationFactor;
    if (numPartitions <= 0) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    if (replicationFactor <= 0) return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    const brokerCount = this.brokers().length;
    if (replicationFactor > brokerCount) {
      return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor: ${replicationFactor} larger than available brokers: ${brokerCount}.`);
    }
    return Array.from({ length: numPartitions }, (_, partition) => this.roundRobinReplicas(partition, replicationFactor));
  }

  private replicaListProblem(brokerIds: readonly number[], replicationFactor: number): string | undefined {
    if (brokerIds.length === 0) return 'Replica assignment contains an empty list of brokers';
    if (new Set(brokerIds).size !== brokerIds.length) return `Duplicate replica assignment found: ${brokerIds.join(',')}`;
    if (brokerIds.length !== replicationFactor) return `Inconsistent replication factor between partitions, partition 0 has ${replicationFactor} while this partition has ${brokerIds.length} replicas`;
    const known = new Set<number>(this.brokers().map((broker) => broker.brokerId));
    const unknown = brokerIds.filter((id) => !known.has(id));
    if (unknown.length > 0) return `Unknown broker(s) in replica assignment: ${unknown.join(', ')}.`;
    return undefined;
  }

  private roundRobinReplicas(partition: number, replicationFactor: number): number[] {
    const ids = this.brokers().map((broker) => broker.brokerId as number).sort((a, b) => a - b);
    return Array.from({ length: replicationFactor }, (_, i) => ids[(partition + i) % ids.length]);
  }

  /**
   * Makes the current state durable, then tells listeners about `change`. The outcome is an error when the
   * write fails; the in-memory change stands (the next successful write carries it), but the caller's request
   * is not acknowledged as done.
   */
  private persist(change: MetadataChange | undefined): Promise<MetadataOutcome> {
    if (this.closed) return Promise.resolve(fail(ErrorCode.KAFKA_STORAGE_ERROR, 'the metadata store is closed'));
    const write = this.persistChain.then(() => writeFileDurably(this.snapshotFile, this.serialize()));
    this.persistChain = write.catch(() => undefined);
    return write.then(
      () => {
        if (change) for (const listener of this.listeners) listener(change);
        return ok();
      },
      (error: unknown) => {
        this.options.onPersistError?.(error);
        return fail(ErrorCode.KAFKA_STORAGE_ERROR, `cannot write ${this.snapshotFile}: ${(error as Error).message}`);
      },
    );
  }

  private serialize(): string {
    const snapshot: Snapshot = {
      format: SNAPSHOT_FORMAT,
      clusterId: this.clusterId,
      brokerId: this.localBrokerId,
      topics: [...this.byName.values()].map(topicToSnapshot),
      brokerConfigs: Object.fromEntries([...this.dynamicConfigs].map(([entity, configs]) => [entity, Object.fromEntries(configs)])),
    };
    if (this.lastReservedProducerId >= 0n) {
      snapshot.latestProducerIdBlock = {
        brokerId: this.localBrokerId,
        blockStart: String(this.lastReservedProducerId - BigInt(PRODUCER_ID_BLOCK_SIZE) + 1n),
        blockEnd: String(this.lastReservedProducerId),
      };
    }
    return JSON.stringify(snapshot, null, 1) + '\n';
  }
}


function newPartition(partitionIndex: number, replicas: readonly number[]): PartitionState {
  const brokerIds = replicas.map(asBrokerId);
  return { partitionIndex, leaderId: brokerIds[0], leaderEpoch: 0, replicas: brokerIds, isr: brokerIds, offlineReplicas: [] };
}
