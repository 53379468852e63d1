/**
 * The one interface through which the rest of Tributary reads and changes cluster metadata. Two
 * implementations: standalone (this broker is its own controller and keeps the metadata in its log dir) and,
 * later, ZooKeeper (Kafka's znode layout). Nothing outside this package knows which one runs.
 *
 * Reads are synchronous and served from memory: a request handler sees one consistent picture for as long as
 * it does not await. Changes are asynchronous: a change resolves once it is durable, and its outcome is a value
 * with a Kafka error code, never an exception, so a handler can put it straight into its response.
 */
import { BrokerId, TopicName, Uuid } from '@tributary/protocol';
import { BrokerConfig } from './config/broker-config';
import { BrokerInfo, MetadataListener, TopicMetadata } from './model';

/** The outcome of a change: Kafka's error code (0 for success) and its message. */
export interface MetadataOutcome {
  errorCode: number;
  errorMessage: string | null;
}

export interface NewTopic {
  name: string;
  /** -1: the broker's `num.partitions`. */
  numPartitions: number;
  /** -1: the broker's `default.replication.factor`. */
  replicationFactor: number;
  /** Explicit replica assignment by partition index; empty to let the controller assign. */
  assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
  configs: ReadonlyMap<string, string | null>;
}

export interface CreateTopicOutcome extends MetadataOutcome {
  /** The topic as created (or as it would be, for validateOnly); absent on error. */
  topic?: TopicMetadata;
}

export interface DeleteTopicOutcome extends MetadataOutcome {
  name: TopicName | null;
  topicId: Uuid;
}

/**
 * A range of producer ids reserved for one broker (Kafka's ProducerIdsBlock): the transaction coordinator hands
 * them out to InitProducerId callers. Reservations are durable and increasing, so an id is never given twice,
 * not even across restarts (a broker that restarts reserves a fresh block and abandons the rest of the old one).
 */
export interface ProducerIdBlock {
  assignedBrokerId: BrokerId;
  firstProducerId: bigint;
  size: number;
}

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE: how many ids one reservation takes. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export interface ClusterMetadata {
  readonly clusterId: string;
  /** The broker this process runs. */
  readonly localBrokerId: BrokerId;
  /** The active controller, or -1 when none is known. */
  controllerId(): BrokerId;
  brokers(): readonly BrokerInfo[];
  /** The effective configuration of the local broker: its static configs under its dynamic ones. */
  brokerConfig(): BrokerConfig;
  /** The dynamic configs of the local broker (its id), or the cluster-wide dynamic defaults (null). */
  dynamicBrokerConfigs(brokerId: BrokerId | null): ReadonlyMap<string, string>;
  /**
   * Replaces the dynamic configs of the local broker (its id) or the cluster-wide defaults (null), after
   * checking them as Kafka does (checkDynamicBrokerConfigs).
   */
  setBrokerConfigs(brokerId: BrokerId | null, configs: ReadonlyMap<string, string>, options: { validateOnly: boolean }): Promise<MetadataOutcome>;

  topics(): readonly TopicMetadata[];
  topic(name: string): TopicMetadata | undefined;
  topicById(topicId: Uuid): TopicMetadata | undefined;

  /** Creates a topic; with validateOnly, checks everything and reports what would be created. */
  createTopic(spec: NewTopic, options: { validateOnly: boolean }): Promise<CreateTopicOutcome>;
  deleteTopic(by: { name: string } | { topicId: Uuid }): Promise<DeleteTopicOutcome>;
  /** Raises a topic's partition count to `count`; `assignments` gives the replicas of each new partition. */
  createPartitions(
    name: string,
    count: number,
    assignments: readonly (readonly number[])[] | null,
    options: { validateOnly: boolean },
  ): Promise<MetadataOutcome>;
  /**
   * Replaces a topic's config overrides with `configs` (validated first). Null values are not overrides and
   * are removed.
   */
  setTopicConfigs(name: string, configs: ReadonlyMap<string, string>, options: { validateOnly: boolean }): Promise<MetadataOutcome>;

  /**
   * Reserves the next block of PRODUCER_ID_BLOCK_SIZE producer ids for the local broker, durably. Rejects with
   * a TributaryError (KAFKA_STORAGE_ERROR) when the reservation cannot be made durable; nothing is handed out then.
   */
  allocateProducerIdBlock(): Promise<ProducerIdBlock>;

  /** Called after each change has been applied and made durable. Returns a function that unsubscribes. */
  subscribe(listener: MetadataListener): () => void;
  close(): Promise<void>;
}
