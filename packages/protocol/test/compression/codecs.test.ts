import * as lz4 from 'lz4';
import * as zlib from 'zlib';
import {
  CompressionType,
  CorruptRecordError,
  XERIAL_MAGIC,
  compress,
  decompress,
  lz4Compress,
  lz4Decompress,
  snappyCompress,
  snappyCompressRaw,
  snappyDecompress,
} from '../../src';

const CODECS = [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

/** Half text-like and compressible, half random: exercises both compressed and stored LZ4 blocks. */
function sample(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let state = seed;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = i % 20000 < 10000 ? 97 + (i % 13) : state >>> 24;
  }
  return out;
}

describe.each(CODECS.map((type) => [CompressionType[type], type] as const))('%s', (_name, type) => {
  it.each([0, 1, 100, 70_000, 300_000])('round-trips %i bytes', (size) => {
    const data = sample(size);
    const packed = compress(type, data);
    expect(decompress(type, packed).equals(data)).toBe(true);
  });

  it('refuses output beyond the limit with a CorruptRecordError', () => {
    const packed = compress(type, Buffer.alloc(1 << 20));
    expect(() => decompress(type, packed, { maxOutputBytes: 4096 })).toThrow(CorruptRecordError);
    expect(decompress(type, packed, { maxOutputBytes: 1 << 20 }).length).toBe(1 << 20);
  });

  it('reports truncated and garbage input as CorruptRecordError', () => {
    const packed = compress(type, sample(5000));
    expect(() => decompress(type, packed.subarray(0, packed.length - 3))).toThrow(CorruptRecordError);
    expect(() => decompress(type, Buffer.from('not compressed at all, really'))).toThrow(CorruptRecordError);
  });
});

describe('snappy framing', () => {
  it('writes the xerial framing snappy-java writes: magic, version 1, compatible 1, 32 KiB blocks', () => {
    const packed = snappyCompress(sample(70_000));
    expect(packed.subarray(0, 8).equals(XERIAL_MAGIC)).toBe(true);
    expect(packed.readInt32BE(8)).toBe(1);
    expect(packed.readInt32BE(12)).toBe(1);
    const blockSizes: number[] = [];
    for (let at = 16; at < packed.length; ) {
      const size = packed.readInt32BE(at);
      blockSizes.push(size);
      at += 4 + size;
    }
    expect(blockSizes).toHaveLength(3); // 32 KiB + 32 KiB + the rest
  });

  it('also reads a raw snappy block, as librdkafka and kafkajs send', () => {
    const data = sample(5000);
    expect(snappyDecompress(snappyCompressRaw(data)).equals(data)).toBe(true);
  });

  it('refuses a raw block whose declared length exceeds the limit before decoding it', () => {
    expect(() => snappyDecompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), { maxOutputBytes: 1000 })).toThrow(
      /over the limit/,
    );
  });
});

describe('lz4 frame', () => {
  it('writes the header Kafka writes: FLG 0x60, BD 0x40 and the xxHash32 header checksum', () => {
    const packed = lz4Compress(Buffer.from('hello'));
    expect(packed.readUInt32LE(0)).toBe(0x184d2204);
    expect(packed[4]).toBe(0x60);
    expect(packed[5]).toBe(0x40);
    expect(packed[6]).toBe((lz4.utils.blockChecksum(packed.subarray(4, 6)) >>> 8) & 0xff);
    expect(packed.readUInt32LE(packed.length - 4)).toBe(0); // end mark, no content checksum
  });

  it('writes the KAFKA-3160 checksum over the magic for magic 0 and does not check it on read', () => {
    const data = sample(1000);
    const broken = lz4Compress(data, { brokenHeaderChecksum: true });
    expect(broken[6]).toBe((lz4.utils.blockChecksum(broken.subarray(0, 6)) >>> 8) & 0xff);
    expect(decompress(CompressionType.Lz4, broken, { magic: 0 }).equals(data)).toBe(true);
    const correct = lz4Compress(data);
    // The two checksums differ for this header, so a v1+ reader must refuse the broken one.
    expect(broken[6]).not.toBe(correct[6]);
    expect(() => lz4Decompress(broken)).toThrow(/header checksum/);
  });

  it('reads frames written by the lz4 package (4 MiB blocks, content checksum)', () => {
    const data = sample(300_000);
    const foreign = lz4.encode(data);
    expect(lz4Decompress(foreign).equals(data)).toBe(true);
    foreign[foreign.length - 1] ^= 1; // content checksum
    expect(() => lz4Decompress(foreign)).toThrow(/content checksum/);
  });
});

describe('gzip', () => {
  it('reads concatenated gzip members', () => {
    const joined = Buffer.concat([zlib.gzipSync(Buffer.from('ab')), zlib.gzipSync(Buffer.from('cd'))]);
    expect(decompress(CompressionType.Gzip, joined).toString()).toBe('abcd');
  });
});
