import { kafkaToolScript } from './paths';
import { runCommand, type CommandResult } from './processes';

export interface KafkaToolOptions {
  /** A JVM starts in about a second here; a tool that talks to a broker may need more. */
  timeoutMs?: number;
  /** Written to the tool's stdin (kafka-console-producer reads records from it). */
  input?: string;
  /** Extra environment, e.g. KAFKA_OPTS or KAFKA_HEAP_OPTS. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs one of Apache Kafka's own tools through scripts/kafka-tool, by its script name (`kafka-topics.sh`,
 * `kafka-topics`) or main class, exactly as a user would run it from Kafka's bin/ directory. The Kafka jars are
 * fetched on first use; the output comes back whole, whatever the exit code.
 */
export function runKafkaTool(name: string, args: readonly string[], options: KafkaToolOptions = {}): Promise<CommandResult> {
  const { timeoutMs = 60_000, input, env } = options;
  return runCommand(kafkaToolScript, [name, ...args], { timeoutMs, input, env: { ...process.env, ...env } });
}
