/**
 * The in-memory model of a message definition, shared by the `.tspec` parser, the code generator, the importer
 * of Kafka's reference JSON and the test that compares the two. It mirrors the concepts of Kafka's message
 * definitions (versions, flexible versions, nullable versions, tagged fields, common structs) in our own terms.
 */

/** An inclusive version range; `max` is Infinity for an open range ("3+"). An empty range is `NONE`. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const NONE: VersionRange = { min: 1, max: 0 };

export function isEmpty(range: VersionRange): boolean {
  return range.min > range.max;
}

export function contains(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max;
}

export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  const out = { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
  return isEmpty(out) ? NONE : out;
}

/** Parses "0+", "3-5", "7" or "none". */
export function parseRange(text: string): VersionRange {
  const trimmed = text.trim();
  if (trimmed === 'none') return NONE;
  let match = /^(\d+)\+$/.exec(trimmed);
  if (match) return { min: Number(match[1]), max: Infinity };
  match = /^(\d+)-(\d+)$/.exec(trimmed);
  if (match) return { min: Number(match[1]), max: Number(match[2]) };
  match = /^(\d+)$/.exec(trimmed);
  if (match) return { min: Number(match[1]), max: Number(match[1]) };
  throw new Error(`not a version range: "${text}"`);
}

export function formatRange(range: VersionRange): string {
  if (isEmpty(range)) return 'none';
  if (range.max === Infinity) return `${range.min}+`;
  if (range.min === range.max) return `${range.min}`;
  return `${range.min}-${range.max}`;
}

export type MessageKind = 'request' | 'response' | 'header' | 'data';

export interface FieldSpec {
  name: string;
  /** As written: a primitive (`int32`), a struct name, or an array of either (`[]int32`, `[]Topic`). */
  type: string;
  versions: VersionRange;
  nullableVersions: VersionRange;
  /** The default as written (`-1`, `null`, `0x7fffffff`, `true`), or undefined for the type's zero value. */
  defaultValue?: string;
  ignorable: boolean;
  mapKey: boolean;
  entityType?: string;
  tag?: number;
  taggedVersions: VersionRange;
  zeroCopy: boolean;
  /** A field-level override of the message's flexible versions (only `RequestHeader.ClientId` has one). */
  flexibleVersions?: VersionRange;
  /** Fields of a struct declared inline by this field. */
  fields?: FieldSpec[];
}

export interface StructSpec {
  name: string;
  versions: VersionRange;
  fields: FieldSpec[];
}

export interface MessageSpec {
  kind: MessageKind;
  name: string;
  apiKey?: number;
  validVersions: VersionRange;
  flexibleVersions: VersionRange;
  deprecatedVersions?: VersionRange;
  latestVersionUnstable: boolean;
  listeners?: string[];
  fields: FieldSpec[];
  commonStructs: StructSpec[];
}

export const PRIMITIVE_TYPES = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'uuid',
  'string',
  'bytes',
  'records',
] as const;

export type PrimitiveType = (typeof PRIMITIVE_TYPES)[number];

export function isPrimitive(type: string): type is PrimitiveType {
  return (PRIMITIVE_TYPES as readonly string[]).includes(type);
}

export function isArrayType(type: string): boolean {
  return type.startsWith('[]');
}

export function elementType(type: string): string {
  return isArrayType(type) ? type.slice(2) : type;
}

/** Whether a field declares or names a struct (rather than a primitive or an array of primitives). */
export function isStructField(field: FieldSpec): boolean {
  return !isPrimitive(elementType(field.type));
}
