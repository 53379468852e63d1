import { compressSync, uncompressSync } from 'snappy';
import { CorruptRecordError } from '../errors/tributary-error';
import { DecompressOptions, corrupt, outputLimit, tooLarge } from './limits';

/**
 * Snappy in the two shapes Kafka clients send. The Java client wraps blocks in snappy-java's "xerial" framing:
 * an 8-byte magic, int32 version and int32 minimum-compatible version, then blocks each prefixed by an int32
 * compressed length. librdkafka, kafkajs (kafkajs-snappy) and others send one raw Snappy block. The Java
 * reader accepts both, so must we; we write what Java writes.
 */
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_VERSION = 1;
const XERIAL_MIN_COMPATIBLE_VERSION = 1;
/** snappy-java's SnappyOutputStream compresses its input in blocks of this many bytes. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

/** One raw Snappy block. */
export function snappyCompressRaw(data: Buffer): Buffer {
  return compressSync(data);
}

/** Xerial-framed Snappy, byte for byte the layout snappy-java's SnappyOutputStream produces. */
export function snappyCompress(data: Buffer): Buffer {
  const pieces: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_MIN_COMPATIBLE_VERSION, 12);
  pieces.push(header);
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_SIZE) {
    const block = compressSync(data.subarray(at, at + XERIAL_BLOCK_SIZE));
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(block.length, 0);
    pieces.push(length, block);
  }
  return Buffer.concat(pieces);
}

/** Accepts either framing; refuses output beyond the limit before allocating it. */
export function snappyDecompress(data: Buffer, options?: DecompressOptions): Buffer {
  const limit = outputLimit(options);
  if (!isXerialFramed(data)) return rawBlock(data, limit);
  const pieces: Buffer[] = [];
  let total = 0;
  let at = XERIAL_HEADER_SIZE;
  while (at < data.length) {
    if (data.length - at < 4) throw new CorruptRecordError('xerial snappy stream ends inside a block length');
    const size = data.readInt32BE(at);
    at += 4;
    if (size < 0 || size > data.length - at) {
      throw new CorruptRecordError(`xerial snappy block of ${size} bytes but ${data.length - at} remain`);
    }
    const block = rawBlock(data.subarray(at, at + size), limit - total);
    at += size;
    total += block.length;
    pieces.push(block);
  }
  return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, total);
}

/** The uncompressed length a raw Snappy block declares in its varint preamble. */
function declaredLength(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    value += (block[i] & 0x7f) * 2 ** (7 * i);
    if ((block[i] & 0x80) === 0) return value;
  }
  throw new CorruptRecordError('snappy block has no valid length preamble');
}

function rawBlock(block: Buffer, limit: number): Buffer {
  const size = declaredLength(block);
  if (size > limit) throw tooLarge('snappy', limit, size);
  try {
    return uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (cause) {
    throw corrupt('snappy', cause);
  }
}
