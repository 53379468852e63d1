/**
 * The handlers this broker serves, by API key. ApiVersions is built from here, so the broker advertises exactly
 * the keys and versions it can answer, and a request outside them is refused the way Kafka refuses one.
 */
import { API_DESCRIPTORS, ApiKey } from '@tributary/protocol';
import { Handler } from './handler';

export interface ServedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export class HandlerRegistry {
  private readonly handlers = new Map<number, Handler>();

  constructor(handlers: readonly Handler[] = []) {
    for (const handler of handlers) this.register(handler);
  }

  register<K extends ApiKey>(handler: Handler<K>): void {
    const spec = API_DESCRIPTORS[handler.apiKey];
    if (handler.minVersion < spec.minVersion || handler.maxVersion > spec.maxVersion || handler.minVersion > handler.maxVersion) {
      throw new RangeError(`${spec.name} handler serves versions ${handler.minVersion}-${handler.maxVersion}, the spec has ${spec.minVersion}-${spec.maxVersion}`);
    }
    if (this.handlers.has(handler.apiKey)) throw new Error(`two handlers for ${spec.name}`);
    this.handlers.set(handler.apiKey, handler as unknown as Handler);
  }

  get(apiKey: number): Handler | undefined {
    return this.handlers.get(apiKey);
  }

  /** Whether a handler serves this key at this version. */
  serves(apiKey: number, version: number): boolean {
    const handler = this.handlers.get(apiKey);
    return handler !== undefined && version >= handler.minVersion && version <= handler.maxVersion;
  }

  /** The served ranges, by key, for ApiVersions. */
  servedApis(): ServedApi[] {
    return [...this.handlers.values()]
      .map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}
