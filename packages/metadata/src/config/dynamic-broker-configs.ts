/**
 * Which broker configs can change at run time (Kafka's DynamicBrokerConfig), and the checks an AlterConfigs
 * on a BROKER resource gets, with a Kafka 3.9 broker's answers (checked side by side): a known key that is not
 * dynamic is INVALID_REQUEST "Cannot update these configs dynamically: Set(...)", a value of the wrong type
 * INVALID_REQUEST with ConfigDef's message; a key Kafka does not know is accepted (plug-ins read their own).
 */
import { BROKER_CONFIGS } from './broker-configs';
import { ConfigType, parseConfigValue } from './config-def';
import { TOPIC_CONFIG_DEFS } from './topic-configs';

/** Kafka's INVALID_REQUEST. */
const INVALID_REQUEST = 42;

/** The primary broker key of each topic config (log.retention.ms, not log.retention.hours) and a few more. */
export const DYNAMIC_BROKER_KEYS: ReadonlySet<string> = new Set([
  ...TOPIC_CONFIG_DEFS.flatMap((def) => (def.synonyms.length > 0 ? [def.synonyms[0].name] : [])),
  'message.max.bytes',
  'num.io.threads',
  'num.network.threads',
  'num.recovery.threads.per.data.dir',
  'num.replica.fetchers',
  'max.connections',
  'max.connections.per.ip',
  'log.cleaner.threads',
  'log.cleaner.backoff.ms',
  'log.cleaner.dedupe.buffer.size',
  'advertised.listeners',
  'listeners',
  'ssl.keystore.password',
  'transaction.partition.verification.enable',
]);

/** The error for a dynamic broker config change, or undefined when every key and value is acceptable. */
export function checkDynamicBrokerConfigs(configs: ReadonlyMap<string, string>): { errorCode: number; errorMessage: string } | undefined {
  const notDynamic = [...configs.keys()].filter((name) => BROKER_CONFIGS.has(name) && !DYNAMIC_BROKER_KEYS.has(name));
  if (notDynamic.length > 0) return { errorCode: INVALID_REQUEST, errorMessage: `Cannot update these configs dynamically: Set(${notDynamic.join(', ')})` };
  for (const [name, value] of configs) {
    const def = BROKER_CONFIGS.get(name);
    if (!def) continue;
    // Kafka keeps dynamic passwords encrypted with password.encoder.secret; without that, refuse rather than
    // store a secret in clear text.
    if (def.type === ConfigType.Password) return { errorCode: INVALID_REQUEST, errorMessage: `Dynamic password configs are not supported: ${name}` };
    const parsed = parseConfigValue(def, value);
    if (!parsed.ok) return { errorCode: INVALID_REQUEST, errorMessage: parsed.error };
  }
  return undefined;
}
