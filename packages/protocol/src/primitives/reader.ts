import { DecodeError } from '../errors/tributary-error';
import { Uuid, uuidFromBytes } from './uuid';

/**
 * A bounds-checked cursor over a Buffer. Every read checks the bytes are there first, and every declared length
 * (string, bytes, array count) is checked against the bytes remaining before anything is allocated, so a hostile
 * length prefix costs nothing. All failures are `DecodeError`s.
 *
 * Byte strings are returned as views (`subarray`) of the input, never copies: callers that keep one beyond the
 * life of the input buffer must copy it themselves.
 */
export class Reader {
  private pos: number;
  private readonly end: number;

  constructor(
    readonly buffer: Buffer,
    start = 0,
    end = buffer.length,
  ) {
    if (start < 0 || end > buffer.length || start > end) throw new RangeError('reader bounds outside the buffer');
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(size: number, what: string): number {
    const at = this.pos;
    if (size > this.end - at) {
      throw new DecodeError(`${what}: needs ${size} bytes at offset ${at}, only ${this.end - at} remain`);
    }
    this.pos = at + size;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.need(1, 'int8'));
  }

  uint8(): number {
    return this.buffer[this.need(1, 'uint8')];
  }

  bool(): boolean {
    return this.buffer[this.need(1, 'bool')] !== 0;
  }

  int16(): number {
    return this.buffer.readInt16BE(this.need(2, 'int16'));
  }

  uint16(): number {
    return this.buffer.readUInt16BE(this.need(2, 'uint16'));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.need(4, 'int32'));
  }

  uint32(): number {
    return this.buffer.readUInt32BE(this.need(4, 'uint32'));
  }

  int64(): bigint {
    return this.buffer.readBigInt64BE(this.need(8, 'int64'));
  }

  float64(): number {
    return this.buffer.readDoubleBE(this.need(8, 'float64'));
  }

  uuid(): Uuid {
    const at = this.need(16, 'uuid');
    return uuidFromBytes(this.buffer.subarray(at, at + 16));
  }

  /** An unsigned LEB128 varint of at most 5 bytes, as an unsigned 32-bit number. */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      const byte = this.buffer[this.need(1, 'varint')];
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) throw new DecodeError('varint does not fit in 32 bits');
        return value;
      }
    }
    throw new DecodeError('varint is longer than 5 bytes');
  }

  /** A zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const raw = this.uvarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** An unsigned LEB128 varint of at most 10 bytes, as a bigint. */
  uvarlong(): bigint {
    let value = 0n;
    for (let shift = 0n; shift <= 63n; shift += 7n) {
      const byte = this.buffer[this.need(1, 'varlong')];
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, value);
    }
    throw new DecodeError('varlong is longer than 10 bytes');
  }

  /** A zigzag-encoded signed 64-bit varlong. */
  varlong(): bigint {
    const raw = this.uvarlong();
    return BigInt.asIntN(64, (raw >> 1n) ^ -(raw & 1n));
  }

  /** Takes `size` bytes as a view of the input. */
  bytesView(size: number, what = 'bytes'): Buffer {
    if (size < 0) throw new DecodeError(`${what}: negative length ${size}`);
    const at = this.need(size, what);
    return this.buffer.subarray(at, at + size);
  }

  /** Moves past `size` bytes. */
  skip(size: number): void {
    this.bytesView(size, 'skip');
  }

  /** A Reader over the next `size` bytes, which this reader moves past. */
  subReader(size: number): Reader {
    const at = this.need(size, 'sub-reader');
    return new Reader(this.buffer, at, at + size);
  }

  private text(size: number): string {
    const at = this.need(size, 'string');
    return this.buffer.toString('utf8', at, at + size);
  }

  /** int16 length then UTF-8; -1 (or any negative) is an error here. */
  string(): string {
    const size = this.int16();
    if (size < 0) throw new DecodeError(`non-nullable string has length ${size}`);
    return this.text(size);
  }

  nullableString(): string | null {
    const size = this.int16();
    if (size === -1) return null;
    if (size < 0) throw new DecodeError(`string has length ${size}`);
    return this.text(size);
  }

  /** Unsigned varint of length + 1, then UTF-8; 0 (null) is an error here. */
  compactString(): string {
    const size = this.uvarint() - 1;
    if (size < 0) throw new DecodeError('non-nullable compact string is null');
    return this.text(size);
  }

  compactNullableString(): string | null {
    const size = this.uvarint() - 1;
    return size < 0 ? null : this.text(size);
  }

  bytes(): Buffer {
    const size = this.int32();
    if (size < 0) throw new DecodeError(`non-nullable bytes have length ${size}`);
    return this.bytesView(size);
  }

  nullableBytes(): Buffer | null {
    const size = this.int32();
    if (size === -1) return null;
    return this.bytesView(size);
  }

  compactBytes(): Buffer {
    const size = this.uvarint() - 1;
    if (size < 0) throw new DecodeError('non-nullable compact bytes are null');
    return this.bytesView(size);
  }

  compactNullableBytes(): Buffer | null {
    const size = this.uvarint() - 1;
    return size < 0 ? null : this.bytesView(size);
  }

  /**
   * An int32 array count; -1 means null. A count larger than the bytes remaining cannot be honest (every element
   * takes at least one byte, or the reader would loop on nothing), so it is refused before any allocation.
   */
  arrayLength(nullable: boolean): number {
    return this.checkCount(this.int32(), nullable);
  }

  /** A compact array count (unsigned varint of count + 1; 0 means null). */
  compactArrayLength(nullable: boolean): number {
    return this.checkCount(this.uvarint() - 1, nullable);
  }

  private checkCount(count: number, nullable: boolean): number {
    if (count === -1) {
      if (!nullable) throw new DecodeError('non-nullable array is null');
      return -1;
    }
    if (count < 0) throw new DecodeError(`array has count ${count}`);
    if (count > this.remaining) {
      throw new DecodeError(`array claims ${count} elements but only ${this.remaining} bytes remain`);
    }
    return count;
  }
}
