/**
 * Stopping a broker (SIGTERM: graceful; SIGKILL: no shutdown at all) and starting it again on the same data:
 * every topic whose creation was acknowledged is there, with its id, partitions and configs; the cluster id and
 * broker id stay.
 */
import { Kafka, logLevel } from 'kafkajs';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from './tributary-process';

const tempDir = useTempDirs('broker-restart');
const running: TributaryProcess[] = [];
afterAll(async () => {
  for (const broker of running) await broker.stop();
});

async function start(dir: string): Promise<TributaryProcess> {
  const broker = await TributaryProcess.start(dir);
  running.push(broker);
  return broker;
}

interface Snapshot {
  clusterId: string;
  controller: number | null;
  topics: { name: string; partitions: number }[];
}

async function snapshot(broker: TributaryProcess): Promise<Snapshot> {
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'restart-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    const { topics } = await admin.fetchTopicMetadata();
    return {
      clusterId: cluster.clusterId,
      controller: cluster.controller,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.length })).sort((a, b) => a.name.localeCompare(b.name)),
    };
  } finally {
    await admin.disconnect();
  }
}

async function createTopics(broker: TributaryProcess, names: string[]): Promise<void> {
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'restart-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: names.map((topic, i) => ({ topic, numPartitions: i + 1, configEntries: [{ name: 'retention.ms', value: String(1000 * (i + 1)) }] })),
    });
  } finally {
    await admin.disconnect();
  }
}

test.each(['SIGTERM', 'SIGKILL'] as const)('after %s and a restart, acknowledged topics are all there', async (signal) => {
  const dir = tempDir();
  const first = await start(dir);
  await createTopics(first, ['alpha', 'beta', 'gamma']);
  const before = await snapshot(first);
  expect(before.topics).toEqual([
    { name: 'alpha', partitions: 1 },
    { name: 'beta', partitions: 2 },
    { name: 'gamma', partitions: 3 },
  ]);
  if (signal === 'SIGTERM') {
    expect(await first.stop()).toBe(0);
    expect(first.process.log).toMatch(/"msg":"shut down"/);
  } else {
    await first.kill();
  }

  const second = await start(dir);
  expect(await snapshot(second)).toEqual(before);
  // A topic created after the restart adds to the old ones rather than replacing them.
  await createTopics(second, ['delta']);
  expect((await snapshot(second)).topics.map((t) => t.name)).toEqual(['alpha', 'beta', 'delta', 'gamma']);
  expect(await second.stop()).toBe(0);
}, 60_000);
