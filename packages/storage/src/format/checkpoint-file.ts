import type { FileSystem } from '../fs/file-system';
import { writeFileAtomically } from '../fs/file-system';
import { storageError } from '../errors';

/**
 * Kafka's text checkpoint format: line 1 the version, line 2 the entry count, then one entry per line with
 * fields separated by single spaces. Written to `<name>.tmp`, fsynced and renamed, so a crash leaves the old
 * or the new file.
 */
export class CheckpointFormatError extends Error {}

export function encodeCheckpoint(version: number, lines: readonly string[]): Buffer {
  return Buffer.from([String(version), String(lines.length), ...lines].join('\n') + '\n', 'utf8');
}

/** Returns the entry lines, checking the version and that the count matches. */
export function decodeCheckpoint(text: string, expectedVersion: number, path: string): string[] {
  // Kafka creates some checkpoints empty (cleaner-offset-checkpoint before the first clean) and reads an empty
  // file as having no entries.
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) throw new CheckpointFormatError(`${path}: too short to be a checkpoint`);
  const version = Number(lines[0]);
  if (lines[0].trim() === '' || version !== expectedVersion) {
    throw new CheckpointFormatError(`${path}: unrecognised version '${lines[0]}'`);
  }
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || count !== lines.length - 2) {
    throw new CheckpointFormatError(`${path}: expected ${lines[1]} entries, found ${lines.length - 2}`);
  }
  return lines.slice(2);
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

/** `recovery-point-offset-checkpoint`, `replication-offset-checkpoint`, `log-start-offset-checkpoint`, `cleaner-offset-checkpoint`. */
export class OffsetCheckpointFile {
  static readonly VERSION = 0;

  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
  ) {}

  write(entries: Iterable<TopicPartitionOffset>): void {
    const lines = [...entries].map((e) => `${e.topic} ${e.partition} ${e.offset}`);
    try {
      writeFileAtomically(this.fs, this.path, encodeCheckpoint(OffsetCheckpointFile.VERSION, lines));
    } catch (cause) {
      throw storageError('write checkpoint', this.path, cause);
    }
  }

  /** Entries keyed by `topic-partition`; an absent file reads as empty. */
  read(): Map<string, TopicPartitionOffset> {
    const result = new Map<string, TopicPartitionOffset>();
    if (!this.fs.exists(this.path)) return result;
    let text: string;
    try {
      text = this.fs.readFile(this.path).toString('utf8');
    } catch (cause) {
      throw storageError('read checkpoint', this.path, cause);
    }
    for (const line of decodeCheckpoint(text, OffsetCheckpointFile.VERSION, this.path)) {
      const fields = line.split(' ');
      if (fields.length !== 3 || !/^\d+$/.test(fields[1]) || !/^-?\d+$/.test(fields[2])) {
        throw new CheckpointFormatError(`${this.path}: malformed entry '${line}'`);
      }
      const entry = { topic: fields[0], partition: Number(fields[1]), offset: BigInt(fields[2]) };
      result.set(`${entry.topic}-${entry.partition}`, entry);
    }
    return result;
  }
}

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

/** `<topic>-<partition>/leader-epoch-checkpoint`: `epoch startOffset` per line, ascending. */
export class LeaderEpochCheckpointFile {
  static readonly VERSION = 0;

  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
  ) {}

  write(entries: readonly EpochEntry[]): void {
    const lines = entries.map((e) => `${e.epoch} ${e.startOffset}`);
    try {
      writeFileAtomically(this.fs, this.path, encodeCheckpoint(LeaderEpochCheckpointFile.VERSION, lines));
    } catch (cause) {
      throw storageError('write checkpoint', this.path, cause);
    }
  }

  read(): EpochEntry[] {
    if (!this.fs.exists(this.path)) return [];
    let text: string;
    try {
      text = this.fs.readFile(this.path).toString('utf8');
    } catch (cause) {
      throw storageError('read checkpoint', this.path, cause);
    }
    return decodeCheckpoint(text, LeaderEpochCheckpointFile.VERSION, this.path).map((line) => {
      const fields = line.split(' ');
      if (fields.length !== 2 || !/^\d+$/.test(fields[0]) || !/^\d+$/.test(fields[1])) {
        throw new CheckpointFormatError(`${this.path}: malformed entry '${line}'`);
      }
      return { epoch: Number(fields[0]), startOffset: BigInt(fields[1]) };
    });
  }
}
