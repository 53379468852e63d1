/**
 * Produce with idempotent and transactional batches through the handler into real storage, and DescribeProducers
 * over what was written: whole partition responses as a client decodes them.
 */
import { ApiKey, ControlRecordType, ErrorCode, ProduceRequest, ProduceResponse, buildControlBatch, buildRecordBatch } from '@tributary/protocol';
import { AppendOrigin } from '@tributary/storage';
import { HARNESS_NOW_MS, Harness, openHarness } from './harness';

// These tests drive storage's producer state with hand-made producers and WriteTxnMarkers, not through a
// transaction coordinator, so KIP-890's check with the coordinator is off (as Kafka's own tests of the log do).
const WITHOUT_VERIFICATION = { 'transaction.partition.verification.enable': 'false' };

const NOW = BigInt(HARNESS_NOW_MS);
const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

function batch(producerId: bigint, epoch: number, sequence: number, count = 1, transactional = false): Buffer {
  return buildRecordBatch({
    producerId,
    producerEpoch: epoch,
    baseSequence: sequence,
    isTransactional: transactional,
    records: Array.from({ length: count }, (_, i) => ({ timestamp: NOW - 100n + BigInt(i), key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) })),
  });
}

function produce(topic: string, records: Buffer, transactionalId: string | null = null, partition = 0): ProduceRequest {
  return { transactionalId: transactionalId as never, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic as never, partitionData: [{ index: partition, records }] }] };
}

function only(response: ProduceResponse): ProduceResponse.PartitionProduceResponse {
  return response.responses[0].partitionResponses[0];
}

function answer(fields: Partial<ProduceResponse.PartitionProduceResponse> & { errorCode: number }): ProduceResponse.PartitionProduceResponse {
  return { index: 0, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null, currentLeader: NO_LEADER as never, ...fields };
}

async function createTopic(h: Harness, name: string, partitions = 1): Promise<void> {
  const response = await h.call(ApiKey.CreateTopics, 7, {
    topics: [{ name: name as never, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(response.topics[0].errorCode).toBe(0);
  await h.settled();
}

let h: Harness;
beforeEach(async () => {
  h = await openHarness(WITHOUT_VERIFICATION);
  await createTopic(h, 'events', 2);
});
afterEach(async () => {
  await h.close();
});

test('a retried idempotent batch is answered with its original offset and max timestamp, and stored once', async () => {
  expect(only(await h.call(ApiKey.Produce, 11, produce('events', batch(5n, 0, 0, 3))))).toEqual(answer({ errorCode: 0, baseOffset: 0n, logStartOffset: 0n }));
  expect(only(await h.call(ApiKey.Produce, 11, produce('events', batch(5n, 0, 3, 2))))).toEqual(answer({ errorCode: 0, baseOffset: 3n, logStartOffset: 0n }));
  // The retry of the first batch: Kafka's duplicate path answers the original base offset, with the batch's
  // max timestamp in logAppendTime.
  expect(only(await h.call(ApiKey.Produce, 11, produce('events', batch(5n, 0, 0, 3))))).toEqual(
    answer({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: NOW - 98n, logStartOffset: 0n }),
  );
  expect(h.logs.partition('events', 0)!.logEndOffset).toBe(5n);
});

test('a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER and an older epoch INVALID_PRODUCER_EPOCH, with the log start offset and no message', async () => {
  await h.call(ApiKey.Produce, 11, produce('events', batch(5n, 2, 0, 2)));
  expect(only(await h.call(ApiKey.Produce, 11, produce('events', batch(5n, 2, 3))))).toEqual(
    answer({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, logStartOffset: 0n }),
  );
  expect(only(await h.call(ApiKey.Produce, 8, produce('events', batch(5n, 1, 2))))).toEqual(
    answer({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, logStartOffset: 0n }),
  );
  expect(h.logs.partition('events', 0)!.logEndOffset).toBe(2n);
});

test('a plain batch from a producer inside a transaction is INVALID_TXN_STATE; the transaction holds the LSO', async () => {
  expect(only(await h.call(ApiKey.Produce, 11, produce('events', batch(9n, 0, 0, 2, true), 'txn-a')))).toMatchObject({ errorCode: 0, baseOffset: 0n });
  const log = h.logs.partition('events', 0)!;
  expect(log.lastStableOffset).toBe(0n);
  expect(only(await h.call(ApiKey.Produce, 11, produce('events', batch(9n, 0, 2))))).toEqual(answer({ errorCode: ErrorCode.INVALID_TXN_STATE, logStartOffset: 0n }));
  h.logs.append(log, buildControlBatch({ type: ControlRecordType.Commit, producerId: 9n, producerEpoch: 0, coordinatorEpoch: 0, timestamp: NOW }), {
    origin: AppendOrigin.Coordinator,
  });
  expect(log.lastStableOffset).toBe(3n);
});

test('DescribeProducers lists every producer of a partition after writes', async () => {
  await h.call(ApiKey.Produce, 11, produce('events', batch(5n, 0, 0, 3)));
  await h.call(ApiKey.Produce, 11, produce('events', batch(7n, 4, 0, 1, true), 'txn-b'));
  const response = await h.call(ApiKey.DescribeProducers, 0, { topics: [{ name: 'events' as never, partitionIndexes: [0, 1] }] });
  expect(response.throttleTimeMs).toBe(0);
  const [p0, p1] = response.topics[0].partitions;
  expect(p0.errorCode).toBe(0);
  expect(p0.errorMessage).toBeNull();
  expect([...p0.activeProducers].sort((a, b) => Number(a.producerId - b.producerId))).toEqual([
    { producerId: 5n, producerEpoch: 0, lastSequence: 2, lastTimestamp: NOW - 98n, coordinatorEpoch: -1, currentTxnStartOffset: -1n },
    { producerId: 7n, producerEpoch: 4, lastSequence: 0, lastTimestamp: NOW - 100n, coordinatorEpoch: -1, currentTxnStartOffset: 3n },
  ]);
  expect(p1).toEqual({ partitionIndex: 1, errorCode: 0, errorMessage: null, activeProducers: [] });
});

test('DescribeProducers answers Kafka errors for unknown topics and partitions and illegal names', async () => {
  const response = await h.call(ApiKey.DescribeProducers, 0, {
    topics: [
      { name: 'nope' as never, partitionIndexes: [0, 3] },
      { name: 'events' as never, partitionIndexes: [7] },
      { name: 'bad/name' as never, partitionIndexes: [0] },
    ],
  });
  expect(response.topics).toEqual([
    {
      name: 'nope',
      partitions: [0, 3].map((partitionIndex) => ({
        partitionIndex,
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: 'This server does not host this topic-partition.',
        activeProducers: [],
      })),
    },
    { name: 'events', partitions: [{ partitionIndex: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] }] },
    {
      name: 'bad/name',
      partitions: [
        {
          partitionIndex: 0,
          errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
          errorMessage: "Topic name is invalid: 'bad/name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'",
          activeProducers: [],
        },
      ],
    },
  ]);
});

test('a batch with a producer id but no sequence is INVALID_RECORD; a negative id other than -1 is not checked, as in Kafka', async () => {
  expect(only(await h.call(ApiKey.Produce, 11, produce('events', batch(5n, 0, -1))))).toEqual(answer({ errorCode: ErrorCode.INVALID_RECORD, logStartOffset: 0n }));
  expect(only(await h.call(ApiKey.Produce, 11, produce('events', batch(-2n, 0, -1))))).toEqual(answer({ errorCode: 0, baseOffset: 0n, logStartOffset: 0n }));
  expect(h.logs.partition('events', 0)!.activeProducers()).toEqual([]);
});
