import { type BatchSpec, buildRecordBatch } from '@tributary/protocol';
import { ManualClock, MemoryFileSystem, PartitionLog, type FileSystem, type LogConfig, logConfig } from '../src';

export const DIR = '/logs/topic-0';

/** A producer batch of `count` records whose values are `valueBytes` long, keyed `key-<i>`. */
export function batchOf(count: number, options: { valueBytes?: number; timestamp?: number; keyPrefix?: string | null; spec?: Partial<BatchSpec> } = {}): Buffer {
  const timestamp = BigInt(options.timestamp ?? 1_700_000_000_000);
  const valueBytes = options.valueBytes ?? 16;
  return buildRecordBatch({
    ...options.spec,
    records: Array.from({ length: count }, (_, i) => ({
      timestamp: timestamp + BigInt(i),
      key: options.keyPrefix === null ? null : Buffer.from(`${options.keyPrefix ?? 'key'}-${i}`),
      value: Buffer.alloc(valueBytes, i & 0xff),
    })),
  });
}

export interface LogFixture {
  fs: FileSystem;
  clock: ManualClock;
  log: PartitionLog;
  reopen(extra?: { recoveryPoint?: bigint; hadCleanShutdown?: boolean; config?: Partial<LogConfig> }): PartitionLog;
}

export function openLog(config: Partial<LogConfig> = {}, fs: FileSystem = new MemoryFileSystem(), clock = new ManualClock()): LogFixture {
  fs.mkdir('/logs');
  const open = (extra: { recoveryPoint?: bigint; hadCleanShutdown?: boolean; config?: Partial<LogConfig> } = {}) =>
    PartitionLog.open({
      fs,
      clock,
      dir: DIR,
      topic: 'topic',
      partition: 0,
      config: logConfig({ ...config, ...extra.config }),
      recoveryPoint: extra.recoveryPoint,
      hadCleanShutdown: extra.hadCleanShutdown,
    });
  const fixture: LogFixture = {
    fs,
    clock,
    log: open(),
    reopen(extra) {
      fixture.log.close();
      fixture.log = open(extra);
      return fixture.log;
    },
  };
  return fixture;
}

/** Every batch readable from `log`, as [baseOffset, lastOffset, bytes-without-base-offset] triples. */
export function readAll(log: PartitionLog): { baseOffset: bigint; lastOffset: bigint; bytes: Buffer }[] {
  const out: { baseOffset: bigint; lastOffset: bigint; bytes: Buffer }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const result = log.read(offset, 1 << 20);
    if (result.records.length === 0) break;
    let at = 0;
    while (at < result.records.length) {
      const size = result.records.readInt32BE(at + 8) + 12;
      const bytes = result.records.subarray(at, at + size);
      const baseOffset = bytes.readBigInt64BE(0);
      const lastOffset = baseOffset + BigInt(bytes.readInt32BE(23));
      out.push({ baseOffset, lastOffset, bytes });
      offset = lastOffset + 1n;
      at += size;
    }
  }
  return out;
}

/** Producers in id order, so that two listings compare whatever order the state kept them in. */
export function sortById<T extends { producerId: bigint }>(producers: T[]): T[] {
  return [...producers].sort((a, b) => (a.producerId < b.producerId ? -1 : 1));
}
