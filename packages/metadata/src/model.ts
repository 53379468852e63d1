/**
 * The cluster's metadata as the rest of the system reads it. These are plain immutable values: a reader gets a
 * consistent picture, and a change produces new values rather than mutating ones a caller may hold.
 */
import { BrokerId, TopicName, Uuid } from '@tributary/protocol';

export interface BrokerEndpoint {
  listenerName: string;
  host: string;
  port: number;
  securityProtocol: string;
}

export interface BrokerInfo {
  brokerId: BrokerId;
  rack: string | null;
  /** Where clients reach this broker, one per listener (from `advertised.listeners`). */
  endpoints: readonly BrokerEndpoint[];
}

export interface PartitionState {
  partitionIndex: number;
  leaderId: BrokerId;
  /** Incremented each time the partition's leader changes; fencing for clients (KIP-320). */
  leaderEpoch: number;
  replicas: readonly BrokerId[];
  isr: readonly BrokerId[];
  offlineReplicas: readonly BrokerId[];
}

export interface TopicMetadata {
  name: TopicName;
  topicId: Uuid;
  isInternal: boolean;
  partitions: readonly PartitionState[];
  /** The topic's own config overrides (not the defaults it inherits). */
  configs: ReadonlyMap<string, string>;
}

/** What a metadata change did, for listeners (the log layer creates and deletes partition logs from these). */
export type MetadataChange =
  | { kind: 'topicCreated'; topic: TopicMetadata }
  | { kind: 'topicDeleted'; topic: TopicMetadata }
  | { kind: 'partitionsCreated'; topic: TopicMetadata; firstNewPartition: number }
  | { kind: 'topicConfigsChanged'; topic: TopicMetadata }
  | { kind: 'brokerConfigsChanged'; brokerId: BrokerId | null };

export type MetadataListener = (change: MetadataChange) => void;
