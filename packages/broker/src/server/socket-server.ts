/**
 * The TCP side of the broker: one net.Server per listener, a Connection per accepted socket, and a graceful
 * shutdown that stops accepting, lets every connection answer what it has already read, and then closes.
 */
import net from 'node:net';
import { Logger } from '../logger';
import { BrokerServices } from '../handlers/handler';
import { HandlerRegistry } from '../handlers/registry';
import { RequestAdmission } from './admission';
import { Connection, ConnectionLimits } from './connection';

export interface SocketServerOptions {
  registry: HandlerRegistry;
  services: BrokerServices;
  limits: ConnectionLimits;
  queuedMaxRequests: number;
  logger: Logger;
}

export interface BoundListener {
  name: string;
  host: string;
  port: number;
}

export class SocketServer {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly admission: RequestAdmission;
  private nextConnectionId = 0;
  /** Sockets accepted before `open()`: held, unread, until the broker is ready to answer them. */
  private held: { listenerName: string; socket: net.Socket }[] | undefined = [];

  constructor(private readonly options: SocketServerOptions) {
    this.admission = new RequestAdmission(options.queuedMaxRequests);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Binds a listener; an empty host binds every interface. Resolves with the address actually bound. */
  listen(name: string, host: string, port: number): Promise<BoundListener> {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(name, socket));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const onListening = (): void => {
        server.off('error', reject);
        server.on('error', (error) => this.options.logger.error({ err: error, listener: name }, 'listener error'));
        const address = server.address() as net.AddressInfo;
        resolve({ name, host: address.address, port: address.port });
      };
      if (host === '') server.listen(port, onListening);
      else server.listen(port, host, onListening);
    });
  }

  /**
   * Starts serving. Listeners are bound earlier (the broker must know its ports to advertise them), but a
   * request is read only from here on; connections that arrived before wait, unread, in order.
   */
  open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const { listenerName, socket } of held) {
      if (!socket.destroyed) this.serve(listenerName, socket);
    }
  }

  private accept(listenerName: string, socket: net.Socket): void {
    if (this.held) {
      socket.pause();
      socket.on('error', () => undefined);
      this.held.push({ listenerName, socket });
      return;
    }
    this.serve(listenerName, socket);
  }

  private serve(listenerName: string, socket: net.Socket): void {
    const id = `${listenerName}-${this.nextConnectionId++}`;
    const remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    const { registry, services, limits, logger } = this.options;
    const connection = new Connection(socket, { id, listenerName, remoteAddress }, registry, services, limits, this.admission, logger);
    this.connections.add(connection);
    void connection.whenClosed.then(() => this.connections.delete(connection));
  }

  /**
   * Stops accepting, then gives every connection up to `graceMs` to send the responses to what it has read;
   * connections still open after that are closed hard.
   */
  async shutdown(graceMs: number): Promise<void> {
    const stopped = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const { socket } of this.held ?? []) socket.destroy();
    this.held = [];
    for (const connection of this.connections) connection.shutdownGracefully();
    const drained = Promise.all([...this.connections].map((connection) => connection.whenClosed));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.destroy();
    await Promise.all(stopped);
  }
}
