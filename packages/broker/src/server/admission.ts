/**
 * The broker-wide cap on requests awaiting their handlers (Kafka's `queued.max.requests`). A connection that
 * finds it full stops reading and waits its turn; slots are handed out in the order connections asked. A waiter
 * that no longer wants the slot (its connection closed meanwhile) declines it, and the next waiter gets it.
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
    while (this.inUse < this.maxRequests) {
      const waiter = this.waiters.shift();
      if (!waiter || waiter()) break;
    }
  }

  waitForSlot(offer: () => boolean): void {
    this.waiters.push(offer);
  }
}
