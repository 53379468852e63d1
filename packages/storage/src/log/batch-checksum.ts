import { calculate as fastCrc32c } from 'fast-crc32c';
import * as protocol from '@tributary/protocol';
import { nativeAddon } from '../native';

/**
 * CRC-32C of the bytes a v2 batch's checksum covers, for the hot paths of storage (append validation, recovery,
 * checked reads). It prefers the package's addon (three interleaved hardware CRC streams, three to four times the
 * speed of one) and falls back to fast-crc32c when the addon is not there; both give the same answers.
 */
export type Crc32c = (bytes: Uint8Array, previous?: number) => number;
/** CRC-32C of `bytes[start, end)`, without a view. */
type Crc32cRange = (bytes: Uint8Array, previous: number, start: number, end: number) => number;

export enum Crc32cImplementation {
  Native = 'native (3 interleaved crc32q streams)',
  FastCrc32c = 'fast-crc32c',
}

const fallback = {
  crc32c: ((bytes, previous = 0) => fastCrc32c(bytes as Buffer, previous) >>> 0) as Crc32c,
  range: ((bytes, previous, start, end) => fastCrc32c((bytes as Buffer).subarray(start, end), previous) >>> 0) as Crc32cRange,
};

const addon = nativeAddon;
export const crc32c: Crc32c = addon ? (bytes, previous) => addon.crc32c(bytes, previous) : fallback.crc32c;
const crc32cRange: Crc32cRange = addon ? addon.crc32c : fallback.range;
/** Which implementation this process checks CRCs with (the benchmark prints it). */
export const crc32cImplementation: Crc32cImplementation = nativeAddon ? Crc32cImplementation.Native : Crc32cImplementation.FastCrc32c;

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
