/**
 * Side by side with a real Kafka 3.9 (ZooKeeper mode): the transaction coordinator's APIs answered by each broker
 * to the same requests. FindCoordinator for a transactional id (creating `__transaction_state`), InitProducerId
 * at every version for idempotent and transactional producers (bumps, KIP-360 recovery, fencing, an ongoing
 * transaction aborted by a new instance), AddPartitionsToTxn (unknown partitions, stale epochs, other producers,
 * v4 verify-only), AddOffsetsToTxn, EndTxn in every state, DescribeTransactions and ListTransactions with their
 * filters. Producer ids and start times are compared by role, not value: each broker allocates its own.
 */
import { ApiKey, ApiMessages, ErrorCode, ProducerId, TransactionalId, asGroupId, asTopicName } from '@tributary/protocol';
import { describeWithPeers } from '../helpers/peers';
import { useTempDirs } from '../helpers/tmp';
import { RequestFor, SideBySide, metadataRequest } from './side-by-side';

const SETTINGS = {
  'broker.id': '1',
  'offsets.topic.num.partitions': '3',
  'offsets.topic.replication.factor': '1',
  'transaction.state.log.num.partitions': '3',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'group.initial.rebalance.delay.ms': '0',
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '300',
};

type Producer = { producerId: bigint; producerEpoch: number };
const txnId = (id: string) => id as TransactionalId;
const pid = (id: bigint) => id as ProducerId;

describeWithPeers(['kafka-tools', 'zookeeper'], 'the transaction coordinator answers like Kafka 3.9', () => {
  const tempDir = useTempDirs('like-kafka-coordinator');
  let brokers: SideBySide;
  /** Per broker: every producer id it handed out, in order, so answers compare by role ("the 2nd id"). */
  const producerIds: bigint[][] = [[], []];

  beforeAll(async () => {
    brokers = await SideBySide.start(tempDir(), SETTINGS, 'like-kafka-coordinator');
    const created = (await each(() => [
      ApiKey.CreateTopics,
      7,
      { topics: [{ name: asTopicName('orders'), numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false },
    ])) as ApiMessages[ApiKey.CreateTopics]['response'][];
    expect(created.map((answer) => answer.topics[0].errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    await until('Kafka leads orders', async () => {
      const [fromKafka] = (await each(() => [ApiKey.Metadata, 12, metadataRequest(['orders'])])) as ApiMessages[ApiKey.Metadata]['response'][];
      return fromKafka.topics[0].partitions.length === 2 && fromKafka.topics[0].partitions.every((p) => p.leaderId >= 0);
    });
  }, 120_000);

  afterAll(async () => {
    await brokers?.stop();
  }, 60_000);

  /** Both answers, Kafka's first; every producer id a broker hands out is remembered in order, for normalize. */
  const each = <K extends ApiKey>(build: RequestFor<K>) =>
    brokers.each(build, (apiKey, response, broker) => {
      if (apiKey !== ApiKey.InitProducerId) return;
      const init = response as ApiMessages[ApiKey.InitProducerId]['response'];
      if (init.errorCode === ErrorCode.NONE && !producerIds[broker].includes(init.producerId)) producerIds[broker].push(init.producerId);
    });

  /** The same request to both (or one built per broker); Tributary's answer must equal Kafka's once normalized. */
  async function expectSame<K extends ApiKey>(apiKey: K, version: number, request: ApiMessages[K]['request'] | ((broker: number) => ApiMessages[K]['request'])) {
    const answers = await each((broker) => [apiKey, version, typeof request === 'function' ? request(broker) : request]);
    const [fromKafka, fromTributary] = answers.map((answer, broker) => normalize(answer, '', broker));
    expect({ apiKey, version, answer: fromTributary }).toEqual({ apiKey, version, answer: fromKafka });
    return answers as [ApiMessages[K]['response'], ApiMessages[K]['response']];
  }

  const until = (what: string, condition: () => Promise<boolean>) => brokers.until(what, condition);

  /** What legitimately differs between the brokers replaced: endpoints, producer ids by role, times. */
  function normalize(value: unknown, key: string, broker: number): unknown {
    if (Array.isArray(value)) {
      const items = value.map((item) => normalize(item, '', broker));
      // Kafka iterates hash maps and sets here; clients match by name and index, so order is not compared.
      const unordered = ['transactionStates', 'coordinators', 'resultsByTopicV3AndBelow', 'topicResults', 'resultsByPartition', 'resultsByTransaction', 'topics', 'partitions'];
      const text = (item: unknown) => JSON.stringify(item, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      if (unordered.includes(key)) return [...items].sort((a, b) => text(a).localeCompare(text(b)));
      return items;
    }
    if (typeof value === 'bigint' && key === 'producerId') {
      const index = producerIds[broker].indexOf(value);
      return index >= 0 ? `producer #${index}` : value;
    }
    if (typeof value === 'bigint' && key === 'transactionStartTimeMs') return value > 0n ? 'a time' : value;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [field, inner] of Object.entries(value)) {
        if (field === '_unknownTaggedFields') continue;
        if (field === 'port' || field === 'host' || field === 'nodeId') out[field] = 'NODE';
        else out[field] = normalize(inner, field, broker);
      }
      return out;
    }
    return value;
  }

  const init = (transactionalId: string | null, version = 4, transactionTimeoutMs = 60_000, producer?: Producer | ((broker: number) => Producer)) =>
    expectSame(ApiKey.InitProducerId, version, (broker) => {
      const named = typeof producer === 'function' ? producer(broker) : producer;
      return {
        transactionalId: transactionalId === null ? null : txnId(transactionalId),
        transactionTimeoutMs,
        producerId: pid(named?.producerId ?? -1n),
        producerEpoch: named?.producerEpoch ?? -1,
      };
    });

  const addPartitions = (version: number, transactionalId: string, producer: (broker: number) => Producer, topics: [string, number[]][]) =>
    expectSame(ApiKey.AddPartitionsToTxn, version, (broker) => ({
      transactions: [],
      v3AndBelowTransactionalId: txnId(transactionalId),
      v3AndBelowProducerId: pid(producer(broker).producerId),
      v3AndBelowProducerEpoch: producer(broker).producerEpoch,
      v3AndBelowTopics: topics.map(([name, partitions]) => ({ name: asTopicName(name), partitions })),
    }));

  const endTxn = (version: number, transactionalId: string, producer: (broker: number) => Producer, committed: boolean) =>
    expectSame(ApiKey.EndTxn, version, (broker) => ({ transactionalId: txnId(transactionalId), producerId: pid(producer(broker).producerId), producerEpoch: producer(broker).producerEpoch, committed }));

  const describe = (ids: string[]) => expectSame(ApiKey.DescribeTransactions, 0, { transactionalIds: ids.map(txnId) });

  /** Waits until both brokers describe the id in `state` (markers are written after EndTxn is answered). */
  async function settledIn(transactionalId: string, state: string): Promise<void> {
    await until(`${transactionalId} is ${state} on both`, async () => {
      const answers = (await each(() => [ApiKey.DescribeTransactions, 0, { transactionalIds: [txnId(transactionalId)] }])) as ApiMessages[ApiKey.DescribeTransactions]['response'][];
      return answers.every((answer) => answer.transactionStates[0].transactionState === state);
    });
  }

  test('FindCoordinator for a transactional id creates __transaction_state, then names the broker', async () => {
    await expectSame(ApiKey.FindCoordinator, 1, { key: 'tx', keyType: 1, coordinatorKeys: [] });
    await until('both coordinate tx', async () => {
      const answers = (await each(() => [ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['tx', 'other', 'fenced'] }])) as ApiMessages[ApiKey.FindCoordinator]['response'][];
      return answers.every((answer) => answer.coordinators.every((c) => c.errorCode === ErrorCode.NONE));
    });
    // The partitions load after the topic exists: wait until a transactional InitProducerId is served by both.
    await until('both load __transaction_state', async () => {
      const answers = (await each(() => [ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [], durationFilter: -1n }])) as ApiMessages[ApiKey.ListTransactions]['response'][];
      return answers.every((answer) => answer.errorCode === ErrorCode.NONE);
    });
    for (const version of [1, 2, 3]) await expectSame(ApiKey.FindCoordinator, version, { key: 'tx', keyType: 1, coordinatorKeys: [] });
    for (const version of [4, 5, 6]) await expectSame(ApiKey.FindCoordinator, version, { key: '', keyType: 1, coordinatorKeys: ['tx', 'other', ''] });
  });

  test('InitProducerId: idempotent producers at every version, invalid id/epoch pairs, empty ids and timeouts', async () => {
    // The one difference, on purpose: Kafka answers COORDINATOR_LOAD_IN_PROGRESS while it fetches its first block
    // of producer ids from the controller (clients retry); Tributary reserves its block locally and answers.
    const [kafkaFirst, tributaryFirst] = (await each(() => [
      ApiKey.InitProducerId,
      4,
      { transactionalId: null, transactionTimeoutMs: 0, producerId: pid(-1n), producerEpoch: -1 },
    ])) as ApiMessages[ApiKey.InitProducerId]['response'][];
    expect([ErrorCode.NONE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]).toContain(kafkaFirst.errorCode);
    expect(tributaryFirst.errorCode).toBe(ErrorCode.NONE);
    await until('Kafka has a block of producer ids', async () => {
      const [fromKafka] = (await each(() => [
        ApiKey.InitProducerId,
        4,
        { transactionalId: null, transactionTimeoutMs: 0, producerId: pid(-1n), producerEpoch: -1 },
      ])) as ApiMessages[ApiKey.InitProducerId]['response'][];
      return fromKafka.errorCode === ErrorCode.NONE;
    });
    // From here on both hand out ids in step: compare them by role.
    for (const ids of producerIds) ids.length = 0;
    for (const version of [0, 1, 2, 3, 4, 5]) await init(null, version, 0);
    await expectSame(ApiKey.InitProducerId, 3, { transactionalId: null, transactionTimeoutMs: 0, producerId: pid(5n), producerEpoch: -1 });
    await expectSame(ApiKey.InitProducerId, 3, { transactionalId: null, transactionTimeoutMs: 0, producerId: pid(-1n), producerEpoch: 2 });
    await init('', 4);
    await init('tx', 4, 900_001);
    await init('tx', 4, 0);
  });

  test('a transaction from InitProducerId to EndTxn, every error on the way, and the states described and listed', async () => {
    const [first] = await init('tx', 4);
    const producer = (broker: number): Producer => ({ producerId: producerIds[broker][producerIds[broker].length - 1], producerEpoch: first.producerEpoch });
    const stale = (broker: number): Producer => ({ ...producer(broker), producerEpoch: producer(broker).producerEpoch + 3 });
    const stranger = (broker: number): Producer => ({ ...producer(broker), producerId: producer(broker).producerId + 500n });

    await endTxn(3, 'tx', producer, true); // Empty: INVALID_TXN_STATE
    await endTxn(3, 'never-initialized', producer, true);
    await addPartitions(3, 'tx', producer, [['orders', [0, 7]], ['nowhere', [0]]]);
    await addPartitions(3, 'tx', stranger, [['orders', [0]]]);
    await addPartitions(1, 'tx', stale, [['orders', [0]]]);
    await addPartitions(2, 'tx', stale, [['orders', [0]]]);
    await addPartitions(3, 'tx', producer, [['orders', [0, 1]]]);
    await addPartitions(3, 'tx', producer, [['orders', [1]]]); // already in it
    for (const version of [0, 1, 2, 3]) {
      await expectSame(ApiKey.AddOffsetsToTxn, version, (broker) => ({ transactionalId: txnId('tx'), producerId: pid(producer(broker).producerId), producerEpoch: producer(broker).producerEpoch, groupId: asGroupId('shop') }));
    }
    await expectSame(ApiKey.AddOffsetsToTxn, 1, (broker) => ({ transactionalId: txnId('tx'), producerId: pid(stale(broker).producerId), producerEpoch: stale(broker).producerEpoch, groupId: asGroupId('shop') }));
    await expectSame(ApiKey.AddPartitionsToTxn, 4, (broker) => ({
      transactions: [
        { transactionalId: txnId('tx'), producerId: pid(producer(broker).producerId), producerEpoch: producer(broker).producerEpoch, verifyOnly: true, topics: [{ name: asTopicName('orders'), partitions: [0, 1] }] },
        { transactionalId: txnId('other'), producerId: pid(7n), producerEpoch: 0, verifyOnly: true, topics: [{ name: asTopicName('orders'), partitions: [0] }] },
      ],
      v3AndBelowTransactionalId: txnId(''),
      v3AndBelowProducerId: pid(0n),
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [],
    }));

    await describe(['tx', 'other', '']);
    for (const version of [0, 1]) {
      await expectSame(ApiKey.ListTransactions, version, { stateFilters: [], producerIdFilters: [], durationFilter: -1n });
      await expectSame(ApiKey.ListTransactions, version, { stateFilters: ['Ongoing', 'NoSuchState'], producerIdFilters: [], durationFilter: -1n });
      await expectSame(ApiKey.ListTransactions, version, (broker) => ({ stateFilters: [], producerIdFilters: [pid(producer(broker).producerId)], durationFilter: -1n }));
    }
    await expectSame(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: 3_600_000n });

    await endTxn(1, 'tx', stale, true);
    await endTxn(2, 'tx', stale, true);
    await endTxn(3, 'tx', stranger, true);
    await endTxn(3, 'tx', producer, true);
    await settledIn('tx', 'CompleteCommit');
    await describe(['tx']);
    await endTxn(3, 'tx', producer, true); // a retried commit
    await endTxn(3, 'tx', producer, false); // abort after commit
    await expectSame(ApiKey.ListTransactions, 1, { stateFilters: ['CompleteCommit'], producerIdFilters: [], durationFilter: -1n });
  });

  test('a new instance bumps the epoch, KIP-360 recovery, and an ongoing transaction aborted by the next instance', async () => {
    const [first] = await init('fenced', 4);
    const producer = (broker: number, epoch: number): Producer => ({ producerId: producerIds[broker][producerIds[broker].length - 1], producerEpoch: epoch });
    await init('fenced', 4); // epoch 1
    await init('fenced', 4, 60_000, (broker) => producer(broker, first.producerEpoch + 1)); // KIP-360 bump: 2
    await init('fenced', 4, 60_000, (broker) => producer(broker, first.producerEpoch + 1)); // the same retry again: 2
    await init('fenced', 4, 60_000, (broker) => producer(broker, 0)); // an older epoch: fenced
    await init('fenced', 3, 60_000, (broker) => producer(broker, 0)); // fenced, as old clients know it
    await addPartitions(3, 'fenced', (broker) => producer(broker, 2), [['orders', [0]]]);
    await init('fenced', 4); // aborts the ongoing transaction: CONCURRENT_TRANSACTIONS
    await settledIn('fenced', 'CompleteAbort');
    await describe(['fenced']);
    await init('fenced', 4); // the epoch after the fence
    await endTxn(3, 'fenced', (broker) => producer(broker, 2), true);
  });

  test('a transaction older than its timeout is aborted under a bumped epoch, and its producer fenced', async () => {
    await init('slow', 4, 1000);
    const producer = (broker: number): Producer => ({ producerId: producerIds[broker][producerIds[broker].length - 1], producerEpoch: 0 });
    await addPartitions(3, 'slow', producer, [['orders', [1]]]);
    await settledIn('slow', 'CompleteAbort');
    await describe(['slow']);
    await endTxn(3, 'slow', producer, true);
    await init('slow', 4, 1000);
  });
});

