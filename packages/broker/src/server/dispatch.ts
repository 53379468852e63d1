/**
 * From one request frame to what the connection must do with it: send a response, send nothing (acks=0), or
 * close. Mirrors what Kafka's SocketServer and RequestContext do before and after KafkaApis:
 * - an unknown API key, a header or body that does not decode, or a version this broker does not serve:
 *   close the connection (Kafka logs and closes; a client treats it as a failed request);
 * - ApiVersions at a version newer than ours: answer UNSUPPORTED_VERSION in a v0 response that lists the
 *   ApiVersions range we serve, so that the client can retry at a version we know (KIP-511);
 * - ApiVersions v3+ with client software name or version that break Kafka's pattern: INVALID_REQUEST.
 * Header and body are decoded synchronously, here, so the frame's bytes are not needed after this returns.
 */
import {
  API_DESCRIPTORS,
  ApiKey,
  ApiVersionsRequest,
  ApiVersionsResponse,
  ErrorCode,
  UnknownApiKeyError,
  encodeResponseFrame,
  parseRequestHeader,
} from '@tributary/protocol';
import { ConnectionInfo, BrokerServices, NO_RESPONSE, RequestContext, isCloseConnection } from '../handlers/handler';
import { HandlerRegistry } from '../handlers/registry';

export type DispatchOutcome =
  | { kind: 'respond'; chunks: Buffer[] }
  | { kind: 'none' }
  | { kind: 'close'; reason: string; fields?: object };

/** The request as far as it was understood, for logs. */
export interface RequestSummary {
  apiKey?: number;
  apiVersion?: number;
  correlationId?: number;
  clientId?: string | null;
}

export interface Dispatched {
  summary: RequestSummary;
  /** Settles with what to do; never rejects (a handler's exception becomes a close, logged by the caller). */
  outcome: Promise<DispatchOutcome> | DispatchOutcome;
}

const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function dispatchRequest(frame: Buffer, registry: HandlerRegistry, services: BrokerServices, connection: ConnectionInfo): Dispatched {
  let parsed: ReturnType<typeof parseRequestHeader>;
  try {
    parsed = parseRequestHeader(frame);
  } catch (error) {
    const summary: RequestSummary = frame.length >= 4 ? { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2) } : {};
    const reason = error instanceof UnknownApiKeyError ? `unknown API key ${error.apiKey}` : `malformed request header: ${(error as Error).message}`;
    return { summary, outcome: { kind: 'close', reason } };
  }
  const { header, body } = parsed;
  const apiKey = header.requestApiKey as ApiKey;
  const version = header.requestApiVersion;
  const summary: RequestSummary = { apiKey, apiVersion: version, correlationId: header.correlationId, clientId: header.clientId };
  const handler = registry.get(apiKey);

  if (apiKey === ApiKey.ApiVersions && handler && version > handler.maxVersion) {
    const response: ApiVersionsResponse = {
      ...emptyApiVersionsResponse(ErrorCode.UNSUPPORTED_VERSION),
      apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: handler.minVersion, maxVersion: handler.maxVersion }],
    };
    return { summary, outcome: { kind: 'respond', chunks: encodeResponseFrame(ApiKey.ApiVersions, 0, header.correlationId, response) } };
  }
  if (!handler || !registry.serves(apiKey, version)) {
    const name = API_DESCRIPTORS[apiKey].name;
    const reason = handler ? `${name} version ${version} is not served (versions ${handler.minVersion}-${handler.maxVersion})` : `${name} is not served by this broker`;
    return { summary, outcome: { kind: 'close', reason } };
  }

  let request: unknown;
  try {
    request = API_DESCRIPTORS[apiKey].decodeRequest(body, version);
  } catch (error) {
    return { summary, outcome: { kind: 'close', reason: `malformed ${API_DESCRIPTORS[apiKey].name} v${version} request: ${(error as Error).message}` } };
  }

  if (apiKey === ApiKey.ApiVersions && version >= 3 && !validSoftware(request as ApiVersionsRequest)) {
    const response = emptyApiVersionsResponse(ErrorCode.INVALID_REQUEST);
    return { summary, outcome: { kind: 'respond', chunks: encodeResponseFrame(ApiKey.ApiVersions, version, header.correlationId, response) } };
  }

  const context: RequestContext = { apiVersion: version, correlationId: header.correlationId, clientId: header.clientId, connection, services };
  const finish = (response: unknown): DispatchOutcome =>
    response === NO_RESPONSE
      ? { kind: 'none' }
      : isCloseConnection(response)
        ? { kind: 'close', reason: response.closeConnection }
        : { kind: 'respond', chunks: encodeResponseFrame(apiKey, version, header.correlationId, response as never) };
  // A handler's exception is a bug. Kafka answers it with UNKNOWN_SERVER_ERROR on every item of the request
  // (and logs it); so do we where the handler can build that answer, and close the connection otherwise.
  const fault = (error: unknown): DispatchOutcome => {
    const message = (error as Error)?.message ?? String(error);
    services.logger.error({ err: error, api: API_DESCRIPTORS[apiKey].name, correlationId: header.correlationId, connection: connection.id }, 'request handler failed');
    if (handler.errorResponse) {
      try {
        const response = handler.errorResponse(request as never, ErrorCode.UNKNOWN_SERVER_ERROR, message);
        return { kind: 'respond', chunks: encodeResponseFrame(apiKey, version, header.correlationId, response as never) };
      } catch {
        // Fall through to closing: not even the error answer could be built.
      }
    }
    return { kind: 'close', reason: `${API_DESCRIPTORS[apiKey].name} handler failed: ${message}`, fields: { err: error } };
  };
  try {
    const result = handler.handle(request as never, context);
    if (result instanceof Promise) return { summary, outcome: result.then(finish, fault).catch(fault) };
    return { summary, outcome: finish(result) };
  } catch (error) {
    return { summary, outcome: fault(error) };
  }
}

function validSoftware(request: ApiVersionsRequest): boolean {
  return SOFTWARE_PATTERN.test(request.clientSoftwareName) && SOFTWARE_PATTERN.test(request.clientSoftwareVersion);
}

function emptyApiVersionsResponse(errorCode: number): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: [],
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}
