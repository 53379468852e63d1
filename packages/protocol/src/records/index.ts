export * from './batch-header';
export { crc32, crc32cImplementation } from './crc';
export type { Crc32cImplementation } from './crc';
export { MIN_RECORD_SIZE, readRecord, recordBodySize, writeRecord } from './record';
export type { KafkaRecord, RecordFields, RecordHeader } from './record';
export {
  MAGIC_V2,
  RecordBatch,
  buildRecordBatch,
  decodeBatchRecords,
  recordTimestamp,
  validateBatch,
  validateProducedBatch,
} from './record-batch';
export type { BatchRecordSpec, BatchSpec, ResolvedRecord } from './record-batch';
export { MIN_ENTRY_SIZE, iterateRecordSet, recordSetIsComplete } from './record-set';
export type { RecordSetEntry } from './record-set';
export { ControlRecordType, buildControlBatch, decodeControlRecord } from './control-record';
export type { ControlBatchSpec, ControlRecord } from './control-record';
export {
  LegacyField,
  buildLegacyMessage,
  buildLegacyMessageSet,
  decodeLegacyMessageSet,
  iterateLegacyRecords,
  readLegacyMessage,
} from './legacy-message';
export type { LegacyMagic, LegacyMessage, LegacyMessageSetSpec, LegacyMessageSpec, LegacyRecord } from './legacy-message';
export { downConvertRecordSet, upConvertMessageSet } from './conversion';
export type { DownConvertOptions, UpConvertOptions } from './conversion';
