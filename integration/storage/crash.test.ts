// Crash safety with real processes: a child appends and fsyncs batches and reports each one once flushed; it is
// killed with SIGKILL at random moments (while starting, recovering, appending, rolling, checkpointing). After
// every kill the log dir is reopened — with recovery, as after a real crash — and every batch the child ever
// reported must be there, with the same offsets and an intact checksum. Replay with TRIBUTARY_SEED=<seed>.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { BatchField, isBatchCrcValid } from '@tributary/protocol';
import { FetchIsolation, LogManager, NodeFileSystem, SeededRandom, seedFromEnv, systemClock } from '@tributary/storage';
import { repoRoot } from '../helpers/paths';
import { useTempDirs } from '../helpers/tmp';

const ROUNDS = 20;
const SEED = seedFromEnv();
console.log(`[storage crash] seed=${SEED} (replay with TRIBUTARY_SEED=${SEED})`);

interface Report {
  firstOffset: bigint;
  lastOffset: bigint;
  crc: number;
}

/**
 * Runs the child and SIGKILLs it `killAfterMs` after it reported ready (or, with `beforeReady`, that long after
 * spawning, which can land during startup or recovery). Returns the batches it reported.
 */
function runChildAndKill(logDir: string, seed: number, killAfterMs: number, beforeReady: boolean): Promise<{ reports: Report[]; sawReady: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'crash-child.js'), logDir, String(seed)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = () => child.kill('SIGKILL');
    if (beforeReady) timer = setTimeout(kill, killAfterMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!timer && stdout.includes('\n')) timer = setTimeout(kill, killAfterMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A child that never starts must not hang the test.
    const watchdog = setTimeout(kill, 20_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(watchdog);
      if (signal !== 'SIGKILL') {
        reject(new Error(`child exited by itself (code ${code}, signal ${signal}):\n${stderr}`));
        return;
      }
      // Only whole lines count: the last one may have been cut by the kill.
      const lines = stdout.split('\n').slice(0, -1);
      const reports = lines
        .filter((l) => l.startsWith('flushed '))
        .map((l) => {
          const [, first, last, crc] = l.split(' ');
          return { firstOffset: BigInt(first), lastOffset: BigInt(last), crc: Number(crc) };
        });
      resolve({ reports, sawReady: lines.some((l) => l.startsWith('ready ')), stderr });
    });
  });
}

/** Opens the dir as a restarting broker would (recovery, no clean-shutdown marker) and indexes its batches. */
function reopenAndCollect(logDir: string): Map<bigint, { lastOffset: bigint; crc: number; valid: boolean }> {
  const manager = LogManager.open({ fs: new NodeFileSystem(), clock: systemClock, logDirs: [logDir] });
  expect([...manager.offlineDirs]).toEqual([]);
  const log = manager.getLog('crash', 0);
  const batches = new Map<bigint, { lastOffset: bigint; crc: number; valid: boolean }>();
  if (log) {
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const { records } = log.read(offset, 4 * 1024 * 1024, { isolation: FetchIsolation.LogEnd });
      if (records.length === 0) break;
      let at = 0;
      while (at < records.length) {
        const size = records.readInt32BE(at + BatchField.BATCH_LENGTH) + 12;
        const batch = records.subarray(at, at + size);
        const base = batch.readBigInt64BE(0);
        const last = base + BigInt(batch.readInt32BE(BatchField.LAST_OFFSET_DELTA));
        batches.set(base, { lastOffset: last, crc: batch.readUInt32BE(BatchField.CRC), valid: isBatchCrcValid(batch) });
        offset = last + 1n;
        at += size;
      }
    }
  }
  // Leave without the clean-shutdown marker, so the next child recovers too.
  manager.close({ markClean: false });
  return batches;
}

describe('storage survives SIGKILL', () => {
  const tempDir = useTempDirs('storage-crash');

  beforeAll(() => {
    // The child runs the built packages; `tsc -b` is incremental, so this is quick when nothing changed.
    const build = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/storage'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (build.status !== 0) throw new Error(`tsc -b packages/storage failed:\n${build.stdout}${build.stderr}`);
  }, 200_000);

  test(`every flushed batch survives ${ROUNDS} kills at random moments`, async () => {
    const logDir = tempDir();
    const random = new SeededRandom(SEED);
    const reported: Report[] = [];
    let roundsWithAppends = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Most kills land while appending; one in five anywhere from process start through recovery.
      const beforeReady = random.chance(0.2);
      const killAfterMs = beforeReady ? random.int(400) : random.int(300);
      const { reports, stderr } = await runChildAndKill(logDir, (SEED + round) >>> 0, killAfterMs, beforeReady);
      if (reports.length > 0) roundsWithAppends++;
      reported.push(...reports);
      const stored = reopenAndCollect(logDir);
      for (const r of reported) {
        const found = stored.get(r.firstOffset);
        if (!found || found.lastOffset !== r.lastOffset || found.crc !== r.crc || !found.valid) {
          throw new Error(
            `round ${round} (seed ${SEED}): reported batch ${r.firstOffset}..${r.lastOffset} crc ${r.crc} is ` +
              `${found ? `different: ${JSON.stringify({ ...found, lastOffset: String(found.lastOffset) })}` : 'missing'}\n${stderr}`,
          );
        }
      }
    }
    console.log(`[storage crash] ${reported.length} flushed batches over ${ROUNDS} kills, ${roundsWithAppends} rounds appended`);
    // The check above proves nothing if the kills all landed before the first flush; on a loaded machine some do.
    expect(roundsWithAppends).toBeGreaterThanOrEqual(ROUNDS / 4);
    expect(reported.length).toBeGreaterThan(20);
  }, 120_000);
});
