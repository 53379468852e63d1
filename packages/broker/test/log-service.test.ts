/**
 * The wiring between metadata and storage: partition logs follow topic creation, growth, config changes and
 * deletion; handlers find them by name and by id; append listeners hear every append; a broker's graceful
 * shutdown leaves a clean log dir.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKey, ErrorCode, asTopicName, buildRecordBatch } from '@tributary/protocol';
import { BrokerConfig } from '@tributary/metadata';
import { Broker, silentLogger } from '../src';
import { openHarness } from './harness';
import { askBroker as ask } from './one-request';

const newTopic = (name: string, numPartitions: number, configs: { name: string; value: string }[] = []) => ({
  name: asTopicName(name),
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

    await h.call(ApiKey.CreatePartitions, 3, { topics: [{ name: asTopicName('orders'), count: 3, assignments: null }], timeoutMs: 5000, validateOnly: false });
    await h.settled();
    expect(h.logs.partition('orders', 2)?.partition).toBe(2);
    expect(fs.existsSync(path.join(h.dir, 'orders-2'))).toBe(true);

    await h.call(ApiKey.DeleteTopics, 5, { topics: [], topicNames: [asTopicName('orders')], timeoutMs: 5000 });
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

test('a partition whose log dir is offline at start answers KAFKA_STORAGE_ERROR; the other dir keeps serving', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-offline-'));
  const [dirA, dirB] = [path.join(root, 'a'), path.join(root, 'b')];
  const config = BrokerConfig.of({ 'broker.id': '1', 'log.dirs': `${dirA},${dirB}`, listeners: 'PLAINTEXT://127.0.0.1:0' });
  try {
    const broker = await Broker.start({ config, logger: silentLogger });
    await broker.metadata.createTopic({ name: 'spread', numPartitions: 2, replicationFactor: -1, assignments: [], configs: new Map() }, { validateOnly: false });
    for (const index of [0, 1]) broker.logs.append(broker.logs.partition('spread', index)!, batch(3));
    await broker.shutdown();
    // The two partitions went to different dirs (the emptier one takes each new log).
    const inB = [0, 1].find((index) => fs.existsSync(path.join(dirB, `spread-${index}`)))!;
    const inA = 1 - inB;
    expect(fs.existsSync(path.join(dirA, `spread-${inA}`))).toBe(true);
    // The disk of b fails: reading its checkpoints fails (a directory where a file must be: EISDIR, as EIO would).
    const checkpoint = path.join(dirB, 'recovery-point-offset-checkpoint');
    fs.rmSync(checkpoint);
    fs.mkdirSync(checkpoint);

    const again = await Broker.start({ config, logger: silentLogger });
    try {
      const port = again.advertisedEndpoints[0].port;
      const produce = (index: number) =>
        ask(port, ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'spread' as never, partitionData: [{ index, records: batch(1) }] }] });
      expect((await produce(inB)).responses[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1n, logStartOffset: -1n });
      expect((await produce(inA)).responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 3n });
      const offsets = await ask(port, ApiKey.ListOffsets, 9, {
        replicaId: -1 as never,
        isolationLevel: 0,
        topics: [{ name: 'spread' as never, partitions: [inA, inB].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
      });
      expect(offsets.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode, p.offset])).toEqual([
        [inA, 0, 4n],
        [inB, ErrorCode.KAFKA_STORAGE_ERROR, -1n],
      ]);
      const dirs = await ask(port, ApiKey.DescribeLogDirs, 4, { topics: null });
      expect(dirs.results.map((r) => [r.logDir, r.errorCode, r.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}`))])).toEqual([
        [dirA, 0, [`spread-${inA}`]],
        [dirB, ErrorCode.KAFKA_STORAGE_ERROR, []],
      ]);
      // No empty stand-in log was created for the partition whose records are in the failed dir.
      expect(fs.existsSync(path.join(dirA, `spread-${inB}`))).toBe(false);
    } finally {
      await again.shutdown();
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a dynamic broker default (log.retention.ms) reaches every log without its own override', async () => {
  const h = await openHarness();
  try {
    await h.call(ApiKey.CreateTopics, 7, { topics: [newTopic('plain', 1), newTopic('own', 1, [{ name: 'retention.ms', value: '777' }])], timeoutMs: 5000, validateOnly: false });
    await h.settled();
    const response = await h.call(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '4242' }] }],
      validateOnly: false,
    });
    expect(response.responses[0].errorCode).toBe(0);
    await h.settled();
    expect(h.logs.partition('plain', 0)!.config.retentionMs).toBe(4242);
    expect(h.logs.partition('own', 0)!.config.retentionMs).toBe(777);
  } finally {
    await h.close();
  }
});
