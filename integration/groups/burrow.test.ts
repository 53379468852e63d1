/**
 * Burrow (LinkedIn's lag monitor, Debian's package) configured against Tributary: it reads the group's commits
 * from `__consumer_offsets` itself, decoding Kafka's record schemas, and the topic's log end offsets, so a lag
 * that matches to the record proves our records are Kafka's. Burrow 1.2 keeps its own lock in ZooKeeper.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describeWithPeers, peerStatus } from '../helpers/peers';
import { freePort } from '../helpers/ports';
import { ManagedProcess, startProcess } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';
import { ZooKeeperServer, startZooKeeper } from '../helpers/zookeeper';
import { TributaryProcess } from '../broker/tributary-process';

jest.setTimeout(120_000);

describeWithPeers(['burrow', 'zookeeper'], 'Burrow', () => {
  const tempDir = useTempDirs('groups-burrow');
  let broker: TributaryProcess;
  let zookeeper: ZooKeeperServer;
  let burrow: ManagedProcess | undefined;

  beforeAll(async () => {
    [broker, zookeeper] = await Promise.all([TributaryProcess.start(tempDir()), startZooKeeper()]);
  }, 60_000);

  afterAll(async () => {
    await burrow?.stop();
    await broker?.stop();
    await zookeeper?.stop();
  });

  test("reports the group's lag, read from __consumer_offsets, to the record", async () => {
    const kafka = new Kafka({ clientId: 'burrow-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'burrow-orders', numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    for (const partition of [0, 1]) {
      await producer.send({ topic: 'burrow-orders', messages: Array.from({ length: 50 }, (_, i) => ({ partition, value: `v${i}` })) });
    }
    await producer.disconnect();
    await admin.setOffsets({ groupId: 'burrow-group', topic: 'burrow-orders', partitions: [{ partition: 0, offset: '30' }, { partition: 1, offset: '10' }] });
    await admin.disconnect();

    const dir = tempDir();
    const httpPort = await freePort();
    fs.writeFileSync(
      path.join(dir, 'burrow.toml'),
      `
[general]
pidfile="${path.join(dir, 'burrow.pid')}"
[logging]
level="info"
[zookeeper]
servers=["${zookeeper.connectString}"]
timeout=6
root-path="/burrow"
[client-profile.tributary]
client-id="burrow"
kafka-version="2.0.0"
[cluster.tributary]
class-name="kafka"
servers=["${broker.bootstrap}"]
client-profile="tributary"
topic-refresh=5
offset-refresh=1
[consumer.tributary]
class-name="kafka"
cluster="tributary"
servers=["${broker.bootstrap}"]
client-profile="tributary"
start-latest=false
[httpserver.default]
address="127.0.0.1:${httpPort}"
[storage.default]
class-name="inmemory"
workers=2
intervals=10
expire-group=604800
min-distance=1
`,
    );
    burrow = startProcess(peerStatus('burrow').path, ['-config-dir', dir], { cwd: dir, description: 'Burrow' });

    const url = `http://127.0.0.1:${httpPort}/v3/kafka/tributary/consumer/burrow-group/lag`;
    let lag: { totallag?: number; partitions?: { topic: string; partition: number; current_lag: number; end: { offset: number } }[] } | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const response = await fetch(url).catch(() => undefined);
      if (response?.ok) {
        const body = (await response.json()) as { status?: typeof lag };
        lag = body.status;
        if (lag?.totallag === 60) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (lag?.totallag !== 60) throw new Error(`Burrow did not report the lag: ${JSON.stringify(lag)}\n${burrow.log}`);
    expect(lag.partitions!.map((p) => [p.topic, p.partition, p.end.offset, p.current_lag]).sort()).toEqual([
      ['burrow-orders', 0, 30, 20],
      ['burrow-orders', 1, 10, 40],
    ]);
  });
});
