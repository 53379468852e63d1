// Record formats as they travel and rest: v2 record batches (kept as byte views, parsed only on demand),
// legacy v0/v1 message sets, transaction markers, and conversion between them for old clients.
//
//   iterateRecordSet(set)        entries of a fetch/log/produce payload, as views, without decoding
//   validateBatch(batch)         magic, sizes, attributes, CRC-32C, count vs offsets (validateProducedBatch: + Kafka's produce rules)
//   RecordBatch / decodeBatchRecords / iterateBatchRecords    records on demand, decompressed within a limit
//   buildRecordBatch / buildControlBatch / decodeControlRecord
//   readLegacyMessage / iterateLegacyRecords / decodeLegacyMessageSet / buildLegacyMessageSet
//   downConvertRecordSet (Fetch for old clients) / upConvertMessageSet (Produce from old clients)
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
  iterateBatchRecords,
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
