import { FetchPurgatory, Timers } from '../../src/fetch/fetch-purgatory';

/** Timers driven by the test: time moves only in advance(), deferred work runs only in flush(). */
class ManualTimers implements Timers {
  now = 0;
  private timers: { at: number; callback: () => void; cancelled: boolean }[] = [];
  private deferred: (() => void)[] = [];
  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { at: this.now + ms, callback, cancelled: false };
    this.timers.push(timer);
    return timer;
  }
  clearTimeout(handle: unknown): void {
    (handle as { cancelled: boolean }).cancelled = true;
  }
  defer(callback: () => void): void {
    this.deferred.push(callback);
  }
  flush(): void {
    const work = this.deferred;
    this.deferred = [];
    for (const callback of work) callback();
  }
  advance(ms: number): void {
    this.now += ms;
    for (const timer of this.timers.filter((t) => !t.cancelled && t.at <= this.now)) {
      timer.cancelled = true;
      timer.callback();
    }
  }
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function tracked(promise: Promise<string>) {
  const state: { outcome?: string } = {};
  void promise.then((outcome) => (state.outcome = outcome));
  return state;
}

describe('FetchPurgatory', () => {
  test('a waiting request leaves when its test passes after an append to one of its partitions', async () => {
    const timers = new ManualTimers();
    const purgatory = new FetchPurgatory({ maxWaiting: 10, timers });
    let bytes = 0;
    const state = tracked(purgatory.wait(['t-0', 't-1'], 500, () => bytes >= 100));
    bytes = 60;
    purgatory.notify('t-1');
    timers.flush();
    await settle();
    expect(state.outcome).toBeUndefined();
    bytes = 120;
    purgatory.notify('t-0');
    timers.flush();
    await settle();
    expect(state.outcome).toBe('satisfied');
    expect(purgatory.waiting).toBe(0);
    expect(timers.pendingTimers).toBe(0);
  });

  test('appends to other partitions do not test it; its max wait ends it', async () => {
    const timers = new ManualTimers();
    const purgatory = new FetchPurgatory({ maxWaiting: 10, timers });
    let tests = 0;
    const state = tracked(purgatory.wait(['t-0'], 500, () => (tests++, false)));
    purgatory.notify('other-0');
    timers.flush();
    expect(tests).toBe(0);
    timers.advance(499);
    await settle();
    expect(state.outcome).toBeUndefined();
    timers.advance(1);
    await settle();
    expect(state.outcome).toBe('expired');
  });

  test('a burst of appends costs one test per waiting request', async () => {
    const timers = new ManualTimers();
    const purgatory = new FetchPurgatory({ maxWaiting: 10, timers });
    let tests = 0;
    tracked(purgatory.wait(['t-0', 't-1'], 500, () => (tests++, false)));
    for (let i = 0; i < 50; i++) purgatory.notify(i % 2 ? 't-0' : 't-1');
    timers.flush();
    expect(tests).toBe(1);
  });

  test('beyond maxWaiting a request is answered at once; shutdown answers every waiting one', async () => {
    const timers = new ManualTimers();
    const purgatory = new FetchPurgatory({ maxWaiting: 2, timers });
    const a = tracked(purgatory.wait(['t-0'], 500, () => false));
    const b = tracked(purgatory.wait(['t-0'], 500, () => false));
    await expect(purgatory.wait(['t-0'], 500, () => false)).resolves.toBe('full');
    purgatory.shutdown();
    await settle();
    expect([a.outcome, b.outcome]).toEqual(['shutdown', 'shutdown']);
    await expect(purgatory.wait(['t-0'], 500, () => false)).resolves.toBe('shutdown');
    expect(timers.pendingTimers).toBe(0);
  });

  test('a test that throws lets the request go (its read reports the failure)', async () => {
    const timers = new ManualTimers();
    const purgatory = new FetchPurgatory({ maxWaiting: 2, timers });
    const state = tracked(
      purgatory.wait(['t-0'], 500, () => {
        throw new Error('log gone');
      }),
    );
    purgatory.notify('t-0');
    timers.flush();
    await settle();
    expect(state.outcome).toBe('satisfied');
  });

  test('no wait at all when max wait is 0', async () => {
    const purgatory = new FetchPurgatory({ maxWaiting: 2, timers: new ManualTimers() });
    await expect(purgatory.wait(['t-0'], 0, () => false)).resolves.toBe('expired');
    expect(purgatory.waiting).toBe(0);
  });
});
