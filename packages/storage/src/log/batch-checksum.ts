import * as path from 'path';
import { calculate as fastCrc32c } from 'fast-crc32c';
import * as protocol from '@tributary/protocol';

/**
 * CRC-32C of the bytes a v2 batch's checksum covers, for the hot paths of storage (append validation, recovery,
 * checked reads). It prefers the package's own addon (`native/crc32c.c`: three interleaved hardware CRC streams,
 * about three times the speed of one) and falls back to fast-crc32c when the addon was not built; both give the
 * same answers. `TRIBUTARY_CRC32C=fast-crc32c` forces the fallback, to compare the two.
 */
export type Crc32c = (bytes: Uint8Array, previous?: number) => number;
/** CRC-32C of `bytes[start, end)`, without a view. */
type Crc32cRange = (bytes: Uint8Array, previous: number, start: number, end: number) => number;

export enum Crc32cImplementation {
  Native = 'native (3 interleaved crc32q streams)',
  FastCrc32c = 'fast-crc32c',
}

// src/log and dist/log are both two levels below the package root, where node-gyp puts build/.
const ADDON_PATH = path.join(__dirname, '..', '..', 'build', 'Release', 'tributary_crc32c.node');

/** Loads the addon, or returns undefined when it is missing or unusable. */
export function loadNativeCrc32c(): Crc32c | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(ADDON_PATH) as { crc32c: Crc32c & Crc32cRange };
    return typeof addon.crc32c === 'function' ? addon.crc32c : undefined;
  } catch {
    return undefined;
  }
}

function choose(): { crc32c: Crc32c; range: Crc32cRange; implementation: Crc32cImplementation } {
  const native = process.env.TRIBUTARY_CRC32C === 'fast-crc32c' ? undefined : (loadNativeCrc32c() as (Crc32c & Crc32cRange) | undefined);
  if (native) return { crc32c: native, range: native, implementation: Crc32cImplementation.Native };
  return {
    crc32c: (bytes, previous = 0) => fastCrc32c(bytes as Buffer, previous) >>> 0,
    range: (bytes, previous, start, end) => fastCrc32c((bytes as Buffer).subarray(start, end), previous) >>> 0,
    implementation: Crc32cImplementation.FastCrc32c,
  };
}

const chosen = choose();
export const crc32c: Crc32c = chosen.crc32c;
const crc32cRange: Crc32cRange = chosen.range;
/** Which implementation this process checks CRCs with (the benchmark prints it). */
export const crc32cImplementation: Crc32cImplementation = chosen.implementation;

const { CRC, ATTRIBUTES } = protocol.BatchField;

/** Whether the stored CRC of one whole v2 batch matches its contents. */
export function isBatchChecksumValid(batch: Buffer): boolean {
  return isBatchChecksumValidAt(batch, 0, batch.length);
}

/** The same for the batch of `size` bytes at `buffer[at]` (the caller has checked that it fits). */
export function isBatchChecksumValidAt(buffer: Buffer, at: number, size: number): boolean {
  return buffer.readUInt32BE(at + CRC) === crc32cRange(buffer, 0, at + ATTRIBUTES, at + size);
}

/** Rewrites a v2 batch's CRC after the broker changed covered bytes (LogAppendTime). */
export function updateBatchChecksum(batch: Buffer): void {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)), CRC);
}
