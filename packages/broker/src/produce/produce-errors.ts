/**
 * The errors a produced partition can get before or besides storage's own typed errors, each with the Kafka
 * error code it answers with.
 */
import { ErrorCode, TributaryError } from '@tributary/protocol';

/** Kafka's INVALID_RECORD (87) for a whole record set (request-level shape rules, batch rules). */
export class InvalidProducedRecordsError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.INVALID_RECORD, message);
  }
}

/** Kafka's UNSUPPORTED_COMPRESSION_TYPE (76): zstd in a Produce request older than v7. */
export class UnsupportedCompressionTypeError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message);
  }
}

/** Kafka's RecordError: which record of its batch broke which rule. */
export interface RecordError {
  batchIndex: number;
  message: string;
}

/**
 * Kafka's RecordValidationException: some records of a batch broke per-record rules. Answered with
 * INVALID_TIMESTAMP when any error is about a timestamp, else INVALID_RECORD, with the record errors (v8+) and
 * Kafka's summary as the partition's error message.
 */
export class RecordValidationError extends TributaryError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly recordErrors: readonly RecordError[],
  ) {
    super(code, message);
  }

  static of(errors: readonly (RecordError & { timestamp: boolean })[]): RecordValidationError {
    const recordErrors = errors.map(({ batchIndex, message }) => ({ batchIndex, message }));
    if (errors.some((error) => error.timestamp)) {
      return new RecordValidationError(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', recordErrors);
    }
    // Kafka prints the first three with Java's List.toString.
    const shown = recordErrors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`);
    return new RecordValidationError(
      ErrorCode.INVALID_RECORD,
      `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
      recordErrors,
    );
  }
}
