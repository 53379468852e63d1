/**
 * What a handler is: the API key it serves, the versions it serves (which the broker advertises in
 * ApiVersions, exactly), and a function from a decoded request to a response. A handler reports protocol
 * failures inside its response, as Kafka does; an exception from a handler is a bug.
 */
import { ApiKey, ApiMessages } from '@tributary/protocol';
import { BrokerConfig, Clock, ClusterMetadata } from '@tributary/metadata';
import { Logger } from '../logger';
import type { LogService } from '../logs/log-service';
import type { GroupService } from '../groups/group-service';
import type { TransactionService } from '../transactions/transaction-service';

/**
 * Returned by a handler whose request gets no response (Produce with acks=0). A frozen object rather than a
 * symbol: an async handler's inferred return type keeps it as is, where a unique symbol would widen to symbol.
 */
export const NO_RESPONSE = Object.freeze({ noResponse: true as const });
export type NoResponse = typeof NO_RESPONSE;

/**
 * Returned by a handler whose request is answered by closing the connection: Kafka does this for a Produce with
 * acks=0 that failed, so that the client, which reads no response, notices and refreshes its metadata.
 */
export interface CloseConnection {
  closeConnection: string;
}

export function closeConnection(reason: string): CloseConnection {
  return { closeConnection: reason };
}

export function isCloseConnection(value: unknown): value is CloseConnection {
  return typeof value === 'object' && value !== null && typeof (value as CloseConnection).closeConnection === 'string';
}

export interface ConnectionInfo {
  /** Unique per connection, for logs. */
  id: string;
  /** The listener the connection arrived on (Metadata answers with the brokers' endpoints on it). */
  listenerName: string;
  remoteAddress: string;
}

/** What every handler may use. Built once by the broker's composition root. */
export interface BrokerServices {
  metadata: ClusterMetadata;
  config: BrokerConfig;
  clock: Clock;
  logger: Logger;
  /** The partition logs hosted here: lookups by name or id, appends, append listeners (see logs/log-service.ts). */
  logs: LogService;
  /** The classic group coordinator over `__consumer_offsets`, and where FindCoordinator finds it. */
  groups: GroupService;
  /** The transaction coordinator over `__transaction_state` (InitProducerId, EndTxn, ...), and where FindCoordinator finds it. */
  transactions: TransactionService;
  /** The served API versions, for ApiVersions. */
  apiVersions(): readonly { apiKey: number; minVersion: number; maxVersion: number }[];
}

export interface RequestContext {
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  connection: ConnectionInfo;
  services: BrokerServices;
}

export type HandlerResult<R> = R | NoResponse | CloseConnection | Promise<R | NoResponse | CloseConnection>;

export interface Handler<K extends ApiKey = ApiKey> {
  apiKey: K;
  minVersion: number;
  maxVersion: number;
  handle(request: ApiMessages[K]['request'], context: RequestContext): HandlerResult<ApiMessages[K]['response']>;
  /**
   * The answer when `handle` failed unexpectedly: the error on every item of the request, as Kafka's
   * getErrorResponse builds it. Without one, such a failure closes the connection.
   */
  errorResponse?(request: ApiMessages[K]['request'], errorCode: number, errorMessage: string): ApiMessages[K]['response'];
}

/** Declares a handler with its request and response types inferred from the key. */
export function defineHandler<K extends ApiKey>(handler: Handler<K>): Handler<K> {
  return handler;
}
