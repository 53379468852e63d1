/** The broker settings the classic group coordinator reads, with Kafka 3.9's defaults. */
export interface GroupCoordinatorConfig {
  /** `offsets.topic.num.partitions`: fixed once `__consumer_offsets` exists. */
  offsetsTopicNumPartitions: number;
  /** `group.min.session.timeout.ms`. */
  groupMinSessionTimeoutMs: number;
  /** `group.max.session.timeout.ms`. */
  groupMaxSessionTimeoutMs: number;
  /** `group.initial.rebalance.delay.ms`: how long the first rebalance of an Empty group waits for more members. */
  groupInitialRebalanceDelayMs: number;
  /** `group.max.size`. */
  groupMaxSize: number;
  /** `offset.metadata.max.bytes`: longer commit metadata gets OFFSET_METADATA_TOO_LARGE. */
  offsetMetadataMaxBytes: number;
  /** `offsets.retention.minutes`, in milliseconds. */
  offsetsRetentionMs: number;
  /** `offsets.retention.check.interval.ms`. */
  offsetsRetentionCheckIntervalMs: number;
  /** A member that joined but has not yet completed a join phase is dropped after this long (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
  /**
   * Tributary's own bound on members waiting for their second JoinGroup (KIP-394). Kafka lets them pile up for a
   * session timeout each; a join storm could then hold unbounded memory, so beyond this many the join is refused
   * with the retriable COORDINATOR_NOT_AVAILABLE and the client retries after its backoff.
   */
  maxPendingMembersPerGroup: number;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: Readonly<GroupCoordinatorConfig> = Object.freeze({
  offsetsTopicNumPartitions: 50,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3_000,
  groupMaxSize: 2_147_483_647,
  offsetMetadataMaxBytes: 4_096,
  offsetsRetentionMs: 10_080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  newMemberJoinTimeoutMs: 300_000,
  maxPendingMembersPerGroup: 10_000,
});
