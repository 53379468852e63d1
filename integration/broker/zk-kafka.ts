import fs from 'node:fs';
import path from 'node:path';
import { kafkaToolScript } from '../helpers/paths';
import { freePort } from '../helpers/ports';
import { startProcess, type ManagedProcess } from '../helpers/processes';
import { makeTempDir, removeTempDir } from '../helpers/tmp';
import { startZooKeeper, type ZooKeeperServer } from '../helpers/zookeeper';

export interface ZkKafka {
  host: string;
  port: number;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/**
 * A real Apache Kafka 3.9 broker in ZooKeeper mode (the mode Tributary's standalone broker answers like), with
 * its own ZooKeeper, on loopback ports, with data in temp dirs that stop() removes. `properties` are added to
 * its server.properties.
 */
export async function startZkKafka(properties: Record<string, string>): Promise<ZkKafka> {
  const zookeeper: ZooKeeperServer = await startZooKeeper();
  const port = await freePort();
  const dir = makeTempDir('zk-kafka');
  const config = path.join(dir, 'server.properties');
  const settings: Record<string, string> = {
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'log.dirs': path.join(dir, 'data'),
    'zookeeper.connect': zookeeper.connectString,
    'offsets.topic.replication.factor': '1',
    ...properties,
  };
  fs.writeFileSync(config, Object.entries(settings).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');
  const server = startProcess(kafkaToolScript, ['kafka.Kafka', config], {
    env: { ...process.env, KAFKA_HEAP_OPTS: '-Xmx384M -Xms384M' },
    description: `Kafka (ZooKeeper mode) on port ${port}`,
  });
  const stop = async () => {
    await server.stop(15_000);
    await zookeeper.stop();
    removeTempDir(dir);
  };
  try {
    await server.waitForOutput(/started \(kafka\.server\.KafkaServer\)/, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: '127.0.0.1', port, process: server, stop };
}
