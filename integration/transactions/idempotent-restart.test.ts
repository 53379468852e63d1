/**
 * Idempotence across a broker restart: the response to a kafkajs idempotent producer's batch is lost and, at
 * that very moment, the broker is stopped (SIGTERM: producer state snapshotted at shutdown) or killed (SIGKILL:
 * state rebuilt from the log on recovery). When it is back, the producer retries the same batch on a new
 * connection and goes on writing with the same producer id: the broker must know the producer's sequence from
 * disk, recognise the retried batch as the one it already has (answering its original offset) and accept the
 * next sequences. Passed against Kafka 3.9 first (TXN_BROKER=kafka).
 */
import { FaultProxy } from '../helpers/fault-proxy';
import { describeWithPeers } from '../helpers/peers';
import { createTopics, kafkaClient, rawFetch, readTopic } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';

jest.setTimeout(brokerKind === 'kafka' ? 300_000 : 120_000);

const PRODUCE = 0;
const BEFORE = 10;
const AFTER = 10;
const RECORDS_PER_SEND = 2;

describeWithPeers(brokerPeers(), `kafkajs idempotent producer across a broker restart (against ${brokerKind})`, () => {
  let broker: TestBroker;
  let proxy: FaultProxy;
  /** Set by a test: when the next Produce response arrives, drop it and run this (the restart). */
  let onNextProduceResponse: (() => void) | undefined;

  beforeAll(async () => {
    proxy = new FaultProxy({
      dropResponse: ({ apiKey }) => {
        if (apiKey !== PRODUCE || !onNextProduceResponse) return false;
        const restart = onNextProduceResponse;
        onNextProduceResponse = undefined;
        restart();
        return true;
      },
    });
    broker = await startTestBroker({ advertisedPort: await proxy.listen() });
    proxy.forwardTo('127.0.0.1', broker.port);
    await createTopics(broker.bootstrap, [{ topic: 'idempotent-restart-kill' }, { topic: 'idempotent-restart-stop' }]);
  }, 180_000);

  afterAll(async () => {
    await proxy?.close();
    await broker?.close();
  });

  test.each([
    ['SIGKILL', 'kill'],
    ['SIGTERM', 'stop'],
  ] as const)('%s while a batch is unanswered: the retry after the restart is recognised, later batches accepted', async (_signal, how) => {
    const topic = `idempotent-restart-${how}`;
    const producer = kafkaClient(broker.bootstrap, `idempotent-restart-${how}`, { retry: { retries: 60, initialRetryTime: 200, maxRetryTime: 1_000 } }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const expected: string[] = [];
    const answered: number[] = [];
    let restarted: Promise<void> | undefined;
    try {
      for (let send = 0; send < BEFORE + AFTER; send++) {
        if (send === BEFORE) onNextProduceResponse = () => (restarted = (how === 'kill' ? broker.kill() : broker.stop()).then(() => broker.start()));
        const values = Array.from({ length: RECORDS_PER_SEND }, (_, i) => `${how}-s${send}-r${i}`);
        const [metadata] = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ partition: 0, value })) });
        answered.push(Number(metadata.baseOffset));
        expected.push(...values);
      }
    } finally {
      await producer.disconnect();
    }
    expect(restarted).toBeDefined();
    await restarted;

    expect(answered).toEqual(Array.from({ length: BEFORE + AFTER }, (_, send) => send * RECORDS_PER_SEND));
    const read = await readTopic(broker.bootstrap, topic, { until: (records) => records.length >= expected.length });
    expect(read.map((r) => r.value)).toEqual(expected);
    expect(read.map((r) => r.offset)).toEqual(expected.map((_, i) => i));
    const fetched = await rawFetch(broker.bootstrap, topic, 0, 0);
    expect(fetched.highWatermark).toBe(expected.length);
    expect(new Set(fetched.batches.map((b) => `${b.producerId}/${b.producerEpoch}`)).size).toBe(1);
    expect(fetched.batches.map((b) => [b.baseOffset, b.firstSequence])).toEqual(answered.map((offset) => [offset, offset]));
  });
});
