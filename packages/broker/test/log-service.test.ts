/**
 * The wiring between metadata and storage: partition logs follow topic creation, growth, config changes and
 * deletion; handlers find them by name and by id; append listeners hear every append; a broker's graceful
 * shutdown leaves a clean log dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKey, buildRecordBatch } from '@tributary/protocol';
import { BrokerConfig } from '@tributary/metadata';
import { Broker, silentLogger } from '../src';
import { openHarness } from './harness';

const newTopic = (name: string, numPartitions: number, configs: { name: string; value: string }[] = []) => ({
  name,
  numPartitions,
  replicationFactor: -1,
  assignments: [],
  configs,
});

const batch = (count: number) =>
  buildRecordBatch({ records: Array.from({ length: count }, (_, i) => ({ timestamp: 1_700_000_000_000n + BigInt(i), key: null, value: Buffer.from(`v${i}`) })) });

test('logs follow the metadata: created, found by name and id, reconfigured, grown and deleted', async () => {
  const h = await openHarness({ 'log.retention.ms': '123456' });
  try {
    await h.call(ApiKey.CreateTopics, 7, { topics: [newTopic('orders', 2, [{ name: 'segment.bytes', value: '1048576' }])], timeoutMs: 5000, validateOnly: false });
    await h.settled();
    const topic = h.metadata.topic('orders');
    expect(topic).toBeDefined();
    const log = h.logs.partition('orders', 1);
    expect(log?.partition).toBe(1);
    expect(h.logs.partitionById(topic!.topicId, 1)).toBe(log);
    expect(h.logs.partition('orders', 2)).toBeUndefined();
    expect(h.logs.partition('missing', 0)).toBeUndefined();
    expect(log!.topicId).toBe(topic!.topicId);
    // The topic override and the broker default both reach the log's config.
    expect(log!.config.segmentBytes).toBe(1048576);
    expect(log!.config.retentionMs).toBe(123456);
    // The partition's leader epoch starts the epoch cache, as a Kafka leader does on election.
    expect(log!.leaderEpochCache.all).toEqual([{ epoch: 0, startOffset: 0n }]);

    await h.call(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 0, value: '5000' }] }],
      validateOnly: false,
    });
    await h.settled();
    expect(log!.config.retentionMs).toBe(5000);

    await h.call(ApiKey.CreatePartitions, 3, { topics: [{ name: 'orders', count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false });
    await h.settled();
    expect(h.logs.partition('orders', 2)?.partition).toBe(2);
    expect(fs.existsSync(path.join(h.dir, 'orders-2'))).toBe(true);

    await h.call(ApiKey.DeleteTopics, 5, { topics: [], topicNames: ['orders'], timeoutMs: 5000 });
    await h.settled();
    expect(h.logs.partition('orders', 0)).toBeUndefined();
    expect(fs.readdirSync(h.dir).filter((name) => name.startsWith('orders-') && !name.endsWith('-delete'))).toEqual([]);
  } finally {
    await h.close();
  }
});

test('append listeners hear each append with its offsets, and can unsubscribe', async () => {
  const h = await openHarness();
  try {
    await h.call(ApiKey.CreateTopics, 7, { topics: [newTopic('t', 1)], timeoutMs: 5000, validateOnly: false });
    const heard: string[] = [];
    const stop = h.logs.onAppend((log, result) => heard.push(`${log.topic}-${log.partition}:${result.firstOffset}-${result.lastOffset}`));
    const log = h.logs.partition('t', 0)!;
    h.logs.append(log, batch(3));
    h.logs.append(log, batch(2));
    stop();
    h.logs.append(log, batch(1));
    expect(heard).toEqual(['t-0:0-2', 't-0:3-4']);
    expect(log.logEndOffset).toBe(6n);
    expect(log.highWatermark).toBe(6n);
  } finally {
    await h.close();
  }
});

test('a broker opens its logs at start, and a graceful shutdown leaves a clean log dir with every record', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-logs-'));
  const config = BrokerConfig.of({ 'broker.id': '1', 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0' });
  try {
    const broker = await Broker.start({ config, logger: silentLogger });
    await broker.metadata.createTopic({ name: 'kept', numPartitions: 1, replicationFactor: -1, assignments: [], configs: new Map() }, { validateOnly: false });
    broker.logs.append(broker.logs.partition('kept', 0)!, batch(5));
    await broker.shutdown();
    expect(fs.existsSync(path.join(dir, '.kafka_cleanshutdown'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\nkept 0 5\n');

    const again = await Broker.start({ config, logger: silentLogger });
    expect(again.logs.partition('kept', 0)?.logEndOffset).toBe(5n);
    await again.shutdown();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a log the metadata does not know is removed at start', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-logs-'));
  const config = BrokerConfig.of({ 'broker.id': '1', 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0' });
  try {
    fs.mkdirSync(path.join(dir, 'ghost-0'));
    const broker = await Broker.start({ config, logger: silentLogger });
    expect(fs.existsSync(path.join(dir, 'ghost-0'))).toBe(false);
    await broker.shutdown();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
