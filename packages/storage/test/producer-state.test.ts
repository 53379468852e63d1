import { ControlRecordType, ErrorCode, TributaryError, buildControlBatch } from '@tributary/protocol';
import {
  AppendOrigin,
  FetchIsolation,
  InvalidProducerEpochError,
  InvalidTxnStateError,
  LogManager,
  ManualClock,
  MemoryFileSystem,
  OutOfOrderSequenceError,
  PartitionLog,
  TransactionCoordinatorFencedError,
  decodeProducerSnapshot,
  logConfig,
  offsetFileName,
} from '../src';
import { DIR, batchOf, openLog, sortById } from './helpers';

const INT32_MAX = 0x7fffffff;

/** A data batch of `count` records from producer `pid` at `epoch`, starting at sequence `seq`. */
function produced(pid: bigint, epoch: number, seq: number, count = 1, options: { txn?: boolean; timestamp?: number } = {}): Buffer {
  return batchOf(count, {
    timestamp: options.timestamp,
    spec: { producerId: pid, producerEpoch: epoch, baseSequence: seq, isTransactional: options.txn ?? false },
  });
}

function marker(pid: bigint, epoch: number, commit: boolean, coordinatorEpoch = 0, timestamp = 1_700_000_000_000): Buffer {
  return buildControlBatch({
    type: commit ? ControlRecordType.Commit : ControlRecordType.Abort,
    producerId: pid,
    producerEpoch: epoch,
    coordinatorEpoch,
    timestamp: BigInt(timestamp),
  });
}

const asCoordinator = { origin: AppendOrigin.Coordinator };

/** The error an append throws, with its Kafka code. */
function appendError(log: PartitionLog, records: Buffer, options = {}): TributaryError {
  try {
    log.append(records, options);
  } catch (error) {
    if (error instanceof TributaryError) return error;
    throw error;
  }
  throw new Error('append was expected to fail');
}

function producerOf(log: PartitionLog, pid: bigint) {
  return log.activeProducers().find((p) => p.producerId === pid);
}

describe('producer state: idempotent appends', () => {
  it('accepts batches in sequence and reports the producer', () => {
    const { log } = openLog();
    expect(log.append(produced(7n, 0, 0, 3)).firstOffset).toBe(0n);
    expect(log.append(produced(7n, 0, 3, 2)).firstOffset).toBe(3n);
    expect(log.activeProducers()).toEqual([
      { producerId: 7n, producerEpoch: 0, lastSequence: 4, lastTimestamp: 1_700_000_000_001, coordinatorEpoch: -1, currentTxnStartOffset: -1n },
    ]);
  });

  it('refuses a gap in the sequence with OUT_OF_ORDER_SEQUENCE_NUMBER and writes nothing', () => {
    const { log } = openLog();
    log.append(produced(7n, 0, 0, 5));
    const error = appendError(log, produced(7n, 0, 6));
    expect(error).toBeInstanceOf(OutOfOrderSequenceError);
    expect(error.code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(error.message).toContain('6 (incoming seq. number), 4 (current end sequence number)');
    expect(log.logEndOffset).toBe(5n);
    expect(producerOf(log, 7n)?.lastSequence).toBe(4);
  });

  it('refuses an older epoch with INVALID_PRODUCER_EPOCH', () => {
    const { log } = openLog();
    log.append(produced(7n, 3, 0));
    const error = appendError(log, produced(7n, 2, 1));
    expect(error).toBeInstanceOf(InvalidProducerEpochError);
    expect(error.code).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(log.logEndOffset).toBe(1n);
  });

  it('requires a new epoch to start at sequence 0, and then forgets the old epoch', () => {
    const { log } = openLog();
    log.append(produced(7n, 0, 0, 4));
    expect(appendError(log, produced(7n, 1, 4)).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(log.append(produced(7n, 1, 0, 2)).firstOffset).toBe(4n);
    expect(producerOf(log, 7n)).toMatchObject({ producerEpoch: 1, lastSequence: 1 });
    // A retry of the old epoch's batch is no longer a duplicate: its epoch is stale.
    expect(appendError(log, produced(7n, 0, 0, 4)).code).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('accepts any first sequence from a producer it knows nothing about, as Kafka 3.9 does', () => {
    const { log } = openLog();
    expect(log.append(produced(9n, 2, 41, 2)).firstOffset).toBe(0n);
    expect(producerOf(log, 9n)).toMatchObject({ producerEpoch: 2, lastSequence: 42 });
    expect(appendError(log, produced(9n, 2, 44)).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(log.append(produced(9n, 2, 43)).firstOffset).toBe(2n);
  });

  it('wraps sequences from Integer.MAX_VALUE to 0', () => {
    const { log } = openLog();
    log.append(produced(7n, 0, INT32_MAX - 1, 2)); // sequences MAX-1, MAX
    expect(producerOf(log, 7n)?.lastSequence).toBe(INT32_MAX);
    expect(appendError(log, produced(7n, 0, INT32_MAX)).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    log.append(produced(7n, 0, 0, 3));
    expect(producerOf(log, 7n)?.lastSequence).toBe(2);
    // A batch straddling the wrap: MAX, 0, 1 after a fresh epoch that starts at 0 and climbs is rare; a new
    // producer may start there, and its last sequence wraps.
    log.append(produced(8n, 0, INT32_MAX, 3));
    expect(producerOf(log, 8n)?.lastSequence).toBe(1);
    expect(log.append(produced(8n, 0, 2)).firstOffset).toBe(8n);
    // The straddling batch is still recognised as a duplicate when retried.
    const retry = log.append(produced(8n, 0, INT32_MAX, 3));
    expect(retry).toMatchObject({ duplicate: true, firstOffset: 5n, lastOffset: 7n });
  });

  it('answers a retry of any of the last five batches with its original offsets; the sixth back is out of order', () => {
    const { log } = openLog();
    const timestamps = [10, 20, 30, 40, 50, 60].map((t) => 1_700_000_000_000 + t);
    for (let i = 0; i < 6; i++) log.append(produced(7n, 0, i * 2, 2, { timestamp: timestamps[i] }));
    expect(log.logEndOffset).toBe(12n);
    for (let i = 1; i < 6; i++) {
      const result = log.append(produced(7n, 0, i * 2, 2, { timestamp: timestamps[i] }));
      expect(result).toMatchObject({ duplicate: true, firstOffset: BigInt(i * 2), lastOffset: BigInt(i * 2 + 1), recordCount: 0 });
      // Kafka answers a duplicate with the original batch's max timestamp in logAppendTime.
      expect(result.logAppendTimeMs).toBe(timestamps[i] + 1);
    }
    expect(log.logEndOffset).toBe(12n);
    expect(appendError(log, produced(7n, 0, 0, 2)).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // A batch that overlaps but does not match a retained range is not a duplicate either.
    expect(appendError(log, produced(7n, 0, 10, 1)).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('validates a multi-batch append whole: one bad batch rejects all of them', () => {
    const { log } = openLog();
    log.append(produced(7n, 0, 0, 2));
    const records = Buffer.concat([produced(7n, 0, 2, 2), produced(8n, 0, 0), produced(7n, 0, 5)]);
    expect(appendError(log, records).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(log.logEndOffset).toBe(2n);
    expect(producerOf(log, 8n)).toBeUndefined();
    expect(producerOf(log, 7n)?.lastSequence).toBe(1);
    // The batches of one append are checked against each other too.
    const ok = log.append(Buffer.concat([produced(7n, 0, 2, 2), produced(8n, 0, 0), produced(7n, 0, 4)]));
    expect([ok.firstOffset, ok.lastOffset]).toEqual([2n, 5n]);
    expect(producerOf(log, 7n)?.lastSequence).toBe(4);
  });

  it('answers a whole append with the duplicate when any batch in it repeats a retained one (Kafka)', () => {
    const { log } = openLog();
    log.append(produced(7n, 0, 0, 2));
    const result = log.append(Buffer.concat([produced(8n, 0, 0), produced(7n, 0, 0, 2)]));
    expect(result).toMatchObject({ duplicate: true, firstOffset: 0n, lastOffset: 1n });
    expect(log.logEndOffset).toBe(2n);
    expect(producerOf(log, 8n)).toBeUndefined();
  });

  it('checks nothing on replicated appends but still tracks the state', () => {
    const { log } = openLog();
    const atOffset = (batch: Buffer, offset: bigint) => {
      batch.writeBigInt64BE(offset, 0);
      return batch;
    };
    const replicated = { assignOffsets: false, origin: AppendOrigin.Replication };
    log.append(atOffset(produced(7n, 3, 0, 2), 0n), replicated);
    // Out of order and an older epoch: a client would be refused, a follower copies its leader.
    log.append(atOffset(produced(7n, 3, 9), 2n), replicated);
    log.append(atOffset(produced(7n, 2, 0), 3n), replicated);
    expect(log.logEndOffset).toBe(4n);
    expect(producerOf(log, 7n)).toMatchObject({ producerEpoch: 2, lastSequence: 0 });
  });

  it('leaves appends without a producer id alone', () => {
    const { log } = openLog();
    log.append(batchOf(3));
    log.append(batchOf(3));
    expect(log.activeProducers()).toEqual([]);
    expect(log.lastStableOffset).toBe(6n);
  });
});

describe('producer state: transactions', () => {
  it('holds the LSO at the oldest open transaction across interleaved producers', () => {
    const { log } = openLog();
    log.append(batchOf(2)); // 0-1 plain
    log.append(produced(1n, 0, 0, 2, { txn: true })); // 2-3 txn A
    expect(log.lastStableOffset).toBe(2n);
    log.append(produced(2n, 0, 0, 1, { txn: true })); // 4 txn B
    log.append(produced(1n, 0, 2, 1, { txn: true })); // 5 txn A again
    expect(log.lastStableOffset).toBe(2n);
    expect(producerOf(log, 1n)?.currentTxnStartOffset).toBe(2n);
    expect(producerOf(log, 2n)?.currentTxnStartOffset).toBe(4n);
    // read_committed stops at the LSO
    const committedRead = log.read(0n, 1 << 20, { isolation: FetchIsolation.TxnCommitted });
    expect(committedRead.lastStableOffset).toBe(2n);
    expect(committedRead.records.readBigInt64BE(0)).toBe(0n);
    expect(committedRead.records.length).toBe(batchOf(2).length);

    log.append(marker(1n, 0, true), asCoordinator); // 6 commit A
    expect(log.lastStableOffset).toBe(4n);
    expect(producerOf(log, 1n)?.currentTxnStartOffset).toBe(-1n);
    log.append(marker(2n, 0, false), asCoordinator); // 7 abort B
    expect(log.lastStableOffset).toBe(8n);
    expect(log.collectAbortedTransactions(0n, 8n)).toEqual([{ producerId: 2n, firstOffset: 4n, lastOffset: 7n, lastStableOffset: 8n }]);
  });

  it('records the LSO left by an abort while another producer still has a transaction open', () => {
    const { log } = openLog();
    log.append(produced(1n, 0, 0, 1, { txn: true })); // 0 A
    log.append(produced(2n, 0, 0, 1, { txn: true })); // 1 B
    log.append(marker(1n, 0, false), asCoordinator); // 2 abort A
    expect(log.lastStableOffset).toBe(1n);
    expect(log.collectAbortedTransactions(0n, 3n)).toEqual([{ producerId: 1n, firstOffset: 0n, lastOffset: 2n, lastStableOffset: 1n }]);
    const read = log.read(0n, 1 << 20, { isolation: FetchIsolation.TxnCommitted });
    expect(read.abortedTransactions).toEqual([{ producerId: 1n, firstOffset: 0n, lastOffset: 2n, lastStableOffset: 1n }]);
    log.append(marker(2n, 0, true), asCoordinator); // 3 commit B
    expect(log.lastStableOffset).toBe(4n);
    const all = log.read(0n, 1 << 20, { isolation: FetchIsolation.TxnCommitted });
    expect(all.abortedTransactions?.map((t) => t.producerId)).toEqual([1n]);
  });

  it('refuses a non-transactional batch while the producer has a transaction open', () => {
    const { log } = openLog();
    log.append(produced(1n, 0, 0, 1, { txn: true }));
    const error = appendError(log, produced(1n, 0, 1));
    expect(error).toBeInstanceOf(InvalidTxnStateError);
    expect(error.code).toBe(ErrorCode.INVALID_TXN_STATE);
    log.append(marker(1n, 0, true), asCoordinator);
    expect(log.append(produced(1n, 0, 1)).firstOffset).toBe(2n);
  });

  it('fences markers from an older coordinator epoch and markers for an older producer epoch', () => {
    const { log } = openLog();
    log.append(produced(1n, 0, 0, 1, { txn: true }));
    log.append(marker(1n, 0, true, 5), asCoordinator);
    expect(producerOf(log, 1n)?.coordinatorEpoch).toBe(5);
    log.append(produced(1n, 0, 1, 1, { txn: true }));
    const fenced = appendError(log, marker(1n, 0, false, 4), asCoordinator);
    expect(fenced).toBeInstanceOf(TransactionCoordinatorFencedError);
    expect(fenced.code).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    expect(log.lastStableOffset).toBe(2n);
    // A bumped producer epoch (the coordinator fenced the producer) makes markers of the old epoch stale.
    log.append(marker(1n, 1, false, 5), asCoordinator);
    expect(log.lastStableOffset).toBe(4n);
    expect(appendError(log, marker(1n, 0, true, 5), asCoordinator).code).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(producerOf(log, 1n)).toMatchObject({ producerEpoch: 1, lastSequence: -1, coordinatorEpoch: 5 });
  });

  it('writes a marker for an empty transaction without indexing anything', () => {
    const { log } = openLog();
    log.append(marker(3n, 0, false, 1), asCoordinator);
    expect(log.collectAbortedTransactions(0n, 10n)).toEqual([]);
    expect(log.lastStableOffset).toBe(1n);
    expect(producerOf(log, 3n)).toMatchObject({ producerEpoch: 0, coordinatorEpoch: 1, currentTxnStartOffset: -1n });
  });

  it('refuses control batches from clients', () => {
    const { log } = openLog();
    expect(appendError(log, marker(1n, 0, true)).code).toBe(ErrorCode.INVALID_RECORD);
  });

  it('keeps a completed transaction unstable until its marker is below the high watermark (replicated logs)', () => {
    const fs = new MemoryFileSystem();
    fs.mkdir('/logs');
    const log = PartitionLog.open({ fs, clock: new ManualClock(), dir: DIR, topic: 'topic', partition: 0, config: logConfig(), highWatermarkFollowsLogEnd: false });
    log.append(produced(1n, 0, 0, 2, { txn: true })); // 0-1
    log.append(marker(1n, 0, true), asCoordinator); // 2
    log.setHighWatermark(2n);
    expect(log.lastStableOffset).toBe(0n);
    log.setHighWatermark(3n);
    expect(log.lastStableOffset).toBe(3n);
  });
});

describe('producer state: snapshots and recovery', () => {
  function snapshotAt(fs: MemoryFileSystem, offset: bigint) {
    return decodeProducerSnapshot(fs.readFile(`${DIR}/${offsetFileName(offset, '.snapshot')}`));
  }

  function writeMixedHistory(log: PartitionLog): void {
    log.append(produced(1n, 0, 0, 2)); // 0-1
    log.append(produced(2n, 4, 0, 1, { txn: true })); // 2
    log.append(produced(1n, 0, 2, 2)); // 3-4
    log.append(marker(2n, 4, false, 7), asCoordinator); // 5 abort
    log.append(produced(3n, 0, 0, 1, { txn: true })); // 6 open txn
    log.append(produced(1n, 0, 4, 1)); // 7
  }

  it('writes a snapshot at each roll and on clean close, in Kafka format', () => {
    const fs = new MemoryFileSystem();
    const fixture = openLog({}, fs);
    fixture.log.append(produced(1n, 0, 0, 2, { timestamp: 1_700_000_000_500 }));
    fixture.log.append(produced(2n, 1, 0, 1, { txn: true, timestamp: 1_700_000_000_600 }));
    fixture.log.roll();
    expect(fixture.log.producerSnapshotOffsets()).toEqual([3n]);
    const atRoll = snapshotAt(fs, 3n);
    expect(atRoll).toEqual(
      expect.arrayContaining([
        { producerId: 1n, producerEpoch: 0, lastSequence: 1, lastOffset: 1n, offsetDelta: 1, timestampMs: 1_700_000_000_501n, coordinatorEpoch: -1, currentTxnFirstOffset: -1n },
        { producerId: 2n, producerEpoch: 1, lastSequence: 0, lastOffset: 2n, offsetDelta: 0, timestampMs: 1_700_000_000_600n, coordinatorEpoch: -1, currentTxnFirstOffset: 2n },
      ]),
    );
    expect(atRoll).toHaveLength(2);
    fixture.log.append(produced(1n, 0, 2, 1));
    fixture.log.close();
    expect(snapshotAt(fs, 4n).find((e) => e.producerId === 1n)?.lastSequence).toBe(2);
  });

  it('reopens after a clean close with the same state, loading the snapshot', () => {
    const fs = new MemoryFileSystem();
    const fixture = openLog({}, fs);
    writeMixedHistory(fixture.log);
    const before = fixture.log.activeProducers();
    const log = fixture.reopen({ hadCleanShutdown: true });
    expect(log.activeProducers()).toEqual(before);
    expect(log.lastStableOffset).toBe(6n);
    // A snapshot keeps each producer's last batch only (Kafka's format): that one is still a duplicate.
    expect(log.append(produced(1n, 0, 4, 1))).toMatchObject({ duplicate: true, firstOffset: 7n });
    expect(log.append(produced(1n, 0, 5, 1)).firstOffset).toBe(8n);
  });

  it('rebuilds the same state after a crash, replaying the log after the last roll snapshot', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const fixture = openLog({}, fs, clock);
    fixture.log.append(produced(1n, 0, 0, 2));
    fixture.log.roll(); // snapshot at 2
    writeMixedHistory2(fixture.log);
    const before = fixture.log.activeProducers();
    const abortedBefore = fixture.log.collectAbortedTransactions(0n, 100n);
    // The process dies: no close, no snapshot at the end. The page cache keeps what was written.
    const crashed = PartitionLog.open({ fs, clock, dir: DIR, topic: 'topic', partition: 0, config: logConfig(), recoveryPoint: 0n });
    expect(sortById(crashed.activeProducers())).toEqual(sortById(before));
    expect(crashed.lastStableOffset).toBe(fixture.log.lastStableOffset);
    expect(crashed.collectAbortedTransactions(0n, 100n)).toEqual(abortedBefore);
    // Duplicate detection survives the restart.
    expect(crashed.append(produced(1n, 0, 4, 1))).toMatchObject({ duplicate: true, firstOffset: 9n });
    expect(appendError(crashed, produced(1n, 0, 6)).code).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  function writeMixedHistory2(log: PartitionLog): void {
    log.append(produced(1n, 0, 2, 2)); // 2-3
    log.append(produced(2n, 4, 0, 1, { txn: true })); // 4
    log.append(marker(2n, 4, false, 7), asCoordinator); // 5 abort
    log.append(produced(3n, 0, 0, 1, { txn: true })); // 6 open
    log.append(produced(4n, 0, 0, 2)); // 7-8
    log.append(produced(1n, 0, 4, 1)); // 9
  }

  it('restores the .txnindex entries a crash lost above the recovery point, replaying from a snapshot below it', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const fixture = openLog({}, fs, clock);
    fixture.log.append(produced(2n, 0, 0, 1, { txn: true })); // 0
    fixture.log.append(marker(2n, 0, false), asCoordinator); // 1
    fixture.log.roll(); // snapshot at 2, newer than the abort
    fixture.log.append(produced(3n, 0, 0, 1, { txn: true })); // 2
    fixture.log.append(marker(3n, 0, false), asCoordinator); // 3
    fixture.log.flush();
    const expected = fixture.log.collectAbortedTransactions(0n, 10n);
    expect(expected.map((t) => t.lastOffset)).toEqual([1n, 3n]);
    // The log survived; both segments' aborted-transaction indexes did not.
    for (const base of [0n, 2n]) fs.unlink(`${DIR}/${offsetFileName(base, '.txnindex')}`);
    const log = PartitionLog.open({ fs, clock, dir: DIR, topic: 'topic', partition: 0, config: logConfig(), recoveryPoint: 0n });
    expect(log.logEndOffset).toBe(4n);
    expect(log.collectAbortedTransactions(0n, 10n)).toEqual(expected);
    // The snapshot above the recovery point stays for later use.
    expect(log.producerSnapshotOffsets()).toEqual([2n, 4n]);
  });

  it('skips a corrupt snapshot and rebuilds from an older one or the log', () => {
    const fs = new MemoryFileSystem();
    const fixture = openLog({}, fs);
    writeMixedHistory(fixture.log);
    const before = fixture.log.activeProducers();
    fixture.log.close();
    const path = `${DIR}/${offsetFileName(8n, '.snapshot')}`;
    fs.fileBytes(path)[7] ^= 0xff;
    const log = fixture.reopen({ recoveryPoint: 0n });
    expect(sortById(log.activeProducers())).toEqual(sortById(before));
    // The corrupt file was replaced by a good snapshot at the end.
    expect(decodeProducerSnapshot(fs.readFile(path))).toHaveLength(3);
  });

  it('rebuilds the state below the cut when the log is truncated', () => {
    const { log } = openLog();
    log.append(produced(1n, 0, 0, 2)); // 0-1
    log.roll();
    log.append(produced(1n, 0, 2, 2)); // 2-3
    log.append(produced(5n, 0, 0, 1, { txn: true })); // 4
    log.append(produced(1n, 0, 4, 1)); // 5
    expect(log.lastStableOffset).toBe(4n);
    log.truncateTo(4n);
    expect(producerOf(log, 5n)).toBeUndefined();
    expect(producerOf(log, 1n)?.lastSequence).toBe(3);
    expect(log.lastStableOffset).toBe(4n);
    expect(log.append(produced(1n, 0, 4, 1)).firstOffset).toBe(4n);
    log.truncateTo(1n);
    expect(producerOf(log, 1n)).toBeUndefined();
    expect(log.producerSnapshotOffsets().every((o) => o <= 1n)).toBe(true);
  });

  it("keeps the cleaned segment's snapshot when finishing an interrupted cleaner swap", () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const fixture = openLog({}, fs, clock);
    for (let i = 0; i < 4; i++) {
      fixture.log.append(produced(1n, 0, i * 2, 2));
      if (i < 3) fixture.log.roll(); // segments at 0, 2, 4, 6; snapshots at 2, 4, 6
    }
    const before = fixture.log.activeProducers();
    fixture.log.close();
    // A crash right after a cleaner swap of segments 2 and 4 was renamed to .swap: one segment covering 2-5.
    const name = (offset: bigint, suffix: string) => `${DIR}/${offsetFileName(offset, suffix)}`;
    const merged = Buffer.concat([fs.readFile(name(2n, '.log')), fs.readFile(name(4n, '.log'))]);
    const swap = fs.open(name(2n, '.log.swap'), { create: true });
    swap.write(merged, 0);
    swap.sync();
    swap.close();
    const log = PartitionLog.open({ fs, clock, dir: DIR, topic: 'topic', partition: 0, config: logConfig(), recoveryPoint: 0n });
    expect(log.allSegments().map((s) => s.baseOffset)).toEqual([0n, 2n, 6n]);
    expect(log.producerSnapshotOffsets()).toEqual([2n, 6n, 8n]);
    expect(log.activeProducers()).toEqual(before);
  });

  it('deletes the snapshot of a segment removed by retention', () => {
    const clock = new ManualClock();
    const { log } = openLog({ retentionMs: 1000 }, new MemoryFileSystem(), clock);
    log.append(produced(1n, 0, 0, 1, { timestamp: clock.nowMs() }));
    log.roll(); // snapshot 1
    log.append(produced(1n, 0, 1, 1, { timestamp: clock.nowMs() }));
    log.roll(); // snapshot 2
    expect(log.producerSnapshotOffsets()).toEqual([1n, 2n]);
    clock.advance(5000);
    expect(log.applyRetention()).toBe(2);
    expect(log.producerSnapshotOffsets()).toEqual([2n]);
  });
});

describe('producer state: expiry', () => {
  it('forgets producers idle past producer.id.expiration.ms, but not one with an open transaction', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    fs.mkdir('/logs');
    const log = PartitionLog.open({ fs, clock, dir: DIR, topic: 'topic', partition: 0, config: logConfig(), producerIdExpirationMs: () => 60_000 });
    log.append(produced(1n, 0, 0, 1, { timestamp: clock.nowMs() }));
    log.append(produced(2n, 0, 0, 1, { txn: true, timestamp: clock.nowMs() }));
    clock.advance(30_000);
    log.append(produced(3n, 0, 0, 1, { timestamp: clock.nowMs() }));
    clock.advance(30_000);
    expect(log.removeExpiredProducers()).toBe(1);
    expect(log.activeProducers().map((p) => p.producerId).sort()).toEqual([2n, 3n]);
    // Producer 1 is unknown now: any sequence goes.
    expect(log.append(produced(1n, 0, 17, 1, { timestamp: clock.nowMs() })).duplicate).toBeUndefined();
  });

  it('runs from the log manager on producer.id.expiration.check.interval.ms', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const manager = LogManager.open({
      fs,
      clock,
      logDirs: ['/data'],
      producerIdExpirationMs: () => 1000,
      producerIdExpirationCheckIntervalMs: 5000,
    });
    const log = manager.getOrCreateLog('t', 0);
    log.append(produced(1n, 0, 0, 1, { timestamp: clock.nowMs() }));
    clock.advance(4000);
    manager.tick();
    expect(log.activeProducers()).toHaveLength(1);
    clock.advance(1000);
    manager.tick();
    expect(log.activeProducers()).toHaveLength(0);
    manager.close();
  });

  it('survives a log manager restart, clean or not, with retries still answered as duplicates', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const open = () => LogManager.open({ fs, clock, logDirs: ['/data'] });
    let manager = open();
    const log = manager.getOrCreateLog('t', 0);
    log.append(produced(1n, 0, 0, 2, { timestamp: clock.nowMs() }));
    log.append(produced(2n, 0, 0, 1, { txn: true, timestamp: clock.nowMs() }));
    const before = log.activeProducers();
    for (const markClean of [true, false]) {
      manager.close({ markClean });
      manager = open();
      const reopened = manager.getLog('t', 0)!;
      expect(reopened.activeProducers()).toEqual(before);
      expect(reopened.lastStableOffset).toBe(2n);
      expect(reopened.append(produced(1n, 0, 0, 2, { timestamp: clock.nowMs() }))).toMatchObject({ duplicate: true, firstOffset: 0n });
    }
    // And after a crash (no close at all), from the snapshot the last close left plus a replay.
    manager.getLog('t', 0)!.append(produced(1n, 0, 2, 1, { timestamp: clock.nowMs() })); // offset 3
    const crashed = open().getLog('t', 0)!;
    expect(crashed.append(produced(1n, 0, 2, 1, { timestamp: clock.nowMs() }))).toMatchObject({ duplicate: true, firstOffset: 3n });
  });

  it('drops expired producers when loading a snapshot', () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock();
    const fixture = openLog({}, fs, clock);
    fixture.log.append(produced(1n, 0, 0, 1, { timestamp: clock.nowMs() }));
    fixture.log.close();
    clock.advance(86_400_000);
    const log = PartitionLog.open({ fs, clock, dir: DIR, topic: 'topic', partition: 0, config: logConfig(), hadCleanShutdown: true });
    expect(log.activeProducers()).toEqual([]);
  });
});
