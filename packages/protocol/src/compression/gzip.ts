import * as zlib from 'zlib';
import { DecompressOptions, corrupt, outputLimit, tooLarge } from './limits';

/** Gzip as the Java client writes it (GZIPOutputStream: one member, default level). */
export function gzipCompress(data: Buffer): Buffer {
  return zlib.gzipSync(data);
}

/** Inflates a gzip stream (concatenated members allowed), stopping at the output limit. */
export function gzipDecompress(data: Buffer, options?: DecompressOptions): Buffer {
  const limit = outputLimit(options);
  try {
    const output = zlib.gunzipSync(data, { maxOutputLength: Math.max(1, limit) });
    if (output.length > limit) throw tooLarge('gzip', limit, output.length);
    return output;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('gzip', limit);
    throw corrupt('gzip', cause);
  }
}
