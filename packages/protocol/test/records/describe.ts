// Describes a record set the way scripts/capture-batches/CaptureBatches.java describes it with the Java client
// (same JSON shape), using only our decoders, so the two can be compared field by field.
import * as crypto from 'crypto';
import {
  CompressionType,
  RecordBatch,
  TimestampType,
  iterateLegacyRecords,
  iterateRecordSet,
  readLegacyMessage,
  validateBatch,
} from '../../src';

export interface DescribedRecord {
  offset: string;
  timestamp: string;
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string | null }>;
}

export interface DescribedBatch {
  magic: number;
  compression: string;
  timestampType: string;
  baseOffset: string;
  lastOffset: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  producerId: string;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
  records: DescribedRecord[];
}

/** null, hex of up to 256 bytes, or "sha256:" and the digest (as the Java and kafkajs manifests write). */
export function describeBytes(bytes: Buffer | null): string | null {
  if (bytes === null) return null;
  if (bytes.length > 256) return 'sha256:' + crypto.createHash('sha256').update(bytes).digest('hex');
  return bytes.toString('hex');
}

const timestampTypeName = (magic: number, type: TimestampType): string =>
  magic === 0 ? 'NoTimestampType' : type === TimestampType.LogAppendTime ? 'LogAppendTime' : 'CreateTime';

export function describeRecordSet(recordSet: Buffer): DescribedBatch[] {
  const batches: DescribedBatch[] = [];
  for (const entry of iterateRecordSet(recordSet)) {
    if (entry.magic === 2) {
      const header = validateBatch(entry.bytes);
      const batch = new RecordBatch(entry.bytes);
      batches.push({
        magic: 2,
        compression: CompressionType[header.compression].toLowerCase(),
        timestampType: timestampTypeName(2, header.timestampType),
        baseOffset: String(header.baseOffset),
        lastOffset: String(batch.lastOffset),
        maxTimestamp: String(header.maxTimestamp),
        partitionLeaderEpoch: header.partitionLeaderEpoch,
        producerId: String(header.producerId),
        producerEpoch: header.producerEpoch,
        baseSequence: header.baseSequence,
        isTransactional: header.isTransactional,
        isControl: header.isControl,
        records: batch.resolvedRecords().map((record) => ({
          offset: String(record.offset),
          timestamp: String(record.timestamp),
          key: describeBytes(record.key),
          value: describeBytes(record.value),
          headers: record.headers.map((h) => ({ key: h.key, value: describeBytes(h.value) })),
        })),
      });
    } else {
      const wrapper = readLegacyMessage(entry.bytes);
      const records = [...iterateLegacyRecords(entry.bytes)];
      batches.push({
        magic: wrapper.magic,
        compression: CompressionType[wrapper.compression].toLowerCase(),
        timestampType: timestampTypeName(wrapper.magic, wrapper.timestampType),
        baseOffset: String(records[0].offset),
        lastOffset: String(wrapper.offset),
        maxTimestamp: String(wrapper.timestamp),
        partitionLeaderEpoch: -1,
        producerId: '-1',
        producerEpoch: -1,
        baseSequence: -1,
        isTransactional: false,
        isControl: false,
        records: records.map((record) => ({
          offset: String(record.offset),
          timestamp: String(record.timestamp),
          key: describeBytes(record.key),
          value: describeBytes(record.value),
          headers: [],
        })),
      });
    }
  }
  return batches;
}
