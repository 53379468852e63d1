// A segment Tributary wrote, read back from disk by an independent decoder: kafkajs' own record batch decoder,
// the code a kafkajs consumer runs on the bytes of a Fetch response (which are exactly segment bytes).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CompressionType, TimestampType, buildRecordBatch } from '@tributary/protocol';
import { ManualClock, NodeFileSystem, PartitionLog, logConfig } from '../src';

const Decoder = require('kafkajs/src/protocol/decoder');
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder');

interface KafkajsBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  partitionLeaderEpoch: number;
  timestampType: number;
  maxTimestamp: string;
  records: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }[];
}

async function decodeSegment(bytes: Buffer): Promise<KafkajsBatch[]> {
  const decoder = new Decoder(bytes);
  const batches: KafkajsBatch[] = [];
  while (decoder.canReadBytes(61)) batches.push(await decodeRecordBatch(decoder));
  return batches;
}

describe('segments read by kafkajs', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-storage-kafkajs-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('decodes every batch, offset, key, value, header and timestamp of a Tributary segment on disk', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const partitionDir = path.join(dir, 'orders-0');
    const log = PartitionLog.open({ fs: new NodeFileSystem(), clock, dir: partitionDir, topic: 'orders', partition: 0, config: logConfig({ indexIntervalBytes: 256 }) });
    const written: { key: string; value: string; timestamp: bigint }[] = [];
    for (let b = 0; b < 12; b++) {
      const records = Array.from({ length: 1 + (b % 4) }, (_, i) => {
        const r = { key: `key-${b}-${i}`, value: `value-${b}-${i}-${'x'.repeat(b * 10)}`, timestamp: 1_700_000_000_000n + BigInt(b * 100 + i) };
        written.push(r);
        return r;
      });
      const batch = buildRecordBatch({
        compression: b % 3 === 1 ? CompressionType.Gzip : CompressionType.None,
        records: records.map((r) => ({ timestamp: r.timestamp, key: Buffer.from(r.key), value: Buffer.from(r.value), headers: [{ key: 'h', value: Buffer.from(String(b)) }] })),
      });
      log.append(batch, { leaderEpoch: 4, timestampType: b === 11 ? TimestampType.LogAppendTime : undefined });
    }
    log.flush();
    log.close();

    const segment = fs.readFileSync(path.join(partitionDir, '00000000000000000000.log'));
    const batches = await decodeSegment(segment);
    expect(batches).toHaveLength(12);
    const records = batches.flatMap((b) => b.records);
    expect(records.map((r) => r.offset)).toEqual(written.map((_, i) => String(i)));
    expect(records.map((r) => r.key?.toString())).toEqual(written.map((r) => r.key));
    expect(records.map((r) => r.value?.toString())).toEqual(written.map((r) => r.value));
    expect(records.slice(0, -4).map((r) => r.timestamp)).toEqual(written.slice(0, -4).map((r) => String(r.timestamp)));
    expect(batches.every((b) => b.partitionLeaderEpoch === 4)).toBe(true);
    // The last batch got LogAppendTime: kafkajs reports the broker's time for each of its records.
    expect(batches[11].timestampType).toBe(1);
    expect(batches[11].records.every((r) => r.timestamp === String(clock.nowMs()))).toBe(true);
    expect(records[5].headers.h.toString()).toBe('2');

    // The offset index points at the starts of batches kafkajs found, for the batch's last offset.
    const index = fs.readFileSync(path.join(partitionDir, '00000000000000000000.index'));
    expect(index.length % 8).toBe(0);
    expect(index.length).toBeGreaterThan(0);
    const starts = new Map<number, number>();
    let position = 0;
    for (const b of batches) {
      starts.set(position, Number(b.firstOffset) + b.lastOffsetDelta);
      position += segment.readInt32BE(position + 8) + 12;
    }
    for (let at = 0; at < index.length; at += 8) {
      expect(starts.get(index.readInt32BE(at + 4))).toBe(index.readInt32BE(at));
    }
  });
});
