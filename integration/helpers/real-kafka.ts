import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { kafkaToolScript } from './paths';
import { requirePeer } from './peers';
import { freePorts } from './ports';
import { startProcess, type ManagedProcess } from './processes';
import { runKafkaTool } from './kafka-tools';
import { makeTempDir, removeTempDir } from './tmp';

export interface RealKafka {
  /** `127.0.0.1:<port>`, for any client's bootstrap servers. */
  bootstrap: string;
  port: number;
  dataDir: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface RealKafkaOptions {
  /** JVM heap; Kafka's own default is 1 GiB, more than a test needs. */
  heap?: string;
  /** Extra broker settings, appended to server.properties. */
  properties?: Record<string, string | number | boolean>;
}

/** One KRaft node's files: server.properties written and its storage formatted, ready for kafka-server-start. */
export interface KraftNode {
  /** The PLAINTEXT listener's port (the controller takes another free port). */
  port: number;
  /** Holds server.properties and the data dir; the caller removes it. */
  dir: string;
  dataDir: string;
  config: string;
}

/**
 * Writes server.properties for a single KRaft node, broker and controller in one, on free loopback ports, and
 * formats its storage with a fresh cluster id. `properties` are appended to (and override) the node settings.
 */
export async function formatKraftNode(options: { label: string; advertisedPort?: number; properties?: Record<string, string | number | boolean> }): Promise<KraftNode> {
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  const dir = makeTempDir(options.label);
  const dataDir = path.join(dir, 'data');
  const config = path.join(dir, 'server.properties');
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${options.advertisedPort ?? port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    ...options.properties,
  };
  fs.writeFileSync(config, Object.entries(settings).map(([key, value]) => `${key}=${value}`).join('\n') + '\n');

  // A cluster id is 16 random bytes in URL-safe base64, which is what kafka-storage random-uuid prints.
  const clusterId = randomBytes(16).toString('base64url');
  const format = await runKafkaTool('kafka-storage', ['format', '-t', clusterId, '-c', config], { timeoutMs: 60_000 });
  if (format.code !== 0) {
    removeTempDir(dir);
    throw new Error(`kafka-storage format failed:\n${format.stdout}${format.stderr}`);
  }
  return { port, dir, dataDir, config };
}

/** Runs kafka-server-start on a formatted node; the caller waits for "Kafka Server started". */
export function startKafkaServer(node: KraftNode, heap = '-Xmx512M -Xms512M'): ManagedProcess {
  return startProcess(kafkaToolScript, ['kafka-server-start', node.config], {
    env: { ...process.env, KAFKA_HEAP_OPTS: heap },
    description: `Kafka on port ${node.port}`,
  });
}

/**
 * Starts a real Apache Kafka 3.9 (the jars scripts/kafka-tool fetched) as a single KRaft node, broker and
 * controller in one, on free loopback ports, with its data in a temp dir that stop() removes. It is the
 * reference a test compares Tributary with, and the peers' own end-to-end check.
 */
export async function startRealKafka(options: RealKafkaOptions = {}): Promise<RealKafka> {
  requirePeer('kafka-tools');
  const node = await formatKraftNode({
    label: 'real-kafka',
    properties: {
      // One node: internal topics cannot have more than one replica, and groups need not wait for more members.
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 1,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'group.initial.rebalance.delay.ms': 0,
      ...options.properties,
    },
  });
  const server = startKafkaServer(node, options.heap);
  const stop = async () => {
    await server.stop(15_000);
    removeTempDir(node.dir);
  };
  try {
    await server.waitForOutput(/Kafka Server started/, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { bootstrap: `127.0.0.1:${node.port}`, port: node.port, dataDir: node.dataDir, process: server, stop };
}
