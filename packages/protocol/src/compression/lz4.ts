import { decodeBlock, encodeBlock, encodeBound, utils } from 'lz4';
import { CorruptRecordError } from '../errors/tributary-error';
import { DecompressOptions, corrupt, outputLimit, tooLarge } from './limits';

/**
 * LZ4 in the frame format Kafka uses (KafkaLZ4BlockOutputStream / KafkaLZ4BlockInputStream): frame magic,
 * FLG, BD, a one-byte header checksum, then blocks each prefixed by a little-endian int32 size (high bit set
 * when the block is stored uncompressed) and an end mark of 0. Kafka writes independent 64 KiB blocks without
 * block or content checksums.
 *
 * KAFKA-3160: before magic 1 Kafka computed the header checksum over the frame magic as well as the descriptor.
 * Legacy magic-0 messages are written that way and their checksum is not checked on read, as Kafka does.
 */
const FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
const BD_BLOCK_SIZE_MASK = 0x70;
const BD_RESERVED = 0x8f;
const UNCOMPRESSED_BLOCK_BIT = 0x80000000;
/** Kafka's writer: version 01, independent blocks, nothing else. */
const KAFKA_FLG = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENCE;
/** Kafka's writer: 64 KiB maximum block size (code 4). */
const KAFKA_BD = 4 << 4;
const KAFKA_BLOCK_SIZE = 64 * 1024;

export interface Lz4FrameOptions {
  /** Write the magic-0 (KAFKA-3160) header checksum. */
  brokenHeaderChecksum?: boolean;
}

export interface Lz4DecompressOptions extends DecompressOptions {
  /** Do not verify the header checksum (magic-0 messages, whose checksum was computed the broken way). */
  ignoreHeaderChecksum?: boolean;
}

function headerChecksum(frame: Buffer, descriptorEnd: number, broken: boolean): number {
  return (utils.blockChecksum(frame.subarray(broken ? 0 : 4, descriptorEnd)) >>> 8) & 0xff;
}

export function lz4Compress(data: Buffer, options?: Lz4FrameOptions): Buffer {
  const header = Buffer.alloc(7);
  header.writeUInt32LE(FRAME_MAGIC, 0);
  header[4] = KAFKA_FLG;
  header[5] = KAFKA_BD;
  header[6] = headerChecksum(header, 6, options?.brokenHeaderChecksum === true);
  const pieces: Buffer[] = [header];
  const scratch = Buffer.allocUnsafe(encodeBound(KAFKA_BLOCK_SIZE));
  for (let at = 0; at < data.length; at += KAFKA_BLOCK_SIZE) {
    const block = data.subarray(at, at + KAFKA_BLOCK_SIZE);
    const compressedSize = encodeBlock(block, scratch);
    const size = Buffer.allocUnsafe(4);
    if (compressedSize > 0 && compressedSize < block.length) {
      size.writeUInt32LE(compressedSize, 0);
      pieces.push(size, Buffer.from(scratch.subarray(0, compressedSize)));
    } else {
      size.writeUInt32LE((block.length | UNCOMPRESSED_BLOCK_BIT) >>> 0, 0);
      pieces.push(size, block);
    }
  }
  pieces.push(Buffer.alloc(4));
  return Buffer.concat(pieces);
}

export function lz4Decompress(frame: Buffer, options?: Lz4DecompressOptions): Buffer {
  const limit = outputLimit(options);
  if (frame.length < 7) throw new CorruptRecordError(`lz4 frame of ${frame.length} bytes is shorter than its header`);
  if (frame.readUInt32LE(0) !== FRAME_MAGIC) throw new CorruptRecordError('lz4 frame has the wrong magic number');
  const flg = frame[4];
  const bd = frame[5];
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw new CorruptRecordError('lz4 frame version is not 01');
  if (flg & (FLG_RESERVED | FLG_DICT_ID)) throw new CorruptRecordError('lz4 frame uses reserved bits or a dictionary');
  if ((flg & FLG_BLOCK_INDEPENDENCE) === 0) throw new CorruptRecordError('lz4 frames with dependent blocks are unsupported');
  if (bd & BD_RESERVED) throw new CorruptRecordError('lz4 block descriptor has reserved bits set');
  const sizeCode = (bd & BD_BLOCK_SIZE_MASK) >> 4;
  if (sizeCode < 4) throw new CorruptRecordError(`lz4 block size code ${sizeCode} is invalid`);
  const maxBlockSize = 1 << (2 * sizeCode + 8);
  let at = 6;
  if (flg & FLG_CONTENT_SIZE) {
    if (frame.length < at + 9) throw new CorruptRecordError('lz4 frame ends inside its content size');
    const contentSize = frame.readBigUInt64LE(at);
    if (contentSize > BigInt(limit)) throw tooLarge('lz4', limit, Number(contentSize));
    at += 8;
  }
  if (!options?.ignoreHeaderChecksum && frame[at] !== headerChecksum(frame, at, false)) {
    throw new CorruptRecordError('lz4 frame header checksum mismatch');
  }
  at += 1;

  const pieces: Buffer[] = [];
  let total = 0;
  let scratch: Buffer | undefined;
  for (;;) {
    if (frame.length - at < 4) throw new CorruptRecordError('lz4 frame ends before its end mark');
    const word = frame.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const stored = (word & UNCOMPRESSED_BLOCK_BIT) !== 0;
    const size = word & ~UNCOMPRESSED_BLOCK_BIT;
    if (size > maxBlockSize) throw new CorruptRecordError(`lz4 block of ${size} bytes exceeds ${maxBlockSize}`);
    if (size > frame.length - at) throw new CorruptRecordError(`lz4 block of ${size} bytes but ${frame.length - at} remain`);
    const input = frame.subarray(at, at + size);
    at += size;
    if (flg & FLG_BLOCK_CHECKSUM) {
      if (frame.length - at < 4) throw new CorruptRecordError('lz4 frame ends inside a block checksum');
      if (frame.readUInt32LE(at) !== utils.blockChecksum(input) >>> 0) {
        throw new CorruptRecordError('lz4 block checksum mismatch');
      }
      at += 4;
    }
    scratch ??= Buffer.allocUnsafe(maxBlockSize);
    const block = stored ? input : decode(input, scratch);
    total += block.length;
    if (total > limit) throw tooLarge('lz4', limit);
    pieces.push(block);
  }
  const output = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, total);
  // Kafka never writes a content checksum; one that another writer added must match.
  if (flg & FLG_CONTENT_CHECKSUM) {
    if (frame.length - at < 4) throw new CorruptRecordError('lz4 frame ends inside its content checksum');
    if (frame.readUInt32LE(at) !== utils.blockChecksum(output) >>> 0) {
      throw new CorruptRecordError('lz4 content checksum mismatch');
    }
  }
  return output;
}

/** Decodes one block into the scratch buffer and returns a right-sized copy (the scratch is reused). */
function decode(input: Buffer, scratch: Buffer): Buffer {
  let size: number;
  try {
    size = decodeBlock(input, scratch);
  } catch (cause) {
    throw corrupt('lz4', cause);
  }
  if (size < 0) throw new CorruptRecordError(`invalid lz4 block (error at input byte ${-size})`);
  return Buffer.from(scratch.subarray(0, size));
}
