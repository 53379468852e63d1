// Storage throughput next to this machine's raw limits, measured in the same run on the same bytes:
//   append (1 KiB records in 16 KiB and 1 MiB batches)   vs  plain sequential fs.writeSync of the same buffers
//   sequential read through PartitionLog.read            vs  plain sequential fs.readSync of the same file
//   recovery of an unflushed log (per GiB)               vs  plain read of the same bytes
//   cleaner (compaction) MB/s                            vs  plain read of the input + write of the output
// Like Kafka's defaults, nothing is fsynced: both sides write to the page cache.
//
// The machine is shared and noisy, so each ratio is the median of many short runs that alternate between the
// raw side and ours (whichever goes first alternates too), after a warm-up pair that is not counted; the
// spread printed is the middle half (25th to 75th percentile) of those per-pair ratios.
//
// Append and write calls are timed one by one, by the wall clock. When other work shares the cores, a handful
// of calls per run are descheduled for milliseconds each, and those few decide the run's total (measured at a
// load average of 4: 5-15 calls of 2048 held 20-60 % of a run's time, on either side). So a call whose wall time
// exceeds its thread's CPU time by more than 50 us is counted at its CPU time instead, on every side alike, and
// the header and each append line say how many were (STORAGE_BENCH_WALL=1 counts wall time only). CPU time
// includes everything the appending thread does, GC included; a call blocked in the kernel (e.g. writeback
// throttling) would be counted at its CPU time too, equally on both sides, since both write the same bytes.
//
// Append models a produce request: the batch has just been received, i.e. copied from the network into a
// request buffer, so its bytes are warm in the CPU cache when the append (or the raw write) starts. Both sides
// are given the same freshly received buffer and only the write/append is timed. Without that model, a pool of
// batches larger than the cache makes our CRC check pay the memory read that the raw side's kernel copy then
// gets for free; STORAGE_BENCH_COLD=1 measures that way instead, for comparison.
//
//   node scripts/run-ts.mjs packages/storage/bench/storage.bench.ts      (or: npm run bench -- storage)
//   STORAGE_BENCH_ROUNDS=20 (measured rounds per figure)   STORAGE_BENCH_COLD=1   TRIBUTARY_NATIVE=0 (no addon)
//   STORAGE_BENCH_ONLY=append (only the append figures, for quicker rounds while tuning the append path)
//   STORAGE_BENCH_WALL=1 (no correction for descheduled calls)
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildRecordBatch } from '@tributary/protocol';
import { FetchIsolation, LogCleaner, NodeFileSystem, PartitionLog, logConfig, systemClock } from '../src';
import { crc32cImplementation, isBatchChecksumValid } from '../src/log/batch-checksum';
import { NATIVE_ADDON_PATH, type NativeAddon, nativeAddon } from '../src/native';

const MiB = 1024 * 1024;
/** Bytes per timed run of one side. */
const RUN_BYTES = 32 * MiB;
const ROUNDS = Number(process.env.STORAGE_BENCH_ROUNDS ?? 12);
const WARM_UP_ROUNDS = 1;
const COLD = process.env.STORAGE_BENCH_COLD === '1';
const APPEND_ONLY = process.env.STORAGE_BENCH_ONLY === 'append';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-storage-bench-'));
const nodeFs = new NodeFileSystem();

/** The addon's thread CPU clock, loaded even when storage runs without the addon (TRIBUTARY_NATIVE=0). */
const threadCpuTimeNs: (() => number) | undefined = (() => {
  if (process.env.STORAGE_BENCH_WALL === '1') return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(NATIVE_ADDON_PATH) as NativeAddon).threadCpuTimeNs;
  } catch {
    return undefined;
  }
})();
/** More time than this off the CPU within one call means the call was descheduled. */
const DESCHEDULED_NS = 50_000;

/**
 * Times calls one at a time by the wall clock, counting a call that was descheduled at its thread CPU time
 * (see the header). The clock reads sit outside the timed window.
 */
class CallClock {
  ns = 0;
  descheduled = 0;
  private cpuStart = 0;
  private wallStart = 0n;

  start(): void {
    if (threadCpuTimeNs) this.cpuStart = threadCpuTimeNs();
    this.wallStart = process.hrtime.bigint();
  }

  stop(): void {
    const wall = Number(process.hrtime.bigint() - this.wallStart);
    if (threadCpuTimeNs) {
      const cpu = threadCpuTimeNs() - this.cpuStart;
      if (wall - cpu > DESCHEDULED_NS) {
        this.ns += cpu;
        this.descheduled++;
        return;
      }
    }
    this.ns += wall;
  }

  get seconds(): number {
    return this.ns / 1e9;
  }
}

/** Descheduled calls per side over a figure's measured rounds, for the append lines. */
let descheduledCalls = { raw: 0, ours: 0, crc: 0, bare: 0 };

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function mbps(bytes: number, s: number): number {
  return bytes / MiB / s;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}

/** Per-pair ratios raw time / our time, as "median % (p25-p75)". */
function ratioText(raw: number[], ours: number[]): string {
  const ratios = raw.map((r, i) => r / ours[i]);
  const pct = (x: number) => (x * 100).toFixed(0);
  return `${pct(median(ratios)).padStart(4)} %  (${pct(percentile(ratios, 0.25))}-${pct(percentile(ratios, 0.75))})`;
}

function line(label: string, value: string, raw: string, ratio: string): void {
  console.log(`${label.padEnd(46)} ${value.padStart(22)}   raw ${raw.padStart(12)}   ratio ${ratio}`);
}

/** Runs `raw` and `ours` alternately (first one, then the other first), returning the measured times of each. */
function interleaved(rounds: number, raw: () => number, ours: () => number): { raw: number[]; ours: number[] } {
  const [rawTimes, ourTimes] = rotated(rounds, [raw, ours]);
  return { raw: rawTimes, ours: ourTimes };
}

/** Runs every side once per round, starting each round with the next side; returns each side's measured times. */
function rotated(rounds: number, sides: (() => number)[]): number[][] {
  const times = sides.map(() => [] as number[]);
  for (let round = 0; round < WARM_UP_ROUNDS + rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const side = (round + k) % sides.length;
      const s = sides[side]();
      if (round >= WARM_UP_ROUNDS) times[side].push(s);
    }
  }
  return times;
}

/** Distinct batches of 1 KiB records, about `batchBytes` each, totalling about `poolBytes`. */
function batchPool(batchBytes: number, poolBytes: number): Buffer[] {
  const recordsPerBatch = Math.max(1, Math.floor(batchBytes / 1024));
  const pool: Buffer[] = [];
  let total = 0;
  for (let b = 0; total < poolBytes; b++) {
    const batch = buildRecordBatch({
      records: Array.from({ length: recordsPerBatch }, (_, i) => ({
        timestamp: 1_700_000_000_000n + BigInt(b),
        key: Buffer.from(`key-${(b * recordsPerBatch + i) % 20_000}`),
        value: Buffer.alloc(1000, (b + i) & 0xff),
      })),
    });
    pool.push(batch);
    total += batch.length;
  }
  return pool;
}

/**
 * Hands out the pool's batches one after another as a produce request would: each copied into a request buffer
 * just before use (so it is warm in the cache, as bytes just read from a socket are), or, with
 * STORAGE_BENCH_COLD, the pool's own buffer. The copy is not timed. The log rewrites a batch's base offset in
 * place, which is harmless for the pool: every batch is checked and offset again on each append.
 */
class Producer {
  private next = 0;
  private readonly requestBuffer: Buffer;

  constructor(private readonly pool: Buffer[]) {
    this.requestBuffer = Buffer.allocUnsafe(Math.max(...pool.map((batch) => batch.length)));
  }

  receive(): Buffer {
    const batch = this.pool[this.next++ % this.pool.length];
    if (COLD) return batch;
    batch.copy(this.requestBuffer);
    return this.requestBuffer.subarray(0, batch.length);
  }
}

/**
 * A sequential writer to one growing file, as the log's segment is: the raw side of the append figure. It writes
 * with fs.writeSync (the issue's "plain fs write"), or with `bare` through the addon's pwrite, which is the same
 * system call without Node's wrapping: our appends write that way when the addon is built, so that is the
 * stricter limit and is shown too.
 */
class RawAppender {
  private position = 0;
  private readonly fd: number;

  constructor(
    readonly file: string,
    private readonly bare = false,
  ) {
    this.fd = fs.openSync(file, 'w');
  }

  /** Writes `totalBytes` of the producer's batches, one write each; returns the seconds spent writing. */
  run(producer: Producer, totalBytes: number): number {
    const clock = new CallClock();
    for (let written = 0; written < totalBytes; ) {
      const batch = producer.receive();
      clock.start();
      if (this.bare) {
        if (nativeAddon!.pwrite(this.fd, batch, this.position) !== batch.length) throw new Error('short or failed pwrite');
      } else {
        fs.writeSync(this.fd, batch, 0, batch.length, this.position);
      }
      clock.stop();
      this.position += batch.length;
      written += batch.length;
    }
    descheduledCalls[this.bare ? 'bare' : 'raw'] += clock.descheduled;
    return clock.seconds;
  }

  close(): void {
    fs.closeSync(this.fd);
    fs.rmSync(this.file);
  }
}

/** Appends `totalBytes` of the producer's batches to the log; returns the seconds spent in append and the records. */
function appendRun(log: PartitionLog, producer: Producer, totalBytes: number): { s: number; records: number } {
  const clock = new CallClock();
  let records = 0;
  for (let written = 0; written < totalBytes; ) {
    const batch = producer.receive();
    clock.start();
    const result = log.append(batch);
    clock.stop();
    written += result.validBytes;
    records += result.recordCount;
  }
  descheduledCalls.ours += clock.descheduled;
  return { s: clock.seconds, records };
}

/** The CRC-32C check alone over `totalBytes` of the producer's batches, with the implementation append uses. */
function crcRun(producer: Producer, totalBytes: number): number {
  const clock = new CallClock();
  for (let checked = 0; checked < totalBytes; ) {
    const batch = producer.receive();
    clock.start();
    if (!isBatchChecksumValid(batch)) throw new Error('pool batch with a bad CRC');
    clock.stop();
    checked += batch.length;
  }
  descheduledCalls.crc += clock.descheduled;
  return clock.seconds;
}

function rawWrite(file: string, pool: Buffer[], totalBytes: number): number {
  const raw = new RawAppender(file);
  const s = raw.run(new Producer(pool), totalBytes);
  raw.close();
  return s;
}

/**
 * Reads a file sequentially in 1 MiB chunks, each into a new buffer: a fetch hands its bytes on to the network
 * layer, so neither side can reuse one buffer.
 */
function rawRead(file: string): { s: number; bytes: number } {
  const fd = fs.openSync(file, 'r');
  let position = 0;
  const start = process.hrtime.bigint();
  for (;;) {
    const buffer = Buffer.allocUnsafe(MiB);
    const n = fs.readSync(fd, buffer, 0, MiB, position);
    if (n === 0) break;
    position += n;
  }
  const s = seconds(start);
  fs.closeSync(fd);
  return { s, bytes: position };
}

function readThrough(log: PartitionLog): { s: number; bytes: number } {
  let offset = log.logStartOffset;
  let bytes = 0;
  const start = process.hrtime.bigint();
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, MiB, { isolation: FetchIsolation.LogEnd });
    if (records.length === 0) break;
    bytes += records.length;
    // The next fetch starts after the last batch returned, as a consumer's would.
    let at = 0;
    let lastBatch = 0;
    while (at < records.length) {
      lastBatch = at;
      at += records.readInt32BE(at + 8) + 12;
    }
    offset = records.readBigInt64BE(lastBatch) + BigInt(records.readInt32BE(lastBatch + 23)) + 1n;
  }
  return { s: seconds(start), bytes };
}

async function main(): Promise<void> {
  console.log(
    `storage bench: ${RUN_BYTES / MiB} MiB per run, median of ${ROUNDS} interleaved rounds (spread: 25th-75th percentile), ` +
      `${COLD ? 'cold pool' : 'batches freshly received'}, CRC-32C by ${crc32cImplementation}` +
      `${nativeAddon?.folding ? ' (folded with VPCLMULQDQ from 1 KiB)' : ''}, in ${root}`,
  );
  console.log(
    threadCpuTimeNs
      ? `calls descheduled for more than ${DESCHEDULED_NS / 1000} us count at their thread CPU time (STORAGE_BENCH_WALL=1: wall time only)`
      : 'every call counts at its wall time',
  );
  let lastLog: PartitionLog | undefined;
  let lastDir = '';
  for (const batchBytes of [16 * 1024, MiB]) {
    const pool = batchPool(batchBytes, 32 * MiB);
    const producer = new Producer(pool);
    const label = batchBytes === MiB ? '1 MiB' : '16 KiB';
    lastLog?.close();
    lastDir = path.join(root, `bench-${batchBytes}`);
    const log = PartitionLog.open({ fs: nodeFs, clock: systemClock, dir: lastDir, topic: 'bench', partition: 0, config: logConfig() });
    lastLog = log;
    const raw = new RawAppender(path.join(root, 'raw.bin'));
    descheduledCalls = { raw: 0, ours: 0, crc: 0, bare: 0 };
    const bare = nativeAddon ? new RawAppender(path.join(root, 'raw-bare.bin'), true) : undefined;
    let records = 0;
    const sides = [
      () => raw.run(producer, RUN_BYTES),
      () => {
        const run = appendRun(log, producer, RUN_BYTES);
        records = run.records;
        return run.s;
      },
    ];
    // The CRC check alone, in the same rotation, for the raw write + CRC line.
    sides.push(() => crcRun(producer, RUN_BYTES));
    if (bare) sides.push(() => bare.run(producer, RUN_BYTES));
    const [rawTimes, ourTimes, crcTimes, bareTimes] = rotated(ROUNDS, sides);
    raw.close();
    bare?.close();
    const oursMedian = median(ourTimes);
    const ours = `${mbps(RUN_BYTES, oursMedian).toFixed(0)} MB/s`;
    line(
      `append, 1 KiB records, ${label} batches`,
      `${ours} ${(records / oursMedian / 1000).toFixed(0)} k rec/s`,
      `${mbps(RUN_BYTES, median(rawTimes)).toFixed(0)} MB/s`,
      ratioText(rawTimes, ourTimes),
    );
    if (bareTimes) {
      line(`  same, against raw pwrite (no Node wrapping)`, ours, `${mbps(RUN_BYTES, median(bareTimes)).toFixed(0)} MB/s`, ratioText(bareTimes, ourTimes));
    }
    line(
      `  same, against raw fs write + CRC-32C check`,
      ours,
      `${mbps(RUN_BYTES, median(rawTimes.map((r, i) => r + crcTimes[i]))).toFixed(0)} MB/s`,
      ratioText(rawTimes.map((r, i) => r + crcTimes[i]), ourTimes),
    );
    if (threadCpuTimeNs) {
      const calls = (ROUNDS + WARM_UP_ROUNDS) * Math.ceil(RUN_BYTES / batchBytes);
      const { raw: r, ours: o, crc: c, bare: b } = descheduledCalls;
      console.log(`  descheduled calls (of about ${calls} per side): raw ${r}, append ${o}, CRC ${c}${bare ? `, raw pwrite ${b}` : ''}`);
    }
  }

  if (APPEND_ONLY) {
    lastLog?.close();
    return;
  }
  const log = lastLog!;
  const segmentFile = path.join(lastDir, '00000000000000000000.log');
  // Reads check every batch's CRC before returning it unless told not to (verifyChecksumsOnRead); Kafka skips
  // that and leaves it to the consumer. Both are measured.
  log.close();
  const open = (extra: { verifyChecksumsOnRead?: boolean; recoveryPoint?: bigint }) =>
    PartitionLog.open({ fs: nodeFs, clock: systemClock, dir: lastDir, topic: 'bench', partition: 0, config: logConfig(), hadCleanShutdown: extra.recoveryPoint === undefined, ...extra });
  const readRounds = Math.max(3, Math.ceil(ROUNDS / 2));
  let readBytes = 0;
  // Raw, checked and unchecked reads in one rotation, so that both kinds of read see the same machine.
  const readers = [open({ verifyChecksumsOnRead: true }), open({ verifyChecksumsOnRead: false })];
  const readSide = (reader: PartitionLog) => () => {
    const r = readThrough(reader);
    readBytes = r.bytes;
    return r.s;
  };
  const [rawReads, checkedReads, uncheckedReads] = rotated(readRounds, [() => rawRead(segmentFile).s, readSide(readers[0]), readSide(readers[1])]);
  for (const reader of readers) reader.close();
  for (const [kind, times] of [
    ['CRC-checked', checkedReads],
    ['unchecked', uncheckedReads],
  ] as const) {
    line(
      `sequential read (1 MiB fetches, ${kind})`,
      `${mbps(readBytes, median(times)).toFixed(0)} MB/s`,
      `${mbps(readBytes, median(rawReads)).toFixed(0)} MB/s`,
      ratioText(rawReads, times),
    );
  }

  // Recovery: reopen with nothing flushed (recovery point 0), so every batch is re-validated and indexes rebuilt.
  const logEnd = (() => {
    const reader = open({});
    const end = reader.logEndOffset;
    reader.close();
    return end;
  })();
  const recovery = interleaved(
    readRounds,
    () => rawRead(segmentFile).s,
    () => {
      const start = process.hrtime.bigint();
      const reopened = open({ recoveryPoint: 0n });
      const s = seconds(start);
      if (reopened.logEndOffset !== logEnd) throw new Error(`recovery lost data: ${reopened.logEndOffset} != ${logEnd}`);
      reopened.close();
      return s;
    },
  );
  const gib = readBytes / (1024 * MiB);
  line(
    'recovery of unflushed log (per GiB)',
    `${(median(recovery.ours) / gib).toFixed(2)} s/GiB`,
    `${(median(recovery.raw) / gib).toFixed(2)} s/GiB`,
    ratioText(recovery.raw, recovery.ours),
  );

  // Cleaner: a compacted topic of 1 KiB records over 20 000 keys, 16 KiB batches, in 64 MiB segments.
  const cleanDir = path.join(root, 'compacted-0');
  const cleanBytes = 128 * MiB;
  const pool = batchPool(16 * 1024, Math.min(64 * MiB, cleanBytes));
  const compacted = PartitionLog.open({
    fs: nodeFs,
    clock: systemClock,
    dir: cleanDir,
    topic: 'compacted',
    partition: 0,
    config: logConfig({ cleanupPolicy: { compact: true, delete: false }, segmentBytes: 64 * MiB }),
  });
  for (let i = 0, written = 0; written < cleanBytes; i++) written += compacted.append(pool[i % pool.length]).validBytes;
  compacted.roll();
  // The raw limit for the same work: read the input once (the same files, before cleaning) and write the output.
  const rawInSeconds = median(
    Array.from({ length: 3 }, () => {
      let s = 0;
      for (const name of fs.readdirSync(cleanDir).filter((n) => n.endsWith('.log'))) s += rawRead(path.join(cleanDir, name)).s;
      return s;
    }),
  );
  const cleaner = new LogCleaner({ clock: systemClock, checkpoints: { get: () => undefined, set: () => undefined } });
  const before = compacted.sizeInBytes;
  const start = process.hrtime.bigint();
  const stats = await cleaner.clean(compacted);
  const cleanSeconds = seconds(start);
  if (!stats) throw new Error('the cleaner found nothing to clean');
  const rawOutSeconds = rawWrite(path.join(root, 'raw-clean.bin'), pool, stats.bytesWritten);
  const rawCleanSeconds = rawInSeconds + rawOutSeconds;
  line(
    `cleaner (${(before / MiB).toFixed(0)} MiB -> ${(stats.bytesWritten / MiB).toFixed(1)} MiB)`,
    `${mbps(before, cleanSeconds).toFixed(0)} MB/s`,
    `${mbps(before, rawCleanSeconds).toFixed(0)} MB/s`,
    `${((rawCleanSeconds / cleanSeconds) * 100).toFixed(0).padStart(4)} %  (one run)`,
  );
  compacted.close();
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(root, { recursive: true, force: true }));
