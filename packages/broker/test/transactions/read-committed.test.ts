/**
 * Fetch with isolation READ_COMMITTED over real transactions: transactional batches produced through the Produce
 * handler, markers written through WriteTxnMarkers. As Kafka answers: the read stops at the last stable offset
 * (the first offset of the oldest open transaction), the answer lists the aborted transactions that overlap
 * what it returns, a read_uncommitted reader gets everything up to the high watermark with no list, and a
 * read_committed long poll parked at the LSO wakes when the marker moves it.
 */
import { ApiKey, ErrorCode, FetchRequest, ProducerId, RecordBatch, TopicName, TransactionalId, asBrokerId, buildRecordBatch, iterateRecordSet } from '@tributary/protocol';
import { Harness, createTopic, fetchRequest as consumerFetch, openHarness } from '../harness';

// These tests drive storage's producer state with hand-made producers and WriteTxnMarkers, not through a
// transaction coordinator, so KIP-890's check with the coordinator is off (as Kafka's own tests of the log do).
const WITHOUT_VERIFICATION = { 'transaction.partition.verification.enable': 'false' };

const READ_COMMITTED = 1;
let h: Harness;
afterEach(async () => h?.close());

/** Produces one batch of `count` records; transactional when a producer is given. Returns its base offset. */
async function produce(count: number, producer?: { id: bigint; sequence: number }): Promise<bigint> {
  const records = buildRecordBatch({
    isTransactional: producer !== undefined,
    producerId: producer?.id ?? -1n,
    producerEpoch: producer === undefined ? -1 : 0,
    baseSequence: producer?.sequence ?? -1,
    records: Array.from({ length: count }, (_, i) => ({ timestamp: 1_700_000_000_000n, key: null, value: Buffer.from(`v${i}`) })),
  });
  const response = await h.call(ApiKey.Produce, 9, {
    transactionalId: producer === undefined ? null : (`tx-${producer.id}` as TransactionalId),
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 't' as TopicName, partitionData: [{ index: 0, records }] }],
  });
  const partition = response.responses[0]!.partitionResponses[0]!;
  expect(partition.errorCode).toBe(ErrorCode.NONE);
  return partition.baseOffset;
}

async function endTxn(producerId: bigint, commit: boolean): Promise<void> {
  const response = await h.call(ApiKey.WriteTxnMarkers, 1, {
    markers: [{ producerId: producerId as ProducerId, producerEpoch: 0, transactionResult: commit, coordinatorEpoch: 0, topics: [{ name: 't' as TopicName, partitionIndexes: [0] }] }],
  });
  expect(response.markers[0]!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
}

function fetchRequest(isolationLevel: number, fields: Partial<FetchRequest> = {}, fetchOffset = 0n): FetchRequest {
  return consumerFetch([{ topic: 't', partitions: [{ fetchOffset }] }], { isolationLevel, ...fields });
}

/** The answer's partition, with its batches summarized as `base-last` (`c` for a control batch). */
async function fetched(isolationLevel: number, fields: Partial<FetchRequest> = {}, fetchOffset = 0n) {
  const response = await h.call(ApiKey.Fetch, 12, fetchRequest(isolationLevel, fields, fetchOffset));
  const partition = response.responses[0]!.partitions[0]!;
  const batches = [...iterateRecordSet(partition.records ?? Buffer.alloc(0))].map((entry) => {
    const header = new RecordBatch(entry.bytes).validate();
    return `${header.isControl ? 'c' : ''}${header.baseOffset}-${header.baseOffset + BigInt(header.lastOffsetDelta)}`;
  });
  return {
    errorCode: partition.errorCode,
    highWatermark: partition.highWatermark,
    lastStableOffset: partition.lastStableOffset,
    abortedTransactions: partition.abortedTransactions?.map((txn) => `${txn.producerId}@${txn.firstOffset}`) ?? null,
    batches,
  };
}

async function latestOffset(isolationLevel: number): Promise<bigint> {
  const response = await h.call(ApiKey.ListOffsets, 7, {
    replicaId: asBrokerId(-1),
    isolationLevel,
    topics: [{ name: 't' as TopicName, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
  });
  const partition = response.topics[0]!.partitions[0]!;
  expect(partition.errorCode).toBe(ErrorCode.NONE);
  return partition.offset;
}

test('the read stops at the LSO while a transaction is open; an ABORT lists it, a COMMIT releases the rest', async () => {
  h = await openHarness(WITHOUT_VERIFICATION);
  await createTopic(h, 't');
  expect(await produce(2)).toBe(0n); // 0-1, plain
  expect(await produce(2, { id: 100n, sequence: 0 })).toBe(2n); // 2-3, producer 100
  expect(await produce(2, { id: 200n, sequence: 0 })).toBe(4n); // 4-5, producer 200
  expect(await produce(1, { id: 100n, sequence: 2 })).toBe(6n); // 6, producer 100 again

  // Both transactions open: the LSO is the first offset of the oldest, 2.
  expect(await fetched(READ_COMMITTED)).toEqual({ errorCode: 0, highWatermark: 7n, lastStableOffset: 2n, abortedTransactions: [], batches: ['0-1'] });
  // read_uncommitted reads to the high watermark, and is told the LSO too.
  expect(await fetched(0)).toEqual({ errorCode: 0, highWatermark: 7n, lastStableOffset: 2n, abortedTransactions: null, batches: ['0-1', '2-3', '4-5', '6-6'] });

  // ListOffsets' latest offset is the LSO for read_committed consumers, the high watermark for the others.
  expect(await latestOffset(READ_COMMITTED)).toBe(2n);
  expect(await latestOffset(0)).toBe(7n);

  // Producer 100 aborts (marker at 7): the LSO moves to producer 200's first offset.
  await endTxn(100n, false);
  expect(await fetched(READ_COMMITTED)).toEqual({ errorCode: 0, highWatermark: 8n, lastStableOffset: 4n, abortedTransactions: ['100@2'], batches: ['0-1', '2-3'] });

  // Producer 200 commits (marker at 8): everything is stable; the aborted transaction is still listed for a
  // reader starting before its end, and not for one starting after it.
  await endTxn(200n, true);
  expect(await latestOffset(READ_COMMITTED)).toBe(9n);
  expect(await fetched(READ_COMMITTED)).toEqual({
    errorCode: 0,
    highWatermark: 9n,
    lastStableOffset: 9n,
    abortedTransactions: ['100@2'],
    batches: ['0-1', '2-3', '4-5', '6-6', 'c7-7', 'c8-8'],
  });
  expect((await fetched(READ_COMMITTED, {}, 8n)).abortedTransactions).toEqual([]);
  expect((await fetched(READ_COMMITTED, {}, 8n)).batches).toEqual(['c8-8']);
});

test('a read_committed long poll at the LSO waits for the marker, not for the open transaction\'s records', async () => {
  h = await openHarness(WITHOUT_VERIFICATION);
  await createTopic(h, 't');
  await produce(1, { id: 300n, sequence: 0 }); // 0, open
  const waiting = fetched(READ_COMMITTED, { maxWaitMs: 5_000, minBytes: 1 });
  await produce(1, { id: 300n, sequence: 1 }); // 1, same open transaction: nothing stable yet
  await new Promise((resolve) => setTimeout(resolve, 20));
  let answered = false;
  void waiting.then(() => (answered = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(answered).toBe(false);
  await endTxn(300n, true);
  expect(await waiting).toEqual({ errorCode: 0, highWatermark: 3n, lastStableOffset: 3n, abortedTransactions: [], batches: ['0-0', '1-1', 'c2-2'] });
});

test('a small read of a transaction\'s first records is told it aborted, though its marker is segments later', async () => {
  h = await openHarness(WITHOUT_VERIFICATION);
  await createTopic(h, 't', 1, new Map([['segment.bytes', '1024']]));
  expect(await produce(1, { id: 500n, sequence: 0 })).toBe(0n);
  for (let i = 0; i < 30; i++) await produce(1);
  await endTxn(500n, false); // the marker, at offset 31
  expect(h.logs.partition('t', 0)!.allSegments().length).toBeGreaterThan(2);
  const response = await h.call(ApiKey.Fetch, 12, fetchRequest(READ_COMMITTED, { maxBytes: 100 }));
  const partition = response.responses[0]!.partitions[0]!;
  expect([...iterateRecordSet(partition.records!)].length).toBe(1);
  expect(partition.abortedTransactions).toEqual([{ producerId: 500n, firstOffset: 0n }]);
});
