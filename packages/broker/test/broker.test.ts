/**
 * The composition root in-process: a Broker on an ephemeral port, driven by kafkajs' admin client, with a
 * stand-in log layer that records what it is told.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey } from '@tributary/protocol';
import { BrokerConfig, PartitionState, TopicMetadata } from '@tributary/metadata';
import { Broker, PartitionLogs, silentLogger } from '../src';
import { askBroker } from './one-request';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-broker-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

class RecordingLogs implements PartitionLogs {
  readonly calls: string[] = [];
  openPartitions(topic: TopicMetadata, partitions: readonly PartitionState[]): void {
    this.calls.push(`open ${topic.name} ${partitions.map((p) => p.partitionIndex).join(',')}`);
  }
  async deleteTopic(topic: TopicMetadata): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.calls.push(`delete ${topic.name}`);
  }
  topicConfigsChanged(topic: TopicMetadata): void {
    this.calls.push(`configs ${topic.name} ${JSON.stringify(Object.fromEntries(topic.configs))}`);
  }
}

async function start(logs: PartitionLogs): Promise<Broker> {
  const config = BrokerConfig.of({ 'broker.id': '3', 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0', 'num.partitions': '2' });
  return Broker.start({ config, logger: silentLogger, partitionLogs: logs });
}

test('the log layer hears of every partition at start and of each change, in order', async () => {
  const logs = new RecordingLogs();
  const broker = await start(logs);
  const port = broker.advertisedEndpoints[0].port;
  expect(broker.advertisedEndpoints).toEqual([{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' }]);
  const admin = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'a' }, { topic: 'b', numPartitions: 1 }] });
  await admin.createPartitions({ topicPartitions: [{ topic: 'a', count: 4 }] });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'a', configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
  await admin.deleteTopics({ topics: ['b'] });
  await admin.disconnect();
  await broker.shutdown();
  expect(logs.calls).toEqual(['open a 0,1', 'open b 0', 'open a 2,3', 'configs a {"retention.ms":"1000"}', 'delete b']);

  const again = new RecordingLogs();
  const restarted = await start(again);
  expect(restarted.metadata.localBrokerId).toBe(3);
  expect(again.calls).toEqual(['open a 0,1,2,3']);
  await restarted.shutdown();
});

test('a port already taken fails the start with the reason', async () => {
  const logs = new RecordingLogs();
  const first = await start(logs);
  const port = first.advertisedEndpoints[0].port;
  const config = BrokerConfig.of({ 'broker.id': '3', 'log.dirs': fs.mkdtempSync(path.join(dir, 'b')), listeners: `PLAINTEXT://127.0.0.1:${port}` });
  await expect(Broker.start({ config, logger: silentLogger })).rejects.toThrow(/EADDRINUSE/);
  await first.shutdown();
});

test('advertised listeners must name bound listeners, as Kafka requires', async () => {
  const config = BrokerConfig.of({ 'log.dirs': fs.mkdtempSync(path.join(dir, 'c')), listeners: 'PLAINTEXT://127.0.0.1:0', 'advertised.listeners': 'OTHER://example:9092', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT' });
  await expect(Broker.start({ config, logger: silentLogger })).rejects.toThrow('OTHER is not in listeners');
});

test('each listener answers Metadata with the endpoints advertised for it', async () => {
  const config = BrokerConfig.of({
    'broker.id': '5',
    'log.dirs': fs.mkdtempSync(path.join(dir, 'd')),
    listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
    'advertised.listeners': 'PLAINTEXT://public.example:19092,INTERNAL://127.0.0.1:0',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT',
  });
  const broker = await Broker.start({ config, logger: silentLogger });
  const internalPort = broker.boundListeners.find((listener) => listener.name === 'INTERNAL')!.port;
  const plaintextPort = broker.boundListeners.find((listener) => listener.name === 'PLAINTEXT')!.port;
  expect(broker.advertisedEndpoints).toEqual([
    { listenerName: 'PLAINTEXT', host: 'public.example', port: 19092, securityProtocol: 'PLAINTEXT' },
    { listenerName: 'INTERNAL', host: '127.0.0.1', port: internalPort, securityProtocol: 'PLAINTEXT' },
  ]);
  const brokersSeenOn = async (port: number) => {
    const admin = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    // kafkajs connects to the advertised address after the first Metadata; DescribeCluster on the seed is enough.
    await admin.connect();
    try {
      return (await admin.describeCluster()).brokers;
    } finally {
      await admin.disconnect();
    }
  };
  expect(await brokersSeenOn(internalPort)).toEqual([{ nodeId: 5, host: '127.0.0.1', port: internalPort }]);
  // kafkajs would now connect to public.example; a raw Metadata request shows what the PLAINTEXT listener says.
  const answer = await askBroker(plaintextPort, ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  expect(answer.brokers).toEqual([{ nodeId: 5, host: 'public.example', port: 19092, rack: null }]);
  await broker.shutdown();
});
