import { TributaryError } from '../errors/tributary-error';

/** Kafka's UNSUPPORTED_COMPRESSION_TYPE. */
const UNSUPPORTED_COMPRESSION_TYPE = 76;

/**
 * The data uses a codec the other side cannot read: zstd cannot be carried in legacy (magic 0/1) messages, so a
 * zstd batch cannot be down-converted for an old fetcher.
 */
export class UnsupportedCompressionTypeError extends TributaryError {
  constructor(message: string, options?: ErrorOptions) {
    super(UNSUPPORTED_COMPRESSION_TYPE, message, options);
  }
}
