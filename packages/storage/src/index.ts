export * from './errors';
export * from './clock';
export * from './random';
export * from './config';
export * from './logger';
export * from './fs/file-system';
export * from './fs/node-file-system';
export * from './format/file-names';
export * from './format/offset-index';
export * from './format/time-index';
export * from './format/transaction-index';
export * from './format/producer-snapshot';
export * from './format/checkpoint-file';
export * from './format/meta-properties';
export * from './format/partition-metadata';
export { AppendOrigin } from './log/append-validation';
export type { BatchInfo } from './log/batch-scan';
export { batchesIn } from './log/batch-scan';
export { LeaderEpochCache } from './log/leader-epoch-cache';
export { LogSegment } from './log/segment';
export * from './log/partition-log';
export * from './producer-state/errors';
export { DEFAULT_PRODUCER_ID_EXPIRATION_MS } from './producer-state/producer-state-manager';
export type { ActiveProducer } from './producer-state/producer-state-manager';
export * from './log-manager';
export * from './cleaner/log-cleaner';
// Test doubles other packages' tests reuse: an in-memory file system with crash semantics, a seeded
// fault-injecting wrapper, and a manual clock (exported from './clock').
export * from './testing';
