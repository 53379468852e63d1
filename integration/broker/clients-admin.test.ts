/**
 * Metadata and topic administration from the other mainstream clients: kcat (librdkafka), kafka-python
 * (including the old-protocol path with api_version=(0, 10)), confluent-kafka's AdminClient and franz-go.
 * Producing and consuming with them comes when the broker serves Produce and Fetch.
 */
import { describeWithPeer, describeWithPeers, peerStatus } from '../helpers/peers';
import { runCommand } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from './tributary-process';

const tempDir = useTempDirs('broker-clients');
let broker: TributaryProcess;

beforeAll(async () => {
  broker = await TributaryProcess.start(tempDir(), ['num.partitions=2']);
}, 30_000);

afterAll(async () => {
  await broker?.stop();
});

async function python(peer: 'kafka-python' | 'confluent-kafka', script: string): Promise<unknown> {
  const result = await runCommand(peerStatus(peer).path, ['-c', script, broker.bootstrap], { timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`${peer} script failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() as string);
}

describeWithPeer('kcat', 'kcat', () => {
  test('-L lists the broker, the controller and topics with their partitions', async () => {
    const list = async () => {
      const result = await runCommand(peerStatus('kcat').path, ['-b', broker.bootstrap, '-L', '-J'], { timeoutMs: 30_000 });
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout);
    };
    // `-t` asks for one topic; librdkafka allows auto-creation there, so the broker creates it, as Kafka would.
    const one = await runCommand(peerStatus('kcat').path, ['-b', broker.bootstrap, '-L', '-t', 'kcat-topic'], { timeoutMs: 30_000 });
    expect(one.code).toBe(0);
    const metadata = await list();
    expect(metadata.brokers).toEqual([{ id: 1001, name: broker.bootstrap }]);
    expect(metadata.controllerid).toBe(1001);
    const topic = metadata.topics.find((t: { topic: string }) => t.topic === 'kcat-topic');
    expect(topic.partitions.map((p: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }) => [p.partition, p.leader, p.replicas, p.isrs])).toEqual([
      [0, 1001, [{ id: 1001 }], [{ id: 1001 }]],
      [1, 1001, [{ id: 1001 }], [{ id: 1001 }]],
    ]);
  });
});

describeWithPeer('kafka-python', 'kafka-python', () => {
  test('KafkaAdminClient creates, lists and describes topics; an api_version=(0, 10) client reads metadata', async () => {
    const answer = (await python(
      'kafka-python',
      `
import json, sys
from kafka.admin import KafkaAdminClient, NewTopic
from kafka import KafkaConsumer
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1])
created = admin.create_topics([NewTopic('py-topic', 3, 1, topic_configs={'retention.ms': '5000'})])
described = admin.describe_topics(['py-topic'])[0]
topics = sorted(admin.list_topics())
admin.close()
old = KafkaConsumer(bootstrap_servers=sys.argv[1], api_version=(0, 10))
old_partitions = sorted(old.partitions_for_topic('py-topic'))
old.close()
print(json.dumps({
  'created': [(t['name'], t['error_code'], t['num_partitions'], t['configs']['retention.ms']['config_source']) for t in created['topics']] if isinstance(created, dict) else str(created),
  'described': [(p['partition_index'], p['leader_id'], p['replica_nodes']) for p in described['partitions']],
  'topics': topics,
  'old_partitions': old_partitions,
}))
`,
    )) as Record<string, unknown>;
    expect(answer).toEqual({
      created: [['py-topic', 0, 3, 'DYNAMIC_TOPIC_CONFIG']],
      described: [
        [0, 1001, [1001]],
        [1, 1001, [1001]],
        [2, 1001, [1001]],
      ],
      topics: expect.arrayContaining(['py-topic']),
      old_partitions: [0, 1, 2],
    });
  }, 60_000);
});

describeWithPeer('confluent-kafka', 'confluent-kafka', () => {
  test('AdminClient creates topics, lists metadata, describes configs and the cluster', async () => {
    const answer = await python(
      'confluent-kafka',
      `
import json, sys
from confluent_kafka.admin import AdminClient, NewTopic, ConfigResource
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
for topic, future in admin.create_topics([NewTopic('ck-topic', 2, 1, config={'cleanup.policy': 'compact'})]).items():
    future.result()
metadata = admin.list_topics(timeout=10)
configs = {}
for resource, future in admin.describe_configs([ConfigResource('topic', 'ck-topic')]).items():
    entries = future.result()
    configs = {name: [entries[name].value, entries[name].source] for name in ('cleanup.policy', 'retention.ms')}
cluster = admin.describe_cluster().result()
print(json.dumps({
  'partitions': sorted(metadata.topics['ck-topic'].partitions.keys()),
  'brokers': sorted(metadata.brokers.keys()),
  'controller': metadata.controller_id,
  'configs': configs,
  'cluster': [cluster.cluster_id == metadata.cluster_id, [node.id for node in cluster.nodes], cluster.controller.id],
}))
`,
    );
    expect(answer).toEqual({
      partitions: [0, 1],
      brokers: [1001],
      controller: 1001,
      // confluent-kafka numbers sources as Kafka does: 1 is the topic's own config, 5 the default.
      configs: { 'cleanup.policy': ['compact', 1], 'retention.ms': ['604800000', 5] },
      cluster: [true, [1001], 1001],
    });
  }, 60_000);
});

describeWithPeers(['franz-go', 'kcat'], 'franz-go', () => {
  test('reads the cluster: id, controller, brokers and topics', async () => {
    // kcat's metadata request for one topic auto-creates it.
    const create = await runCommand(peerStatus('kcat').path, ['-b', broker.bootstrap, '-L', '-t', 'go-topic'], { timeoutMs: 30_000 });
    expect(create.code).toBe(0);
    const result = await runCommand(peerStatus('franz-go').path, ['metadata', '-brokers', broker.bootstrap], { timeoutMs: 30_000 });
    expect(result.code).toBe(0);
    const metadata = JSON.parse(result.stdout);
    expect(metadata).toMatchObject({ controllerId: 1001, brokers: [{ nodeId: 1001, host: broker.host, port: broker.port }] });
    expect(metadata.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(metadata.topics).toContainEqual({ name: 'go-topic', errorCode: 0, partitions: 2 });
  });
});
