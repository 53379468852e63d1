import { CorruptRecordError } from '../errors/tributary-error';

/**
 * How many bytes a decompressor may produce unless told otherwise. Kafka bounds a batch by `message.max.bytes`
 * (1 MiB by default) on the compressed side only; a few kilobytes of zstd or gzip can expand to gigabytes, so
 * every decompressor here also stops at an output limit and reports the batch as corrupt instead of allocating.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 100 * 1024 * 1024;

export interface DecompressOptions {
  /** Refuse (CorruptRecordError) once the output would exceed this many bytes. */
  maxOutputBytes?: number;
}

export function outputLimit(options: DecompressOptions | undefined): number {
  const limit = options?.maxOutputBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`invalid maxOutputBytes ${limit}`);
  return limit;
}

export function tooLarge(codec: string, limit: number, size?: number): CorruptRecordError {
  const claim = size === undefined ? 'more than' : `${size} bytes, over`;
  return new CorruptRecordError(`${codec} data decompresses to ${claim} the limit of ${limit} bytes`);
}

/** Wraps a codec library's failure (a plain Error or RangeError) into the typed error callers expect. */
export function corrupt(codec: string, cause: unknown): CorruptRecordError {
  if (cause instanceof CorruptRecordError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new CorruptRecordError(`invalid ${codec} data: ${reason}`, { cause });
}
