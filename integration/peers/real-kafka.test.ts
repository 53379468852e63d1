// Every peer against a real Apache Kafka 3.9 (KRaft, one node, started from the jars scripts/kafka-tool
// fetched). This is the reference run: it proves that each client's produce and consume paths work as the
// tests use them, so that when the same commands later fail against Tributary, the difference is Tributary's.
// Records go round a ring: each client consumes what the previous one produced, so every producer and every
// consumer is checked against a different implementation.
import { runKafkaTool } from '../helpers/kafka-tools';
import { describeWithPeers, peerStatus } from '../helpers/peers';
import { runCommand, type CommandResult } from '../helpers/processes';
import { startRealKafka, type RealKafka } from '../helpers/real-kafka';

interface KeyValue {
  key: string;
  value: string;
}

interface Client {
  name: string;
  produce(bootstrap: string, topic: string, records: KeyValue[]): Promise<CommandResult>;
  /** Reads `count` records from the start of the topic and returns them as `key=value` lines. */
  consume(bootstrap: string, topic: string, count: number): Promise<string[]>;
}

function succeeded(result: CommandResult, what: string): CommandResult {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}${result.timedOut ? ', timed out' : ''}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

const python = () => peerStatus('kafka-python').path;

const kafkaPythonProduce = `
import sys
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers=sys.argv[1])
for pair in sys.argv[3:]:
    key, value = pair.split("=", 1)
    producer.send(sys.argv[2], key=key.encode(), value=value.encode())
producer.flush()
producer.close()
`;

const kafkaPythonConsume = `
import sys
from kafka import KafkaConsumer
consumer = KafkaConsumer(sys.argv[2], bootstrap_servers=sys.argv[1], auto_offset_reset="earliest", consumer_timeout_ms=20000)
count = int(sys.argv[3])
for i, message in enumerate(consumer):
    print(f"{message.key.decode()}={message.value.decode()}", flush=True)
    if i + 1 == count:
        break
consumer.close()
`;

const confluentProduce = `
import sys
from confluent_kafka import Producer
producer = Producer({"bootstrap.servers": sys.argv[1]})
for pair in sys.argv[3:]:
    key, value = pair.split("=", 1)
    producer.produce(sys.argv[2], key=key, value=value)
left = producer.flush(20)
sys.exit(1 if left else 0)
`;

const confluentConsume = `
import sys, time
from confluent_kafka import Consumer
consumer = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "ring-" + sys.argv[2], "auto.offset.reset": "earliest"})
consumer.subscribe([sys.argv[2]])
count, seen, deadline = int(sys.argv[3]), 0, time.time() + 30
while seen < count and time.time() < deadline:
    message = consumer.poll(1.0)
    if message is None or message.error():
        continue
    print(f"{message.key().decode()}={message.value().decode()}", flush=True)
    seen += 1
consumer.close()
`;

const clients: Client[] = [
  {
    name: 'kcat',
    produce: (bootstrap, topic, records) =>
      runCommand(peerStatus('kcat').path, ['-b', bootstrap, '-P', '-t', topic, '-K', '='], {
        input: records.map(({ key, value }) => `${key}=${value}\n`).join(''),
      }),
    consume: async (bootstrap, topic, count) => {
      const result = await runCommand(peerStatus('kcat').path, ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-c', String(count), '-f', '%k=%s\\n'], { timeoutMs: 30_000 });
      return lines(succeeded(result, 'kcat consume').stdout);
    },
  },
  {
    name: 'franz-go',
    produce: (bootstrap, topic, records) =>
      // franz-peer produces key-<i>=value-<i>, which is what the ring sends.
      runCommand(peerStatus('franz-go').path, ['produce', '-brokers', bootstrap, '-topic', topic, '-n', String(records.length), '-auto-create']),
    consume: async (bootstrap, topic, count) => {
      const result = await runCommand(peerStatus('franz-go').path, ['consume', '-brokers', bootstrap, '-topic', topic, '-n', String(count)]);
      return lines(succeeded(result, 'franz-peer consume').stdout).map((line) => {
        const record = JSON.parse(line) as KeyValue;
        return `${record.key}=${record.value}`;
      });
    },
  },
  {
    name: 'kafka-python',
    produce: (bootstrap, topic, records) => runCommand(python(), ['-c', kafkaPythonProduce, bootstrap, topic, ...records.map(({ key, value }) => `${key}=${value}`)]),
    consume: async (bootstrap, topic, count) => lines(succeeded(await runCommand(python(), ['-c', kafkaPythonConsume, bootstrap, topic, String(count)]), 'kafka-python consume').stdout),
  },
  {
    name: 'confluent-kafka',
    produce: (bootstrap, topic, records) => runCommand(python(), ['-c', confluentProduce, bootstrap, topic, ...records.map(({ key, value }) => `${key}=${value}`)]),
    consume: async (bootstrap, topic, count) => lines(succeeded(await runCommand(python(), ['-c', confluentConsume, bootstrap, topic, String(count)]), 'confluent-kafka consume').stdout),
  },
  {
    name: 'kafka-console-*',
    produce: (bootstrap, topic, records) =>
      runKafkaTool('kafka-console-producer.sh', ['--bootstrap-server', bootstrap, '--topic', topic, '--property', 'parse.key=true', '--property', 'key.separator=='], {
        input: records.map(({ key, value }) => `${key}=${value}\n`).join(''),
      }),
    consume: async (bootstrap, topic, count) => {
      const result = await runKafkaTool(
        'kafka-console-consumer.sh',
        ['--bootstrap-server', bootstrap, '--topic', topic, '--from-beginning', '--max-messages', String(count), '--property', 'print.key=true', '--property', 'key.separator=='],
        { timeoutMs: 40_000 },
      );
      return lines(succeeded(result, 'kafka-console-consumer').stdout);
    },
  },
];

describeWithPeers(['kafka-tools', 'kcat', 'kafka-python', 'confluent-kafka', 'franz-go'], 'every peer against a real Kafka 3.9', () => {
  let kafka: RealKafka;
  beforeAll(async () => {
    kafka = await startRealKafka();
  }, 120_000);
  afterAll(async () => {
    await kafka?.stop();
  }, 30_000);

  test('kafka-topics creates and describes a topic with three partitions', async () => {
    const created = await runKafkaTool('kafka-topics.sh', ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', 'described', '--partitions', '3']);
    expect(succeeded(created, 'kafka-topics --create').stdout).toContain('Created topic described.');
    const described = await runKafkaTool('kafka-topics.sh', ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', 'described']);
    expect(succeeded(described, 'kafka-topics --describe').stdout).toMatch(/PartitionCount: 3/);
  }, 60_000);

  const records: KeyValue[] = [0, 1, 2].map((i) => ({ key: `key-${i}`, value: `value-${i}` }));
  test.each(clients.map((producer, i) => [producer.name, clients[(i + 1) % clients.length]!.name, i] as const))(
    '%s produces, %s consumes the same records in order',
    async (_producerName, _consumerName, i) => {
      const producer = clients[i]!;
      const consumer = clients[(i + 1) % clients.length]!;
      const topic = `ring-${i}`;
      succeeded(await producer.produce(kafka.bootstrap, topic, records), `${producer.name} produce`);
      const consumed = await consumer.consume(kafka.bootstrap, topic, records.length);
      expect(consumed).toEqual(records.map(({ key, value }) => `${key}=${value}`));
    },
    90_000,
  );
});
