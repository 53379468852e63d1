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
