// Request handling of the broker's network core: pipelined throughput and one-at-a-time round trips for
// ApiVersions (the cheapest request) and Metadata (all topics: 20 topics x 10 partitions), over raw TCP.
// With KAFKA_BOOTSTRAP=host:port the same load also runs against that broker (a real Kafka), alternating
// rounds, and the Tributary/Kafka ratio is printed; for a like-for-like Metadata it must have the same topics
// (the bench creates them there too).
//
//   node scripts/run-ts.mjs packages/broker/bench/requests.bench.ts      (or: npm run bench -- requests)
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApiKey, ApiMessages, ZERO_UUID, asTopicName, encodeRequestFrame } from '@tributary/protocol';
import { BrokerConfig } from '@tributary/metadata';
import { Broker, silentLogger } from '../src';

const PIPELINED_REQUESTS = Number(process.env.REQUESTS_BENCH_COUNT ?? 40_000);
const IN_FLIGHT = 100;
const ROUND_TRIPS = 2_000;
const ROUNDS = 3;
const TOPICS = 20;
const PARTITIONS = 10;

/** One connection that sends frames and resolves each response in order (responses are in request order). */
class Client {
  private pending: Buffer = Buffer.alloc(0);
  private readonly waiting: (() => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readInt32BE(0)) {
        this.pending = this.pending.subarray(4 + this.pending.readInt32BE(0));
        this.waiting.shift()?.();
      }
    });
  }

  static connect(host: string, port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  send(frame: Buffer): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

interface Figures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function pipelined(host: string, port: number, frame: Buffer, connections: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: connections }, () => Client.connect(host, port)));
  const perClient = Math.floor(PIPELINED_REQUESTS / connections);
  const started = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (client) => {
      let sent = 0;
      const inFlight = new Set<Promise<void>>();
      while (sent < perClient) {
        while (inFlight.size < IN_FLIGHT && sent < perClient) {
          const done = client.send(frame);
          inFlight.add(done);
          void done.then(() => inFlight.delete(done));
          sent++;
        }
        await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clients.forEach((client) => client.close());
  return (perClient * connections) / seconds;
}

async function roundTrips(host: string, port: number, frame: Buffer): Promise<{ p50Ms: number; p99Ms: number }> {
  const client = await Client.connect(host, port);
  const latencies: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = process.hrtime.bigint();
    await client.send(frame);
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  client.close();
  latencies.sort((a, b) => a - b);
  return { p50Ms: latencies[Math.floor(latencies.length * 0.5)], p99Ms: latencies[Math.floor(latencies.length * 0.99)] };
}

async function measure(host: string, port: number, frame: Buffer, connections: number): Promise<Figures> {
  const requestsPerSecond = await pipelined(host, port, frame, connections);
  return { requestsPerSecond, ...(await roundTrips(host, port, frame)) };
}

function best(figures: Figures[]): Figures {
  return {
    requestsPerSecond: Math.max(...figures.map((f) => f.requestsPerSecond)),
    p50Ms: Math.min(...figures.map((f) => f.p50Ms)),
    p99Ms: Math.min(...figures.map((f) => f.p99Ms)),
  };
}

function print(label: string, ours: Figures, theirs?: Figures): void {
  const figure = (f: Figures) => `${Math.round(f.requestsPerSecond).toLocaleString('en').padStart(9)} req/s  p50 ${f.p50Ms.toFixed(3)} ms  p99 ${f.p99Ms.toFixed(3)} ms`;
  let text = `${label.padEnd(34)} tributary ${figure(ours)}`;
  if (theirs) text += `   kafka ${figure(theirs)}   ratio ${(ours.requestsPerSecond / theirs.requestsPerSecond).toFixed(2)}`;
  console.log(text);
}

function frameOf<K extends ApiKey>(apiKey: K, version: number, request: ApiMessages[K]['request']): Buffer {
  return encodeRequestFrame(apiKey, version, 1, 'bench', request);
}

async function createTopics(host: string, port: number): Promise<void> {
  const client = await Client.connect(host, port);
  const topics = Array.from({ length: TOPICS }, (_, i) => ({ name: asTopicName(`bench-${i}`), numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }));
  await client.send(frameOf(ApiKey.CreateTopics, 7, { topics, timeoutMs: 30_000, validateOnly: false }));
  client.close();
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-requests-bench-'));
  const broker = await Broker.start({ config: BrokerConfig.of({ 'log.dirs': dir, listeners: 'PLAINTEXT://127.0.0.1:0' }), logger: silentLogger });
  const ours = { host: '127.0.0.1', port: broker.advertisedEndpoints[0].port };
  const kafkaAddress = process.env.KAFKA_BOOTSTRAP;
  const theirs = kafkaAddress ? { host: kafkaAddress.split(':')[0], port: Number(kafkaAddress.split(':')[1]) } : undefined;
  await createTopics(ours.host, ours.port);
  if (theirs) await createTopics(theirs.host, theirs.port);

  const cases: { label: string; frame: Buffer; connections: number }[] = [
    { label: 'ApiVersions v3, 1 connection', frame: frameOf(ApiKey.ApiVersions, 3, { clientSoftwareName: 'bench', clientSoftwareVersion: '1' }), connections: 1 },
    { label: 'ApiVersions v3, 4 connections', frame: frameOf(ApiKey.ApiVersions, 3, { clientSoftwareName: 'bench', clientSoftwareVersion: '1' }), connections: 4 },
    {
      label: `Metadata v12, ${TOPICS}x${PARTITIONS} partitions, 4 conn.`,
      frame: frameOf(ApiKey.Metadata, 12, {
        topics: Array.from({ length: TOPICS }, (_, i) => ({ topicId: ZERO_UUID, name: asTopicName(`bench-${i}`) })),
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      }),
      connections: 4,
    },
  ];
  console.log(`${PIPELINED_REQUESTS} pipelined requests (${IN_FLIGHT} in flight per connection), ${ROUND_TRIPS} one-at-a-time round trips; best of ${ROUNDS} rounds`);
  for (const { label, frame, connections } of cases) {
    const ourRounds: Figures[] = [];
    const theirRounds: Figures[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ourRounds.push(await measure(ours.host, ours.port, frame, connections));
      if (theirs) theirRounds.push(await measure(theirs.host, theirs.port, frame, connections));
    }
    print(label, best(ourRounds), theirs ? best(theirRounds) : undefined);
  }
  console.log(`broker RSS after the run: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB (bench client in the same process)`);
  await broker.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
