/** A committed offset as the coordinator keeps it (Kafka's OffsetAndMetadata). */
export interface OffsetAndMetadata {
  offset: bigint;
  /** -1 when the committer did not know the leader epoch. */
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
  /** Only for commits that carried an explicit retention (OffsetCommit v2-v4) or were loaded from value v1. */
  expireTimestampMs: number | null;
}

/** A committed offset together with the `__consumer_offsets` offset of the record that holds it. */
export interface CommitRecord {
  topic: string;
  partition: number;
  /** Undefined until the append completes; the later record wins when a transactional and a plain commit race. */
  logOffset: bigint | undefined;
  value: OffsetAndMetadata;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Map key for a topic-partition. Topic names cannot contain NUL, so the key is unambiguous. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
