import { CorruptRecordError } from '../errors/tributary-error';
import { NO_SEQUENCE } from './batch-header';
import { buildRecordBatch } from './record-batch';
import { KafkaRecord } from './record';

/** Control record types (the int16 after the version in a control record's key). */
export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KRaftVersion = 5,
  KRaftVoters = 6,
}

const CONTROL_KEY_VERSION = 0;
const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_VERSION = 0;
const END_TXN_MARKER_SIZE = 6;

export interface ControlBatchSpec {
  type: ControlRecordType.Abort | ControlRecordType.Commit;
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** When the marker is written (the broker's clock). */
  timestamp: bigint;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}

/**
 * A transaction marker batch as the partition leader writes it on WriteTxnMarkers: transactional and control,
 * the producer's id and epoch, no sequence, one record whose key is (version 0, type) and whose value is
 * (version 0, coordinator epoch).
 */
export function buildControlBatch(spec: ControlBatchSpec): Buffer {
  const key = Buffer.alloc(CONTROL_KEY_SIZE);
  key.writeInt16BE(CONTROL_KEY_VERSION, 0);
  key.writeInt16BE(spec.type, 2);
  const value = Buffer.alloc(END_TXN_MARKER_SIZE);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(spec.coordinatorEpoch, 2);
  return buildRecordBatch({
    baseOffset: spec.baseOffset,
    partitionLeaderEpoch: spec.partitionLeaderEpoch,
    isTransactional: true,
    isControl: true,
    producerId: spec.producerId,
    producerEpoch: spec.producerEpoch,
    baseSequence: NO_SEQUENCE,
    records: [{ timestamp: spec.timestamp, key, value }],
  });
}

export interface ControlRecord {
  version: number;
  /** A ControlRecordType, or another number: readers must ignore types they do not know. */
  type: number;
  /** Present for COMMIT and ABORT markers. */
  coordinatorEpoch?: number;
}

/** Reads the record of a control batch. Unknown types are returned, not refused, so callers can skip them. */
export function decodeControlRecord(record: KafkaRecord): ControlRecord {
  const key = record.key;
  if (key === null || key.length < CONTROL_KEY_SIZE) {
    throw new CorruptRecordError(`control record key of ${key?.length ?? 'null'} bytes is too short`);
  }
  const version = key.readInt16BE(0);
  const type = key.readInt16BE(2);
  if (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit) return { version, type };
  const value = record.value;
  if (value === null || value.length < END_TXN_MARKER_SIZE) {
    throw new CorruptRecordError(`transaction marker value of ${value?.length ?? 'null'} bytes is too short`);
  }
  return { version, type, coordinatorEpoch: value.readInt32BE(2) };
}
