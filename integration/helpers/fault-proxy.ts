import net from 'node:net';

/** One response the proxy is about to hand back to a client: which request it answers. */
export interface ProxiedResponse {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** How many responses to this API key passed or were dropped before this one (across all connections). */
  seenOfKey: number;
}

export interface FaultProxyOptions {
  /**
   * Called for every complete response from the broker before it reaches the client. Returning true drops it:
   * the proxy closes both the client's connection and its own to the broker instead of forwarding it. The broker
   * has then processed the request but the client never learns the outcome, so it must retry on a new connection
   * — exactly the case an idempotent producer exists for.
   */
  dropResponse?: (response: ProxiedResponse) => boolean;
}

/**
 * A TCP relay between Kafka clients and one broker that can lose responses on purpose. It reads the frames in
 * both directions (a request's API key and version, by correlation id; the response that carries the same id),
 * so a test can drop exactly the responses it means to, e.g. every third Produce response.
 *
 * Clients reach the broker again through the address Metadata advertises, so the broker must advertise the
 * proxy's port (`advertised.listeners`): the proxy listens first, and learns where the broker is through
 * `forwardTo` (the broker's own listener may only be known once it started).
 */
export class FaultProxy {
  private readonly server = net.createServer();
  private readonly sockets = new Set<net.Socket>();
  private readonly seen = new Map<number, number>();
  private target: { host: string; port: number } | undefined;
  /** Responses dropped so far, in the order they were dropped. */
  readonly dropped: ProxiedResponse[] = [];
  /** Responses forwarded so far, per API key. */
  readonly forwarded = new Map<number, number>();
  /** Per API key, every version of it that clients sent. */
  readonly versions = new Map<number, Set<number>>();
  /** Per API key, the most requests of it that were ever awaiting their response on one connection at once. */
  readonly maxInFlight = new Map<number, number>();

  constructor(private readonly options: FaultProxyOptions = {}) {
    this.server.on('connection', (client) => this.relay(client));
  }

  /** Starts listening on 127.0.0.1 (an ephemeral port unless one is given); returns the port. */
  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  forwardTo(host: string, port: number): void {
    this.target = { host, port };
  }

  /** Closes the listener and every relayed connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: net.Socket): void {
    if (!this.target) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const inFlight = new Map<number, { apiKey: number; apiVersion: number }>();
    let closed = false;
    const closeBoth = () => {
      if (closed) return;
      closed = true;
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);

    // Requests pass through unchanged, in whole frames, after their header has been noted.
    onFrames(client, (frame) => {
      const apiKey = frame.readInt16BE(4);
      const apiVersion = frame.readInt16BE(6);
      inFlight.set(frame.readInt32BE(8), { apiKey, apiVersion });
      if (!this.versions.has(apiKey)) this.versions.set(apiKey, new Set());
      this.versions.get(apiKey)!.add(apiVersion);
      const sameKey = [...inFlight.values()].filter((request) => request.apiKey === apiKey).length;
      this.maxInFlight.set(apiKey, Math.max(this.maxInFlight.get(apiKey) ?? 0, sameKey));
      upstream.write(frame);
    });
    onFrames(upstream, (frame) => {
      if (closed) return;
      const correlationId = frame.readInt32BE(4);
      const request = inFlight.get(correlationId);
      inFlight.delete(correlationId);
      if (request) {
        const seenOfKey = this.seen.get(request.apiKey) ?? 0;
        this.seen.set(request.apiKey, seenOfKey + 1);
        const response = { ...request, correlationId, seenOfKey };
        if (this.options.dropResponse?.(response)) {
          this.dropped.push(response);
          closeBoth();
          return;
        }
        this.forwarded.set(request.apiKey, (this.forwarded.get(request.apiKey) ?? 0) + 1);
      }
      client.write(frame);
    });
  }
}

/** Calls `onFrame` with each whole size-prefixed frame (size included) that arrives on the socket. */
function onFrames(socket: net.Socket, onFrame: (frame: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = 4 + pending.readInt32BE(0);
      onFrame(pending.subarray(0, size));
      pending = pending.subarray(size);
    }
  });
}
