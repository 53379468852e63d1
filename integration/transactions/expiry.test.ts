/**
 * Expiry, with the intervals shortened: a partition forgets an idle producer after `producer.id.expiration.ms`
 * (DescribeProducers no longer lists it), and the transaction coordinator forgets a transactional id idle for
 * `transactional.id.expiration.ms` (ListTransactions no longer lists it, and the id starts again with a new
 * producer id). Both are checked on a timer (`producer.id.expiration.check.interval.ms`,
 * `transaction.remove.expired.transaction.cleanup.interval.ms`). Passed against Kafka 3.9 first.
 */
import { ApiKey, asTopicName } from '@tributary/protocol';
import { FetchClient } from '../broker/fetch-client';
import { describeWithPeers } from '../helpers/peers';
import { createTopics, kafkaClient, rawFetch } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';

jest.setTimeout(brokerKind === 'kafka' ? 180_000 : 90_000);

const EXPIRATION_MS = 3_000;

describeWithPeers(brokerPeers(), `producer and transactional id expiry (against ${brokerKind})`, () => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startTestBroker({
      settings: {
        'producer.id.expiration.ms': EXPIRATION_MS,
        'producer.id.expiration.check.interval.ms': 500,
        'transactional.id.expiration.ms': EXPIRATION_MS,
        'transaction.remove.expired.transaction.cleanup.interval.ms': 500,
      },
    });
    await createTopics(broker.bootstrap, [{ topic: 'expiry-idle' }, { topic: 'expiry-txn' }]);
  }, 180_000);

  afterAll(async () => {
    await broker?.close();
  });

  async function withClient<T>(use: (client: FetchClient) => Promise<T>): Promise<T> {
    const [host, port] = broker.bootstrap.split(':');
    const client = await FetchClient.connect(host, Number(port));
    try {
      return await use(client);
    } finally {
      client.close();
    }
  }

  async function producersOf(topic: string): Promise<bigint[]> {
    const response = await withClient((client) => client.request(ApiKey.DescribeProducers, 0, { topics: [{ name: asTopicName(topic), partitionIndexes: [0] }] }));
    const partition = response.topics[0].partitions[0];
    expect(partition.errorCode).toBe(0);
    return partition.activeProducers.map((p) => BigInt(p.producerId));
  }

  async function listedTransactionalIds(): Promise<string[]> {
    const response = await withClient((client) => client.request(ApiKey.ListTransactions, 0, { stateFilters: [], producerIdFilters: [], durationFilter: -1n }));
    expect(response.errorCode).toBe(0);
    return response.transactionStates.map((t) => String(t.transactionalId));
  }

  async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<number> {
    const started = Date.now();
    while (!(await condition())) {
      if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return Date.now() - started;
  }

  test('a partition forgets an idempotent producer idle past producer.id.expiration.ms', async () => {
    const producer = kafkaClient(broker.bootstrap, 'expiry-idle').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: 'expiry-idle', acks: -1, messages: [{ partition: 0, value: 'once' }] });
    const written = Date.now();
    await producer.disconnect();
    const [producerId] = (await rawFetch(broker.bootstrap, 'expiry-idle', 0, 0)).batches.map((b) => b.producerId);
    expect(await producersOf('expiry-idle')).toEqual([producerId]);

    await waitUntil(async () => (await producersOf('expiry-idle')).length === 0, 'the idle producer’s expiry');
    // Not before its time: expiry counts from the producer's last write.
    expect(Date.now() - written).toBeGreaterThanOrEqual(EXPIRATION_MS);
  });

  test('the coordinator forgets a transactional id idle past transactional.id.expiration.ms; it comes back with a new producer id', async () => {
    const commitOne = async (value: string) => {
      const producer = kafkaClient(broker.bootstrap, 'expiry-txn').producer({ transactionalId: 'expiring-id', idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const txn = await producer.transaction();
      await txn.send({ topic: 'expiry-txn', messages: [{ partition: 0, value }] });
      await txn.commit();
      await producer.disconnect();
    };
    await commitOne('first');
    const finished = Date.now();
    expect(await listedTransactionalIds()).toContain('expiring-id');

    await waitUntil(async () => !(await listedTransactionalIds()).includes('expiring-id'), 'the transactional id’s expiry');
    expect(Date.now() - finished).toBeGreaterThanOrEqual(EXPIRATION_MS);

    await commitOne('second');
    expect(await listedTransactionalIds()).toContain('expiring-id');
    const batches = (await rawFetch(broker.bootstrap, 'expiry-txn', 0, 1)).batches.filter((b) => !b.isControl);
    expect(batches.map((b) => b.content)).toEqual([['first'], ['second']]);
    // A forgotten id is a new producer: its old producer id is never handed out again.
    expect(batches[1].producerId).not.toBe(batches[0].producerId);
  });
});
