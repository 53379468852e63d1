/**
 * Golden frames from kafka-python (captured by scripts/capture-requests/kafka_python_capture.py with the
 * client's own encoder, the code path its connection uses to send): each frame decodes with our header and
 * request codecs, consumes every byte, and carries exactly the field values kafka-python was given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { apiDescriptor, parseRequestHeader } from '../../src';

interface Capture {
  request: string;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string;
  frameHex: string;
  fields: Record<string, unknown>;
}

const fixture = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../fixtures/requests/kafka-python.json'), 'utf8'),
) as { client: string; captures: Capture[] };

/** Our decoded values in the fixture's JSON shape: snake_case keys, bytes as hex, int64 as numbers. */
function toFixtureShape(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (Buffer.isBuffer(value)) return { hex: value.toString('hex') };
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toFixtureShape);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (key === '_unknownTaggedFields') continue;
      out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = toFixtureShape(inner);
    }
    return out;
  }
  return value;
}

/**
 * Narrows our value to the keys kafka-python wrote for this version (our types also hold the fields of other
 * versions, at their defaults). A key kafka-python wrote that we lack stays as undefined and fails the match.
 */
function commonShape(ours: unknown, theirs: unknown): [unknown, unknown] {
  if (Array.isArray(ours) && Array.isArray(theirs) && ours.length === theirs.length) {
    const pairs = ours.map((item, i) => commonShape(item, theirs[i]));
    return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
  }
  if (ours && theirs && typeof ours === 'object' && typeof theirs === 'object' && !Array.isArray(ours) && !('hex' in (ours as object))) {
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = {};
    for (const key of Object.keys(theirs as object)) {
      [a[key], b[key]] = commonShape((ours as Record<string, unknown>)[key], (theirs as Record<string, unknown>)[key]);
    }
    return [a, b];
  }
  return [ours, theirs];
}

test('the fixture holds captures of many APIs, flexible and not', () => {
  expect(fixture.client).toMatch(/^kafka-python /);
  expect(new Set(fixture.captures.map((c) => c.apiKey)).size).toBeGreaterThanOrEqual(25);
  expect(fixture.captures.some((c) => c.apiKey === 18 && c.apiVersion >= 3)).toBe(true);
});

describe.each(fixture.captures.map((c) => [`${c.request} v${c.apiVersion}`, c] as const))('%s', (_label, capture) => {
  test('decodes to the values kafka-python encoded', () => {
    const frame = Buffer.from(capture.frameHex, 'hex');
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const { header, body } = parseRequestHeader(frame.subarray(4));
    expect(header).toMatchObject({
      requestApiKey: capture.apiKey,
      requestApiVersion: capture.apiVersion,
      correlationId: capture.correlationId,
      clientId: capture.clientId,
    });
    const decoded = apiDescriptor(capture.apiKey)!.decodeRequest(body, capture.apiVersion);
    expect(body.remaining).toBe(0);
    const [ours, theirs] = commonShape(toFixtureShape(decoded), capture.fields);
    expect(ours).toEqual(theirs);
  });
});
