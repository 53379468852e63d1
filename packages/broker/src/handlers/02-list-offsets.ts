/**
 * ListOffsets (key 2), versions 0-9.
 *
 * Behaviour, as Kafka 3.9 answers it (KafkaApis.handleListOffsetRequest, ReplicaManager.fetchOffset,
 * Partition.fetchOffsetForTimestamp, UnifiedLog.fetchOffsetByTimestamp):
 * - v1+: one offset per partition. Latest (-1) is the last fetchable offset: the high watermark for consumers,
 *   the last stable offset for READ_COMMITTED consumers, the log end offset for replicas and the debugging
 *   replica id (-2); it carries the partition's leader epoch (v4+). Earliest (-2) and earliest-local (-4, v8+;
 *   without tiered storage the same) are the log start offset, with the epoch of the first cached leader epoch
 *   when that starts at or below it. Max timestamp (-3, v7+) is the record with the largest timestamp. A
 *   timestamp finds the first record at or after it. A found offset at or past the last fetchable offset, or
 *   nothing found, answers offset -1 and timestamp -1. Latest-tiered (-5, v9+) without tiered storage is -1
 *   with epoch -1. A special timestamp older than its version is UNSUPPORTED_VERSION; a partition named twice is
 *   INVALID_REQUEST; a current leader epoch that is not ours is FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH.
 * - v0: up to max_num_offsets offsets (old_style_offsets), descending, from the segment boundaries and the log
 *   end, picked by each segment's last-modified time, with offsets above the high watermark replaced by it for
 *   consumers (Log.legacyFetchOffsetsBefore). Timestamps below -2 are UNSUPPORTED_VERSION.
 * Partitions are answered in request order.
 */
import fs from 'node:fs';
import { ApiKey, ErrorCode, ListOffsetsRequest, ListOffsetsResponse } from '@tributary/protocol';
import { PartitionLog } from '@tributary/storage';
import { checkCurrentLeaderEpoch, leaderPartition } from '../logs/leader-partition';
import { BrokerServices, RequestContext, defineHandler } from './handler';

const EARLIEST = -2n;
const LATEST = -1n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;
/** The first version that knows each special timestamp (ReplicaManager.timestampMinSupportedVersion). */
const MIN_VERSION = new Map<bigint, number>([
  [EARLIEST, 1],
  [LATEST, 1],
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL, 8],
  [LATEST_TIERED, 9],
]);
const CONSUMER_REPLICA_ID = -1;
const DEBUGGING_REPLICA_ID = -2;
const READ_COMMITTED = 1;

type PartitionResponse = ListOffsetsResponse.ListOffsetsPartitionResponse;

export const listOffsetsHandler = defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 9,
  handle(request, context) {
    const seen = new Map<string, number>();
    for (const topic of request.topics) {
      for (const partition of topic.partitions) {
        const key = `${topic.name}\u0000${partition.partitionIndex}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({
        name: topic.name,
        partitions: topic.partitions.map((partition) =>
          (seen.get(`${topic.name}\u0000${partition.partitionIndex}`) ?? 0) > 1 && context.apiVersion > 0
            ? answer(partition.partitionIndex, ErrorCode.INVALID_REQUEST)
            : context.apiVersion === 0
              ? listOffsetsV0(request, topic.name, partition, context.services)
              : listOffsets(request, topic.name, partition, context),
        ),
      })),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => answer(p.partitionIndex, errorCode)) })),
    };
  },
});

function answer(partitionIndex: number, errorCode: number, found?: { timestamp: bigint; offset: bigint; leaderEpoch?: number }): PartitionResponse {
  return {
    partitionIndex,
    errorCode,
    oldStyleOffsets: [],
    timestamp: found?.timestamp ?? -1n,
    offset: found?.offset ?? -1n,
    leaderEpoch: found?.leaderEpoch ?? -1,
  };
}

function listOffsets(request: ListOffsetsRequest, topicName: string, partition: ListOffsetsRequest.ListOffsetsPartition, context: RequestContext): PartitionResponse {
  const { partitionIndex, timestamp } = partition;
  const version = context.apiVersion;
  if (timestamp < 0n && !(version >= (MIN_VERSION.get(timestamp) ?? Infinity))) return answer(partitionIndex, ErrorCode.UNSUPPORTED_VERSION);
  const found = leaderPartition(context.services, topicName, partitionIndex, { requireLeader: request.replicaId !== DEBUGGING_REPLICA_ID });
  if (!found.ok) return answer(partitionIndex, found.errorCode);
  const { log, state } = found;
  const epochError = version >= 4 ? checkCurrentLeaderEpoch(partition.currentLeaderEpoch, state) : undefined;
  if (epochError !== undefined) return answer(partitionIndex, epochError);

  const isConsumer = request.replicaId === CONSUMER_REPLICA_ID;
  const lastFetchable = !isConsumer ? log.logEndOffset : request.isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
  const withEpoch = (epoch: number | undefined) => (version >= 4 ? epoch : undefined);

  if (timestamp === LATEST) return answer(partitionIndex, ErrorCode.NONE, { timestamp: -1n, offset: lastFetchable, leaderEpoch: withEpoch(state.leaderEpoch) });
  if (timestamp === EARLIEST || timestamp === EARLIEST_LOCAL) {
    return answer(partitionIndex, ErrorCode.NONE, { timestamp: -1n, offset: log.logStartOffset, leaderEpoch: withEpoch(earliestEpoch(log)) });
  }
  if (timestamp === LATEST_TIERED) return answer(partitionIndex, ErrorCode.NONE, { timestamp: -1n, offset: -1n, leaderEpoch: -1 });
  const result = log.offsetForTimestamp(timestamp);
  if (!result || result.offset >= lastFetchable) return answer(partitionIndex, ErrorCode.NONE);
  return answer(partitionIndex, ErrorCode.NONE, { timestamp: result.timestamp, offset: result.offset, leaderEpoch: withEpoch(result.leaderEpoch) });
}

/** The epoch of the log start offset, when the epoch cache reaches back that far (UnifiedLog's earliest). */
function earliestEpoch(log: PartitionLog): number | undefined {
  const first = log.leaderEpochCache.all[0];
  return first && first.startOffset <= log.logStartOffset ? first.epoch : undefined;
}

function listOffsetsV0(request: ListOffsetsRequest, topicName: string, partition: ListOffsetsRequest.ListOffsetsPartition, services: BrokerServices): PartitionResponse {
  const { partitionIndex, timestamp } = partition;
  if (timestamp < EARLIEST) return answer(partitionIndex, ErrorCode.UNSUPPORTED_VERSION);
  const found = leaderPartition(services, topicName, partitionIndex, { requireLeader: request.replicaId !== DEBUGGING_REPLICA_ID });
  if (!found.ok) return answer(partitionIndex, found.errorCode);
  const { log } = found;
  let offsets = legacyOffsetsBefore(log, timestamp, partition.maxNumOffsets, services.clock.nowMs());
  if (request.replicaId === CONSUMER_REPLICA_ID) {
    const hw = log.highWatermark;
    if (offsets.some((offset) => offset > hw)) offsets = [hw, ...offsets.filter((offset) => offset <= hw)];
  }
  return { ...answer(partitionIndex, ErrorCode.NONE), oldStyleOffsets: offsets };
}

/** Log.legacyFetchOffsetsBefore: segment base offsets (and the log end) by last-modified time, newest first. */
function legacyOffsetsBefore(log: PartitionLog, timestamp: bigint, maxNumOffsets: number, nowMs: number): bigint[] {
  const segments = log.allSegments();
  const points = segments.map((segment) => ({
    offset: segment.baseOffset > log.logStartOffset ? segment.baseOffset : log.logStartOffset,
    modifiedMs: lastModifiedMs(segment.logPath, nowMs),
  }));
  if (segments[segments.length - 1].size > 0) points.push({ offset: log.logEndOffset, modifiedMs: nowMs });
  let start: number;
  if (timestamp === LATEST) start = points.length - 1;
  else if (timestamp === EARLIEST) start = 0;
  else {
    start = points.length - 1;
    while (start >= 0 && points[start].modifiedMs > Number(timestamp)) start--;
  }
  const count = Math.max(0, Math.min(maxNumOffsets, start + 1));
  const offsets: bigint[] = [];
  for (let j = 0; j < count; j++) offsets.push(points[start - j].offset);
  return offsets.sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
}

function lastModifiedMs(path: string, fallbackMs: number): number {
  try {
    return Math.floor(fs.statSync(path).mtimeMs);
  } catch {
    return fallbackMs;
  }
}
