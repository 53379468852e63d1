/**
 * Kafka's file naming: a segment's files are named by its base offset, zero-padded to 20 digits, plus a suffix.
 */
export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const SNAPSHOT_SUFFIX = '.snapshot';
/** Scheduled for removal after file.delete.delay.ms. */
export const DELETED_SUFFIX = '.deleted';
/** Cleaner output not yet swapped in. */
export const CLEANED_SUFFIX = '.cleaned';
/** Cleaner output being swapped in. */
export const SWAP_SUFFIX = '.swap';

export const SEGMENT_SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] as const;

export function offsetFileName(offset: bigint, suffix: string): string {
  return offset.toString().padStart(20, '0') + suffix;
}

/** The base offset a file name carries, or undefined for a name that is not `<20 digits><suffix>...`. */
export function offsetFromFileName(name: string): bigint | undefined {
  const match = /^(\d{20})\./.exec(name);
  return match ? BigInt(match[1]) : undefined;
}

/** Partition directory name: `<topic>-<partition>`. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * Splits a partition directory name at its last '-' (topics may contain '-'). Returns undefined for names
 * that are not partition directories (checkpoint files, `-delete`/`-future`/`-stray` dirs).
 */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  if (/\.[0-9a-f]{32}-(delete|future|stray)$/.test(name)) return undefined;
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const partitionText = name.slice(dash + 1);
  if (!/^\d+$/.test(partitionText)) return undefined;
  return { topic: name.slice(0, dash), partition: Number(partitionText) };
}
