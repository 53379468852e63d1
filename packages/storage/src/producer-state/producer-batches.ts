import * as protocol from '@tributary/protocol';
import { AppendOrigin } from '../log/append-validation';
import type { BatchInfo } from '../log/batch-scan';
import type { CompletedTxn, ProducerAppendInfo } from './producer-append-info';
import type { ProducerStateManager } from './producer-state-manager';
import { type BatchMetadata, NO_SEQUENCE, incrementSequence } from './producer-state-entry';

// Taken once from the protocol package: its re-exports are property getters, and these run for every batch.
const { BatchField, ControlRecordType, decodeControlRecord, iterateBatchRecords } = protocol;
const { ATTRIBUTES, PRODUCER_ID, PRODUCER_EPOCH, BASE_SEQUENCE, LAST_OFFSET_DELTA } = BatchField;
const { TRANSACTIONAL: TRANSACTIONAL_BIT, CONTROL: CONTROL_BIT } = protocol.BatchAttribute;

/**
 * Whether the v2 batch at `position` carries a producer id (≥ 0). Only the id's high word is read, as a number:
 * every negative id has a negative high word, so the common case (-1) costs one int32 read and no bigint.
 */
export function hasProducerId(records: Buffer, position: number): boolean {
  return records.readInt32BE(position + PRODUCER_ID) >= 0;
}

/** What an append will do to the producer state, worked out before anything is written. */
export interface ProducerAnalysis {
  updates: ProducerAppendInfo[];
  completedTxns: CompletedTxn[];
  /** Set when a client batch repeats one of the producer's last five: nothing is written, these offsets answer. */
  duplicate?: BatchMetadata;
}

/**
 * Validates the producer fields of every batch with a producer id against the state (Kafka's
 * UnifiedLog.analyzeAndValidateProducerState): throws a typed error for a bad epoch, sequence, transaction state or
 * coordinator epoch; returns the duplicate when a client batch is a retry of a retained one. Batches must already
 * carry their offsets. The state itself is not changed.
 */
export function analyzeProducerBatches(
  manager: ProducerStateManager,
  records: Buffer,
  batches: readonly BatchInfo[],
  origin: AppendOrigin,
): ProducerAnalysis {
  const byProducer = new Map<bigint, ProducerAppendInfo>();
  const completedTxns: CompletedTxn[] = [];
  for (const batch of batches) {
    if (batch.magic !== 2 || !hasProducerId(records, batch.position)) continue;
    const producerId = records.readBigInt64BE(batch.position + PRODUCER_ID);
    if (origin === AppendOrigin.Client) {
      const epoch = records.readInt16BE(batch.position + PRODUCER_EPOCH);
      const firstSeq = records.readInt32BE(batch.position + BASE_SEQUENCE);
      const duplicate = manager.lastEntry(producerId)?.findDuplicateBatch(epoch, firstSeq, lastSequenceOf(records, batch.position));
      // Kafka answers the whole append with the duplicate's offsets, whatever else the request held.
      if (duplicate) return { updates: [], completedTxns: [], duplicate };
    }
    let info = byProducer.get(producerId);
    if (!info) byProducer.set(producerId, (info = manager.prepareUpdate(producerId, origin)));
    const completed = applyBatch(info, records, batch);
    if (completed) completedTxns.push(completed);
  }
  return { updates: [...byProducer.values()], completedTxns };
}

/**
 * Rebuilds state from batches already in the log (recovery, truncation), without validation, as Kafka's
 * loadProducersFromRecords does; the caller applies the result.
 */
export function replayProducerBatches(manager: ProducerStateManager, records: Buffer, batches: readonly BatchInfo[]): ProducerAnalysis {
  return analyzeProducerBatches(manager, records, batches, AppendOrigin.Replication);
}

function applyBatch(info: ProducerAppendInfo, records: Buffer, batch: BatchInfo): CompletedTxn | undefined {
  const at = batch.position;
  const attributes = records.readInt16BE(at + ATTRIBUTES);
  const epoch = records.readInt16BE(at + PRODUCER_EPOCH);
  if ((attributes & CONTROL_BIT) !== 0) {
    // An empty control batch is what the cleaner leaves of a removed transaction: nothing to apply.
    const first = iterateBatchRecords(records.subarray(at, at + batch.size)).next();
    if (first.done) return undefined;
    const marker = decodeControlRecord(first.value);
    if (marker.type !== ControlRecordType.Abort && marker.type !== ControlRecordType.Commit) return undefined;
    return info.appendEndTxnMarker(marker.type === ControlRecordType.Abort, marker.coordinatorEpoch ?? -1, epoch, batch.baseOffset, batch.maxTimestamp);
  }
  info.appendDataBatch(
    epoch,
    records.readInt32BE(at + BASE_SEQUENCE),
    lastSequenceOf(records, at),
    batch.maxTimestamp,
    batch.baseOffset,
    batch.lastOffset,
    (attributes & TRANSACTIONAL_BIT) !== 0,
  );
  return undefined;
}

function lastSequenceOf(records: Buffer, at: number): number {
  const baseSequence = records.readInt32BE(at + BASE_SEQUENCE);
  if (baseSequence === NO_SEQUENCE) return NO_SEQUENCE;
  return incrementSequence(baseSequence, records.readInt32BE(at + LAST_OFFSET_DELTA));
}
