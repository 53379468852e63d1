/**
 * Which endpoint of each broker a client is told about: the one on the listener the request arrived on, as
 * Kafka answers Metadata and DescribeCluster. A broker without that listener is left out.
 */
import { BrokerId } from '@tributary/protocol';
import { BrokerInfo, ClusterMetadata } from '@tributary/metadata';

export interface AdvertisedBroker {
  brokerId: BrokerId;
  host: string;
  port: number;
  rack: string | null;
}

export function brokersOnListener(metadata: ClusterMetadata, listenerName: string): AdvertisedBroker[] {
  const result: AdvertisedBroker[] = [];
  for (const broker of metadata.brokers()) {
    const advertised = onListener(broker, listenerName);
    if (advertised) result.push(advertised);
  }
  return result;
}

/** One broker's endpoint on `listenerName` (FindCoordinator's answer), or undefined without one. */
export function brokerOnListener(metadata: ClusterMetadata, listenerName: string, brokerId: number): AdvertisedBroker | undefined {
  const broker = metadata.brokers().find((candidate) => candidate.brokerId === brokerId);
  return broker && onListener(broker, listenerName);
}

function onListener(broker: BrokerInfo, listenerName: string): AdvertisedBroker | undefined {
  const endpoint = broker.endpoints.find((candidate) => candidate.listenerName === listenerName);
  return endpoint && { brokerId: broker.brokerId, host: endpoint.host, port: endpoint.port, rack: broker.rack };
}

/**
 * The endpoints (on `listenerName`) of the brokers named as current leaders in a Produce (v10+) or Fetch (v16+)
 * answer, KIP-951's node endpoints. Most answers name none, and then the broker list is not walked at all.
 */
export function leaderEndpoints(
  metadata: ClusterMetadata,
  listenerName: string,
  leaderIds: ReadonlySet<number>,
): { nodeId: BrokerId; host: string; port: number; rack: string | null }[] {
  if (leaderIds.size === 0) return [];
  return brokersOnListener(metadata, listenerName)
    .filter((broker) => leaderIds.has(broker.brokerId))
    .map((broker) => ({ nodeId: broker.brokerId, host: broker.host, port: broker.port, rack: broker.rack }));
}
