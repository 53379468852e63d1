/**
 * Kafka's KafkaApis checks, before the group coordinator sees an OffsetCommit or OffsetDelete, that each
 * partition exists; the others are answered UNKNOWN_TOPIC_OR_PARTITION in a response builder that then merges
 * the coordinator's answer. These helpers do both halves: split a request's topics into the known part (for the
 * coordinator) and the refused partitions, and merge answers in the order Kafka's builders produce (topics in
 * the order first seen, refused ones first; partitions of a topic appended).
 */
import { ErrorCode, TopicName } from '@tributary/protocol';
import { ClusterMetadata } from '@tributary/metadata';

interface RequestTopic<P extends { partitionIndex: number }> {
  name: TopicName;
  partitions: P[];
}

export interface ResponseTopic {
  name: TopicName;
  partitions: { partitionIndex: number; errorCode: number }[];
}

export interface SplitTopics<T> {
  known: T[];
  refused: ResponseTopic[];
}

export function splitKnownPartitions<P extends { partitionIndex: number }, T extends RequestTopic<P>>(
  metadata: ClusterMetadata,
  topics: readonly T[],
): SplitTopics<T> {
  const known: T[] = [];
  const refused: ResponseTopic[] = [];
  for (const topic of topics) {
    const partitionCount = metadata.topic(topic.name)?.partitions.length ?? 0;
    const kept = topic.partitions.filter((partition) => partition.partitionIndex >= 0 && partition.partitionIndex < partitionCount);
    const dropped = topic.partitions.filter((partition) => !kept.includes(partition));
    if (dropped.length > 0) {
      addPartitions(refused, topic.name, dropped.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })));
    }
    if (kept.length > 0) known.push({ ...topic, partitions: kept });
  }
  return { known, refused };
}

/** Every partition of `topics` answered with `errorCode`: OffsetCommit's and TxnOffsetCommit's error response. */
export function answerEveryPartition<P extends { partitionIndex: number }>(topics: readonly RequestTopic<P>[], errorCode: number): ResponseTopic[] {
  return topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => ({ partitionIndex: partition.partitionIndex, errorCode })) }));
}

/** Merges `answered` into `into` as Kafka's OffsetCommit/OffsetDelete response builders' merge() does. */
export function mergeTopics<R extends ResponseTopic>(into: ResponseTopic[], answered: readonly R[]): R[] {
  const merged = into.map((topic) => ({ ...topic, partitions: [...topic.partitions] })) as R[];
  for (const topic of answered) {
    const existing = merged.find((candidate) => candidate.name === topic.name);
    if (existing === undefined) merged.push(topic);
    else existing.partitions.push(...topic.partitions);
  }
  return merged;
}

function addPartitions(topics: ResponseTopic[], name: TopicName, partitions: ResponseTopic['partitions']): void {
  const existing = topics.find((topic) => topic.name === name);
  if (existing === undefined) topics.push({ name, partitions });
  else existing.partitions.push(...partitions);
}
