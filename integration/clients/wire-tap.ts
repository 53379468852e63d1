import net from 'node:net';

/** One request a client sent, as its header says: which API and which version of it. */
export interface TappedRequest {
  apiKey: number;
  apiVersion: number;
}

/** The magic byte (message format: 0, 1, or 2 for record batches) of each entry in a record set that passed. */
export interface TappedRecordSets {
  /** Entries of Produce v0-2 requests, as the client wrote them. */
  produced: number[];
  /** Entries of Fetch v0-3 responses, as the broker answered them. */
  fetched: number[];
}

const PRODUCE = 0;
const FETCH = 1;

/**
 * Magic bytes of the entries in a record set. A v0/v1 message (offset, size, crc, magic) and a v2 batch (base
 * offset, length, leader epoch, magic) both keep the magic at byte 16 and their length at byte 8; a partial entry
 * at the end (Fetch may cut one) is not counted.
 */
function entryMagics(records: Buffer): number[] {
  const magics: number[] = [];
  for (let position = 0; position + 17 <= records.length; ) {
    const size = records.readInt32BE(position + 8);
    if (position + 12 + size > records.length) break;
    magics.push(records.readInt8(position + 16));
    position += 12 + size;
  }
  return magics;
}

/** Walks `[topic name, [partition fields..., records]]` as Produce v0-2 requests and Fetch v0-3 responses lay it out. */
function recordSetsIn(body: Buffer, start: number, partitionFieldBytes: number): Buffer[] {
  const sets: Buffer[] = [];
  let position = start;
  const topics = body.readInt32BE(position);
  position += 4;
  for (let t = 0; t < topics; t++) {
    position += 2 + body.readInt16BE(position);
    const partitions = body.readInt32BE(position);
    position += 4;
    for (let p = 0; p < partitions; p++) {
      position += partitionFieldBytes;
      const size = body.readInt32BE(position);
      position += 4;
      if (size > 0) sets.push(body.subarray(position, position + size));
      position += Math.max(0, size);
    }
  }
  return sets;
}

function producedRecordSets(frame: Buffer): Buffer[] {
  // Request header v1: api key, version, correlation id, client id (nullable string); body: acks, timeout.
  const clientIdLength = frame.readInt16BE(8);
  const bodyStart = 10 + Math.max(0, clientIdLength);
  return recordSetsIn(frame, bodyStart + 2 + 4, 4);
}

function fetchedRecordSets(frame: Buffer, apiVersion: number): Buffer[] {
  // Response header v0: correlation id; throttle time from v1; per partition: index, error, high watermark.
  return recordSetsIn(frame, 4 + (apiVersion >= 1 ? 4 : 0), 4 + 2 + 8);
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
  readonly recordSets: TappedRecordSets = { produced: [], fetched: [] };
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

    // Frames are read only to take notes; the bytes pass on untouched, as they came. Responses come in the order
    // of their requests, so each response is matched with the oldest request still unanswered.
    const unanswered: TappedRequest[] = [];
    client.on(
      'data',
      frameReader((frame) => {
        const request = { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2) };
        this.requests.push(request);
        unanswered.push(request);
        if (request.apiKey === PRODUCE && request.apiVersion <= 2) {
          for (const set of producedRecordSets(frame)) this.recordSets.produced.push(...entryMagics(set));
        }
      }, (chunk) => broker.write(chunk)),
    );
    broker.on(
      'data',
      frameReader((frame) => {
        const request = unanswered.shift();
        if (request?.apiKey === FETCH && request.apiVersion <= 3) {
          for (const set of fetchedRecordSets(frame, request.apiVersion)) this.recordSets.fetched.push(...entryMagics(set));
        }
      }, (chunk) => client.write(chunk)),
    );
  }
}

/** A 'data' listener that passes each chunk on and hands every complete size-prefixed frame (without its size) to onFrame. */
function frameReader(onFrame: (frame: Buffer) => void, passOn: (chunk: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    passOn(chunk);
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      onFrame(pending.subarray(4, 4 + size));
      pending = pending.subarray(4 + size);
    }
  };
}
