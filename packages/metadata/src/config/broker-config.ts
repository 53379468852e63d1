/**
 * The broker's configuration: the values given in server.properties and on the command line (Kafka calls them
 * static broker configs), over Kafka's defaults from the key table. Values are validated once, when the
 * configuration is built; the typed getters after that cannot fail for a known key.
 */
import { BROKER_CONFIGS, BrokerConfigDef } from './broker-configs';
import { ConfigValue, parseConfigValue } from './config-def';
import { TributaryError } from '@tributary/protocol';

/** Kafka's INVALID_CONFIG. */
const INVALID_CONFIG = 40;

export class InvalidConfigError extends TributaryError {
  constructor(
    message: string,
    /** Every problem found, one line each, so a user fixes them all in one go. */
    readonly problems: readonly string[],
  ) {
    super(INVALID_CONFIG, message);
  }
}

export interface BrokerConfigBuild {
  config: BrokerConfig;
  /** Keys this broker does not know; Kafka logs these as warnings and so should the caller. */
  unknownKeys: string[];
  /** Known keys that Tributary accepts but does not act on. */
  ignoredKeys: string[];
}

export class BrokerConfig {
  private readonly values = new Map<string, ConfigValue>();

  private constructor(
    /** The keys given explicitly, as text: DescribeConfigs reports them as STATIC_BROKER_CONFIG. */
    readonly explicit: ReadonlyMap<string, string>,
  ) {}

  /**
   * Builds the configuration from explicit key/value text, checking every known key. Unknown keys are returned,
   * not thrown: Kafka starts with them (plug-ins read their own keys) and only warns.
   */
  static build(given: ReadonlyMap<string, string> | Record<string, string>): BrokerConfigBuild {
    const explicit = given instanceof Map ? new Map(given) : new Map(Object.entries(given));
    const config = new BrokerConfig(explicit);
    const problems: string[] = [];
    const unknownKeys: string[] = [];
    const ignoredKeys: string[] = [];
    for (const [name, text] of explicit) {
      const def = BROKER_CONFIGS.get(name);
      if (!def) {
        unknownKeys.push(name);
        continue;
      }
      if (!def.used) ignoredKeys.push(name);
      const parsed = parseConfigValue(def, text);
      if (parsed.ok) config.values.set(name, parsed.value);
      else problems.push(parsed.error);
    }
    for (const def of BROKER_CONFIGS.values()) {
      if (config.values.has(def.name) || explicit.has(def.name)) continue;
      config.values.set(def.name, def.defaultValue === null ? null : expectParsed(def, def.defaultValue));
    }
    if (problems.length > 0) throw new InvalidConfigError(problems.join('\n'), problems);
    return { config, unknownKeys, ignoredKeys };
  }

  /** A configuration of Kafka's defaults and the given values; throws on any unknown key (for tests). */
  static of(given: Record<string, string> = {}): BrokerConfig {
    const { config, unknownKeys } = BrokerConfig.build(given);
    if (unknownKeys.length > 0) throw new InvalidConfigError(`unknown keys: ${unknownKeys.join(', ')}`, unknownKeys);
    return config;
  }

  has(name: string): boolean {
    return this.values.get(name) !== null && this.values.has(name);
  }

  isExplicit(name: string): boolean {
    return this.explicit.has(name);
  }

  value(name: string): ConfigValue {
    if (!BROKER_CONFIGS.has(name)) throw new RangeError(`not a broker config key: ${name}`);
    return this.values.get(name) ?? null;
  }

  int(name: string): number {
    const value = this.value(name);
    if (typeof value !== 'number') throw new RangeError(`${name} has no numeric value`);
    return value;
  }

  /** A numeric value, or undefined when the key has no default and was not given. */
  optionalNumber(name: string): number | undefined {
    const value = this.value(name);
    return typeof value === 'number' ? value : undefined;
  }

  bool(name: string): boolean {
    const value = this.value(name);
    if (typeof value !== 'boolean') throw new RangeError(`${name} has no boolean value`);
    return value;
  }

  string(name: string): string | null {
    const value = this.value(name);
    return value === null ? null : String(value);
  }

  list(name: string): string[] | null {
    const value = this.value(name);
    return Array.isArray(value) ? value : null;
  }

  // Frequently used values, named as the code uses them.
  get brokerId(): number {
    return this.int('broker.id');
  }

  /** `log.dirs` when given, else `log.dir`, as Kafka resolves them. */
  get logDirs(): string[] {
    const dirs = this.list('log.dirs');
    return dirs && dirs.length > 0 ? dirs : [this.string('log.dir') ?? '/tmp/kafka-logs'];
  }
}

function expectParsed(def: BrokerConfigDef, text: string): ConfigValue {
  const parsed = parseConfigValue(def, text);
  if (!parsed.ok) throw new Error(`the default of ${def.name} does not parse: ${parsed.error}`);
  return parsed.value;
}
