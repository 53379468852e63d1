/**
 * Request and response headers and size-prefixed frames. Which header version a message uses follows from its
 * API key and version: flexible versions use the request header v2 / response header v1 (with tagged fields),
 * others v1 / v0; ControlledShutdown v0 uses request header v0, and ApiVersions responses always use response
 * header v0 so that a client can read one whatever version it asked for.
 */
import { DecodeError } from './errors/tributary-error';
import { API_DESCRIPTORS, ApiKey, ApiMessages, apiDescriptor } from './generated/api-registry';
import { RequestHeader, ResponseHeader, decodeRequestHeader, decodeResponseHeader, encodeRequestHeader, encodeResponseHeader } from './generated/headers';
import { Reader } from './primitives/reader';
import { Writer } from './primitives/writer';

/** An API key this broker does not know. Kafka closes the connection on one; so do we. */
export class UnknownApiKeyError extends DecodeError {
  constructor(readonly apiKey: number) {
    super(`unknown API key ${apiKey}`);
  }
}

/**
 * Whether a version of an API uses the flexible encoding. Flexible ranges are open-ended, so this also answers
 * for versions newer than the spec (a client's ApiVersions request at a version we do not know yet).
 */
export function isFlexibleVersion(apiKey: ApiKey, version: number): boolean {
  const first = API_DESCRIPTORS[apiKey].firstFlexibleVersion;
  return first !== null && version >= first;
}

export function requestHeaderVersion(apiKey: ApiKey, version: number): number {
  if (apiKey === ApiKey.ControlledShutdown && version === 0) return 0;
  return isFlexibleVersion(apiKey, version) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: ApiKey, version: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexibleVersion(apiKey, version) ? 1 : 0;
}

export interface ParsedRequestHeader {
  header: RequestHeader;
  headerVersion: number;
  /** A reader positioned at the first byte of the request body. */
  body: Reader;
}

/**
 * Reads the header of a request frame (the bytes after the size prefix). An unknown API key is an
 * `UnknownApiKeyError`; the body is left for the caller, who decides whether it serves the version.
 */
export function parseRequestHeader(frame: Buffer): ParsedRequestHeader {
  if (frame.length < 4) throw new DecodeError(`request of ${frame.length} bytes has no room for a header`);
  const apiKey = frame.readInt16BE(0);
  const version = frame.readInt16BE(2);
  if (apiDescriptor(apiKey) === undefined) throw new UnknownApiKeyError(apiKey);
  if (version < 0) throw new DecodeError(`negative API version ${version}`);
  const headerVersion = requestHeaderVersion(apiKey, version);
  const body = new Reader(frame);
  const header = decodeRequestHeader(body, headerVersion);
  return { header, headerVersion, body };
}

/** Encodes a whole request frame (size prefix, header, body), as a client sends it. */
export function encodeRequestFrame<K extends ApiKey>(
  apiKey: K,
  version: number,
  correlationId: number,
  clientId: string | null,
  request: ApiMessages[K]['request'],
): Buffer {
  const w = new Writer(256);
  w.int32(0);
  const header: RequestHeader = { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId };
  encodeRequestHeader(w, requestHeaderVersion(apiKey, version), header);
  API_DESCRIPTORS[apiKey].encodeRequest(w, version, request);
  return withSizePrefix(w.toBuffer());
}

/**
 * Encodes a response frame as buffers for a vectored write: the size prefix and header, then the body, whose
 * large byte strings (record batches) stay references to the buffers they came from.
 */
export function encodeResponseFrame<K extends ApiKey>(
  apiKey: K,
  version: number,
  correlationId: number,
  response: ApiMessages[K]['response'],
): Buffer[] {
  const w = new Writer(256);
  w.int32(0);
  const header: ResponseHeader = { correlationId };
  encodeResponseHeader(w, responseHeaderVersion(apiKey, version), header);
  API_DESCRIPTORS[apiKey].encodeResponse(w, version, response);
  const chunks = w.chunks();
  chunks[0].writeInt32BE(w.length - 4, 0);
  return chunks;
}

/** Decodes a response frame (after its size prefix), as a client reads it. */
export function decodeResponseFrame<K extends ApiKey>(
  apiKey: K,
  version: number,
  frame: Buffer,
): { correlationId: number; response: ApiMessages[K]['response'] } {
  const r = new Reader(frame);
  const header = decodeResponseHeader(r, responseHeaderVersion(apiKey, version));
  const response = API_DESCRIPTORS[apiKey].decodeResponse(r, version) as ApiMessages[K]['response'];
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} bytes left after the ${API_DESCRIPTORS[apiKey].name} response`);
  return { correlationId: header.correlationId, response };
}

function withSizePrefix(frame: Buffer): Buffer {
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}
