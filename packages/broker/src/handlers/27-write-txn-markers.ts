/**
 * WriteTxnMarkers (key 27), versions 0-1: the inter-broker API a transaction coordinator uses to have partition
 * leaders write a transaction's COMMIT or ABORT markers. Each marker goes through the PartitionMarkerWriter (see
 * transactions/partition-markers.ts for the per-partition errors and the `__consumer_offsets` completion), in
 * request order, as Kafka's KafkaApis.handleWriteTxnMarkersRequest appends one marker after another.
 *
 * The answer is Kafka's: one result per producer id (two markers of the same producer merge into one entry),
 * a topic's partitions grouped under it, each partition once. An empty request gets an empty answer.
 * Not checked: the CLUSTER_ACTION authorization, since this broker has no authorizer.
 */
import { ApiKey, ProducerId, TopicName, WriteTxnMarkersResponse } from '@tributary/protocol';
import type { PartitionMarkerResult } from '@tributary/txn-coordinator';
import { PartitionMarkerWriter } from '../transactions/partition-markers';
import { BrokerServices, defineHandler } from './handler';

export const writeTxnMarkersHandler = defineHandler({
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, context) {
    const writer = markerWriter(context.services);
    const byProducer = new Map<bigint, Map<string, PartitionMarkerResult>>();
    for (const marker of request.markers) {
      const results = await writer.writeMarkers({
        producerId: marker.producerId,
        producerEpoch: marker.producerEpoch,
        coordinatorEpoch: marker.coordinatorEpoch,
        committed: marker.transactionResult,
        partitions: marker.topics.flatMap((topic) => topic.partitionIndexes.map((partition) => ({ topic: topic.name as string, partition }))),
      });
      let answered = byProducer.get(marker.producerId);
      if (answered === undefined) byProducer.set(marker.producerId, (answered = new Map()));
      for (const result of results) answered.set(`${result.topic}\u0000${result.partition}`, result);
    }
    return { markers: [...byProducer].map(([producerId, results]) => markerResult(producerId, [...results.values()])) };
  },
  errorResponse(request, errorCode) {
    return {
      markers: request.markers.map((marker) =>
        markerResult(
          marker.producerId,
          marker.topics.flatMap((topic) => topic.partitionIndexes.map((partition) => ({ topic: topic.name as string, partition, errorCode }))),
        ),
      ),
    };
  },
});

/** The writer over this broker's logs and group coordinator; cheap, so built per request. */
function markerWriter(services: BrokerServices): PartitionMarkerWriter {
  return new PartitionMarkerWriter({
    logs: services.logs,
    groups: () => services.groups,
    logger: services.logger,
    metadata: services.metadata,
    clock: services.clock,
  });
}

function markerResult(producerId: bigint, results: readonly PartitionMarkerResult[]): WriteTxnMarkersResponse.WritableTxnMarkerResult {
  const topics = new Map<string, WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult[]>();
  for (const result of results) {
    let partitions = topics.get(result.topic);
    if (partitions === undefined) topics.set(result.topic, (partitions = []));
    partitions.push({ partitionIndex: result.partition, errorCode: result.errorCode });
  }
  return {
    producerId: producerId as ProducerId,
    topics: [...topics].map(([name, partitions]) => ({ name: name as TopicName, partitions })),
  };
}
