/**
 * The transaction coordinator's CoordinatorLog over this broker's `__transaction_state` partition logs: appends
 * as the coordinator through the leader path (offsets assigned, stamped with the leader epoch), replays in
 * bounded chunks from an offset to the log end as it was when the replay began.
 */
import { BatchField, ErrorCode, TributaryError, iterateRecordSet } from '@tributary/protocol';
import { AppendOrigin, FetchIsolation, PartitionLog } from '@tributary/storage';
import { CoordinatorLog } from '@tributary/group-coordinator';
import { TRANSACTION_STATE_TOPIC } from '@tributary/txn-coordinator';
import type { LogService } from '../logs/log-service';

/** Kafka's transaction.state.log.load.buffer.size default: how much one replay step reads. */
const LOAD_BUFFER_BYTES = 5 * 1024 * 1024;

export interface TransactionStatePartitions {
  logs: Pick<LogService, 'partition' | 'append'>;
  /** The partition's current leader epoch, stamped on the coordinator's batches. */
  leaderEpoch(partition: number): number | undefined;
}

export class TransactionStateLog implements CoordinatorLog {
  constructor(private readonly partitions: TransactionStatePartitions) {}

  async append(partition: number, batch: Buffer): Promise<bigint> {
    const log = this.logOrThrow(partition);
    // Standalone: the broker is the only replica, so an append is committed once the log has it (acks=all).
    const result = this.partitions.logs.append(log, batch, { origin: AppendOrigin.Coordinator, leaderEpoch: this.partitions.leaderEpoch(partition) });
    return result.firstOffset;
  }

  async *read(partition: number, fromOffset: bigint): AsyncIterable<Buffer> {
    const log = this.logOrThrow(partition);
    const end = log.logEndOffset;
    let offset = fromOffset < log.logStartOffset ? log.logStartOffset : fromOffset;
    while (offset < end) {
      const result = log.read(offset, LOAD_BUFFER_BYTES, { isolation: FetchIsolation.LogEnd, maxOffset: end });
      if (result.records.length === 0) break;
      yield result.records;
      const next = nextOffsetAfter(result.records);
      if (next <= offset) break;
      offset = next;
      // Yield between chunks: a long replay must not stall the broker's other requests.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private logOrThrow(partition: number): PartitionLog {
    const log = this.partitions.logs.partition(TRANSACTION_STATE_TOPIC, partition);
    if (log === undefined) {
      throw new TributaryError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker has no log for ${TRANSACTION_STATE_TOPIC}-${partition}`);
    }
    return log;
  }
}

function nextOffsetAfter(records: Buffer): bigint {
  let next = -1n;
  for (const entry of iterateRecordSet(records)) {
    next = entry.bytes.readBigInt64BE(BatchField.BASE_OFFSET) + BigInt(entry.bytes.readInt32BE(BatchField.LAST_OFFSET_DELTA)) + 1n;
  }
  return next;
}
