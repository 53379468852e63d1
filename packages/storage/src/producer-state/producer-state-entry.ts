/**
 * One producer's state on one partition, as Kafka's ProducerStateEntry keeps it: its epoch, the metadata of its
 * last five data batches (enough to answer a retried in-flight request with the original offsets), the epoch of
 * the last coordinator that wrote a marker for it, and the first offset of its open transaction.
 */
import * as protocol from '@tributary/protocol';

// Protocol's values, taken once (its re-exports are property getters and these are read per produced batch).
export const { NO_PRODUCER_EPOCH, NO_SEQUENCE } = protocol;
/** Kafka keeps five: a producer has at most five requests in flight per partition when idempotent. */
export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;

/** One retained data batch. The first sequence and offset are derived, as Kafka stores only the deltas. */
export interface BatchMetadata {
  lastSeq: number;
  lastOffset: bigint;
  /** lastOffset − firstOffset (= lastSeq − firstSeq). */
  offsetDelta: number;
  /** The batch's max timestamp. */
  timestamp: number;
}

/** Sequence numbers wrap from Integer.MAX_VALUE to 0 (DefaultRecordBatch.incrementSequence). */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

/** The inverse of incrementSequence (DefaultRecordBatch.decrementSequence). */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

/** Whether `nextSeq` directly follows `lastSeq`, wrapping at Integer.MAX_VALUE. */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export function batchFirstSeq(batch: BatchMetadata): number {
  return decrementSequence(batch.lastSeq, batch.offsetDelta);
}

export function batchFirstOffset(batch: BatchMetadata): bigint {
  return batch.lastOffset - BigInt(batch.offsetDelta);
}

export class ProducerStateEntry {
  /** Oldest first; at most NUM_BATCHES_TO_RETAIN. */
  readonly batches: BatchMetadata[] = [];

  constructor(
    readonly producerId: bigint,
    public producerEpoch: number = NO_PRODUCER_EPOCH,
    public coordinatorEpoch: number = -1,
    public lastTimestamp: number = -1,
    public currentTxnFirstOffset: bigint | undefined = undefined,
  ) {}

  static empty(producerId: bigint): ProducerStateEntry {
    return new ProducerStateEntry(producerId);
  }

  get isEmpty(): boolean {
    return this.batches.length === 0;
  }

  get firstSeq(): number {
    return this.batches.length === 0 ? NO_SEQUENCE : batchFirstSeq(this.batches[0]);
  }

  get lastSeq(): number {
    return this.batches.length === 0 ? NO_SEQUENCE : this.batches[this.batches.length - 1].lastSeq;
  }

  /** Offset of the producer's last data record, -1 when none is retained. */
  get lastDataOffset(): bigint {
    return this.batches.length === 0 ? -1n : this.batches[this.batches.length - 1].lastOffset;
  }

  get lastOffsetDelta(): number {
    return this.batches.length === 0 ? 0 : this.batches[this.batches.length - 1].offsetDelta;
  }

  /** A copy carrying the epochs, timestamps and transaction but no batches (ProducerAppendInfo starts from it). */
  withoutBatches(): ProducerStateEntry {
    return new ProducerStateEntry(this.producerId, this.producerEpoch, this.coordinatorEpoch, this.lastTimestamp, this.currentTxnFirstOffset);
  }

  addBatch(producerEpoch: number, lastSeq: number, lastOffset: bigint, offsetDelta: number, timestamp: number): void {
    this.maybeUpdateProducerEpoch(producerEpoch);
    this.addBatchMetadata({ lastSeq, lastOffset, offsetDelta, timestamp });
    this.lastTimestamp = timestamp;
  }

  /** A new epoch forgets the old epoch's batches: their sequences no longer mean anything. */
  maybeUpdateProducerEpoch(producerEpoch: number): boolean {
    if (this.producerEpoch === producerEpoch) return false;
    this.batches.length = 0;
    this.producerEpoch = producerEpoch;
    return true;
  }

  private addBatchMetadata(batch: BatchMetadata): void {
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift();
    this.batches.push(batch);
  }

  /** Takes over what an append produced (Kafka's ProducerStateEntry.update(nextEntry)). */
  update(next: ProducerStateEntry): void {
    this.maybeUpdateProducerEpoch(next.producerEpoch);
    for (const batch of next.batches) this.addBatchMetadata(batch);
    this.coordinatorEpoch = next.coordinatorEpoch;
    this.currentTxnFirstOffset = next.currentTxnFirstOffset;
    this.lastTimestamp = next.lastTimestamp;
  }

  /** After a marker: the transaction is over and the coordinator epoch is the marker's. */
  endTransaction(producerEpoch: number, coordinatorEpoch: number, timestamp: number): void {
    this.maybeUpdateProducerEpoch(producerEpoch);
    this.coordinatorEpoch = coordinatorEpoch;
    this.currentTxnFirstOffset = undefined;
    this.lastTimestamp = timestamp;
  }

  /** The retained batch with exactly this epoch and sequence range: a retry of a batch already written. */
  findDuplicateBatch(producerEpoch: number, firstSeq: number, lastSeq: number): BatchMetadata | undefined {
    if (producerEpoch !== this.producerEpoch) return undefined;
    return this.batches.find((b) => b.lastSeq === lastSeq && batchFirstSeq(b) === firstSeq);
  }
}
