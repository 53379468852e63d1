import { calculate as crc32c } from 'fast-crc32c';
import { CorruptRecordError } from '@tributary/protocol';

const VERSION = 1;
const HEADER_SIZE = 2 + 4 + 4;
const ENTRY_SIZE = 46;

/** One producer's state in a `.snapshot` file. int64 fields are bigint. */
export interface ProducerSnapshotEntry {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  /** Offset of the producer's last data record. */
  lastOffset: bigint;
  /** lastSequence − firstSequence of the producer's last batch. */
  offsetDelta: number;
  /** Max timestamp of the last batch. */
  timestampMs: bigint;
  coordinatorEpoch: number;
  /** First offset of the open transaction, -1 if none. */
  currentTxnFirstOffset: bigint;
}

/**
 * Encodes a producer-state snapshot in Kafka's version-1 layout: version int16, CRC-32C uint32 of everything
 * after it, count int32, then 46-byte entries. `producer-state/producer-state-manager.ts` decides what goes in
 * and when; this is only the file format.
 */
export function encodeProducerSnapshot(entries: readonly ProducerSnapshotEntry[]): Buffer {
  const buffer = Buffer.alloc(HEADER_SIZE + entries.length * ENTRY_SIZE);
  buffer.writeInt16BE(VERSION, 0);
  buffer.writeInt32BE(entries.length, 6);
  let at = HEADER_SIZE;
  for (const e of entries) {
    buffer.writeBigInt64BE(e.producerId, at);
    buffer.writeInt16BE(e.producerEpoch, at + 8);
    buffer.writeInt32BE(e.lastSequence, at + 10);
    buffer.writeBigInt64BE(e.lastOffset, at + 14);
    buffer.writeInt32BE(e.offsetDelta, at + 22);
    buffer.writeBigInt64BE(e.timestampMs, at + 26);
    buffer.writeInt32BE(e.coordinatorEpoch, at + 34);
    buffer.writeBigInt64BE(e.currentTxnFirstOffset, at + 38);
    at += ENTRY_SIZE;
  }
  buffer.writeUInt32BE(crc32c(buffer.subarray(6)) >>> 0, 2);
  return buffer;
}

/** Decodes a snapshot, refusing one whose version, length or CRC is wrong (Kafka then ignores the file). */
export function decodeProducerSnapshot(buffer: Buffer): ProducerSnapshotEntry[] {
  if (buffer.length < HEADER_SIZE) throw new CorruptRecordError(`producer snapshot of ${buffer.length} bytes is too short`);
  const version = buffer.readInt16BE(0);
  if (version !== VERSION) throw new CorruptRecordError(`unknown producer snapshot version ${version}`);
  const crc = buffer.readUInt32BE(2);
  if ((crc32c(buffer.subarray(6)) >>> 0) !== crc) throw new CorruptRecordError('producer snapshot CRC mismatch');
  const count = buffer.readInt32BE(6);
  if (count < 0 || HEADER_SIZE + count * ENTRY_SIZE !== buffer.length) {
    throw new CorruptRecordError(`producer snapshot claims ${count} entries in ${buffer.length} bytes`);
  }
  const entries: ProducerSnapshotEntry[] = [];
  for (let i = 0, at = HEADER_SIZE; i < count; i++, at += ENTRY_SIZE) {
    entries.push({
      producerId: buffer.readBigInt64BE(at),
      producerEpoch: buffer.readInt16BE(at + 8),
      lastSequence: buffer.readInt32BE(at + 10),
      lastOffset: buffer.readBigInt64BE(at + 14),
      offsetDelta: buffer.readInt32BE(at + 22),
      timestampMs: buffer.readBigInt64BE(at + 26),
      coordinatorEpoch: buffer.readInt32BE(at + 34),
      currentTxnFirstOffset: buffer.readBigInt64BE(at + 38),
    });
  }
  return entries;
}
