/**
 * Fetch (key 1), v0-17: consumers read partitions, by topic name (v0-12) or topic id (v13+).
 *
 * As Kafka does it: the request's session fields pick a fetch context (sessionless, full, incremental or a
 * session error; fetch/fetch-context.ts). Partitions are read in the context's order against two byte limits,
 * the request's max bytes (v3+, capped by `fetch.max.bytes`) and each partition's; the first partition with
 * data may exceed both by one batch (KIP-74, v3+; v0-2 have hard limits). If fewer than min bytes came back in
 * total, with no error, diverging epoch or elapsed wait, the request waits in the purgatory until appends bring
 * min bytes across all its partitions or max wait ends, and is then read again. Fetch v0-3 get records
 * down-converted to message format v0 (v0-1) or v1 (v2-3). Record data is handed to the encoder as the views the
 * log read returned, not copied.
 *
 * Differences from Kafka: no follower fetching yet (a replica id >= 0 is answered NOT_LEADER_OR_FOLLOWER per
 * partition, as Kafka answers a replica that is not a follower); no quotas (throttle 0); preferred read replica
 * always -1 (one broker). For v0-2 a first batch larger than the limits is not sent at all, which is also what
 * Kafka 3.9 answers (its down-conversion drops the partial batch); the side-by-side test checks it.
 */
import { ApiKey, ErrorCode, FetchRequest, FetchResponse, ZERO_UUID, asTopicName } from '@tributary/protocol';
import { TopicMetadata, resolveTopicConfigs } from '@tributary/metadata';
import { FetchIsolation } from '@tributary/storage';
import { FetchContext, ForgottenPartition, PartitionOutcome, RequestedPartition } from '../fetch/fetch-context';
import { fetchState, purgatoryKey } from '../fetch/fetch-state';
import { PartitionOutcomeData, ReadParams, errorPartitionData, readPartition } from '../fetch/partition-read';
import { leaderEndpoints } from './broker-endpoints';
import { RequestContext, defineHandler } from './handler';

const READ_COMMITTED = 1;

export const fetchHandler = defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 0,
  maxVersion: 17,

  async handle(request, context) {
    const { services, apiVersion: version } = context;
    const state = fetchState(services);
    const metadata = services.metadata;
    const replicaId = version >= 15 ? request.replicaState.replicaId : request.replicaId;
    const fromReplica = replicaId >= 0;
    const topicName = (topicId: FetchRequest.FetchTopic['topicId']) => metadata.topicById(topicId)?.name;

    const sessionContext = state.sessions.newContext({
      version,
      sessionId: request.sessionId,
      sessionEpoch: request.sessionEpoch,
      isFollower: fromReplica,
      partitions: requestedPartitions(request, version, topicName),
      forgotten: forgottenPartitions(request, version, topicName),
      topicName,
    });
    if (sessionContext.errorCode !== ErrorCode.NONE) {
      return { throttleTimeMs: 0, errorCode: sessionContext.errorCode, sessionId: 0, responses: [], nodeEndpoints: [] };
    }

    // Kafka caps a consumer's max bytes by fetch.max.bytes; v0-2 have no request limit (their default is MAX_INT).
    const maxBytes = fromReplica ? request.maxBytes : Math.min(request.maxBytes, services.config.int('fetch.max.bytes'));
    const minBytes = Math.min(request.minBytes, maxBytes);
    const params: ReadParams = {
      version,
      isolation: fromReplica ? FetchIsolation.LogEnd : version >= 4 && request.isolationLevel === READ_COMMITTED ? FetchIsolation.TxnCommitted : FetchIsolation.HighWatermark,
      fromReplica,
      topicOf: (target) => (target.topic === null ? undefined : metadata.topic(target.topic)),
      topicConfig: memoized((topic, name) => effectiveTopicConfig(topic, name, context)),
      logs: services.logs,
    };
    const readAll = () => readPartitions(sessionContext, maxBytes, version <= 2, params);

    let outcomes = readAll();
    if (!answerNow(outcomes, request.maxWaitMs, minBytes)) {
      const keys = sessionContext.partitions.filter((p) => p.topic !== null).map((p) => purgatoryKey(p.topic as string, p.partition));
      let satisfiedBy: PartitionOutcomeData[] | undefined;
      const outcome = await state.purgatory.wait(keys, request.maxWaitMs, () => {
        const again = readAll();
        // Waiting already: only enough bytes (or news) may end the wait. An append that adds nothing readable,
        // such as a record of a transaction still open to a read_committed fetch, leaves it waiting.
        if (!answerNow(again, request.maxWaitMs, minBytes)) return false;
        satisfiedBy = again;
        return true;
      });
      // When woken, answer with the read that satisfied the wait; otherwise read once more (data may have come).
      outcomes = outcome === 'satisfied' && satisfiedBy ? satisfiedBy : readAll();
    }
    return buildResponse(sessionContext, outcomes, version, context);
  },

  errorResponse(request, errorCode) {
    // Kafka's FetchRequest.getErrorResponse: the top-level error, and before v13 also every partition's. The
    // version is not passed here, but shows in the request: only v13+ decode topic ids other than zero.
    const v13OrLater = request.topics.some((topic) => topic.topicId !== ZERO_UUID);
    return {
      throttleTimeMs: 0,
      errorCode,
      sessionId: request.sessionId,
      responses: v13OrLater ? [] : request.topics.map((topic) => ({
        topic: topic.topic,
        topicId: topic.topicId,
        partitions: topic.partitions.map((partition) => errorPartitionData(partition.partition, errorCode, null, null)),
      })),
      nodeEndpoints: [],
    };
  },
});

/**
 * The request's partitions. A partition named twice is read once, at the place it was first named, with what
 * was asked last: Kafka collects them in a map keyed by partition.
 */
function requestedPartitions(request: FetchRequest, version: number, topicName: (id: FetchRequest.FetchTopic['topicId']) => string | undefined): RequestedPartition[] {
  const result = new Map<string, RequestedPartition>();
  for (const topic of request.topics) {
    const name = version >= 13 ? (topicName(topic.topicId) ?? null) : topic.topic;
    for (const partition of topic.partitions) {
      result.set(version >= 13 ? `${topic.topicId}:${partition.partition}` : `${topic.topic}\u0000${partition.partition}`, {
        topic: name,
        topicId: topic.topicId,
        partition: partition.partition,
        fetchOffset: partition.fetchOffset,
        logStartOffset: partition.logStartOffset,
        maxBytes: partition.partitionMaxBytes,
        currentLeaderEpoch: partition.currentLeaderEpoch,
        lastFetchedEpoch: partition.lastFetchedEpoch,
      });
    }
  }
  return [...result.values()];
}

function forgottenPartitions(request: FetchRequest, version: number, topicName: (id: FetchRequest.FetchTopic['topicId']) => string | undefined): ForgottenPartition[] {
  return request.forgottenTopicsData.flatMap((topic) => {
    const name = version >= 13 ? (topicName(topic.topicId) ?? null) : topic.topic;
    return topic.partitions.map((partition) => ({ topic: name, topicId: topic.topicId, partition }));
  });
}

/**
 * Reads the context's partitions in order against the request's byte budget. Once one partition returned data,
 * later ones get no more than the budget left (KIP-74: only the first batch of the response may exceed it).
 */
function readPartitions(context: FetchContext, maxBytes: number, hardLimits: boolean, params: ReadParams): PartitionOutcomeData[] {
  let remaining = maxBytes;
  let minOneBatch = !hardLimits;
  return context.partitions.map((target) => {
    const outcome = readPartition(target, remaining, minOneBatch, params);
    if (outcome.recordBytes > 0) minOneBatch = false;
    remaining = Math.max(0, remaining - outcome.recordBytes);
    return outcome;
  });
}

/** Kafka answers at once when it may not wait, has min bytes, or has something else to say (an error, a divergence). */
function answerNow(outcomes: readonly PartitionOutcome<unknown>[], maxWaitMs: number, minBytes: number): boolean {
  if (maxWaitMs <= 0 || outcomes.length === 0) return true;
  let bytes = 0;
  for (const outcome of outcomes) {
    if (outcome.errorCode !== ErrorCode.NONE || outcome.otherNews) return true;
    bytes += outcome.recordBytes;
  }
  return bytes >= minBytes;
}

function buildResponse(context: FetchContext, outcomes: PartitionOutcomeData[], version: number, request: RequestContext): FetchResponse {
  const answer = context.answer(outcomes);
  const metadata = request.services.metadata;
  const responses: FetchResponse.FetchableTopicResponse[] = [];
  const leaders = new Set<number>();
  for (const outcome of answer.partitions) {
    const { target, data } = outcome;
    // KIP-951 (v16+): a client told it has the wrong leader also learns the current one and its endpoint.
    if (version >= 16 && (data.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || data.errorCode === ErrorCode.FENCED_LEADER_EPOCH)) {
      const state = target.topic === null ? undefined : metadata.topic(target.topic)?.partitions[target.partition];
      if (state) {
        data.currentLeader = { leaderId: state.leaderId, leaderEpoch: state.leaderEpoch };
        if (state.leaderId >= 0) leaders.add(state.leaderId);
      }
    }
    // Consecutive partitions of one topic share its entry, as Kafka groups them.
    const last = responses[responses.length - 1];
    const sameTopic = last && (version >= 13 ? last.topicId === target.topicId : last.topic === target.topic);
    if (sameTopic) last.partitions.push(data);
    else responses.push({ topic: asTopicName(target.topic ?? ''), topicId: target.topicId, partitions: [data] });
  }
  const nodeEndpoints = leaderEndpoints(metadata, request.connection.listenerName, leaders);
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: answer.sessionId, responses, nodeEndpoints };
}

/** Old versions consult a topic config per partition; one request resolves each (topic, name) once. */
function memoized(lookup: (topic: TopicMetadata, name: string) => string | null): (topic: TopicMetadata, name: string) => string | null {
  const seen = new Map<string, string | null>();
  return (topic, name) => {
    const key = `${topic.name}\u0000${name}`;
    if (!seen.has(key)) seen.set(key, lookup(topic, name));
    return seen.get(key) ?? null;
  };
}

function effectiveTopicConfig(topic: TopicMetadata, name: string, context: RequestContext): string | null {
  const override = topic.configs.get(name);
  if (override !== undefined) return override;
  return resolveTopicConfigs(new Map(), context.services.config).find((config) => config.name === name)?.value ?? null;
}
