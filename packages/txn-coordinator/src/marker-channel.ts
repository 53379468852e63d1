/**
 * The marker phase of a transaction (Kafka's TransactionMarkerChannelManager and its completion handler): once
 * PrepareCommit/PrepareAbort is in the log, write a marker to every partition of the transaction, retrying the
 * partitions that failed for a reason that may pass, then write CompleteCommit/CompleteAbort.
 *
 * Each round first checks that this coordinator still owns the transactional id at the same coordinator epoch;
 * if not, it stops: the new owner finishes the transaction when it loads the partition (markers are idempotent
 * for the partition: a repeated marker of a finished transaction changes nothing a reader sees).
 *
 * Concurrency: call only from the event loop.
 */
import { ErrorCode } from '@tributary/protocol';
import { Cancellable, Scheduler } from '@tributary/group-coordinator';
import { TransactionMarkerSink } from './marker-sink';
import { TransactionStateManager } from './state-manager';
import { TransactionMetadata, TransitMetadata } from './transaction-metadata';

export interface MarkerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface MarkerChannelOptions {
  stateManager: TransactionStateManager;
  sink: TransactionMarkerSink;
  scheduler: Scheduler;
  retryBackoffMs: number;
  logger: MarkerLogger;
  /** Whether the partition still exists; a deleted partition's marker is dropped (Kafka does the same). */
  partitionExists?: (topic: string, partition: number) => boolean;
}

interface PendingMarkers {
  transactionalId: string;
  coordinatorEpoch: number;
  committed: boolean;
  metadata: TransactionMetadata;
  transit: TransitMetadata;
  retry: Cancellable | undefined;
}

/** Errors for which a partition's marker is tried again later. */
const RETRIABLE = new Set<number>([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
]);

/** The partition cannot take a marker at all (too old a format): Kafka skips it. */
const SKIPPED = new Set<number>([ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, ErrorCode.UNSUPPORTED_VERSION]);

/** This coordinator has been superseded for the producer: stop sending, the new coordinator takes over. */
const FENCED = new Set<number>([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED]);

export class TransactionMarkerChannel {
  private readonly pending = new Map<string, PendingMarkers>();
  private active = true;

  constructor(private readonly options: MarkerChannelOptions) {}

  /** Starts the marker phase of a transaction whose Prepare state is written; `transit` is its completion. */
  addTxnMarkersToSend(coordinatorEpoch: number, committed: boolean, metadata: TransactionMetadata, transit: TransitMetadata): void {
    const previous = this.pending.get(metadata.transactionalId);
    previous?.retry?.cancel();
    const entry: PendingMarkers = { transactionalId: metadata.transactionalId, coordinatorEpoch, committed, metadata, transit, retry: undefined };
    this.pending.set(entry.transactionalId, entry);
    this.guarded(entry, this.sendRound(entry));
  }

  /** Transactional ids whose markers are still being written (for tests and shutdown). */
  get pendingTransactionalIds(): string[] {
    return [...this.pending.keys()];
  }

  /** Forgets the marker phases of the ids of one `__transaction_state` partition (it was unloaded). */
  removeMarkersForTxnTopicPartition(partition: number): void {
    for (const entry of [...this.pending.values()]) {
      if (this.options.stateManager.partitionFor(entry.transactionalId) === partition) this.drop(entry);
    }
  }

  shutdown(): void {
    this.active = false;
    for (const entry of [...this.pending.values()]) this.drop(entry);
  }

  private drop(entry: PendingMarkers): void {
    entry.retry?.cancel();
    if (this.pending.get(entry.transactionalId) === entry) this.pending.delete(entry.transactionalId);
  }

  /** Whether the id is still ours at the same epoch with this very metadata; otherwise the phase stops. */
  private stillOwned(entry: PendingMarkers): boolean {
    if (!this.active || this.pending.get(entry.transactionalId) !== entry) return false;
    const lookup = this.options.stateManager.getTransactionState(entry.transactionalId);
    return 'coordinatorEpoch' in lookup && lookup.coordinatorEpoch === entry.coordinatorEpoch && lookup.metadata === entry.metadata;
  }

  private async sendRound(entry: PendingMarkers): Promise<void> {
    entry.retry = undefined;
    if (!this.stillOwned(entry)) return this.drop(entry);
    const { metadata } = entry;
    const partitions = [...metadata.topicPartitions];
    if (partitions.length > 0) {
      let results;
      try {
        results = await this.options.sink.writeMarkers({
          producerId: metadata.producerId,
          producerEpoch: metadata.producerEpoch,
          coordinatorEpoch: entry.coordinatorEpoch,
          committed: entry.committed,
          partitions,
        });
      } catch (error) {
        // The port promises per-partition errors; a rejection is a bug there, but the transaction must still end.
        this.options.logger.error({ err: error, transactionalId: entry.transactionalId }, 'the marker writer failed; retrying');
        results = partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR }));
      }
      if (!this.stillOwned(entry)) return this.drop(entry);
      let retry = false;
      for (const result of results) {
        const tp = { topic: result.topic, partition: result.partition };
        if (result.errorCode === ErrorCode.NONE || SKIPPED.has(result.errorCode)) {
          metadata.removePartition(tp);
        } else if (FENCED.has(result.errorCode)) {
          this.options.logger.warn(
            { transactionalId: entry.transactionalId, topic: tp.topic, partition: tp.partition, errorCode: result.errorCode },
            'transaction marker refused: this coordinator was superseded for the producer; no more markers are sent',
          );
          return this.drop(entry);
        } else if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && this.options.partitionExists?.(tp.topic, tp.partition) === false) {
          // The partition was deleted: there is nothing left to mark.
          metadata.removePartition(tp);
        } else {
          if (!RETRIABLE.has(result.errorCode)) {
            this.options.logger.error(
              { transactionalId: entry.transactionalId, topic: tp.topic, partition: tp.partition, errorCode: result.errorCode },
              'unexpected error writing a transaction marker; retrying',
            );
          }
          retry = true;
        }
      }
      if (retry || metadata.topicPartitions.size > 0) return this.scheduleRetry(entry, () => this.sendRound(entry));
    }
    await this.writeCompletion(entry);
  }

  private async writeCompletion(entry: PendingMarkers): Promise<void> {
    entry.retry = undefined;
    if (!this.stillOwned(entry)) return this.drop(entry);
    const errorCode = await this.options.stateManager.appendTransactionToLog(
      entry.transactionalId,
      entry.coordinatorEpoch,
      entry.transit,
      (code) => code === ErrorCode.COORDINATOR_NOT_AVAILABLE,
    );
    if (errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) return this.scheduleRetry(entry, () => this.writeCompletion(entry));
    if (errorCode !== ErrorCode.NONE && errorCode !== ErrorCode.NOT_COORDINATOR) {
      this.options.logger.error({ transactionalId: entry.transactionalId, errorCode }, 'cannot write the completion of a transaction');
    }
    this.drop(entry);
  }

  /**
   * A failure here is a broken invariant (Kafka throws IllegalStateException on its marker thread); it is logged
   * and the phase stops, leaving the transaction prepared for the next load of its partition to finish, rather
   * than taking the broker down with an unhandled rejection.
   */
  private guarded(entry: PendingMarkers, step: Promise<void>): void {
    step.catch((error: unknown) => {
      this.options.logger.error({ err: error, transactionalId: entry.transactionalId }, 'the marker phase of a transaction failed');
      this.drop(entry);
    });
  }

  /** Runs `step` again after the retry backoff, guarded like every step of the phase. */
  private scheduleRetry(entry: PendingMarkers, step: () => Promise<void>): void {
    if (!this.active || this.pending.get(entry.transactionalId) !== entry) return;
    entry.retry = this.options.scheduler.schedule(this.options.retryBackoffMs, () => this.guarded(entry, step()));
  }
}
