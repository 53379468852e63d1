/**
 * `meta.properties` in each log dir: the broker's identity, written once, as a ZooKeeper-mode Kafka broker
 * writes it (version 0: `broker.id` and `cluster.id`). A log dir that belongs to another broker or cluster
 * must not be used: Kafka refuses to start, and so do we.
 */
import path from 'node:path';
import { TributaryError } from '@tributary/protocol';
import { Clock } from '../clock';
import { formatProperties, parseProperties, toMap } from '../config/java-properties';
import { readFileIfExists, writeFileDurably } from './durable-file';

export const META_PROPERTIES = 'meta.properties';

/** Kafka's INCONSISTENT_CLUSTER_ID. */
const INCONSISTENT_CLUSTER_ID = 104;

export class InconsistentLogDirError extends TributaryError {
  constructor(message: string) {
    super(INCONSISTENT_CLUSTER_ID, message);
  }
}

export interface MetaProperties {
  brokerId: number;
  clusterId: string;
}

export async function readMetaProperties(logDir: string): Promise<MetaProperties | undefined> {
  const file = path.join(logDir, META_PROPERTIES);
  const text = await readFileIfExists(file);
  if (text === undefined) return undefined;
  const props = toMap(parseProperties(text));
  const version = props.get('version');
  if (version !== '0') throw new InconsistentLogDirError(`${file} has version ${version ?? '(none)'}; only version 0 (ZooKeeper-mode layout) is supported`);
  const brokerId = Number(props.get('broker.id'));
  const clusterId = props.get('cluster.id');
  if (!Number.isInteger(brokerId) || clusterId === undefined) throw new InconsistentLogDirError(`${file} lacks broker.id or cluster.id`);
  return { brokerId, clusterId };
}

export async function writeMetaProperties(logDir: string, meta: MetaProperties, clock: Clock): Promise<void> {
  const text = formatProperties(
    [
      ['version', '0'],
      ['broker.id', String(meta.brokerId)],
      ['cluster.id', meta.clusterId],
    ],
    ['', javaDateString(new Date(clock.nowMs()))],
  );
  await writeFileDurably(path.join(logDir, META_PROPERTIES), text);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Date.toString()` as Java prints it, in UTC: "Thu Oct 24 10:00:00 UTC 2024". */
function javaDateString(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${two(date.getUTCDate())} ${time} UTC ${date.getUTCFullYear()}`;
}
