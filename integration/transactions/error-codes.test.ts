/**
 * The error codes of idempotent and transactional requests, step by step over raw requests, exactly as Kafka
 * 3.9 returns them: sequence gaps, duplicates, a producer id the partition never saw, a transactional write to
 * a partition the transaction never added, stale epochs after a re-initialisation, an EndTxn with nothing to end,
 * an unknown transactional id, a timeout above transaction.max.timeout.ms. The expected codes are what the test
 * recorded against a real Kafka 3.9 (TXN_BROKER=kafka); each step prints what it got on failure.
 */
import { ApiKey, asProducerId, asTopicName, asTransactionalId, buildRecordBatch, type ProducerId } from '@tributary/protocol';
import { FetchClient } from '../broker/fetch-client';
import { describeWithPeers } from '../helpers/peers';
import { createTopics } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';

jest.setTimeout(brokerKind === 'kafka' ? 180_000 : 60_000);

// Kafka's error codes used below.
const NONE = 0;
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const INVALID_PRODUCER_EPOCH = 47;
const INVALID_TXN_STATE = 48;
const INVALID_PRODUCER_ID_MAPPING = 49;
const INVALID_TRANSACTION_TIMEOUT = 50;
const CONCURRENT_TRANSACTIONS = 51;
const PRODUCER_FENCED = 90;

describeWithPeers(brokerPeers(), `idempotent and transactional error codes, as Kafka returns them (against ${brokerKind})`, () => {
  let broker: TestBroker;
  let client: FetchClient;

  beforeAll(async () => {
    broker = await startTestBroker();
    await createTopics(broker.bootstrap, [{ topic: 'codes-idempotent' }, { topic: 'codes-unknown' }, { topic: 'codes-txn', numPartitions: 2 }]);
    const [host, port] = broker.bootstrap.split(':');
    client = await FetchClient.connect(host, Number(port));
  }, 180_000);

  afterAll(async () => {
    client?.close();
    await broker?.close();
  });

  /** FindCoordinator for a transactional id, until the coordinator is there (the first creates __transaction_state). */
  async function findCoordinator(transactionalId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const response = await client.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: [transactionalId] });
      if (response.coordinators[0].errorCode === NONE) return;
      if (attempt > 100) throw new Error(`FindCoordinator(${transactionalId}) keeps failing with ${response.coordinators[0].errorCode}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function initProducerId(transactionalId: string | null, transactionTimeoutMs = 60_000): Promise<{ errorCode: number; producerId: ProducerId; producerEpoch: number }> {
    if (transactionalId !== null) await findCoordinator(transactionalId);
    // A coordinator that is still loading or aborting answers with a retriable error, as clients retry it.
    for (let attempt = 0; ; attempt++) {
      const response = await client.request(ApiKey.InitProducerId, 4, {
        transactionalId: transactionalId === null ? null : asTransactionalId(transactionalId),
        transactionTimeoutMs,
        producerId: asProducerId(-1n),
        producerEpoch: -1,
      });
      if (![CONCURRENT_TRANSACTIONS, 14, 15, 16].includes(response.errorCode) || attempt > 50) return response;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function produce(
    topic: string,
    producer: { producerId: ProducerId; producerEpoch: number },
    sequence: number,
    options: { transactionalId?: string; partition?: number; records?: number } = {},
  ): Promise<{ errorCode: number; baseOffset: number }> {
    const records = buildRecordBatch({
      producerId: BigInt(producer.producerId),
      producerEpoch: producer.producerEpoch,
      baseSequence: sequence,
      isTransactional: options.transactionalId !== undefined,
      records: Array.from({ length: options.records ?? 1 }, (_, i) => ({ timestamp: BigInt(Date.now()), key: null, value: Buffer.from(`seq-${sequence + i}`), headers: [] })),
    });
    const response = await client.request(ApiKey.Produce, 9, {
      transactionalId: options.transactionalId === undefined ? null : asTransactionalId(options.transactionalId),
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: asTopicName(topic), partitionData: [{ index: options.partition ?? 0, records }] }],
    });
    const partition = response.responses[0].partitionResponses[0];
    return { errorCode: partition.errorCode, baseOffset: Number(partition.baseOffset) };
  }

  async function addPartitions(transactionalId: string, producer: { producerId: ProducerId; producerEpoch: number }, topic: string, partitions: number[]): Promise<number[]> {
    const response = await client.request(ApiKey.AddPartitionsToTxn, 3, {
      transactions: [],
      v3AndBelowTransactionalId: asTransactionalId(transactionalId),
      v3AndBelowProducerId: producer.producerId,
      v3AndBelowProducerEpoch: producer.producerEpoch,
      v3AndBelowTopics: [{ name: asTopicName(topic), partitions }],
    });
    return response.resultsByTopicV3AndBelow[0].resultsByPartition.map((p) => p.partitionErrorCode);
  }

  async function endTxn(transactionalId: string, producer: { producerId: ProducerId; producerEpoch: number }, committed: boolean): Promise<number> {
    const response = await client.request(ApiKey.EndTxn, 3, { transactionalId: asTransactionalId(transactionalId), producerId: producer.producerId, producerEpoch: producer.producerEpoch, committed });
    return response.errorCode;
  }

  test('idempotent Produce: a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER, a retried batch gets its original offset', async () => {
    const producer = await initProducerId(null);
    expect(producer.errorCode).toBe(NONE);
    expect(producer.producerEpoch).toBe(0);
    const steps = [
      await produce('codes-idempotent', producer, 0, { records: 2 }), // offsets 0-1
      await produce('codes-idempotent', producer, 5), // a gap: 2 expected
      await produce('codes-idempotent', producer, 2), // offset 2
      await produce('codes-idempotent', producer, 0, { records: 2 }), // the first batch again
      await produce('codes-idempotent', producer, 2), // the last batch again
      await produce('codes-idempotent', producer, 1), // overlaps the first batch without matching it
      await produce('codes-idempotent', producer, 3), // offset 3
    ];
    expect(steps.map((s) => [s.errorCode, s.errorCode === NONE ? s.baseOffset : -1])).toEqual([
      [NONE, 0],
      [OUT_OF_ORDER_SEQUENCE_NUMBER, -1],
      [NONE, 2],
      [NONE, 0],
      [NONE, 2],
      [OUT_OF_ORDER_SEQUENCE_NUMBER, -1],
      [NONE, 3],
    ]);
  });

  test('a producer id the partition has never seen may start at any sequence; the next must follow it', async () => {
    const producer = await initProducerId(null);
    expect(await produce('codes-unknown', producer, 3)).toEqual({ errorCode: NONE, baseOffset: 0 });
    expect((await produce('codes-unknown', producer, 0)).errorCode).toBe(OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await produce('codes-unknown', producer, 4)).toEqual({ errorCode: NONE, baseOffset: 1 });
  });

  test('transactions: writes to partitions not added, stale epochs after a re-initialisation, EndTxn with nothing to end', async () => {
    const id = 'codes-txn-id';
    const first = await initProducerId(id);
    expect(first.errorCode).toBe(NONE);
    const got: Record<string, unknown> = {};
    // Nothing to end yet.
    got.endTxnWhenEmpty = await endTxn(id, first, true);
    // Kafka 3.9 verifies transactional writes with the coordinator: a partition never added is refused.
    got.produceNotAdded = (await produce('codes-txn', first, 0, { transactionalId: id, partition: 1 })).errorCode;
    got.addPartitions = await addPartitions(id, first, 'codes-txn', [0]);
    got.produceAdded = await produce('codes-txn', first, 0, { transactionalId: id, partition: 0 });

    // A second InitProducerId for the id aborts the open transaction and bumps the epoch.
    const second = await initProducerId(id);
    got.reinit = [second.errorCode, BigInt(second.producerId) === BigInt(first.producerId), second.producerEpoch - first.producerEpoch];
    got.produceStaleEpoch = (await produce('codes-txn', first, 1, { transactionalId: id, partition: 0 })).errorCode;
    got.addPartitionsStaleEpoch = await addPartitions(id, first, 'codes-txn', [0]);
    got.endTxnStaleEpoch = await endTxn(id, first, true);
    got.endTxnCurrentEpochEmpty = await endTxn(id, second, false);
    await findCoordinator('codes-no-such-id');
    got.addPartitionsUnknownId = await addPartitions('codes-no-such-id', first, 'codes-txn', [0]);
    got.initTooLongTimeout = (await initProducerId('codes-long-timeout', 900_001)).errorCode;

    expect(got).toEqual({
      endTxnWhenEmpty: INVALID_TXN_STATE,
      produceNotAdded: INVALID_TXN_STATE,
      addPartitions: [NONE],
      produceAdded: { errorCode: NONE, baseOffset: 0 },
      // Two bumps: one fences the old producer while its transaction is aborted, one is the new producer's.
      reinit: [NONE, true, 2],
      produceStaleEpoch: INVALID_PRODUCER_EPOCH,
      addPartitionsStaleEpoch: [PRODUCER_FENCED],
      endTxnStaleEpoch: PRODUCER_FENCED,
      endTxnCurrentEpochEmpty: INVALID_TXN_STATE,
      addPartitionsUnknownId: [INVALID_PRODUCER_ID_MAPPING],
      initTooLongTimeout: INVALID_TRANSACTION_TIMEOUT,
    });
  });
});
