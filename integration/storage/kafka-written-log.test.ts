// The other direction of on-disk compatibility: a log dir written by a real Kafka 3.9 broker (KRaft, started from
// the official jars) is opened by Tributary's LogManager — checkpoints, meta.properties, leader epochs, segments
// and indexes — and read record by record. Tributary then appends to Kafka's log, and Kafka, restarted on the
// same dir, serves Tributary's appends to kafka-console-consumer.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CompressionType, buildRecordBatch, decodeBatchRecords, readBatchHeader } from '@tributary/protocol';
import { FetchIsolation, LogManager, NodeFileSystem, systemClock } from '@tributary/storage';
import { runKafkaTool } from '../helpers/kafka-tools';
import { kafkaToolScript } from '../helpers/paths';
import { describeWithPeer } from '../helpers/peers';
import { freePort } from '../helpers/ports';
import { startProcess, type ManagedProcess } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';

const TOPIC = 'written-by-kafka';
const KAFKA_RECORDS = 300;
const OUR_BATCHES = 10;

async function startKafka(configFile: string): Promise<ManagedProcess> {
  const server = startProcess(kafkaToolScript, ['kafka-server-start', configFile], { description: 'kafka-server-start' });
  await server.waitForOutput(/Kafka Server started/, 90_000);
  return server;
}

describeWithPeer('kafka-tools', 'a log dir written by Kafka 3.9', () => {
  const tempDir = useTempDirs('storage-kafka-written');
  let server: ManagedProcess | undefined;
  afterAll(async () => {
    await server?.stop(10_000);
  });

  test('opens and reads in Tributary, takes appends, and Kafka reads them back', async () => {
    const root = tempDir();
    const logDir = path.join(root, 'data');
    const [brokerPort, controllerPort] = [await freePort(), await freePort()];
    const configFile = path.join(root, 'server.properties');
    fs.writeFileSync(
      configFile,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        `log.dirs=${logDir}`,
        'num.partitions=1',
        'offsets.topic.replication.factor=1',
        'log.index.interval.bytes=256',
        '',
      ].join('\n'),
    );
    const clusterId = randomBytes(16).toString('base64url');
    const format = await runKafkaTool('kafka-storage', ['format', '-t', clusterId, '-c', configFile]);
    expect(format.code).toBe(0);

    server = await startKafka(configFile);
    const input = Array.from({ length: KAFKA_RECORDS }, (_, i) => `key-${i}:value-${i}`).join('\n') + '\n';
    const produce = await runKafkaTool(
      'kafka-console-producer',
      ['--bootstrap-server', `127.0.0.1:${brokerPort}`, '--topic', TOPIC, '--compression-codec', 'gzip', '--property', 'parse.key=true', '--property', 'key.separator=:', '--producer-property', 'linger.ms=20'],
      { input, timeoutMs: 90_000 },
    );
    expect(produce.code).toBe(0);
    await server.stop(30_000);
    server = undefined;
    expect(fs.existsSync(path.join(logDir, '.kafka_cleanshutdown'))).toBe(true);
    // Reopen as after a crash, so Tributary's recovery (not the clean-shutdown shortcut) reads Kafka's segment.
    fs.unlinkSync(path.join(logDir, '.kafka_cleanshutdown'));

    const manager = LogManager.open({ fs: new NodeFileSystem(), clock: systemClock, logDirs: [logDir] });
    expect([...manager.offlineDirs]).toEqual([]);
    const log = manager.getLog(TOPIC, 0);
    if (!log) throw new Error(`Tributary found no ${TOPIC}-0 log in ${fs.readdirSync(logDir).join(', ')}`);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark]).toEqual([0n, BigInt(KAFKA_RECORDS), BigInt(KAFKA_RECORDS)]);
    expect(log.leaderEpochCache.all).toEqual([{ epoch: 0, startOffset: 0n }]);
    const seen: string[] = [];
    let offset = 0n;
    while (offset < log.logEndOffset) {
      const { records } = log.read(offset, 64 * 1024, { isolation: FetchIsolation.HighWatermark });
      let at = 0;
      while (at < records.length) {
        const size = records.readInt32BE(at + 8) + 12;
        const batch = records.subarray(at, at + size);
        const header = readBatchHeader(batch);
        expect(header.compression).toBe(CompressionType.Gzip);
        for (const record of decodeBatchRecords(batch)) {
          expect(header.baseOffset + BigInt(record.offsetDelta)).toBe(BigInt(seen.length));
          seen.push(`${record.key?.toString()}:${record.value?.toString()}`);
        }
        offset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
        at += size;
      }
    }
    expect(seen.join('\n') + '\n').toBe(input);
    const latest = log.offsetForTimestamp(-3n);
    expect(latest && latest.offset).toBeGreaterThan(0n);

    // Tributary appends to Kafka's log, in the same leader epoch, and shuts down cleanly.
    for (let b = 0; b < OUR_BATCHES; b++) {
      log.append(
        buildRecordBatch({ records: [{ timestamp: BigInt(Date.now()), key: Buffer.from(`ours-${b}`), value: Buffer.from(`appended-by-tributary-${b}`) }] }),
        { leaderEpoch: 0 },
      );
    }
    manager.close();

    // Kafka restarts on the dir and serves everything, its records and ours, to a stock consumer.
    server = await startKafka(configFile);
    const consume = await runKafkaTool(
      'kafka-console-consumer',
      ['--bootstrap-server', `127.0.0.1:${brokerPort}`, '--topic', TOPIC, '--from-beginning', '--max-messages', String(KAFKA_RECORDS + OUR_BATCHES), '--property', 'print.key=true', '--property', 'key.separator=:', '--timeout-ms', '60000'],
      { timeoutMs: 90_000 },
    );
    expect(consume.code).toBe(0);
    const consumed = consume.stdout.trim().split('\n');
    expect(consumed).toHaveLength(KAFKA_RECORDS + OUR_BATCHES);
    expect(consumed.slice(0, KAFKA_RECORDS).join('\n') + '\n').toBe(input);
    expect(consumed.slice(KAFKA_RECORDS)).toEqual(Array.from({ length: OUR_BATCHES }, (_, b) => `ours-${b}:appended-by-tributary-${b}`));
    await server.stop(30_000);
    server = undefined;
  }, 240_000);
});
