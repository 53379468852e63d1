/**
 * The group coordinator's CoordinatorLog over this broker's `__consumer_offsets` partition logs. Appends go
 * through the leader path of PartitionLog (offsets assigned, validated, stamped with the leader epoch) as the
 * coordinator's own writes; reads replay a partition from an offset to its log end, in bounded chunks so a large
 * partition never sits in memory whole. The end is looked at again after each chunk, as Kafka's loader does: a
 * transaction marker written while the partition loads (the only write a loading partition takes) is replayed
 * rather than missed.
 */
import { BatchField, TributaryError, iterateRecordSet } from '@tributary/protocol';
import { AppendOrigin, FetchIsolation, PartitionLog } from '@tributary/storage';
import { CoordinatorLog } from '@tributary/group-coordinator';
import type { LogService } from '../logs/log-service';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Kafka's NOT_LEADER_OR_FOLLOWER: the coordinator maps it to NOT_COORDINATOR for the client. */
const NOT_LEADER_OR_FOLLOWER = 6;
/** How much of a partition one replay step reads; Kafka's loader reads `offsets.load.buffer.size` (5 MiB). */
const LOAD_BUFFER_BYTES = 5 * 1024 * 1024;

export interface OffsetsPartitions {
  /** The broker's logs: appends go through it so that Fetch long polls on `__consumer_offsets` wake. */
  logs: Pick<LogService, 'partition' | 'append'>;
  /** The partition's current leader epoch, stamped on the coordinator's batches. */
  leaderEpoch(partition: number): number | undefined;
}

export class PartitionCoordinatorLog implements CoordinatorLog {
  constructor(private readonly partitions: OffsetsPartitions) {}

  async append(partition: number, batch: Buffer): Promise<bigint> {
    const log = this.logOrThrow(partition);
    // Standalone: the broker is the only replica, so an append is committed once the log has it (acks=all).
    const result = this.partitions.logs.append(log, batch, { origin: AppendOrigin.Coordinator, leaderEpoch: this.partitions.leaderEpoch(partition) });
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
    const log = this.partitions.logs.partition(OFFSETS_TOPIC, partition);
    if (log === undefined) {
      throw new TributaryError(NOT_LEADER_OR_FOLLOWER, `this broker has no log for ${OFFSETS_TOPIC}-${partition}`);
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
