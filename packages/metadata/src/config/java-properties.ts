/**
 * Java's `.properties` text format (java.util.Properties.load/store), which Kafka uses for server.properties
 * and meta.properties: `#`/`!` comment lines; `key=value`, `key: value` or `key value`; a line ending in an odd
 * number of backslashes continues on the next (whose leading blanks are dropped); escapes `\t \n \r \f`,
 * `\uXXXX`, and `\x` for any other x. Later duplicates win, as in Java.
 */
import { DecodeError } from '@tributary/protocol';

export interface PropertyEntry {
  key: string;
  value: string;
  /** 1-based line where the entry starts, for error messages. */
  line: number;
}

/** Parses properties text into entries in file order (duplicates kept; use `toMap` for Java's semantics). */
export function parseProperties(text: string): PropertyEntry[] {
  const lines = text.split(/\r\n|\r|\n/);
  const entries: PropertyEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = lines[i].replace(/^[ \t\f]+/, '');
    if (logical === '' || logical.startsWith('#') || logical.startsWith('!')) continue;
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1);
    entries.push({ ...splitEntry(logical, startLine), line: startLine });
  }
  return entries;
}

export function toMap(entries: readonly PropertyEntry[]): Map<string, string> {
  return new Map(entries.map((entry) => [entry.key, entry.value]));
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function splitEntry(line: string, lineNumber: number): { key: string; value: string } {
  let i = 0;
  let rawKey = '';
  while (i < line.length) {
    const c = line[i];
    if (c === '\\') {
      rawKey += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
    rawKey += c;
    i++;
  }
  while (i < line.length && /[ \t\f]/.test(line[i])) i++;
  if (i < line.length && (line[i] === '=' || line[i] === ':')) i++;
  while (i < line.length && /[ \t\f]/.test(line[i])) i++;
  return { key: unescape(rawKey, lineNumber), value: unescape(line.slice(i), lineNumber) };
}

function unescape(text: string, lineNumber: number): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === undefined) break;
    switch (next) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = text.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new DecodeError(`line ${lineNumber}: malformed \\uxxxx escape`);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += next;
    }
  }
  return out;
}

/** Writes properties text as Java's Properties.store does: a comment line, then `key=value` lines. */
export function formatProperties(entries: Iterable<[string, string]>, comments: readonly string[]): string {
  let out = comments.map((comment) => `#${comment}\n`).join('');
  for (const [key, value] of entries) out += `${escape(key, true)}=${escape(value, false)}\n`;
  return out;
}

function escape(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const code = c.charCodeAt(0);
    if (c === '\\') out += '\\\\';
    else if (c === '\t') out += '\\t';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\f') out += '\\f';
    else if (c === ' ' && (isKey || i === 0)) out += '\\ ';
    else if ('=:#!'.includes(c)) out += `\\${c}`;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += c;
  }
  return out;
}
