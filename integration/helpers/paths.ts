import fs from 'node:fs';
import path from 'node:path';

/** The repository's root: integration/helpers/ is two levels below it. */
export const repoRoot = path.resolve(__dirname, '..', '..');

/** Where fetched peers live (Kafka jars, the Python venv): $TRIBUTARY_CACHE, else `<repo>/.cache`. */
export const cacheRoot = process.env.TRIBUTARY_CACHE ? path.resolve(process.env.TRIBUTARY_CACHE) : path.join(repoRoot, '.cache');

/** The Python that scripts/install-peers.sh fills with kafka-python and confluent-kafka. */
export const venvPython = path.join(cacheRoot, 'venv', 'bin', 'python');

/** The franz-go command-line peer that scripts/install-peers.sh builds from integration/peers/franz-go. */
export const franzPeerBinary = path.join(cacheRoot, 'bin', 'franz-peer');

export const kafkaToolScript = path.join(repoRoot, 'scripts', 'kafka-tool');

/**
 * The reference material beside the project (`../shared/kafka-reference`), or undefined where it is absent:
 * a user's clone has no such folder, CI and the developers' machines have it. Nothing may need it at run time.
 */
export function sharedReferenceDir(): string | undefined {
  const dir = path.resolve(repoRoot, '..', 'shared', 'kafka-reference');
  return fs.existsSync(dir) ? dir : undefined;
}
