// Storage throughput next to this machine's raw limits, measured in the same run on the same bytes:
//   append (1 KiB records in 16 KiB and 1 MiB batches)   vs  plain sequential fs.writeSync of the same buffers
//   sequential read through PartitionLog.read            vs  plain sequential fs.readSync of the same file
//   recovery of an unflushed log (per GiB)               vs  plain read of the same bytes
//   cleaner (compaction) MB/s                            vs  plain read of the input + write of the output
// Like Kafka's defaults, nothing is fsynced: both sides write to the page cache.
//
//   node scripts/run-ts.mjs packages/storage/bench/storage.bench.ts      (or: npm run bench -- storage)
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildRecordBatch, isBatchCrcValid } from '@tributary/protocol';
import { FetchIsolation, LogCleaner, NodeFileSystem, PartitionLog, logConfig, systemClock } from '../src';

const MiB = 1024 * 1024;
const APPEND_BYTES = Number(process.env.STORAGE_BENCH_MB ?? 128) * MiB;
// The machine is shared: each figure is the best of several interleaved rounds, raw and ours alternating.
const ROUNDS = 5;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-storage-bench-'));
const nodeFs = new NodeFileSystem();

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function mbps(bytes: number, s: number): number {
  return bytes / MiB / s;
}

function line(label: string, value: string, raw: string, ratio: number): void {
  console.log(`${label.padEnd(44)} ${value.padStart(22)}   raw ${raw.padStart(12)}   ratio ${(ratio * 100).toFixed(0).padStart(4)} %`);
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

/** Appends the pool's buffers to an open file at `position` until `totalBytes` are written; returns seconds. */
function rawWriteAt(fd: number, position: number, pool: Buffer[], totalBytes: number): number {
  const start = process.hrtime.bigint();
  let written = 0;
  for (let i = 0; written < totalBytes; i++) {
    const buffer = pool[i % pool.length];
    fs.writeSync(fd, buffer, 0, buffer.length, position + written);
    written += buffer.length;
  }
  return seconds(start);
}

function rawWrite(file: string, pool: Buffer[], totalBytes: number): number {
  const fd = fs.openSync(file, 'w');
  const s = rawWriteAt(fd, 0, pool, totalBytes);
  fs.closeSync(fd);
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

function logRead(log: PartitionLog): { s: number; bytes: number } {
  return readThrough(log);
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
  console.log(`storage bench: ${APPEND_BYTES / MiB} MiB per run, best of ${ROUNDS}, in ${root}`);
  let lastLog: PartitionLog | undefined;
  let lastDir = '';
  // Append: short alternating runs of the same buffers, raw then ours, so both see the same machine load (it is
  // shared); the figure is the median of the per-run ratios, next to the best MB/s of each side.
  const runBytes = APPEND_BYTES / 4;
  for (const batchBytes of [16 * 1024, MiB]) {
    const pool = batchPool(batchBytes, Math.min(32 * MiB, runBytes));
    const label = batchBytes === MiB ? '1 MiB' : '16 KiB';
    lastLog?.close();
    lastDir = path.join(root, `bench-${batchBytes}`);
    fs.rmSync(lastDir, { recursive: true, force: true });
    const log = PartitionLog.open({ fs: nodeFs, clock: systemClock, dir: lastDir, topic: 'bench', partition: 0, config: logConfig() });
    lastLog = log;
    const ratios: number[] = [];
    let bestRaw = Infinity;
    let bestAppend = Infinity;
    let bestCrc = Infinity;
    let recordsPerRun = 0;
    // The raw side also appends to one growing file, as the log does.
    const rawFile = path.join(root, 'raw.bin');
    const rawFd = fs.openSync(rawFile, 'w');
    for (let round = 0; round < ROUNDS * 2; round++) {
      const raw = rawWriteAt(rawFd, round * runBytes, pool, runBytes);
      let written = 0;
      let records = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; written < runBytes; i++) {
        const result = log.append(pool[i % pool.length]);
        written += result.validBytes;
        records += result.recordCount;
      }
      const ours = seconds(start);
      ratios.push(raw / ours);
      // What validation alone costs: the CRC-32C check every append makes (Kafka makes it too).
      const crcStart = process.hrtime.bigint();
      for (let i = 0, checked = 0; checked < runBytes; i++) {
        if (!isBatchCrcValid(pool[i % pool.length])) throw new Error('pool batch with a bad CRC');
        checked += pool[i % pool.length].length;
      }
      bestCrc = Math.min(bestCrc, seconds(crcStart));
      bestRaw = Math.min(bestRaw, raw);
      bestAppend = Math.min(bestAppend, ours);
      recordsPerRun = records;
    }
    fs.closeSync(rawFd);
    fs.rmSync(rawFile);
    ratios.sort((a, b) => a - b);
    const median = ratios[ratios.length >> 1];
    line(
      `append, 1 KiB records, ${label} batches`,
      `${mbps(runBytes, bestAppend).toFixed(0)} MB/s ${(recordsPerRun / bestAppend / 1000).toFixed(0)} k rec/s`,
      `${mbps(runBytes, bestRaw).toFixed(0)} MB/s`,
      median,
    );
    line(
      `  same, against raw write + CRC-32C check`,
      `${mbps(runBytes, bestAppend).toFixed(0)} MB/s`,
      `${mbps(runBytes, bestRaw + bestCrc).toFixed(0)} MB/s`,
      (bestRaw + bestCrc) / bestAppend,
    );
  }

  const log = lastLog!;
  const segmentFile = path.join(lastDir, '00000000000000000000.log');
  // Reads check every batch's CRC before returning it (so a damaged batch never reaches a client); Kafka skips
  // that and leaves it to the consumer. Both are measured.
  log.close();
  const unchecked = PartitionLog.open({ fs: nodeFs, clock: systemClock, dir: lastDir, topic: 'bench', partition: 0, config: logConfig(), hadCleanShutdown: true, verifyChecksumsOnRead: false });
  const checked = PartitionLog.open({ fs: nodeFs, clock: systemClock, dir: lastDir, topic: 'bench', partition: 0, config: logConfig(), hadCleanShutdown: true });
  let bestRawRead = Infinity;
  let bestChecked = Infinity;
  let bestUnchecked = Infinity;
  let readBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    bestRawRead = Math.min(bestRawRead, rawRead(segmentFile).s);
    const r = logRead(checked);
    readBytes = r.bytes;
    bestChecked = Math.min(bestChecked, r.s);
    bestUnchecked = Math.min(bestUnchecked, logRead(unchecked).s);
  }
  unchecked.close();
  line('sequential read (1 MiB fetches, CRC-checked)', `${mbps(readBytes, bestChecked).toFixed(0)} MB/s`, `${mbps(readBytes, bestRawRead).toFixed(0)} MB/s`, bestRawRead / bestChecked);
  line('sequential read (1 MiB fetches, unchecked)', `${mbps(readBytes, bestUnchecked).toFixed(0)} MB/s`, `${mbps(readBytes, bestRawRead).toFixed(0)} MB/s`, bestRawRead / bestUnchecked);

  // Recovery: reopen with nothing flushed (recovery point 0), so every batch is re-validated and indexes rebuilt.
  const logEnd = checked.logEndOffset;
  checked.close();
  let bestRecovery = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    const reopened = PartitionLog.open({ fs: nodeFs, clock: systemClock, dir: lastDir, topic: 'bench', partition: 0, config: logConfig(), recoveryPoint: 0n });
    bestRecovery = Math.min(bestRecovery, seconds(start));
    if (reopened.logEndOffset !== logEnd) throw new Error(`recovery lost data: ${reopened.logEndOffset} != ${logEnd}`);
    reopened.close();
  }
  const gib = readBytes / (1024 * MiB);
  line('recovery of unflushed log (per GiB)', `${(bestRecovery / gib).toFixed(2)} s/GiB`, `${(bestRawRead / gib).toFixed(2)} s/GiB`, bestRawRead / bestRecovery);

  // Cleaner: a compacted topic of 1 KiB records over 20 000 keys, 16 KiB batches, in 64 MiB segments.
  const cleanDir = path.join(root, 'compacted-0');
  const cleanBytes = Math.min(APPEND_BYTES, 128 * MiB);
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
  let rawInSeconds = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    let s = 0;
    for (const name of fs.readdirSync(cleanDir).filter((n) => n.endsWith('.log'))) s += rawRead(path.join(cleanDir, name)).s;
    rawInSeconds = Math.min(rawInSeconds, s);
  }
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
    rawCleanSeconds / cleanSeconds,
  );
  compacted.close();
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(root, { recursive: true, force: true }));
