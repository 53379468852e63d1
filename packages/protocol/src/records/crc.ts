import * as zlib from 'zlib';

/**
 * Which CRC-32C implementation `fast-crc32c` (used by batch-header.ts) picked. It tries the SSE4.2 binding
 * `sse4_crc32` first and keeps it only if it computes a known checksum correctly, then falls back to a
 * table-driven JavaScript loop that is an order of magnitude slower. We repeat the same probe here so that
 * benchmarks and startup logs can say which one is running.
 */
export type Crc32cImplementation = 'native' | 'javascript';

const PROBE_TEXT = 'The quick brown fox jumps over the lazy dog';
const PROBE_CRC32C = 0x22620404;
let detected: Crc32cImplementation | undefined;

export function crc32cImplementation(): Crc32cImplementation {
  if (detected === undefined) detected = probeNative() ? 'native' : 'javascript';
  return detected;
}

function probeNative(): boolean {
  try {
    const native = require('sse4_crc32') as { calculate(input: Buffer): number };
    return native.calculate(Buffer.from(PROBE_TEXT)) >>> 0 === PROBE_CRC32C;
  } catch {
    return false;
  }
}

/** The IEEE CRC-32 (zlib's) that legacy v0/v1 messages carry. Node has it natively since 20.15. */
export function crc32(data: Buffer): number {
  return zlib.crc32(data) >>> 0;
}
