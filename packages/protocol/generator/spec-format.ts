/**
 * Tributary's message definition format (`.tspec`). One file holds one API (its request and response) or one
 * standalone struct. Indentation (two spaces) nests fields; a field line reads
 *
 *     Name type versions=R [nullable=R] [default=V] [tag=N tagged=R] [entity=E] [mapKey] [ignorable]
 *         [zeroCopy] [flexible=R]
 *
 * and a message line reads
 *
 *     request|response|header|data Name [key=N] versions=R flexible=R [deprecated=R] [unstable]
 *         [listeners=a,b]
 *
 * A `common Name versions=R` line inside a message declares a struct shared by several fields. `#` starts a
 * comment line. Ranges are written `0+`, `3-5`, `7` or `none`. String defaults are written as JSON strings.
 */
import {
  FieldSpec,
  MessageKind,
  MessageSpec,
  NONE,
  StructSpec,
  VersionRange,
  formatRange,
  isEmpty,
  parseRange,
} from './spec-model';

const INDENT = '  ';
const MESSAGE_KINDS: readonly MessageKind[] = ['request', 'response', 'header', 'data'];

export class SpecSyntaxError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------------------- writing

export function formatSpecFile(messages: MessageSpec[], headerComment: string[]): string {
  const lines = headerComment.map((text) => `# ${text}`.trimEnd());
  for (const message of messages) {
    lines.push('');
    lines.push(formatMessageLine(message));
    formatFields(message.fields, 1, lines);
    for (const struct of message.commonStructs) {
      lines.push(`${INDENT}common ${struct.name} versions=${formatRange(struct.versions)}`);
      formatFields(struct.fields, 2, lines);
    }
  }
  return lines.join('\n') + '\n';
}

function formatMessageLine(message: MessageSpec): string {
  const parts: string[] = [message.kind, message.name];
  if (message.apiKey !== undefined) parts.push(`key=${message.apiKey}`);
  parts.push(`versions=${formatRange(message.validVersions)}`, `flexible=${formatRange(message.flexibleVersions)}`);
  if (message.deprecatedVersions) parts.push(`deprecated=${formatRange(message.deprecatedVersions)}`);
  if (message.latestVersionUnstable) parts.push('unstable');
  if (message.listeners) parts.push(`listeners=${message.listeners.join(',')}`);
  return parts.join(' ');
}

function formatFields(fields: FieldSpec[], depth: number, lines: string[]): void {
  for (const field of fields) {
    const parts: string[] = [field.name, field.type, `versions=${formatRange(field.versions)}`];
    if (!isEmpty(field.nullableVersions)) parts.push(`nullable=${formatRange(field.nullableVersions)}`);
    if (field.defaultValue !== undefined) parts.push(`default=${formatDefault(field)}`);
    if (field.tag !== undefined) parts.push(`tag=${field.tag}`, `tagged=${formatRange(field.taggedVersions)}`);
    if (field.entityType) parts.push(`entity=${field.entityType}`);
    if (field.mapKey) parts.push('mapKey');
    if (field.ignorable) parts.push('ignorable');
    if (field.zeroCopy) parts.push('zeroCopy');
    if (field.flexibleVersions) parts.push(`flexible=${formatRange(field.flexibleVersions)}`);
    lines.push(INDENT.repeat(depth) + parts.join(' '));
    if (field.fields) formatFields(field.fields, depth + 1, lines);
  }
}

function formatDefault(field: FieldSpec): string {
  const value = field.defaultValue as string;
  // String fields carry text defaults; quote them so an empty string or a space survives.
  if (field.type === 'string' && value !== 'null') return JSON.stringify(value);
  return value;
}

// ---------------------------------------------------------------------------------------------------- parsing

interface Line {
  number: number;
  depth: number;
  words: string[];
}

export function parseSpecFile(text: string, file = '<spec>'): MessageSpec[] {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const indent = raw.length - raw.trimStart().length;
    if (indent % INDENT.length !== 0 || raw.slice(0, indent).includes('\t')) {
      throw new SpecSyntaxError(file, index + 1, 'indentation must be a multiple of two spaces');
    }
    lines.push({ number: index + 1, depth: indent / INDENT.length, words: splitWords(trimmed, file, index + 1) });
  });

  const messages: MessageSpec[] = [];
  let at = 0;
  while (at < lines.length) {
    const line = lines[at];
    if (line.depth !== 0) throw new SpecSyntaxError(file, line.number, 'expected a message line at depth 0');
    const message = parseMessageLine(line, file);
    at += 1;
    const [fields, next] = parseFieldBlock(lines, at, 1, file);
    message.fields = fields;
    at = next;
    while (at < lines.length && lines[at].depth === 1 && lines[at].words[0] === 'common') {
      const structLine = lines[at];
      const attrs = parseAttributes(structLine.words.slice(2), structLine, file);
      const struct: StructSpec = { name: structLine.words[1], versions: requireRange(attrs, 'versions', structLine, file), fields: [] };
      [struct.fields, at] = parseFieldBlock(lines, at + 1, 2, file);
      message.commonStructs.push(struct);
    }
    if (at < lines.length && lines[at].depth !== 0) {
      throw new SpecSyntaxError(file, lines[at].number, 'unexpected indentation');
    }
    messages.push(message);
  }
  return messages;
}

function splitWords(text: string, file: string, line: number): string[] {
  const words: string[] = [];
  const pattern = /\s*([^\s"=]+="(?:[^"\\]|\\.)*"|\S+)/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pattern.exec(text)) !== null) {
    words.push(match[1]);
    consumed = pattern.lastIndex;
  }
  if (text.slice(consumed).trim() !== '') throw new SpecSyntaxError(file, line, `cannot read "${text.slice(consumed)}"`);
  return words;
}

function parseMessageLine(line: Line, file: string): MessageSpec {
  const [kind, name, ...rest] = line.words;
  if (!MESSAGE_KINDS.includes(kind as MessageKind)) {
    throw new SpecSyntaxError(file, line.number, `unknown message kind "${kind}"`);
  }
  if (!name) throw new SpecSyntaxError(file, line.number, 'message has no name');
  const attrs = parseAttributes(rest, line, file);
  const message: MessageSpec = {
    kind: kind as MessageKind,
    name,
    validVersions: requireRange(attrs, 'versions', line, file),
    flexibleVersions: requireRange(attrs, 'flexible', line, file),
    latestVersionUnstable: attrs.has('unstable'),
    fields: [],
    commonStructs: [],
  };
  if (attrs.has('key')) message.apiKey = Number(attrs.get('key'));
  if (attrs.has('deprecated')) message.deprecatedVersions = parseRange(attrs.get('deprecated') as string);
  if (attrs.has('listeners')) message.listeners = (attrs.get('listeners') as string).split(',');
  checkKnown(attrs, ['key', 'versions', 'flexible', 'deprecated', 'unstable', 'listeners'], line, file);
  return message;
}

function parseFieldBlock(lines: Line[], start: number, depth: number, file: string): [FieldSpec[], number] {
  const fields: FieldSpec[] = [];
  let at = start;
  while (at < lines.length && lines[at].depth >= depth) {
    const line = lines[at];
    if (line.depth > depth) throw new SpecSyntaxError(file, line.number, 'unexpected indentation');
    if (line.words[0] === 'common') break;
    const field = parseFieldLine(line, file);
    at += 1;
    if (at < lines.length && lines[at].depth === depth + 1) {
      [field.fields, at] = parseFieldBlock(lines, at, depth + 1, file);
    }
    fields.push(field);
  }
  return [fields, at];
}

function parseFieldLine(line: Line, file: string): FieldSpec {
  const [name, type, ...rest] = line.words;
  if (!type) throw new SpecSyntaxError(file, line.number, `field "${name}" has no type`);
  const attrs = parseAttributes(rest, line, file);
  checkKnown(
    attrs,
    ['versions', 'nullable', 'default', 'tag', 'tagged', 'entity', 'mapKey', 'ignorable', 'zeroCopy', 'flexible'],
    line,
    file,
  );
  const field: FieldSpec = {
    name,
    type,
    versions: requireRange(attrs, 'versions', line, file),
    nullableVersions: attrs.has('nullable') ? parseRange(attrs.get('nullable') as string) : NONE,
    ignorable: attrs.has('ignorable'),
    mapKey: attrs.has('mapKey'),
    taggedVersions: attrs.has('tagged') ? parseRange(attrs.get('tagged') as string) : NONE,
    zeroCopy: attrs.has('zeroCopy'),
  };
  if (attrs.has('default')) {
    const raw = attrs.get('default') as string;
    field.defaultValue = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  }
  if (attrs.has('tag')) field.tag = Number(attrs.get('tag'));
  if (attrs.has('entity')) field.entityType = attrs.get('entity');
  if (attrs.has('flexible')) field.flexibleVersions = parseRange(attrs.get('flexible') as string);
  return field;
}

function parseAttributes(words: string[], line: Line, file: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const word of words) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    if (attrs.has(key)) throw new SpecSyntaxError(file, line.number, `"${key}" given twice`);
    attrs.set(key, eq < 0 ? '' : word.slice(eq + 1));
  }
  return attrs;
}

function checkKnown(attrs: Map<string, string>, known: string[], line: Line, file: string): void {
  for (const key of attrs.keys()) {
    if (!known.includes(key)) throw new SpecSyntaxError(file, line.number, `unknown attribute "${key}"`);
  }
}

function requireRange(attrs: Map<string, string>, key: string, line: Line, file: string): VersionRange {
  const value = attrs.get(key);
  if (value === undefined) throw new SpecSyntaxError(file, line.number, `missing ${key}=`);
  try {
    return parseRange(value);
  } catch (error) {
    throw new SpecSyntaxError(file, line.number, (error as Error).message);
  }
}
