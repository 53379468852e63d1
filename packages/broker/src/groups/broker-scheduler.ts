/**
 * The coordinator's Scheduler on the broker's clock: timestamps from the injected Clock (so a broker run on a
 * manual clock stamps records with it), delays on unref'd Node timers that never keep the process alive.
 */
import { Clock } from '@tributary/metadata';
import { Scheduler } from '@tributary/group-coordinator';

export function brokerScheduler(clock: Clock): Scheduler {
  return {
    nowMs: () => clock.nowMs(),
    schedule(delayMs, task) {
      const timer = setTimeout(task, Math.max(0, delayMs));
      timer.unref();
      return { cancel: () => clearTimeout(timer) };
    },
  };
}
