/**
 * A minimal Kafka client for the Fetch tests: one connection, requests framed and decoded by the protocol
 * package, answered in order. Record batches are decoded by kafkajs' own decoder, so what the broker sent is
 * checked by code that is not ours.
 */
import net from 'node:net';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import * as zstd from 'zstd-napi';
import { ApiKey, ApiMessages, FetchRequest, ZERO_UUID, asBrokerId, asTopicName, decodeResponseFrame, encodeRequestFrame } from '@tributary/protocol';

const Decoder = require('kafkajs/src/protocol/decoder');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');
const LZ4Codec = require('kafkajs-lz4');

/** kafkajs ships gzip only; the other codecs are plugins, registered once per process. */
export function registerKafkajsCodecs(): void {
  const codecs = CompressionCodecs as Record<number, unknown>;
  codecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
  codecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
  codecs[CompressionTypes.ZSTD] = () => ({
    compress: async (encoder: { buffer: Buffer }) => zstd.compress(encoder.buffer),
    decompress: async (buffer: Buffer) => zstd.decompress(buffer),
  });
}

export interface KafkajsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}

/** Every record of every v2 batch in a record set, decoded by kafkajs (control records left out). */
export async function decodeWithKafkajs(records: Buffer): Promise<KafkajsRecord[]> {
  const out: KafkajsRecord[] = [];
  let at = 0;
  while (at + 12 <= records.length) {
    const size = 12 + records.readInt32BE(at + 8);
    if (at + size > records.length) break;
    const batch = await decodeRecordBatch(new Decoder(records.subarray(at, at + size)));
    if (!batch.isControlBatch) out.push(...(batch.records as KafkajsRecord[]));
    at += size;
  }
  return out;
}

export class FetchClient {
  /** Received bytes not yet cut into frames; joined only once a whole frame is there (large responses arrive in many chunks). */
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private readonly waiting: { apiKey: ApiKey; version: number; resolve: (frame: unknown) => void; reject: (e: Error) => void }[] = [];
  private correlation = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
      for (;;) {
        if (this.bufferedBytes < 4) return;
        if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks)];
        const size = this.chunks[0].readInt32BE(0);
        if (this.bufferedBytes < 4 + size) return;
        const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
        const frame = all.subarray(4, 4 + size);
        const rest = all.subarray(4 + size);
        this.chunks = rest.length > 0 ? [rest] : [];
        this.bufferedBytes = rest.length;
        const next = this.waiting.shift();
        if (next) next.resolve(decodeResponseFrame(next.apiKey, next.version, frame).response);
      }
    });
    const fail = () => {
      for (const next of this.waiting.splice(0)) next.reject(new Error('connection closed'));
    };
    socket.on('close', fail);
    socket.on('error', fail);
  }

  static connect(host: string, port: number): Promise<FetchClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new FetchClient(socket)));
      socket.once('error', reject);
    });
  }

  request<K extends ApiKey>(apiKey: K, version: number, body: ApiMessages[K]['request']): Promise<ApiMessages[K]['response']> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ apiKey, version, resolve: resolve as (frame: unknown) => void, reject });
      this.socket.write(encodeRequestFrame(apiKey, version, ++this.correlation, 'fetch-test', body));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export function fetchOne(topic: string, partition: number, fetchOffset: bigint, fields: Partial<FetchRequest> = {}, partitionMaxBytes = 8 * 1024 * 1024): FetchRequest {
  return {
    clusterId: null,
    replicaId: asBrokerId(-1),
    replicaState: { replicaId: asBrokerId(-1), replicaEpoch: -1n },
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: asTopicName(topic),
        topicId: ZERO_UUID,
        partitions: [
          { partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes, replicaDirectoryId: ZERO_UUID },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
    ...fields,
  };
}
