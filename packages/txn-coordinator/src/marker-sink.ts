/**
 * The port through which the coordinator writes COMMIT/ABORT markers to the partitions of a transaction. The
 * broker implements it with its PartitionMarkerWriter (the same shape, declared here so that this package does
 * not depend on the broker); tests use a fake.
 */
export interface TransactionMarkerRequest {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** true: COMMIT markers; false: ABORT markers. */
  committed: boolean;
  partitions: readonly { topic: string; partition: number }[];
}

export interface PartitionMarkerResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export interface TransactionMarkerSink {
  /** Writes one marker per partition; never rejects: failures come back per partition. */
  writeMarkers(request: TransactionMarkerRequest): Promise<PartitionMarkerResult[]>;
}
