/** The coordinator's settings, named after the broker configs they come from; defaults are Kafka 3.9's. */
export interface TransactionCoordinatorConfig {
  /** transaction.state.log.num.partitions (the topic's own count once it exists) */
  transactionStateLogNumPartitions: number;
  /** transaction.max.timeout.ms: the longest transaction timeout a producer may ask for. */
  transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms: a settled transactional id idle this long is removed. */
  transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortTimedOutTransactionsIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  removeExpiredTransactionalIdsIntervalMs: number;
  /**
   * How long to wait before writing a marker or a completion again after a retriable failure. Kafka retries on
   * its marker channel's next poll after `retry.backoff.ms` (100 ms); not a broker config of its own.
   */
  markerRetryBackoffMs: number;
}

export const DEFAULT_TRANSACTION_COORDINATOR_CONFIG: Readonly<TransactionCoordinatorConfig> = Object.freeze({
  transactionStateLogNumPartitions: 50,
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutTransactionsIntervalMs: 10_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
  markerRetryBackoffMs: 100,
});

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
