import { ErrorCode, TributaryError } from '@tributary/protocol';

/**
 * The producer-state failures of an append, each carrying the Kafka error code the Produce (or WriteTxnMarkers)
 * response answers with. Kafka raises them from ProducerAppendInfo before anything is written.
 */

/** OUT_OF_ORDER_SEQUENCE_NUMBER (45): a batch's first sequence does not follow the producer's last one. */
export class OutOfOrderSequenceError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message);
  }
}

/** INVALID_PRODUCER_EPOCH (47): a batch or marker carries an epoch older than the producer's latest. */
export class InvalidProducerEpochError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.INVALID_PRODUCER_EPOCH, message);
  }
}

/** INVALID_TXN_STATE (48): a non-transactional batch from a producer whose transaction is still open. */
export class InvalidTxnStateError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.INVALID_TXN_STATE, message);
  }
}

/** TRANSACTION_COORDINATOR_FENCED (52): a marker from a coordinator epoch older than one already seen. */
export class TransactionCoordinatorFencedError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.TRANSACTION_COORDINATOR_FENCED, message);
  }
}
