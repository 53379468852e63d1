// The broker the transaction tests run against: Tributary (as a user starts it, from packages/cli/dist) by
// default, or a real Apache Kafka 3.9 with TXN_BROKER=kafka. Every test in this folder first passed against
// Kafka: Kafka's behaviour is the specification, and a test that cannot pass there proves nothing here.
//
//   npx jest integration/transactions                      against Tributary
//   TXN_BROKER=kafka npx jest integration/transactions     the same tests against Kafka 3.9
//
// Unlike startRealKafka (integration/helpers/real-kafka.ts, whose KRaft node setup the Kafka one shares), these
// brokers listen on a port fixed at start, keep their data dir across stop/kill and start again on it (a restart
// in the middle of a transaction is what these tests need), and take the same settings whichever broker runs.
import { TributaryProcess } from '../broker/tributary-process';
import { freePort } from '../helpers/ports';
import type { ManagedProcess } from '../helpers/processes';
import { formatKraftNode, startKafkaServer, type KraftNode } from '../helpers/real-kafka';
import { makeTempDir, removeTempDir } from '../helpers/tmp';
import type { PeerName } from '../helpers/peers';

export type BrokerKind = 'tributary' | 'kafka';

export const brokerKind: BrokerKind = process.env.TXN_BROKER === 'kafka' ? 'kafka' : 'tributary';

/** The peers a test needs besides its own: a real Kafka needs the Kafka jars (and Java). */
export function brokerPeers(...others: PeerName[]): PeerName[] {
  return [...new Set<PeerName>([...(brokerKind === 'kafka' ? (['kafka-tools'] as PeerName[]) : []), ...others])];
}

export type Settings = Record<string, string | number | boolean>;

export interface TestBrokerOptions {
  /** Broker settings, the same keys for both brokers (Kafka's names). */
  settings?: Settings;
  /** The port clients are told to use (Metadata, FindCoordinator) when it is not the listener's: a proxy's. */
  advertisedPort?: number;
}

/** One broker with its data dir; `stop`/`kill` leave the data for `start` to come back on. */
export interface TestBroker {
  readonly kind: BrokerKind;
  /** Where it listens (a fixed port, the same after every restart). */
  readonly port: number;
  /** What clients bootstrap from: the advertised address. */
  readonly bootstrap: string;
  readonly dataDir: string;
  /** Everything the current (or last) broker process printed. */
  log(): string;
  /** Starts (again) on the same data dir and port. */
  start(): Promise<void>;
  /** SIGTERM: a clean shutdown. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown at all, as a crash leaves it. */
  kill(): Promise<void>;
  /** Stops the broker and removes its data. */
  close(): Promise<void>;
}

/** The settings both brokers get: one node, so every internal topic has one replica. */
const singleNode: Settings = {
  'offsets.topic.replication.factor': 1,
  'transaction.state.log.replication.factor': 1,
  'transaction.state.log.min.isr': 1,
  'group.initial.rebalance.delay.ms': 0,
};

export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const broker = brokerKind === 'kafka' ? await KafkaBroker.create(options) : await TributaryBroker.create(options);
  try {
    await broker.start();
  } catch (error) {
    await broker.close();
    throw error;
  }
  return broker;
}

class TributaryBroker implements TestBroker {
  readonly kind = 'tributary';
  private current: TributaryProcess | undefined;
  private lastLog = '';

  private constructor(
    readonly port: number,
    private readonly advertisedPort: number,
    readonly dataDir: string,
    private readonly settings: Settings,
  ) {}

  static async create(options: TestBrokerOptions): Promise<TributaryBroker> {
    const port = await freePort();
    return new TributaryBroker(port, options.advertisedPort ?? port, makeTempDir('txn-tributary'), { ...singleNode, ...options.settings });
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.advertisedPort}`;
  }

  log(): string {
    return this.current?.process.log ?? this.lastLog;
  }

  async start(): Promise<void> {
    const overrides = [
      `listeners=PLAINTEXT://127.0.0.1:${this.port}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${this.advertisedPort}`,
      ...Object.entries(this.settings).map(([key, value]) => `${key}=${value}`),
    ];
    this.current = await TributaryProcess.start(this.dataDir, overrides);
  }

  async stop(): Promise<void> {
    await this.current?.stop();
    this.forget();
  }

  async kill(): Promise<void> {
    await this.current?.kill();
    this.forget();
  }

  async close(): Promise<void> {
    await this.stop();
    removeTempDir(this.dataDir);
  }

  private forget(): void {
    if (this.current) this.lastLog = this.current.process.log;
    this.current = undefined;
  }
}

class KafkaBroker implements TestBroker {
  readonly kind = 'kafka';
  private current: ManagedProcess | undefined;
  private lastLog = '';

  private constructor(
    private readonly node: KraftNode,
    private readonly advertisedPort: number,
  ) {}

  static async create(options: TestBrokerOptions): Promise<KafkaBroker> {
    const advertisedPort = options.advertisedPort;
    const node = await formatKraftNode({ label: 'txn-kafka', advertisedPort, properties: { ...singleNode, ...options.settings } });
    return new KafkaBroker(node, advertisedPort ?? node.port);
  }

  get port(): number {
    return this.node.port;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.advertisedPort}`;
  }

  get dataDir(): string {
    return this.node.dataDir;
  }

  log(): string {
    return this.current?.log ?? this.lastLog;
  }

  async start(): Promise<void> {
    const server = startKafkaServer(this.node);
    this.current = server;
    await server.waitForOutput(/Kafka Server started/, 120_000);
  }

  async stop(): Promise<void> {
    await this.current?.stop(30_000);
    this.forget();
  }

  async kill(): Promise<void> {
    const server = this.current;
    if (server && !server.hasExited) {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      process.kill(server.child.pid as number, 'SIGKILL');
      await exited;
    }
    this.forget();
  }

  async close(): Promise<void> {
    await this.stop();
    removeTempDir(this.node.dir);
  }

  private forget(): void {
    if (this.current) this.lastLog = this.current.log;
    this.current = undefined;
  }
}
