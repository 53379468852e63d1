/**
 * The Fetch handler through the real dispatch, against standalone metadata and storage in a temp dir: whole
 * responses as a client decodes them.
 */
import {
  ApiKey,
  ErrorCode,
  FetchResponse,
  Uuid,
  ZERO_UUID,
  asBrokerId,
  asProducerId,
  asTopicName,
  buildRecordBatch,
  RecordBatch,
  iterateLegacyRecords,
  iterateRecordSet,
} from '@tributary/protocol';
import { shutdownFetches } from '../../src/fetch/fetch-state';
import { fetchHandler } from '../../src/handlers/01-fetch';
import { Harness, fetchRequest, openHarness } from '../harness';

let h: Harness;
afterEach(async () => h?.close());

const NONE = { epoch: -1, endOffset: -1n };
const NO_LEADER = { leaderId: asBrokerId(-1), leaderEpoch: -1 };
const NO_SNAPSHOT = { endOffset: -1n, epoch: -1 };

async function topicWith(name: string, partitions: number, configs: { name: string; value: string }[] = []): Promise<Uuid> {
  const response = await h.call(ApiKey.CreateTopics, 7, {
    topics: [{ name: asTopicName(name), numPartitions: partitions, replicationFactor: -1, assignments: [], configs }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(response.topics[0].errorCode).toBe(0);
  await h.settled();
  return response.topics[0].topicId;
}

/** Appends one batch of `count` records; returns its bytes as stored (offsets assigned). */
function append(topic: string, partition: number, count: number, valueBytes = 10): Buffer {
  const log = h.logs.partition(topic, partition)!;
  const start = log.logEndOffset;
  const batch = buildRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      timestamp: 1_700_000_000_000n + BigInt(i),
      key: Buffer.from(`k${i}`),
      value: Buffer.alloc(valueBytes, i),
      headers: [{ key: 'h', value: Buffer.from('v') }],
    })),
  });
  h.logs.append(log, batch);
  return log.read(start, 1 << 20).records;
}

function partitionData(fields: Partial<FetchResponse.PartitionData>): FetchResponse.PartitionData {
  return {
    partitionIndex: 0,
    errorCode: 0,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: NONE,
    currentLeader: NO_LEADER,
    snapshotId: NO_SNAPSHOT,
    abortedTransactions: null,
    preferredReadReplica: asBrokerId(-1),
    records: Buffer.alloc(0),
    ...fields,
  };
}

describe('Fetch reads what was appended', () => {
  test.each([4, 5, 7, 11, 12])('v%i by topic name: both batches, high watermark, LSO and (v5+) log start offset', async (version) => {
    h = await openHarness();
    await topicWith('t', 1);
    const first = append('t', 0, 3);
    const second = append('t', 0, 2);
    const response = await h.call(ApiKey.Fetch, version, fetchRequest([{ topic: 't', partitions: [{}] }]));
    expect(response).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 't',
          topicId: ZERO_UUID,
          partitions: [partitionData({ highWatermark: 5n, lastStableOffset: 5n, logStartOffset: version >= 5 ? 0n : -1n, records: Buffer.concat([first, second]) })],
        },
      ],
      nodeEndpoints: [],
    });
    // The records are the stored batches, byte for byte, with their keys, headers and timestamps.
    const records = [...iterateRecordSet(response.responses[0].partitions[0].records!)].flatMap((entry) => new RecordBatch(entry.bytes).resolvedRecords());
    expect(records.map((r) => [r.offset, r.key?.toString(), r.headers[0].key, r.timestamp])).toEqual([
      [0n, 'k0', 'h', 1_700_000_000_000n],
      [1n, 'k1', 'h', 1_700_000_000_001n],
      [2n, 'k2', 'h', 1_700_000_000_002n],
      [3n, 'k0', 'h', 1_700_000_000_000n],
      [4n, 'k1', 'h', 1_700_000_000_001n],
    ]);
  });

  test.each([13, 15, 16, 17])('v%i by topic id; an unknown id is UNKNOWN_TOPIC_ID', async (version) => {
    h = await openHarness();
    const topicId = await topicWith('t', 1);
    const batch = append('t', 0, 1);
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid;
    const response = await h.call(ApiKey.Fetch, version, fetchRequest([{ topic: '', topicId, partitions: [{}] }, { topic: '', topicId: unknown, partitions: [{ partition: 3 }] }]));
    expect(response.responses).toEqual([
      { topic: '', topicId, partitions: [partitionData({ highWatermark: 1n, lastStableOffset: 1n, logStartOffset: 0n, records: batch })] },
      { topic: '', topicId: unknown, partitions: [partitionData({ partitionIndex: 3, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, abortedTransactions: [] })] },
    ]);
  });

  test('unknown topic or partition by name; an offset out of range gets -1 offsets as Kafka fills them', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    append('t', 0, 2);
    const response = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 'nope', partitions: [{}] }, { topic: 't', partitions: [{ partition: 1 }, { fetchOffset: 3n }] }]));
    expect(response.responses).toEqual([
      { topic: 'nope', topicId: ZERO_UUID, partitions: [partitionData({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, abortedTransactions: [] })] },
      {
        topic: 't',
        topicId: ZERO_UUID,
        partitions: [
          partitionData({ partitionIndex: 1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, abortedTransactions: [] }),
          partitionData({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }),
        ],
      },
    ]);
  });

  test('at the log end: no records, the offsets, and read_committed gets an empty aborted list', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    append('t', 0, 2);
    const uncommitted = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{ fetchOffset: 2n }] }]));
    expect(uncommitted.responses[0].partitions).toEqual([partitionData({ highWatermark: 2n, lastStableOffset: 2n, logStartOffset: 0n })]);
    const committed = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{ fetchOffset: 0n }] }], { isolationLevel: 1 }));
    expect(committed.responses[0].partitions[0].abortedTransactions).toEqual([]);
    expect(committed.responses[0].partitions[0].records!.length).toBeGreaterThan(0);
  });
});

describe('read_committed', () => {
  test('reads up to the last stable offset and lists the aborted transactions of what it returns', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    const first = append('t', 0, 2); // offsets 0-1
    const second = append('t', 0, 2); // offsets 2-3
    append('t', 0, 2); // offsets 4-5, not stable yet
    const log = h.logs.partition('t', 0)!;
    log.appendAbortedTransaction({ producerId: 7n, firstOffset: 1n, lastOffset: 3n, lastStableOffset: 1n });
    log.appendAbortedTransaction({ producerId: 8n, firstOffset: 5n, lastOffset: 5n, lastStableOffset: 5n });
    log.setFirstUnstableOffset(4n);
    const committed = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{}] }], { isolationLevel: 1 }));
    expect(committed.responses[0].partitions[0]).toEqual(
      partitionData({
        highWatermark: 6n,
        lastStableOffset: 4n,
        logStartOffset: 0n,
        abortedTransactions: [{ producerId: asProducerId(7n), firstOffset: 1n }],
        records: Buffer.concat([first, second]),
      }),
    );
    // read_uncommitted reads to the high watermark and lists nothing.
    const uncommitted = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{}] }]));
    expect(uncommitted.responses[0].partitions[0].abortedTransactions).toBeNull();
    expect(uncommitted.responses[0].partitions[0].records!.length).toBeGreaterThan(first.length + second.length);
  });
});

describe('byte limits', () => {
  test('KIP-74: the first batch comes back even above both limits; later partitions get only what is left', async () => {
    h = await openHarness();
    await topicWith('t', 2);
    const big = append('t', 0, 1, 500);
    append('t', 1, 1, 500);
    const response = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{ partition: 0, partitionMaxBytes: 100 }, { partition: 1 }] }], { maxBytes: 100 }));
    const [p0, p1] = response.responses[0].partitions;
    expect(p0.records).toEqual(big);
    expect(p1).toEqual(partitionData({ partitionIndex: 1, highWatermark: 1n, lastStableOffset: 1n, logStartOffset: 0n }));
  });

  test('a partition max bytes holds later batches back once one batch was sent', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    const first = append('t', 0, 1, 300);
    append('t', 0, 1, 300);
    const response = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{ partitionMaxBytes: first.length + 10 }] }]));
    expect(response.responses[0].partitions[0].records).toEqual(first);
  });

  test('v0-v2 have hard limits: a batch larger than the partition max is not sent', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    append('t', 0, 1, 500);
    const response = await h.call(ApiKey.Fetch, 2, fetchRequest([{ topic: 't', partitions: [{ partitionMaxBytes: 100 }] }]));
    // v0-3 have no aborted transactions field: the decoder gives its empty default.
    expect(response.responses[0].partitions[0]).toEqual(partitionData({ highWatermark: 1n, abortedTransactions: [] }));
  });
});

describe('request shape', () => {
  test('a partition named twice is read once, where first named, with what was asked last (as Kafka keys them)', async () => {
    h = await openHarness();
    await topicWith('t', 2);
    append('t', 0, 2);
    const response = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{ partition: 0 }, { partition: 1 }, { partition: 0, fetchOffset: 9n }] }]));
    expect(response.responses[0].partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([
      [0, ErrorCode.OFFSET_OUT_OF_RANGE],
      [1, 0],
    ]);
  });

  test('fetch.max.bytes caps what a consumer asks for: the second partition gets nothing past it', async () => {
    h = await openHarness({ 'fetch.max.bytes': '1024' });
    await topicWith('t', 2);
    const first = append('t', 0, 1, 900);
    append('t', 1, 1, 900);
    const response = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{ partition: 0 }, { partition: 1 }] }], { maxBytes: 52428800 }));
    expect(response.responses[0].partitions.map((p) => p.records)).toEqual([first, Buffer.alloc(0)]);
  });
});

describe('an unexpected failure', () => {
  test('is the top-level error, and before v13 every partition\'s too (Kafka\'s getErrorResponse)', () => {
    const byName = fetchRequest([{ topic: 't', partitions: [{ partition: 0 }, { partition: 1 }] }], { sessionId: 5 });
    expect(fetchHandler.errorResponse!(byName, ErrorCode.UNKNOWN_SERVER_ERROR, 'boom')).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
      sessionId: 5,
      responses: [
        {
          topic: 't',
          topicId: ZERO_UUID,
          partitions: [0, 1].map((partitionIndex) => partitionData({ partitionIndex, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, records: null })),
        },
      ],
      nodeEndpoints: [],
    });
    const byId = fetchRequest([{ topic: '', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' as Uuid, partitions: [{}] }]);
    expect(fetchHandler.errorResponse!(byId, ErrorCode.UNKNOWN_SERVER_ERROR, 'boom').responses).toEqual([]);
  });
});

describe('old versions: down-conversion', () => {
  test.each([
    [0, 0],
    [1, 0],
    [2, 1],
    [3, 1],
  ])('v%i gets message format v%i with offsets, keys, values and (v1) timestamps', async (version, magic) => {
    h = await openHarness();
    await topicWith('t', 1);
    append('t', 0, 3);
    const response = await h.call(ApiKey.Fetch, version, fetchRequest([{ topic: 't', partitions: [{ fetchOffset: 1n }] }]));
    const partition = response.responses[0].partitions[0];
    expect(partition.errorCode).toBe(0);
    expect(partition.highWatermark).toBe(3n);
    const entries = [...iterateRecordSet(partition.records!)];
    expect(entries.every((entry) => entry.magic === magic)).toBe(true);
    const records = entries.flatMap((entry) => [...iterateLegacyRecords(entry.bytes)]);
    // Conversion starts at the fetch offset, as Kafka's does.
    expect(records.map((r) => [r.offset, r.key?.toString(), r.value?.length, r.timestamp])).toEqual([
      [1n, 'k1', 10, magic === 0 ? -1n : 1_700_000_000_001n],
      [2n, 'k2', 10, magic === 0 ? -1n : 1_700_000_000_002n],
    ]);
  });

  test('a zstd topic is UNSUPPORTED_COMPRESSION_TYPE below v10; message.downconversion.enable=false is UNSUPPORTED_VERSION for v0-3', async () => {
    h = await openHarness();
    await topicWith('z', 1, [{ name: 'compression.type', value: 'zstd' }]);
    await topicWith('nodown', 1, [{ name: 'message.downconversion.enable', value: 'false' }]);
    append('nodown', 0, 1);
    const old = await h.call(ApiKey.Fetch, 9, fetchRequest([{ topic: 'z', partitions: [{}] }]));
    expect(old.responses[0].partitions[0]).toEqual(partitionData({ errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, records: null, abortedTransactions: [] }));
    const v10 = await h.call(ApiKey.Fetch, 10, fetchRequest([{ topic: 'z', partitions: [{}] }]));
    expect(v10.responses[0].partitions[0].errorCode).toBe(0);
    const v3 = await h.call(ApiKey.Fetch, 3, fetchRequest([{ topic: 'nodown', partitions: [{}] }]));
    expect(v3.responses[0].partitions[0]).toEqual(partitionData({ errorCode: ErrorCode.UNSUPPORTED_VERSION, records: null, abortedTransactions: [] }));
    const v4 = await h.call(ApiKey.Fetch, 4, fetchRequest([{ topic: 'nodown', partitions: [{}] }]));
    expect(v4.responses[0].partitions[0].errorCode).toBe(0);
  });
});

describe('epochs and replicas', () => {
  test('a current leader epoch newer than ours is UNKNOWN_LEADER_EPOCH', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    const response = await h.call(ApiKey.Fetch, 12, fetchRequest([{ topic: 't', partitions: [{ currentLeaderEpoch: 1 }] }]));
    expect(response.responses[0].partitions[0]).toEqual(partitionData({ errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH }));
  });

  test('v12+: a fetcher whose last fetched epoch ended earlier here gets the diverging epoch and its end offset', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    append('t', 0, 2);
    // Epoch 0 covers offsets 0-1; epoch 2 starts at 2 (as after two leader changes).
    h.logs.partition('t', 0)!.leaderEpochCache.assign(2, 2n);
    append('t', 0, 2);
    const response = await h.call(ApiKey.Fetch, 12, fetchRequest([{ topic: 't', partitions: [{ fetchOffset: 3n, lastFetchedEpoch: 1 }] }], { maxWaitMs: 5000 }));
    expect(response.responses[0].partitions[0]).toEqual(
      partitionData({ highWatermark: 4n, lastStableOffset: 4n, logStartOffset: 0n, divergingEpoch: { epoch: 0, endOffset: 2n } }),
    );
    // The latest epoch up to the log end has not diverged: an ordinary (empty) read.
    const same = await h.call(ApiKey.Fetch, 12, fetchRequest([{ topic: 't', partitions: [{ fetchOffset: 4n, lastFetchedEpoch: 2 }] }]));
    expect(same.responses[0].partitions[0].divergingEpoch).toEqual(NONE);
    expect(same.responses[0].partitions[0].errorCode).toBe(0);
    // An epoch newer than any here has no end offset: OFFSET_OUT_OF_RANGE, as Kafka answers.
    const newer = await h.call(ApiKey.Fetch, 12, fetchRequest([{ topic: 't', partitions: [{ fetchOffset: 4n, lastFetchedEpoch: 3 }] }]));
    expect(newer.responses[0].partitions[0]).toEqual(partitionData({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE }));
  });

  test('v16+: a replica id that is no follower is NOT_LEADER_OR_FOLLOWER with the current leader and its endpoint', async () => {
    h = await openHarness();
    const topicId = await topicWith('t', 1);
    const response = await h.call(
      ApiKey.Fetch,
      16,
      fetchRequest([{ topic: '', topicId, partitions: [{}] }], { replicaState: { replicaId: asBrokerId(5), replicaEpoch: -1n } }),
    );
    expect(response.responses[0].partitions[0]).toEqual(
      partitionData({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: asBrokerId(1), leaderEpoch: 0 } }),
    );
    expect(response.nodeEndpoints).toEqual([{ nodeId: 1, host: 'broker.example', port: 9092, rack: null }]);
  });
});

describe('fetch sessions through the handler', () => {
  test('full fetch opens a session; incremental fetches carry only news; a wrong epoch is a whole-request error', async () => {
    h = await openHarness();
    await topicWith('t', 2);
    append('t', 0, 1);
    const full = await h.call(ApiKey.Fetch, 12, fetchRequest([{ topic: 't', partitions: [{ partition: 0 }, { partition: 1 }] }], { sessionEpoch: 0 }));
    expect(full.sessionId).not.toBe(0);
    expect(full.responses[0].partitions.map((p) => p.partitionIndex)).toEqual([0, 1]);

    const quiet = await h.call(ApiKey.Fetch, 12, fetchRequest([{ topic: 't', partitions: [{ partition: 0, fetchOffset: 1n }] }], { sessionId: full.sessionId, sessionEpoch: 1 }));
    expect(quiet).toEqual({ throttleTimeMs: 0, errorCode: 0, sessionId: full.sessionId, responses: [], nodeEndpoints: [] });

    const batch = append('t', 1, 2);
    const news = await h.call(ApiKey.Fetch, 12, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 2 }));
    expect(news.responses).toEqual([{ topic: 't', topicId: ZERO_UUID, partitions: [partitionData({ partitionIndex: 1, highWatermark: 2n, lastStableOffset: 2n, logStartOffset: 0n, records: batch })] }]);

    const wrong = await h.call(ApiKey.Fetch, 12, fetchRequest([], { sessionId: full.sessionId, sessionEpoch: 7 }));
    expect(wrong).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [], nodeEndpoints: [] });
    const gone = await h.call(ApiKey.Fetch, 12, fetchRequest([], { sessionId: 12345, sessionEpoch: 1 }));
    expect(gone.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });
});

describe('long poll', () => {
  test('waits for an append and answers as soon as it comes, with the appended batch', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    const started = Date.now();
    const pending = h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{}] }], { maxWaitMs: 10_000, minBytes: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const batch = append('t', 0, 1);
    const response = await pending;
    expect(response.responses[0].partitions[0].records).toEqual(batch);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('min bytes counts across all partitions of the request; below it the fetch waits out max wait', async () => {
    h = await openHarness();
    await topicWith('t', 2);
    const a = append('t', 0, 1, 100);
    const minBytes = a.length + 50;
    // One partition's bytes are not enough...
    const started = Date.now();
    const short = await h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{ partition: 0 }, { partition: 1 }] }], { maxWaitMs: 300, minBytes }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(short.responses[0].partitions[0].records).toEqual(a);
    // ...but an append to the other partition completes the waiting fetch.
    const pending = h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{ partition: 0 }, { partition: 1 }] }], { maxWaitMs: 10_000, minBytes }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const b = append('t', 1, 1, 100);
    const response = await pending;
    expect(response.responses[0].partitions.map((p) => p.records)).toEqual([a, b]);
  });

  test('deleting the topic answers a fetch waiting on it', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    const started = Date.now();
    const pending = h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{}] }], { maxWaitMs: 30_000 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await h.call(ApiKey.DeleteTopics, 5, { topics: [], topicNames: [asTopicName('t')], timeoutMs: 5000 });
    const response = await pending;
    expect(response.responses[0].partitions[0]).toEqual(partitionData({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, abortedTransactions: [] }));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('shutdown answers a waiting fetch at once', async () => {
    h = await openHarness();
    await topicWith('t', 1);
    const started = Date.now();
    const pending = h.call(ApiKey.Fetch, 11, fetchRequest([{ topic: 't', partitions: [{}] }], { maxWaitMs: 30_000 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    shutdownFetches(h.logs);
    const response = await pending;
    expect(response.responses[0].partitions[0]).toEqual(partitionData({ highWatermark: 0n, lastStableOffset: 0n, logStartOffset: 0n }));
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
