/**
 * ListOffsets, DeleteRecords, OffsetForLeaderEpoch and DescribeLogDirs against real storage in a temp dir,
 * with whole responses as a client decodes them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApiKey, ErrorCode, ListOffsetsRequest, ProduceRequest, buildRecordBatch } from '@tributary/protocol';
import { HARNESS_NOW_MS, Harness, openHarness } from './harness';

const NOW = BigInt(HARNESS_NOW_MS);

async function createTopic(h: Harness, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> {
  const response = await h.call(ApiKey.CreateTopics, 7, {
    topics: [{ name: name as never, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(response.topics[0].errorCode).toBe(0);
  await h.settled();
}

/** Produces one batch whose records carry these timestamps; returns its base offset. */
async function produce(h: Harness, topic: string, timestamps: bigint[], partition = 0): Promise<bigint> {
  const request: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [
      {
        name: topic as never,
        partitionData: [{ index: partition, records: buildRecordBatch({ records: timestamps.map((timestamp, i) => ({ timestamp, key: null, value: Buffer.from(`v${i}`) })) }) }],
      },
    ],
  };
  const response = await h.call(ApiKey.Produce, 9, request);
  expect(response.responses[0].partitionResponses[0].errorCode).toBe(0);
  return response.responses[0].partitionResponses[0].baseOffset;
}

function listOffsets(topic: string, partitions: Partial<ListOffsetsRequest.ListOffsetsPartition>[], options: { replicaId?: number; isolationLevel?: number } = {}): ListOffsetsRequest {
  return {
    replicaId: (options.replicaId ?? -1) as never,
    isolationLevel: options.isolationLevel ?? 0,
    topics: [{ name: topic as never, partitions: partitions.map((p) => ({ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1, ...p })) }],
  };
}

const found = (partitionIndex: number, offset: bigint, timestamp = -1n, leaderEpoch = 0) => ({ partitionIndex, errorCode: 0, oldStyleOffsets: [], timestamp, offset, leaderEpoch });
const failed = (partitionIndex: number, errorCode: number) => ({ partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 });

let h: Harness;
beforeEach(async () => {
  h = await openHarness();
});
afterEach(async () => {
  await h.close();
});

describe('ListOffsets', () => {
  test('earliest, latest, max timestamp and by time (v9), as Kafka answers them', async () => {
    await createTopic(h, 't');
    await produce(h, 't', [NOW - 300n, NOW - 200n]);
    await produce(h, 't', [NOW - 100n, NOW - 500n, NOW - 50n]);
    const ask = async (timestamp: bigint) => (await h.call(ApiKey.ListOffsets, 9, listOffsets('t', [{ timestamp }]))).topics[0].partitions[0];
    expect(await ask(-2n)).toEqual(found(0, 0n));
    expect(await ask(-1n)).toEqual(found(0, 5n));
    expect(await ask(-3n)).toEqual(found(0, 4n, NOW - 50n));
    expect(await ask(NOW - 250n)).toEqual(found(0, 1n, NOW - 200n));
    expect(await ask(NOW - 60n)).toEqual(found(0, 4n, NOW - 50n));
    // Nothing that late: offset and timestamp -1, no error.
    expect(await ask(NOW)).toEqual({ ...found(0, -1n), leaderEpoch: -1 });
    expect(await ask(-4n)).toEqual(found(0, 0n));
    expect(await ask(-5n)).toEqual({ ...found(0, -1n), leaderEpoch: -1 });
    const whole = await h.call(ApiKey.ListOffsets, 9, listOffsets('t', [{ timestamp: -1n }]));
    expect(whole).toEqual({ throttleTimeMs: 0, topics: [{ name: 't', partitions: [found(0, 5n)] }] });
  });

  test('a partition named twice is INVALID_REQUEST; special timestamps newer than the version are UNSUPPORTED_VERSION', async () => {
    await createTopic(h, 't', 2);
    const duplicate = await h.call(ApiKey.ListOffsets, 5, listOffsets('t', [{ partitionIndex: 0 }, { partitionIndex: 0 }, { partitionIndex: 1 }]));
    expect(duplicate.topics[0].partitions).toEqual([failed(0, ErrorCode.INVALID_REQUEST), failed(0, ErrorCode.INVALID_REQUEST), found(1, 0n)]);
    const old = await h.call(ApiKey.ListOffsets, 6, listOffsets('t', [{ timestamp: -3n }, { partitionIndex: 1, timestamp: -4n }]));
    expect(old.topics[0].partitions).toEqual([failed(0, ErrorCode.UNSUPPORTED_VERSION), failed(1, ErrorCode.UNSUPPORTED_VERSION)]);
  });

  test('unknown topics and partitions, and a stale or future leader epoch', async () => {
    await createTopic(h, 't');
    const response = await h.call(ApiKey.ListOffsets, 7, {
      replicaId: -1 as never,
      isolationLevel: 0,
      topics: [
        { name: 'missing' as never, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] },
        {
          name: 't' as never,
          partitions: [
            { partitionIndex: 3, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 },
            { partitionIndex: 0, currentLeaderEpoch: 1, timestamp: -1n, maxNumOffsets: 1 },
          ],
        },
      ],
    });
    expect(response.topics).toEqual([
      { name: 'missing', partitions: [failed(0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)] },
      { name: 't', partitions: [failed(3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), failed(0, ErrorCode.UNKNOWN_LEADER_EPOCH)] },
    ]);
    const current = await h.call(ApiKey.ListOffsets, 7, listOffsets('t', [{ currentLeaderEpoch: 0, timestamp: -2n }]));
    expect(current.topics[0].partitions).toEqual([found(0, 0n)]);
  });

  test('v1-v3 carry no leader epoch; v0 answers max_num_offsets offsets, newest first', async () => {
    await createTopic(h, 't', 1, { 'segment.bytes': '200' });
    for (let i = 0; i < 8; i++) await produce(h, 't', [NOW, NOW, NOW]);
    const log = h.logs.partition('t', 0)!;
    const bases = log.allSegments().map((segment) => segment.baseOffset);
    expect(bases.length).toBeGreaterThan(2);
    const v1 = await h.call(ApiKey.ListOffsets, 1, listOffsets('t', [{ timestamp: -1n }]));
    expect(v1.topics[0].partitions).toEqual([{ ...found(0, 24n), leaderEpoch: -1 }]);

    const v0 = await h.call(ApiKey.ListOffsets, 0, listOffsets('t', [{ timestamp: -1n, maxNumOffsets: 100 }, { timestamp: -2n, maxNumOffsets: 5 }, { timestamp: -3n }]));
    const expectedLatest = [24n, ...[...bases].reverse()];
    expect(v0.topics[0].partitions).toEqual([
      { ...failed(0, 0), oldStyleOffsets: expectedLatest },
      { ...failed(0, 0), oldStyleOffsets: [0n] },
      failed(0, ErrorCode.UNSUPPORTED_VERSION),
    ]);
    const limited = await h.call(ApiKey.ListOffsets, 0, listOffsets('t', [{ timestamp: -1n, maxNumOffsets: 2 }]));
    expect(limited.topics[0].partitions[0].oldStyleOffsets).toEqual(expectedLatest.slice(0, 2));
  });
});

describe('DeleteRecords', () => {
  test('moves the log start offset; -1 is the high watermark; ListOffsets earliest follows', async () => {
    await createTopic(h, 't', 2);
    await produce(h, 't', [NOW, NOW, NOW, NOW]);
    await produce(h, 't', [NOW, NOW], 1);
    const response = await h.call(ApiKey.DeleteRecords, 2, {
      topics: [
        { name: 't' as never, partitions: [{ partitionIndex: 0, offset: 3n }, { partitionIndex: 1, offset: -1n }] },
        { name: 'missing' as never, partitions: [{ partitionIndex: 0, offset: 1n }] },
      ],
      timeoutMs: 1000,
    });
    expect(response).toEqual({
      throttleTimeMs: 0,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, lowWatermark: 3n, errorCode: 0 }, { partitionIndex: 1, lowWatermark: 2n, errorCode: 0 }] },
        { name: 'missing', partitions: [{ partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });
    const earliest = await h.call(ApiKey.ListOffsets, 9, listOffsets('t', [{ timestamp: -2n }]));
    // The epoch cache is trimmed to the new start, so its first epoch still names it.
    expect(earliest.topics[0].partitions).toEqual([found(0, 3n)]);
    // An offset below the start changes nothing and answers the start.
    const again = await h.call(ApiKey.DeleteRecords, 0, { topics: [{ name: 't' as never, partitions: [{ partitionIndex: 0, offset: 1n }] }], timeoutMs: 1000 });
    expect(again.topics[0].partitions).toEqual([{ partitionIndex: 0, lowWatermark: 3n, errorCode: 0 }]);
  });

  test('beyond the high watermark or negative: OFFSET_OUT_OF_RANGE; compacted topics: POLICY_VIOLATION', async () => {
    await createTopic(h, 't');
    await createTopic(h, 'c', 1, { 'cleanup.policy': 'compact' });
    await produce(h, 't', [NOW, NOW]);
    const response = await h.call(ApiKey.DeleteRecords, 1, {
      topics: [
        { name: 't' as never, partitions: [{ partitionIndex: 0, offset: 3n }, { partitionIndex: 0, offset: -7n }] },
        { name: 'c' as never, partitions: [{ partitionIndex: 0, offset: 0n }] },
      ],
      timeoutMs: 1000,
    });
    expect(response.topics).toEqual([
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE },
          { partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE },
        ],
      },
      { name: 'c', partitions: [{ partitionIndex: 0, lowWatermark: -1n, errorCode: ErrorCode.POLICY_VIOLATION }] },
    ]);
  });
});

describe('OffsetForLeaderEpoch', () => {
  test('the current epoch ends at the log end; unknown, undefined and newer epochs as Kafka answers them', async () => {
    await createTopic(h, 't');
    await produce(h, 't', [NOW, NOW, NOW]);
    const log = h.logs.partition('t', 0)!;
    const request = (leaderEpoch: number, currentLeaderEpoch = -1) => ({ partition: 0, currentLeaderEpoch, leaderEpoch });
    const response = await h.call(ApiKey.OffsetForLeaderEpoch, 4, {
      replicaId: -1 as never,
      topics: [
        { topic: 't' as never, partitions: [request(0), request(-1), request(5), request(0, 3)] },
        { topic: 'missing' as never, partitions: [request(0)] },
      ],
    });
    expect(response).toEqual({
      throttleTimeMs: 0,
      topics: [
        {
          topic: 't',
          partitions: [
            { errorCode: 0, partition: 0, leaderEpoch: 0, endOffset: 3n },
            { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1n },
            { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: -1n },
            { errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, partition: 0, leaderEpoch: -1, endOffset: -1n },
          ],
        },
        { topic: 'missing', partitions: [{ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, partition: 0, leaderEpoch: -1, endOffset: -1n }] },
      ],
    });
    // With a history of epochs: between two, below all of them.
    log.leaderEpochCache.assign(3, 3n);
    log.append(buildRecordBatch({ records: [{ timestamp: NOW, key: null, value: null }] }), { leaderEpoch: 3 });
    const history = await h.call(ApiKey.OffsetForLeaderEpoch, 3, { replicaId: -1 as never, topics: [{ topic: 't' as never, partitions: [request(0), request(2), request(3)] }] });
    expect(history.topics[0].partitions.map((p) => [p.leaderEpoch, p.endOffset])).toEqual([
      [0, 3n],
      [0, 3n],
      [3, 4n],
    ]);
    log.deleteRecordsBefore(4n);
    const trimmed = await h.call(ApiKey.OffsetForLeaderEpoch, 3, { replicaId: -1 as never, topics: [{ topic: 't' as never, partitions: [request(1)] }] });
    expect(trimmed.topics[0].partitions.map((p) => [p.leaderEpoch, p.endOffset])).toEqual([[1, 4n]]);
  });
});

describe('DescribeLogDirs', () => {
  test('every dir with its topics, sizes and the file system space (v4)', async () => {
    await createTopic(h, 'a', 2);
    await createTopic(h, 'b', 1);
    await produce(h, 'a', [NOW, NOW], 1);
    const size = (topic: string, partition: number) => BigInt(h.logs.partition(topic, partition)!.sizeInBytes);
    const all = await h.call(ApiKey.DescribeLogDirs, 4, { topics: null });
    expect(all.errorCode).toBe(0);
    expect(all.results).toHaveLength(1);
    const [dir] = all.results;
    expect(dir.logDir).toBe(fs.realpathSync(h.dir) === h.dir ? h.dir : path.resolve(h.dir));
    expect(dir.totalBytes).toBeGreaterThan(0n);
    expect(dir.usableBytes).toBeGreaterThan(0n);
    expect(dir.usableBytes).toBeLessThanOrEqual(dir.totalBytes);
    expect(dir.topics).toEqual([
      {
        name: 'a',
        partitions: [
          { partitionIndex: 0, partitionSize: 0n, offsetLag: 0n, isFutureKey: false },
          { partitionIndex: 1, partitionSize: size('a', 1), offsetLag: 0n, isFutureKey: false },
        ],
      },
      { name: 'b', partitions: [{ partitionIndex: 0, partitionSize: 0n, offsetLag: 0n, isFutureKey: false }] },
    ]);
    expect(size('a', 1)).toBeGreaterThan(0n);

    // Asking for some partitions lists only those, and no topic without one (as Kafka 3.9 does).
    const some = await h.call(ApiKey.DescribeLogDirs, 1, { topics: [{ topic: 'a' as never, partitions: [1, 5] }, { topic: 'c' as never, partitions: [0] }] });
    expect(some.results[0].topics).toEqual([{ name: 'a', partitions: [{ partitionIndex: 1, partitionSize: size('a', 1), offsetLag: 0n, isFutureKey: false }] }]);
    // Before v4 the space fields are absent and decode as -1.
    expect(some.results[0].totalBytes).toBe(-1n);
  });
});
