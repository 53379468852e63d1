/**
 * Runs handlers the way the server does (a request frame through dispatchRequest, the response frame decoded
 * back), against standalone metadata and the storage layer in a temp dir, so a test asserts whole responses
 * as a client sees them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKey, ApiMessages, ErrorCode, FetchRequest, Uuid, ZERO_UUID, asBrokerId, asTopicName, decodeResponseFrame, encodeRequestFrame } from '@tributary/protocol';
import { BrokerConfig, ClusterMetadata, openStandaloneMetadata } from '@tributary/metadata';
import { ALL_HANDLERS, BrokerLogs, BrokerServices, HandlerRegistry, PartitionLogsConnection, connectPartitionLogs, openBrokerLogs, silentLogger } from '../src';
import { DispatchOutcome, dispatchRequest } from '../src/server/dispatch';
import { GroupService, brokerScheduler } from '../src/groups';
import { PartitionMarkerWriter } from '../src/transactions/partition-markers';
import { TransactionService } from '../src/transactions/transaction-service';
import { Scheduler } from '@tributary/group-coordinator';

export const LISTENER = 'PLAINTEXT';
export const endpoints = [{ listenerName: LISTENER, host: 'broker.example', port: 9092, securityProtocol: 'PLAINTEXT' }];

export interface Harness {
  metadata: ClusterMetadata;
  registry: HandlerRegistry;
  /** The partition logs in the harness' log dir (created with their topics, as in the broker). */
  logs: BrokerLogs;
  /** The group coordinator service, on the harness clock (or the scheduler given). */
  groups: GroupService;
  /** The transaction coordinator service, on the same clock and scheduler. */
  transactions: TransactionService;
  /** The log dir (the metadata and every partition log live in it). */
  dir: string;
  /** Resolves once the log layer has acted on every metadata change so far. */
  settled(): Promise<void>;
  call<K extends ApiKey>(apiKey: K, version: number, request: ApiMessages[K]['request']): Promise<ApiMessages[K]['response']>;
  /** Dispatches raw frame bytes (without the size prefix) and returns what the connection would do. */
  raw(frame: Buffer): Promise<DispatchOutcome>;
  close(): Promise<void>;
}

export const HARNESS_NOW_MS = 1_700_000_000_000;

export async function openHarness(config: Record<string, string> = {}, options: { clock?: { nowMs(): number }; scheduler?: Scheduler } = {}): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-handlers-'));
  let counter = 0;
  const clock = options.clock ?? { nowMs: () => HARNESS_NOW_MS };
  const brokerConfig = BrokerConfig.of({ 'broker.id': '1', 'log.dirs': dir, ...config });
  const metadata = await openStandaloneMetadata({
    config: brokerConfig,
    endpoints,
    clock,
    randomBytes: (size) => Buffer.alloc(size, ++counter),
  });
  const storage = openBrokerLogs({ config: brokerConfig, metadata, clock, logger: silentLogger });
  const logsConnection: PartitionLogsConnection = await connectPartitionLogs(metadata, storage.logs, silentLogger);
  storage.logs.startupComplete();
  const groups = GroupService.start({
    metadata,
    config: () => metadata.brokerConfig(),
    logs: storage.logs,
    scheduler: options.scheduler ?? brokerScheduler(clock),
    logger: silentLogger,
  });
  const transactions = TransactionService.start({
    metadata,
    config: () => metadata.brokerConfig(),
    logs: storage.logs,
    markers: new PartitionMarkerWriter({ logs: storage.logs, groups: () => groups, logger: silentLogger, metadata, clock }),
    scheduler: options.scheduler ?? brokerScheduler(clock),
    logger: silentLogger,
  });
  const registry = new HandlerRegistry(ALL_HANDLERS);
  const services: BrokerServices = {
    metadata,
    get config() {
      return metadata.brokerConfig();
    },
    clock,
    logger: silentLogger,
    logs: storage.logs,
    groups,
    transactions,
    apiVersions: () => registry.servedApis(),
  };
  const connection = { id: 'test-0', listenerName: LISTENER, remoteAddress: '127.0.0.1:1' };
  const raw = async (frame: Buffer) => dispatchRequest(frame, registry, services, connection).outcome;
  return {
    metadata,
    registry,
    logs: storage.logs,
    groups,
    transactions,
    dir,
    settled: () => logsConnection.settled(),
    raw,
    async call(apiKey, version, request) {
      const frame = encodeRequestFrame(apiKey, version, 42, 'test-client', request).subarray(4);
      const outcome = await raw(frame);
      if (outcome.kind !== 'respond') throw new Error(`expected a response, got ${JSON.stringify(outcome)}`);
      const { correlationId, response } = decodeResponseFrame(apiKey, version, Buffer.concat(outcome.chunks).subarray(4));
      expect(correlationId).toBe(42);
      return stripTagged(response);
    },
    async close() {
      transactions.shutdown();
      groups.shutdown();
      await groups.loaded();
      await transactions.loaded();
      await logsConnection.settled();
      logsConnection.disconnect();
      storage.close();
      await metadata.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a topic through the standalone metadata and waits until its partition logs exist. */
export async function createTopic(harness: Harness, name: string, partitions = 1, configs: Map<string, string> = new Map()): Promise<void> {
  const outcome = await harness.metadata.createTopic({ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs }, { validateOnly: false });
  expect(outcome.errorCode).toBe(ErrorCode.NONE);
  await harness.settled();
}

/** FindCoordinator for a transactional id until it has one, then waits for `__transaction_state` to load. */
export async function transactionCoordinatorReady(harness: Harness, transactionalId: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const found = await harness.call(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: [transactionalId] });
    if (found.coordinators[0]!.errorCode === ErrorCode.NONE) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await harness.settled();
  await harness.transactions.loaded();
}

/** A consumer's Fetch (replica -1, no session, no wait); partitions default to partition 0 from offset 0, 1 MiB. */
export function fetchRequest(topics: { topic: string; topicId?: Uuid; partitions: Partial<FetchRequest.FetchPartition>[] }[], fields: Partial<FetchRequest> = {}): FetchRequest {
  return {
    clusterId: null,
    replicaId: asBrokerId(-1),
    replicaState: { replicaId: asBrokerId(-1), replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: topics.map((t) => ({
      topic: asTopicName(t.topic),
      topicId: t.topicId ?? ZERO_UUID,
      partitions: t.partitions.map((p) => ({
        partition: 0,
        currentLeaderEpoch: -1,
        fetchOffset: 0n,
        lastFetchedEpoch: -1,
        logStartOffset: -1n,
        partitionMaxBytes: 1048576,
        replicaDirectoryId: ZERO_UUID,
        ...p,
      })),
    })),
    forgottenTopicsData: [],
    rackId: '',
    ...fields,
  };
}

/** Decoded messages carry `_unknownTaggedFields` only when a peer sent some; tests compare without them. */
function stripTagged<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripTagged) as T;
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== '_unknownTaggedFields').map(([key, v]) => [key, stripTagged(v)])) as T;
  }
  return value;
}
