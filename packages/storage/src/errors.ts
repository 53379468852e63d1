import { TributaryError } from '@tributary/protocol';

/**
 * Storage failures as typed values. Each carries the Kafka error code the produce or fetch handler answers with,
 * so the broker never needs to map storage exceptions by hand.
 */

/** Kafka's OFFSET_OUT_OF_RANGE (1): a read below the log start offset or beyond the log end offset. */
export class OffsetOutOfRangeError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(1, message, options);
  }
}

/** Kafka's MESSAGE_TOO_LARGE (10): one batch is larger than `max.message.bytes`. */
export class RecordTooLargeError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(10, message, options);
  }
}

/** Kafka's RECORD_LIST_TOO_LARGE (18): an append is larger than a whole segment (`segment.bytes`). */
export class RecordBatchTooLargeError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(18, message, options);
  }
}

/** Kafka's INVALID_TIMESTAMP (32): a CreateTime timestamp outside the configured window around broker time. */
export class InvalidTimestampError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(32, message, options);
  }
}

/** Kafka's UNSUPPORTED_FOR_MESSAGE_FORMAT (43): a legacy (magic 0/1) batch reached storage unconverted. */
export class UnsupportedForMessageFormatError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(43, message, options);
  }
}

/**
 * Kafka's KAFKA_STORAGE_ERROR (56): the disk failed (EIO, ENOSPC, a read-only mount). The log dir holding the
 * partition goes offline; clients retry against another replica or after an operator fixes the disk.
 */
export class KafkaStorageError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(56, message, options);
  }
}

/** Kafka's INVALID_RECORD (87): a batch that is well formed but breaks a rule (record count, null key). */
export class InvalidRecordError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(87, message, options);
  }
}

/** Kafka's UNKNOWN_TOPIC_OR_PARTITION (3): no log exists for the partition on this broker. */
export class UnknownTopicOrPartitionError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(3, message, options);
  }
}

/** Wraps any file-system failure as a KafkaStorageError naming the file and the operation. */
export function storageError(operation: string, path: string, cause: unknown): KafkaStorageError {
  if (cause instanceof KafkaStorageError) return cause;
  const detail = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  return new KafkaStorageError(`${operation} ${path} failed: ${detail}`, { cause });
}
