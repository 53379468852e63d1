/**
 * Kafka's transaction coordinator (TransactionCoordinator.scala of Kafka 3.9, ZooKeeper mode): InitProducerId,
 * AddPartitionsToTxn (and its verify-only form), AddOffsetsToTxn, EndTxn, DescribeTransactions,
 * ListTransactions, the abort of timed-out transactions, and the expiry of idle transactional ids. Every state
 * change is written to `__transaction_state` before the client is answered.
 *
 * Concurrency: call only from the event loop. Each request checks the transactional id's state and prepares
 * its transition in one synchronous run (no await in between); the log write follows, and the pending
 * transition makes concurrent requests for the same id answer CONCURRENT_TRANSACTIONS meanwhile.
 */
import { ErrorCode } from '@tributary/protocol';
import { Cancellable, CoordinatorLog, Scheduler, errorCodeOf } from '@tributary/group-coordinator';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG, TransactionCoordinatorConfig } from './config';
import { MarkerLogger, TransactionMarkerChannel } from './marker-channel';
import { TransactionMarkerSink } from './marker-sink';
import { ProducerIdManager } from './producer-id-manager';
import { ListedTransaction, TransactionStateManager } from './state-manager';
import { TopicPartition } from './topic-partition';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TransactionMetadata, TransitMetadata, isEpochExhausted } from './transaction-metadata';
import { TransactionState, transactionStateName } from './transaction-state';

export interface TransactionCoordinatorOptions {
  log: CoordinatorLog;
  scheduler: Scheduler;
  producerIds: ProducerIdManager;
  markers: TransactionMarkerSink;
  config?: Partial<TransactionCoordinatorConfig>;
  logger?: MarkerLogger;
  /** Whether a partition still exists (a deleted partition's marker is dropped rather than retried). */
  partitionExists?: (topic: string, partition: number) => boolean;
}

export interface InitProducerIdResult {
  errorCode: ErrorCode;
  producerId: bigint;
  producerEpoch: number;
}

export interface DescribedTransaction {
  errorCode: ErrorCode;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

const SILENT_LOGGER: MarkerLogger = { info: () => {}, warn: () => {}, error: () => {} };

function initError(errorCode: ErrorCode): InitProducerIdResult {
  return { errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
}

type Prepared = { errorCode: ErrorCode } | { errorCode: ErrorCode.NONE; coordinatorEpoch: number; transit: TransitMetadata };

export class TransactionCoordinator {
  readonly config: Readonly<TransactionCoordinatorConfig>;
  readonly stateManager: TransactionStateManager;
  readonly markerChannel: TransactionMarkerChannel;
  private readonly scheduler: Scheduler;
  private readonly producerIds: ProducerIdManager;
  private readonly logger: MarkerLogger;
  private active = false;
  private abortTimer: Cancellable | undefined;
  private expiryTimer: Cancellable | undefined;

  constructor(options: TransactionCoordinatorOptions) {
    this.config = { ...DEFAULT_TRANSACTION_COORDINATOR_CONFIG, ...options.config };
    this.scheduler = options.scheduler;
    this.producerIds = options.producerIds;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.stateManager = new TransactionStateManager(options.log, options.scheduler, this.config);
    this.markerChannel = new TransactionMarkerChannel({
      stateManager: this.stateManager,
      sink: options.markers,
      scheduler: options.scheduler,
      retryBackoffMs: this.config.markerRetryBackoffMs,
      logger: this.logger,
      partitionExists: options.partitionExists,
    });
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Starts answering, the periodic abort of timed-out transactions, and the expiry of idle ids. */
  startup(): void {
    this.active = true;
    this.scheduleAbort();
    this.scheduleExpiry();
  }

  shutdown(): void {
    this.active = false;
    this.abortTimer?.cancel();
    this.expiryTimer?.cancel();
    this.markerChannel.shutdown();
    this.stateManager.clear();
  }

  partitionFor(transactionalId: string): number {
    return this.stateManager.partitionFor(transactionalId);
  }

  isPartitionLoading(partition: number): boolean {
    return this.stateManager.isPartitionLoading(partition);
  }

  ownsPartition(partition: number): boolean {
    return this.stateManager.ownsPartition(partition);
  }

  /**
   * This broker became the leader of a `__transaction_state` partition: load it, then finish every transaction
   * found in PrepareCommit/PrepareAbort by writing its markers (Kafka's onElection).
   */
  async loadPartition(partition: number, coordinatorEpoch: number): Promise<void> {
    // Asked again at the same epoch (the topic's creation announced after a lookup started the load): the marker
    // phases under way belong to this very ownership and go on.
    if (!this.stateManager.hasPartitionAtEpoch(partition, coordinatorEpoch)) this.markerChannel.removeMarkersForTxnTopicPartition(partition);
    const pending = await this.stateManager.loadPartition(partition, coordinatorEpoch);
    for (const completion of pending) {
      this.logger.info(
        { transactionalId: completion.transactionalId, committed: completion.committed },
        'completing a transaction found prepared when its partition was loaded',
      );
      this.markerChannel.addTxnMarkersToSend(completion.coordinatorEpoch, completion.committed, completion.metadata, completion.transit);
    }
  }

  /** This broker no longer leads the partition (Kafka's onResignation). */
  unloadPartition(partition: number, coordinatorEpoch?: number): void {
    this.stateManager.unloadPartition(partition, coordinatorEpoch);
    this.markerChannel.removeMarkersForTxnTopicPartition(partition);
  }

  // ---------------------------------------------------------------------------------------------------------
  // InitProducerId
  // ---------------------------------------------------------------------------------------------------------

  /**
   * InitProducerId. Without a transactional id: a fresh producer id at epoch 0 (an idempotent producer).
   * With one: a new id, or the next epoch of its producer (fencing older instances), or (KIP-360, when the
   * producer gives its id and epoch) a recovery of the same producer; an ongoing transaction is aborted first
   * and the client told CONCURRENT_TRANSACTIONS so it retries.
   */
  async initProducerId(
    transactionalId: string | null,
    transactionTimeoutMs: number,
    expected?: { producerId: bigint; producerEpoch: number },
  ): Promise<InitProducerIdResult> {
    if (transactionalId === null) {
      try {
        return { errorCode: ErrorCode.NONE, producerId: await this.producerIds.nextAsync(), producerEpoch: 0 };
      } catch (error) {
        return initError(errorCodeOf(error));
      }
    }
    if (transactionalId === '') return initError(ErrorCode.INVALID_REQUEST);
    if (!this.stateManager.validateTransactionTimeoutMs(transactionTimeoutMs)) return initError(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    // A producer id may be needed below (a new transactional id, an exhausted epoch); have a block in hand first
    // so that the checks and the transition after them run without awaiting.
    try {
      await this.producerIds.available();
    } catch (error) {
      return initError(errorCodeOf(error));
    }

    let lookup = this.stateManager.getTransactionState(transactionalId);
    if (!('coordinatorEpoch' in lookup)) return initError(lookup.errorCode);
    if (lookup.metadata === undefined) {
      const producerId = this.producerIds.next();
      // Another request took the last id of the block meanwhile; the client retries.
      if (producerId === undefined) return initError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      const created = new TransactionMetadata(
        transactionalId,
        producerId,
        NO_PRODUCER_ID,
        NO_PRODUCER_EPOCH,
        NO_PRODUCER_EPOCH,
        transactionTimeoutMs,
        TransactionState.Empty,
        [],
        -1,
        this.scheduler.nowMs(),
      );
      lookup = this.stateManager.putTransactionStateIfNotExists(created);
      if (!('coordinatorEpoch' in lookup)) return initError(lookup.errorCode);
    }
    const metadata = lookup.metadata!;
    const coordinatorEpoch = lookup.coordinatorEpoch;
    const prepared = this.prepareInitProducerIdTransit(transactionalId, transactionTimeoutMs, coordinatorEpoch, metadata, expected);
    if (!('transit' in prepared)) return initError(prepared.errorCode);
    const { transit } = prepared;
    if (transit.txnState === TransactionState.PrepareEpochFence) {
      // Abort the ongoing transaction under the bumped epoch; the client retries and then gets the epoch after it.
      const errorCode = await this.endTransaction(transactionalId, transit.producerId, transit.producerEpoch, false, false);
      return initError(errorCode === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : errorCode);
    }
    const errorCode = await this.stateManager.appendTransactionToLog(transactionalId, coordinatorEpoch, transit);
    if (errorCode !== ErrorCode.NONE) return initError(errorCode);
    this.logger.info(
      { transactionalId, producerId: transit.producerId, producerEpoch: transit.producerEpoch, partition: this.partitionFor(transactionalId) },
      'initialized transactional id',
    );
    return { errorCode: ErrorCode.NONE, producerId: transit.producerId, producerEpoch: transit.producerEpoch };
  }

  private prepareInitProducerIdTransit(
    transactionalId: string,
    transactionTimeoutMs: number,
    coordinatorEpoch: number,
    metadata: TransactionMetadata,
    expected: { producerId: bigint; producerEpoch: number } | undefined,
  ): Prepared {
    // A producer that names itself is fenced unless the id was just created (a producer recovering from
    // UNKNOWN_PRODUCER_ID), it is the current producer, or it is the previous producer id retrying a rotation.
    const isValidProducerId = (candidate: { producerId: bigint; producerEpoch: number }): boolean =>
      metadata.producerEpoch === NO_PRODUCER_EPOCH ||
      candidate.producerId === metadata.producerId ||
      (candidate.producerId === metadata.lastProducerId && isEpochExhausted(candidate.producerEpoch));
    if (metadata.pendingTransitionInProgress) return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    if (expected !== undefined && !isValidProducerId(expected)) return { errorCode: ErrorCode.PRODUCER_FENCED };
    switch (metadata.state) {
      case TransactionState.PrepareAbort:
      case TransactionState.PrepareCommit:
        return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
      case TransactionState.CompleteAbort:
      case TransactionState.CompleteCommit:
      case TransactionState.Empty: {
        if (metadata.isProducerEpochExhausted && (expected === undefined || expected.producerEpoch === metadata.producerEpoch)) {
          const newProducerId = this.producerIds.next();
          if (newProducerId === undefined) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
          return {
            errorCode: ErrorCode.NONE,
            coordinatorEpoch,
            transit: metadata.prepareProducerIdRotation(newProducerId, transactionTimeoutMs, this.scheduler.nowMs(), expected !== undefined),
          };
        }
        const result = metadata.prepareIncrementProducerEpoch(transactionTimeoutMs, expected?.producerEpoch, this.scheduler.nowMs());
        return typeof result === 'number' ? { errorCode: result } : { errorCode: ErrorCode.NONE, coordinatorEpoch, transit: result };
      }
      case TransactionState.Ongoing:
        // Abort the ongoing transaction first, under a bumped epoch that is never returned to a client; the
        // client's retry then bumps once more (or rotates the producer id if that exhausted the epochs).
        return { errorCode: ErrorCode.NONE, coordinatorEpoch, transit: metadata.prepareFenceProducerEpoch() };
      case TransactionState.Dead:
      case TransactionState.PrepareEpochFence:
        throw new Error(`transactional id ${transactionalId} is in state ${transactionStateName(metadata.state)}, which no request can find`);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // AddPartitionsToTxn, AddOffsetsToTxn
  // ---------------------------------------------------------------------------------------------------------

  /** Adds partitions to the producer's transaction (starting it); AddOffsetsToTxn adds the group's offsets partition. */
  async addPartitionsToTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: readonly TopicPartition[],
  ): Promise<ErrorCode> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const lookup = this.stateManager.getTransactionState(transactionalId);
    if (!('coordinatorEpoch' in lookup)) return lookup.errorCode;
    const metadata = lookup.metadata;
    if (metadata === undefined) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (metadata.state === TransactionState.PrepareCommit || metadata.state === TransactionState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    // Already in the transaction: nothing to write.
    if (metadata.state === TransactionState.Ongoing && partitions.every((tp) => metadata.topicPartitions.has(tp))) return ErrorCode.NONE;
    const transit = metadata.prepareAddPartitions(partitions, this.scheduler.nowMs());
    return this.stateManager.appendTransactionToLog(transactionalId, lookup.coordinatorEpoch, transit);
  }

  /**
   * AddPartitionsToTxn v4+ with verifyOnly (KIP-890): whether each partition is already in the producer's
   * ongoing transaction. A partition not in it gets TRANSACTION_ABORTABLE; a failure of the whole check is
   * answered on every partition.
   */
  verifyPartitionsInTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: readonly TopicPartition[],
  ): Map<TopicPartition, ErrorCode> {
    const all = (errorCode: ErrorCode): Map<TopicPartition, ErrorCode> => new Map(partitions.map((tp) => [tp, errorCode]));
    if (transactionalId === '') return all(ErrorCode.INVALID_REQUEST);
    const lookup = this.stateManager.getTransactionState(transactionalId);
    if (!('coordinatorEpoch' in lookup)) return all(lookup.errorCode);
    const metadata = lookup.metadata;
    if (metadata === undefined || metadata.producerId !== producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (metadata.producerEpoch !== producerEpoch) return all(ErrorCode.PRODUCER_FENCED);
    if (metadata.state === TransactionState.PrepareCommit || metadata.state === TransactionState.PrepareAbort) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    return new Map(partitions.map((tp) => [tp, metadata.topicPartitions.has(tp) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE]));
  }

  // ---------------------------------------------------------------------------------------------------------
  // EndTxn
  // ---------------------------------------------------------------------------------------------------------

  /** EndTxn from a client: commit or abort the producer's transaction. */
  handleEndTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, committed: boolean): Promise<ErrorCode> {
    return this.endTransaction(transactionalId, producerId, producerEpoch, committed, true);
  }

  /**
   * Writes PrepareCommit/PrepareAbort, answers, and starts the marker phase. A retry of an end that already
   * completed with the same result succeeds; one still in its marker phase gets CONCURRENT_TRANSACTIONS.
   * `isFromClient` false is the coordinator's own abort (a fence or a timeout) under a bumped epoch.
   *
   * Runs synchronously up to the log write: InitProducerId's fence calls it right after preparing the fence.
   */
  private async endTransaction(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    committed: boolean,
    isFromClient: boolean,
  ): Promise<ErrorCode> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    let isEpochFence = false;
    const prepared = ((): Prepared => {
      const lookup = this.stateManager.getTransactionState(transactionalId);
      if (!('coordinatorEpoch' in lookup)) return lookup;
      const metadata = lookup.metadata;
      if (metadata === undefined || metadata.producerId !== producerId) return { errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING };
      // A client must name the current epoch exactly; the coordinator's own aborts name a bumped one.
      if ((isFromClient && producerEpoch !== metadata.producerEpoch) || producerEpoch < metadata.producerEpoch) {
        return { errorCode: ErrorCode.PRODUCER_FENCED };
      }
      if (metadata.pendingTransitionInProgress && metadata.pendingState !== TransactionState.PrepareEpochFence) {
        return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
      }
      switch (metadata.state) {
        case TransactionState.Ongoing: {
          const nextState = committed ? TransactionState.PrepareCommit : TransactionState.PrepareAbort;
          if (nextState === TransactionState.PrepareAbort && metadata.pendingState === TransactionState.PrepareEpochFence) {
            // The fence becomes this abort, carrying the bumped epoch.
            isEpochFence = true;
            metadata.pendingState = undefined;
            metadata.producerEpoch = producerEpoch;
            metadata.lastProducerEpoch = NO_PRODUCER_EPOCH;
          }
          return { errorCode: ErrorCode.NONE, coordinatorEpoch: lookup.coordinatorEpoch, transit: metadata.prepareAbortOrCommit(nextState, this.scheduler.nowMs()) };
        }
        case TransactionState.CompleteCommit:
          return { errorCode: committed ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE };
        case TransactionState.CompleteAbort:
          return { errorCode: committed ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE };
        case TransactionState.PrepareCommit:
          return { errorCode: committed ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE };
        case TransactionState.PrepareAbort:
          return { errorCode: committed ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS };
        case TransactionState.Empty:
          return { errorCode: ErrorCode.INVALID_TXN_STATE };
        case TransactionState.Dead:
        case TransactionState.PrepareEpochFence:
          throw new Error(`transactional id ${transactionalId} is in state ${transactionStateName(metadata.state)}, which no request can find`);
      }
    })();
    if (!('transit' in prepared)) return prepared.errorCode;
    const { coordinatorEpoch, transit } = prepared;

    const appendError = await this.stateManager.appendTransactionToLog(transactionalId, coordinatorEpoch, transit);
    if (appendError !== ErrorCode.NONE) {
      if (isEpochFence) {
        const lookup = this.stateManager.getTransactionState(transactionalId);
        // The bumped epoch may not be in the log: the next fence reuses it instead of bumping again.
        if ('coordinatorEpoch' in lookup && lookup.coordinatorEpoch === coordinatorEpoch && lookup.metadata !== undefined) {
          lookup.metadata.hasFailedEpochFence = true;
        }
      }
      return appendError;
    }

    // The Prepare state is in the log: check the id is still as written, then start the marker phase.
    const lookup = this.stateManager.getTransactionState(transactionalId);
    if (!('coordinatorEpoch' in lookup)) return lookup.errorCode;
    const metadata = lookup.metadata;
    if (metadata === undefined || lookup.coordinatorEpoch !== coordinatorEpoch) return ErrorCode.NOT_COORDINATOR;
    if (metadata.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (metadata.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (metadata.pendingTransitionInProgress) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const expectedState = committed ? TransactionState.PrepareCommit : TransactionState.PrepareAbort;
    if (metadata.state !== expectedState) return ErrorCode.INVALID_TXN_STATE;
    const completion = metadata.prepareComplete(this.scheduler.nowMs());
    this.markerChannel.addTxnMarkersToSend(coordinatorEpoch, committed, metadata, completion);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------------------------------------------------
  // DescribeTransactions, ListTransactions
  // ---------------------------------------------------------------------------------------------------------

  describeTransaction(transactionalId: string): DescribedTransaction {
    // An error answer leaves every other field at the message's defaults (zero, empty), as Kafka's does.
    const described: DescribedTransaction = {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: '',
      transactionTimeoutMs: 0,
      transactionStartTimeMs: 0n,
      producerId: 0n,
      producerEpoch: 0,
      topics: [],
    };
    if (!this.active) return { ...described, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    if (transactionalId === '') return { ...described, errorCode: ErrorCode.INVALID_REQUEST };
    const lookup = this.stateManager.getTransactionState(transactionalId);
    if (!('coordinatorEpoch' in lookup)) return { ...described, errorCode: lookup.errorCode };
    const metadata = lookup.metadata;
    // A Dead id is being expired: as good as gone.
    if (metadata === undefined || metadata.state === TransactionState.Dead) return { ...described, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: transactionStateName(metadata.state),
      transactionTimeoutMs: metadata.txnTimeoutMs,
      transactionStartTimeMs: BigInt(metadata.txnStartTimestampMs),
      producerId: metadata.producerId,
      producerEpoch: metadata.producerEpoch,
      topics: [...metadata.topicPartitions.byTopic()].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  listTransactions(
    producerIds: ReadonlySet<bigint>,
    states: readonly string[],
    durationFilterMs: bigint,
  ): { errorCode: ErrorCode; unknownStateFilters: string[]; transactionStates: ListedTransaction[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
    return this.stateManager.listTransactionStates(producerIds, states, durationFilterMs);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Timeouts and expiry
  // ---------------------------------------------------------------------------------------------------------

  /** Aborts every ongoing transaction older than its timeout, fencing its producer with a bumped epoch. */
  abortTimedOutTransactions(): Promise<ErrorCode[]> {
    const aborts: Promise<ErrorCode>[] = [];
    for (const timedOut of this.stateManager.timedOutTransactions()) {
      const lookup = this.stateManager.getTransactionState(timedOut.transactionalId);
      if (!('coordinatorEpoch' in lookup) || lookup.metadata === undefined) continue;
      const metadata = lookup.metadata;
      if (metadata.producerId !== timedOut.producerId || metadata.pendingTransitionInProgress) continue;
      try {
        const transit = metadata.prepareFenceProducerEpoch();
        this.logger.info({ transactionalId: timedOut.transactionalId, producerId: transit.producerId }, 'aborting a transaction that timed out');
        aborts.push(this.endTransaction(metadata.transactionalId, transit.producerId, transit.producerEpoch, false, false));
      } catch (error) {
        // A state no correct coordinator reaches (Kafka throws too); it must not stop the other ids' aborts.
        metadata.pendingState = undefined;
        this.logger.error({ err: error, transactionalId: timedOut.transactionalId }, 'cannot abort a transaction that timed out');
      }
    }
    return Promise.all(aborts);
  }

  private scheduleAbort(): void {
    this.abortTimer = this.scheduler.schedule(this.config.abortTimedOutTransactionsIntervalMs, () => {
      if (!this.active) return;
      this.abortTimedOutTransactions().catch((error: unknown) => this.logger.error({ err: error }, 'cannot abort timed-out transactions'));
      this.scheduleAbort();
    });
  }

  private scheduleExpiry(): void {
    this.expiryTimer = this.scheduler.schedule(this.config.removeExpiredTransactionalIdsIntervalMs, () => {
      if (!this.active) return;
      this.stateManager.removeExpiredTransactionalIds().catch((error: unknown) => {
        this.logger.error({ err: error }, 'cannot expire transactional ids');
      });
      this.scheduleExpiry();
    });
  }
}

