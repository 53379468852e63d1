/**
 * The network layer with stand-in handlers whose timing the test controls: ordering of pipelined responses,
 * closing on bad frames, bounded in-flight requests, a slow reader, and graceful shutdown.
 */
import net from 'node:net';
import { ApiKey, ApiMessages, ErrorCode, asBrokerId, asGroupId, decodeResponseFrame, encodeRequestFrame } from '@tributary/protocol';
import { BrokerConfig, ClusterMetadata } from '@tributary/metadata';
import { BrokerServices, HandlerRegistry, NO_RESPONSE, SocketServer, defineHandler, silentLogger } from '../src';
import { ConnectionLimits } from '../src/server/connection';

/** Heartbeat's group id tells the stand-in handler how long to take: "delay-50" answers after 50 ms. */
const delayed = defineHandler({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  async handle(request) {
    started++;
    const delayMs = Number(request.groupId.split('-')[1] ?? 0);
    if (request.groupId === 'hold') await new Promise<void>((resolve) => held.push(resolve));
    else await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE };
  },
});

/** Produce stands in for acks=0: it gets no response at all, and the responses around it keep their order. */
const silent = defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 3,
  maxVersion: 3,
  async handle() {
    started++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return NO_RESPONSE;
  },
});

/** DescribeCluster answers with a broker whose host name is `size` bytes long: a large response on demand. */
const large = defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle() {
    started++;
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId: 'c',
      controllerId: asBrokerId(1),
      brokers: [{ brokerId: asBrokerId(1), host: 'h'.repeat(100_000), port: 1, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    };
  },
});

let started = 0;
let held: (() => void)[] = [];

const services: BrokerServices = {
  metadata: undefined as unknown as ClusterMetadata,
  config: BrokerConfig.of(),
  clock: { nowMs: () => 0 },
  logger: silentLogger,
  // The network core's tests use handlers of their own that reach no logs, groups or transactions.
  logs: undefined as unknown as BrokerServices['logs'],
  groups: undefined as unknown as BrokerServices['groups'],
  transactions: undefined as unknown as BrokerServices['transactions'],
  apiVersions: () => [],
};

async function startServer(limits: Partial<ConnectionLimits> = {}, queuedMaxRequests = 500): Promise<{ server: SocketServer; port: number }> {
  const server = new SocketServer({
    registry: new HandlerRegistry([delayed, large, silent] as never[]),
    services,
    logger: silentLogger,
    queuedMaxRequests,
    limits: { maxRequestBytes: 1024 * 1024, maxInFlight: 100, maxInFlightBytes: 1024 * 1024, writeHighWaterBytes: 1024 * 1024, idleTimeoutMs: 0, ...limits },
  });
  const { port } = await server.listen('PLAINTEXT', '127.0.0.1', 0);
  server.open();
  return { server, port };
}

const heartbeat = (correlationId: number, groupId: string): Buffer =>
  encodeRequestFrame(ApiKey.Heartbeat, 0, correlationId, 'test', { groupId: asGroupId(groupId), generationId: 1, memberId: 'm', groupInstanceId: null });

/** A raw client: collects response frames and notices the close. */
class RawClient {
  readonly socket: net.Socket;
  private pending = Buffer.alloc(0);
  readonly frames: Buffer[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 4 && this.pending.length >= 4 + this.pending.readInt32BE(0)) {
        const size = this.pending.readInt32BE(0);
        this.frames.push(this.pending.subarray(4, 4 + size));
        this.pending = this.pending.subarray(4 + size);
      }
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  async until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  correlationIds<K extends ApiKey>(apiKey: K, version: number): number[] {
    return this.frames.map((frame) => decodeResponseFrame(apiKey, version, frame).correlationId);
  }
}

const servers: SocketServer[] = [];
afterEach(async () => {
  for (const resolve of held.splice(0)) resolve();
  for (const server of servers.splice(0)) await server.shutdown(100);
  started = 0;
});

async function serve(limits: Partial<ConnectionLimits> = {}, queuedMaxRequests = 500): Promise<number> {
  const { server, port } = await startServer(limits, queuedMaxRequests);
  servers.push(server);
  return port;
}

test('pipelined requests are answered in request order even when handlers finish out of order', async () => {
  const port = await serve();
  const client = new RawClient(port);
  client.socket.write(Buffer.concat([heartbeat(1, 'delay-60'), heartbeat(2, 'delay-0'), heartbeat(3, 'delay-30'), heartbeat(4, 'delay-0'), heartbeat(5, 'delay-10')]));
  await client.until(() => client.frames.length === 5);
  expect(client.correlationIds(ApiKey.Heartbeat, 0)).toEqual([1, 2, 3, 4, 5]);
  const decoded: ApiMessages[ApiKey.Heartbeat]['response'] = decodeResponseFrame(ApiKey.Heartbeat, 0, client.frames[0]).response;
  expect(decoded.errorCode).toBe(0);
  client.socket.destroy();
});

test('an unknown API key closes the connection after answering the requests before it; nothing after it is handled', async () => {
  const port = await serve();
  const client = new RawClient(port);
  const unknown = Buffer.from([0, 0, 0, 10, 0x03, 0xe7, 0, 0, 0, 0, 0, 2, 0xff, 0xff]);
  client.socket.write(Buffer.concat([heartbeat(1, 'delay-40'), unknown, heartbeat(3, 'delay-0')]));
  await client.until(() => client.closed);
  expect(client.correlationIds(ApiKey.Heartbeat, 0)).toEqual([1]);
  expect(started).toBe(1);
});

test('a 2 GiB size prefix closes that connection at once; other connections keep being served', async () => {
  const port = await serve();
  const healthy = new RawClient(port);
  const hostile = new RawClient(port);
  hostile.socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
  await hostile.until(() => hostile.closed);
  healthy.socket.write(heartbeat(9, 'delay-0'));
  await healthy.until(() => healthy.frames.length === 1);
  expect(healthy.correlationIds(ApiKey.Heartbeat, 0)).toEqual([9]);
  healthy.socket.destroy();
});

test('at most maxInFlight requests per connection reach their handlers; the rest wait in TCP', async () => {
  const port = await serve({ maxInFlight: 3 });
  const client = new RawClient(port);
  client.socket.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => heartbeat(i, 'hold'))));
  await client.until(() => started === 3);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(started).toBe(3);
  // Releasing the held handlers one batch at a time lets the next ones in.
  while (client.frames.length < 20) {
    for (const resolve of held.splice(0)) resolve();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(client.correlationIds(ApiKey.Heartbeat, 0)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  client.socket.destroy();
});

test('the broker-wide queued.max.requests caps requests across connections', async () => {
  const port = await serve({}, 4);
  const clients = [new RawClient(port), new RawClient(port), new RawClient(port)];
  clients.forEach((client, c) => client.socket.write(Buffer.concat([0, 1, 2].map((i) => heartbeat(c * 10 + i, 'hold')))));
  await clients[0].until(() => started === 4);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(started).toBe(4);
  while (clients.some((client) => client.frames.length < 3)) {
    for (const resolve of held.splice(0)) resolve();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  clients.forEach((client, c) => expect(client.correlationIds(ApiKey.Heartbeat, 0)).toEqual([c * 10, c * 10 + 1, c * 10 + 2]));
  clients.forEach((client) => client.socket.destroy());
});

test('a client that does not read makes the broker stop reading its requests, not buffer their responses', async () => {
  const port = await serve({ writeHighWaterBytes: 256 * 1024, maxInFlight: 10 });
  const client = new RawClient(port);
  client.socket.pause();
  const request = encodeRequestFrame(ApiKey.DescribeCluster, 0, 0, 'test', { includeClusterAuthorizedOperations: false, endpointType: 1 });
  const total = 400;
  client.socket.write(Buffer.concat(Array.from({ length: total }, (_, i) => { const copy = Buffer.from(request); copy.writeInt32BE(i, 8); return copy; })));
  await new Promise((resolve) => setTimeout(resolve, 500));
  // 400 responses of 100 kB would be 40 MB. The kernel's socket buffers take a few MB (about 40 responses on
  // loopback here), the broker at most maxInFlight responses and its high-water mark beyond that.
  expect(started).toBeLessThan(120);
  client.socket.resume();
  await client.until(() => client.frames.length === total, 20_000);
  expect(started).toBe(total);
  expect(client.correlationIds(ApiKey.DescribeCluster, 0)).toEqual(Array.from({ length: total }, (_, i) => i));
  client.socket.destroy();
});

test('graceful shutdown answers the requests already read, then closes', async () => {
  const { server, port } = await startServer();
  const client = new RawClient(port);
  client.socket.write(Buffer.concat([heartbeat(1, 'delay-100'), heartbeat(2, 'delay-20')]));
  await client.until(() => started === 2);
  await server.shutdown(5000);
  await client.until(() => client.closed);
  expect(client.correlationIds(ApiKey.Heartbeat, 0)).toEqual([1, 2]);
  expect(server.connectionCount).toBe(0);
});

test('a request answered with no response (acks=0) sends nothing, and later responses still come in order', async () => {
  const port = await serve();
  const client = new RawClient(port);
  const produce = encodeRequestFrame(ApiKey.Produce, 3, 2, 'test', { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [] });
  client.socket.write(Buffer.concat([heartbeat(1, 'delay-30'), produce, heartbeat(3, 'delay-0')]));
  await client.until(() => client.frames.length === 2);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(client.frames.map((frame) => frame.readInt32BE(0))).toEqual([1, 3]);
  expect(started).toBe(3);
  client.socket.destroy();
});

test('connections that arrive before open() wait unread, then are served', async () => {
  const server = new SocketServer({
    registry: new HandlerRegistry([delayed] as never[]),
    services,
    logger: silentLogger,
    queuedMaxRequests: 10,
    limits: { maxRequestBytes: 1024 * 1024, maxInFlight: 10, maxInFlightBytes: 1024 * 1024, writeHighWaterBytes: 1024 * 1024, idleTimeoutMs: 0 },
  });
  servers.push(server);
  const { port } = await server.listen('PLAINTEXT', '127.0.0.1', 0);
  const client = new RawClient(port);
  client.socket.write(heartbeat(1, 'delay-0'));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(started).toBe(0);
  server.open();
  await client.until(() => client.frames.length === 1);
  expect(client.correlationIds(ApiKey.Heartbeat, 0)).toEqual([1]);
  client.socket.destroy();
});

test('a broker-wide slot freed while a waiting connection has closed goes to the next waiting connection', async () => {
  const port = await serve({}, 1);
  const [holder, quitter, patient] = [new RawClient(port), new RawClient(port), new RawClient(port)];
  holder.socket.write(heartbeat(1, 'hold'));
  await holder.until(() => started === 1);
  quitter.socket.write(heartbeat(2, 'delay-0'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  patient.socket.write(heartbeat(3, 'delay-0'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  quitter.socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const resolve of held.splice(0)) resolve();
  await patient.until(() => patient.frames.length === 1);
  expect(patient.correlationIds(ApiKey.Heartbeat, 0)).toEqual([3]);
  expect(holder.correlationIds(ApiKey.Heartbeat, 0)).toEqual([1]);
  holder.socket.destroy();
  patient.socket.destroy();
});

test('an idle connection is closed after connections.max.idle.ms, one awaiting an answer is not', async () => {
  const port = await serve({ idleTimeoutMs: 150 });
  const idle = new RawClient(port);
  const waiting = new RawClient(port);
  waiting.socket.write(heartbeat(1, 'hold'));
  await idle.until(() => idle.closed, 2000);
  expect(waiting.closed).toBe(false);
  for (const resolve of held.splice(0)) resolve();
  await waiting.until(() => waiting.frames.length === 1);
  waiting.socket.destroy();
});

test('request bytes in flight per connection are bounded too, yet a single request larger than the bound passes', async () => {
  const frameBytes = heartbeat(0, 'hold').length - 4;
  const port = await serve({ maxInFlightBytes: 2 * frameBytes });
  const client = new RawClient(port);
  client.socket.write(Buffer.concat(Array.from({ length: 6 }, (_, i) => heartbeat(i, 'hold'))));
  await client.until(() => started === 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(started).toBe(2);
  while (client.frames.length < 6) {
    for (const resolve of held.splice(0)) resolve();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(client.correlationIds(ApiKey.Heartbeat, 0)).toEqual([0, 1, 2, 3, 4, 5]);
  const big = new RawClient(await serve({ maxInFlightBytes: 1 }));
  big.socket.write(heartbeat(9, 'delay-0'));
  await big.until(() => big.frames.length === 1);
  client.socket.destroy();
  big.socket.destroy();
});

test('graceful shutdown does not wait for idle clients to hang up', async () => {
  const { server, port } = await startServer();
  const idle = new RawClient(port);
  idle.socket.write(heartbeat(1, 'delay-0'));
  await idle.until(() => idle.frames.length === 1);
  const beganMs = Date.now();
  await server.shutdown(5000);
  expect(Date.now() - beganMs).toBeLessThan(2000);
  await idle.until(() => idle.closed);
});
