import type { FileSystem } from '../fs/file-system';
import { writeFileAtomically } from '../fs/file-system';
import { storageError } from '../errors';

export const PARTITION_METADATA = 'partition.metadata';

/**
 * `<topic>-<partition>/partition.metadata`: the topic id of the partition's topic (base64url, 22 characters),
 * written once it is known so that a recreated topic of the same name is never mistaken for the old one.
 *
 *   version: 0
 *   topic_id: 9mdSy3bKQ-KSpBXn3tUM4A
 */
export function encodePartitionMetadata(topicId: string): Buffer {
  return Buffer.from(`version: 0\ntopic_id: ${topicId}\n`, 'utf8');
}

export function decodePartitionMetadata(text: string, path = PARTITION_METADATA): string {
  const lines = text.split('\n').filter((l) => l !== '');
  const version = /^version: (\d+)$/.exec(lines[0] ?? '');
  const topicId = /^topic_id: ([A-Za-z0-9_-]{22})$/.exec(lines[1] ?? '');
  if (!version || version[1] !== '0') throw new Error(`${path}: unrecognised version line '${lines[0] ?? ''}'`);
  if (!topicId) throw new Error(`${path}: malformed topic id line '${lines[1] ?? ''}'`);
  return topicId[1];
}

export function readPartitionMetadata(fs: FileSystem, path: string): string | undefined {
  if (!fs.exists(path)) return undefined;
  try {
    return decodePartitionMetadata(fs.readFile(path).toString('utf8'), path);
  } catch (cause) {
    throw storageError('read', path, cause);
  }
}

export function writePartitionMetadata(fs: FileSystem, path: string, topicId: string): void {
  try {
    writeFileAtomically(fs, path, encodePartitionMetadata(topicId));
  } catch (cause) {
    throw storageError('write', path, cause);
  }
}
