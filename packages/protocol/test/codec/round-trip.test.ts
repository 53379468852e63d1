/**
 * Every message of every spec, at every valid version: a random valid value encodes, decodes back to an equal
 * value, and re-encodes to the same bytes. Unknown tagged fields survive the trip.
 */
import * as path from 'node:path';
import { loadSpecs } from '../../generator/generate-all';
import { MessageSpec } from '../../generator/spec-model';
import * as generated from '../../src/generated';
import { Reader } from '../../src/primitives/reader';
import { Writer } from '../../src/primitives/writer';
import { SeededRandom } from '../support/seeded-random';
import { SpecValues } from '../support/spec-values';

const specs = loadSpecs(path.resolve(__dirname, '../../../../protocol-specs'));
const messages: MessageSpec[] = [...specs.values()].flat();
const random = SeededRandom.fromEnv('round-trip');
const SAMPLES_PER_VERSION = 6;

type Codec = {
  decode: (r: Reader, v: number) => unknown;
  encode: (w: Writer, v: number, o: unknown) => void;
};

function codecFor(message: MessageSpec): Codec {
  const exports = generated as unknown as Record<string, unknown>;
  const decode = exports[`decode${message.name}`];
  const encode = exports[`encode${message.name}`];
  if (typeof decode !== 'function' || typeof encode !== 'function') throw new Error(`no codec for ${message.name}`);
  return { decode: decode as Codec['decode'], encode: encode as Codec['encode'] };
}

test('there is a spec for every API key 0-87, request and response', () => {
  const keys = new Set(messages.filter((m) => m.kind === 'request').map((m) => m.apiKey));
  const responseKeys = new Set(messages.filter((m) => m.kind === 'response').map((m) => m.apiKey));
  for (let key = 0; key <= 87; key++) {
    expect(keys.has(key)).toBe(true);
    expect(responseKeys.has(key)).toBe(true);
  }
});

describe.each(messages.map((m) => [m.name, m] as const))('%s', (_name, message) => {
  const codec = codecFor(message);
  const values = new SpecValues(message, random);
  const versions: number[] = [];
  for (let v = message.validVersions.min; v <= message.validVersions.max; v++) versions.push(v);

  test.each(versions)('version %i round-trips', (version) => {
    for (let sample = 0; sample < SAMPLES_PER_VERSION; sample++) {
      const value = values.random_(version);
      const w = new Writer(64);
      codec.encode(w, version, value);
      const bytes = w.toBuffer();
      const r = new Reader(bytes);
      const decoded = codec.decode(r, version);
      expect(r.remaining).toBe(0);
      expect(decoded).toEqual(value);
      const again = new Writer(64);
      codec.encode(again, version, decoded);
      expect(again.toBuffer().equals(bytes)).toBe(true);
    }
  });

  test('refuses versions outside its range', () => {
    expect(() => codec.decode(new Reader(Buffer.alloc(0)), message.validVersions.max + 1)).toThrow(/versions/);
    expect(() => codec.encode(new Writer(), -1, values.random_(message.validVersions.min))).toThrow(/versions/);
  });
});
