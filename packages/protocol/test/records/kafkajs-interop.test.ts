// Our encoders, read back by kafkajs' own decoders (the code a kafkajs consumer runs on a Fetch response).
// kafkajs decompresses with its codec plugins: kafkajs-snappy (snappyjs, which also reads the xerial framing),
// kafkajs-lz4 (the lz4 package's frame reader, which checks the header checksum), and a zstd-napi adapter.
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import * as zstd from 'zstd-napi';
import {
  BatchSpec,
  CompressionType,
  LegacyMagic,
  TimestampType,
  buildControlBatch,
  buildLegacyMessageSet,
  buildRecordBatch,
  ControlRecordType,
} from '../../src';

const Decoder = require('kafkajs/src/protocol/decoder');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const decodeMessageSet = require('kafkajs/src/protocol/messageSet/decoder');
const LZ4Codec = require('kafkajs-lz4');

const codecs = CompressionCodecs as Record<number, unknown>;
codecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
codecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
codecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => zstd.compress(encoder.buffer),
  decompress: async (buffer: Buffer) => zstd.decompress(buffer),
});

interface KafkajsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  isControlRecord: boolean;
}

const T0 = 1_700_000_000_000n;
/** Buffer.equals rather than toEqual: Jest compares Buffers element by element, far too slowly for 100 KiB. */
const sameBytes = (a: Buffer | null, b: Buffer | null): boolean => (a === null || b === null ? a === b : a.equals(b));
const records: BatchSpec['records'] = Array.from({ length: 40 }, (_, i) => ({
  timestamp: T0 + BigInt(i),
  key: i === 5 ? null : Buffer.from(`key-${i}`),
  value: i === 6 ? null : Buffer.from(`${i}:`.repeat(200 + i * 50)), // ~40-160 KiB in all: several codec blocks
  headers: i % 3 === 0 ? [{ key: 'n', value: Buffer.from(String(i)) }] : [],
}));

describe('kafkajs reads batches built by buildRecordBatch', () => {
  it.each([CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd].map((c) => [CompressionType[c], c] as const))(
    '%s',
    async (_name, compression) => {
      const batch = buildRecordBatch({ baseOffset: 300n, compression, records, isTransactional: true, producerId: 77n, producerEpoch: 2, baseSequence: 5 });
      const decoded = await decodeRecordBatch(new Decoder(batch));
      expect(decoded.firstOffset).toBe('300');
      expect(decoded.inTransaction).toBe(true);
      expect(decoded.producerId).toBe('77');
      expect(decoded.lastOffsetDelta).toBe(39);
      const got = decoded.records as KafkajsRecord[];
      expect(got).toHaveLength(records.length);
      got.forEach((record, i) => {
        expect(record.offset).toBe(String(300 + i));
        expect(record.timestamp).toBe(String(records[i].timestamp));
        expect(sameBytes(record.key, records[i].key)).toBe(true);
        expect(sameBytes(record.value, records[i].value)).toBe(true);
        const expected = Object.fromEntries(records[i].headers!.map((h) => [h.key, h.value]));
        expect(record.headers).toEqual(expected);
      });
    },
  );

  it('LogAppendTime and control batches', async () => {
    const logAppend = await decodeRecordBatch(new Decoder(buildRecordBatch({ timestampType: TimestampType.LogAppendTime, maxTimestamp: 42n, records: records.slice(0, 2) })));
    expect((logAppend.records as KafkajsRecord[]).map((r) => r.timestamp)).toEqual(['42', '42']);
    const marker = await decodeRecordBatch(new Decoder(buildControlBatch({ type: ControlRecordType.Abort, producerId: 77n, producerEpoch: 2, coordinatorEpoch: 1, timestamp: T0 })));
    expect(marker.isControlBatch).toBe(true);
    expect((marker.records as KafkajsRecord[])[0].isControlRecord).toBe(true);
  });
});

describe('kafkajs reads legacy message sets built by buildLegacyMessageSet (Fetch v0-v3 path)', () => {
  // kafkajs ships gzip only for legacy sets; its lz4 plugin rejects the magic-0 (KAFKA-3160) header by design.
  const cases: Array<[LegacyMagic, CompressionType]> = [
    [0, CompressionType.None], [0, CompressionType.Gzip], [0, CompressionType.Snappy],
    [1, CompressionType.None], [1, CompressionType.Gzip], [1, CompressionType.Snappy], [1, CompressionType.Lz4],
  ];
  it.each(cases.map(([m, c]) => [m, CompressionType[c], c] as const))('magic %i / %s', async (magic, _name, compression) => {
    const input = records.slice(0, 8).map(({ timestamp, key, value }) => ({ timestamp, key, value }));
    const set = buildLegacyMessageSet({ magic, compression, baseOffset: 900n, records: input });
    const messages = await decodeMessageSet(new Decoder(set), set.length);
    expect(messages.map((m: { offset: string }) => m.offset)).toEqual(input.map((_, i) => String(900 + i)));
    expect(messages.map((m: { value: Buffer | null }) => m.value)).toEqual(input.map((r) => r.value));
    expect(messages.map((m: { key: Buffer | null }) => m.key)).toEqual(input.map((r) => r.key));
    if (magic === 1) expect(messages.map((m: { timestamp: string }) => m.timestamp)).toEqual(input.map((r) => String(r.timestamp)));
  });
});
