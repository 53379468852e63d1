import type { FileSystem } from '../fs/file-system';
import { writeFileAtomically } from '../fs/file-system';
import { storageError } from '../errors';

/**
 * `meta.properties`: the broker's identity in a log dir, as a Java properties file. Version 0 is the ZooKeeper
 * layout (`broker.id`, `cluster.id`); version 1 is KRaft (`node.id`, `directory.id`). Other keys are kept.
 */
export type MetaProperties = Record<string, string>;

export function encodeMetaProperties(properties: MetaProperties, writtenAt: Date): Buffer {
  // Java's Properties.store writes a comment line with the date, as `Date.toString()` formats it.
  const lines = ['#', `#${javaDateString(writtenAt)}`];
  for (const [key, value] of Object.entries(properties)) lines.push(`${escapeKey(key)}=${escapeValue(value)}`);
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

export function decodeMetaProperties(text: string): MetaProperties {
  const result: MetaProperties = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const match = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!match) {
      result[unescape(line)] = '';
      continue;
    }
    result[unescape(match[1])] = unescape(match[2]);
  }
  return result;
}

export function readMetaProperties(fs: FileSystem, path: string): MetaProperties | undefined {
  if (!fs.exists(path)) return undefined;
  try {
    return decodeMetaProperties(fs.readFile(path).toString('utf8'));
  } catch (cause) {
    throw storageError('read', path, cause);
  }
}

export function writeMetaProperties(fs: FileSystem, path: string, properties: MetaProperties, writtenAt: Date): void {
  try {
    writeFileAtomically(fs, path, encodeMetaProperties(properties, writtenAt));
  } catch (cause) {
    throw storageError('write', path, cause);
  }
}

function escapeKey(key: string): string {
  return key.replace(/[\\=:\s#!]/g, (c) => `\\${c}`);
}

function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/^\s/, (c) => `\\${c}`);
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', f: '\f' })[c] ?? c);
}

/** Java's `Date.toString()` in UTC, e.g. `Thu Oct 24 10:00:00 UTC 2024`. */
function javaDateString(date: Date): string {
  // toUTCString gives "Thu, 24 Oct 2024 10:00:00 GMT".
  const [weekday, day, month, year, time] = date.toUTCString().replace(',', '').split(' ');
  return `${weekday} ${month} ${day} ${time} UTC ${year}`;
}
