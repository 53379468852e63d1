// What the transaction tests share on the client side: kafkajs clients, topic creation, a consumer that reads a
// topic until the test has seen what it waits for, and a raw Fetch/ListOffsets client that shows what a client
// library hides (the last stable offset, the aborted-transactions list, control batches and their offsets).
import { kafkaClient } from '../helpers/kafkajs';
import { ApiKey, asBrokerId, asTopicName } from '@tributary/protocol';
import { FetchClient, fetchOne } from '../broker/fetch-client';

const Decoder = require('kafkajs/src/protocol/decoder');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');

export { createTopics, kafkaClient } from '../helpers/kafkajs';

export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

export interface ReadOptions {
  readUncommitted?: boolean;
  /** Stop once the records read so far satisfy this. */
  until: (records: readonly ConsumedRecord[]) => boolean;
  timeoutMs?: number;
}

let groupCounter = 0;

/**
 * Reads `topic` from the beginning with a kafkajs consumer (in a fresh group of its own) until `until` holds;
 * returns the records in the order each partition delivered them, sorted by partition then offset. kafkajs
 * itself drops control records, and in read_committed mode the aborted transactions the broker lists.
 */
export async function readTopic(bootstrap: string, topic: string, options: ReadOptions): Promise<ConsumedRecord[]> {
  const { readUncommitted = false, until, timeoutMs = 60_000 } = options;
  const consumer = kafkaClient(bootstrap, 'txn-reader').consumer({
    groupId: `txn-reader-${process.pid}-${++groupCounter}-${Date.now()}`,
    readUncommitted,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  const records: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        records.push({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value?.toString() ?? '' });
        if (until(records)) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`reading ${topic} (${readUncommitted ? 'read_uncommitted' : 'read_committed'}) timed out with ${records.length} records: ${JSON.stringify(records.slice(-10))}`)), timeoutMs);
    });
    try {
      await Promise.race([finished, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  return [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** One batch as a Fetch response carried it. */
export interface FetchedBatch {
  baseOffset: number;
  lastOffset: number;
  producerId: bigint;
  producerEpoch: number;
  firstSequence: number;
  isControl: boolean;
  isTransactional: boolean;
  /** For a control batch: 'COMMIT' or 'ABORT'; otherwise the records' values. */
  content: string[];
}

export interface FetchedPartition {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: { producerId: bigint; firstOffset: number }[] | null;
  batches: FetchedBatch[];
}

/** Key of a control record: version (int16), type (int16): 0 ABORT, 1 COMMIT. */
function controlType(key: Buffer | null): string {
  if (!key || key.length < 4) return 'UNKNOWN';
  return ['ABORT', 'COMMIT'][key.readInt16BE(2)] ?? `TYPE-${key.readInt16BE(2)}`;
}

async function decodeBatches(records: Buffer): Promise<FetchedBatch[]> {
  const batches: FetchedBatch[] = [];
  let at = 0;
  while (at + 12 <= records.length) {
    const size = 12 + records.readInt32BE(at + 8);
    if (at + size > records.length) break;
    const raw = records.subarray(at, at + size);
    const batch = await decodeRecordBatch(new Decoder(raw));
    const baseOffset = Number(raw.readBigInt64BE(0));
    batches.push({
      baseOffset,
      lastOffset: baseOffset + raw.readInt32BE(23),
      producerId: raw.readBigInt64BE(43),
      producerEpoch: raw.readInt16BE(51),
      firstSequence: raw.readInt32BE(53),
      isControl: batch.isControlBatch,
      isTransactional: batch.inTransaction,
      content: (batch.records as { key: Buffer | null; value: Buffer | null }[]).map((r) => (batch.isControlBatch ? controlType(r.key) : r.value?.toString() ?? '')),
    });
    at += size;
  }
  return batches;
}

/**
 * One Fetch (v11, the version kafkajs does not use, so this checks the newer fields) of one partition from
 * offset 0, read_committed or read_uncommitted, with the batches decoded by kafkajs' decoder.
 */
export async function rawFetch(bootstrap: string, topic: string, partition: number, isolationLevel: 0 | 1, fetchOffset = 0n): Promise<FetchedPartition> {
  const [host, port] = bootstrap.split(':');
  const client = await FetchClient.connect(host, Number(port));
  try {
    const response = await client.request(ApiKey.Fetch, 11, fetchOne(topic, partition, fetchOffset, { isolationLevel }));
    const p = response.responses[0].partitions[0];
    return {
      errorCode: p.errorCode,
      highWatermark: Number(p.highWatermark),
      lastStableOffset: Number(p.lastStableOffset),
      logStartOffset: Number(p.logStartOffset),
      abortedTransactions: p.abortedTransactions?.map((a) => ({ producerId: BigInt(a.producerId), firstOffset: Number(a.firstOffset) })) ?? null,
      batches: p.records ? await decodeBatches(p.records) : [],
    };
  } finally {
    client.close();
  }
}

/** ListOffsets (v5) for the latest offset: the high watermark (isolation 0) or the last stable offset (1). */
export async function latestOffset(bootstrap: string, topic: string, partition: number, isolationLevel: 0 | 1): Promise<number> {
  const [host, port] = bootstrap.split(':');
  const client = await FetchClient.connect(host, Number(port));
  try {
    const response = await client.request(ApiKey.ListOffsets, 5, {
      replicaId: asBrokerId(-1),
      isolationLevel,
      topics: [{ name: asTopicName(topic), partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
    });
    const p = response.topics[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${partition} failed with error ${p.errorCode}`);
    return Number(p.offset);
  } finally {
    client.close();
  }
}
