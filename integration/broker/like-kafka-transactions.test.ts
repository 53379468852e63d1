/**
 * Side by side with a real Kafka 3.9 (ZooKeeper mode): the partition side of transactions, answered by each broker
 * to the same requests. WriteTxnMarkers per producer and partition, with fenced producer and coordinator epochs;
 * the offsets the markers take (ListOffsets at both isolation levels); TxnOffsetCommit at every version before
 * the coordinators exist, without the transaction (KIP-890 verification), in it, after it ended and when fenced;
 * and the staged offsets becoming visible only once the transaction commits. Producer ids differ between the two
 * brokers, so those requests are built per broker from each one's own InitProducerId answer.
 */
import { ApiKey, ApiMessages, ErrorCode, RecordBatch, buildRecordBatch, iterateRecordSet, ProducerId, TransactionalId, asBrokerId, asGroupId, asTopicName } from '@tributary/protocol';
import { describeWithPeers } from '../helpers/peers';
import { useTempDirs } from '../helpers/tmp';
import { fetchOne } from './fetch-client';
import { RequestFor, SideBySide, metadataRequest } from './side-by-side';

// One broker: the internal topics get one replica and need one in sync (Kafka's defaults ask for three and two).
const SETTINGS = {
  'broker.id': '1',
  'offsets.topic.num.partitions': '3',
  'offsets.topic.replication.factor': '1',
  'transaction.state.log.num.partitions': '3',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'group.initial.rebalance.delay.ms': '0',
};

type Producer = { producerId: bigint; producerEpoch: number };

describeWithPeers(['kafka-tools', 'zookeeper'], 'transactions on the partition side answer like Kafka 3.9', () => {
  const tempDir = useTempDirs('like-kafka-txn');
  let brokers: SideBySide;

  beforeAll(async () => {
    brokers = await SideBySide.start(tempDir(), SETTINGS, 'like-kafka-txn');
  }, 120_000);

  afterAll(async () => {
    await brokers?.stop();
  }, 60_000);

  /** Sends each broker its own request (`build(0)` to Kafka, `build(1)` to Tributary); the answers, Kafka's first. */
  const each = <K extends ApiKey>(build: RequestFor<K>) => brokers.each(build);

  async function expectSame<K extends ApiKey>(apiKey: K, version: number, request: ApiMessages[K]['request'] | ((broker: number) => ApiMessages[K]['request'])): Promise<unknown> {
    const [fromKafka, fromTributary] = (await each((broker) => [apiKey, version, typeof request === 'function' ? request(broker) : request])).map((answer) => normalize(answer));
    expect({ version, answer: fromTributary }).toEqual({ version, answer: fromKafka });
    return fromKafka;
  }

  async function createTopic(name: string, numPartitions: number): Promise<void> {
    const answers = (await each(() => [ApiKey.CreateTopics, 7, { topics: [{ name: asTopicName(name), numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false }])) as ApiMessages[ApiKey.CreateTopics]['response'][];
    expect(answers.map((answer) => answer.topics[0].errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    await until(`Kafka leads ${name}`, async () => {
      const [fromKafka] = (await each(() => [ApiKey.Metadata, 12, metadataRequest([name])])) as ApiMessages[ApiKey.Metadata]['response'][];
      return fromKafka.topics[0].partitions.length === numPartitions && fromKafka.topics[0].partitions.every((p) => p.leaderId >= 0);
    });
  }

  const until = (what: string, condition: () => Promise<boolean>) => brokers.until(what, condition);

  const marker = (producerId: bigint, producerEpoch: number, coordinatorEpoch: number, commit: boolean, topics: [string, number[]][]) => ({
    producerId: producerId as ProducerId,
    producerEpoch,
    transactionResult: commit,
    coordinatorEpoch,
    topics: topics.map(([name, partitionIndexes]) => ({ name: asTopicName(name), partitionIndexes })),
  });

  const latestOffsets = (isolationLevel: number): ApiMessages[ApiKey.ListOffsets]['request'] => ({
    replicaId: asBrokerId(-1),
    isolationLevel,
    topics: [{ name: asTopicName('orders'), partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
  });

  const txnCommit = (producer: Producer, offset: bigint, topics: [string, number[]][] = [['grp-in', [0]]]): ApiMessages[ApiKey.TxnOffsetCommit]['request'] => ({
    transactionalId: 'like-tx' as TransactionalId,
    groupId: asGroupId('like-txn-group'),
    producerId: producer.producerId as ProducerId,
    producerEpoch: producer.producerEpoch,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: topics.map(([name, partitions]) => ({
      name: asTopicName(name),
      partitions: partitions.map((partitionIndex) => ({ partitionIndex, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: 'm' })),
    })),
  });

  const offsetFetch: ApiMessages[ApiKey.OffsetFetch]['request'] = {
    groupId: asGroupId('like-txn-group'),
    topics: [{ name: asTopicName('grp-in'), partitionIndexes: [0] }],
    groups: [],
    requireStable: true,
  };

  // Each broker is asked until it answers (COORDINATOR_LOAD_IN_PROGRESS meanwhile), and then no more: every
  // successful InitProducerId bumps the epoch.
const initProducers = async (transactionalId: string): Promise<Producer[]> => {
    const producers: Producer[] = [];
    const pending = new Set([0, 1]);
    await until('both transaction coordinators give a producer id', async () => {
      const answers = (await each((broker) => [
        pending.has(broker) ? ApiKey.InitProducerId : ApiKey.ApiVersions,
        pending.has(broker) ? 4 : 3,
        pending.has(broker)
          ? { transactionalId: transactionalId as TransactionalId, transactionTimeoutMs: 60_000, producerId: -1n as ProducerId, producerEpoch: -1 }
          : { clientSoftwareName: 'like-kafka-txn', clientSoftwareVersion: '1' },
      ] as never)) as { errorCode: number; producerId?: bigint; producerEpoch?: number }[];
      answers.forEach((answer, broker) => {
        if (!pending.has(broker) || answer.errorCode !== ErrorCode.NONE) return;
        producers[broker] = { producerId: answer.producerId!, producerEpoch: answer.producerEpoch! };
        pending.delete(broker);
      });
      return pending.size === 0;
    });
    return producers;
  };

  test('WriteTxnMarkers v0-v1: per producer and partition, epochs fenced, each marker one offset', async () => {
    await createTopic('orders', 2);
    for (const version of [0, 1]) {
      await expectSame(ApiKey.WriteTxnMarkers, version, {
        markers: [
          marker(4000n, 0, 0, true, [['orders', [0, 1, 7]], ['nowhere', [0]]]),
          marker(4001n, 0, 0, false, [['orders', [1]]]),
        ],
      });
    }
    await expectSame(ApiKey.WriteTxnMarkers, 1, { markers: [] });
    // A newer producer epoch and coordinator epoch are taken; older ones are fenced.
    await expectSame(ApiKey.WriteTxnMarkers, 1, { markers: [marker(4002n, 3, 5, false, [['orders', [0]]])] });
    await expectSame(ApiKey.WriteTxnMarkers, 1, { markers: [marker(4002n, 2, 5, false, [['orders', [0]]])] });
    await expectSame(ApiKey.WriteTxnMarkers, 1, { markers: [marker(4002n, 3, 4, true, [['orders', [0]]])] });
    await expectSame(ApiKey.WriteTxnMarkers, 0, { markers: [marker(4002n, 4, 6, true, [['orders', [0]]])] });
    for (const isolation of [0, 1]) await expectSame(ApiKey.ListOffsets, 7, latestOffsets(isolation));
  }, 60_000);

  test('TxnOffsetCommit v0-v4 before the coordinators exist, then without, in, after and fenced from a transaction', async () => {
    await createTopic('grp-in', 1);
    const nobody = { producerId: 999_999n, producerEpoch: 0 };
    const mixed: [string, number[]][] = [['grp-in', [0, 5]], ['no-such-topic', [0]]];
    // No __consumer_offsets yet: this broker coordinates nothing.
    for (let version = 0; version <= 4; version++) await expectSame(ApiKey.TxnOffsetCommit, version, txnCommit(nobody, 1n, mixed));

    // FindCoordinator creates __consumer_offsets on both; wait until the group's partition is loaded.
    await expectSame(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['like-txn-group'] });
    await until('the group coordinators are ready', async () => {
      const answers = (await each(() => [ApiKey.DescribeGroups, 5, { groups: [asGroupId('like-txn-group')], includeAuthorizedOperations: false }])) as ApiMessages[ApiKey.DescribeGroups]['response'][];
      return answers.every((answer) => answer.groups[0].errorCode === ErrorCode.NONE);
    });
    // No __transaction_state: no transaction coordinator to verify with.
    for (let version = 0; version <= 4; version++) await expectSame(ApiKey.TxnOffsetCommit, version, txnCommit(nobody, 1n, mixed));

    // FindCoordinator creates __transaction_state; InitProducerId answers once its partition is loaded.
    await expectSame(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['like-tx'] });
    const producers = await initProducers('like-tx');
    expect(producers[1].producerEpoch).toBe(producers[0].producerEpoch);

    // An unknown transactional producer, then a known one whose transaction does not hold the group's partition.
    for (const version of [3, 4]) await expectSame(ApiKey.TxnOffsetCommit, version, txnCommit(nobody, 2n));
    for (let version = 0; version <= 4; version++) await expectSame(ApiKey.TxnOffsetCommit, version, (broker) => txnCommit(producers[broker], 3n));

    // In the transaction: staged, unstable until the commit's markers, then the committed offset.
    await expectSame(ApiKey.AddOffsetsToTxn, 3, (broker) => ({
      transactionalId: 'like-tx' as TransactionalId,
      producerId: producers[broker].producerId as ProducerId,
      producerEpoch: producers[broker].producerEpoch,
      groupId: asGroupId('like-txn-group'),
    }));
    await expectSame(ApiKey.TxnOffsetCommit, 3, (broker) => txnCommit(producers[broker], 42n, mixed));
    await expectSame(ApiKey.OffsetFetch, 7, offsetFetch);
    await expectSame(ApiKey.EndTxn, 3, (broker) => ({ transactionalId: 'like-tx' as TransactionalId, producerId: producers[broker].producerId as ProducerId, producerEpoch: producers[broker].producerEpoch, committed: true }));
    await until('both made the offset committed', async () => {
      const answers = (await each(() => [ApiKey.OffsetFetch, 7, offsetFetch])) as ApiMessages[ApiKey.OffsetFetch]['response'][];
      return answers.every((answer) => answer.topics[0].partitions[0].errorCode === ErrorCode.NONE);
    });
    await expectSame(ApiKey.OffsetFetch, 7, offsetFetch);

    // After the end: a late commit would open a transaction nobody closes; refused on both.
    for (const version of [2, 4]) await expectSame(ApiKey.TxnOffsetCommit, version, (broker) => txnCommit(producers[broker], 77n));
    // Fenced by a new InitProducerId: the old epoch is refused.
    const fenced = producers;
    const bumped = await initProducers('like-tx');
    expect(bumped.map((producer) => producer.producerEpoch)).toEqual(fenced.map((producer) => producer.producerEpoch + 1));
    for (const version of [3, 4]) await expectSame(ApiKey.TxnOffsetCommit, version, (broker) => txnCommit(fenced[broker], 78n));
    await expectSame(ApiKey.OffsetFetch, 7, offsetFetch);
  }, 90_000);

  test('read_committed Fetch and ListOffsets over a real transaction: the LSO, the aborted list, the marker offsets', async () => {
    await createTopic('rc', 1);
    const produce = (records: Buffer, transactionalId: string | null = null): [ApiKey.Produce, number, ApiMessages[ApiKey.Produce]['request']] => [
      ApiKey.Produce,
      9,
      { transactionalId: transactionalId as TransactionalId | null, acks: -1, timeoutMs: 10_000, topicData: [{ name: asTopicName('rc'), partitionData: [{ index: 0, records }] }] },
    ];
    const produced = async (build: (broker: number) => [ApiKey.Produce, number, ApiMessages[ApiKey.Produce]['request']]) => {
      const answers = (await each(build)) as ApiMessages[ApiKey.Produce]['response'][];
      return answers.map((answer) => answer.responses[0].partitionResponses[0]);
    };
    expect((await produced(() => produce(plainBatch('plain-0')))).map((p) => [p.errorCode, p.baseOffset])).toEqual([[0, 0n], [0, 0n]]);

    await expectSame(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['rc-tx'] });
    const producers = await initProducers('rc-tx');
    await expectSame(ApiKey.AddPartitionsToTxn, 3, (broker) => ({
      transactions: [],
      v3AndBelowTransactionalId: 'rc-tx' as TransactionalId,
      v3AndBelowProducerId: producers[broker].producerId as ProducerId,
      v3AndBelowProducerEpoch: producers[broker].producerEpoch,
      v3AndBelowTopics: [{ name: asTopicName('rc'), partitions: [0] }],
    }));
    const txnBatch = (broker: number, sequence: number, value: string) =>
      buildRecordBatch({
        isTransactional: true,
        producerId: producers[broker].producerId,
        producerEpoch: producers[broker].producerEpoch,
        baseSequence: sequence,
        records: [{ timestamp: 1_700_000_000_000n, key: null, value: Buffer.from(value) }],
      });
    expect((await produced((broker) => produce(txnBatch(broker, 0, 'txn-1'), 'rc-tx'))).map((p) => [p.errorCode, p.baseOffset])).toEqual([[0, 1n], [0, 1n]]);
    expect((await produced(() => produce(plainBatch('plain-2')))).map((p) => p.errorCode)).toEqual([0, 0]);
    expect((await produced((broker) => produce(txnBatch(broker, 1, 'txn-3'), 'rc-tx'))).map((p) => p.errorCode)).toEqual([0, 0]);

    const fetched = async (isolationLevel: number, fetchOffset = 0n) => {
      const answers = (await each(() => [ApiKey.Fetch, 12, fetchRequest('rc', isolationLevel, fetchOffset)])) as ApiMessages[ApiKey.Fetch]['response'][];
      return answers.map((answer, broker) => summarizeFetch(answer, producers[broker]));
    };
    const expectSameFetch = async (isolationLevel: number, fetchOffset = 0n) => {
      const [fromKafka, fromTributary] = await fetched(isolationLevel, fetchOffset);
      expect({ isolationLevel, fetchOffset, answer: fromTributary }).toEqual({ isolationLevel, fetchOffset, answer: fromKafka });
      return fromKafka;
    };

    // Open: read_committed stops at the transaction's first offset; read_uncommitted reads everything.
    expect((await expectSameFetch(1)).lastStableOffset).toBe(1n);
    await expectSameFetch(0);
    for (const isolation of [0, 1]) {
      await expectSame(ApiKey.ListOffsets, 7, { replicaId: asBrokerId(-1), isolationLevel: isolation, topics: [{ name: asTopicName('rc'), partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
    }

    // Aborted: the marker takes an offset, the LSO moves past it, and read_committed is told what to drop.
    await expectSame(ApiKey.EndTxn, 3, (broker) => ({ transactionalId: 'rc-tx' as TransactionalId, producerId: producers[broker].producerId as ProducerId, producerEpoch: producers[broker].producerEpoch, committed: false }));
    await until('both wrote the ABORT marker', async () => (await fetched(1)).every((answer) => answer.lastStableOffset === 5n));
    const aborted = await expectSameFetch(1);
    expect(aborted.abortedTransactions).toEqual([{ producer: 'txn-producer', firstOffset: 1n }]);
    await expectSameFetch(0);
    await expectSameFetch(1, 2n);
    await expectSameFetch(1, 4n);
    await expectSameFetch(1, 5n);
  }, 60_000);
  test('read_committed: an aborted transaction whose marker is segments after its first records is listed', async () => {
    const answers = (await each(() => [
      ApiKey.CreateTopics,
      7,
      { topics: [{ name: asTopicName('rc-seg'), numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.bytes', value: '1024' }] }], timeoutMs: 10_000, validateOnly: false },
    ])) as ApiMessages[ApiKey.CreateTopics]['response'][];
    expect(answers.map((answer) => answer.topics[0].errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    await until('Kafka leads rc-seg', async () => {
      const [fromKafka] = (await each(() => [ApiKey.Metadata, 12, metadataRequest(['rc-seg'])])) as ApiMessages[ApiKey.Metadata]['response'][];
      return fromKafka.topics[0].partitions.length === 1 && fromKafka.topics[0].partitions[0].leaderId >= 0;
    });
    await expectSame(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['seg-tx'] });
    const producers = await initProducers('seg-tx');
    const produce = async (build: (broker: number) => Buffer, transactionalId: string | null = null) => {
      const answers = (await each((broker) => [
        ApiKey.Produce,
        9,
        { transactionalId: transactionalId as TransactionalId | null, acks: -1, timeoutMs: 10_000, topicData: [{ name: asTopicName('rc-seg'), partitionData: [{ index: 0, records: build(broker) }] }] },
      ])) as ApiMessages[ApiKey.Produce]['response'][];
      expect(answers.map((answer) => answer.responses[0].partitionResponses[0].errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    };
    await expectSame(ApiKey.AddPartitionsToTxn, 3, (broker) => ({
      transactions: [],
      v3AndBelowTransactionalId: 'seg-tx' as TransactionalId,
      v3AndBelowProducerId: producers[broker].producerId as ProducerId,
      v3AndBelowProducerEpoch: producers[broker].producerEpoch,
      v3AndBelowTopics: [{ name: asTopicName('rc-seg'), partitions: [0] }],
    }));
    await produce(
      (broker) =>
        buildRecordBatch({
          isTransactional: true,
          producerId: producers[broker].producerId,
          producerEpoch: producers[broker].producerEpoch,
          baseSequence: 0,
          records: [{ timestamp: 1_700_000_000_000n, key: null, value: Buffer.alloc(100, 1) }],
        }),
      'seg-tx',
    );
    // Thirty plain batches of about 170 bytes each: several 1 KiB segments roll before the marker.
    for (let i = 0; i < 30; i++) await produce(() => buildRecordBatch({ records: [{ timestamp: 1_700_000_000_000n, key: null, value: Buffer.alloc(100, 2) }] }));
    await expectSame(ApiKey.EndTxn, 3, (broker) => ({ transactionalId: 'seg-tx' as TransactionalId, producerId: producers[broker].producerId as ProducerId, producerEpoch: producers[broker].producerEpoch, committed: false }));
    const fetched = async (partitionMaxBytes: number) => {
      const answers = (await each(() => [ApiKey.Fetch, 12, fetchRequest('rc-seg', 1, 0n, partitionMaxBytes)])) as ApiMessages[ApiKey.Fetch]['response'][];
      return answers.map((answer, broker) => summarizeFetch(answer, producers[broker]));
    };
    await until('both wrote the ABORT marker', async () => (await fetched(100)).every((answer) => answer.lastStableOffset === 32n));
    // A read small enough to return only the transaction's first batch, far below the marker's segment.
    const [fromKafka, fromTributary] = await fetched(100);
    expect(fromKafka.batches).toEqual(['0:txn:txn-producer']);
    expect(fromKafka.abortedTransactions).toEqual([{ producer: 'txn-producer', firstOffset: 0n }]);
    expect(fromTributary).toEqual(fromKafka);
  }, 60_000);
});

function fetchRequest(topic: string, isolationLevel: number, fetchOffset = 0n, partitionMaxBytes = 1048576): ApiMessages[ApiKey.Fetch]['request'] {
  return fetchOne(topic, 0, fetchOffset, { isolationLevel }, partitionMaxBytes);
}

/** A Fetch answer with its batches as offsets and kinds, and producer ids as whether they are `producer`'s. */
function summarizeFetch(answer: ApiMessages[ApiKey.Fetch]['response'], producer: Producer) {
  const partition = answer.responses[0].partitions[0];
  const who = (producerId: bigint) => (producerId === producer.producerId ? 'txn-producer' : String(producerId));
  const batches = [...iterateRecordSet(partition.records ?? Buffer.alloc(0))].map((entry) => {
    const header = new RecordBatch(entry.bytes).validate();
    return `${header.baseOffset}:${header.isControl ? 'control' : header.isTransactional ? 'txn' : 'plain'}:${who(header.producerId)}`;
  });
  return {
    errorCode: partition.errorCode,
    highWatermark: partition.highWatermark,
    lastStableOffset: partition.lastStableOffset,
    abortedTransactions: partition.abortedTransactions?.map((txn) => ({ producer: who(txn.producerId), firstOffset: txn.firstOffset })) ?? null,
    batches,
  };
}

function plainBatch(value: string): Buffer {
  return buildRecordBatch({ records: [{ timestamp: 1_700_000_000_000n, key: null, value: Buffer.from(value) }] });
}


/** What legitimately differs between the brokers (ids, ports, hosts) replaced; unordered lists sorted. */
function normalize(value: unknown, key = ''): unknown {
  if (Buffer.isBuffer(value)) return `bytes:${value.toString('hex')}`;
  if (Array.isArray(value)) {
    const items = value.map((item) => normalize(item));
    const by = (field: string) => (a: unknown, b: unknown) => String((a as Record<string, unknown>)[field]).localeCompare(String((b as Record<string, unknown>)[field]));
    if (key === 'partitions') return [...items].sort((a, b) => Number((a as { partitionIndex: number }).partitionIndex) - Number((b as { partitionIndex: number }).partitionIndex));
    if (key === 'topics') return [...items].sort(by('name'));
    if (key === 'markers') return [...items].sort(by('producerId'));
    return items;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [field, inner] of Object.entries(value)) {
      if (field === '_unknownTaggedFields') continue;
      if (field === 'topicId') out[field] = 'ID';
      else if (field === 'clusterId') out[field] = inner === null ? null : 'CLUSTER';
      else if (field === 'port' || field === 'host' || field === 'nodeId') out[field] = 'NODE';
      else out[field] = normalize(inner, field);
    }
    return out;
  }
  return value;
}
