import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { calculate as fastCrc32c } from 'fast-crc32c';
import { NodeFileSystem, SeededRandom, seedFromEnv } from '../src';
import {
  Crc32cImplementation,
  crc32c,
  crc32cImplementation,
  isBatchChecksumValid,
  isBatchChecksumValidAt,
  updateBatchChecksum,
} from '../src/log/batch-checksum';
import { NATIVE_ADDON_PATH, nativeAddon } from '../src/native';
import { batchOf } from './helpers';

// CRC-32C from its definition (reflected polynomial 0x82F63B78), one byte at a time through a table.
const TABLE = Array.from({ length: 256 }, (_, b) => {
  let crc = b;
  for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  return crc >>> 0;
});
function reference(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = (TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8)) >>> 0;
  return ~crc >>> 0;
}

const seed = seedFromEnv();

/**
 * CRCs of seeded bytes over lengths around the fold's block (256 bytes) and threshold (1 KiB) and far beyond,
 * from several alignments. Plain JavaScript, so a child process can run the same function from its source.
 */
function foldCases(addon: { crc32c(bytes: Uint8Array, previous: number, start: number, end: number): number }, seed: number): number[] {
  const data = Buffer.alloc(70000);
  for (let i = 0, x = seed; i < data.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  const crcs: number[] = [];
  for (let n = 0; n < data.length - 8; n = n < 2100 ? n + 1 : n * 2 + 13) {
    for (let start = 0; start < 8; start += 3) crcs.push(addon.crc32c(data, n & 0xffff, start, start + n));
  }
  return crcs;
}
const native = nativeAddon?.crc32c;
const addonBuilt = fs.existsSync(path.join(__dirname, '..', 'build', 'Release', 'tributary_storage.node'));
/** Whether this process should be using the addon: built, and not turned off. */
const addonExpected = addonBuilt && process.env.TRIBUTARY_NATIVE !== '0';

describe(`CRC-32C for batches (TRIBUTARY_SEED=${seed})`, () => {
  const implementations: [string, (bytes: Uint8Array, previous?: number) => number][] = [
    ['the chosen one', crc32c],
    ['fast-crc32c', (bytes, previous = 0) => fastCrc32c(bytes as Buffer, previous) >>> 0],
  ];
  if (native) implementations.push(['the native addon', native]);

  it('uses the addon whenever it was built', () => {
    expect(NATIVE_ADDON_PATH).toBe(path.join(__dirname, '..', 'build', 'Release', 'tributary_storage.node'));
    expect(native !== undefined).toBe(addonExpected);
    expect(crc32cImplementation).toBe(addonExpected ? Crc32cImplementation.Native : Crc32cImplementation.FastCrc32c);
  });

  it.each(implementations)('%s gives the standard check value', (_, crc) => {
    expect(crc(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc(Buffer.alloc(0))).toBe(0);
  });

  it.each(implementations)('%s matches the definition for any length and alignment, and continues a CRC', (_, crc) => {
    const random = new SeededRandom(seed);
    const data = Buffer.alloc(80_000);
    for (let i = 0; i < data.length; i++) data[i] = random.int(256);
    // Lengths around the addon's lane sizes (3 x 256 and 3 x 8192 bytes) and its 8-byte steps, at odd starts.
    const lengths = [1, 7, 8, 9, 767, 768, 769, 3 * 768 + 5, 16 * 1024 - 21, 24_575, 24_576, 24_577, 49_160, 79_000];
    for (let i = 0; i < 40; i++) lengths.push(random.int(79_000));
    for (const length of lengths) {
      const start = random.int(data.length - length);
      const bytes = data.subarray(start, start + length);
      const expected = reference(bytes);
      expect({ length, start, crc: crc(bytes) }).toEqual({ length, start, crc: expected });
      const cut = random.int(length + 1);
      expect(crc(bytes.subarray(cut), crc(bytes.subarray(0, cut)))).toBe(expected);
    }
  });

  (native ? it : it.skip)('folds long inputs where the CPU can, with the same answers as the crc32 streams alone', () => {
    const cpu = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const canFold = ['sse4_2', 'avx512f', 'vpclmulqdq'].every((flag) => new RegExp(`\\b${flag}\\b`).test(cpu));
    expect(nativeAddon!.folding).toBe(canFold && process.env.TRIBUTARY_NO_FOLD === undefined);
    // The same CRCs from a process whose addon uses only the three crc32 streams (or the table, without SSE4.2).
    const script = `const addon = require(${JSON.stringify(NATIVE_ADDON_PATH)});
      console.log(JSON.stringify({ folding: addon.folding, crcs: (${foldCases.toString()})(addon, ${seed}) }));`;
    const streams = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TRIBUTARY_NO_FOLD: '1' } }).toString());
    expect(streams.folding).toBe(false);
    const here = foldCases(nativeAddon!, seed);
    expect(here.length).toBeGreaterThan(6000);
    expect(here).toEqual(streams.crcs);
  });

  (native ? it : it.skip)('the addon takes a byte range and refuses one outside the buffer', () => {
    const crc = native as unknown as (bytes: Uint8Array, previous: number, start: number, end: number) => number;
    const bytes = Buffer.from('xx123456789yy');
    expect(crc(bytes, 0, 2, 11)).toBe(0xe3069283);
    expect(crc(bytes, 0, 5, 5)).toBe(0);
    // The addon's errors come from Node's own realm, not Jest's, so they are matched by message.
    expect(() => crc(bytes, 0, 3, 2)).toThrow(/0 <= start <= end <= length/);
    expect(() => crc(bytes, 0, 0, bytes.length + 1)).toThrow(/0 <= start <= end <= length/);
    expect(() => crc(bytes, 0, -1, 2)).toThrow(/0 <= start <= end <= length/);
    expect(() => (native as (bytes: unknown) => number)('not bytes')).toThrow(/expects a Buffer/);
  });

  it('a batch checks out until any byte its CRC covers changes; offset and leader epoch are not covered', () => {
    const random = new SeededRandom(seed ^ 0x5eed);
    const batch = batchOf(20, { valueBytes: 700 });
    const set = Buffer.concat([batchOf(3), batch]);
    const at = set.length - batch.length;
    expect(isBatchChecksumValid(batch)).toBe(true);
    expect(isBatchChecksumValidAt(set, at, batch.length)).toBe(true);
    set.writeBigInt64BE(123_456n, at);
    set.writeInt32BE(7, at + 12);
    expect(isBatchChecksumValidAt(set, at, batch.length)).toBe(true);
    for (let i = 0; i < 50; i++) {
      const position = 21 + random.int(batch.length - 21);
      const bit = 1 << random.int(8);
      batch[position] ^= bit;
      expect({ position, valid: isBatchChecksumValid(batch) }).toEqual({ position, valid: false });
      updateBatchChecksum(batch);
      expect(isBatchChecksumValid(batch)).toBe(true);
      batch[position] ^= bit;
      updateBatchChecksum(batch);
    }
  });

  it('falls back to fast-crc32c without the addon (TRIBUTARY_NATIVE=0), with the same answers', () => {
    const previous = process.env.TRIBUTARY_NATIVE;
    process.env.TRIBUTARY_NATIVE = '0';
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fallback = require('../src/log/batch-checksum') as typeof import('../src/log/batch-checksum');
        expect(fallback.crc32cImplementation).toBe(Crc32cImplementation.FastCrc32c);
        const batch = batchOf(5);
        expect(fallback.isBatchChecksumValidAt(Buffer.concat([Buffer.alloc(3), batch]), 3, batch.length)).toBe(true);
        expect(fallback.crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
        batch[batch.length - 1] ^= 1;
        expect(fallback.isBatchChecksumValid(batch)).toBe(false);
      });
    } finally {
      if (previous === undefined) delete process.env.TRIBUTARY_NATIVE;
      else process.env.TRIBUTARY_NATIVE = previous;
    }
  });
});

describe('NodeFileSystem writes, through the addon when it is there and through fs.writeSync without it', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-storage-write-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function exercise(nodeFs: NodeFileSystem): void {
    const file = path.join(dir, `f-${Math.random()}`);
    const handle = nodeFs.open(file, { create: true });
    handle.write(Buffer.from('hello'), 0);
    handle.write(Buffer.from('world'), 10);
    // A view into a larger buffer writes only its own bytes.
    handle.write(Buffer.from('xxABCxx').subarray(2, 5), 5);
    expect(handle.size()).toBe(15);
    expect(fs.readFileSync(file)).toEqual(Buffer.concat([Buffer.from('helloABC'), Buffer.alloc(2), Buffer.from('world')]));
    handle.close();
    const readOnly = nodeFs.open(file, { readOnly: true });
    let error: NodeJS.ErrnoException | undefined;
    try {
      readOnly.write(Buffer.from('no'), 0);
    } catch (caught) {
      error = caught as NodeJS.ErrnoException;
    }
    expect(error?.code).toBe('EBADF');
    readOnly.close();
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe('hello');
  }

  it('writes whole buffers at their positions and reports errors with the errno name', () => {
    expect(nativeAddon !== undefined).toBe(addonExpected);
    exercise(new NodeFileSystem());
  });

  it('does the same without the addon', () => {
    const previous = process.env.TRIBUTARY_NATIVE;
    process.env.TRIBUTARY_NATIVE = '0';
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const isolated = require('../src/fs/node-file-system') as typeof import('../src/fs/node-file-system');
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        expect((require('../src/native') as typeof import('../src/native')).nativeAddon).toBeUndefined();
        exercise(new isolated.NodeFileSystem());
      });
    } finally {
      if (previous === undefined) delete process.env.TRIBUTARY_NATIVE;
      else process.env.TRIBUTARY_NATIVE = previous;
    }
  });

  (nativeAddon ? it : it.skip)('the addon refuses arguments that are not (fd, bytes, position >= 0)', () => {
    const addon = nativeAddon!;
    expect(() => addon.pwrite(1, 'text' as unknown as Buffer, 0)).toThrow(/pwrite expects/);
    expect(() => addon.pwrite(1, Buffer.alloc(1), -1)).toThrow(/pwrite expects/);
    expect(addon.pwrite(-1, Buffer.alloc(1), 0)).toBe(-os.constants.errno.EBADF);
  });
});
