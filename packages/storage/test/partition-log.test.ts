import { CompressionType, TimestampType, decodeBatchRecords, isBatchCrcValid, readBatchHeader } from '@tributary/protocol';
import {
  AppendOrigin,
  EARLIEST_TIMESTAMP,
  FetchIsolation,
  InvalidRecordError,
  InvalidTimestampError,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  MemoryFileSystem,
  OffsetOutOfRangeError,
  RecordBatchTooLargeError,
  RecordTooLargeError,
  UnsupportedForMessageFormatError,
  PartitionLog,
  logConfig,
  offsetFileName,
} from '../src';
import { DIR, batchOf, openLog, readAll } from './helpers';

describe('PartitionLog append and read', () => {
  it('assigns offsets by rewriting base offsets in place and reads back whole batches', () => {
    const { log } = openLog();
    const first = batchOf(3);
    const second = batchOf(2, { spec: { compression: CompressionType.Gzip } });
    const r1 = log.append(first);
    const r2 = log.append(second);
    expect([r1.firstOffset, r1.lastOffset, r2.firstOffset, r2.lastOffset]).toEqual([0n, 2n, 3n, 4n]);
    expect(first.readBigInt64BE(0)).toBe(0n);
    expect(second.readBigInt64BE(0)).toBe(3n);
    expect(log.logEndOffset).toBe(5n);
    expect(log.highWatermark).toBe(5n);

    const read = log.read(0n, 1 << 20);
    expect(read.records).toEqual(Buffer.concat([first, second]));
    expect(read.firstBatchOffset).toBe(0n);
    // A read from the middle of a batch returns the whole batch holding that offset.
    const mid = log.read(4n, 1 << 20);
    expect(mid.records).toEqual(second);
    expect(decodeBatchRecords(mid.records).map((r) => r.value?.length)).toEqual([16, 16]);
  });

  it('returns whole batches only, and at least one batch even when it exceeds maxBytes', () => {
    const { log } = openLog();
    const batches = [batchOf(1, { valueBytes: 500 }), batchOf(1, { valueBytes: 500 }), batchOf(1, { valueBytes: 500 })];
    for (const b of batches) log.append(b);
    expect(log.read(0n, batches[0].length + 100).records).toEqual(batches[0]);
    expect(log.read(0n, 10).records).toEqual(batches[0]);
    expect(log.read(0n, 10, { minOneBatch: false }).records.length).toBe(0);
  });

  it('a sequential reader whose batches exceed maxBytes gets each whole batch, byte for byte', () => {
    const { log } = openLog();
    const batches = [3, 1, 4, 1, 5].map((count) => batchOf(count, { valueBytes: 700 }));
    for (const b of batches) log.append(b);
    // From the second read on, each fetch starts where the previous one ended (the remembered-position path) and
    // reads maxBytes first, then only the rest of the batch.
    let offset = 0n;
    for (const batch of batches) {
      const { records } = log.read(offset, 1000);
      expect(records).toEqual(batch);
      offset = records.readBigInt64BE(0) + BigInt(records.readInt32BE(23)) + 1n;
    }
    expect(offset).toBe(log.logEndOffset);
  });

  it('a remembered read position whose batch size is unknown still yields the whole larger batch, and no more', () => {
    const { log } = openLog();
    const small = batchOf(1, { valueBytes: 10 });
    const big = batchOf(4, { valueBytes: 900 });
    const after = batchOf(1, { valueBytes: 10 });
    for (const b of [small, big, after]) log.append(b);
    // This read ends exactly at the end of `small`, so nothing of `big` (not even its size) has been seen.
    expect(log.read(0n, small.length).records).toEqual(small);
    expect(log.read(1n, 100).records).toEqual(big);
    expect(log.read(1n, big.length + after.length - 1).records).toEqual(big);
    expect(log.read(5n, 1000).records).toEqual(after);
  });

  it('rejects reads outside [logStartOffset, logEndOffset] with OFFSET_OUT_OF_RANGE and answers empty at the end', () => {
    const { log } = openLog();
    log.append(batchOf(2));
    expect(() => log.read(3n, 100)).toThrow(OffsetOutOfRangeError);
    expect(log.read(2n, 100).records.length).toBe(0);
    try {
      log.read(-1n, 100);
    } catch (error) {
      expect((error as OffsetOutOfRangeError).code).toBe(1);
    }
  });

  it('stamps LogAppendTime into maxTimestamp and the attributes, keeping the CRC valid', () => {
    const { log, clock } = openLog({ messageTimestampType: TimestampType.LogAppendTime });
    const batch = batchOf(2, { timestamp: 5 });
    const result = log.append(batch);
    expect(result.logAppendTimeMs).toBe(clock.nowMs());
    const stored = log.read(0n, 1000).records;
    const header = readBatchHeader(stored);
    expect(header.timestampType).toBe(TimestampType.LogAppendTime);
    expect(header.maxTimestamp).toBe(BigInt(clock.nowMs()));
    expect(isBatchCrcValid(stored)).toBe(true);
  });

  it('sets the partition leader epoch and records it in the leader epoch cache', () => {
    const { log } = openLog();
    log.append(batchOf(2), { leaderEpoch: 3 });
    log.append(batchOf(2), { leaderEpoch: 5 });
    expect(readBatchHeader(log.read(2n, 1000).records).partitionLeaderEpoch).toBe(5);
    expect(log.leaderEpochCache.all).toEqual([
      { epoch: 3, startOffset: 0n },
      { epoch: 5, startOffset: 2n },
    ]);
    expect(log.leaderEpochCache.endOffsetFor(3, log.logEndOffset)).toEqual({ epoch: 3, endOffset: 2n });
    expect(log.leaderEpochCache.endOffsetFor(5, log.logEndOffset)).toEqual({ epoch: 5, endOffset: 4n });
  });
});

describe('PartitionLog append validation', () => {
  const codeOf = (fn: () => unknown): number | undefined => {
    try {
      fn();
    } catch (error) {
      return (error as { code?: number }).code;
    }
    return undefined;
  };

  it('rejects a batch with a bad CRC as CORRUPT_MESSAGE and writes nothing', () => {
    const { log } = openLog();
    const batch = batchOf(2);
    batch[batch.length - 1] ^= 0xff;
    expect(codeOf(() => log.append(batch))).toBe(2);
    expect(log.logEndOffset).toBe(0n);
    expect(log.activeSegment.size).toBe(0);
  });

  it('rejects truncated record sets and wrong sizes as CORRUPT_MESSAGE', () => {
    const { log } = openLog();
    const batch = batchOf(2);
    expect(codeOf(() => log.append(batch.subarray(0, batch.length - 1)))).toBe(2);
    expect(codeOf(() => log.append(Buffer.concat([batch, Buffer.alloc(20)])))).toBe(2);
  });

  it('rejects legacy magic with UNSUPPORTED_FOR_MESSAGE_FORMAT', () => {
    const { log } = openLog();
    const batch = batchOf(1);
    batch.writeInt8(1, 16);
    expect(() => log.append(batch)).toThrow(UnsupportedForMessageFormatError);
  });

  it('rejects a lastOffsetDelta that disagrees with the record count as INVALID_RECORD', () => {
    const { log } = openLog();
    const batch = batchOf(3, { spec: { lastOffsetDelta: 5 } });
    expect(() => log.append(batch)).toThrow(InvalidRecordError);
    expect(codeOf(() => log.append(batchOf(3, { spec: { lastOffsetDelta: 5 } })))).toBe(87);
  });

  it('rejects control batches from clients but accepts them from coordinators', () => {
    const { log } = openLog();
    expect(() => log.append(batchOf(1, { spec: { isControl: true } }))).toThrow(InvalidRecordError);
    expect(log.append(batchOf(1, { spec: { isControl: true } }), { origin: AppendOrigin.Coordinator }).lastOffset).toBe(0n);
  });

  it('enforces max.message.bytes per batch (MESSAGE_TOO_LARGE) and segment.bytes per set (RECORD_LIST_TOO_LARGE)', () => {
    const { log } = openLog({ maxMessageBytes: 200, segmentBytes: 1000 });
    expect(() => log.append(batchOf(1, { valueBytes: 300 }))).toThrow(RecordTooLargeError);
    expect(codeOf(() => log.append(batchOf(1, { valueBytes: 300 })))).toBe(10);
    const small = Array.from({ length: 12 }, () => batchOf(1, { valueBytes: 20 }));
    expect(() => log.append(Buffer.concat(small))).toThrow(RecordBatchTooLargeError);
    expect(codeOf(() => log.append(Buffer.concat(small)))).toBe(18);
  });

  it('refuses records without a key on a compacted topic (INVALID_RECORD)', () => {
    const { log } = openLog({ cleanupPolicy: { compact: true, delete: false } });
    expect(() => log.append(batchOf(2, { keyPrefix: null }))).toThrow(InvalidRecordError);
    expect(() => log.append(batchOf(2, { keyPrefix: null, spec: { compression: CompressionType.Gzip } }))).toThrow(InvalidRecordError);
    expect(log.append(batchOf(2)).lastOffset).toBe(1n);
  });

  it('checks CreateTime against message.timestamp.before/after.max.ms', () => {
    const { log, clock } = openLog({ messageTimestampBeforeMaxMs: 1000, messageTimestampAfterMaxMs: 500 });
    const now = clock.nowMs();
    expect(() => log.append(batchOf(1, { timestamp: now - 2000 }))).toThrow(InvalidTimestampError);
    expect(() => log.append(batchOf(1, { timestamp: now + 1000 }))).toThrow(InvalidTimestampError);
    expect(codeOf(() => log.append(batchOf(1, { timestamp: now + 1000 })))).toBe(32);
    expect(log.append(batchOf(1, { timestamp: now - 500 })).firstOffset).toBe(0n);
  });

  it('keeps follower offsets (assignOffsets false) and refuses offsets going backwards', () => {
    const { log } = openLog();
    const batch = batchOf(2, { spec: { baseOffset: 10n } });
    const result = log.append(batch, { assignOffsets: false, origin: AppendOrigin.Replication });
    expect([result.firstOffset, log.logEndOffset]).toEqual([10n, 12n]);
    expect(() => log.append(batchOf(1, { spec: { baseOffset: 5n } }), { assignOffsets: false, origin: AppendOrigin.Replication })).toThrow(
      InvalidRecordError,
    );
    // The leader's epochs travel in its batches; the follower's epoch cache learns them from there.
    const fromLeader = Buffer.concat([batchOf(1, { spec: { baseOffset: 12n, partitionLeaderEpoch: 4 } }), batchOf(1, { spec: { baseOffset: 13n, partitionLeaderEpoch: 6 } })]);
    log.append(fromLeader, { assignOffsets: false, origin: AppendOrigin.Replication });
    expect(log.leaderEpochCache.all).toEqual([
      { epoch: 4, startOffset: 12n },
      { epoch: 6, startOffset: 13n },
    ]);
  });
});

describe('PartitionLog indexes and lookups', () => {
  it('adds a sparse index entry after every index.interval.bytes and finds offsets through it', () => {
    const { log } = openLog({ indexIntervalBytes: 1000 });
    const sizes: number[] = [];
    for (let i = 0; i < 40; i++) sizes.push(log.append(batchOf(2, { valueBytes: 200 })).validBytes);
    const index = log.activeSegment.offsetIndex;
    expect(index.entries).toBeGreaterThan(5);
    // Each entry maps a batch's last offset to the position where that batch starts.
    for (let n = 0; n < index.entries; n++) {
      const { relativeOffset, position } = index.entryAt(n);
      const batchNumber = (relativeOffset - 1) / 2;
      expect(position).toBe(sizes.slice(0, batchNumber).reduce((a, b) => a + b, 0));
    }
    for (let offset = 0n; offset < 80n; offset += 7n) {
      const read = log.read(offset, 1);
      const base = read.records.readBigInt64BE(0);
      expect(base).toBe(offset - (offset % 2n));
    }
  });

  it('finds offsets by timestamp (exact record), earliest, latest and max timestamp', () => {
    const { log } = openLog({ indexIntervalBytes: 100 });
    for (let i = 0; i < 20; i++) log.append(batchOf(5, { timestamp: 1000 + i * 10 }));
    // Batch i holds timestamps 1000+10i .. 1004+10i at offsets 5i .. 5i+4.
    expect(log.offsetForTimestamp(1052n)).toEqual({ timestamp: 1052n, offset: 27n, leaderEpoch: undefined });
    expect(log.offsetForTimestamp(1055n)).toEqual({ timestamp: 1060n, offset: 30n, leaderEpoch: undefined });
    expect(log.offsetForTimestamp(0n)?.offset).toBe(0n);
    expect(log.offsetForTimestamp(5000n)).toBeUndefined();
    expect(log.offsetForTimestamp(EARLIEST_TIMESTAMP)?.offset).toBe(0n);
    expect(log.offsetForTimestamp(LATEST_TIMESTAMP)?.offset).toBe(100n);
    expect(log.offsetForTimestamp(MAX_TIMESTAMP)).toEqual({ timestamp: 1194n, offset: 99n, leaderEpoch: undefined });
    expect(log.activeSegment.timeIndex.entries).toBeGreaterThan(3);
    // After DeleteRecords inside batch 5 (offsets 25..29), its records below the new start no longer count.
    log.deleteRecordsBefore(28n);
    expect(log.offsetForTimestamp(1050n)).toEqual({ timestamp: 1053n, offset: 28n, leaderEpoch: undefined });
    log.deleteRecordsBefore(30n);
    expect(log.offsetForTimestamp(1050n)).toEqual({ timestamp: 1060n, offset: 30n, leaderEpoch: undefined });
  });
});

describe('PartitionLog roll', () => {
  it('rolls by segment.bytes, naming segments by their 20-digit base offset', () => {
    const { log, fs } = openLog({ segmentBytes: 1000 });
    for (let i = 0; i < 10; i++) log.append(batchOf(2, { valueBytes: 150 }));
    const segments = log.allSegments();
    expect(segments.length).toBeGreaterThan(3);
    for (const s of segments) expect(s.size).toBeLessThanOrEqual(1000);
    const names = fs.readdir(DIR);
    for (const s of segments) {
      expect(names).toContain(offsetFileName(s.baseOffset, '.log'));
      expect(names).toContain(offsetFileName(s.baseOffset, '.index'));
      expect(names).toContain(offsetFileName(s.baseOffset, '.timeindex'));
    }
    expect(readAll(log).map((b) => b.baseOffset)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i * 2)));
  });

  it('rolls by segment.ms measured on record timestamps', () => {
    const { log } = openLog({ segmentMs: 1000 });
    log.append(batchOf(1, { timestamp: 1_700_000_000_000 }));
    log.append(batchOf(1, { timestamp: 1_700_000_000_500 }));
    expect(log.allSegments().length).toBe(1);
    log.append(batchOf(1, { timestamp: 1_700_000_001_500 }));
    expect(log.allSegments().map((s) => s.baseOffset)).toEqual([0n, 2n]);
  });

  it('does not roll for a batch without a timestamp once the segment has one, however old it is', () => {
    const { log, clock } = openLog({ segmentMs: 1000 });
    log.append(batchOf(1, { timestamp: 1_700_000_000_000 }));
    clock.advance(60_000);
    // Kafka compares the incoming max timestamp (-1) with the segment's first: a negative wait, no roll.
    log.append(batchOf(1, { timestamp: -1 }));
    expect(log.allSegments().length).toBe(1);
  });

  it('rolls by wall time since creation when the first batch had no timestamp', () => {
    const { log, clock } = openLog({ segmentMs: 1000 });
    log.append(batchOf(1, { timestamp: -1 }));
    clock.advance(1001);
    log.append(batchOf(1, { timestamp: -1 }));
    expect(log.allSegments().map((s) => s.baseOffset)).toEqual([0n, 1n]);
  });

  it('rolls earlier by a per-segment share of segment.jitter.ms', () => {
    const { fs, clock } = openLog();
    fs.mkdir('/logs/j-0');
    const log = PartitionLog.open({ fs, clock, dir: '/logs/j-0', topic: 'j', partition: 0, config: logConfig({ segmentMs: 1000, segmentJitterMs: 400 }), random: () => 0.5 });
    log.append(batchOf(1, { timestamp: 1_700_000_000_000 }));
    log.append(batchOf(1, { timestamp: 1_700_000_000_790 }));
    expect(log.allSegments().length).toBe(1);
    // 1000 ms minus half of the 400 ms jitter: a record 801 ms after the first one rolls.
    log.append(batchOf(1, { timestamp: 1_700_000_000_801 }));
    expect(log.allSegments().map((s) => s.baseOffset)).toEqual([0n, 2n]);
  });

  it('rolls when the offset index is full', () => {
    const { log } = openLog({ segmentIndexBytes: 8 * 3, indexIntervalBytes: 1 });
    for (let i = 0; i < 12; i++) log.append(batchOf(1));
    expect(log.allSegments().length).toBeGreaterThan(2);
    for (const s of log.allSegments()) expect(s.offsetIndex.entries).toBeLessThanOrEqual(3);
  });
});

describe('PartitionLog retention and deletion', () => {
  it('deletes segments older than retention.ms via .deleted files removed after file.delete.delay.ms', () => {
    const { log, fs, clock } = openLog({ segmentBytes: 600, retentionMs: 10_000, fileDeleteDelayMs: 5_000 });
    const now = clock.nowMs();
    for (let i = 0; i < 6; i++) log.append(batchOf(1, { valueBytes: 200, timestamp: now - 20_000 }));
    for (let i = 0; i < 2; i++) log.append(batchOf(1, { valueBytes: 200, timestamp: now }));
    const before = log.allSegments().length;
    const deleted = log.applyRetention();
    expect(deleted).toBeGreaterThan(0);
    expect(log.allSegments().length).toBe(before - deleted);
    expect(log.logStartOffset).toBe(6n);
    expect(fs.readdir(DIR).filter((n) => n.endsWith('.deleted')).length).toBeGreaterThan(0);
    clock.advance(5_001);
    log.deletePendingFiles();
    expect(fs.readdir(DIR).filter((n) => n.endsWith('.deleted'))).toEqual([]);
    expect(readAll(log).map((b) => b.baseOffset)).toEqual([6n, 7n]);
  });

  it('rolls and deletes the active segment too when everything is expired, keeping the log end offset', () => {
    const { log, clock } = openLog({ retentionMs: 1000 });
    log.append(batchOf(3, { timestamp: clock.nowMs() }));
    clock.advance(5000);
    expect(log.applyRetention()).toBe(1);
    expect([log.logStartOffset, log.logEndOffset, log.allSegments().length]).toEqual([3n, 3n, 1]);
    expect(log.append(batchOf(1)).firstOffset).toBe(3n);
  });

  it('deletes oldest segments beyond retention.bytes', () => {
    const { log } = openLog({ segmentBytes: 500, retentionBytes: 1000, retentionMs: -1 });
    for (let i = 0; i < 10; i++) log.append(batchOf(1, { valueBytes: 200 }));
    log.applyRetention();
    expect(log.sizeInBytes).toBeLessThanOrEqual(1000 + 500);
    expect(log.sizeInBytes).toBeGreaterThan(1000 - 500);
    expect(readAll(log).at(-1)?.baseOffset).toBe(9n);
  });

  it('never deletes above the high watermark', () => {
    const { fs, clock } = openLog();
    fs.mkdir('/logs/r-0');
    const log = PartitionLog.open({
      fs,
      clock,
      dir: '/logs/r-0',
      topic: 'r',
      partition: 0,
      config: logConfig({ segmentBytes: 300, retentionMs: 10 }),
      highWatermarkFollowsLogEnd: false,
    });
    for (let i = 0; i < 5; i++) log.append(batchOf(1, { valueBytes: 200, timestamp: 0 }));
    expect(log.highWatermark).toBe(0n);
    expect(log.applyRetention()).toBe(0);
    log.setHighWatermark(2n);
    expect(log.applyRetention()).toBe(2);
    expect(log.logStartOffset).toBe(2n);
  });

  it('DeleteRecords moves the log start offset and drops whole segments below it', () => {
    const { log } = openLog({ segmentBytes: 500 });
    for (let i = 0; i < 10; i++) log.append(batchOf(1, { valueBytes: 200 }));
    expect(log.deleteRecordsBefore(5n)).toBe(5n);
    expect(log.logStartOffset).toBe(5n);
    expect(log.allSegments()[0].baseOffset).toBeLessThanOrEqual(5n);
    expect(() => log.read(4n, 100)).toThrow(OffsetOutOfRangeError);
    expect(log.read(5n, 1000).firstBatchOffset).toBe(5n);
    expect(() => log.deleteRecordsBefore(11n)).toThrow(OffsetOutOfRangeError);
  });
});

describe('PartitionLog truncation, isolation and reopen', () => {
  it('truncateTo removes offsets at and above the target across segments', () => {
    const { log } = openLog({ segmentBytes: 500 });
    for (let i = 0; i < 10; i++) log.append(batchOf(1, { valueBytes: 200 }), { leaderEpoch: i < 5 ? 1 : 2 });
    log.truncateTo(4n);
    expect(log.logEndOffset).toBe(4n);
    expect(readAll(log).map((b) => b.baseOffset)).toEqual([0n, 1n, 2n, 3n]);
    expect(log.leaderEpochCache.all).toEqual([{ epoch: 1, startOffset: 0n }]);
    expect(log.append(batchOf(1)).firstOffset).toBe(4n);
  });

  it('bounds consumer reads by the high watermark and READ_COMMITTED reads by the last stable offset', () => {
    const { fs, clock } = openLog();
    fs.mkdir('/logs/t-1');
    const log = PartitionLog.open({ fs, clock, dir: '/logs/t-1', topic: 't', partition: 1, config: logConfig(), highWatermarkFollowsLogEnd: false });
    for (let i = 0; i < 4; i++) log.append(batchOf(1));
    log.setHighWatermark(3n);
    log.setFirstUnstableOffset(1n);
    expect(log.read(0n, 1 << 20).records.length).toBeGreaterThan(0);
    expect(readAll(log).length).toBe(3);
    expect(log.read(0n, 1 << 20, { isolation: FetchIsolation.LogEnd }).records.length).toBe(4 * batchOf(1).length);
    const committed = log.read(0n, 1 << 20, { isolation: FetchIsolation.TxnCommitted });
    expect(committed.records.length).toBe(batchOf(1).length);
    expect(committed.lastStableOffset).toBe(1n);
    expect(log.read(3n, 100).records.length).toBe(0);
    expect(log.read(0n, 1 << 20, { isolation: FetchIsolation.LogEnd, maxOffset: 2n }).records.length).toBe(2 * batchOf(1).length);
  });

  it('reopens after a clean close with the same offsets, indexes and data', () => {
    const fixture = openLog({ segmentBytes: 700, indexIntervalBytes: 100 });
    for (let i = 0; i < 20; i++) fixture.log.append(batchOf(2, { valueBytes: 60 }));
    const before = readAll(fixture.log).map((b) => Buffer.from(b.bytes));
    fixture.log.flush();
    const log = fixture.reopen({ hadCleanShutdown: true });
    expect(log.logEndOffset).toBe(40n);
    expect(readAll(log).map((b) => b.bytes)).toEqual(before);
    expect(log.append(batchOf(1)).firstOffset).toBe(40n);
  });

  it('keeps the in-memory file system honest: unflushed data disappears on crash, flushed data stays', () => {
    const fs = new MemoryFileSystem();
    const fixture = openLog({}, fs);
    fixture.log.append(batchOf(2));
    fixture.log.flush();
    fixture.log.append(batchOf(2));
    fs.crash();
    const log = fixture.reopen({ recoveryPoint: 2n });
    expect(log.logEndOffset).toBe(2n);
  });
});
