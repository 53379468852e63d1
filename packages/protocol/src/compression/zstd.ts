import * as zstd from 'zstd-napi';
import * as binding from 'zstd-napi/binding';
import { CorruptRecordError } from '../errors/tributary-error';
import { DecompressOptions, corrupt, outputLimit, tooLarge } from './limits';

/** The level the Java producer uses by default (compression.zstd.level = 3). */
const KAFKA_DEFAULT_LEVEL = 3;
const OUTPUT_CHUNK_SIZE = binding.dStreamOutSize();
/**
 * One decompression context for the process: creating one costs more than decompressing a small batch. Safe
 * because decompression here is synchronous; the context is reset before each use, so a failed call cannot
 * leave state behind for the next.
 */
let sharedContext: binding.DCtx | undefined;

export function zstdCompress(data: Buffer, level = KAFKA_DEFAULT_LEVEL): Buffer {
  return zstd.compress(data, { compressionLevel: level });
}

/**
 * Streams the frames through one decompression context, a chunk at a time, so that neither a declared content
 * size nor a high compression ratio can make us allocate more than the limit plus one chunk. The Java client
 * writes streaming frames without a content size, so the size cannot be known in advance anyway.
 */
export function zstdDecompress(data: Buffer, options?: DecompressOptions): Buffer {
  const limit = outputLimit(options);
  const context = (sharedContext ??= new binding.DCtx());
  context.reset(binding.ResetDirective.sessionOnly);
  const pieces: Buffer[] = [];
  let total = 0;
  let input = data;
  let frameOpen = false;
  try {
    while (input.length > 0) {
      const chunk = Buffer.allocUnsafe(Math.min(OUTPUT_CHUNK_SIZE, limit - total + 1));
      const [hint, produced, consumed] = context.decompressStream(chunk, input);
      if (produced === 0 && consumed === 0) throw new CorruptRecordError('zstd stream makes no progress');
      total += produced;
      if (total > limit) throw tooLarge('zstd', limit);
      if (produced > 0) pieces.push(chunk.subarray(0, produced));
      input = input.subarray(consumed);
      frameOpen = hint !== 0;
    }
  } catch (cause) {
    throw corrupt('zstd', cause);
  }
  if (frameOpen || data.length === 0) throw new CorruptRecordError('zstd stream ends inside a frame');
  return pieces.length === 1 ? Buffer.from(pieces[0]) : Buffer.concat(pieces, total);
}
