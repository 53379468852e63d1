/**
 * One transactional id's state, with Kafka's two-step transitions (TransactionMetadata.scala): a `prepare…`
 * method checks the transition, records it as pending and returns the target (a TransitMetadata) to be written to
 * `__transaction_state`; once the write succeeded, `completeTransitionTo` applies it. While a transition is
 * pending, other requests for the id get CONCURRENT_TRANSACTIONS.
 *
 * Concurrency: call only from the event loop. A caller checks state and prepares in one synchronous run; the
 * only await is the log write between prepare and complete.
 */
import { ErrorCode } from '@tributary/protocol';
import { TopicPartition, TopicPartitionSet } from './topic-partition';
import { TransactionState, isValidTransition, transactionStateName } from './transaction-state';

/** RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH */
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
const SHORT_MAX = 32767;

/** Kafka bumps to a new producer id once the epoch reaches Short.MaxValue - 1, keeping one epoch for fencing. */
export function isEpochExhausted(producerEpoch: number): boolean {
  return producerEpoch >= SHORT_MAX - 1;
}

/** The target of a transition: what gets written to the log and, once written, applied. Immutable. */
export interface TransitMetadata {
  readonly producerId: bigint;
  readonly lastProducerId: bigint;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly txnState: TransactionState;
  readonly topicPartitions: TopicPartitionSet;
  readonly txnStartTimestampMs: number;
  readonly txnLastUpdateTimestampMs: number;
}

/** A transition that can never happen in a correct coordinator (Kafka throws IllegalStateException). */
export class IllegalTransactionTransitionError extends Error {}

export class TransactionMetadata {
  /** The state this id is moving to while its log write is in flight. */
  pendingState: TransactionState | undefined;
  /**
   * A previous fence of this producer bumped the epoch but failed to write it; the next fence reuses that epoch
   * rather than bumping again (the bumped one was never returned to any client).
   */
  hasFailedEpochFence = false;
  readonly topicPartitions: TopicPartitionSet;

  constructor(
    readonly transactionalId: string,
    public producerId: bigint,
    public lastProducerId: bigint,
    public producerEpoch: number,
    public lastProducerEpoch: number,
    public txnTimeoutMs: number,
    public state: TransactionState,
    topicPartitions: Iterable<TopicPartition>,
    public txnStartTimestampMs: number,
    public txnLastUpdateTimestampMs: number,
  ) {
    this.topicPartitions = new TopicPartitionSet(topicPartitions);
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== undefined;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  /** A transaction is open: partitions were added and no marker phase has completed. */
  get hasPendingTransaction(): boolean {
    return this.state === TransactionState.Ongoing || this.state === TransactionState.PrepareAbort || this.state === TransactionState.PrepareCommit;
  }

  /** The marker of `tp` is written: it leaves the transaction (only during the marker phase). */
  removePartition(tp: TopicPartition): void {
    if (this.state !== TransactionState.PrepareCommit && this.state !== TransactionState.PrepareAbort) {
      throw new IllegalTransactionTransitionError(
        `${this.transactionalId} is ${transactionStateName(this.state)}, not preparing a commit or abort, while a marker was written`,
      );
    }
    this.topicPartitions.delete(tp);
  }

  /** Bumps the epoch to fence the current producer of an ongoing transaction, which is then aborted. */
  prepareFenceProducerEpoch(): TransitMetadata {
    if (this.producerEpoch === SHORT_MAX) throw new IllegalTransactionTransitionError('cannot fence a producer whose epoch is Short.MAX_VALUE');
    const bumpedEpoch = this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1;
    return this.prepareTransitionTo(
      TransactionState.PrepareEpochFence,
      this.producerId,
      bumpedEpoch,
      NO_PRODUCER_EPOCH,
      this.txnTimeoutMs,
      new TopicPartitionSet(this.topicPartitions),
      this.txnStartTimestampMs,
      this.txnLastUpdateTimestampMs,
    );
  }

  /**
   * InitProducerId on a settled id: the next epoch, or (KIP-360) a retry of a bump whose answer was lost, or
   * PRODUCER_FENCED for a producer that is not the latest.
   */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedProducerEpoch: number | undefined, nowMs: number): TransitMetadata | ErrorCode {
    if (this.isProducerEpochExhausted) throw new IllegalTransactionTransitionError(`no producer epochs left for producer id ${this.producerId}`);
    const bumpedEpoch = this.producerEpoch + 1;
    let nextEpoch: number;
    let lastEpoch: number;
    if (expectedProducerEpoch === undefined) {
      // A new producer instance: bump, and forget the last epoch so that an older instance's retry is fenced.
      nextEpoch = bumpedEpoch;
      lastEpoch = NO_PRODUCER_EPOCH;
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedProducerEpoch === this.producerEpoch) {
      // The current producer recovering after an error (or the id was just created): bump, remembering the epoch.
      nextEpoch = bumpedEpoch;
      lastEpoch = this.producerEpoch;
    } else if (expectedProducerEpoch === this.lastProducerEpoch) {
      // A retry of a bump that succeeded: answer the current epoch again without bumping.
      nextEpoch = this.producerEpoch;
      lastEpoch = this.lastProducerEpoch;
    } else {
      return ErrorCode.PRODUCER_FENCED;
    }
    return this.prepareTransitionTo(TransactionState.Empty, this.producerId, nextEpoch, lastEpoch, newTxnTimeoutMs, new TopicPartitionSet(), -1, nowMs);
  }

  /** The epoch is exhausted: continue under a new producer id at epoch 0. */
  prepareProducerIdRotation(newProducerId: bigint, newTxnTimeoutMs: number, nowMs: number, recordLastEpoch: boolean): TransitMetadata {
    if (this.hasPendingTransaction) throw new IllegalTransactionTransitionError('cannot rotate producer ids while a transaction is pending');
    return this.prepareTransitionTo(
      TransactionState.Empty,
      newProducerId,
      0,
      recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      newTxnTimeoutMs,
      new TopicPartitionSet(),
      -1,
      nowMs,
    );
  }

  prepareAddPartitions(added: Iterable<TopicPartition>, nowMs: number): TransitMetadata {
    const settled = this.state === TransactionState.Empty || this.state === TransactionState.CompleteAbort || this.state === TransactionState.CompleteCommit;
    const partitions = new TopicPartitionSet(this.topicPartitions);
    for (const tp of added) partitions.add(tp);
    return this.prepareTransitionTo(
      TransactionState.Ongoing,
      this.producerId,
      this.producerEpoch,
      this.lastProducerEpoch,
      this.txnTimeoutMs,
      partitions,
      settled ? nowMs : this.txnStartTimestampMs,
      nowMs,
    );
  }

  prepareAbortOrCommit(newState: TransactionState.PrepareCommit | TransactionState.PrepareAbort, nowMs: number): TransitMetadata {
    return this.prepareTransitionTo(
      newState,
      this.producerId,
      this.producerEpoch,
      this.lastProducerEpoch,
      this.txnTimeoutMs,
      new TopicPartitionSet(this.topicPartitions),
      this.txnStartTimestampMs,
      nowMs,
    );
  }

  /** Every marker is written: CompleteCommit or CompleteAbort, with no partitions. */
  prepareComplete(nowMs: number): TransitMetadata {
    const newState = this.state === TransactionState.PrepareCommit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort;
    // The marker phase starts only after the Prepare state was written, so an earlier failed fence is moot now.
    this.hasFailedEpochFence = false;
    return this.prepareTransitionTo(
      newState,
      this.producerId,
      this.producerEpoch,
      this.lastProducerEpoch,
      this.txnTimeoutMs,
      new TopicPartitionSet(),
      this.txnStartTimestampMs,
      nowMs,
    );
  }

  /** transactional.id.expiration.ms passed: the id goes, by a tombstone. */
  prepareDead(): TransitMetadata {
    return this.prepareTransitionTo(
      TransactionState.Dead,
      this.producerId,
      this.producerEpoch,
      this.lastProducerEpoch,
      this.txnTimeoutMs,
      new TopicPartitionSet(),
      this.txnStartTimestampMs,
      this.txnLastUpdateTimestampMs,
    );
  }

  /** The current state as a transit, without making it pending (for writing a snapshot of the state). */
  current(): TransitMetadata {
    return {
      producerId: this.producerId,
      lastProducerId: this.lastProducerId,
      producerEpoch: this.producerEpoch,
      lastProducerEpoch: this.lastProducerEpoch,
      txnTimeoutMs: this.txnTimeoutMs,
      txnState: this.state,
      topicPartitions: new TopicPartitionSet(this.topicPartitions),
      txnStartTimestampMs: this.txnStartTimestampMs,
      txnLastUpdateTimestampMs: this.txnLastUpdateTimestampMs,
    };
  }

  private prepareTransitionTo(
    newState: TransactionState,
    newProducerId: bigint,
    newEpoch: number,
    newLastEpoch: number,
    newTxnTimeoutMs: number,
    newTopicPartitions: TopicPartitionSet,
    newTxnStartTimestampMs: number,
    updateTimestampMs: number,
  ): TransitMetadata {
    if (this.pendingState !== undefined) {
      throw new IllegalTransactionTransitionError(
        `${this.transactionalId}: preparing a transition to ${transactionStateName(newState)} while ${transactionStateName(this.pendingState)} is pending`,
      );
    }
    if (newProducerId < 0n) throw new IllegalTransactionTransitionError(`illegal new producer id ${newProducerId}`);
    if (newState !== TransactionState.Dead && newEpoch < 0) throw new IllegalTransactionTransitionError(`illegal new producer epoch ${newEpoch}`);
    if (!isValidTransition(this.state, newState)) {
      throw new IllegalTransactionTransitionError(
        `${this.transactionalId}: ${transactionStateName(this.state)} cannot move to ${transactionStateName(newState)}`,
      );
    }
    this.pendingState = newState;
    return {
      producerId: newProducerId,
      lastProducerId: this.producerId,
      producerEpoch: newEpoch,
      lastProducerEpoch: newLastEpoch,
      txnTimeoutMs: newTxnTimeoutMs,
      txnState: newState,
      topicPartitions: newTopicPartitions,
      txnStartTimestampMs: newTxnStartTimestampMs,
      txnLastUpdateTimestampMs: updateTimestampMs,
    };
  }

  /** Applies a transition whose log write succeeded, after checking it is the one that was prepared. */
  completeTransitionTo(transit: TransitMetadata): void {
    const toState = this.pendingState;
    if (toState === undefined) throw new IllegalTransactionTransitionError(`${this.transactionalId}: completing a transition that was never prepared`);
    if (toState !== transit.txnState) this.transitionFailure(transit);
    switch (toState) {
      case TransactionState.Empty:
        if (
          (this.producerEpoch !== transit.producerEpoch && !this.validProducerEpochBump(transit)) ||
          transit.topicPartitions.size > 0 ||
          transit.txnStartTimestampMs !== -1
        ) {
          this.transitionFailure(transit);
        }
        this.txnTimeoutMs = transit.txnTimeoutMs;
        this.producerEpoch = transit.producerEpoch;
        this.lastProducerEpoch = transit.lastProducerEpoch;
        this.producerId = transit.producerId;
        this.lastProducerId = transit.lastProducerId;
        break;
      case TransactionState.Ongoing:
        if (!this.validProducerEpoch(transit) || !this.topicPartitions.isSubsetOf(transit.topicPartitions) || this.txnTimeoutMs !== transit.txnTimeoutMs) {
          this.transitionFailure(transit);
        }
        this.txnStartTimestampMs = transit.txnStartTimestampMs;
        for (const tp of transit.topicPartitions) this.topicPartitions.add(tp);
        break;
      case TransactionState.PrepareAbort:
      case TransactionState.PrepareCommit:
        if (
          !this.validProducerEpoch(transit) ||
          !this.topicPartitions.equals(transit.topicPartitions) ||
          this.txnTimeoutMs !== transit.txnTimeoutMs ||
          this.txnStartTimestampMs !== transit.txnStartTimestampMs
        ) {
          this.transitionFailure(transit);
        }
        break;
      case TransactionState.CompleteAbort:
      case TransactionState.CompleteCommit:
        if (!this.validProducerEpoch(transit) || this.txnTimeoutMs !== transit.txnTimeoutMs || transit.txnStartTimestampMs === -1) {
          this.transitionFailure(transit);
        }
        this.txnStartTimestampMs = transit.txnStartTimestampMs;
        this.topicPartitions.clear();
        break;
      case TransactionState.PrepareEpochFence:
      case TransactionState.Dead:
        // A fence is never written (the abort it starts is); a Dead id is removed, never completed.
        this.transitionFailure(transit);
    }
    this.txnLastUpdateTimestampMs = transit.txnLastUpdateTimestampMs;
    this.pendingState = undefined;
    this.state = toState;
  }

  private validProducerEpoch(transit: TransitMetadata): boolean {
    return transit.producerEpoch === this.producerEpoch && transit.producerId === this.producerId;
  }

  private validProducerEpochBump(transit: TransitMetadata): boolean {
    return transit.producerEpoch === this.producerEpoch + 1 || (transit.producerEpoch === 0 && transit.producerId !== this.producerId);
  }

  private transitionFailure(transit: TransitMetadata): never {
    throw new IllegalTransactionTransitionError(
      `${this.transactionalId}: unexpected transition from ${transactionStateName(this.state)} to ${transactionStateName(transit.txnState)} ` +
        `(producer ${transit.producerId} epoch ${transit.producerEpoch})`,
    );
  }
}
