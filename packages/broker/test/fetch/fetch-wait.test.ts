/**
 * A waiting Fetch ends only when what it may read reaches min bytes (or its wait ends), as Kafka's DelayedFetch
 * completes: an append that leaves it short keeps it waiting.
 */
import { ApiKey, ErrorCode, TopicName, ZERO_UUID, asBrokerId, buildRecordBatch } from '@tributary/protocol';
import { Harness, openHarness } from '../harness';

let h: Harness;
afterEach(async () => h?.close());

const batch = (valueBytes: number) => buildRecordBatch({ records: [{ timestamp: 1_700_000_000_000n, key: null, value: Buffer.alloc(valueBytes, 1) }] });

test('an append below min bytes does not answer a waiting fetch; the one that reaches it does', async () => {
  h = await openHarness();
  const created = await h.metadata.createTopic({ name: 't', numPartitions: 1, replicationFactor: 1, assignments: [], configs: new Map() }, { validateOnly: false });
  expect(created.errorCode).toBe(ErrorCode.NONE);
  await h.settled();
  const log = h.logs.partition('t', 0)!;
  let answered = false;
  const waiting = h
    .call(ApiKey.Fetch, 12, {
      clusterId: null,
      replicaId: asBrokerId(-1),
      replicaState: { replicaId: asBrokerId(-1), replicaEpoch: -1n },
      maxWaitMs: 10_000,
      minBytes: 1000,
      maxBytes: 52428800,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 't' as TopicName,
          topicId: ZERO_UUID,
          partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1048576, replicaDirectoryId: ZERO_UUID }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    })
    .then((response) => {
      answered = true;
      return response;
    });
  await new Promise((resolve) => setImmediate(resolve));
  h.logs.append(log, batch(100)); // ~170 bytes: short of 1000
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(answered).toBe(false);
  h.logs.append(log, batch(1000));
  const response = await waiting;
  const partition = response.responses[0]!.partitions[0]!;
  expect(partition.highWatermark).toBe(2n);
  expect(partition.records!.length).toBeGreaterThanOrEqual(1000);
});
