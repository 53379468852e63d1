/**
 * Small helpers the generated codecs call. They keep the generated code short: each one covers the four
 * encodings of a string, bytes or array (compact or not, nullable or not) and checks that a null is allowed.
 */
import { DecodeError, UnsupportedVersionError } from '../errors/tributary-error';
import { Reader } from '../primitives/reader';
import { Writer } from '../primitives/writer';

/** A tagged field this version of Tributary does not know, kept so that it survives a decode/encode round trip. */
export interface RawTaggedField {
  tag: number;
  data: Buffer;
}

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

export function readString(r: Reader, compact: boolean, nullable: boolean): string | null {
  if (compact) return nullable ? r.compactNullableString() : r.compactString();
  return nullable ? r.nullableString() : r.string();
}

export function writeString(w: Writer, value: string | null, compact: boolean, nullable: boolean, field: string): void {
  if (value === null) {
    if (!nullable) throw new UnsupportedVersionError(`${field} is null but not nullable in this version`);
    if (compact) w.uvarint(0);
    else w.int16(-1);
    return;
  }
  if (compact) w.compactString(value);
  else w.string(value);
}

export function readBytes(r: Reader, compact: boolean, nullable: boolean): Buffer | null {
  if (compact) return nullable ? r.compactNullableBytes() : r.compactBytes();
  return nullable ? r.nullableBytes() : r.bytes();
}

export function writeBytes(w: Writer, value: Buffer | null, compact: boolean, nullable: boolean, field: string): void {
  if (value === null) {
    if (!nullable) throw new UnsupportedVersionError(`${field} is null but not nullable in this version`);
    if (compact) w.uvarint(0);
    else w.int32(-1);
    return;
  }
  if (compact) w.compactBytes(value);
  else w.bytes(value);
}

export function readArray<T>(r: Reader, compact: boolean, nullable: boolean, readElement: (r: Reader) => T): T[] | null {
  const count = compact ? r.compactArrayLength(nullable) : r.arrayLength(nullable);
  if (count < 0) return null;
  const out = new Array<T>(count);
  for (let i = 0; i < count; i++) out[i] = readElement(r);
  return out;
}

export function writeArray<T>(
  w: Writer,
  values: readonly T[] | null,
  compact: boolean,
  nullable: boolean,
  field: string,
  writeElement: (w: Writer, value: T) => void,
): void {
  if (values === null) {
    if (!nullable) throw new UnsupportedVersionError(`${field} is null but not nullable in this version`);
    if (compact) w.uvarint(0);
    else w.int32(-1);
    return;
  }
  if (compact) w.compactArrayLength(values.length);
  else w.arrayLength(values.length);
  for (const value of values) writeElement(w, value);
}

/** A nullable struct is preceded by an int8 marker: -1 for null, 1 for present. */
export function readStructPresence(r: Reader): boolean {
  const marker = r.int8();
  if (marker !== -1 && marker !== 1) throw new DecodeError(`struct presence marker is ${marker}`);
  return marker === 1;
}

/**
 * Reads the tagged-field section that ends every struct in a flexible version. `readKnown` decodes a tag it knows
 * from a reader bounded to that field's bytes and returns false for a tag it does not know; unknown tags are kept
 * raw. Tags must be strictly ascending, as Kafka requires.
 */
export function readTaggedFields(
  r: Reader,
  readKnown: (tag: number, field: Reader) => boolean = () => false,
): RawTaggedField[] | undefined {
  const count = r.uvarint();
  let unknown: RawTaggedField[] | undefined;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    if (tag <= previous) throw new DecodeError(`tagged field ${tag} follows tag ${previous}`);
    previous = tag;
    const size = r.uvarint();
    const field = r.subReader(size);
    if (readKnown(tag, field)) {
      if (field.remaining !== 0) throw new DecodeError(`tagged field ${tag} has ${field.remaining} unread bytes`);
    } else {
      (unknown ??= []).push({ tag, data: field.bytesView(size) });
    }
  }
  return unknown;
}

/** Writes a tagged-field section: known fields (already encoded) and unknown raw ones, in ascending tag order. */
export function writeTaggedFields(w: Writer, known: RawTaggedField[], unknown: RawTaggedField[] | undefined): void {
  const all = unknown && unknown.length > 0 ? [...known, ...unknown].sort((a, b) => a.tag - b.tag) : known;
  w.uvarint(all.length);
  for (const field of all) {
    w.uvarint(field.tag);
    w.uvarint(field.data.length);
    w.raw(field.data);
  }
}

/** Encodes one tagged field's payload on its own, since its size precedes it on the wire. */
export function encodeTagged(tag: number, write: (w: Writer) => void): RawTaggedField {
  const w = new Writer(64);
  write(w);
  return { tag, data: w.toBuffer() };
}

/** Structural equality used to decide whether a struct-valued field still holds its default. */
export function deepEqualsDefault(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((value, i) => deepEqualsDefault(value, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a).filter((k) => k !== '_unknownTaggedFields');
    return keysA.every((key) => deepEqualsDefault((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
  }
  return false;
}

export function nonDefaultFieldError(field: string, version: number): UnsupportedVersionError {
  return new UnsupportedVersionError(`${field} has a non-default value but does not exist in version ${version}`);
}

/** Fails clearly when a field that is not nullable in the version being written holds null. */
export function requireNonNull<T>(value: T | null, field: string): T {
  if (value === null) throw new UnsupportedVersionError(`${field} is null but not nullable in this version`);
  return value;
}
