/**
 * The kafkajs idempotent producer through a proxy that loses Produce responses: the broker has appended the
 * batch, the client never hears so and sends the same batch (same producer id, epoch and sequence) again on a
 * new connection. The broker must recognise the duplicate and answer with the original offset, so that the
 * partition holds every value exactly once, in order, with no gap. Passed against Kafka 3.9 first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FaultProxy } from '../helpers/fault-proxy';
import { runKafkaTool } from '../helpers/kafka-tools';
import { describeWithPeers, peerStatus } from '../helpers/peers';
import { makeTempDir, removeTempDir } from '../helpers/tmp';
import { createTopics, kafkaClient, rawFetch, readTopic } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';

jest.setTimeout(brokerKind === 'kafka' ? 180_000 : 120_000);

const PRODUCE = 0;
const SENDS = 60;
/** Every third Produce response is lost. */
const DROP_EVERY = 3;

describeWithPeers(brokerPeers(), `kafkajs idempotent producer through lost Produce responses (against ${brokerKind})`, () => {
  let broker: TestBroker;
  let proxy: FaultProxy;

  beforeAll(async () => {
    proxy = new FaultProxy({ dropResponse: ({ apiKey, seenOfKey }) => apiKey === PRODUCE && seenOfKey % DROP_EVERY === DROP_EVERY - 1 });
    const proxyPort = await proxy.listen();
    broker = await startTestBroker({ advertisedPort: proxyPort });
    proxy.forwardTo('127.0.0.1', broker.port);
    await createTopics(broker.bootstrap, [{ topic: 'idempotent-retries' }, { topic: 'idempotent-retries-java' }]);
  }, 180_000);

  afterAll(async () => {
    await proxy?.close();
    await broker?.close();
  });

  test(`${SENDS} sends, every ${DROP_EVERY}rd response lost: each value stored once, in order, no gaps, original offsets answered`, async () => {
    const producer = kafkaClient(broker.bootstrap, 'idempotent-retries', { retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const expected: string[] = [];
    const answeredOffsets: number[] = [];
    try {
      for (let send = 0; send < SENDS; send++) {
        // Batches of 1 to 3 records, so a duplicate is recognised by its whole sequence range.
        const values = Array.from({ length: 1 + (send % 3) }, (_, i) => `s${send}-r${i}`);
        const [metadata] = await producer.send({ topic: 'idempotent-retries', acks: -1, messages: values.map((value) => ({ partition: 0, value })) });
        expect(metadata.errorCode).toBe(0);
        answeredOffsets.push(Number(metadata.baseOffset));
        expected.push(...values);
      }
    } finally {
      await producer.disconnect();
    }
    // The faults really happened, and the client really retried each one.
    expect(proxy.dropped.length).toBeGreaterThanOrEqual(Math.floor(SENDS / DROP_EVERY) - 1);

    const read = await readTopic(broker.bootstrap, 'idempotent-retries', { until: (records) => records.length >= expected.length, timeoutMs: 60_000 });
    expect(read.map((r) => r.value)).toEqual(expected);
    expect(read.map((r) => r.offset)).toEqual(expected.map((_, i) => i));

    // Each send was answered with the offset its first record really has: a retried duplicate gets the
    // original append's offset, not a new one and not an error.
    let offset = 0;
    const offsetsOfSends = Array.from({ length: SENDS }, (_, send) => {
      const at = offset;
      offset += 1 + (send % 3);
      return at;
    });
    expect(answeredOffsets).toEqual(offsetsOfSends);

    // One producer id, one epoch, and sequences that follow the offsets: no batch was written twice.
    const fetched = await rawFetch(broker.bootstrap, 'idempotent-retries', 0, 0);
    expect(fetched.highWatermark).toBe(expected.length);
    expect(new Set(fetched.batches.map((b) => `${b.producerId}/${b.producerEpoch}`)).size).toBe(1);
    expect(fetched.batches.map((b) => [b.baseOffset, b.firstSequence])).toEqual(offsetsOfSends.map((o) => [o, o]));
  });

  // The Java producer keeps up to five batches in flight with idempotence on: a lost connection fails all of
  // them at once, some already appended, and the retries must be sorted out by sequence (duplicates answered,
  // the rest appended in order). kafka-verifiable-producer.sh writes the values 0..N-1 and reports each ack.
  const javaTest = peerStatus('kafka-tools').available ? test : test.skip;
  javaTest('the Java producer (five batches in flight) through the same losses: 0..N-1 each stored once, in order', async () => {
    const count = 5_000;
    const dir = makeTempDir('java-idempotent');
    try {
      const config = path.join(dir, 'producer.properties');
      // Small batches and no linger: many Produce requests, several in flight when a response is lost.
      fs.writeFileSync(config, 'enable.idempotence=true\nacks=all\nmax.in.flight.requests.per.connection=5\nbatch.size=2048\nlinger.ms=0\nretry.backoff.ms=20\nretries=2147483647\n');
      const droppedBefore = proxy.dropped.length;
      const result = await runKafkaTool('kafka-verifiable-producer.sh', ['--bootstrap-server', broker.bootstrap, '--topic', 'idempotent-retries-java', '--max-messages', String(count), '--producer.config', config], {
        timeoutMs: 120_000,
      });
      if (result.code !== 0) throw new Error(`kafka-verifiable-producer.sh exited with ${result.code}:\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-3000)}`);
      expect(result.stdout).not.toContain('producer_send_error');
      expect(result.stdout).toContain(`"acked":${count}`);
      expect(result.code).toBe(0);
      const dropped = proxy.dropped.length - droppedBefore;
      console.log(`[idempotent] the Java producer lost ${dropped} Produce responses (${brokerKind})`);
      expect(dropped).toBeGreaterThan(2);
      // The premise: several Produce requests really were in flight on one connection.
      expect(proxy.maxInFlight.get(PRODUCE)).toBeGreaterThan(1);
    } finally {
      removeTempDir(dir);
    }
    const read = await readTopic(broker.bootstrap, 'idempotent-retries-java', { until: (records) => records.length >= count, timeoutMs: 60_000 });
    expect(read.map((r) => r.value)).toEqual(Array.from({ length: count }, (_, i) => String(i)));
    expect(read.map((r) => r.offset)).toEqual(Array.from({ length: count }, (_, i) => i));
    const fetched = await rawFetch(broker.bootstrap, 'idempotent-retries-java', 0, 0);
    expect(new Set(fetched.batches.map((b) => `${b.producerId}/${b.producerEpoch}`)).size).toBe(1);
    expect(fetched.batches.every((b) => b.firstSequence === b.baseOffset)).toBe(true);
  });
});
