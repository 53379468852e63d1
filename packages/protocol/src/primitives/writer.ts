import { Uuid, uuidToBytes } from './uuid';

/** Byte strings at least this long are kept by reference rather than copied into the writer's buffer. */
const ZERO_COPY_THRESHOLD = 1024;

/**
 * A growable big-endian writer. Small values go into one contiguous buffer; large byte strings (record batches)
 * are kept by reference, so encoding a Produce request or a Fetch response never copies the records. `chunks()`
 * hands the pieces to `socket.writev`/`cork`; `toBuffer()` joins them when one buffer is wanted.
 */
export class Writer {
  private buffer: Buffer;
  private pos = 0;
  private start = 0;
  private readonly finished: Buffer[] = [];
  private finishedBytes = 0;

  constructor(initialCapacity = 256) {
    this.buffer = Buffer.allocUnsafe(initialCapacity);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.finishedBytes + (this.pos - this.start);
  }

  private ensure(size: number): void {
    if (this.pos + size <= this.buffer.length) return;
    // Seal what is written so far and continue in a fresh buffer; nothing already written is copied.
    this.seal();
    this.buffer = Buffer.allocUnsafe(Math.max(size, this.buffer.length * 2, 256));
    this.pos = 0;
    this.start = 0;
  }

  private seal(): void {
    if (this.pos > this.start) {
      const piece = this.buffer.subarray(this.start, this.pos);
      this.finished.push(piece);
      this.finishedBytes += piece.length;
      this.start = this.pos;
    }
  }

  int8(value: number): this {
    this.ensure(1);
    this.buffer.writeInt8(value, this.pos);
    this.pos += 1;
    return this;
  }

  uint8(value: number): this {
    this.ensure(1);
    this.buffer[this.pos++] = value;
    return this;
  }

  bool(value: boolean): this {
    return this.uint8(value ? 1 : 0);
  }

  int16(value: number): this {
    this.ensure(2);
    this.pos = this.buffer.writeInt16BE(value, this.pos);
    return this;
  }

  uint16(value: number): this {
    this.ensure(2);
    this.pos = this.buffer.writeUInt16BE(value, this.pos);
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.pos = this.buffer.writeInt32BE(value, this.pos);
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.pos = this.buffer.writeUInt32BE(value, this.pos);
    return this;
  }

  int64(value: bigint): this {
    this.ensure(8);
    this.pos = this.buffer.writeBigInt64BE(value, this.pos);
    return this;
  }

  float64(value: number): this {
    this.ensure(8);
    this.pos = this.buffer.writeDoubleBE(value, this.pos);
    return this;
  }

  uuid(value: Uuid): this {
    return this.raw(uuidToBytes(value));
  }

  /** Unsigned LEB128 of a value in [0, 2^32). */
  uvarint(value: number): this {
    if (value < 0 || value > 0xffffffff || !Number.isInteger(value)) {
      throw new RangeError(`uvarint out of range: ${value}`);
    }
    this.ensure(5);
    while (value >= 0x80) {
      this.buffer[this.pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.pos++] = value;
    return this;
  }

  /** Zigzag varint of a signed 32-bit value. */
  varint(value: number): this {
    return this.uvarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  uvarlong(value: bigint): this {
    let rest = BigInt.asUintN(64, value);
    this.ensure(10);
    while (rest >= 0x80n) {
      this.buffer[this.pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.buffer[this.pos++] = Number(rest);
    return this;
  }

  /** Zigzag varlong of a signed 64-bit value. */
  varlong(value: bigint): this {
    const wide = BigInt.asIntN(64, value);
    return this.uvarlong((wide << 1n) ^ (wide >> 63n));
  }

  /** Appends bytes; large ones by reference (the caller must not change them until the output is sent). */
  raw(bytes: Buffer): this {
    if (bytes.length >= ZERO_COPY_THRESHOLD) {
      this.seal();
      this.finished.push(bytes);
      this.finishedBytes += bytes.length;
      return this;
    }
    this.ensure(bytes.length);
    bytes.copy(this.buffer, this.pos);
    this.pos += bytes.length;
    return this;
  }

  string(value: string): this {
    const size = Buffer.byteLength(value, 'utf8');
    if (size > 0x7fff) throw new RangeError(`string of ${size} bytes is too long for an int16 length`);
    this.int16(size);
    return this.utf8(value, size);
  }

  nullableString(value: string | null): this {
    return value === null ? this.int16(-1) : this.string(value);
  }

  compactString(value: string): this {
    const size = Buffer.byteLength(value, 'utf8');
    this.uvarint(size + 1);
    return this.utf8(value, size);
  }

  compactNullableString(value: string | null): this {
    return value === null ? this.uvarint(0) : this.compactString(value);
  }

  private utf8(value: string, size: number): this {
    this.ensure(size);
    this.pos += this.buffer.write(value, this.pos, size, 'utf8');
    return this;
  }

  bytes(value: Buffer): this {
    return this.int32(value.length).raw(value);
  }

  nullableBytes(value: Buffer | null): this {
    return value === null ? this.int32(-1) : this.bytes(value);
  }

  compactBytes(value: Buffer): this {
    return this.uvarint(value.length + 1).raw(value);
  }

  compactNullableBytes(value: Buffer | null): this {
    return value === null ? this.uvarint(0) : this.compactBytes(value);
  }

  arrayLength(count: number): this {
    return this.int32(count);
  }

  compactArrayLength(count: number): this {
    return this.uvarint(count + 1);
  }

  /** The pieces written, in order, for a vectored write. The writer should not be used afterwards. */
  chunks(): Buffer[] {
    this.seal();
    return this.finished;
  }

  /** Everything written as one buffer (a copy only when there is more than one piece). */
  toBuffer(): Buffer {
    const pieces = this.chunks();
    if (pieces.length === 1) return pieces[0];
    return Buffer.concat(pieces, this.finishedBytes);
  }
}
