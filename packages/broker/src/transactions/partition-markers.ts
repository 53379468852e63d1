/**
 * The partition leader's half of ending a transaction: writes the COMMIT or ABORT control batch of one producer
 * into each partition of its transaction, as Kafka 3.9's KafkaApis.handleWriteTxnMarkersRequest does through
 * ReplicaManager.appendRecords (origin COORDINATOR, internal topics allowed, acks=all).
 *
 * Per partition, as Kafka answers:
 * - UNKNOWN_TOPIC_OR_PARTITION when this broker hosts no online log for it (Kafka's `getMagic` finds no log: an
 *   unknown partition, no replica here, or its log dir offline);
 * - NOT_LEADER_OR_FOLLOWER when it is hosted here but led elsewhere;
 * - otherwise the append's own error: the storage layer's producer-state checks (INVALID_PRODUCER_EPOCH for a
 *   marker older than the producer's epoch, TRANSACTION_COORDINATOR_FENCED for an older coordinator epoch),
 *   KAFKA_STORAGE_ERROR for a disk failure.
 * Once the markers of a request are written, the `__consumer_offsets` partitions that took theirs tell the group
 * coordinator to make the producer's staged offsets committed (COMMIT) or drop them (ABORT); a failure there is
 * UNKNOWN_SERVER_ERROR on those partitions, as Kafka answers it.
 *
 * Standalone: this broker is every partition's only replica, so a marker is replicated once the log has it.
 */
import { ClusterMetadata, Clock, systemClock } from '@tributary/metadata';
import { ControlRecordType, ErrorCode, TributaryError, buildControlBatch } from '@tributary/protocol';
import { AppendOrigin, KafkaStorageError, PartitionLog } from '@tributary/storage';
import type { PartitionMarkerResult, TransactionMarkerRequest, TransactionMarkerSink } from '@tributary/txn-coordinator';
import type { GroupService } from '../groups/group-service';
import { OFFSETS_TOPIC } from '../groups/offsets-topic';
import type { Logger } from '../logger';
import type { LogService } from '../logs/log-service';

export interface PartitionMarkerWriterDeps {
  logs: LogService;
  /** A function: the writer may be built before the group coordinator is started. */
  groups: () => GroupService;
  logger: Logger;
  /**
   * Who leads each partition, and the leader epoch stamped on the marker batch. Without it every partition
   * hosted here counts as led here at the epoch its log last recorded, which is what a standalone broker is.
   */
  metadata?: Pick<ClusterMetadata, 'topic' | 'localBrokerId'>;
  /** The marker records' timestamp (default: the system clock, as the broker's composition root passes). */
  clock?: Clock;
}

type LedPartition = { ok: true; log: PartitionLog; leaderEpoch: number | undefined } | { ok: false; errorCode: ErrorCode };

export class PartitionMarkerWriter implements TransactionMarkerSink {
  private readonly clock: Clock;

  constructor(private readonly deps: PartitionMarkerWriterDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  /**
   * Appends one control batch per partition (as leader); for __consumer_offsets partitions also tells the group
   * coordinator to commit or drop the producer's staged offsets. Never throws: errors per partition. A partition
   * named twice is written and answered once (Kafka keys a marker's partitions by topic-partition).
   */
  async writeMarkers(request: TransactionMarkerRequest): Promise<PartitionMarkerResult[]> {
    const results = distinct(request.partitions).map(({ topic, partition }) => ({ topic, partition, errorCode: this.writeMarker(request, topic, partition) }));
    const offsetsPartitions = results.filter((r) => r.topic === OFFSETS_TOPIC && r.errorCode === ErrorCode.NONE);
    if (offsetsPartitions.length > 0) {
      try {
        this.deps.groups().completeTransaction(
          request.producerId,
          offsetsPartitions.map((r) => r.partition),
          request.committed,
        );
      } catch (error) {
        this.deps.logger.error({ err: error, producerId: request.producerId.toString() }, 'cannot complete transactional offsets after the marker was written');
        for (const result of offsetsPartitions) result.errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
      }
    }
    return results;
  }

  private writeMarker(request: TransactionMarkerRequest, topic: string, partition: number): ErrorCode {
    const led = this.ledPartition(topic, partition);
    if (!led.ok) return led.errorCode;
    try {
      const batch = buildControlBatch({
        type: request.committed ? ControlRecordType.Commit : ControlRecordType.Abort,
        producerId: request.producerId,
        producerEpoch: request.producerEpoch,
        coordinatorEpoch: request.coordinatorEpoch,
        timestamp: BigInt(this.clock.nowMs()),
      });
      this.deps.logs.append(led.log, batch, { origin: AppendOrigin.Coordinator, leaderEpoch: led.leaderEpoch });
      return ErrorCode.NONE;
    } catch (error) {
      const fields = { err: error, topic, partition, producerId: request.producerId.toString() };
      if (error instanceof TributaryError) {
        if (error.code === ErrorCode.KAFKA_STORAGE_ERROR) this.deps.logger.error(fields, 'transaction marker not written: storage error');
        else this.deps.logger.debug(fields, 'transaction marker refused');
        return error.code;
      }
      this.deps.logger.error(fields, 'transaction marker not written');
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  private ledPartition(topic: string, partition: number): LedPartition {
    let log: PartitionLog | undefined;
    try {
      log = this.deps.logs.partition(topic, partition);
    } catch (error) {
      // An offline log dir: Kafka's getMagic finds no online log and answers the partition as unknown.
      if (error instanceof KafkaStorageError) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      throw error;
    }
    if (log === undefined) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    const { metadata } = this.deps;
    if (metadata === undefined) return { ok: true, log, leaderEpoch: log.leaderEpochCache.latestEpoch() };
    const state = metadata.topic(topic)?.partitions[partition];
    if (state === undefined) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    if (state.leaderId !== metadata.localBrokerId) return { ok: false, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    return { ok: true, log, leaderEpoch: state.leaderEpoch };
  }
}

function distinct(partitions: readonly { topic: string; partition: number }[]): { topic: string; partition: number }[] {
  const seen = new Set<string>();
  const out: { topic: string; partition: number }[] = [];
  for (const p of partitions) {
    const key = `${p.topic}\u0000${p.partition}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ topic: p.topic, partition: p.partition });
  }
  return out;
}
