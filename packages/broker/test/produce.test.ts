/**
 * Produce through the handler into real storage in a temp dir: whole responses as a client decodes them, and
 * what reached the log.
 */
import {
  ApiKey,
  CompressionType,
  ErrorCode,
  ProduceRequest,
  ProduceResponse,
  TimestampType,
  buildLegacyMessageSet,
  buildRecordBatch,
  decodeBatchRecords,
  encodeRequestFrame,
  iterateRecordSet,
  readBatchHeader,
} from '@tributary/protocol';
import { HARNESS_NOW_MS, Harness, openHarness } from './harness';

// These tests drive storage's producer state with hand-made producers and WriteTxnMarkers, not through a
// transaction coordinator, so KIP-890's check with the coordinator is off (as Kafka's own tests of the log do).
const WITHOUT_VERIFICATION = { 'transaction.partition.verification.enable': 'false' };

const NOW = BigInt(HARNESS_NOW_MS);
const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

function batch(count: number, options: { compression?: CompressionType; key?: (i: number) => Buffer | null; timestamp?: (i: number) => bigint; producerId?: bigint; transactional?: boolean } = {}): Buffer {
  return buildRecordBatch({
    compression: options.compression,
    producerId: options.producerId,
    producerEpoch: options.producerId !== undefined ? 0 : undefined,
    baseSequence: options.producerId !== undefined ? 0 : undefined,
    isTransactional: options.transactional,
    records: Array.from({ length: count }, (_, i) => ({
      timestamp: options.timestamp ? options.timestamp(i) : NOW - 1000n + BigInt(i),
      key: options.key ? options.key(i) : Buffer.from(`k${i}`),
      value: Buffer.from(`value-${i}`),
      headers: [{ key: 'h', value: Buffer.from(String(i)) }],
    })),
  });
}

function produce(topic: string, records: Buffer | null, partition = 0, acks = -1, transactionalId: string | null = null): ProduceRequest {
  return { transactionalId: transactionalId as never, acks, timeoutMs: 30_000, topicData: [{ name: topic as never, partitionData: [{ index: partition, records }] }] };
}

function partitionResponse(fields: Partial<ProduceResponse.PartitionProduceResponse> & { errorCode: number }): ProduceResponse.PartitionProduceResponse {
  return { index: 0, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null, currentLeader: NO_LEADER as never, ...fields };
}

function only(response: ProduceResponse): ProduceResponse.PartitionProduceResponse {
  return response.responses[0].partitionResponses[0];
}

async function createTopic(h: Harness, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> {
  const response = await h.call(ApiKey.CreateTopics, 7, {
    topics: [{ name: name as never, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(response.topics[0].errorCode).toBe(0);
  await h.settled();
}

function readAll(h: Harness, topic: string, partition = 0): Buffer {
  return h.logs.partition(topic, partition)!.read(0n, 100 * 1024 * 1024).records;
}

let h: Harness;
beforeEach(async () => {
  h = await openHarness(WITHOUT_VERIFICATION);
});
afterEach(async () => {
  await h.close();
});

test('a batch is appended at the log end and answered with its base offset, as Kafka answers v11', async () => {
  await createTopic(h, 'orders', 2);
  const first = await h.call(ApiKey.Produce, 11, produce('orders', batch(3), 1));
  expect(first).toEqual({
    responses: [{ name: 'orders', partitionResponses: [partitionResponse({ index: 1, errorCode: 0, baseOffset: 0n, logStartOffset: 0n })] }],
    throttleTimeMs: 0,
    nodeEndpoints: [],
  });
  const second = await h.call(ApiKey.Produce, 11, produce('orders', batch(2, { compression: CompressionType.Lz4 }), 1));
  expect(only(second)).toEqual(partitionResponse({ index: 1, errorCode: 0, baseOffset: 3n, logStartOffset: 0n }));

  const log = h.logs.partition('orders', 1)!;
  expect(log.logEndOffset).toBe(5n);
  const stored = [...iterateRecordSet(readAll(h, 'orders', 1))];
  expect(stored.map((entry) => readBatchHeader(entry.bytes).baseOffset)).toEqual([0n, 3n]);
  // The partition's leader epoch is stamped on every batch, and the records are the producer's.
  expect(stored.map((entry) => readBatchHeader(entry.bytes).partitionLeaderEpoch)).toEqual([0, 0]);
  const records = decodeBatchRecords(stored[1].bytes);
  expect(records.map((r) => [r.key?.toString(), r.value?.toString(), r.headers[0].value?.toString()])).toEqual([
    ['k0', 'value-0', '0'],
    ['k1', 'value-1', '1'],
  ]);
});

test('every response version encodes the same answer (v0-v11)', async () => {
  await createTopic(h, 't');
  for (let version = 0; version <= 11; version++) {
    const response = await h.call(ApiKey.Produce, version, produce('t', batch(1, { compression: version >= 7 ? CompressionType.Zstd : CompressionType.None })));
    expect(only(response)).toEqual(
      // Fields a version lacks decode as their defaults (-1).
      partitionResponse({ errorCode: 0, baseOffset: BigInt(version), logStartOffset: version >= 5 ? 0n : -1n }),
    );
  }
});

test('unknown topics and partitions, and acks Kafka does not know, are answered per partition as Kafka does', async () => {
  await createTopic(h, 't');
  const response = await h.call(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: 2,
    timeoutMs: 1000,
    topicData: [
      { name: 'missing' as never, partitionData: [{ index: 0, records: batch(1) }] },
      { name: 't' as never, partitionData: [{ index: 7, records: batch(1) }, { index: 0, records: batch(1) }] },
    ],
  });
  expect(response.responses).toEqual([
    { name: 'missing', partitionResponses: [partitionResponse({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })] },
    {
      name: 't',
      partitionResponses: [
        partitionResponse({ index: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }),
        partitionResponse({ errorCode: ErrorCode.INVALID_REQUIRED_ACKS }),
      ],
    },
  ]);
  expect(h.logs.partition('t', 0)!.logEndOffset).toBe(0n);
  // Produce never creates topics, whatever auto.create.topics.enable says (Kafka 3.x creates from Metadata only).
  expect(h.metadata.topic('missing')).toBeUndefined();
});

test('a batch with a bad CRC is CORRUPT_MESSAGE and nothing is written; the next good batch goes on', async () => {
  await createTopic(h, 't');
  const bad = batch(2);
  bad[bad.length - 1] ^= 0xff;
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', bad)))).toEqual(partitionResponse({ errorCode: ErrorCode.CORRUPT_MESSAGE }));
  expect(h.logs.partition('t', 0)!.logEndOffset).toBe(0n);
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', batch(2))))).toEqual(partitionResponse({ errorCode: 0, baseOffset: 0n, logStartOffset: 0n }));
});

test('request-version rules: one batch of magic 2 from v3, zstd from v7', async () => {
  await createTopic(h, 't');
  const two = Buffer.concat([batch(1), batch(1)]);
  expect(only(await h.call(ApiKey.Produce, 3, produce('t', two))).errorCode).toBe(ErrorCode.INVALID_RECORD);
  const legacy = buildLegacyMessageSet({ magic: 1, records: [{ timestamp: NOW, key: null, value: Buffer.from('x') }] });
  expect(only(await h.call(ApiKey.Produce, 3, produce('t', legacy))).errorCode).toBe(ErrorCode.INVALID_RECORD);
  expect(only(await h.call(ApiKey.Produce, 6, produce('t', batch(1, { compression: CompressionType.Zstd })))).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  expect(only(await h.call(ApiKey.Produce, 3, produce('t', Buffer.alloc(0)))).errorCode).toBe(ErrorCode.INVALID_RECORD);
  // Before v3 several batches are fine, as Kafka keeps accepting them from old clients.
  expect(only(await h.call(ApiKey.Produce, 2, produce('t', two)))).toEqual(partitionResponse({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n }));
  expect(h.logs.partition('t', 0)!.logEndOffset).toBe(2n);
});

test('batch rules: a non-zero base offset, a producer id without a sequence, a control batch', async () => {
  await createTopic(h, 't');
  const shifted = buildRecordBatch({ baseOffset: 5n, records: [{ timestamp: NOW, key: null, value: Buffer.from('x') }] });
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', shifted)))).toEqual(partitionResponse({ errorCode: ErrorCode.INVALID_RECORD, logStartOffset: 0n }));
  const noSequence = buildRecordBatch({ producerId: 7n, producerEpoch: 0, baseSequence: -1, records: [{ timestamp: NOW, key: null, value: Buffer.from('x') }] });
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', noSequence))).errorCode).toBe(ErrorCode.INVALID_RECORD);
  const control = buildRecordBatch({ isControl: true, isTransactional: true, producerId: 7n, producerEpoch: 0, baseSequence: 0, records: [{ timestamp: NOW, key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }] });
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', control, 0, -1, 'txn'))).errorCode).toBe(ErrorCode.INVALID_RECORD);
  expect(h.logs.partition('t', 0)!.logEndOffset).toBe(0n);
});

test('max.message.bytes and segment.bytes: MESSAGE_TOO_LARGE and RECORD_LIST_TOO_LARGE', async () => {
  await createTopic(h, 'small', 1, { 'max.message.bytes': '200' });
  expect(only(await h.call(ApiKey.Produce, 9, produce('small', batch(20))))).toEqual(partitionResponse({ errorCode: ErrorCode.MESSAGE_TOO_LARGE }));
  expect(only(await h.call(ApiKey.Produce, 9, produce('small', batch(1)))).errorCode).toBe(0);
  await createTopic(h, 'tiny-segments', 1, { 'segment.bytes': '100', 'max.message.bytes': '100000' });
  expect(only(await h.call(ApiKey.Produce, 9, produce('tiny-segments', batch(20))))).toEqual(partitionResponse({ errorCode: ErrorCode.RECORD_LIST_TOO_LARGE }));
});

test('message.max.bytes of the broker is the default of every topic', async () => {
  await h.close();
  h = await openHarness({ ...WITHOUT_VERIFICATION, 'message.max.bytes': '150' });
  await createTopic(h, 't');
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', batch(20)))).errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
});

test('a compacted topic refuses records without keys, with a record error for each (v8+)', async () => {
  await createTopic(h, 'compacted', 1, { 'cleanup.policy': 'compact' });
  const response = await h.call(ApiKey.Produce, 9, produce('compacted', batch(4, { key: (i) => (i % 2 === 0 ? null : Buffer.from('k')) })));
  const message = 'Compacted topic cannot accept message without key in topic partition compacted-0';
  expect(only(response)).toEqual(
    partitionResponse({
      errorCode: ErrorCode.INVALID_RECORD,
      logStartOffset: 0n,
      recordErrors: [
        { batchIndex: 0, batchIndexErrorMessage: message },
        { batchIndex: 2, batchIndexErrorMessage: message },
      ],
      errorMessage: `One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=0, message='${message}'), RecordError(batchIndex=2, message='${message}')]`,
    }),
  );
  // Before v8 the same failure has no room for details.
  expect(only(await h.call(ApiKey.Produce, 7, produce('compacted', batch(1, { key: () => null }))))).toEqual(partitionResponse({ errorCode: ErrorCode.INVALID_RECORD, logStartOffset: 0n }));
  expect(only(await h.call(ApiKey.Produce, 9, produce('compacted', batch(2, { compression: CompressionType.Gzip })))).errorCode).toBe(0);
});

test('CreateTime outside message.timestamp.before/after.max.ms is INVALID_TIMESTAMP with record errors', async () => {
  await createTopic(h, 't', 1, { 'message.timestamp.before.max.ms': '60000', 'message.timestamp.after.max.ms': '1000' });
  const stamps = [NOW - 120_000n, NOW, NOW + 5000n];
  const response = await h.call(ApiKey.Produce, 9, produce('t', batch(3, { timestamp: (i) => stamps[i] })));
  expect(only(response)).toEqual(
    partitionResponse({
      errorCode: ErrorCode.INVALID_TIMESTAMP,
      logStartOffset: 0n,
      recordErrors: [
        { batchIndex: 0, batchIndexErrorMessage: `Timestamp ${NOW - 120_000n} of message with offset 0 is out of range. The timestamp should be within [${NOW - 60_000n}, ${NOW + 1000n}]` },
        { batchIndex: 2, batchIndexErrorMessage: `Timestamp ${NOW + 5000n} of message with offset 2 is out of range. The timestamp should be within [${NOW - 60_000n}, ${NOW + 1000n}]` },
      ],
      errorMessage: 'One or more records have been rejected due to invalid timestamp',
    }),
  );
  expect(h.logs.partition('t', 0)!.logEndOffset).toBe(0n);
});

test('LogAppendTime topics answer the broker time the batch was stamped with', async () => {
  await createTopic(h, 't', 1, { 'message.timestamp.type': 'LogAppendTime' });
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', batch(2))))).toEqual(partitionResponse({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: NOW, logStartOffset: 0n }));
  const stored = readBatchHeader(readAll(h, 't'));
  expect(stored.timestampType).toBe(TimestampType.LogAppendTime);
  expect(stored.maxTimestamp).toBe(NOW);
});

test('magic 0 and 1 message sets from old producers are stored as v2 batches', async () => {
  await createTopic(h, 't');
  const v0 = buildLegacyMessageSet({ magic: 0, records: [{ key: Buffer.from('a'), value: Buffer.from('1') }, { key: null, value: Buffer.from('2') }] });
  expect(only(await h.call(ApiKey.Produce, 0, produce('t', v0, 0, 1)))).toEqual(partitionResponse({ errorCode: 0, baseOffset: 0n }));
  const v1 = buildLegacyMessageSet({ magic: 1, compression: CompressionType.Gzip, records: [{ timestamp: NOW - 5n, key: null, value: Buffer.from('3') }] });
  expect(only(await h.call(ApiKey.Produce, 2, produce('t', v1, 0, 1)))).toEqual(partitionResponse({ errorCode: 0, baseOffset: 2n, logAppendTimeMs: -1n }));

  const batches = [...iterateRecordSet(readAll(h, 't'))];
  expect(batches.map((b) => b.magic)).toEqual([2, 2]);
  expect(readBatchHeader(batches[1].bytes).compression).toBe(CompressionType.Gzip);
  const values = batches.flatMap((b) => decodeBatchRecords(b.bytes).map((r) => r.value?.toString()));
  expect(values).toEqual(['1', '2', '3']);
  expect(readBatchHeader(batches[0].bytes).maxTimestamp).toBe(-1n);
  expect(readBatchHeader(batches[1].bytes).maxTimestamp).toBe(NOW - 5n);

  const corrupt = Buffer.from(v0);
  corrupt[corrupt.length - 1] ^= 1;
  expect(only(await h.call(ApiKey.Produce, 1, produce('t', corrupt, 0, 1))).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
});

test('a topic with compression.type set stores batches in its codec', async () => {
  await createTopic(h, 't', 1, { 'compression.type': 'gzip' });
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', batch(3)))).errorCode).toBe(0);
  const stored = readAll(h, 't');
  expect(readBatchHeader(stored).compression).toBe(CompressionType.Gzip);
  expect(decodeBatchRecords(stored).map((r) => r.value?.toString())).toEqual(['value-0', 'value-1', 'value-2']);
});

test('acks=0: no response on success; a failed partition closes the connection, as Kafka does', async () => {
  await createTopic(h, 't');
  const frame = (request: ProduceRequest) => encodeRequestFrame(ApiKey.Produce, 9, 5, 'c', request).subarray(4);
  expect(await h.raw(frame(produce('t', batch(1), 0, 0)))).toEqual({ kind: 'none' });
  expect(h.logs.partition('t', 0)!.logEndOffset).toBe(1n);
  const outcome = await h.raw(frame(produce('missing', batch(1), 0, 0)));
  expect(outcome).toEqual({ kind: 'close', reason: 'produce with acks=0 failed: missing-0: UNKNOWN_TOPIC_OR_PARTITION' });
});

test('acks=-1 below min.insync.replicas is NOT_ENOUGH_REPLICAS; acks=1 is not held to it', async () => {
  await createTopic(h, 't', 1, { 'min.insync.replicas': '2' });
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', batch(1), 0, -1)))).toEqual(partitionResponse({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS, logStartOffset: 0n }));
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', batch(1), 0, 1))).errorCode).toBe(0);
});

test('internal topics take writes only from the admin client id', async () => {
  await h.metadata.createTopic({ name: '__consumer_offsets', numPartitions: 1, replicationFactor: -1, assignments: [], configs: new Map() }, { validateOnly: false });
  await h.settled();
  expect(only(await h.call(ApiKey.Produce, 9, produce('__consumer_offsets', batch(1)))).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
});

test('transactional and idempotent batches are stored; transactional ones need a transactional id', async () => {
  await createTopic(h, 't');
  const txn = batch(2, { producerId: 9n, transactional: true });
  const refused = await h.call(ApiKey.Produce, 9, produce('t', txn));
  expect(only(refused)).toEqual(partitionResponse({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED }));
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', txn, 0, -1, 'my-txn'))).errorCode).toBe(0);
  expect(only(await h.call(ApiKey.Produce, 9, produce('t', batch(1, { producerId: 10n })))).baseOffset).toBe(2n);
  const stored = [...iterateRecordSet(readAll(h, 't'))].map((entry) => readBatchHeader(entry.bytes));
  expect(stored.map((b) => [b.producerId, b.isTransactional])).toEqual([
    [9n, true],
    [10n, false],
  ]);
});

test('append listeners hear produced records', async () => {
  await createTopic(h, 't');
  const heard: bigint[] = [];
  h.logs.onAppend((_log, result) => heard.push(result.lastOffset));
  await h.call(ApiKey.Produce, 9, produce('t', batch(4)));
  expect(heard).toEqual([3n]);
});

test('a partition named twice is appended once, with the records named last, and answered once (as Kafka)', async () => {
  await createTopic(h, 't', 2);
  const response = await h.call(ApiKey.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [
      { name: 't' as never, partitionData: [{ index: 0, records: batch(1) }, { index: 1, records: batch(1) }] },
      { name: 't' as never, partitionData: [{ index: 0, records: batch(3) }] },
    ],
  });
  expect(response.responses).toEqual([
    {
      name: 't',
      partitionResponses: [
        partitionResponse({ errorCode: 0, baseOffset: 0n, logStartOffset: 0n }),
        partitionResponse({ index: 1, errorCode: 0, baseOffset: 0n, logStartOffset: 0n }),
      ],
    },
  ]);
  expect(h.logs.partition('t', 0)!.logEndOffset).toBe(3n);
  expect(h.logs.partition('t', 1)!.logEndOffset).toBe(1n);
});

test('a producer claiming LogAppendTime is refused per record on a LogAppendTime topic, as Kafka does', async () => {
  await createTopic(h, 'stamped', 1, { 'message.timestamp.type': 'LogAppendTime' });
  const claimed = buildRecordBatch({
    timestampType: TimestampType.LogAppendTime,
    maxTimestamp: NOW - 5n,
    records: [{ timestamp: NOW - 5n, key: Buffer.from('k'), value: Buffer.from('value') }],
  });
  expect(only(await h.call(ApiKey.Produce, 9, produce('stamped', claimed)))).toEqual(
    partitionResponse({
      errorCode: ErrorCode.INVALID_TIMESTAMP,
      logStartOffset: 0n,
      recordErrors: [
        {
          batchIndex: 0,
          batchIndexErrorMessage: `Invalid timestamp type in message DefaultRecord(offset=0, timestamp=${NOW - 5n}, key=1 bytes, value=5 bytes). Producer should not set timestamp type to LogAppendTime.`,
        },
      ],
      errorMessage: 'One or more records have been rejected due to invalid timestamp',
    }),
  );
  expect(h.logs.partition('stamped', 0)!.logEndOffset).toBe(0n);
});
