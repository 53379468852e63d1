import * as path from 'path';

/**
 * The package's optional addon (`native/addon.c`, built by `npm install` through node-gyp): a three-stream
 * hardware CRC-32C, a bare positional write and the whole batch validation of an append in one call, the costs
 * of an append besides the kernel's own copy. When
 * it is missing (the build failed, or `TRIBUTARY_NATIVE=0` turns it off to compare), storage uses fast-crc32c and
 * fs.writeSync instead: slower, same results.
 */
export interface NativeAddon {
  /** CRC-32C of `bytes` (or of `bytes[start, end)`), continuing from `previous` (0 to start afresh). */
  crc32c(bytes: Uint8Array, previous?: number, start?: number, end?: number): number;
  /** One pwrite(2) of all of `bytes` at `position`: the bytes written, or a negative errno. */
  pwrite(fd: number, bytes: Uint8Array, position: number): number;
  /**
   * The per-batch checks of a produced record set in one call (see `validateNatively` in log/append-validation.ts,
   * which fills the parameters and reads the results): the number of batches, or a negative `ValidationFailure`.
   * Its parameters and results live in the arrays `validationArrays` last returned.
   */
  validateBatches(records: Uint8Array): number;
  /** [params, out] for validateBatches, `out` with room for `batches` batches' facts; replaces the previous `out`. */
  validationArrays(batches: number): [Float64Array, Float64Array];
  /**
   * Whether crc32c folds inputs of 1 KiB and more with AVX-512 VPCLMULQDQ (the CPU has it, and
   * TRIBUTARY_NO_FOLD=1 did not turn it off), three to four times as fast as the three crc32 streams.
   */
  folding: boolean;
  /** The calling thread's CPU time in nanoseconds (for the benchmark, to spot descheduled calls). */
  threadCpuTimeNs(): number;
  /** Whether the CPU has SSE4.2 (otherwise crc32c runs a table-driven loop in C). */
  hardware: boolean;
}

// src/ and dist/ are both one level below the package root, where node-gyp puts build/.
export const NATIVE_ADDON_PATH = path.join(__dirname, '..', 'build', 'Release', 'tributary_storage.node');

/** Loads the addon, or returns undefined when it is missing, unusable or turned off. */
export function loadNativeAddon(env: NodeJS.ProcessEnv = process.env): NativeAddon | undefined {
  if (env.TRIBUTARY_NATIVE === '0') return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(NATIVE_ADDON_PATH) as NativeAddon;
    const complete = typeof addon.crc32c === 'function' && typeof addon.pwrite === 'function' && typeof addon.validateBatches === 'function' &&
      typeof addon.validationArrays === 'function';
    return complete ? addon : undefined;
  } catch {
    return undefined;
  }
}

/** The addon this process uses, loaded once. */
export const nativeAddon: NativeAddon | undefined = loadNativeAddon();
