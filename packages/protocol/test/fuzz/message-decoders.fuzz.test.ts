/**
 * Seeded fuzzing of the request path: valid frames of every API and version, then truncated, bit-flipped,
 * spliced and length-inflated, fed to the header parser and the request and response decoders. The only
 * acceptable failures are typed `TributaryError`s; no crash, no hang, no allocation beyond the input (a
 * declared length larger than the bytes present fails before anything is allocated). Replay: FUZZ_SEED=<seed>.
 */
import * as path from 'node:path';
import { loadSpecs } from '../../generator/generate-all';
import { API_DESCRIPTORS, ApiKey, Reader, TributaryError, Writer, apiDescriptor, encodeRequestFrame, parseRequestHeader } from '../../src';
import { SeededRandom } from '../support/seeded-random';
import { SpecValues } from '../support/spec-values';

const random = SeededRandom.fromEnv('message-decoders fuzz');
const specs = [...loadSpecs(path.resolve(__dirname, '../../../../protocol-specs')).values()].flat();
const MUTATIONS_PER_FRAME = 20;

function mutate(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  switch (random.int(0, 4)) {
    case 0:
      return copy.subarray(0, random.int(0, copy.length));
    case 1:
      for (let i = random.int(1, 4); i > 0 && copy.length > 0; i--) copy[random.int(0, copy.length - 1)] ^= 1 << random.int(0, 7);
      return copy;
    case 2: {
      // Inflate a length: overwrite four bytes with a huge big-endian value.
      if (copy.length >= 4) copy.writeInt32BE(random.pick([0x7fffffff, 0x40000000, -2, 65536]), random.int(0, copy.length - 4));
      return copy;
    }
    case 3:
      return Buffer.concat([copy, random.bytes(random.int(1, 64))]);
    default:
      return random.bytes(random.int(0, 256));
  }
}

function expectOnlyTypedErrors(run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
  }
}

test('mutated request frames of every API and version fail only with typed errors', () => {
  let frames = 0;
  for (const spec of specs.filter((s) => s.kind === 'request')) {
    const values = new SpecValues(spec, random);
    for (let version = spec.validVersions.min; version <= spec.validVersions.max; version++) {
      const frame = encodeRequestFrame(spec.apiKey as ApiKey, version, 1, 'fuzz', values.random_(version) as never).subarray(4);
      for (let i = 0; i < MUTATIONS_PER_FRAME; i++) {
        const bytes = mutate(frame);
        expectOnlyTypedErrors(() => {
          const { header, body } = parseRequestHeader(bytes);
          apiDescriptor(header.requestApiKey)!.decodeRequest(body, header.requestApiVersion);
        });
        frames++;
      }
    }
  }
  expect(frames).toBeGreaterThan(6000);
});

test('random bytes fed to every response decoder fail only with typed errors', () => {
  for (const descriptor of Object.values(API_DESCRIPTORS)) {
    for (let version = descriptor.minVersion; version <= descriptor.maxVersion; version++) {
      const valid = new Writer();
      const spec = specs.find((s) => s.kind === 'response' && s.apiKey === descriptor.apiKey)!;
      descriptor.encodeResponse(valid, version, new SpecValues(spec, random).random_(version) as never);
      const bytes = valid.toBuffer();
      for (let i = 0; i < MUTATIONS_PER_FRAME; i++) {
        expectOnlyTypedErrors(() => descriptor.decodeResponse(new Reader(mutate(bytes)), version));
      }
    }
  }
});

test('a declared length beyond the input fails before allocating', () => {
  // A Produce v3 request whose topic array claims 2^31-1 elements in a 30-byte body.
  const w = new Writer();
  w.nullableString(null).int16(1).int32(1000).int32(0x7fffffff);
  const before = process.memoryUsage().arrayBuffers;
  expect(() => API_DESCRIPTORS[ApiKey.Produce].decodeRequest(new Reader(w.toBuffer()), 3)).toThrow(/array claims 2147483647 elements/);
  // A compact string declaring 2 GiB in a flexible Metadata request.
  const flexible = new Writer();
  flexible.compactArrayLength(1).uuid('AAAAAAAAAAAAAAAAAAAAAA' as never).uvarint(0x7ffffff0);
  expect(() => API_DESCRIPTORS[ApiKey.Metadata].decodeRequest(new Reader(flexible.toBuffer()), 12)).toThrow(/needs \d+ bytes/);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
});
