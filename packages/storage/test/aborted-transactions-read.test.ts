/**
 * The aborted transactions a READ_COMMITTED read is told about, as Kafka's LocalLog.collectAbortedTransactions
 * finds them: an aborted transaction is indexed in the segment that holds its ABORT marker, which may be several
 * segments after the records a read returns. The search goes on through later segments until an index entry
 * shows that every transaction open below the read's end had completed (its LSO reaches that end), so a
 * transaction that started in the returned range is never missed because its marker is far away.
 */
import { AppendOrigin, FetchIsolation } from '../src';
import { ControlRecordType, buildControlBatch, buildRecordBatch } from '@tributary/protocol';
import { openLog } from './helpers';

const value = Buffer.alloc(200, 7);
const plain = () => buildRecordBatch({ records: [{ timestamp: 1n, key: null, value }] });
const txn = (producerId: bigint, sequence: number) =>
  buildRecordBatch({ isTransactional: true, producerId, producerEpoch: 0, baseSequence: sequence, records: [{ timestamp: 1n, key: null, value }] });
const marker = (producerId: bigint, type: ControlRecordType.Commit | ControlRecordType.Abort) =>
  buildControlBatch({ type, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1n });

test('an aborted transaction whose marker is segments later is listed for a read of its first records', () => {
  const { log } = openLog({ segmentBytes: 1024 });
  log.append(plain()); // 0
  log.append(txn(7n, 0)); // 1: producer 7's transaction starts here
  for (let i = 0; i < 12; i++) log.append(plain()); // 2-13, several segments roll
  log.append(marker(7n, ControlRecordType.Abort), { origin: AppendOrigin.Coordinator }); // 14
  expect(log.allSegments().length).toBeGreaterThan(3);

  // A small read returns only the first segment's batches, far below the marker's segment.
  const read = log.read(0n, 300, { isolation: FetchIsolation.TxnCommitted });
  expect(read.firstBatchOffset).toBe(0n);
  expect(read.records.length).toBeLessThan(600);
  // What the Fetch handler asks: the transactions overlapping what was returned (offsets 0-1 at most).
  expect(log.collectAbortedTransactions(0n, 2n)).toEqual([expect.objectContaining({ producerId: 7n, firstOffset: 1n, lastOffset: 14n })]);
  // A read entirely past the transaction is not told about it; one that starts before it is.
  expect(log.collectAbortedTransactions(15n, 16n)).toEqual([]);
  expect(log.collectAbortedTransactions(0n, 1n)).toEqual([]);
});
