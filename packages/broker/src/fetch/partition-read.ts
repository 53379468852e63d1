/**
 * Reading one partition for a Fetch, with Kafka's per-partition checks in Kafka's order: the topic and
 * partition exist here; the requester is a consumer (a replica id >= 0 is a follower, and this broker has no
 * followers yet: NOT_LEADER_OR_FOLLOWER, as Kafka answers a replica it does not know); the client's current
 * leader epoch is this one (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH); the last fetched epoch has not diverged
 * (v12+); the offset is in range. Then whole batches up to the byte limit, and for old versions the
 * down-conversion to message format v0 or v1.
 */
import { ErrorCode, FetchResponse, TributaryError, UnsupportedCompressionTypeError, asBrokerId, asProducerId, downConvertRecordSet } from '@tributary/protocol';
import { TopicMetadata } from '@tributary/metadata';
import { FetchIsolation, PartitionLog, batchesIn } from '@tributary/storage';
import { checkCurrentLeaderEpoch } from '../logs/leader-partition';
import type { LogService } from '../logs/log-service';
import { PartitionOutcome, RequestedPartition } from './fetch-context';

/** No records; shared, since nothing writes into a response's record set. */
const EMPTY = Buffer.alloc(0);

export interface ReadParams {
  version: number;
  isolation: FetchIsolation;
  /** A replica id >= 0: a follower's fetch. */
  fromReplica: boolean;
  topicOf(target: RequestedPartition): TopicMetadata | undefined;
  /** The topic's effective config value (override or broker default). */
  topicConfig(topic: TopicMetadata, name: string): string | null;
  logs: LogService;
}

export type PartitionOutcomeData = PartitionOutcome<FetchResponse.PartitionData>;

/**
 * Where Kafka finds a partition's error, which decides how the answer looks: refused before reading
 * (`request`: FetchResponse.partitionResponse, aborted transactions an empty list), by the read itself (`read`:
 * aborted transactions null), or when converting for an old version (`convert`: partitionResponse again, built
 * after the response's null record sets were made empty, so its records stay null).
 */
export type ErrorStage = 'request' | 'read' | 'convert';

/** The partition entry of an answer that carries only an error: -1 offsets and epochs, as Kafka fills them. */
export function errorPartitionData(
  partitionIndex: number,
  errorCode: number,
  abortedTransactions: FetchResponse.AbortedTransaction[] | null,
  records: Buffer | null,
): FetchResponse.PartitionData {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: asBrokerId(-1), leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions,
    preferredReadReplica: asBrokerId(-1),
    records,
  };
}

/**
 * A partition's answer when it cannot be read: the error, and -1 offsets as Kafka has them. Records are empty
 * rather than null: Kafka's FetchResponse replaces a null record set by an empty one.
 */
export function errorPartition(target: RequestedPartition, errorCode: number, stage: ErrorStage = 'read'): PartitionOutcomeData {
  return {
    target,
    errorCode,
    highWatermark: -1n,
    logStartOffset: -1n,
    recordBytes: 0,
    otherNews: false,
    data: errorPartitionData(target.partition, errorCode, stage === 'read' ? null : [], stage === 'convert' ? null : EMPTY),
  };
}

/**
 * Reads `target` with at most `limitBytes` (the request's remaining budget); `minOneBatch` lets the first batch
 * exceed the limits (KIP-74), for every partition until one has returned data.
 */
export function readPartition(target: RequestedPartition, limitBytes: number, minOneBatch: boolean, params: ReadParams): PartitionOutcomeData {
  if (target.topic === null) return errorPartition(target, ErrorCode.UNKNOWN_TOPIC_ID, 'request');
  const topic = params.topicOf(target);
  const state = topic?.partitions[target.partition];
  if (!topic || !state) return errorPartition(target, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'request');
  if (params.fromReplica) return errorPartition(target, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const epochError = checkCurrentLeaderEpoch(target.currentLeaderEpoch, state);
  if (epochError !== undefined) return errorPartition(target, epochError);
  // Kafka refuses zstd topics to versions before zstd existed in the protocol (v10), before reading anything.
  if (params.version < 10 && params.topicConfig(topic, 'compression.type') === 'zstd') {
    return errorPartition(target, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'convert');
  }
  const downConvertTo = params.version <= 1 ? 0 : params.version <= 3 ? 1 : undefined;
  if (downConvertTo !== undefined && params.topicConfig(topic, 'message.downconversion.enable') === 'false') {
    return errorPartition(target, ErrorCode.UNSUPPORTED_VERSION, 'convert');
  }
  let log: PartitionLog | undefined;
  try {
    log = params.logs.partition(topic.name, target.partition);
    if (!log) return errorPartition(target, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    return readLog(log, target, limitBytes, minOneBatch, params, downConvertTo);
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
    let code = error.code;
    // Clients before v6 do not know KAFKA_STORAGE_ERROR; Kafka sends them a retriable error instead.
    if (code === ErrorCode.KAFKA_STORAGE_ERROR && params.version <= 5) code = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return errorPartition(target, code);
  }
}

function readLog(
  log: PartitionLog,
  target: RequestedPartition,
  limitBytes: number,
  minOneBatch: boolean,
  params: ReadParams,
  downConvertTo: 0 | 1 | undefined,
): PartitionOutcomeData {
  // Offsets as they were before the read: data appended meanwhile shows up in the next fetch.
  const highWatermark = log.highWatermark;
  const logStartOffset = log.logStartOffset;
  const lastStableOffset = log.lastStableOffset;
  const base = errorPartition(target, ErrorCode.NONE);
  const data: FetchResponse.PartitionData = {
    ...base.data,
    highWatermark,
    lastStableOffset: params.version >= 4 ? lastStableOffset : -1n,
    logStartOffset: params.version >= 5 ? logStartOffset : -1n,
    abortedTransactions: params.isolation === FetchIsolation.TxnCommitted ? [] : null,
  };
  const outcome: PartitionOutcomeData = { ...base, highWatermark, logStartOffset, data };

  if (params.version >= 12 && target.lastFetchedEpoch >= 0) {
    const diverging = divergingEpoch(log, target);
    if (diverging) {
      data.divergingEpoch = diverging;
      outcome.otherNews = true;
      return outcome;
    }
  }

  const maxBytes = Math.max(0, Math.min(target.maxBytes, limitBytes));
  const read = log.read(target.fetchOffset, maxBytes, { isolation: params.isolation, minOneBatch });
  let records = read.records;
  if (params.isolation === FetchIsolation.TxnCommitted && records.length > 0) {
    // The read listed the aborted transactions up to the LSO; only those that begin in what it returned count.
    const end = lastOffsetOf(records) + 1n;
    data.abortedTransactions = (read.abortedTransactions ?? log.collectAbortedTransactions(target.fetchOffset, end))
      .filter((txn) => txn.firstOffset < end)
      .map((txn) => ({ producerId: asProducerId(txn.producerId), firstOffset: txn.firstOffset }));
  }
  if (downConvertTo !== undefined && records.length > 0) {
    try {
      records = downConvertRecordSet(records, downConvertTo, { firstOffset: target.fetchOffset });
    } catch (error) {
      if (error instanceof UnsupportedCompressionTypeError) return errorPartition(target, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'convert');
      throw error;
    }
  }
  data.records = records;
  // The bytes read count against the limits, as in Kafka (a converted set may differ in size).
  outcome.recordBytes = read.records.length;
  return outcome;
}

/**
 * Kafka's check of a fetcher's last fetched epoch against the leader epoch cache: when the fetcher's epoch ends
 * earlier here (or is unknown here and an earlier one is known), the response tells it where to truncate to.
 */
function divergingEpoch(log: PartitionLog, target: RequestedPartition): FetchResponse.EpochEndOffset | undefined {
  // An epoch newer than any this log had has no end offset here (Kafka's LeaderEpochFileCache answers UNDEFINED).
  const latest = log.leaderEpochCache.latestEpoch();
  const end = latest !== undefined && target.lastFetchedEpoch > latest ? { epoch: -1, endOffset: -1n } : log.leaderEpochCache.endOffsetFor(target.lastFetchedEpoch, log.logEndOffset);
  if (end.epoch === -1 || end.endOffset === -1n) {
    throw new OffsetOutOfRangeFetchError(`the end offset of epoch ${target.lastFetchedEpoch} is unknown`);
  }
  if (target.fetchOffset < log.logStartOffset) throw new OffsetOutOfRangeFetchError(`offset ${target.fetchOffset} is before the log start`);
  if (end.epoch < target.lastFetchedEpoch || end.endOffset < target.fetchOffset) return { epoch: end.epoch, endOffset: end.endOffset };
  return undefined;
}

class OffsetOutOfRangeFetchError extends TributaryError {
  constructor(message: string) {
    super(ErrorCode.OFFSET_OUT_OF_RANGE, message);
  }
}

/** The last offset of the last whole batch in `records`. */
function lastOffsetOf(records: Buffer): bigint {
  let last = -1n;
  for (const batch of batchesIn(records)) last = batch.lastOffset;
  return last;
}
