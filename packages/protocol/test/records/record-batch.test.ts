import {
  BATCH_HEADER_SIZE,
  BatchSpec,
  CompressionType,
  ControlRecordType,
  CorruptRecordError,
  RecordBatch,
  TimestampType,
  buildControlBatch,
  buildRecordBatch,
  decodeBatchRecords,
  decodeControlRecord,
  iterateBatchRecords,
  iterateRecordSet,
  readBatchHeader,
  recordSetIsComplete,
  setBaseOffset,
  setPartitionLeaderEpoch,
  updateBatchCrc,
  validateBatch,
  validateProducedBatch,
} from '../../src';

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const T0 = 1_700_000_000_000n;

function sampleRecords(count: number): BatchSpec['records'] {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: T0 + BigInt(i * 13) - (i === 2 ? 5000n : 0n), // one record older than the first: negative delta
    key: i === 1 ? null : Buffer.from(`key-${i}`),
    value: i === 3 ? null : Buffer.from(`value-${i}-`.repeat(i * 10 + 1)),
    headers: i % 2 === 0 ? [{ key: 'h', value: Buffer.from([i]) }, { key: 'ünïcode', value: null }] : [],
  }));
}

describe('v2 record batch build and decode', () => {
  const attributeCases = [
    { name: 'plain', spec: {} },
    { name: 'transactional idempotent', spec: { isTransactional: true, producerId: 9_007_199_254_740_993n, producerEpoch: 7, baseSequence: 2_147_483_600 } },
    { name: 'log append time', spec: { timestampType: TimestampType.LogAppendTime, maxTimestamp: T0 + 99_999n } },
    { name: 'delete horizon', spec: { deleteHorizonMs: T0 + 86_400_000n } },
    { name: 'leader epoch and base offset', spec: { baseOffset: 1n << 40n, partitionLeaderEpoch: 77 } },
  ];
  const cases = CODECS.flatMap((codec) => attributeCases.map((c) => [CompressionType[codec], c.name, codec, c.spec] as const));

  it.each(cases)('%s / %s round-trips every header field and record', (_codecName, _caseName, compression, extra) => {
    const records = sampleRecords(6);
    const spec: BatchSpec = { compression, records, ...extra };
    const batch = buildRecordBatch(spec);
    const header = validateBatch(batch);
    expect(header.compression).toBe(compression);
    expect(header.magic).toBe(2);
    expect(header.batchLength).toBe(batch.length - 12);
    expect(header.recordsCount).toBe(6);
    expect(header.lastOffsetDelta).toBe(5);
    expect(header.baseOffset).toBe(spec.baseOffset ?? 0n);
    expect(header.partitionLeaderEpoch).toBe(spec.partitionLeaderEpoch ?? -1);
    expect(header.isTransactional).toBe(spec.isTransactional ?? false);
    expect(header.isControl).toBe(false);
    expect(header.producerId).toBe(spec.producerId ?? -1n);
    expect(header.producerEpoch).toBe(spec.producerEpoch ?? -1);
    expect(header.baseSequence).toBe(spec.baseSequence ?? -1);
    expect(header.timestampType).toBe(spec.timestampType ?? TimestampType.CreateTime);
    expect(header.hasDeleteHorizon).toBe(spec.deleteHorizonMs !== undefined);
    expect(header.baseTimestamp).toBe(spec.deleteHorizonMs ?? records[0].timestamp);
    const maxTimestamp = records.reduce((max, r) => (r.timestamp > max ? r.timestamp : max), -1n);
    expect(header.maxTimestamp).toBe(spec.maxTimestamp ?? maxTimestamp);

    const resolved = new RecordBatch(batch).resolvedRecords();
    expect(resolved).toHaveLength(6);
    resolved.forEach((record, i) => {
      expect(record.offset).toBe((spec.baseOffset ?? 0n) + BigInt(i));
      expect(record.timestamp).toBe(spec.timestampType === TimestampType.LogAppendTime ? spec.maxTimestamp : records[i].timestamp);
      expect(record.key).toEqual(records[i].key);
      expect(record.value).toEqual(records[i].value);
      expect(record.headers).toEqual(records[i].headers);
    });
  });

  it('keeps large values by reference when uncompressed and still produces one contiguous batch', () => {
    const value = Buffer.alloc(100_000, 7);
    const batch = buildRecordBatch({ records: [{ timestamp: T0, key: null, value }] });
    expect(decodeBatchRecords(batch)[0].value!.equals(value)).toBe(true);
  });

  it('iterates records lazily: a caller can stop after the first of a batch whose tail is corrupt', () => {
    const batch = buildRecordBatch({ records: sampleRecords(4) });
    const broken = Buffer.from(batch);
    broken[broken.length - 2] = 0x7f; // damages only the last record
    const first = iterateBatchRecords(broken).next();
    expect(first.value!.key).toEqual(Buffer.from('key-0'));
    expect(() => [...iterateBatchRecords(broken)]).toThrow(CorruptRecordError);
  });

  it('decodes records as views of the batch, not copies', () => {
    const batch = buildRecordBatch({ records: sampleRecords(3) });
    const [first] = decodeBatchRecords(batch);
    expect(first.key!.buffer).toBe(batch.buffer);
  });

  it('keeps offset gaps (as compaction leaves them) and an empty batch that keeps producer state', () => {
    const batch = buildRecordBatch({
      records: [
        { timestamp: T0, key: Buffer.from('a'), value: null, offsetDelta: 0 },
        { timestamp: T0, key: Buffer.from('b'), value: null, offsetDelta: 7 },
      ],
    });
    expect(validateBatch(batch).lastOffsetDelta).toBe(7);
    expect(decodeBatchRecords(batch).map((r) => r.offsetDelta)).toEqual([0, 7]);
    expect(() => validateProducedBatch(batch)).toThrow(/2 records over 8 offsets/);

    const empty = buildRecordBatch({ records: [], lastOffsetDelta: 4, producerId: 5n, producerEpoch: 1, baseSequence: 10 });
    const header = validateBatch(empty);
    expect([header.recordsCount, header.lastOffsetDelta, header.baseTimestamp]).toEqual([0, 4, -1n]);
    expect(decodeBatchRecords(empty)).toEqual([]);
    expect(() => validateProducedBatch(empty)).toThrow(/no records/);
  });

  it('round-trips timestamp deltas beyond 32 bits (varlong) in both directions', () => {
    const timestamps = [T0, T0 + 2n ** 40n, T0 - 2n ** 35n, T0 + 2n ** 31n, T0 - 2n ** 31n];
    const batch = buildRecordBatch({ records: timestamps.map((timestamp) => ({ timestamp, key: null, value: null })) });
    expect(new RecordBatch(batch).resolvedRecords().map((r) => r.timestamp)).toEqual(timestamps);
  });

  it('refuses offsetDeltas that do not increase', () => {
    expect(() =>
      buildRecordBatch({ records: [{ timestamp: T0, key: null, value: null, offsetDelta: 3 }, { timestamp: T0, key: null, value: null, offsetDelta: 3 }] }),
    ).toThrow(RangeError);
  });

  it('can rewrite base offset and leader epoch in place without touching the CRC', () => {
    const batch = buildRecordBatch({ compression: CompressionType.Lz4, records: sampleRecords(4) });
    const crc = readBatchHeader(batch).crc;
    setBaseOffset(batch, 123_456n);
    setPartitionLeaderEpoch(batch, 9);
    const header = validateBatch(batch);
    expect([header.baseOffset, header.partitionLeaderEpoch, header.crc]).toEqual([123_456n, 9, crc]);
  });
});

describe('validateBatch', () => {
  const good = buildRecordBatch({ compression: CompressionType.None, records: sampleRecords(5) });

  it('fails on every single flipped bit in the CRC-covered range and the CRC itself', () => {
    const small = buildRecordBatch({ compression: CompressionType.None, records: sampleRecords(2) });
    let failures = 0;
    let flips = 0;
    for (let byte = 17; byte < small.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(small);
        copy[byte] ^= 1 << bit;
        flips++;
        try {
          validateBatch(copy);
        } catch (error) {
          if (error instanceof CorruptRecordError) failures++;
        }
      }
    }
    expect(failures).toBe(flips);
  });

  it('checks magic, length and record count against the offsets and bytes', () => {
    const wrongMagic = Buffer.from(good);
    wrongMagic[16] = 1;
    expect(() => validateBatch(wrongMagic)).toThrow(/magic 1/);
    expect(() => validateBatch(good.subarray(0, good.length - 1))).toThrow(/declares/);
    expect(() => validateBatch(good.subarray(0, 40))).toThrow(/shorter than its 61-byte header/);

    const tooMany = Buffer.from(good);
    tooMany.writeInt32BE(6, 57); // count 6 but lastOffsetDelta 4
    updateBatchCrc(tooMany);
    expect(() => validateBatch(tooMany)).toThrow(/spans only 5 offsets/);

    const unknownCodec = Buffer.from(good);
    unknownCodec.writeInt16BE(5, 21);
    updateBatchCrc(unknownCodec);
    expect(() => validateBatch(unknownCodec)).toThrow(/unknown compression type 5/);
  });

  it('decodeBatchRecords refuses a count that disagrees with the records present', () => {
    const lying = Buffer.from(good);
    lying.writeInt32BE(4, 57);
    expect(() => decodeBatchRecords(lying)).toThrow(/bytes after its 4 records/);
    lying.writeInt32BE(1_000_000, 57);
    expect(() => decodeBatchRecords(lying)).toThrow(/claims 1000000 records/);
  });

  it('refuses client control batches in produce validation', () => {
    const marker = buildControlBatch({ type: ControlRecordType.Commit, producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: T0 });
    expect(() => validateProducedBatch(marker)).toThrow(/control/);
  });
});

describe('control batches', () => {
  it.each([ControlRecordType.Commit, ControlRecordType.Abort] as const)('builds and reads a %s marker as Kafka lays it out', (type) => {
    const batch = buildControlBatch({ type, producerId: 4242n, producerEpoch: 3, coordinatorEpoch: 9, timestamp: T0, baseOffset: 200n, partitionLeaderEpoch: 5 });
    const header = validateBatch(batch);
    expect(header).toMatchObject({ isControl: true, isTransactional: true, producerId: 4242n, producerEpoch: 3, baseSequence: -1, recordsCount: 1, lastOffsetDelta: 0, baseTimestamp: T0, maxTimestamp: T0 });
    const [record] = decodeBatchRecords(batch);
    expect(record.key).toEqual(Buffer.from([0, 0, 0, type]));
    expect(record.value).toEqual(Buffer.from([0, 0, 0, 0, 0, 9]));
    expect(decodeControlRecord(record)).toEqual({ version: 0, type, coordinatorEpoch: 9 });
  });

  it('returns unknown control types for the caller to ignore, and refuses short keys', () => {
    const base = { attributes: 0, timestampDelta: 0n, offsetDelta: 0, headers: [] };
    expect(decodeControlRecord({ ...base, key: Buffer.from([0, 0, 0, 42]), value: null })).toEqual({ version: 0, type: 42 });
    expect(() => decodeControlRecord({ ...base, key: Buffer.from([0, 0]), value: null })).toThrow(CorruptRecordError);
    expect(() => decodeControlRecord({ ...base, key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0]) })).toThrow(CorruptRecordError);
  });
});

describe('iterateRecordSet', () => {
  const batches = CODECS.map((compression, i) => buildRecordBatch({ compression, baseOffset: BigInt(i * 10), records: sampleRecords(3) }));
  const set = Buffer.concat(batches);

  it('yields each batch as a view with its byte position', () => {
    const entries = [...iterateRecordSet(set)];
    expect(entries.map((e) => e.size)).toEqual(batches.map((b) => b.length));
    let at = 0;
    entries.forEach((entry, i) => {
      expect(entry.offset).toBe(at);
      expect(entry.magic).toBe(2);
      expect(entry.bytes.buffer).toBe(set.buffer);
      expect(entry.bytes.equals(batches[i])).toBe(true);
      at += entry.size;
    });
    expect(recordSetIsComplete(set)).toBe(true);
  });

  it('stops silently at a trailing partial batch, as a fetch cut at maxBytes ends', () => {
    for (const cut of [1, 16, 17, BATCH_HEADER_SIZE, batches[4].length - 1]) {
      const truncated = set.subarray(0, set.length - cut);
      expect([...iterateRecordSet(truncated)]).toHaveLength(cut < batches[4].length ? 4 : 3);
    }
    expect(recordSetIsComplete(set.subarray(0, set.length - 1))).toBe(false);
  });

  it('throws on impossible sizes and magics', () => {
    const negative = Buffer.from(set);
    negative.writeInt32BE(-5, 8);
    expect(() => [...iterateRecordSet(negative)]).toThrow(CorruptRecordError);
    const tiny = Buffer.from(set);
    tiny.writeInt32BE(20, 8);
    expect(() => [...iterateRecordSet(tiny)]).toThrow(/impossible size/);
    const magic = Buffer.from(set);
    magic[16] = 3;
    expect(() => [...iterateRecordSet(magic)]).toThrow(/magic 3/);
  });
});
