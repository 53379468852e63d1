/**
 * Kafka's listener lists (`listeners`, `advertised.listeners`): comma-separated `NAME://host:port`, where an
 * empty host means every interface for `listeners` and the machine's canonical host name when advertised, and
 * an IPv6 host is bracketed (`PLAINTEXT://[::1]:9092`). The name maps to a security protocol through
 * `listener.security.protocol.map`.
 */
import { TributaryError } from '@tributary/protocol';

const INVALID_CONFIG = 40;

export class InvalidListenerError extends TributaryError {
  constructor(message: string) {
    super(INVALID_CONFIG, message);
  }
}

export interface Listener {
  name: string;
  /** Empty for "every interface". */
  host: string;
  port: number;
  securityProtocol: string;
}

const LISTENER = /^([A-Za-z0-9_-]+):\/\/(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(-?\d+)$/;

export function parseListeners(entries: readonly string[], securityProtocolMap: string, key = 'listeners'): Listener[] {
  const protocols = parseProtocolMap(securityProtocolMap);
  const listeners = entries
    .filter((entry) => entry.trim() !== '')
    .map((entry) => {
      const match = LISTENER.exec(entry.trim());
      if (!match) throw new InvalidListenerError(`${key}: "${entry}" is not of the form NAME://host:port`);
      const [, rawName, rawHost, rawPort] = match;
      const name = rawName.toUpperCase();
      const port = Number(rawPort);
      if (port < 0 || port > 65535) throw new InvalidListenerError(`${key}: port ${port} of "${entry}" is out of range 0-65535`);
      const securityProtocol = protocols.get(name);
      if (securityProtocol === undefined) {
        throw new InvalidListenerError(`${key}: listener name ${name} is not in listener.security.protocol.map (${securityProtocolMap})`);
      }
      const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
      return { name, host, port, securityProtocol };
    });
  const names = new Set<string>();
  for (const listener of listeners) {
    if (names.has(listener.name)) throw new InvalidListenerError(`${key}: listener name ${listener.name} appears more than once`);
    names.add(listener.name);
  }
  return listeners;
}

function parseProtocolMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of text.split(',')) {
    const [name, protocol] = pair.split(':').map((part) => part.trim());
    if (name && protocol) map.set(name.toUpperCase(), protocol.toUpperCase());
  }
  return map;
}
