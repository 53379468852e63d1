/**
 * The per-broker state of the Fetch path: its session cache and its purgatory, woken by the log service's
 * appends and by topic deletions. Handlers are shared by every broker in a process (tests run several), so the state hangs off the
 * broker's log service rather than a module global; the first Fetch creates it.
 */
import crypto from 'node:crypto';
import { BrokerServices } from '../handlers/handler';
import type { LogService } from '../logs/log-service';
import { FetchSessionManager } from './fetch-context';
import { FetchPurgatory } from './fetch-purgatory';
import { FetchSessionCache } from './fetch-session-cache';

/** How many fetches may wait at once; beyond it a fetch is answered at once with what there is. */
const MAX_WAITING_FETCHES = 10_000;

export interface FetchState {
  sessions: FetchSessionManager;
  purgatory: FetchPurgatory;
  close(): void;
}

const states = new WeakMap<LogService, FetchState>();

/** The purgatory's key for a partition, as appends name it. */
export function purgatoryKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function fetchState(services: BrokerServices): FetchState {
  const logs = services.logs;
  let state = states.get(logs);
  if (!state) {
    const cache = new FetchSessionCache({
      maxSessions: services.config.int('max.incremental.fetch.session.cache.slots'),
      randomInt: () => crypto.randomInt(1, 0x7fffffff),
    });
    const purgatory = new FetchPurgatory({ maxWaiting: MAX_WAITING_FETCHES });
    const stopListening = logs.onAppend((log) => purgatory.notify(purgatoryKey(log.topic, log.partition)));
    // A fetch waiting on a topic that is deleted is answered now (its partitions are unknown), as Kafka's
    // delayed fetch completes when a partition is no longer led here.
    const stopWatching = services.metadata.subscribe((change) => {
      if (change.kind !== 'topicDeleted') return;
      for (const partition of change.topic.partitions) purgatory.notify(purgatoryKey(change.topic.name, partition.partitionIndex));
    });
    state = {
      sessions: new FetchSessionManager(cache, services.clock),
      purgatory,
      close() {
        stopListening();
        stopWatching();
        purgatory.shutdown();
      },
    };
    states.set(logs, state);
  }
  return state;
}

/**
 * Answers every waiting fetch now and makes later ones answer without waiting: called when the broker starts
 * shutting down, so long polls do not hold the shutdown for their max wait.
 */
export function shutdownFetches(logs: LogService): void {
  states.get(logs)?.close();
}
