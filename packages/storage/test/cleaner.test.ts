import { ControlRecordType, buildControlBatch, buildRecordBatch, decodeBatchRecords, readBatchHeader } from '@tributary/protocol';
import { AppendOrigin, LogCleaner, LogManager, ManualClock, MemoryFileSystem, type PartitionLog, logConfig } from '../src';
import { DIR, openLog, readAll } from './helpers';

type Pair = [key: string, value: string | null];

function keyed(pairs: Pair[], timestamp: number, extra: Partial<Parameters<typeof buildRecordBatch>[0]> = {}): Buffer {
  return buildRecordBatch({
    ...extra,
    records: pairs.map(([k, v]) => ({ timestamp: BigInt(timestamp), key: Buffer.from(k), value: v === null ? null : Buffer.from(v) })),
  });
}

/** Every record still in the log as [offset, key, value]. */
function contents(log: PartitionLog): [bigint, string, string | null][] {
  const out: [bigint, string, string | null][] = [];
  for (const { bytes } of readAll(log)) {
    const header = readBatchHeader(bytes);
    if (header.isControl) continue;
    for (const r of decodeBatchRecords(bytes)) {
      out.push([header.baseOffset + BigInt(r.offsetDelta), r.key?.toString() ?? '', r.value === null ? null : r.value.toString()]);
    }
  }
  return out;
}

function cleanerFor(clock: ManualClock): { cleaner: LogCleaner; checkpoints: Map<PartitionLog, bigint> } {
  const checkpoints = new Map<PartitionLog, bigint>();
  const cleaner = new LogCleaner({
    clock,
    checkpoints: { get: (log) => checkpoints.get(log), set: (log, offset) => void checkpoints.set(log, offset) },
    yieldEveryBytes: 256,
  });
  return { cleaner, checkpoints };
}

const compact = { cleanupPolicy: { compact: true, delete: false }, segmentBytes: 400, deleteRetentionMs: 10_000, minCleanableDirtyRatio: 0.5 };

describe('log compaction', () => {
  it('keeps the latest record per key and preserves offsets', async () => {
    const { log, clock } = openLog(compact);
    const now = clock.nowMs();
    for (let round = 0; round < 6; round++) {
      log.append(keyed([['a', `a${round}`], ['b', `b${round}`], [`unique-${round}`, 'u']], now));
    }
    log.roll();
    const { cleaner, checkpoints } = cleanerFor(clock);
    const stats = await cleaner.clean(log);
    expect(stats?.segmentsCleaned).toBeGreaterThan(0);
    expect(contents(log)).toEqual([
      [2n, 'unique-0', 'u'],
      [5n, 'unique-1', 'u'],
      [8n, 'unique-2', 'u'],
      [11n, 'unique-3', 'u'],
      [14n, 'unique-4', 'u'],
      [15n, 'a', 'a5'],
      [16n, 'b', 'b5'],
      [17n, 'unique-5', 'u'],
    ]);
    expect(checkpoints.get(log)).toBe(18n);
    expect(log.logEndOffset).toBe(18n);
    expect(log.read(3n, 1000).firstBatchOffset).toBe(3n);
    // Offsets of removed records read as the next surviving batch.
    expect(log.append(keyed([['a', 'new']], now)).firstOffset).toBe(18n);
  });

  it('removes tombstones only after delete.retention.ms, via the delete horizon', async () => {
    const { log, clock } = openLog(compact);
    const now = clock.nowMs();
    log.append(keyed([['a', '1'], ['b', '1']], now));
    log.append(keyed([['a', null]], now));
    log.roll();
    const { cleaner } = cleanerFor(clock);
    await cleaner.clean(log);
    expect(contents(log)).toEqual([
      [1n, 'b', '1'],
      [2n, 'a', null],
    ]);
    const tombstoneBatch = readAll(log).find((b) => b.baseOffset === 2n)?.bytes as Buffer;
    const header = readBatchHeader(tombstoneBatch);
    expect(header.hasDeleteHorizon).toBe(true);
    expect(header.baseTimestamp).toBe(BigInt(now + 10_000));
    // New dirty data makes the log cleanable again; before the horizon the tombstone stays.
    log.append(keyed([['c', '1']], now));
    log.roll();
    await cleaner.clean(log);
    expect(contents(log).map((r) => r[1])).toEqual(['b', 'a', 'c']);
    clock.advance(10_001);
    log.append(keyed([['d', '1']], clock.nowMs()));
    log.roll();
    const stats = await cleaner.clean(log);
    expect(stats?.tombstonesRemoved).toBe(1);
    expect(contents(log).map((r) => r[1])).toEqual(['b', 'c', 'd']);
  });

  it("keeps an idempotent producer's last batch as an empty batch when all its records are superseded", async () => {
    const { log, clock } = openLog(compact);
    const now = clock.nowMs();
    log.append(keyed([['k', 'from-producer']], now, { producerId: 5n, producerEpoch: 1, baseSequence: 7 }));
    log.append(keyed([['k', 'newer']], now));
    log.roll();
    await cleanerFor(clock).cleaner.clean(log);
    const first = readBatchHeader(readAll(log)[0].bytes);
    expect([first.baseOffset, first.recordsCount, first.producerId, first.baseSequence, first.lastOffsetDelta]).toEqual([0n, 0, 5n, 7, 0]);
    expect(contents(log)).toEqual([[1n, 'k', 'newer']]);
  });

  it('respects min.cleanable.dirty.ratio and min.compaction.lag.ms', async () => {
    const { log, clock } = openLog({ ...compact, minCompactionLagMs: 60_000 });
    const { cleaner } = cleanerFor(clock);
    const now = clock.nowMs();
    for (let i = 0; i < 4; i++) log.append(keyed([[`k${i}`, String(i)]], now));
    log.roll();
    // Every segment is younger than min.compaction.lag.ms: nothing is cleanable.
    expect(cleaner.cleanableRange(log)).toBeUndefined();
    clock.advance(61_000);
    expect(cleaner.cleanableRange(log)?.dirtyRatio).toBe(1);
    expect(await cleaner.cleanDirtiest([log])).toBeDefined();
    // After a clean, a little new dirty data stays below the 0.5 ratio.
    log.append(keyed([['k0', 'x']], clock.nowMs() - 100_000));
    log.roll();
    const range = cleaner.cleanableRange(log);
    expect(range && range.dirtyRatio).toBeLessThan(0.5);
    expect(await cleaner.cleanDirtiest([log])).toBeUndefined();
  });

  it('cleans below min.cleanable.dirty.ratio once a dirty segment is older than max.compaction.lag.ms', async () => {
    const { log, clock } = openLog({ ...compact, maxCompactionLagMs: 60_000, minCleanableDirtyRatio: 0.99 });
    const { cleaner } = cleanerFor(clock);
    for (let i = 0; i < 4; i++) log.append(keyed([[`k${i}`, 'v'.repeat(50)]], clock.nowMs()));
    log.roll();
    await cleaner.clean(log);
    log.append(keyed([['k0', 'newer']], clock.nowMs()));
    log.roll();
    expect(cleaner.cleanableRange(log)?.overdue).toBe(false);
    expect(await cleaner.cleanDirtiest([log])).toBeUndefined();
    clock.advance(60_001);
    expect(cleaner.cleanableRange(log)?.overdue).toBe(true);
    expect(await cleaner.cleanDirtiest([log])).toBeDefined();
    expect(contents(log).map(([, k, v]) => `${k}=${v?.length}`)).toEqual(['k1=50', 'k2=50', 'k3=50', 'k0=5']);
  });

  it('drops aborted transactional records, keeps committed ones and the markers', async () => {
    const { log, clock } = openLog(compact);
    const now = clock.nowMs();
    const txn = (pid: bigint, pairs: Pair[]) => keyed(pairs, now, { isTransactional: true, producerId: pid, producerEpoch: 0, baseSequence: 0 });
    log.append(txn(1n, [['x', 'committed']])); // offset 0
    log.append(txn(2n, [['y', 'aborted']])); // offset 1
    log.append(buildControlBatch({ type: ControlRecordType.Commit, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: BigInt(now) }), {
      origin: AppendOrigin.Coordinator,
    }); // 2
    log.append(buildControlBatch({ type: ControlRecordType.Abort, producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: BigInt(now) }), {
      origin: AppendOrigin.Coordinator,
    }); // 3: appending the ABORT marker indexes producer 2's transaction (LSO after it: 4)
    log.append(keyed([['z', 'plain']], now)); // 4
    log.roll();
    const { cleaner } = cleanerFor(clock);
    await cleaner.clean(log);
    expect(contents(log)).toEqual([
      [0n, 'x', 'committed'],
      [4n, 'z', 'plain'],
    ]);
    const batches = readAll(log).map((b) => readBatchHeader(b.bytes));
    const markers = batches.filter((h) => h.isControl);
    expect(markers.map((h) => h.baseOffset)).toEqual([2n, 3n]);
    expect(markers.every((h) => h.hasDeleteHorizon)).toBe(true);
    // The aborted data batch is gone; the ABORT marker still carries producer 2's state.
    expect(batches.find((h) => h.baseOffset === 1n)).toBeUndefined();
    expect(log.collectAbortedTransactions(0n, 10n)).toEqual([{ producerId: 2n, firstOffset: 1n, lastOffset: 3n, lastStableOffset: 4n }]);
    // Markers go once their horizon has passed.
    clock.advance(10_001);
    log.append(keyed([['w', '1']], clock.nowMs()));
    log.roll();
    await cleaner.clean(log);
    expect(readAll(log).filter((b) => readBatchHeader(b.bytes).isControl)).toEqual([]);
  });

  it('lets appends and reads continue while it cleans, and a reopened log reads the cleaned segments', async () => {
    const fixture = openLog({ ...compact, segmentBytes: 2000 });
    const { log, clock } = fixture;
    const now = clock.nowMs();
    for (let i = 0; i < 200; i++) log.append(keyed([[`k${i % 10}`, `v${i}`]], now));
    log.roll();
    const { cleaner } = cleanerFor(clock);
    const cleaning = cleaner.clean(log);
    // While the cleaner is suspended between steps, the partition takes appends and serves reads.
    let appendedDuring = 0;
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      log.append(keyed([['live', String(i)]], now));
      expect(log.read(0n, 100).records.length).toBeGreaterThan(0);
      appendedDuring++;
    }
    await cleaning;
    expect(appendedDuring).toBe(5);
    const kept = contents(log);
    expect(kept.filter(([, k]) => k.startsWith('k')).map(([o]) => o)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(190 + i)));
    expect(kept.filter(([, k]) => k === 'live')).toHaveLength(5);
    expect(fixture.fs.readdir(DIR).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'))).toEqual([]);
    const reopened = fixture.reopen({ recoveryPoint: 0n });
    expect(contents(reopened)).toEqual(kept);
  });

  it('finishes an interrupted swap on reopen', async () => {
    const fixture = openLog({ ...compact, segmentBytes: 10_000 });
    const { log, clock, fs } = fixture;
    const now = clock.nowMs();
    for (let i = 0; i < 8; i++) {
      log.append(keyed([['k', String(i)]], now));
      if (i % 4 === 3) log.roll();
    }
    const originals = log.allSegments().slice(0, -1);
    expect(originals).toHaveLength(2);
    const { cleaner } = cleanerFor(clock);
    await cleaner.clean(log);
    const cleanedView = contents(log);
    log.close();
    // Simulate a crash right after the cleaned segment was renamed to .swap: originals back, cleaned as .swap.
    const first = originals[0].baseOffset.toString().padStart(20, '0');
    for (const suffix of ['.log', '.index', '.timeindex']) fs.rename(`${DIR}/${first}${suffix}`, `${DIR}/${first}${suffix}.swap`);
    for (const name of fs.readdir(DIR).filter((n) => n.endsWith('.deleted'))) fs.rename(`${DIR}/${name}`, `${DIR}/${name.replace('.deleted', '')}`);
    const reopened = fixture.reopen({ recoveryPoint: 0n });
    expect(contents(reopened)).toEqual(cleanedView);
    expect(fs.readdir(DIR).filter((n) => n.endsWith('.swap'))).toEqual([]);
  });

  it('runs from the log manager schedule and checkpoints its progress', async () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const manager = LogManager.open({ fs, clock, logDirs: ['/a'], configFor: () => logConfig(compact), cleanerBackoffMs: 1000 });
    const log = manager.getOrCreateLog('compacted', 0);
    for (let i = 0; i < 30; i++) log.append(keyed([['k', String(i)]], clock.nowMs()));
    clock.advance(1000);
    manager.tick();
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    expect(fs.readFile('/a/cleaner-offset-checkpoint').toString()).toMatch(/^0\n1\ncompacted 0 \d+\n$/);
    expect(contents(log).filter(([, k]) => k === 'k').length).toBeLessThan(10);
  });
});
