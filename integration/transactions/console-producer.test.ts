/**
 * Kafka's console producer with its default settings: since Kafka 3.0 the Java producer turns idempotence on by
 * default (acks=all, InitProducerId before the first write, a producer id and sequence numbers on every batch),
 * so this is what every modern Java application does before its first record. No --producer-property at all.
 */
import { runKafkaTool } from '../helpers/kafka-tools';
import { describeWithPeers } from '../helpers/peers';
import { createTopics, rawFetch, readTopic } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';

jest.setTimeout(brokerKind === 'kafka' ? 180_000 : 90_000);

const LINES = 500;

describeWithPeers(brokerPeers('kafka-tools'), `kafka-console-producer.sh with default settings (against ${brokerKind})`, () => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startTestBroker();
    await createTopics(broker.bootstrap, [{ topic: 'console-idempotent' }]);
  }, 180_000);

  afterAll(async () => {
    await broker?.close();
  });

  test(`writes ${LINES} lines, idempotently, that a consumer reads back exactly and in order`, async () => {
    const lines = Array.from({ length: LINES }, (_, i) => `line-${i}`);
    const result = await runKafkaTool('kafka-console-producer.sh', ['--bootstrap-server', broker.bootstrap, '--topic', 'console-idempotent'], {
      input: lines.join('\n') + '\n',
      timeoutMs: 90_000,
    });
    // The console producer logs send failures (e.g. an unsupported InitProducerId) but may still exit 0.
    expect(result.stderr).not.toMatch(/ERROR|Exception/);
    expect(result.code).toBe(0);

    const read = await readTopic(broker.bootstrap, 'console-idempotent', { until: (records) => records.length >= LINES });
    expect(read.map((r) => r.value)).toEqual(lines);
    expect(read.map((r) => r.offset)).toEqual(lines.map((_, i) => i));

    // The batches on the broker carry a real producer id, epoch 0 and sequences that count records from 0:
    // the producer really was idempotent, not silently downgraded.
    const fetched = await rawFetch(broker.bootstrap, 'console-idempotent', 0, 0);
    expect(fetched.batches.length).toBeGreaterThan(0);
    const producerIds = new Set(fetched.batches.map((b) => b.producerId));
    expect(producerIds.size).toBe(1);
    expect([...producerIds][0]).toBeGreaterThanOrEqual(0n);
    expect(fetched.batches.every((b) => !b.isTransactional && !b.isControl)).toBe(true);
    expect(fetched.batches.map((b) => b.firstSequence)).toEqual(fetched.batches.map((b) => b.baseOffset));
  });
});
