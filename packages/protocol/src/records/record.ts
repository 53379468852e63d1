import { CorruptRecordError, DecodeError } from '../errors/tributary-error';
import { Reader } from '../primitives/reader';
import { Writer } from '../primitives/writer';
import { sizeOfVarint, sizeOfVarlong } from './varint-size';

/** One header of a v2 record. Kafka requires the key; the value may be null. */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/**
 * A v2 record as it sits inside its batch: timestamp and offset are deltas from the batch's base values. Keys,
 * values and header values are views of the batch (or of its decompressed records), never copies.
 */
export interface KafkaRecord {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** What it takes to write a record. */
export interface RecordFields {
  timestampDelta: bigint;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: readonly RecordHeader[];
}

/** The smallest possible record: length, attributes, timestamp, offset, key, value, header count (1 byte each). */
export const MIN_RECORD_SIZE = 7;

/**
 * Reads one length-prefixed record. The whole record must lie inside its declared length and use all of it, as
 * Kafka's DefaultRecord.readFrom insists. Failures are CorruptRecordErrors.
 */
export function readRecord(reader: Reader): KafkaRecord {
  try {
    const size = reader.varint();
    if (size < MIN_RECORD_SIZE - 1) throw new CorruptRecordError(`record declares an impossible size ${size}`);
    if (size > reader.remaining) {
      throw new CorruptRecordError(`record of ${size} bytes but only ${reader.remaining} remain in the batch`);
    }
    const body = reader.subReader(size);
    const attributes = body.int8();
    const timestampDelta = body.varlong();
    const offsetDelta = body.varint();
    const key = varintBytes(body, 'key');
    const value = varintBytes(body, 'value');
    const headerCount = body.varint();
    if (headerCount < 0 || headerCount > body.remaining) {
      throw new CorruptRecordError(`record declares ${headerCount} headers in ${body.remaining} bytes`);
    }
    const headers: RecordHeader[] = new Array(headerCount);
    for (let i = 0; i < headerCount; i++) {
      const headerKey = varintBytes(body, 'header key');
      if (headerKey === null) throw new CorruptRecordError('record header has a null key');
      headers[i] = { key: headerKey.toString('utf8'), value: varintBytes(body, 'header value') };
    }
    if (body.remaining !== 0) {
      throw new CorruptRecordError(`record declares ${size} bytes but its fields use ${size - body.remaining}`);
    }
    return { attributes, timestampDelta, offsetDelta, key, value, headers };
  } catch (error) {
    if (error instanceof DecodeError) throw new CorruptRecordError(`truncated record: ${error.message}`, { cause: error });
    throw error;
  }
}

function varintBytes(reader: Reader, what: string): Buffer | null {
  const size = reader.varint();
  if (size === -1) return null;
  if (size < -1) throw new CorruptRecordError(`record ${what} has length ${size}`);
  return reader.bytesView(size, what);
}

function sizeOfBytes(value: Buffer | null): number {
  return value === null ? 1 : sizeOfVarint(value.length) + value.length;
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/**
 * Timestamp deltas are varlongs but nearly always fit 32 bits, where the zigzag varlong and varint encodings are
 * the same bytes; the number path avoids BigInt arithmetic per record.
 */
function smallDelta(delta: bigint): number | undefined {
  return delta >= INT32_MIN && delta <= INT32_MAX ? Number(delta) : undefined;
}

/** The size of a record without its own length prefix. */
export function recordBodySize(record: RecordFields): number {
  const small = smallDelta(record.timestampDelta);
  const timestampSize = small === undefined ? sizeOfVarlong(record.timestampDelta) : sizeOfVarint(small);
  let size = 1 + timestampSize + sizeOfVarint(record.offsetDelta);
  size += sizeOfBytes(record.key) + sizeOfBytes(record.value);
  const headers = record.headers ?? [];
  size += sizeOfVarint(headers.length);
  for (const header of headers) {
    const keySize = Buffer.byteLength(header.key, 'utf8');
    size += sizeOfVarint(keySize) + keySize + sizeOfBytes(header.value);
  }
  return size;
}

/** Writes one record with its length prefix; returns the bytes written. */
export function writeRecord(writer: Writer, record: RecordFields): number {
  const bodySize = recordBodySize(record);
  writer.varint(bodySize).int8(0);
  const small = smallDelta(record.timestampDelta);
  if (small === undefined) writer.varlong(record.timestampDelta);
  else writer.varint(small);
  writer.varint(record.offsetDelta);
  writeVarintBytes(writer, record.key);
  writeVarintBytes(writer, record.value);
  const headers = record.headers ?? [];
  writer.varint(headers.length);
  for (const header of headers) {
    writeVarintBytes(writer, Buffer.from(header.key, 'utf8'));
    writeVarintBytes(writer, header.value);
  }
  return sizeOfVarint(bodySize) + bodySize;
}

function writeVarintBytes(writer: Writer, value: Buffer | null): void {
  if (value === null) writer.varint(-1);
  else writer.varint(value.length).raw(value);
}
