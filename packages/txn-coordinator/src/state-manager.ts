/**
 * The transactional ids of the `__transaction_state` partitions this coordinator leads (Kafka's
 * TransactionStateManager): loading a partition by replaying it, answering lookups (COORDINATOR_LOAD_IN_PROGRESS
 * while loading, NOT_COORDINATOR for a partition led elsewhere), writing each transition to the log before it
 * takes effect, timed-out transactions, expiry of idle ids by tombstones, and ListTransactions.
 *
 * Concurrency: call only from the event loop. Lookups and checks never await; the log write is the only await,
 * and what follows it re-checks that the partition is still led at the same coordinator epoch.
 */
import { ErrorCode, RecordBatch, iterateRecordSet } from '@tributary/protocol';
import { CoordinatorLog, CoordinatorRecord, CoordinatorWriter, Scheduler, errorCodeOf, partitionFor, placementError } from '@tributary/group-coordinator';
import { TransactionCoordinatorConfig } from './config';
import { decodeTransactionRecord, transactionLogKey, transactionLogValue } from './records';
import { TransactionMetadata, TransitMetadata } from './transaction-metadata';
import { TransactionState, isExpirationAllowed, transactionStateFromName, transactionStateName } from './transaction-state';

export type StateLookup = { errorCode: ErrorCode } | { errorCode: ErrorCode.NONE; coordinatorEpoch: number; metadata: TransactionMetadata | undefined };

/** A transaction found in PrepareCommit/PrepareAbort when its partition was loaded: its markers must be written. */
export interface PendingCompletion {
  transactionalId: string;
  coordinatorEpoch: number;
  committed: boolean;
  metadata: TransactionMetadata;
  transit: TransitMetadata;
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: bigint;
  transactionState: string;
}

interface OwnedPartition {
  coordinatorEpoch: number;
  loading: boolean;
  /** Bumped on every load/unload, so a load that was overtaken stops instead of installing stale state. */
  generation: number;
  transactions: Map<string, TransactionMetadata>;
  load: Promise<PendingCompletion[]>;
}

/** Tombstones written per batch when expiring ids; Kafka bounds the batch by the topic's max message size. */
const MAX_TOMBSTONES_PER_BATCH = 500;

export class TransactionStateManager {
  private readonly partitions = new Map<number, OwnedPartition>();
  private readonly writer: CoordinatorWriter;
  private generation = 0;

  constructor(
    private readonly log: CoordinatorLog,
    private readonly scheduler: Scheduler,
    private readonly config: Readonly<TransactionCoordinatorConfig>,
  ) {
    this.writer = new CoordinatorWriter(log, scheduler);
  }

  /** Kafka's partitionFor: abs(String.hashCode) % partition count of `__transaction_state`. */
  partitionFor(transactionalId: string): number {
    return partitionFor(transactionalId, this.config.transactionStateLogNumPartitions);
  }

  validateTransactionTimeoutMs(txnTimeoutMs: number): boolean {
    return txnTimeoutMs <= this.config.transactionMaxTimeoutMs && txnTimeoutMs > 0;
  }

  isPartitionLoading(partition: number): boolean {
    return this.partitions.get(partition)?.loading === true;
  }

  ownsPartition(partition: number): boolean {
    return this.partitions.get(partition)?.loading === false;
  }

  /** Whether the partition is loaded, or being loaded, at `coordinatorEpoch` or a later one. */
  hasPartitionAtEpoch(partition: number, coordinatorEpoch: number): boolean {
    const owned = this.partitions.get(partition);
    return owned !== undefined && owned.coordinatorEpoch >= coordinatorEpoch;
  }

  get anyLoading(): boolean {
    for (const owned of this.partitions.values()) if (owned.loading) return true;
    return false;
  }

  getTransactionState(transactionalId: string): StateLookup {
    return this.getAndMaybeAdd(transactionalId, undefined);
  }

  /** Adds `created` unless the id already has metadata, and answers with whichever is in the cache. */
  putTransactionStateIfNotExists(created: TransactionMetadata): StateLookup {
    return this.getAndMaybeAdd(created.transactionalId, created);
  }

  private getAndMaybeAdd(transactionalId: string, created: TransactionMetadata | undefined): StateLookup {
    const owned = this.partitions.get(this.partitionFor(transactionalId));
    if (owned === undefined) return { errorCode: ErrorCode.NOT_COORDINATOR };
    if (owned.loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    let metadata = owned.transactions.get(transactionalId);
    if (metadata === undefined && created !== undefined) {
      owned.transactions.set(transactionalId, created);
      metadata = created;
    }
    return { errorCode: ErrorCode.NONE, coordinatorEpoch: owned.coordinatorEpoch, metadata };
  }

  /**
   * Writes `transit` for the id and, once written, applies it (completeTransitionTo). Resolves with the error the
   * caller answers: the append's failure mapped as Kafka maps it, or NOT_COORDINATOR when the partition moved
   * meanwhile. On failure the pending transition is dropped, unless `retryOnError` says the caller retries it.
   */
  async appendTransactionToLog(
    transactionalId: string,
    coordinatorEpoch: number,
    transit: TransitMetadata,
    retryOnError: (errorCode: ErrorCode) => boolean = () => false,
  ): Promise<ErrorCode> {
    const before = this.getTransactionState(transactionalId);
    if (!('coordinatorEpoch' in before)) return before.errorCode;
    if (before.metadata === undefined || before.coordinatorEpoch !== coordinatorEpoch) return ErrorCode.NOT_COORDINATOR;
    const record: CoordinatorRecord = { key: transactionLogKey(transactionalId), value: transactionLogValue(transit) };
    let errorCode: ErrorCode = ErrorCode.NONE;
    try {
      await this.writer.append(this.partitionFor(transactionalId), [record]);
    } catch (error) {
      errorCode = appendErrorCode(error);
    }
    const after = this.getTransactionState(transactionalId);
    if (errorCode === ErrorCode.NONE) {
      if (!('coordinatorEpoch' in after)) return after.errorCode;
      // The partition was unloaded (and maybe reloaded) while the write was in flight: the client rediscovers.
      if (after.metadata === undefined || after.coordinatorEpoch !== coordinatorEpoch) return ErrorCode.NOT_COORDINATOR;
      after.metadata.completeTransitionTo(transit);
      return ErrorCode.NONE;
    }
    if ('coordinatorEpoch' in after && after.metadata !== undefined && after.coordinatorEpoch === coordinatorEpoch && !retryOnError(errorCode)) {
      after.metadata.pendingState = undefined;
    }
    return errorCode;
  }

  /**
   * Takes over a partition at `coordinatorEpoch`: replays it, installs its ids, and resolves with the
   * transactions whose markers must still be written (found in PrepareCommit/PrepareAbort).
   */
  loadPartition(partition: number, coordinatorEpoch: number): Promise<PendingCompletion[]> {
    const current = this.partitions.get(partition);
    if (current !== undefined && current.coordinatorEpoch >= coordinatorEpoch) return current.load.then(() => []);
    const token = ++this.generation;
    const owned: OwnedPartition = { coordinatorEpoch, loading: true, generation: token, transactions: new Map(), load: Promise.resolve([]) };
    this.partitions.set(partition, owned);
    owned.load = this.replay(partition, owned);
    return owned.load;
  }

  private async replay(partition: number, owned: OwnedPartition): Promise<PendingCompletion[]> {
    const loaded = new Map<string, TransactionMetadata>();
    try {
      for await (const recordSet of this.log.read(partition, 0n)) {
        if (this.partitions.get(partition) !== owned) return [];
        for (const entry of iterateRecordSet(recordSet)) {
          if (entry.magic !== 2) continue;
          const batch = new RecordBatch(entry.bytes);
          const header = batch.validate();
          if (header.isControl) continue;
          for (const record of batch.records()) {
            if (record.key === null) continue;
            const decoded = decodeTransactionRecord(record.key, record.value);
            if (decoded.type !== 'transaction') continue;
            if (decoded.metadata === null) loaded.delete(decoded.transactionalId);
            else loaded.set(decoded.transactionalId, decoded.metadata);
          }
        }
      }
    } catch (error) {
      // As in Kafka, a partition that fails to load is not served (NOT_COORDINATOR), never half-loaded.
      if (this.partitions.get(partition) === owned) this.partitions.delete(partition);
      throw error;
    }
    if (this.partitions.get(partition) !== owned) return [];
    const nowMs = this.scheduler.nowMs();
    const pending: PendingCompletion[] = [];
    for (const [transactionalId, metadata] of loaded) {
      owned.transactions.set(transactionalId, metadata);
      if (metadata.state === TransactionState.PrepareCommit || metadata.state === TransactionState.PrepareAbort) {
        pending.push({
          transactionalId,
          coordinatorEpoch: owned.coordinatorEpoch,
          committed: metadata.state === TransactionState.PrepareCommit,
          metadata,
          transit: metadata.prepareComplete(nowMs),
        });
      }
    }
    owned.loading = false;
    return pending;
  }

  /** Gives a partition up (or drops a failed load). With an epoch, only a load or ownership at that epoch goes. */
  unloadPartition(partition: number, coordinatorEpoch?: number): void {
    const owned = this.partitions.get(partition);
    if (owned === undefined) return;
    if (coordinatorEpoch !== undefined && owned.coordinatorEpoch !== coordinatorEpoch) return;
    this.partitions.delete(partition);
  }

  ownedPartitions(): number[] {
    return [...this.partitions.keys()];
  }

  /** Ongoing transactions older than their timeout, with no transition in flight (Kafka's best-effort check). */
  timedOutTransactions(): { transactionalId: string; producerId: bigint; producerEpoch: number }[] {
    const nowMs = this.scheduler.nowMs();
    const timedOut = [];
    for (const owned of this.partitions.values()) {
      if (owned.loading) continue;
      for (const metadata of owned.transactions.values()) {
        if (metadata.pendingTransitionInProgress || metadata.state !== TransactionState.Ongoing) continue;
        if (metadata.txnStartTimestampMs + metadata.txnTimeoutMs < nowMs) {
          timedOut.push({ transactionalId: metadata.transactionalId, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch });
        }
      }
    }
    return timedOut;
  }

  /**
   * Removes ids settled and idle for transactional.id.expiration.ms: marks them Dead, writes their tombstones,
   * and drops them from the cache once written (unless something changed them meanwhile).
   */
  async removeExpiredTransactionalIds(): Promise<void> {
    const nowMs = this.scheduler.nowMs();
    const writes: Promise<void>[] = [];
    for (const [partition, owned] of this.partitions) {
      if (owned.loading) continue;
      let expired: { metadata: TransactionMetadata; transit: TransitMetadata }[] = [];
      const flush = (): void => {
        if (expired.length > 0) writes.push(this.writeTombstones(partition, owned, expired));
        expired = [];
      };
      for (const metadata of owned.transactions.values()) {
        if (metadata.pendingState !== undefined || !isExpirationAllowed(metadata.state)) continue;
        if (metadata.txnLastUpdateTimestampMs > nowMs - this.config.transactionalIdExpirationMs) continue;
        expired.push({ metadata, transit: metadata.prepareDead() });
        if (expired.length >= MAX_TOMBSTONES_PER_BATCH) flush();
      }
      flush();
    }
    await Promise.all(writes);
  }

  private async writeTombstones(
    partition: number,
    owned: OwnedPartition,
    expired: readonly { metadata: TransactionMetadata; transit: TransitMetadata }[],
  ): Promise<void> {
    let errorCode: ErrorCode = ErrorCode.NONE;
    try {
      await this.writer.append(
        partition,
        expired.map(({ metadata }) => ({ key: transactionLogKey(metadata.transactionalId), value: null })),
      );
    } catch (error) {
      errorCode = appendErrorCode(error);
    }
    for (const { metadata, transit } of expired) {
      const stillOwned = this.partitions.get(partition) === owned && owned.transactions.get(metadata.transactionalId) === metadata;
      if (stillOwned && errorCode === ErrorCode.NONE && metadata.pendingState === TransactionState.Dead && metadata.producerEpoch === transit.producerEpoch) {
        owned.transactions.delete(metadata.transactionalId);
      } else {
        metadata.pendingState = undefined;
      }
    }
  }

  /** ListTransactions over every loaded partition, with Kafka's filters (-1 duration: no duration filter). */
  listTransactionStates(
    filterProducerIds: ReadonlySet<bigint>,
    filterStateNames: readonly string[],
    filterDurationMs: bigint,
  ): { errorCode: ErrorCode; unknownStateFilters: string[]; transactionStates: ListedTransaction[] } {
    if (this.anyLoading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactionStates: [] };
    const unknownStateFilters: string[] = [];
    const filterStates = new Set<TransactionState>();
    for (const name of filterStateNames) {
      const state = transactionStateFromName(name);
      if (state === undefined) unknownStateFilters.push(name);
      else filterStates.add(state);
    }
    const nowMs = BigInt(this.scheduler.nowMs());
    const transactionStates: ListedTransaction[] = [];
    for (const owned of this.partitions.values()) {
      for (const metadata of owned.transactions.values()) {
        // Dead ids are being expired: transient, never listed.
        if (metadata.state === TransactionState.Dead) continue;
        if (filterProducerIds.size > 0 && !filterProducerIds.has(metadata.producerId)) continue;
        if (filterStateNames.length > 0 && !filterStates.has(metadata.state)) continue;
        if (filterDurationMs >= 0n && nowMs - BigInt(metadata.txnStartTimestampMs) <= filterDurationMs) continue;
        transactionStates.push({ transactionalId: metadata.transactionalId, producerId: metadata.producerId, transactionState: transactionStateName(metadata.state) });
      }
    }
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates };
  }

  /** Drops every partition (shutdown). */
  clear(): void {
    this.partitions.clear();
  }
}

/** How Kafka's appendTransactionToLog turns a failed append into the error the client gets. */
export function appendErrorCode(error: unknown): ErrorCode {
  const code = errorCodeOf(error);
  // Unlike the group's paths, a timed-out append here means the coordinator is not available.
  if (code === ErrorCode.REQUEST_TIMED_OUT) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (code === ErrorCode.MESSAGE_TOO_LARGE || code === ErrorCode.RECORD_LIST_TOO_LARGE) return ErrorCode.UNKNOWN_SERVER_ERROR;
  return placementError(code) ?? code;
}
