import { CorruptRecordError } from '../errors/tributary-error';
import { BATCH_HEADER_SIZE, BatchField, LOG_OVERHEAD, MAGIC_PREFIX_SIZE } from './batch-header';

/** One batch (magic 2) or legacy log entry (magic 0/1) inside a record set, as a view of the set's bytes. */
export interface RecordSetEntry {
  /** Byte position of the entry in the record set. */
  offset: number;
  /** Size in bytes, including the 12-byte log overhead (offset and length). */
  size: number;
  magic: number;
  bytes: Buffer;
}

/** Smallest whole entry per magic: v0 message 14 bytes, v1 22 bytes, v2 batch header 61, all with overhead. */
export const MIN_ENTRY_SIZE: readonly number[] = [LOG_OVERHEAD + 14, LOG_OVERHEAD + 22, BATCH_HEADER_SIZE];

/**
 * Walks a record set (log segment slice, Produce or Fetch payload) entry by entry using only each entry's length
 * and magic bytes; nothing is copied or decoded. A trailing partial entry ends the walk silently, because Fetch
 * responses are cut at a byte limit and may end inside a batch. A length or magic no writer could produce is a
 * CorruptRecordError.
 */
export function* iterateRecordSet(recordSet: Buffer): Generator<RecordSetEntry> {
  let at = 0;
  while (recordSet.length - at >= MAGIC_PREFIX_SIZE) {
    const declared = recordSet.readInt32BE(at + BatchField.BATCH_LENGTH);
    const magic = recordSet.readInt8(at + BatchField.MAGIC);
    if (magic < 0 || magic > 2) throw new CorruptRecordError(`record set entry at byte ${at} has magic ${magic}`);
    const size = declared + LOG_OVERHEAD;
    if (declared < 0 || size < MIN_ENTRY_SIZE[magic]) {
      throw new CorruptRecordError(`record set entry at byte ${at} declares an impossible size ${declared}`);
    }
    if (size > recordSet.length - at) return;
    yield { offset: at, size, magic, bytes: recordSet.subarray(at, at + size) };
    at += size;
  }
}

/** Whether the record set ends exactly at an entry boundary (no partial trailing entry). */
export function recordSetIsComplete(recordSet: Buffer): boolean {
  let end = 0;
  for (const entry of iterateRecordSet(recordSet)) end = entry.offset + entry.size;
  return end === recordSet.length;
}
