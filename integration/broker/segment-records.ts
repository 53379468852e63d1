/**
 * Reads what a broker wrote to a partition's segment files, straight from disk, with the protocol package's
 * decoder: the records as stored, independent of any Fetch path. Safe while the broker runs (appends only grow
 * the files; a partial batch at the end is skipped).
 */
import fs from 'node:fs';
import path from 'node:path';
import { iterateBatchRecords, iterateRecordSet, readBatchHeader, recordTimestamp } from '@tributary/protocol';

export interface StoredRecord {
  offset: bigint;
  timestamp: bigint;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

export function segmentFiles(logDir: string, topic: string, partition: number): string[] {
  const dir = path.join(logDir, `${topic}-${partition}`);
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.log'))
    .sort()
    .map((name) => path.join(dir, name));
}

export function storedRecords(logDir: string, topic: string, partition: number): StoredRecord[] {
  const out: StoredRecord[] = [];
  for (const file of segmentFiles(logDir, topic, partition)) {
    for (const entry of iterateRecordSet(fs.readFileSync(file))) {
      const header = readBatchHeader(entry.bytes);
      for (const record of iterateBatchRecords(entry.bytes)) {
        out.push({
          offset: header.baseOffset + BigInt(record.offsetDelta),
          timestamp: recordTimestamp(header, record),
          key: record.key?.toString() ?? null,
          value: record.value?.toString() ?? null,
          headers: Object.fromEntries(record.headers.map((h) => [h.key, h.value?.toString() ?? null])),
        });
      }
    }
  }
  return out;
}
