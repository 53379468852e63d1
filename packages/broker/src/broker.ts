/**
 * The broker's composition root: opens the metadata, then the partition logs over `log.dirs` (storage, told
 * about partitions through the metadata's change listeners), registers the handlers, binds the listeners.
 *
 * Listeners: `listeners` says where to bind; `advertised.listeners` (default: `listeners`) what clients are
 * told. An advertised entry with an empty host names this machine (Kafka: its canonical host name); port 0 in
 * `listeners` binds an ephemeral port, which is what gets advertised for that listener unless an advertised
 * port is given.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { BrokerConfig, BrokerEndpoint, Clock, ClusterMetadata, InvalidListenerError, Listener, parseListeners, openStandaloneMetadata, systemClock } from '@tributary/metadata';
import { BrokerServices } from './handlers/handler';
import { ALL_HANDLERS } from './handlers';
import { HandlerRegistry } from './handlers/registry';
import { shutdownFetches } from './fetch/fetch-state';
import { GroupService, brokerScheduler } from './groups';
import { PartitionMarkerWriter } from './transactions/partition-markers';
import { TransactionService } from './transactions/transaction-service';
import { Logger } from './logger';
import { BrokerLogs, LogService, OpenedBrokerLogs, openBrokerLogs } from './logs';
import { PartitionLogs, PartitionLogsConnection, connectPartitionLogs } from './partition-logs';
import { BoundListener, SocketServer } from './server/socket-server';

export interface BrokerOptions {
  config: BrokerConfig;
  logger: Logger;
  clock?: Clock;
  randomBytes?: (size: number) => Buffer;
  /** Another listener of partition changes, told after the storage layer (tests record what it hears). */
  partitionLogs?: PartitionLogs;
}

/** Limits of the network layer that Kafka does not configure; chosen to bound memory per connection. */
const MAX_IN_FLIGHT_PER_CONNECTION = 100;
const WRITE_HIGH_WATER_BYTES = 8 * 1024 * 1024;
const SHUTDOWN_GRACE_MS = 10_000;

export class Broker {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly metadata: ClusterMetadata,
    private readonly server: SocketServer,
    /** The addresses actually bound, one per listener. */
    readonly boundListeners: readonly BoundListener[],
    readonly advertisedEndpoints: readonly BrokerEndpoint[],
    private readonly logger: Logger,
    private readonly storage: OpenedBrokerLogs,
    private readonly logsConnections: readonly PartitionLogsConnection[],
    private readonly groupService: GroupService,
    private readonly transactionService: TransactionService,
  ) {}

  /** The transaction coordinator service (for tests that wait for `__transaction_state` to load). */
  get transactions(): TransactionService {
    return this.transactionService;
  }

  /** The group coordinator service (for tests that wait for `__consumer_offsets` to load). */
  get groups(): GroupService {
    return this.groupService;
  }

  /** The partition logs, as handlers reach them. */
  get logs(): BrokerLogs {
    return this.storage.logs;
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const { config, logger } = options;
    const clock = options.clock ?? systemClock;
    const randomBytes = options.randomBytes ?? crypto.randomBytes;
    const protocolMap = config.string('listener.security.protocol.map') ?? '';
    const listeners = parseListeners(config.list('listeners') ?? [], protocolMap, 'listeners');
    if (listeners.length === 0) throw new Error('listeners is empty: nothing to listen on');
    const advertisedConfig = config.list('advertised.listeners');
    const advertised = advertisedConfig && advertisedConfig.length > 0 ? parseListeners(advertisedConfig, protocolMap, 'advertised.listeners') : listeners;
    const unbound = advertised.filter((listener) => !listeners.some((candidate) => candidate.name === listener.name));
    if (unbound.length > 0) {
      // Kafka refuses this too: a client told about a listener nobody binds could never connect.
      throw new InvalidListenerError(
        `advertised.listeners listener names must be equal to or a subset of the ones defined in listeners; ${unbound.map((l) => l.name).join(', ')} is not in listeners`,
      );
    }

    const registry = new HandlerRegistry(ALL_HANDLERS);
    let metadata: ClusterMetadata | undefined;
    let storage: OpenedBrokerLogs | undefined;
    let groups: GroupService | undefined;
    let transactions: TransactionService | undefined;
    const services: BrokerServices = {
      get metadata(): ClusterMetadata {
        if (!metadata) throw new Error('metadata is not open yet');
        return metadata;
      },
      // The effective configuration, with dynamic broker configs, once the metadata is open.
      get config(): BrokerConfig {
        return metadata ? metadata.brokerConfig() : config;
      },
      get logs(): LogService {
        if (!storage) throw new Error('the partition logs are not open yet');
        return storage.logs;
      },
      get groups(): GroupService {
        if (!groups) throw new Error('the group coordinator is not started yet');
        return groups;
      },
      get transactions(): TransactionService {
        if (!transactions) throw new Error('the transaction coordinator is not started yet');
        return transactions;
      },
      clock,
      logger,
      apiVersions: () => registry.servedApis(),
    };
    const server = new SocketServer({
      registry,
      services,
      logger,
      queuedMaxRequests: config.int('queued.max.requests'),
      limits: {
        maxRequestBytes: config.int('socket.request.max.bytes'),
        maxInFlight: MAX_IN_FLIGHT_PER_CONNECTION,
        // Kafka reads one request per connection at a time; pipelining may hold more, up to one largest request.
        maxInFlightBytes: config.int('socket.request.max.bytes'),
        writeHighWaterBytes: WRITE_HIGH_WATER_BYTES,
        idleTimeoutMs: config.int('connections.max.idle.ms'),
      },
    });

    // Bind first: the advertised endpoints of port-0 listeners are only known once bound.
    const bound: BoundListener[] = [];
    try {
      for (const listener of listeners) bound.push(await server.listen(listener.name, listener.host, listener.port));
      const endpoints = advertised.map((listener) => advertisedEndpoint(listener, bound));
      metadata = await openStandaloneMetadata({
        config,
        endpoints,
        clock,
        randomBytes,
        onPersistError: (error) => logger.error({ err: error }, 'cannot persist metadata'),
      });
      // The logs are open before the first request is read: early connections are held unread until then.
      storage = openBrokerLogs({ config, metadata, clock, logger });
      const connections = [await connectPartitionLogs(metadata, storage.logs, logger)];
      storage.logs.startupComplete();
      if (options.partitionLogs) connections.push(await connectPartitionLogs(metadata, options.partitionLogs, logger));
      storage.startScheduler();
      // Loads the __consumer_offsets partitions led here; their groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile.
      const openMetadata = metadata;
      groups = GroupService.start({
        metadata: openMetadata,
        config: () => openMetadata.brokerConfig(),
        logs: storage.logs,
        scheduler: brokerScheduler(clock),
        logger,
      });
      // Loads the __transaction_state partitions led here, finishing transactions left prepared; after the group
      // service, whose staged transactional offsets the markers complete.
      const startedGroups = groups;
      transactions = TransactionService.start({
        metadata: openMetadata,
        config: () => openMetadata.brokerConfig(),
        logs: storage.logs,
        markers: new PartitionMarkerWriter({ logs: storage.logs, groups: () => startedGroups, logger, metadata: openMetadata, clock }),
        scheduler: brokerScheduler(clock),
        logger,
      });
      server.open();
      return new Broker(metadata, server, bound, endpoints, logger, storage, connections, groups, transactions);
    } catch (error) {
      await server.shutdown(0);
      transactions?.shutdown();
      groups?.shutdown();
      storage?.close();
      await metadata?.close();
      throw error;
    }
  }

  /** Stops accepting, answers what was already read, closes connections, then the metadata. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info({}, 'shutting down');
      // Fetches waiting for data are answered now with what there is, rather than holding the drain for max wait.
      shutdownFetches(this.storage.logs);
      const drained = this.server.shutdown(SHUTDOWN_GRACE_MS);
      // As Kafka's coordinator shutdown: parked JoinGroup/SyncGroup requests are answered (NOT_COORDINATOR) now
      // instead of holding the drain for a whole rebalance timeout.
      this.transactionService.shutdown();
      this.groupService.shutdown();
      await drained;
      for (const connection of this.logsConnections) {
        await connection.settled();
        connection.disconnect();
      }
      // A partition load still reading must finish (it stops early) before the logs close under it.
      await this.groupService.loaded();
      await this.transactionService.loaded();
      // Flushes every log and writes the checkpoints and the clean-shutdown marker: the next start skips recovery.
      this.storage.close();
      await this.metadata.close();
      this.logger.info({}, 'shut down');
    })();
    return this.stopping;
  }
}

function advertisedEndpoint(listener: Listener, bound: readonly BoundListener[]): BrokerEndpoint {
  const boundPort = bound.find((candidate) => candidate.name === listener.name)?.port;
  const port = listener.port === 0 && boundPort !== undefined ? boundPort : listener.port;
  const host = listener.host === '' ? os.hostname() : listener.host;
  return { listenerName: listener.name, host, port, securityProtocol: listener.securityProtocol };
}
