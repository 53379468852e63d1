import { CorruptRecordError } from '../errors/tributary-error';
import { CompressionType } from '../records/batch-header';
import { gzipCompress, gzipDecompress } from './gzip';
import { DecompressOptions } from './limits';
import { lz4Compress, lz4Decompress } from './lz4';
import { snappyCompress, snappyDecompress } from './snappy';
import { zstdCompress, zstdDecompress } from './zstd';

export interface CodecOptions extends DecompressOptions {
  /**
   * The record format the data belongs to. Only LZ4 cares: magic-0 messages carry the KAFKA-3160 header
   * checksum, which is written the broken way and not checked on read.
   */
  magic?: number;
}

/** Compresses `data` the way the Java client does for the given codec. `None` returns the input. */
export function compress(type: CompressionType, data: Buffer, options?: CodecOptions): Buffer {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return gzipCompress(data);
    case CompressionType.Snappy:
      return snappyCompress(data);
    case CompressionType.Lz4:
      return lz4Compress(data, { brokenHeaderChecksum: options?.magic === 0 });
    case CompressionType.Zstd:
      return zstdCompress(data);
    default:
      throw new CorruptRecordError(`unknown compression type ${type as number}`);
  }
}

/** Decompresses `data`, bounded by `options.maxOutputBytes`. Every failure is a CorruptRecordError. */
export function decompress(type: CompressionType, data: Buffer, options?: CodecOptions): Buffer {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return gzipDecompress(data, options);
    case CompressionType.Snappy:
      return snappyDecompress(data, options);
    case CompressionType.Lz4:
      return lz4Decompress(data, { ...options, ignoreHeaderChecksum: options?.magic === 0 });
    case CompressionType.Zstd:
      return zstdDecompress(data, options);
    default:
      throw new CorruptRecordError(`unknown compression type ${type as number}`);
  }
}
