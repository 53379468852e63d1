import { AppendOrigin } from '../log/append-validation';
import { InvalidProducerEpochError, InvalidTxnStateError, OutOfOrderSequenceError, TransactionCoordinatorFencedError } from './errors';
import { NO_PRODUCER_EPOCH, NO_SEQUENCE, ProducerStateEntry, inSequence } from './producer-state-entry';

/** A transaction whose marker was appended: the range [firstOffset, lastOffset] and how it ended. */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** Offset of the COMMIT or ABORT marker. */
  lastOffset: bigint;
  isAborted: boolean;
}

/** A transaction a batch of this append opened on the partition. */
export interface StartedTxn {
  producerId: bigint;
  firstOffset: bigint;
}

/**
 * What one append does to one producer's state (Kafka's ProducerAppendInfo): it validates each of the producer's
 * batches against the state so far — the entry before the append plus the earlier batches of the same append —
 * and collects the new state without touching the partition's, so a rejected append leaves no trace.
 *
 * Client appends get every check; coordinator appends (transaction markers, transactional offset commits) only
 * the epoch checks, as they carry no sequences; replicated and recovered appends are taken as they are.
 */
export class ProducerAppendInfo {
  /** The state after the batches seen so far; starts as a copy of the current entry without its batches. */
  readonly updatedEntry: ProducerStateEntry;
  readonly startedTransactions: StartedTxn[] = [];

  constructor(
    private readonly partitionName: string,
    readonly producerId: bigint,
    private readonly currentEntry: ProducerStateEntry,
    private readonly origin: AppendOrigin,
  ) {
    this.updatedEntry = currentEntry.withoutBatches();
  }

  appendDataBatch(epoch: number, firstSeq: number, lastSeq: number, lastTimestamp: number, firstOffset: bigint, lastOffset: bigint, isTransactional: boolean): void {
    this.checkProducerEpoch(epoch, firstOffset);
    if (this.origin === AppendOrigin.Client) this.checkSequence(epoch, firstSeq, firstOffset);
    this.updatedEntry.addBatch(epoch, lastSeq, lastOffset, Number(lastOffset - firstOffset), lastTimestamp);

    const openTxn = this.updatedEntry.currentTxnFirstOffset;
    if (openTxn !== undefined && !isTransactional) {
      throw new InvalidTxnStateError(
        `Expected transactional write from producer ${this.producerId} at offset ${firstOffset} in partition ${this.partitionName}`,
      );
    }
    if (openTxn === undefined && isTransactional) {
      this.updatedEntry.currentTxnFirstOffset = firstOffset;
      this.startedTransactions.push({ producerId: this.producerId, firstOffset });
    }
  }

  /**
   * A COMMIT or ABORT marker at `offset`. Returns the transaction it completes, or undefined when the producer had
   * no data in an open transaction here (an empty transaction leaves no trace in the LSO or the `.txnindex`).
   */
  appendEndTxnMarker(isAbort: boolean, coordinatorEpoch: number, producerEpoch: number, offset: bigint, timestamp: number): CompletedTxn | undefined {
    this.checkProducerEpoch(producerEpoch, offset);
    if (this.updatedEntry.coordinatorEpoch > coordinatorEpoch && this.origin !== AppendOrigin.Replication) {
      throw new TransactionCoordinatorFencedError(
        `Invalid coordinator epoch for producerId ${this.producerId} at offset ${offset} in partition ${this.partitionName}: ` +
          `${coordinatorEpoch} (zombie), ${this.updatedEntry.coordinatorEpoch} (current)`,
      );
    }
    const firstOffset = this.updatedEntry.currentTxnFirstOffset;
    const completed = firstOffset === undefined ? undefined : { producerId: this.producerId, firstOffset, lastOffset: offset, isAborted: isAbort };
    this.updatedEntry.endTransaction(producerEpoch, coordinatorEpoch, timestamp);
    return completed;
  }

  /**
   * An epoch older than the producer's latest is a zombie's. Since Kafka 2.7 the answer is INVALID_PRODUCER_EPOCH
   * (not PRODUCER_FENCED), which lets a transactional client abort and carry on. Replicas accept what their
   * leader wrote.
   */
  private checkProducerEpoch(producerEpoch: number, offset: bigint): void {
    if (producerEpoch >= this.updatedEntry.producerEpoch || this.origin === AppendOrigin.Replication) return;
    throw new InvalidProducerEpochError(
      `Epoch of producer ${this.producerId} at offset ${offset} in ${this.partitionName} is ${producerEpoch}, ` +
        `which is smaller than the last seen epoch ${this.updatedEntry.producerEpoch}`,
    );
  }

  private checkSequence(producerEpoch: number, firstSeq: number, offset: bigint): void {
    if (producerEpoch !== this.updatedEntry.producerEpoch) {
      // A bumped epoch starts its sequences over; an unknown producer (no epoch known) may start anywhere.
      if (firstSeq !== 0 && this.updatedEntry.producerEpoch !== NO_PRODUCER_EPOCH) {
        throw new OutOfOrderSequenceError(
          `Invalid sequence number for new epoch of producer ${this.producerId} at offset ${offset} in partition ${this.partitionName}: ` +
            `${producerEpoch} (request epoch), ${firstSeq} (seq. number), ${this.updatedEntry.producerEpoch} (current producer epoch)`,
        );
      }
      return;
    }
    const currentLastSeq = !this.updatedEntry.isEmpty
      ? this.updatedEntry.lastSeq
      : producerEpoch === this.currentEntry.producerEpoch
        ? this.currentEntry.lastSeq
        : NO_SEQUENCE;
    // With no epoch known (the producer's records were all deleted by retention or DeleteRecords), Kafka accepts
    // any sequence rather than answering UNKNOWN_PRODUCER_ID.
    if (this.currentEntry.producerEpoch === NO_PRODUCER_EPOCH || inSequence(currentLastSeq, firstSeq)) return;
    throw new OutOfOrderSequenceError(
      `Out of order sequence number for producer ${this.producerId} at offset ${offset} in partition ${this.partitionName}: ` +
        `${firstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
    );
  }
}

