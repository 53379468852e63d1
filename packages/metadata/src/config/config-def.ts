/**
 * One typed table entry per configuration key, the way Kafka's ConfigDef describes them: a type, a default as
 * text, and an optional check. Values are kept as text (as Kafka stores them in server.properties, znodes and
 * DescribeConfigs) and parsed on read; `parseConfigValue` is the one place that knows what each type accepts.
 */
export enum ConfigType {
  Boolean = 'BOOLEAN',
  String = 'STRING',
  Int = 'INT',
  Short = 'SHORT',
  Long = 'LONG',
  Double = 'DOUBLE',
  List = 'LIST',
  Class = 'CLASS',
  Password = 'PASSWORD',
}

export type ConfigValue = boolean | string | number | string[] | null;

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /** Kafka's default, as text; null when Kafka has none (the key is then unset unless given). */
  defaultValue: string | null;
  /** Says what is wrong with a parsed value, or undefined when it is acceptable. */
  validate?: (value: ConfigValue) => string | undefined;
  /** A short description of what the value must be, for error messages ("at least 1", "one of ..."). */
  expected?: string;
}

export type ParseResult = { ok: true; value: ConfigValue } | { ok: false; error: string };

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Parses a value of a key's type and applies its check; the error says what was expected. */
export function parseConfigValue(def: ConfigDef, text: string): ParseResult {
  const parsed = parseByType(def.type, text.trim());
  if (!parsed.ok) return { ok: false, error: `Invalid value ${text} for configuration ${def.name}: ${parsed.error}` };
  const problem = def.validate?.(parsed.value);
  if (problem !== undefined) return { ok: false, error: `Invalid value ${text} for configuration ${def.name}: ${problem}` };
  return parsed;
}

function parseByType(type: ConfigType, text: string): ParseResult {
  switch (type) {
    case ConfigType.Boolean:
      if (text.toLowerCase() === 'true') return { ok: true, value: true };
      if (text.toLowerCase() === 'false') return { ok: true, value: false };
      return { ok: false, error: 'Expected value to be either true or false' };
    case ConfigType.Int:
      return parseInteger(text, BigInt(INT_MIN), BigInt(INT_MAX), 'INT');
    case ConfigType.Short:
      return parseInteger(text, -32768n, 32767n, 'SHORT');
    case ConfigType.Long:
      return parseInteger(text, LONG_MIN, LONG_MAX, 'LONG');
    case ConfigType.Double: {
      const value = Number(text);
      if (text === '' || !Number.isFinite(value)) return { ok: false, error: 'Not a number of type DOUBLE' };
      return { ok: true, value };
    }
    case ConfigType.List:
      return { ok: true, value: text === '' ? [] : text.split(',').map((item) => item.trim()) };
    case ConfigType.String:
    case ConfigType.Class:
    case ConfigType.Password:
      return { ok: true, value: text };
  }
}

/** Kafka's ConfigDef says "Not a number of type INT" both for text and for a number out of the type's range. */
function parseInteger(text: string, min: bigint, max: bigint, typeName: string): ParseResult {
  if (!/^[+-]?\d+$/.test(text)) return { ok: false, error: `Not a number of type ${typeName}` };
  const value = BigInt(text);
  if (value < min || value > max) return { ok: false, error: `Not a number of type ${typeName}` };
  // Long.MAX_VALUE and friends lose precision as doubles; they only ever mean "no limit", which survives that.
  return { ok: true, value: Number(value) };
}

/** Checks for the common shapes of constraint, each with the message Kafka's validators give. */
export const atLeast =
  (min: number) =>
  (value: ConfigValue): string | undefined =>
    typeof value === 'number' && value < min ? `Value must be at least ${min}` : undefined;

export const between =
  (min: number, max: number) =>
  (value: ConfigValue): string | undefined =>
    typeof value === 'number' && (value < min || value > max) ? `Value must be no more than ${max}` + (value < min ? ` and at least ${min}` : '') : undefined;

export const oneOf =
  (...allowed: string[]) =>
  (value: ConfigValue): string | undefined =>
    typeof value === 'string' && !allowed.includes(value) ? `String must be one of: ${allowed.join(', ')}` : undefined;

export const eachOneOf =
  (...allowed: string[]) =>
  (value: ConfigValue): string | undefined => {
    if (!Array.isArray(value)) return undefined;
    const bad = value.find((item) => !allowed.includes(item));
    return bad === undefined ? undefined : `Invalid value ${bad}: each must be one of ${allowed.join(', ')}`;
  };

/** Renders a parsed value the way Kafka shows it in DescribeConfigs (lists joined by commas). */
export function configValueText(value: ConfigValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}
