import net from 'node:net';

/** One request a client sent, as its header says: which API and which version of it. */
export interface TappedRequest {
  apiKey: number;
  apiVersion: number;
}

/**
 * A TCP relay between clients and a broker that notes the API key and version of every request passing through,
 * so that a test can prove which wire versions a client really used (kafka-python's `api_version=(0, 10)` must
 * send Produce v2 and Fetch v2/v3, not whatever the broker would allow).
 *
 * Clients reach the broker again through the address that Metadata advertises, so the broker has to advertise
 * the tap's port (`advertised.listeners`); the tap therefore listens before the broker starts, and learns the
 * broker's address afterwards through `forwardTo`.
 */
export class WireTap {
  readonly requests: TappedRequest[] = [];
  private upstream?: { host: string; port: number };
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async listen(): Promise<WireTap> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const tap = new WireTap(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => tap.relay(client));
    return tap;
  }

  forwardTo(host: string, port: number): void {
    this.upstream = { host, port };
  }

  /**
   * Forwards to where a Tributary broker really listens. Its start line names the advertised address (the tap's
   * own), so the bound one is read from the line's `listeners` field.
   */
  forwardToListenerIn(startLog: string): void {
    const match = startLog.match(/"listeners":\["PLAINTEXT:\/\/([^:"]+):(\d+)"/);
    if (!match) throw new Error(`no PLAINTEXT listener in the broker's start line:\n${startLog}`);
    this.forwardTo(match[1], Number(match[2]));
  }

  /** Versions seen for one API key, distinct and sorted. */
  versionsOf(apiKey: number): number[] {
    const versions = new Set(this.requests.filter((request) => request.apiKey === apiKey).map((request) => request.apiVersion));
    return [...versions].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: net.Socket): void {
    if (!this.upstream) {
      client.destroy();
      return;
    }
    const broker = net.connect(this.upstream.port, this.upstream.host);
    this.sockets.add(client).add(broker);
    const forget = () => {
      this.sockets.delete(client);
      this.sockets.delete(broker);
      client.destroy();
      broker.destroy();
    };
    client.on('close', forget).on('error', forget);
    broker.on('close', forget).on('error', forget);

    // Requests are read frame by frame only to note their headers; the bytes pass on untouched, as they came.
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      broker.write(chunk);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        this.requests.push({ apiKey: pending.readInt16BE(4), apiVersion: pending.readInt16BE(6) });
        pending = pending.subarray(4 + size);
      }
    });
    broker.on('data', (chunk: Buffer) => client.write(chunk));
  }
}
