/**
 * Which endpoint of each broker a client is told about: the one on the listener the request arrived on, as
 * Kafka answers Metadata and DescribeCluster. A broker without that listener is left out.
 */
import { BrokerId } from '@tributary/protocol';
import { ClusterMetadata } from '@tributary/metadata';

export interface AdvertisedBroker {
  brokerId: BrokerId;
  host: string;
  port: number;
  rack: string | null;
}

export function brokersOnListener(metadata: ClusterMetadata, listenerName: string): AdvertisedBroker[] {
  const result: AdvertisedBroker[] = [];
  for (const broker of metadata.brokers()) {
    const endpoint = broker.endpoints.find((candidate) => candidate.listenerName === listenerName);
    if (endpoint) result.push({ brokerId: broker.brokerId, host: endpoint.host, port: endpoint.port, rack: broker.rack });
  }
  return result;
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
