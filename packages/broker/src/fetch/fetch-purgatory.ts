/**
 * Where Fetch requests wait for data (Kafka's delayed-fetch purgatory). A request parks with the partitions it
 * reads and a test of whether it can be answered now (enough bytes across ALL its partitions, or an error);
 * appends to any of those partitions re-run the test, and the request leaves when the test passes, when its
 * max wait ends, or when the broker shuts down (answered at once with what there is).
 *
 * Appends come in bursts (every produced batch notifies), so notifications only mark partitions and one
 * deferred pass tests the requests watching them: a burst costs one test per waiting request, not one per batch.
 * The number of parked requests is bounded; beyond it a request is answered at once, as if its wait had ended.
 */

export type WaitOutcome = 'satisfied' | 'expired' | 'shutdown' | 'full';

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Runs `callback` soon, after the current burst of work (default: setImmediate). */
  defer(callback: () => void): void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  defer: (callback) => setImmediate(callback),
};

interface Waiter {
  keys: readonly string[];
  isSatisfied: () => boolean;
  timer: unknown;
  resolve: (outcome: WaitOutcome) => void;
}

export interface FetchPurgatoryOptions {
  maxWaiting: number;
  timers?: Timers;
}

export class FetchPurgatory {
  private readonly byKey = new Map<string, Set<Waiter>>();
  private readonly waiters = new Set<Waiter>();
  private readonly dirty = new Set<string>();
  private checkScheduled = false;
  private closed = false;
  private readonly timers: Timers;

  constructor(private readonly options: FetchPurgatoryOptions) {
    this.timers = options.timers ?? realTimers;
  }

  get waiting(): number {
    return this.waiters.size;
  }

  /**
   * Waits up to `waitMs` for `isSatisfied` to hold, tested again after each append to one of `keys`. The caller
   * has tested it once already. Never rejects: a throwing test counts as satisfied (the caller's read reports it).
   */
  wait(keys: readonly string[], waitMs: number, isSatisfied: () => boolean): Promise<WaitOutcome> {
    if (this.closed) return Promise.resolve('shutdown');
    if (waitMs <= 0) return Promise.resolve('expired');
    if (this.waiters.size >= this.options.maxWaiting) return Promise.resolve('full');
    return new Promise<WaitOutcome>((resolve) => {
      const waiter: Waiter = { keys, isSatisfied, timer: undefined, resolve };
      waiter.timer = this.timers.setTimeout(() => this.complete(waiter, 'expired'), waitMs);
      this.waiters.add(waiter);
      for (const key of keys) {
        let set = this.byKey.get(key);
        if (!set) this.byKey.set(key, (set = new Set()));
        set.add(waiter);
      }
    });
  }

  /** Something was appended to (or changed in) the partition `key`. */
  notify(key: string): void {
    if (!this.byKey.has(key)) return;
    this.dirty.add(key);
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    this.timers.defer(() => this.checkDirty());
  }

  /** Answers every waiting request now and refuses new waits. */
  shutdown(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) this.complete(waiter, 'shutdown');
  }

  private checkDirty(): void {
    this.checkScheduled = false;
    const candidates = new Set<Waiter>();
    for (const key of this.dirty) for (const waiter of this.byKey.get(key) ?? []) candidates.add(waiter);
    this.dirty.clear();
    for (const waiter of candidates) {
      if (!this.waiters.has(waiter)) continue;
      let satisfied: boolean;
      try {
        satisfied = waiter.isSatisfied();
      } catch {
        satisfied = true;
      }
      if (satisfied) this.complete(waiter, 'satisfied');
    }
  }

  private complete(waiter: Waiter, outcome: WaitOutcome): void {
    if (!this.waiters.delete(waiter)) return;
    this.timers.clearTimeout(waiter.timer);
    for (const key of waiter.keys) {
      const set = this.byKey.get(key);
      if (!set) continue;
      set.delete(waiter);
      if (set.size === 0) this.byKey.delete(key);
    }
    waiter.resolve(outcome);
  }
}
