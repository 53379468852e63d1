import type { FileSystem } from '../fs/file-system';
import { type EpochEntry, LeaderEpochCheckpointFile } from '../format/checkpoint-file';

/**
 * Which leader epoch wrote which offsets: the first offset of each epoch, ascending, persisted to
 * `leader-epoch-checkpoint` whenever it changes. Followers use it (OffsetForLeaderEpoch) to find where their log
 * diverges from the leader's.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];
  private readonly file: LeaderEpochCheckpointFile;

  constructor(fs: FileSystem, path: string) {
    this.file = new LeaderEpochCheckpointFile(fs, path);
    this.entries = this.file.read();
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  latestEpoch(): number | undefined {
    return this.entries[this.entries.length - 1]?.epoch;
  }

  /** Records that `epoch` starts at `startOffset`, when it is newer than the latest epoch known. */
  assign(epoch: number, startOffset: bigint): void {
    const latest = this.entries[this.entries.length - 1];
    if (latest && (epoch <= latest.epoch || startOffset < latest.startOffset)) {
      if (epoch === latest.epoch) return;
      // A newer epoch at a smaller offset means the log was truncated under us; drop what it contradicts.
      if (epoch < latest.epoch) return;
      this.entries = this.entries.filter((e) => e.startOffset < startOffset);
    }
    this.entries.push({ epoch, startOffset });
    this.file.write(this.entries);
  }

  /**
   * The end offset of `requestedEpoch` for OffsetForLeaderEpoch: the start offset of the next higher epoch, or
   * `logEndOffset` when it is the latest. Returns the largest epoch ≤ the requested one, as Kafka does; undefined
   * epoch (-1) when nothing is known.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    const latest = this.entries[this.entries.length - 1];
    if (!latest || requestedEpoch < this.entries[0].epoch) return { epoch: -1, endOffset: -1n };
    if (requestedEpoch >= latest.epoch) return { epoch: latest.epoch, endOffset: logEndOffset };
    let index = 0;
    while (index + 1 < this.entries.length && this.entries[index + 1].epoch <= requestedEpoch) index++;
    return { epoch: this.entries[index].epoch, endOffset: this.entries[index + 1].startOffset };
  }

  /** Removes epochs that start at or after `offset` (the log was truncated to `offset`). */
  truncateFromEnd(offset: bigint): void {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.file.write(this.entries);
  }

  /** The log now starts at `offset`: drop epochs that end before it and move the one spanning it. */
  truncateFromStart(offset: bigint): void {
    let firstKept = 0;
    while (firstKept + 1 < this.entries.length && this.entries[firstKept + 1].startOffset <= offset) firstKept++;
    const kept = this.entries.slice(firstKept);
    if (kept.length > 0 && kept[0].startOffset < offset) kept[0] = { epoch: kept[0].epoch, startOffset: offset };
    if (kept.length === this.entries.length && kept.every((e, i) => e.startOffset === this.entries[i].startOffset)) return;
    this.entries = kept;
    this.file.write(this.entries);
  }

  clear(): void {
    this.entries = [];
    this.file.write(this.entries);
  }
}
