// Batches we build, read by the Java client's MemoryRecords (scripts/capture-batches/CaptureBatches.java in
// `verify` mode: ensureValid on every batch and record, then the decoded records as JSON). Needs java, javac and
// kafka-clients 3.9 with its codec jars: those scripts/capture-batches/setup.sh fetches (3.9.0), or else the
// ones scripts/kafka-tool fetches for the integration tests (3.9.1; CI installs them through install-peers.sh).
// Without either the test is skipped, except under CI=true, where it fails.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  BatchSpec,
  CompressionType,
  ControlRecordType,
  LegacyMagic,
  TimestampType,
  buildControlBatch,
  buildLegacyMessageSet,
  buildRecordBatch,
  downConvertRecordSet,
} from '../../src';
import { describeRecordSet } from './describe';

const REPO = path.resolve(__dirname, '../../../..');
const CAPTURE_DIR = path.join(REPO, 'scripts/capture-batches');
const LIB = path.join(CAPTURE_DIR, '.cache/lib');
const KAFKA_TOOL = path.join(REPO, 'scripts/kafka-tool');

function which(tool: string): boolean {
  return spawnSync(tool, ['-version'], { stdio: 'ignore' }).status === 0;
}

/** The client jars: ours if setup.sh fetched them, else kafka-tool's if it has (never fetches). */
function clientClasspath(): string | null {
  if (fs.existsSync(path.join(LIB, 'kafka-clients-3.9.0.jar'))) return `${LIB}/*`;
  if (!fs.existsSync(KAFKA_TOOL) || spawnSync(KAFKA_TOOL, ['--status'], { stdio: 'ignore' }).status !== 0) return null;
  const printed = spawnSync(KAFKA_TOOL, ['--classpath'], { encoding: 'utf8' });
  return printed.status === 0 && printed.stdout.trim() ? printed.stdout.trim() : null;
}

const clientJars = which('java') && which('javac') ? clientClasspath() : null;

/** Why the check cannot run here, or null when it can. */
function missingPrerequisite(): string | null {
  if (!which('java') || !which('javac')) return 'java/javac are not installed';
  if (clientJars === null) return 'no kafka-clients jars (run scripts/capture-batches/setup.sh or scripts/kafka-tool --fetch-only)';
  return null;
}

const missing = missingPrerequisite();
if (missing !== null && process.env.CI === 'true') {
  test('Java cross-check prerequisites are installed in CI', () => {
    throw new Error(`the Java cross-check cannot run under CI: ${missing}`);
  });
} else if (missing !== null) {
  test.skip(`Java cross-check skipped: ${missing}`, () => undefined);
} else {
  describe('the Java client (kafka-clients 3.9) reads our batches', () => {
    let work: string;
    let classes: string;

    beforeAll(() => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-java-verify-'));
      // setup.sh leaves a compiled copy; use it when it is newer than the source, else compile privately.
      const cached = path.join(CAPTURE_DIR, '.cache/classes');
      const cachedClass = path.join(cached, 'CaptureBatches.class');
      const source = path.join(CAPTURE_DIR, 'CaptureBatches.java');
      if (clientJars === `${LIB}/*` && fs.existsSync(cachedClass) && fs.statSync(cachedClass).mtimeMs >= fs.statSync(source).mtimeMs) {
        classes = cached;
        return;
      }
      classes = path.join(work, 'classes');
      const compiled = spawnSync('javac', ['-d', classes, '-cp', clientJars!, source], { encoding: 'utf8' });
      if (compiled.status !== 0) throw new Error(`javac failed: ${compiled.stderr}`);
    }, 60_000);

    afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

    const T0 = 1_700_000_000_000n;
    const records: BatchSpec['records'] = Array.from({ length: 30 }, (_, i) => ({
      timestamp: T0 + BigInt(i * 3),
      key: i === 4 ? null : Buffer.from(`key-${i}`),
      value: i === 5 ? null : Buffer.from(`value ${i} `.repeat(i * 40 + 1)), // up to ~14 KiB each
      headers: i % 4 === 0 ? [{ key: 'trace', value: Buffer.from([i]) }, { key: 'nil', value: null }] : [],
    }));
    const legacyRecords = records.map(({ timestamp, key, value }) => ({ timestamp, key, value }));

    function ours(): Record<string, Buffer> {
      const files: Record<string, Buffer> = {};
      for (const codec of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
        const name = CompressionType[codec].toLowerCase();
        files[`v2-${name}.bin`] = buildRecordBatch({ baseOffset: 10n, compression: codec, records });
        files[`v2-${name}-txn-logappend.bin`] = buildRecordBatch({
          baseOffset: 1n << 33n, partitionLeaderEpoch: 4, compression: codec, records,
          isTransactional: true, producerId: 123_456_789_012n, producerEpoch: 5, baseSequence: 1000,
          timestampType: TimestampType.LogAppendTime, maxTimestamp: T0 + 500n,
        });
      }
      files['v2-control.bin'] = Buffer.concat([
        buildControlBatch({ type: ControlRecordType.Commit, producerId: 9n, producerEpoch: 1, coordinatorEpoch: 3, timestamp: T0, baseOffset: 40n }),
        buildControlBatch({ type: ControlRecordType.Abort, producerId: 9n, producerEpoch: 1, coordinatorEpoch: 3, timestamp: T0, baseOffset: 41n }),
      ]);
      for (const magic of [0, 1] as LegacyMagic[]) {
        for (const codec of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
          files[`v${magic}-${CompressionType[codec].toLowerCase()}.bin`] = buildLegacyMessageSet({ magic, compression: codec, baseOffset: 70n, records: legacyRecords });
        }
        files[`v${magic}-downconverted.bin`] = downConvertRecordSet(
          Buffer.concat([files['v2-snappy.bin'], files['v2-control.bin'], files['v2-lz4.bin']]),
          magic,
        );
      }
      files['v1-logappend-gzip.bin'] = buildLegacyMessageSet({
        magic: 1, compression: CompressionType.Gzip, timestampType: TimestampType.LogAppendTime, logAppendTime: T0 + 9n, records: legacyRecords,
      });
      return files;
    }

    it('validates every batch and decodes the same records we do', () => {
      const files = ours();
      const names = Object.keys(files).sort();
      for (const name of names) fs.writeFileSync(path.join(work, name), files[name]);
      const run = spawnSync('java', ['-cp', `${classes}${path.delimiter}${clientJars}`, 'CaptureBatches', 'verify', ...names.map((n) => path.join(work, n))], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60_000,
      });
      if (run.status !== 0) throw new Error(`Java verify failed (${run.status}): ${run.stderr}`);
      const javaView = JSON.parse(run.stdout) as Array<{ file: string; batches: unknown[] }>;
      expect(javaView.map((f) => f.file)).toEqual(names);
      for (const file of javaView) {
        expect({ file: file.file, batches: file.batches }).toEqual({ file: file.file, batches: describeRecordSet(files[file.file]) });
      }
      // The v2 batches carry everything we asked for, as Java sees it (not only as we see it).
      const txn = javaView.find((f) => f.file === 'v2-zstd-txn-logappend.bin')!.batches[0] as Record<string, unknown>;
      expect(txn).toMatchObject({ compression: 'zstd', isTransactional: true, producerId: '123456789012', producerEpoch: 5, baseSequence: 1000, partitionLeaderEpoch: 4, timestampType: 'LogAppendTime', baseOffset: String(1n << 33n) });
      const down = javaView.find((f) => f.file === 'v1-downconverted.bin')!.batches as Array<{ magic: number; records: unknown[] }>;
      expect(down.map((b) => [b.magic, b.records.length])).toEqual([[1, 30], [1, 30]]);
    }, 60_000);
  });
}
