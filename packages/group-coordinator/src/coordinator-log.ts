import { BatchField, iterateRecordSet, setBaseOffset } from '@tributary/protocol';

/**
 * The coordinator's view of `__consumer_offsets`: it appends batches to one partition and replays a partition
 * when it takes the partition over. The broker implements this over the partition's PartitionLog (appending as
 * leader with acks=all semantics); tests use InMemoryCoordinatorLog.
 *
 * `append` resolves with the base offset the batch was given, or rejects (a TributaryError's `code` is mapped
 * to the answer Kafka gives for that failure). `read` yields record sets (one or more whole v2 batches) from
 * `fromOffset` to the partition's end as it was when the read began.
 */
export interface CoordinatorLog {
  append(partition: number, batch: Buffer): Promise<bigint>;
  read(partition: number, fromOffset: bigint): AsyncIterable<Buffer> | Iterable<Buffer>;
}

/** A CoordinatorLog kept in memory: batches per partition with real offsets, for tests and tools. */
export class InMemoryCoordinatorLog implements CoordinatorLog {
  private readonly partitions = new Map<number, { batches: Buffer[]; nextOffset: bigint }>();
  /** When set, the next appends fail with this error (then it is cleared). */
  failNextAppends: { count: number; error: Error } | undefined;

  async append(partition: number, batch: Buffer): Promise<bigint> {
    if (this.failNextAppends !== undefined && this.failNextAppends.count > 0) {
      this.failNextAppends.count--;
      const error = this.failNextAppends.error;
      if (this.failNextAppends.count === 0) this.failNextAppends = undefined;
      throw error;
    }
    const log = this.partitionLog(partition);
    const baseOffset = log.nextOffset;
    const copy = Buffer.from(batch);
    setBaseOffset(copy, baseOffset);
    log.batches.push(copy);
    log.nextOffset += BigInt(copy.readInt32BE(BatchField.LAST_OFFSET_DELTA) + 1);
    return baseOffset;
  }

  *read(partition: number, fromOffset: bigint): Iterable<Buffer> {
    const batches = [...this.partitionLog(partition).batches];
    for (const batch of batches) {
      for (const entry of iterateRecordSet(batch)) {
        const lastOffset = entry.bytes.readBigInt64BE(BatchField.BASE_OFFSET) + BigInt(entry.bytes.readInt32BE(BatchField.LAST_OFFSET_DELTA));
        if (lastOffset >= fromOffset) yield entry.bytes;
      }
    }
  }

  /** Every batch of a partition, in order (for tests that decode what was written). */
  batches(partition: number): readonly Buffer[] {
    return this.partitionLog(partition).batches;
  }

  /** Appends raw bytes as given (e.g. a transactional batch or a control marker written by another component). */
  appendRaw(partition: number, batch: Buffer): bigint {
    const log = this.partitionLog(partition);
    const baseOffset = log.nextOffset;
    const copy = Buffer.from(batch);
    setBaseOffset(copy, baseOffset);
    log.batches.push(copy);
    log.nextOffset += BigInt(copy.readInt32BE(BatchField.LAST_OFFSET_DELTA) + 1);
    return baseOffset;
  }

  private partitionLog(partition: number) {
    let log = this.partitions.get(partition);
    if (log === undefined) {
      log = { batches: [], nextOffset: 0n };
      this.partitions.set(partition, log);
    }
    return log;
  }
}
