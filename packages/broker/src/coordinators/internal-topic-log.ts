/**
 * A coordinator's CoordinatorLog over this broker's partition logs of one internal topic (`__consumer_offsets`
 * for the group coordinator, `__transaction_state` for the transaction coordinator). Appends go through the
 * leader path of PartitionLog (offsets assigned, validated, stamped with the leader epoch) as the coordinator's
 * own writes; reads replay a partition from an offset to its log end, in bounded chunks so a large partition
 * never sits in memory whole. The end is looked at again after each chunk, as Kafka's loaders do (their log end
 * is read anew on each turn of the loop): a transaction marker written while the partition loads (the only
 * write a loading partition takes) is replayed rather than missed.
 */
import { BatchField, ErrorCode, TributaryError, iterateRecordSet } from '@tributary/protocol';
import { AppendOrigin, FetchIsolation, PartitionLog } from '@tributary/storage';
import { CoordinatorLog } from '@tributary/group-coordinator';
import type { ClusterMetadata } from '@tributary/metadata';
import type { LogService } from '../logs/log-service';

/**
 * How much of a partition one replay step reads: Kafka's `offsets.load.buffer.size` and
 * `transaction.state.log.load.buffer.size` both default to 5 MiB.
 */
const LOAD_BUFFER_BYTES = 5 * 1024 * 1024;

export interface InternalTopicLogOptions {
  /** The internal topic whose partitions this log reads and appends. */
  topic: string;
  /** The broker's logs: appends go through it so that Fetch long polls on the topic wake. */
  logs: Pick<LogService, 'partition' | 'append'>;
  /** Where each partition's current leader epoch, stamped on the coordinator's batches, is read. */
  metadata: Pick<ClusterMetadata, 'topic'>;
}

export class InternalTopicLog implements CoordinatorLog {
  constructor(private readonly options: InternalTopicLogOptions) {}

  async append(partition: number, batch: Buffer): Promise<bigint> {
    const log = this.logOrThrow(partition);
    const leaderEpoch = this.options.metadata.topic(this.options.topic)?.partitions[partition]?.leaderEpoch;
    // Standalone: the broker is the only replica, so an append is committed once the log has it (acks=all).
    const result = this.options.logs.append(log, batch, { origin: AppendOrigin.Coordinator, leaderEpoch });
    return result.firstOffset;
  }

  async *read(partition: number, fromOffset: bigint): AsyncIterable<Buffer> {
    const log = this.logOrThrow(partition);
    let offset = fromOffset < log.logStartOffset ? log.logStartOffset : fromOffset;
    while (offset < log.logEndOffset) {
      const result = log.read(offset, LOAD_BUFFER_BYTES, { isolation: FetchIsolation.LogEnd });
      if (result.records.length === 0) break;
      yield result.records;
      const next = nextOffsetAfter(result.records);
      if (next <= offset) break;
      offset = next;
      // Yield to the event loop between chunks: a long replay must not stall the broker's other requests.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private logOrThrow(partition: number): PartitionLog {
    const { topic, logs } = this.options;
    const log = logs.partition(topic, partition);
    if (log === undefined) {
      // The coordinators map NOT_LEADER_OR_FOLLOWER to NOT_COORDINATOR for the client.
      throw new TributaryError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker has no log for ${topic}-${partition}`);
    }
    return log;
  }
}

/** The offset after the last batch of a record set (its last offset + 1). */
function nextOffsetAfter(records: Buffer): bigint {
  let next = -1n;
  for (const entry of iterateRecordSet(records)) {
    next = entry.bytes.readBigInt64BE(BatchField.BASE_OFFSET) + BigInt(entry.bytes.readInt32BE(BatchField.LAST_OFFSET_DELTA)) + 1n;
  }
  return next;
}
