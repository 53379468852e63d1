import * as fs from 'fs';
import * as path from 'path';
import {
  BatchSpec,
  CompressionType,
  LegacyMagic,
  TimestampType,
  buildControlBatch,
  buildLegacyMessageSet,
  buildRecordBatch,
  ControlRecordType,
  CorruptRecordError,
  decodeBatchRecords,
  decodeControlRecord,
  decodeLegacyMessageSet,
  iterateRecordSet,
  readLegacyMessage,
  validateBatch,
} from '../../src';
import { DescribedBatch, DescribedRecord, describeRecordSet } from './describe';

const FIXTURES = path.join(__dirname, '../fixtures/batches');

interface ManifestEntry {
  file: string;
  producer: string;
  codecSource?: string;
  magic: number;
  codec: string;
  batches?: DescribedBatch[];
  records?: DescribedRecord[];
}

function manifest(name: string): ManifestEntry[] {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as ManifestEntry[];
}

const javaEntries = manifest('java-manifest.json');
const kafkajsEntries = manifest('kafkajs-manifest.json');
const kafkaPythonEntries = manifest('kafka-python-manifest.json');

describe('golden batches from the Java client (kafka-clients 3.9.0 MemoryRecordsBuilder)', () => {
  it('cover every codec for magic 2 and none/gzip/snappy/lz4 for magic 0 and 1', () => {
    const seen = new Set(javaEntries.map((e) => `${e.magic}/${e.codec}`));
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) expect(seen).toContain(`2/${codec}`);
    for (const magic of [0, 1]) for (const codec of ['none', 'gzip', 'snappy', 'lz4']) expect(seen).toContain(`${magic}/${codec}`);
  });

  it.each(javaEntries.map((e) => [e.file, e] as const))('%s decodes to what Java decodes', (file, entry) => {
    const bytes = fs.readFileSync(path.join(FIXTURES, file));
    expect(describeRecordSet(bytes)).toEqual(entry.batches);
    for (const batch of entry.batches!) expect(batch.compression).toBe(entry.codec);
  });

  it.each(javaEntries.filter((e) => e.magic === 2).map((e) => [e.file] as const))('%s fails validation with any bit of its CRC-covered bytes flipped', (file) => {
    const bytes = fs.readFileSync(path.join(FIXTURES, file));
    validateBatch(bytes);
    for (const position of [17, 21, 30, 61, bytes.length - 1]) {
      const copy = Buffer.from(bytes);
      copy[position] ^= 0x10;
      expect(() => validateBatch(copy)).toThrow(CorruptRecordError);
    }
  });

  it.each(javaEntries.filter((e) => e.magic < 2).map((e) => [e.file] as const))('%s fails its CRC-32 with a bit flipped', (file) => {
    const bytes = fs.readFileSync(path.join(FIXTURES, file));
    const first = [...iterateRecordSet(bytes)][0];
    const copy = Buffer.from(first.bytes);
    copy[copy.length - 1] ^= 0x01;
    expect(() => readLegacyMessage(copy)).toThrow(/CRC/);
  });

  it('reads the COMMIT and ABORT markers the Java client writes', () => {
    for (const [file, type] of [
      ['java-v2-control-commit.bin', ControlRecordType.Commit],
      ['java-v2-control-abort.bin', ControlRecordType.Abort],
    ] as const) {
      const bytes = fs.readFileSync(path.join(FIXTURES, file));
      const header = validateBatch(bytes);
      expect(header.isControl && header.isTransactional).toBe(true);
      const [record] = decodeBatchRecords(bytes);
      expect(decodeControlRecord(record)).toEqual({ version: 0, type, coordinatorEpoch: 9 });
    }
  });

  it('reads all Java batches concatenated into one record set', () => {
    const files = javaEntries.filter((e) => e.magic === 2).map((e) => e.file);
    const set = Buffer.concat(files.map((f) => fs.readFileSync(path.join(FIXTURES, f))));
    const entries = [...iterateRecordSet(set)];
    expect(entries).toHaveLength(files.length);
    expect(describeRecordSet(set)).toEqual(javaEntries.filter((e) => e.magic === 2).flatMap((e) => e.batches));
  });
});

describe('our encoders write what the Java client writes, byte for byte', () => {
  // Same layout, same CRC: uncompressed batches and messages must be identical. LZ4 too, because lz4-java and
  // the lz4 package run the same LZ4 block compressor; gzip, snappy and zstd output depends on the library build.
  const hex = (h: string | null): Buffer | null => (h === null ? null : Buffer.from(h, 'hex'));
  const codecOf = (name: string): CompressionType => ({ none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 })[name] as CompressionType;
  const identical = javaEntries.filter((e) => ['none', 'lz4'].includes(e.codec) && !e.file.includes('control') && !e.file.includes('large'));

  it.each(identical.map((e) => [e.file, e] as const))('%s', (file, entry) => {
    const batch = entry.batches![0];
    const records = entry.batches!.flatMap((b) => b.records);
    // The builder was given these timestamps (CaptureBatches.java: BASE_TIMESTAMP + 7 * i).
    const timestamps = records.map((_, i) => 1_700_000_000_000n + 7n * BigInt(i));
    let ours: Buffer;
    if (entry.magic === 2) {
      const spec: BatchSpec = {
        baseOffset: BigInt(batch.baseOffset),
        partitionLeaderEpoch: batch.partitionLeaderEpoch,
        compression: codecOf(entry.codec),
        timestampType: batch.timestampType === 'LogAppendTime' ? TimestampType.LogAppendTime : TimestampType.CreateTime,
        isTransactional: batch.isTransactional,
        producerId: BigInt(batch.producerId),
        producerEpoch: batch.producerEpoch,
        baseSequence: batch.baseSequence,
        maxTimestamp: BigInt(batch.maxTimestamp),
        records: records.map((r, i) => ({ timestamp: timestamps[i], key: hex(r.key), value: hex(r.value), headers: r.headers.map((h) => ({ key: h.key, value: hex(h.value) })) })),
      };
      ours = buildRecordBatch(spec);
    } else {
      ours = buildLegacyMessageSet({
        magic: entry.magic as LegacyMagic,
        compression: codecOf(entry.codec),
        baseOffset: 100n,
        records: records.map((r, i) => ({ timestamp: timestamps[i], key: hex(r.key), value: hex(r.value) })),
      });
    }
    expect(ours.toString('hex')).toBe(fs.readFileSync(path.join(FIXTURES, file)).toString('hex'));
  });

  it.each(['commit', 'abort'])('the %s marker', (kind) => {
    const ours = buildControlBatch({
      type: kind === 'commit' ? ControlRecordType.Commit : ControlRecordType.Abort,
      baseOffset: 200n, timestamp: 1_700_000_100_000n, partitionLeaderEpoch: 5, producerId: 4242n, producerEpoch: 3, coordinatorEpoch: 9,
    });
    expect(ours.toString('hex')).toBe(fs.readFileSync(path.join(FIXTURES, `java-v2-control-${kind}.bin`)).toString('hex'));
  });
});

describe('golden batches from kafkajs', () => {
  it('cover every codec for magic 2', () => {
    const codecs = new Set(kafkajsEntries.filter((e) => e.magic === 2).map((e) => e.codec));
    expect([...codecs].sort()).toEqual(['gzip', 'lz4', 'none', 'snappy', 'zstd']);
  });

  it.each(kafkajsEntries.filter((e) => e.magic === 2).map((e) => [e.file, e] as const))('%s decodes to the records kafkajs was given', (file, entry) => {
    const bytes = fs.readFileSync(path.join(FIXTURES, file));
    expect(describeRecordSet(bytes)).toEqual(entry.batches);
  });

  it.each(kafkajsEntries.filter((e) => e.magic < 2).map((e) => [e.file, e] as const))('%s (Produce v2 message set) decodes with v1 offset rules', (file, entry) => {
    const bytes = fs.readFileSync(path.join(FIXTURES, file));
    const records = decodeLegacyMessageSet(bytes);
    expect(describeRecordSet(bytes).flatMap((b) => b.records)).toEqual(entry.records);
    expect(records.every((r) => r.magic === 1)).toBe(true);
    if (entry.codec !== 'none') expect(readLegacyMessage(bytes).compression).toBe(CompressionType.Gzip);
  });
});

describe('golden batches from kafka-python (MemoryRecordsBuilder)', () => {
  it('cover every codec for magic 2 and none/gzip/snappy/lz4 for magic 0 and 1', () => {
    const seen = new Set(kafkaPythonEntries.map((e) => `${e.magic}/${e.codec}`));
    expect(seen.size).toBe(13);
  });

  it.each(kafkaPythonEntries.map((e) => [e.file, e] as const))('%s decodes to what kafka-python decodes', (file, entry) => {
    const bytes = fs.readFileSync(path.join(FIXTURES, file));
    // kafka-python's reader exposes fewer batch fields than Java's; compare those it has.
    const ours = describeRecordSet(bytes).map((batch, i) => {
      const fields = Object.keys(entry.batches![i]) as Array<keyof DescribedBatch>;
      return Object.fromEntries(fields.map((field) => [field, batch[field]]));
    });
    expect(ours).toEqual(entry.batches);
  });
});
