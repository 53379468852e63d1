/**
 * The one base class for Tributary's typed errors. Each error carries the Kafka error code a response would
 * use for it, so a handler can turn any subsystem failure into a protocol answer without a lookup table.
 * Exceptions are for bugs and for decode failures; expected protocol outcomes travel as `{ errorCode }` values.
 */
export class TributaryError extends Error {
  /** The Kafka protocol error code (see the generated error table). */
  readonly code: number;

  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Kafka's INVALID_REQUEST: the bytes do not form a valid request of the declared API and version. */
const INVALID_REQUEST = 42;
/** Kafka's CORRUPT_MESSAGE: a record batch or message failed validation (CRC, sizes, magic). */
const CORRUPT_MESSAGE = 2;
/** Kafka's UNSUPPORTED_VERSION. */
const UNSUPPORTED_VERSION = 35;

/** The bytes could not be decoded: too short, a negative or oversized length, an invalid varint. */
export class DecodeError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(INVALID_REQUEST, message, options);
  }
}

/** A record batch or legacy message is malformed or fails its checksum. */
export class CorruptRecordError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(CORRUPT_MESSAGE, message, options);
  }
}

/** A message cannot be written at the requested version (a non-ignorable field has no place in it). */
export class UnsupportedVersionError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(UNSUPPORTED_VERSION, message, options);
  }
}
