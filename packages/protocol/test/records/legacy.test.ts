import { utils } from 'lz4';
import * as zlib from 'zlib';
import {
  CompressionType,
  buildLegacyMessage,
  CorruptRecordError,
  LegacyMagic,
  RecordBatch,
  TimestampType,
  UnsupportedCompressionTypeError,
  buildControlBatch,
  buildLegacyMessageSet,
  buildRecordBatch,
  ControlRecordType,
  decodeLegacyMessageSet,
  downConvertRecordSet,
  iterateRecordSet,
  readLegacyMessage,
  upConvertMessageSet,
  validateBatch,
} from '../../src';

const LEGACY_CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4];
const T0 = 1_600_000_000_000n;
const MESSAGES = Array.from({ length: 5 }, (_, i) => ({
  timestamp: T0 + BigInt(i * 10),
  key: i === 1 ? null : Buffer.from(`k${i}`),
  value: i === 2 ? null : Buffer.from(`legacy value ${i} `.repeat(4)),
}));

describe('legacy message sets', () => {
  const cases = ([0, 1] as LegacyMagic[]).flatMap((magic) => LEGACY_CODECS.map((codec) => [magic, CompressionType[codec], codec] as const));

  it.each(cases)('magic %i / %s round-trips with absolute offsets', (magic, _name, compression) => {
    const set = buildLegacyMessageSet({ magic, compression, baseOffset: 500n, records: MESSAGES });
    const records = decodeLegacyMessageSet(set);
    expect(records.map((r) => r.offset)).toEqual([500n, 501n, 502n, 503n, 504n]);
    records.forEach((record, i) => {
      expect(record.magic).toBe(magic);
      expect(record.key).toEqual(MESSAGES[i].key);
      expect(record.value).toEqual(MESSAGES[i].value);
      expect(record.timestamp).toBe(magic === 0 ? -1n : MESSAGES[i].timestamp);
    });
    const entries = [...iterateRecordSet(set)];
    expect(entries).toHaveLength(compression === CompressionType.None ? 5 : 1);
    if (compression !== CompressionType.None) {
      const wrapper = readLegacyMessage(entries[0].bytes);
      expect(wrapper.offset).toBe(504n); // the wrapper carries the last inner offset
      expect(wrapper.key).toBeNull();
      expect(wrapper.timestamp).toBe(magic === 0 ? -1n : T0 + 40n); // max timestamp
    }
  });

  it('writes v1 inner offsets relative (0..n-1) and v0 inner offsets absolute, as Kafka does', () => {
    for (const magic of [0, 1] as LegacyMagic[]) {
      const set = buildLegacyMessageSet({ magic, compression: CompressionType.Gzip, baseOffset: 500n, records: MESSAGES });
      const wrapper = readLegacyMessage(set);
      const inner = zlib.gunzipSync(wrapper.value!);
      const innerOffsets = [...iterateRecordSet(inner)].map((e) => e.bytes.readBigInt64BE(0));
      expect(innerOffsets).toEqual(magic === 1 ? [0n, 1n, 2n, 3n, 4n] : [500n, 501n, 502n, 503n, 504n]);
    }
  });

  it('gives every inner message the wrapper timestamp when a v1 wrapper is LogAppendTime', () => {
    const set = buildLegacyMessageSet({ magic: 1, compression: CompressionType.Snappy, timestampType: TimestampType.LogAppendTime, logAppendTime: T0 + 999n, records: MESSAGES });
    const records = decodeLegacyMessageSet(set);
    expect(records.every((r) => r.timestamp === T0 + 999n && r.timestampType === TimestampType.LogAppendTime)).toBe(true);
  });

  it('uses the KAFKA-3160 lz4 header checksum for magic 0 wrappers only', () => {
    const v0 = readLegacyMessage(buildLegacyMessageSet({ magic: 0, compression: CompressionType.Lz4, records: MESSAGES }));
    const v1 = readLegacyMessage(buildLegacyMessageSet({ magic: 1, compression: CompressionType.Lz4, records: MESSAGES }));
    expect(v0.value![6]).toBe((utils.blockChecksum(v0.value!.subarray(0, 6)) >>> 8) & 0xff);
    expect(v1.value![6]).toBe((utils.blockChecksum(v1.value!.subarray(4, 6)) >>> 8) & 0xff);
  });

  it('refuses zstd, which legacy formats cannot carry', () => {
    expect(() => buildLegacyMessageSet({ magic: 1, compression: CompressionType.Zstd, records: MESSAGES })).toThrow(UnsupportedCompressionTypeError);
  });

  it('fails on a flipped bit anywhere in a message (CRC-32 covers magic..end; sizes cover the rest)', () => {
    const set = buildLegacyMessageSet({ magic: 1, compression: CompressionType.None, records: MESSAGES.slice(0, 1) });
    for (let byte = 12; byte < set.length; byte++) {
      const copy = Buffer.from(set);
      copy[byte] ^= 0x04;
      expect(() => readLegacyMessage(copy)).toThrow(CorruptRecordError);
    }
  });

  it('refuses nested wrappers and wrappers with a null value', () => {
    const inner = buildLegacyMessageSet({ magic: 1, compression: CompressionType.Gzip, records: MESSAGES });
    const nested = buildLegacyMessage(1, 0n, CompressionType.Gzip, T0, null, zlib.gzipSync(inner));
    expect(() => decodeLegacyMessageSet(nested)).toThrow(/nest/);
    const nullValue = buildLegacyMessage(1, 0n, CompressionType.Gzip, T0, null, null);
    expect(() => decodeLegacyMessageSet(nullValue)).toThrow(/null value/);
  });
});

describe('down-conversion (v2 -> v0/v1 for old fetchers)', () => {
  const batch = buildRecordBatch({
    baseOffset: 1000n,
    compression: CompressionType.Gzip,
    records: MESSAGES.map((m) => ({ ...m, headers: [{ key: 'dropped', value: Buffer.from('x') }] })),
  });
  const marker = buildControlBatch({ type: ControlRecordType.Commit, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: T0, baseOffset: 1005n });

  it.each([0, 1] as LegacyMagic[])('to magic %i keeps offsets, codec and (v1) timestamps, drops headers and control batches', (magic) => {
    const converted = downConvertRecordSet(Buffer.concat([batch, marker]), magic);
    const entries = [...iterateRecordSet(converted)];
    expect(entries).toHaveLength(1); // one gzip wrapper; the marker is gone
    expect(entries[0].magic).toBe(magic);
    expect(readLegacyMessage(entries[0].bytes).compression).toBe(CompressionType.Gzip);
    const records = decodeLegacyMessageSet(converted);
    expect(records.map((r) => r.offset)).toEqual([1000n, 1001n, 1002n, 1003n, 1004n]);
    expect(records.map((r) => r.timestamp)).toEqual(magic === 1 ? MESSAGES.map((m) => m.timestamp) : MESSAGES.map(() => -1n));
    expect(records.map((r) => r.value)).toEqual(MESSAGES.map((m) => m.value));
  });

  it('keeps gaps left by compaction and leaves out records before the fetch offset', () => {
    const gappy = buildRecordBatch({
      baseOffset: 10n,
      compression: CompressionType.Lz4,
      records: [0, 3, 4, 9].map((delta) => ({ timestamp: T0, key: Buffer.from([delta]), value: null, offsetDelta: delta })),
    });
    const converted = downConvertRecordSet(gappy, 1, { firstOffset: 13n });
    expect(decodeLegacyMessageSet(converted).map((r) => r.offset)).toEqual([13n, 14n, 19n]);
  });

  it('reports LogAppendTime batches with their append time', () => {
    const logAppend = buildRecordBatch({ timestampType: TimestampType.LogAppendTime, maxTimestamp: T0 + 5n, records: MESSAGES });
    const records = decodeLegacyMessageSet(downConvertRecordSet(logAppend, 1));
    expect(records.every((r) => r.timestamp === T0 + 5n && r.timestampType === TimestampType.LogAppendTime)).toBe(true);
  });

  it('passes entries already at the target magic through untouched and converts v1 to v0', () => {
    const v0 = buildLegacyMessageSet({ magic: 0, baseOffset: 1n, records: MESSAGES.slice(0, 2) });
    const v1 = buildLegacyMessageSet({ magic: 1, compression: CompressionType.Snappy, baseOffset: 3n, records: MESSAGES.slice(0, 2) });
    const converted = downConvertRecordSet(Buffer.concat([v0, v1]), 0);
    expect(converted.subarray(0, v0.length).equals(v0)).toBe(true);
    const records = decodeLegacyMessageSet(converted);
    expect(records.map((r) => [r.offset, r.magic])).toEqual([[1n, 0], [2n, 0], [3n, 0], [4n, 0]]);
  });

  it('answers UNSUPPORTED_COMPRESSION_TYPE for zstd batches', () => {
    const zstd = buildRecordBatch({ compression: CompressionType.Zstd, records: MESSAGES });
    expect(() => downConvertRecordSet(zstd, 1)).toThrow(expect.objectContaining({ code: 76 }));
  });
});

describe('up-conversion (v0/v1 produce -> v2 batch)', () => {
  it.each(([0, 1] as LegacyMagic[]).flatMap((magic) => LEGACY_CODECS.map((codec) => [magic, CompressionType[codec], codec] as const)))(
    'magic %i / %s becomes one v2 batch with consecutive offsets and the client codec',
    (magic, _name, compression) => {
      const set = buildLegacyMessageSet({ magic, compression, baseOffset: 0n, records: MESSAGES });
      const batch = upConvertMessageSet(set, { baseOffset: 70n });
      const header = validateBatch(batch);
      expect(header.compression).toBe(compression);
      expect(header.producerId).toBe(-1n);
      const records = new RecordBatch(batch).resolvedRecords();
      expect(records.map((r) => r.offset)).toEqual([70n, 71n, 72n, 73n, 74n]);
      expect(records.map((r) => r.timestamp)).toEqual(magic === 0 ? MESSAGES.map(() => -1n) : MESSAGES.map((m) => m.timestamp));
      expect(records.map((r) => r.key)).toEqual(MESSAGES.map((m) => m.key));
      expect(records.every((r) => r.headers.length === 0)).toBe(true);
    },
  );

  it('applies the topic codec and LogAppendTime when asked', () => {
    const set = buildLegacyMessageSet({ magic: 1, compression: CompressionType.Gzip, records: MESSAGES });
    const batch = upConvertMessageSet(set, { compression: CompressionType.Zstd, timestampType: TimestampType.LogAppendTime, logAppendTime: T0 + 1n });
    const header = validateBatch(batch);
    expect([header.compression, header.timestampType, header.maxTimestamp]).toEqual([CompressionType.Zstd, TimestampType.LogAppendTime, T0 + 1n]);
  });

  it('v2 -> v1 -> v2 keeps keys, values, offsets and timestamps', () => {
    const original = buildRecordBatch({ baseOffset: 40n, compression: CompressionType.Snappy, records: MESSAGES });
    const back = upConvertMessageSet(downConvertRecordSet(original, 1), { baseOffset: 40n });
    const strip = (b: Buffer) => new RecordBatch(b).resolvedRecords();
    expect(strip(back)).toEqual(strip(original));
  });
});
