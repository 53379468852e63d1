/**
 * Reads Kafka's own message definitions (JSON with `//` comments) into our spec model. Used by the importer that
 * seeds `protocol-specs/` when Kafka adds versions, and by the test that checks our specs field by field against
 * Kafka's. Nothing at build or run time depends on it.
 */
import { parse, ParseError, printParseErrorCode } from 'jsonc-parser';
import { FieldSpec, MessageKind, MessageSpec, NONE, StructSpec, parseRange } from './spec-model';

interface KafkaField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  default?: string | number | boolean | null;
  ignorable?: boolean;
  mapKey?: boolean;
  entityType?: string;
  tag?: number;
  taggedVersions?: string;
  zeroCopy?: boolean;
  flexibleVersions?: string;
  fields?: KafkaField[];
}

interface KafkaMessage {
  type: MessageKind;
  name: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  deprecatedVersions?: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: KafkaField[];
  commonStructs?: Array<{ name: string; versions: string; fields: KafkaField[] }>;
}

export function parseKafkaJson(text: string, file: string): MessageSpec {
  const errors: ParseError[] = [];
  const json = parse(text, errors, { allowTrailingComma: false, disallowComments: false }) as KafkaMessage;
  if (errors.length > 0) {
    throw new Error(`${file}: ${errors.map((e) => `${printParseErrorCode(e.error)} at ${e.offset}`).join(', ')}`);
  }
  const message: MessageSpec = {
    kind: json.type,
    name: json.name,
    validVersions: parseRange(json.validVersions),
    flexibleVersions: parseRange(json.flexibleVersions),
    latestVersionUnstable: json.latestVersionUnstable === true,
    fields: json.fields.map(toField),
    commonStructs: (json.commonStructs ?? []).map(
      (struct): StructSpec => ({ name: struct.name, versions: parseRange(struct.versions), fields: struct.fields.map(toField) }),
    ),
  };
  if (json.apiKey !== undefined) message.apiKey = json.apiKey;
  if (json.deprecatedVersions !== undefined) message.deprecatedVersions = parseRange(json.deprecatedVersions);
  if (json.listeners !== undefined) message.listeners = json.listeners;
  return message;
}

function toField(json: KafkaField): FieldSpec {
  const field: FieldSpec = {
    name: json.name,
    type: json.type,
    versions: parseRange(json.versions),
    nullableVersions: json.nullableVersions ? parseRange(json.nullableVersions) : NONE,
    ignorable: json.ignorable === true,
    mapKey: json.mapKey === true,
    taggedVersions: json.taggedVersions ? parseRange(json.taggedVersions) : NONE,
    zeroCopy: json.zeroCopy === true,
  };
  // Kafka writes defaults both as JSON strings and as bare numbers or booleans; they mean the same.
  if (json.default !== undefined) field.defaultValue = json.default === null ? 'null' : String(json.default).trim();
  if (json.entityType !== undefined) field.entityType = json.entityType;
  if (json.tag !== undefined) field.tag = json.tag;
  if (json.flexibleVersions !== undefined) field.flexibleVersions = parseRange(json.flexibleVersions);
  if (json.fields !== undefined) field.fields = json.fields.map(toField);
  return field;
}
