/**
 * Builds random message values that are valid for one version of a spec, straight from the spec model: fields
 * a version lacks hold their defaults (which is what a decoder yields for them), nullable fields are sometimes
 * null, tagged fields are sometimes set, and flexible structs sometimes carry unknown tagged fields. This is an
 * implementation of the spec's rules independent of the generated code, so a round trip checks both.
 */
import { camelCase } from '../../generator/naming';
import {
  FieldSpec,
  MessageSpec,
  StructSpec,
  VersionRange,
  contains,
  elementType,
  intersect,
  isArrayType,
  isEmpty,
  isPrimitive,
} from '../../generator/spec-model';
import { SeededRandom } from './seeded-random';

type Value = unknown;

export class SpecValues {
  private readonly structs = new Map<string, FieldSpec[]>();

  constructor(
    private readonly message: MessageSpec,
    private readonly random: SeededRandom,
  ) {
    for (const struct of message.commonStructs) this.structs.set(struct.name, struct.fields);
    const collect = (fields: FieldSpec[]): void => {
      for (const field of fields) {
        if (field.fields) {
          this.structs.set(elementType(field.type), field.fields);
          collect(field.fields);
        }
      }
    };
    collect(message.fields);
  }

  /** A random valid value of the whole message at `version`. */
  random_(version: number): Record<string, Value> {
    return this.struct(this.message.fields, version);
  }

  private existsInMessage(range: VersionRange): boolean {
    return !isEmpty(intersect(range, this.message.validVersions));
  }

  private isFlexible(version: number): boolean {
    return contains(this.message.flexibleVersions, version);
  }

  private struct(fields: FieldSpec[], version: number): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const field of fields) {
      if (!this.existsInMessage(field.versions)) continue;
      const key = camelCase(field.name);
      if (!contains(field.versions, version)) {
        out[key] = this.defaultValue(field);
      } else if (field.tag !== undefined && this.random.chance(0.4)) {
        out[key] = this.defaultValue(field);
      } else {
        out[key] = this.fieldValue(field, version);
      }
    }
    if (this.isFlexible(version) && this.random.chance(0.15)) {
      const knownTags = new Set(fields.filter((f) => f.tag !== undefined).map((f) => f.tag));
      const tags = new Set<number>();
      const count = this.random.int(1, 3);
      while (tags.size < count) {
        const tag = this.random.int(0, 40);
        if (!knownTags.has(tag)) tags.add(tag);
      }
      out._unknownTaggedFields = [...tags]
        .sort((a, b) => a - b)
        .map((tag) => ({ tag, data: this.random.bytes(this.random.int(0, 6)) }));
    }
    return out;
  }

  private fieldValue(field: FieldSpec, version: number): Value {
    if (contains(field.nullableVersions, version) && this.random.chance(0.2)) return null;
    const element = elementType(field.type);
    if (isArrayType(field.type)) {
      const count = this.random.int(0, 3);
      return Array.from({ length: count }, () => this.elementValue(element, version));
    }
    return this.elementValue(element, version);
  }

  private elementValue(element: string, version: number): Value {
    if (!isPrimitive(element)) {
      const fields = this.structs.get(element);
      if (!fields) throw new Error(`unknown struct ${element}`);
      return this.struct(fields, version);
    }
    const r = this.random;
    switch (element) {
      case 'bool':
        return r.chance(0.5);
      case 'int8':
        return r.int(-128, 127);
      case 'int16':
        return r.int(-32768, 32767);
      case 'uint16':
        return r.int(0, 65535);
      case 'int32':
        return r.int(-2147483648, 2147483647);
      case 'uint32':
        return r.int(0, 4294967295);
      case 'int64':
        return r.bigint64();
      case 'float64':
        return r.pick([0, -1.5, 3.25, Number.MAX_VALUE, r.next() * 1e6]);
      case 'uuid':
        return r.bytes(16).toString('base64url');
      case 'string':
        return r.pick(['', 'a', 'topic-1', 'grüße', `s${r.int(0, 1e6)}`, 'x'.repeat(r.int(0, 200))]);
      case 'bytes':
      case 'records':
        return r.bytes(r.int(0, 2) === 0 ? r.int(1024, 3000) : r.int(0, 40));
    }
    throw new Error(`no value for ${element}`);
  }

  /** The value a decoder gives a field that is absent from the version it reads. */
  defaultValue(field: FieldSpec): Value {
    const text = field.defaultValue;
    const element = elementType(field.type);
    if (text === 'null') return null;
    if (isArrayType(field.type)) return [];
    if (!isPrimitive(element)) {
      const fields = this.structs.get(element) as FieldSpec[];
      const out: Record<string, Value> = {};
      for (const inner of fields) {
        if (this.existsInMessage(inner.versions)) out[camelCase(inner.name)] = this.defaultValue(inner);
      }
      return out;
    }
    switch (element) {
      case 'bool':
        return text === 'true';
      case 'int64':
        return BigInt(text ?? 0);
      case 'uuid':
        return 'AAAAAAAAAAAAAAAAAAAAAA';
      case 'string':
        return text ?? '';
      case 'bytes':
        return Buffer.alloc(0);
      case 'records':
        return null;
      default:
        return Number(text ?? 0);
    }
  }
}

export type { StructSpec };
