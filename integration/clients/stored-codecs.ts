import fs from 'node:fs';
import { CompressionType, iterateRecordSet, readBatchHeader } from '@tributary/protocol';
import { segmentFiles } from '../broker/segment-records';

/** A client's codec name (kcat, librdkafka, kafka-python all use these) as a batch's compression attribute. */
export const codecByName: Record<string, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

/**
 * The compression of every batch stored for a partition, read from its segment files. With the topic's
 * compression.type at Kafka's default, `producer`, the broker keeps the codec the client chose; reading it from
 * disk shows that the client really compressed and that the broker did not silently decompress or recompress.
 */
export function storedCompressions(logDir: string, topic: string, partition = 0): CompressionType[] {
  const compressions: CompressionType[] = [];
  for (const file of segmentFiles(logDir, topic, partition)) {
    for (const entry of iterateRecordSet(fs.readFileSync(file))) compressions.push(readBatchHeader(entry.bytes).compression);
  }
  return compressions;
}
