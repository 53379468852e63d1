/**
 * Time for the coordinator. Every timeout (session, rebalance, initial delay, pending member, offset expiry) is a
 * task on an injected Scheduler, and every timestamp comes from its clock, so tests drive hours of group life by
 * advancing a ManualScheduler and the core never calls Date.now() or setTimeout itself.
 */

/** Milliseconds since the Unix epoch; structurally the same as storage's Clock. */
export interface Clock {
  nowMs(): number;
}

export interface Cancellable {
  cancel(): void;
}

export interface Scheduler extends Clock {
  /** Runs `task` once, `delayMs` from now, unless cancelled first. */
  schedule(delayMs: number, task: () => void): Cancellable;
}

/** The real scheduler for the broker: wall-clock time and unref'd Node timers (they never hold the process). */
export const systemScheduler: Scheduler = {
  nowMs: () => Date.now(),
  schedule(delayMs, task) {
    const timer = setTimeout(task, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

interface ScheduledTask {
  dueMs: number;
  sequence: number;
  task: () => void;
  cancelled: boolean;
}

/**
 * A scheduler whose time moves only when told to. Tasks run in due-time order (ties in scheduling order) with
 * the clock set to each task's due time, so a task that schedules another inside the advanced window runs too.
 */
export class ManualScheduler implements Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private sequence = 0;

  constructor(private currentMs = 1_700_000_000_000) {}

  nowMs(): number {
    return this.currentMs;
  }

  schedule(delayMs: number, task: () => void): Cancellable {
    const entry: ScheduledTask = {
      dueMs: this.currentMs + Math.max(0, delayMs),
      sequence: this.sequence++,
      task,
      cancelled: false,
    };
    this.tasks.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Moves time forward by `ms`, running every task that falls due on the way. */
  advance(ms: number): void {
    const targetMs = this.currentMs + ms;
    for (;;) {
      const next = this.nextDue();
      if (next === undefined || next.dueMs > targetMs) break;
      this.tasks.splice(this.tasks.indexOf(next), 1);
      this.currentMs = Math.max(this.currentMs, next.dueMs);
      next.task();
    }
    this.currentMs = targetMs;
  }

  /** Number of tasks still waiting (cancelled ones excluded). */
  get pendingTasks(): number {
    return this.tasks.filter((task) => !task.cancelled).length;
  }

  private nextDue(): ScheduledTask | undefined {
    let best: ScheduledTask | undefined;
    for (let i = this.tasks.length - 1; i >= 0; i--) {
      const task = this.tasks[i];
      if (task.cancelled) {
        this.tasks.splice(i, 1);
        continue;
      }
      if (best === undefined || task.dueMs < best.dueMs || (task.dueMs === best.dueMs && task.sequence < best.sequence)) {
        best = task;
      }
    }
    return best;
  }
}
