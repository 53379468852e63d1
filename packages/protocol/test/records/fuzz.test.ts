// Seeded fuzzing of every record decoder and decompressor: valid inputs are truncated, bit-flipped, given
// hostile lengths (with the CRC recomputed so the mutation reaches the record parser) or replaced by noise.
// Each decoder must return or throw a TributaryError; anything else (RangeError, TypeError, a native crash,
// a hang, a huge allocation) fails. The seed is printed; replay a failure with FUZZ_SEED=<seed>.
import * as fs from 'fs';
import * as path from 'path';
import {
  CompressionType,
  ControlRecordType,
  LegacyMagic,
  RecordBatch,
  TributaryError,
  buildControlBatch,
  buildLegacyMessageSet,
  buildRecordBatch,
  compress,
  decodeBatchRecords,
  decodeControlRecord,
  decodeLegacyMessageSet,
  decompress,
  downConvertRecordSet,
  iterateRecordSet,
  readLegacyMessage,
  updateBatchCrc,
  upConvertMessageSet,
  validateBatch,
} from '../../src';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1500);
const LIMIT = { maxOutputBytes: 4 << 20 };
console.log(`[records fuzz] FUZZ_SEED=${SEED}`);

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function rng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const random = rng(SEED);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const HOSTILE_INT32 = [0, 1, -1, -2, 0x7fffffff, -0x80000000, 0x3fffffff, 61, 49, 100_000_000];

function seeds(): Buffer[] {
  const T0 = 1_700_000_000_000n;
  const records = Array.from({ length: 6 }, (_, i) => ({
    timestamp: T0 + BigInt(i),
    key: i === 1 ? null : Buffer.from(`k${i}`),
    value: Buffer.from(`v${i} `.repeat(i * 30 + 1)),
    headers: i % 2 ? [{ key: 'h', value: Buffer.from([i]) }] : [],
  }));
  const out: Buffer[] = [];
  for (const compression of CODECS) out.push(buildRecordBatch({ compression, records, baseOffset: 5n }));
  out.push(buildControlBatch({ type: ControlRecordType.Commit, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 2, timestamp: T0 }));
  for (const magic of [0, 1] as LegacyMagic[]) {
    for (const compression of CODECS.slice(0, 4)) out.push(buildLegacyMessageSet({ magic, compression, records }));
  }
  // The golden batches of real clients (small ones, to keep the run short) bring their codecs' framings.
  const fixtures = path.join(__dirname, '../fixtures/batches');
  for (const name of fs.readdirSync(fixtures).sort()) {
    const file = path.join(fixtures, name);
    if (name.endsWith('.bin') && fs.statSync(file).size < 2048) out.push(fs.readFileSync(file));
  }
  return out;
}

const SEEDS = seeds();
const COMPRESSED = CODECS.slice(1).map((type) => [type, compress(type, Buffer.from('fuzz payload '.repeat(500)))] as const);

function mutate(input: Buffer): Buffer {
  const bytes = Buffer.from(input);
  switch (int(6)) {
    case 0:
      return bytes.subarray(0, int(bytes.length + 1));
    case 1: {
      for (let n = 1 + int(4); n > 0; n--) bytes[int(bytes.length)] ^= 1 << int(8);
      return bytes;
    }
    case 2: {
      const at = int(Math.max(1, bytes.length - 4));
      if (at + 4 <= bytes.length) bytes.writeInt32BE(pick(HOSTILE_INT32), at);
      return bytes;
    }
    case 3: {
      // A hostile varint (length, count or delta) somewhere in the records, with a valid CRC so it is parsed.
      if (bytes.length > 70 && bytes[16] === 2) {
        const at = 61 + int(bytes.length - 61);
        bytes[at] = pick([0x01, 0x7f, 0xff, 0xfe, 0x80]);
        updateBatchCrc(bytes);
      }
      return bytes;
    }
    case 4: {
      // A hostile header field (count, lastOffsetDelta, attributes) with the CRC fixed.
      if (bytes.length >= 61 && bytes[16] === 2) {
        const field = pick([57, 23, 8]);
        bytes.writeInt32BE(pick(HOSTILE_INT32), field);
        if (int(2)) bytes.writeInt16BE(int(0x80), 21);
        updateBatchCrc(bytes);
      }
      return bytes;
    }
    default: {
      const noise = Buffer.alloc(int(300));
      for (let i = 0; i < noise.length; i++) noise[i] = int(256);
      return noise;
    }
  }
}

/** Runs one decoder; returns a description of a failure that is not a typed error, else null. */
function attempt(name: string, run: () => unknown): string | null {
  try {
    const result = run();
    if (result && typeof (result as Iterable<unknown>)[Symbol.iterator] === 'function') [...(result as Iterable<unknown>)];
    return null;
  } catch (error) {
    if (error instanceof TributaryError) return null;
    return `${name}: ${(error as Error)?.stack ?? String(error)}`;
  }
}

function decoders(input: Buffer): Array<[string, () => unknown]> {
  return [
    ['iterateRecordSet', () => iterateRecordSet(input)],
    ['validateBatch', () => validateBatch(input)],
    ['decodeBatchRecords', () => decodeBatchRecords(input, LIMIT)],
    ['RecordBatch.resolvedRecords', () => new RecordBatch(input).resolvedRecords(LIMIT)],
    ['decodeControlRecord', () => decodeBatchRecords(input, LIMIT).map(decodeControlRecord)],
    ['readLegacyMessage', () => readLegacyMessage(input)],
    ['decodeLegacyMessageSet', () => decodeLegacyMessageSet(input, LIMIT)],
    ['downConvertRecordSet', () => downConvertRecordSet(input, pick([0, 1] as LegacyMagic[]), LIMIT)],
    ['upConvertMessageSet', () => upConvertMessageSet(input, LIMIT)],
  ];
}

describe(`record decoders under fuzzing (FUZZ_SEED=${SEED})`, () => {
  it('throw only typed errors on mutated batches and message sets', () => {
    const failures: string[] = [];
    const rssBefore = process.memoryUsage().rss;
    for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
      const input = mutate(pick(SEEDS));
      for (const [name, run] of decoders(input)) {
        const failure = attempt(name, run);
        if (failure) failures.push(`iteration ${i} (input ${input.toString('hex').slice(0, 400)}): ${failure}`);
      }
    }
    const grownBytes = process.memoryUsage().rss - rssBefore;
    expect(failures).toEqual([]);
    expect(grownBytes).toBeLessThan(512 << 20);
  }, 60_000);

  it('decompressors throw only typed errors on mutated input and stay within the output limit', () => {
    const failures: string[] = [];
    for (let i = 0; i < ITERATIONS && failures.length < 5; i++) {
      const [type, packed] = pick(COMPRESSED);
      const input = mutate(packed);
      const failure = attempt(`decompress ${CompressionType[type]}`, () => {
        const out = decompress(type, input, { maxOutputBytes: 64 << 10, magic: pick([0, 1, 2]) });
        if (out.length > 64 << 10) throw new Error(`output of ${out.length} bytes exceeds the limit`);
      });
      if (failure) failures.push(`iteration ${i} (input ${input.toString('hex').slice(0, 200)}): ${failure}`);
    }
    expect(failures).toEqual([]);
  }, 60_000);

  it('refuses hostile declared sizes before allocating them', () => {
    // A snappy preamble claiming 4 GiB, a zstd frame declaring 1 TiB, a legacy value length of 2 GiB,
    // a batch claiming 2^31-1 records: each is refused at once.
    const snappy = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(() => decompress(CompressionType.Snappy, snappy)).toThrow(TributaryError);
    const zstdFrame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xc0 | 0x00, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(() => decompress(CompressionType.Zstd, zstdFrame)).toThrow(TributaryError);
    const legacy = buildLegacyMessageSet({ magic: 1, records: [{ key: null, value: Buffer.from('x') }] });
    legacy.writeInt32BE(0x7fffffff, legacy.length - 5);
    expect(() => readLegacyMessage(legacy)).toThrow(TributaryError);
    const batch = buildRecordBatch({ records: [{ timestamp: 0n, key: null, value: null }] });
    batch.writeInt32BE(0x7fffffff, 57);
    expect(() => decodeBatchRecords(batch)).toThrow(/claims 2147483647 records/);
  });
});
