import net from 'node:net';

/** The header of a Kafka request frame, as any request header version starts. */
export interface RequestHeader {
  size: number;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/**
 * A TCP listener that reads the first Kafka request frame a client sends, then hangs up. It proves that a peer
 * really connects and speaks the protocol (its first request, and the client id it names) before Tributary's
 * broker exists to answer it. The header is decoded here by hand on purpose: this checks the peer, and must not
 * depend on the protocol package it will later be used to test.
 */
export class FirstRequestCatcher {
  private readonly server = net.createServer();
  private resolveFirst!: (header: RequestHeader) => void;
  readonly firstRequest: Promise<RequestHeader> = new Promise((resolve) => {
    this.resolveFirst = resolve;
  });

  async listen(): Promise<number> {
    this.server.on('connection', (socket) => {
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        if (pending.length < 4) return;
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) return;
        this.resolveFirst(decodeHeader(pending.subarray(0, 4 + size)));
        socket.destroy();
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function decodeHeader(frame: Buffer): RequestHeader {
  const clientIdLength = frame.readInt16BE(12);
  return {
    size: frame.readInt32BE(0),
    apiKey: frame.readInt16BE(4),
    apiVersion: frame.readInt16BE(6),
    correlationId: frame.readInt32BE(8),
    clientId: clientIdLength < 0 ? null : frame.toString('utf8', 14, 14 + clientIdLength),
  };
}
