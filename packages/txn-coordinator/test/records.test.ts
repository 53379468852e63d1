import { Writer, encodeTransactionLogValue } from '@tributary/protocol';
import { TopicPartitionSet, TransactionState, decodeTransactionRecord, transactionLogKey, transactionLogValue } from '../src';

const transit = (state: TransactionState, partitions: [string, number][]) => ({
  producerId: 0x0102030405060708n,
  lastProducerId: -1n,
  producerEpoch: 3,
  lastProducerEpoch: -1,
  txnTimeoutMs: 60_000,
  txnState: state,
  topicPartitions: new TopicPartitionSet(partitions.map(([topic, partition]) => ({ topic, partition }))),
  txnStartTimestampMs: 1000,
  txnLastUpdateTimestampMs: 2000,
});

describe('__transaction_state records', () => {
  it('writes the key as Kafka does: int16 version 0, then the transactional id as an int16-length string', () => {
    expect(transactionLogKey('tx')).toEqual(Buffer.from([0, 0, 0, 2, 0x74, 0x78]));
  });

  it('writes value version 0 field by field, partitions grouped by topic', () => {
    const bytes = transactionLogValue(transit(TransactionState.Ongoing, [['a', 0], ['b', 1], ['a', 2]]));
    const expected = Buffer.concat([
      Buffer.from([0, 0]), // value version 0
      Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), // producer id
      Buffer.from([0, 3]), // epoch
      Buffer.from([0, 0, 0xea, 0x60]), // timeout 60 000
      Buffer.from([1]), // Ongoing
      Buffer.from([0, 0, 0, 2]), // two topics
      Buffer.from([0, 1, 0x61, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2]), // "a": [0, 2]
      Buffer.from([0, 1, 0x62, 0, 0, 0, 1, 0, 0, 0, 1]), // "b": [1]
      Buffer.from([0, 0, 0, 0, 0, 0, 0x07, 0xd0]), // last update 2000
      Buffer.from([0, 0, 0, 0, 0, 0, 0x03, 0xe8]), // start 1000
    ]);
    expect(bytes).toEqual(expected);
  });

  it('writes null partitions for Empty and refuses an Empty transaction with partitions', () => {
    const bytes = transactionLogValue(transit(TransactionState.Empty, []));
    expect(bytes.readInt32BE(2 + 8 + 2 + 4 + 1)).toBe(-1);
    expect(() => transactionLogValue(transit(TransactionState.Empty, [['a', 0]]))).toThrow();
  });

  it('reads back what it writes, and reads the flexible value version 1', () => {
    const key = transactionLogKey('tx');
    const decoded = decodeTransactionRecord(key, transactionLogValue(transit(TransactionState.PrepareCommit, [['a', 0], ['b', 1]])));
    expect(decoded.type).toBe('transaction');
    if (decoded.type !== 'transaction' || decoded.metadata === null) throw new Error('not a transaction');
    expect(decoded.metadata).toMatchObject({ transactionalId: 'tx', producerId: 0x0102030405060708n, producerEpoch: 3, state: TransactionState.PrepareCommit, txnTimeoutMs: 60_000 });
    expect([...decoded.metadata.topicPartitions]).toEqual([{ topic: 'a', partition: 0 }, { topic: 'b', partition: 1 }]);

    const w = new Writer(64);
    w.int16(1);
    encodeTransactionLogValue(w, 1, {
      producerId: 7n,
      producerEpoch: 1,
      transactionTimeoutMs: 1000,
      transactionStatus: TransactionState.CompleteAbort,
      transactionPartitions: [],
      transactionLastUpdateTimestampMs: 5n,
      transactionStartTimestampMs: 4n,
    });
    const flexible = decodeTransactionRecord(key, w.toBuffer());
    expect(flexible.type === 'transaction' && flexible.metadata?.state).toBe(TransactionState.CompleteAbort);
    expect(decodeTransactionRecord(key, null)).toEqual({ type: 'transaction', transactionalId: 'tx', metadata: null });
    expect(decodeTransactionRecord(Buffer.from([0, 9, 0, 0]), null)).toEqual({ type: 'unknown', keyVersion: 9 });
  });
});
