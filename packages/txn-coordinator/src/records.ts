/**
 * The records of `__transaction_state` exactly as Kafka 3.9 writes them (TransactionLog.scala): key = int16
 * version 0 + TransactionLogKey, value = int16 version + TransactionLogValue, a null value deletes the id. Kafka
 * 3.9 writes value version 0 until the `transaction.version` feature enables flexible records, which a
 * ZooKeeper-mode cluster never finalizes; it reads both.
 */
import { Reader, Writer, decodeTransactionLogKey, decodeTransactionLogValue, encodeTransactionLogKey, encodeTransactionLogValue } from '@tributary/protocol';
import { TopicPartitionSet } from './topic-partition';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TransactionMetadata, TransitMetadata } from './transaction-metadata';
import { TransactionState, transactionStateFromId } from './transaction-state';

export const TRANSACTION_LOG_KEY_VERSION = 0;
export const TRANSACTION_LOG_VALUE_VERSION = 0;

export function transactionLogKey(transactionalId: string): Buffer {
  const w = new Writer(32);
  w.int16(TRANSACTION_LOG_KEY_VERSION);
  encodeTransactionLogKey(w, TRANSACTION_LOG_KEY_VERSION, { transactionalId });
  return w.toBuffer();
}

export function transactionLogValue(transit: TransitMetadata): Buffer {
  if (transit.txnState === TransactionState.Empty && transit.topicPartitions.size > 0) {
    throw new Error(`an Empty transaction has no partitions, yet ${transit.topicPartitions.size} are listed`);
  }
  const w = new Writer(64);
  w.int16(TRANSACTION_LOG_VALUE_VERSION);
  encodeTransactionLogValue(w, TRANSACTION_LOG_VALUE_VERSION, {
    producerId: transit.producerId,
    producerEpoch: transit.producerEpoch,
    transactionTimeoutMs: transit.txnTimeoutMs,
    transactionStatus: transit.txnState,
    // Kafka writes null (an empty array in version 0's encoding) for Empty.
    transactionPartitions:
      transit.txnState === TransactionState.Empty ? null : [...transit.topicPartitions.byTopic()].map(([topic, partitionIds]) => ({ topic, partitionIds })),
    transactionLastUpdateTimestampMs: BigInt(transit.txnLastUpdateTimestampMs),
    transactionStartTimestampMs: BigInt(transit.txnStartTimestampMs),
  });
  return w.toBuffer();
}

export type DecodedTransactionRecord =
  | { type: 'transaction'; transactionalId: string; metadata: TransactionMetadata | null }
  | { type: 'unknown'; keyVersion: number };

/**
 * Decodes one record of `__transaction_state` into the metadata it stores (null: a tombstone). As Kafka's loader
 * does, the last producer id and epoch are not in the record and come back as none.
 */
export function decodeTransactionRecord(key: Buffer, value: Buffer | null): DecodedTransactionRecord {
  const keyReader = new Reader(key);
  const keyVersion = keyReader.int16();
  if (keyVersion !== TRANSACTION_LOG_KEY_VERSION) return { type: 'unknown', keyVersion };
  const { transactionalId } = decodeTransactionLogKey(keyReader, keyVersion);
  if (value === null) return { type: 'transaction', transactionalId, metadata: null };
  const valueReader = new Reader(value);
  const valueVersion = valueReader.int16();
  const v = decodeTransactionLogValue(valueReader, valueVersion);
  const state = transactionStateFromId(v.transactionStatus);
  const partitions = new TopicPartitionSet();
  if (state !== TransactionState.Empty) {
    for (const entry of v.transactionPartitions ?? []) for (const partition of entry.partitionIds) partitions.add({ topic: entry.topic, partition });
  }
  const metadata = new TransactionMetadata(
    transactionalId,
    v.producerId,
    NO_PRODUCER_ID,
    v.producerEpoch,
    NO_PRODUCER_EPOCH,
    v.transactionTimeoutMs,
    state,
    partitions,
    Number(v.transactionStartTimestampMs),
    Number(v.transactionLastUpdateTimestampMs),
  );
  return { type: 'transaction', transactionalId, metadata };
}
