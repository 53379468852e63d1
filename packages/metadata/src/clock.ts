/**
 * Time as the metadata layer sees it. Structurally the same as the storage layer's Clock, so one object can
 * serve both; the broker's composition root passes the system clock, tests a manual one.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
