/**
 * One client connection. Requests may be pipelined: each is decoded and handed to its handler as it arrives,
 * handlers may finish in any order, and responses leave in request order (a queue of slots, one per request,
 * flushed from the head). Everything is bounded:
 * - a frame's size is checked before its body is buffered (FrameDecoder);
 * - at most `maxInFlight` requests and `maxInFlightBytes` of request frames per connection (always at least one
 *   request), and `queued.max.requests` across the broker, await their handlers; beyond that the socket is
 *   paused, so TCP pushes back on the client;
 * - when the socket's unsent output exceeds `writeHighWaterBytes` (a client that does not read), reading
 *   pauses until the output drains, so a slow reader cannot make the broker buffer without bound.
 * A request that must close the connection (unknown key, malformed frame) closes it in its turn: the responses
 * to the requests before it are still sent, nothing after it is read.
 *
 * Call only from the event loop; the methods run to completion and never await.
 */
import net from 'node:net';
import { API_DESCRIPTORS } from '@tributary/protocol';
import { Logger } from '../logger';
import { BrokerServices, ConnectionInfo } from '../handlers/handler';
import { HandlerRegistry } from '../handlers/registry';
import { DispatchOutcome, RequestSummary, dispatchRequest } from './dispatch';
import { FrameDecoder, InvalidFrameSizeError } from './frame-decoder';

export interface ConnectionLimits {
  maxRequestBytes: number;
  maxInFlight: number;
  /** Request bytes awaiting handlers on one connection; one request is always let through, whatever its size. */
  maxInFlightBytes: number;
  writeHighWaterBytes: number;
  idleTimeoutMs: number;
}

/** Shared by every connection of a server: the broker-wide cap on requests awaiting handlers. */
export interface Admission {
  tryAcquire(): boolean;
  release(): void;
  /**
   * Calls `offer` once when a slot frees up; `offer` takes it (with tryAcquire) and returns true, or returns
   * false to pass it on to the next waiter.
   */
  waitForSlot(offer: () => boolean): void;
}

interface Slot {
  summary: RequestSummary;
  outcome?: DispatchOutcome;
}

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Slot[] = [];
  private inFlight = 0;
  private inFlightBytes = 0;
  private waitingForDrain = false;
  private waitingForAdmission = false;
  /** A frame read while the broker-wide cap was reached: the next to dispatch, ahead of anything after it. */
  private heldFrame: Buffer | undefined;
  /** No more requests are read: the connection is closing (a fatal request, or shutdown). */
  private stopReading = false;
  private closed = false;
  private readonly closedPromise: Promise<void>;
  private readonly log: Logger;

  constructor(
    private readonly socket: net.Socket,
    readonly info: ConnectionInfo,
    private readonly registry: HandlerRegistry,
    private readonly services: BrokerServices,
    private readonly limits: ConnectionLimits,
    private readonly admission: Admission,
    logger: Logger,
  ) {
    this.decoder = new FrameDecoder(limits.maxRequestBytes);
    this.log = logger.child({ connection: info.id, remote: info.remoteAddress, listener: info.listenerName });
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs, () => {
        if (this.queue.length === 0) this.close('idle for longer than connections.max.idle.ms', 'debug');
      });
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.pump();
    });
    socket.on('error', (error) => this.log.debug({ err: error }, 'socket error'));
    socket.once('close', () => {
      this.closed = true;
      this.releaseQueue();
    });
    // A socket held paused until the broker was ready starts flowing here; its early bytes are still buffered.
    socket.resume();
  }

  /** Resolves once the socket has closed. */
  get whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  /** Stops reading, lets the requests already read finish and their responses go out, then closes. */
  shutdownGracefully(): void {
    this.stopReading = true;
    this.socket.pause();
    this.flush();
  }

  /** Closes at once, dropping whatever is queued. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.stopReading) return;
    try {
      this.decoder.push(chunk);
    } catch (error) {
      const reason = error instanceof InvalidFrameSizeError ? error.message : `unreadable frame: ${(error as Error).message}`;
      this.closeAfterQueued({ summary: {}, outcome: { kind: 'close', reason } });
      return;
    }
    this.pump();
  }

  /** Reads and dispatches frames while nothing holds the connection back; pauses the socket otherwise. */
  private pump(): void {
    while (!this.stopReading && !this.closed) {
      if (this.socket.writableLength > this.limits.writeHighWaterBytes) this.waitingForDrain = true;
      if (this.waitingForDrain || this.waitingForAdmission) break;
      if (this.tooMuchInFlight()) break;
      let frame: Buffer | undefined;
      try {
        frame = this.decoder.next();
      } catch (error) {
        this.closeAfterQueued({ summary: {}, outcome: { kind: 'close', reason: (error as Error).message } });
        return;
      }
      if (!frame) break;
      if (!this.admission.tryAcquire()) {
        this.waitingForAdmission = true;
        this.heldFrame = frame;
        this.admission.waitForSlot(() => this.takeFreedSlot());
        break;
      }
      this.dispatch(frame);
    }
    const blocked = this.stopReading || this.waitingForDrain || this.waitingForAdmission || this.tooMuchInFlight();
    if (blocked) this.socket.pause();
    else this.socket.resume();
  }

  private tooMuchInFlight(): boolean {
    return this.inFlight >= this.limits.maxInFlight || (this.inFlight > 0 && this.inFlightBytes >= this.limits.maxInFlightBytes);
  }

  /** Offered a freed broker-wide slot: dispatches the held frame with it, or declines when closed. */
  private takeFreedSlot(): boolean {
    const frame = this.heldFrame;
    if (this.closed || frame === undefined || !this.admission.tryAcquire()) {
      this.heldFrame = undefined;
      this.waitingForAdmission = false;
      return false;
    }
    this.heldFrame = undefined;
    this.waitingForAdmission = false;
    this.dispatch(frame);
    this.pump();
    return true;
  }

  private dispatch(frame: Buffer): void {
    this.inFlight++;
    this.inFlightBytes += frame.length;
    const dispatched = dispatchRequest(frame, this.registry, this.services, this.info);
    const slot: Slot = { summary: dispatched.summary };
    this.queue.push(slot);
    // A request that will close the connection is the last one read.
    if (!(dispatched.outcome instanceof Promise) && dispatched.outcome.kind === 'close') this.stopReading = true;
    const settle = (outcome: DispatchOutcome): void => {
      this.inFlight--;
      this.inFlightBytes -= frame.length;
      this.admission.release();
      slot.outcome = outcome;
      if (outcome.kind === 'close') this.stopReading = true;
      this.flush();
      this.pump();
    };
    if (dispatched.outcome instanceof Promise) dispatched.outcome.then(settle);
    else {
      // Settle on a microtask so that a burst of pipelined requests is decoded before the first response is
      // corked: responses to one read then leave in as few writes as possible.
      const outcome = dispatched.outcome;
      queueMicrotask(() => settle(outcome));
    }
  }

  private closeAfterQueued(slot: Slot): void {
    this.stopReading = true;
    this.queue.push(slot);
    this.flush();
    this.pump();
  }

  /** Writes the responses at the head of the queue that are ready, in order. */
  private flush(): void {
    if (this.closed) return;
    let corked = false;
    while (this.queue.length > 0 && this.queue[0].outcome !== undefined) {
      const { summary, outcome } = this.queue.shift() as Required<Slot>;
      if (outcome.kind === 'close') {
        if (corked) this.socket.uncork();
        this.close(outcome.reason, 'warn', { ...describe(summary), ...outcome.fields });
        return;
      }
      if (outcome.kind === 'respond') {
        if (!corked) {
          this.socket.cork();
          corked = true;
        }
        for (const chunk of outcome.chunks) this.socket.write(chunk);
      }
    }
    if (corked) this.socket.uncork();
    if (this.socket.writableLength > this.limits.writeHighWaterBytes) this.waitingForDrain = true;
    // Shutting down and everything read is answered: close, without waiting for the client to hang up.
    if (this.stopReading && this.queue.length === 0) this.close('broker shutting down', 'debug');
  }

  private close(reason: string, level: 'warn' | 'debug', fields: object = {}): void {
    if (this.closed) return;
    this.stopReading = true;
    this.log[level]({ ...fields, reason }, 'closing connection');
    this.socket.end();
    // A peer that never reads would keep a half-closed socket forever; give the last bytes a moment.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.closed = true;
    this.releaseQueue();
  }

  /** Forgets the queued slots of a closed connection (their handlers still finish and release admission). */
  private releaseQueue(): void {
    this.queue.length = 0;
  }
}

function describe(summary: RequestSummary): object {
  const api = summary.apiKey === undefined ? undefined : (API_DESCRIPTORS as Record<number, { name: string } | undefined>)[summary.apiKey]?.name;
  return { ...summary, ...(api ? { api } : {}) };
}
