/**
 * kafkajs' admin client against a broker started as a user starts it.
 */
import { Kafka, logLevel } from 'kafkajs';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from './tributary-process';

const tempDir = useTempDirs('broker-admin');
let broker: TributaryProcess;
let kafka: Kafka;

beforeAll(async () => {
  broker = await TributaryProcess.start(tempDir(), ['num.partitions=2']);
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'admin-test', logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}, 30_000);

afterAll(async () => {
  await broker?.stop();
});

test('create, list, describe, grow and delete topics; describe the cluster', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'events' }], waitForLeaders: true })).toBe(true);
    // kafkajs answers false, not an error, for a topic that already exists.
    expect(await admin.createTopics({ topics: [{ topic: 'orders' }] })).toBe(false);
    expect((await admin.listTopics()).sort()).toEqual(['events', 'orders']);

    const { topics } = await admin.fetchTopicMetadata({ topics: ['orders', 'events'] });
    const byName = new Map(topics.map((topic) => [topic.name, topic]));
    const cluster = await admin.describeCluster();
    const leader = cluster.controller as number;
    expect(byName.get('orders')!.partitions.map((p) => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))).toEqual(
      [0, 1, 2].map((id) => ({ id, leader, replicas: [leader], isr: [leader] })),
    );
    // The broker's num.partitions applies when the request leaves the count to it.
    expect(byName.get('events')!.partitions).toHaveLength(2);

    expect(cluster).toEqual({ brokers: [{ nodeId: leader, host: '127.0.0.1', port: broker.port }], controller: leader, clusterId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });

    await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] });
    expect((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0].partitions).toHaveLength(5);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 4 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });

    await admin.deleteTopics({ topics: ['events'] });
    expect(await admin.listTopics()).toEqual(['orders']);

    // kafkajs gathers per-topic errors into one error with their types.
    const creationError = (type: string) => ({ errors: [expect.objectContaining({ type })] });
    await expect(admin.createTopics({ topics: [{ topic: 'bad name' }] })).rejects.toMatchObject(creationError('INVALID_TOPIC_EXCEPTION'));
    await expect(admin.createTopics({ topics: [{ topic: 'rf', replicationFactor: 3 }] })).rejects.toMatchObject(creationError('INVALID_REPLICATION_FACTOR'));
    await expect(admin.createTopics({ topics: [{ topic: 'cfg', configEntries: [{ name: 'retention.mss', value: '1' }] }] })).rejects.toMatchObject(
      creationError('INVALID_CONFIG'),
    );
    expect(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'dry-run', numPartitions: 4 }] })).toBe(true);
    expect(await admin.listTopics()).toEqual(['orders']);
  } finally {
    await admin.disconnect();
  }
});

test("the admin client's metadata requests do not auto-create topics (it sends allow_auto_topic_creation=false)", async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await expect(admin.fetchTopicMetadata({ topics: ['not-created'] })).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(await admin.listTopics()).not.toContain('not-created');
  } finally {
    await admin.disconnect();
  }
});
