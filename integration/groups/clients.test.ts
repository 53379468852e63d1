/**
 * Groups from librdkafka-based clients against a Tributary started as a user starts it: confluent-kafka with the
 * cooperative-sticky assignor and static membership (group.instance.id), and kcat's balanced consumer (-G).
 */
import { Kafka, logLevel } from 'kafkajs';
import { describeWithPeer, peerStatus } from '../helpers/peers';
import { runCommand } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from '../broker/tributary-process';

jest.setTimeout(120_000);

const tempDir = useTempDirs('groups-clients');
let broker: TributaryProcess;
const kafka = () => new Kafka({ clientId: 'clients-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });

beforeAll(async () => {
  broker = await TributaryProcess.start(tempDir());
}, 30_000);

afterAll(async () => {
  await broker?.stop();
});

async function topicWithRecords(topic: string, partitions: number, count: number): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka().producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: String(i) })) });
  await producer.disconnect();
}

async function committed(groupId: string, topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  await admin.disconnect();
  return offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

describeWithPeer('confluent-kafka', 'confluent-kafka', () => {
  test('two static members with cooperative-sticky share a topic exactly once and stay in the group after close', async () => {
    await topicWithRecords('ck-orders', 3, 600);
    const script = `
import json, sys, time
from confluent_kafka import Consumer
def member(instance):
    return Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'ck-group', 'group.instance.id': instance,
                     'partition.assignment.strategy': 'cooperative-sticky', 'auto.offset.reset': 'earliest',
                     'enable.auto.commit': False, 'session.timeout.ms': 30000})
members = {name: member(name) for name in ('static-1', 'static-2')}
for c in members.values(): c.subscribe(['ck-orders'])
seen = {name: [] for name in members}
deadline = time.time() + 60
while sum(len(v) for v in seen.values()) < 600 and time.time() < deadline:
    for name, c in members.items():
        m = c.poll(0.1)
        if m is None or m.error(): continue
        seen[name].append(m.value().decode())
        c.commit(message=m, asynchronous=False)
# Both must have settled on a share of the partitions.
while time.time() < deadline and sum(len(c.assignment()) for c in members.values()) != 3:
    for c in members.values(): c.poll(0.1)
assignment = {name: sorted(tp.partition for tp in c.assignment()) for name, c in members.items()}
for c in members.values(): c.close()
print(json.dumps({'seen': seen, 'assignment': assignment}))
`;
    const result = await runCommand(peerStatus('confluent-kafka').path, ['-c', script, broker.bootstrap], { timeoutMs: 90_000 });
    if (result.code !== 0) throw new Error(`confluent-kafka script failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    const answer = JSON.parse(result.stdout.trim().split('\n').pop() as string) as { seen: Record<string, string[]>; assignment: Record<string, number[]> };
    const all = [...answer.seen['static-1'], ...answer.seen['static-2']];
    expect(all).toHaveLength(600);
    expect(new Set(all).size).toBe(600);
    expect([...answer.assignment['static-1'], ...answer.assignment['static-2']].sort()).toEqual([0, 1, 2]);
    expect(answer.assignment['static-1'].length).toBeGreaterThan(0);
    expect(answer.assignment['static-2'].length).toBeGreaterThan(0);
    expect(await committed('ck-group', 'ck-orders')).toBe(600);

    // Static members do not leave on close (KIP-345): the group still holds both instances, whose member ids
    // Kafka derives from their group.instance.id.
    const admin = kafka().admin();
    await admin.connect();
    const { groups } = await admin.describeGroups(['ck-group']);
    await admin.disconnect();
    expect(groups[0].state).toBe('Stable');
    expect(groups[0].protocol).toBe('cooperative-sticky');
    expect(groups[0].members.map((m) => m.memberId.replace(/-[0-9a-f-]{36}$/, '')).sort()).toEqual(['static-1', 'static-2']);
  });
});

describeWithPeer('kcat', 'kcat', () => {
  test('-G consumes a topic as a balanced consumer group and commits what it read', async () => {
    await topicWithRecords('kcat-orders', 2, 300);
    const result = await runCommand(
      peerStatus('kcat').path,
      ['-b', broker.bootstrap, '-G', 'kcat-group', '-X', 'auto.offset.reset=earliest', '-c', '300', '-f', '%s\\n', 'kcat-orders'],
      { timeoutMs: 60_000 },
    );
    expect(result.code).toBe(0);
    const values = result.stdout.trim().split('\n');
    expect(values).toHaveLength(300);
    expect(new Set(values).size).toBe(300);
    expect(await committed('kcat-group', 'kcat-orders')).toBe(300);
  });
});
