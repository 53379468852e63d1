/**
 * The broker-wide cap on requests awaiting their handlers (Kafka's `queued.max.requests`). A connection that
 * finds it full stops reading and waits its turn; slots are handed out in the order connections asked.
 */
import { Admission } from './connection';

export class RequestAdmission implements Admission {
  private inUse = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly maxRequests: number) {}

  get requestsInFlight(): number {
    return this.inUse;
  }

  tryAcquire(): boolean {
    if (this.inUse >= this.maxRequests) return false;
    this.inUse++;
    return true;
  }

  release(): void {
    this.inUse--;
    const waiter = this.waiters.shift();
    if (waiter) queueMicrotask(waiter);
  }

  waitForSlot(retry: () => void): void {
    this.waiters.push(retry);
  }
}
