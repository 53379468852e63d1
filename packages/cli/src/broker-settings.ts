/**
 * From a server.properties file and `--override key=value` arguments to a checked BrokerConfig, the way
 * Kafka's `kafka-server-start.sh server.properties --override k=v` reads them: file first, overrides on top,
 * later duplicates win. Three defaults differ from Kafka's so that `tributary` with no arguments is useful on
 * a fresh machine: data goes to `./data` (Kafka: /tmp/kafka-logs) unless log.dir or log.dirs is given, and when
 * neither listeners nor advertised.listeners is given the broker binds Kafka's default `PLAINTEXT://:9092` and
 * advertises `PLAINTEXT://localhost:9092`, where clients on this machine look for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BrokerConfig, InvalidConfigError, parseProperties, toMap } from '@tributary/metadata';

export const DEFAULT_DATA_DIR = './data';
export const DEFAULT_LISTENERS = 'PLAINTEXT://:9092';
export const DEFAULT_ADVERTISED_LISTENERS = 'PLAINTEXT://localhost:9092';

export interface BrokerSettings {
  config: BrokerConfig;
  unknownKeys: string[];
  ignoredKeys: string[];
  /** The properties file read, if any. */
  source: string | undefined;
}

/** A problem the user must fix before the broker can start; the message says what and where. */
export class SettingsError extends Error {}

export function loadBrokerSettings(propertiesFile: string | undefined, overrides: readonly string[], cwd = process.cwd()): BrokerSettings {
  const given = new Map<string, string>();
  let source: string | undefined;
  if (propertiesFile !== undefined) {
    source = path.resolve(cwd, propertiesFile);
    let text: string;
    try {
      text = fs.readFileSync(source, 'utf8');
    } catch (error) {
      throw new SettingsError(`cannot read the properties file ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    try {
      for (const [key, value] of toMap(parseProperties(text))) given.set(key, value);
    } catch (error) {
      throw new SettingsError(`${source}: ${(error as Error).message}`);
    }
  }
  for (const override of overrides) {
    const at = override.indexOf('=');
    if (at <= 0) throw new SettingsError(`--override ${override}: expected key=value`);
    given.set(override.slice(0, at).trim(), override.slice(at + 1).trim());
  }
  if (!given.has('log.dirs') && !given.has('log.dir')) given.set('log.dirs', DEFAULT_DATA_DIR);
  if (!given.has('listeners') && !given.has('advertised.listeners')) {
    given.set('listeners', DEFAULT_LISTENERS);
    given.set('advertised.listeners', DEFAULT_ADVERTISED_LISTENERS);
  }
  // Relative log dirs are relative to where the broker starts, as in Kafka; resolve them once so the start
  // line and every later message show the real place.
  for (const key of ['log.dirs', 'log.dir']) {
    const value = given.get(key);
    if (value !== undefined) {
      given.set(
        key,
        value
          .split(',')
          .map((dir) => (dir.trim() === '' ? dir : path.resolve(cwd, dir.trim())))
          .join(','),
      );
    }
  }
  try {
    const { config, unknownKeys, ignoredKeys } = BrokerConfig.build(given);
    return { config, unknownKeys, ignoredKeys, source };
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      throw new SettingsError(`invalid configuration${source ? ` in ${source} or --override` : ''}:\n  ${error.problems.join('\n  ')}`);
    }
    throw error;
  }
}
