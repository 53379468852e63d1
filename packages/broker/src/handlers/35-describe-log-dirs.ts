/**
 * DescribeLogDirs (key 35), versions 0-4.
 *
 * Behaviour, as Kafka 3.9 answers it (ReplicaManager.describeLogDirs): one result per configured log dir, by
 * absolute path. An offline dir answers KAFKA_STORAGE_ERROR and nothing else. An online dir lists the requested
 * partitions it holds (all of them when `topics` is null), by topic: size in bytes, offset lag 0 (this broker
 * leads every partition it holds), not a future replica; a topic none of whose partitions is requested is left
 * out. v4 adds the file system's total and usable bytes (statfs); -1 where unknown. Topics are listed by name,
 * partitions by index.
 */
import fs from 'node:fs';
import { ApiKey, DescribeLogDirsResponse, ErrorCode } from '@tributary/protocol';
import { defineHandler } from './handler';

const UNKNOWN_BYTES = -1n;
const LONG_MAX = (1n << 63n) - 1n;

export const describeLogDirsHandler = defineHandler({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  handle(request, context) {
    const wanted = request.topics === null ? undefined : new Set(request.topics.flatMap((topic) => topic.partitions.map((p) => `${topic.topic}\u0000${p}`)));
    const results = context.services.logs.logDirs().map((dir): DescribeLogDirsResponse.DescribeLogDirsResult => {
      if (dir.offline) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir: dir.path, topics: [], totalBytes: UNKNOWN_BYTES, usableBytes: UNKNOWN_BYTES };
      const space = fileSystemSpace(dir.path);
      const byTopic = new Map<string, DescribeLogDirsResponse.DescribeLogDirsPartition[]>();
      for (const log of dir.logs) {
        if (wanted && !wanted.has(`${log.topic}\u0000${log.partition}`)) continue;
        const partitions = byTopic.get(log.topic) ?? [];
        byTopic.set(log.topic, partitions);
        partitions.push({ partitionIndex: log.partition, partitionSize: BigInt(log.sizeInBytes), offsetLag: 0n, isFutureKey: false });
      }
      const topics = [...byTopic.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, partitions]) => ({ name: name as never, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) }));
      return { errorCode: ErrorCode.NONE, logDir: dir.path, topics, ...space };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
});

/** Total and usable bytes of the file system holding `path`; Kafka reports Long.MAX_VALUE past 2^63. */
function fileSystemSpace(path: string): { totalBytes: bigint; usableBytes: bigint } {
  try {
    const stats = fs.statfsSync(path, { bigint: true });
    const clamp = (value: bigint) => (value > LONG_MAX ? LONG_MAX : value);
    return { totalBytes: clamp(stats.blocks * stats.bsize), usableBytes: clamp(stats.bavail * stats.bsize) };
  } catch {
    return { totalBytes: UNKNOWN_BYTES, usableBytes: UNKNOWN_BYTES };
  }
}
