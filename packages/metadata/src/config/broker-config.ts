/**
 * The broker's configuration in Kafka's layers, most specific first: dynamic configs of this broker, dynamic
 * cluster-wide defaults (both changed at run time through AlterConfigs and kept in the cluster metadata), the
 * static configs given in server.properties and on the command line, and Kafka's defaults from the key table.
 * Values are validated when a layer is set; the typed getters after that cannot fail for a known key.
 * A BrokerConfig is immutable: a dynamic change makes a new one (`withDynamic`).
 */
import { TributaryError } from '@tributary/protocol';
import { BROKER_CONFIGS, BrokerConfigDef } from './broker-configs';
import { ConfigType, ConfigValue, parseConfigValue } from './config-def';
import { ConfigSource } from './config-source';
import { brokerSynonymGroup } from './topic-configs';

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

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: ConfigSource;
}

type Layer = ReadonlyMap<string, string>;

export class BrokerConfig {
  private readonly values = new Map<string, ConfigValue>();
  /** Effective values as text, before defaults: see resolve(). */
  private readonly effective = new Map<string, string>();

  private constructor(
    /** The keys given in server.properties or on the command line, as text (STATIC_BROKER_CONFIG). */
    readonly explicit: Layer,
    /** Dynamic configs of this broker (DYNAMIC_BROKER_CONFIG). */
    readonly dynamicBroker: Layer = new Map(),
    /** Dynamic cluster-wide defaults (DYNAMIC_DEFAULT_BROKER_CONFIG). */
    readonly dynamicDefault: Layer = new Map(),
  ) {}

  /**
   * Builds the configuration from explicit key/value text, checking every known key. Unknown keys are returned,
   * not thrown: Kafka starts with them (plug-ins read their own keys) and only warns.
   */
  static build(given: ReadonlyMap<string, string> | Record<string, string>): BrokerConfigBuild {
    const explicit = given instanceof Map ? new Map(given) : new Map(Object.entries(given));
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
      if (!parsed.ok) problems.push(parsed.error);
    }
    if (problems.length > 0) throw new InvalidConfigError(problems.join('\n'), problems);
    return { config: new BrokerConfig(explicit).resolve(), unknownKeys, ignoredKeys };
  }

  /** A configuration of Kafka's defaults and the given values; throws on any unknown key (for tests). */
  static of(given: Record<string, string> = {}): BrokerConfig {
    const { config, unknownKeys } = BrokerConfig.build(given);
    if (unknownKeys.length > 0) throw new InvalidConfigError(`unknown keys: ${unknownKeys.join(', ')}`, unknownKeys);
    return config;
  }

  /** The same static configuration under new dynamic layers (validated by the caller: checkDynamicBrokerConfigs). */
  withDynamic(dynamicBroker: Layer, dynamicDefault: Layer): BrokerConfig {
    return new BrokerConfig(this.explicit, new Map(dynamicBroker), new Map(dynamicDefault)).resolve();
  }

  /**
   * Merges the layers as Kafka does: static configs, then the dynamic defaults, then this broker's dynamic
   * configs, where setting a key removes the less specific values of its whole synonym group. So a dynamic
   * log.retention.ms hides a static log.retention.hours, which then reads as its default (168), as a Kafka 3.9
   * broker reports it.
   */
  private resolve(): this {
    for (const [name, value] of this.explicit) this.effective.set(name, value);
    for (const layer of [this.dynamicDefault, this.dynamicBroker]) {
      for (const [name, value] of layer) {
        for (const synonym of brokerSynonymGroup(name)) this.effective.delete(synonym);
        this.effective.set(name, value);
      }
    }
    for (const def of BROKER_CONFIGS.values()) {
      const text = this.effective.get(def.name) ?? def.defaultValue;
      this.values.set(def.name, text === null ? null : expectParsed(def, text));
    }
    return this;
  }

  /** Where a key's value comes from, most specific layer first, or undefined when it has none at all. */
  private layerValue(name: string): { value: string; source: ConfigSource } | undefined {
    for (const [layer, source] of this.layers()) {
      const value = layer.get(name);
      if (value !== undefined) return { value, source };
    }
    return undefined;
  }

  private layers(): [Layer, ConfigSource][] {
    return [
      [this.dynamicBroker, ConfigSource.DynamicBrokerConfig],
      [this.dynamicDefault, ConfigSource.DynamicDefaultBrokerConfig],
      [this.explicit, ConfigSource.StaticBrokerConfig],
    ];
  }

  /** Whether the key has a value other than Kafka's default (in any layer). */
  isExplicit(name: string): boolean {
    return this.layerValue(name) !== undefined;
  }

  /**
   * The synonyms Kafka's DescribeConfigs lists for a config whose broker keys are `names` (primary first):
   * layer by layer (dynamic broker, dynamic default, static, default), each key of the group in order, then
   * everything before the first entry of `anchor` (the key being described) dropped. So `log.retention.hours=72`
   * alone lists nothing for log.retention.ms, while a dynamic log.retention.ms lists itself and then the hours
   * default.
   */
  synonyms(names: readonly string[], anchor: string = names[0]): ConfigSynonym[] {
    const entries: ConfigSynonym[] = [];
    const layers: [(name: string) => string | null | undefined, ConfigSource][] = [
      ...this.layers().map(([layer, source]): [(name: string) => string | undefined, ConfigSource] => [(name) => layer.get(name), source]),
      [(name) => BROKER_CONFIGS.get(name)?.defaultValue ?? undefined, ConfigSource.DefaultConfig],
    ];
    for (const [lookup, source] of layers) {
      for (const name of names) {
        const value = lookup(name);
        if (value === undefined || value === null) continue;
        entries.push({ name, value: BROKER_CONFIGS.get(name)?.type === ConfigType.Password ? null : value, source });
      }
    }
    const first = entries.findIndex((entry) => entry.name === anchor);
    return first === -1 ? [] : entries.slice(first);
  }

  /**
   * A key's effective value as text, as it was given (or Kafka's default text): what DescribeConfigs shows.
   * Exact where the parsed number is not (Long.MAX_VALUE does not survive a double).
   */
  text(name: string): string | null {
    if (!BROKER_CONFIGS.has(name)) throw new RangeError(`not a broker config key: ${name}`);
    return this.effective.get(name) ?? BROKER_CONFIGS.get(name)?.defaultValue ?? null;
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
  if (!parsed.ok) throw new Error(`the value of ${def.name} does not parse: ${parsed.error}`);
  return parsed.value;
}
