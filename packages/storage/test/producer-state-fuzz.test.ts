// Seeded random histories of idempotent and transactional producers talking to one partition over a lossy link:
// batches arrive in any order among the five in flight, responses get lost, acknowledged batches are sent again,
// segments roll, and the broker crashes and restarts. Whatever happens, the log must hold every producer's
// records exactly once and in sequence order, answer each retry with the offsets first given, keep the LSO at
// the oldest open transaction and index exactly the aborted transactions. Replay with TRIBUTARY_SEED=<seed>.
import { ControlRecordType, ErrorCode, TributaryError, buildControlBatch, buildRecordBatch, readBatchHeader } from '@tributary/protocol';
import { AppendOrigin, FetchIsolation, ManualClock, MemoryFileSystem, PartitionLog, SeededRandom, logConfig, seedFromEnv } from '../src';
import { DIR, sortById } from './helpers';

const SEED = seedFromEnv();
console.log(`[producer-state fuzz] seed=${SEED} (replay with TRIBUTARY_SEED=${SEED})`);
const RUNS = Number(process.env.PRODUCER_FUZZ_RUNS ?? 12);
const STEPS = 400;
const MAX_IN_FLIGHT = 5;

interface SentBatch {
  seq: number;
  count: number;
  txn: boolean;
  /** Offsets the broker answered with, once a response arrived. */
  acked?: { first: bigint; last: bigint };
  /** Whether the batch is in the log (the model knows even when the response was lost). */
  written: boolean;
}

interface ModelProducer {
  pid: bigint;
  transactional: boolean;
  nextSeq: number;
  batches: SentBatch[];
  /** First offset of the open transaction in the log, if any of its batches is written. */
  openTxnFirst?: bigint;
  txnOpen: boolean;
}

function dataBatch(p: ModelProducer, b: SentBatch, clock: ManualClock): Buffer {
  return buildRecordBatch({
    producerId: p.pid,
    producerEpoch: 0,
    baseSequence: b.seq,
    isTransactional: b.txn,
    records: Array.from({ length: b.count }, (_, i) => ({ timestamp: BigInt(clock.nowMs()), key: null, value: Buffer.from(`${p.pid}:${b.seq + i}`) })),
  });
}

describe('producer state under a lossy, reordering link and crashes', () => {
  it(`keeps exactly-once order through ${RUNS} random histories`, () => {
    // What the histories exercised, so that a change that stops them exercising it shows up.
    const seen = { duplicates: 0, outOfOrder: 0, restarts: 0, aborts: 0, commits: 0 };
    for (let run = 0; run < RUNS; run++) {
      const random = new SeededRandom((SEED + run * 7919) >>> 0);
      const context = `seed ${SEED} run ${run}`;
      const fs = new MemoryFileSystem();
      const clock = new ManualClock();
      fs.mkdir('/logs');
      const open = () => PartitionLog.open({ fs, clock, dir: DIR, topic: 'topic', partition: 0, config: logConfig({ segmentBytes: 4096 }), recoveryPoint: 0n });
      let log = open();
      const producers: ModelProducer[] = [1n, 2n, 3n, 4n].map((pid, i) => ({ pid, transactional: i >= 2, nextSeq: 0, batches: [], txnOpen: false }));
      const aborted: { producerId: bigint; firstOffset: bigint; lastOffset: bigint }[] = [];
      let written = 0;

      const send = (p: ModelProducer, b: SentBatch, loseResponse: boolean) => {
        const lastBefore = log.logEndOffset;
        try {
          const result = log.append(dataBatch(p, b, clock));
          if (result.duplicate) seen.duplicates++;
          if (!result.duplicate) {
            expect({ context, written: b.written }).toEqual({ context, written: false });
            b.written = true;
            written++;
            if (b.txn && p.openTxnFirst === undefined) p.openTxnFirst = result.firstOffset;
          }
          if (b.acked) expect({ context, offsets: [result.firstOffset, result.lastOffset] }).toEqual({ context, offsets: [b.acked.first, b.acked.last] });
          if (!loseResponse) b.acked = { first: result.firstOffset, last: result.lastOffset };
        } catch (error) {
          // Only a batch whose predecessor is not yet written may be refused, and then nothing is written.
          if (!(error instanceof TributaryError) || error.code !== ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) throw error;
          seen.outOfOrder++;
          const previous = p.batches.find((other) => other.seq < b.seq && !other.written);
          expect({ context, refusedWithGapBefore: b.seq, gap: previous !== undefined || b.written }).toEqual({ context, refusedWithGapBefore: b.seq, gap: true });
          expect(log.logEndOffset).toBe(lastBefore);
        }
      };

      // Every producer resends its unacknowledged batches in order until all are answered.
      const drain = () => {
        for (const p of producers) for (const b of p.batches) if (!b.acked) send(p, b, false);
      };

      // The broker dies (no close) and restarts; only a quiescent moment keeps the model's duplicate window
      // honest, since a snapshot keeps each producer's last batch only (as Kafka's does).
      const restart = (step: number) => {
        const before = sortById(log.activeProducers());
        log = open();
        seen.restarts++;
        expect({ context, step, producers: sortById(log.activeProducers()) }).toEqual({ context, step, producers: before });
      };

      const expectedLso = () => {
        const open = producers.map((p) => p.openTxnFirst).filter((o): o is bigint => o !== undefined);
        return open.length === 0 ? log.highWatermark : open.reduce((a, b) => (a < b ? a : b));
      };

      // Each producer's first batch gets through: a partition that knows nothing of a producer accepts any
      // sequence (Kafka 3.9), so only from then on does the order of arrival decide what is refused.
      for (const p of producers) {
        const first: SentBatch = { seq: 0, count: 1, txn: p.transactional, written: false };
        p.nextSeq = 1;
        p.batches.push(first);
        p.txnOpen = p.transactional;
        send(p, first, false);
      }

      for (let step = 0; step < STEPS; step++) {
        clock.advance(random.int(50));
        const p = producers[random.int(producers.length)];
        const unacked = p.batches.filter((b) => !b.acked);
        // As a real client, at most five batches are in flight: from the oldest unanswered one to the newest.
        const oldestUnacked = p.batches.findIndex((b) => !b.acked);
        const inFlight = oldestUnacked < 0 ? 0 : p.batches.length - oldestUnacked;
        const action = random.int(100);
        if (action < 45 && inFlight < MAX_IN_FLIGHT) {
          const b: SentBatch = { seq: p.nextSeq, count: 1 + random.int(3), txn: p.transactional, written: false };
          p.nextSeq += b.count;
          p.batches.push(b);
          if (p.transactional) p.txnOpen = true;
          // Some requests never reach the broker: the batches sent after them arrive first and are refused.
          if (!random.chance(0.2)) send(p, b, random.chance(0.25));
        } else if (action < 75 && unacked.length > 0) {
          send(p, unacked[random.int(unacked.length)], random.chance(0.25));
        } else if (action < 85) {
          // A spurious resend of one of the five newest written batches: answered as a duplicate.
          const recent = p.batches.filter((b) => b.written).slice(-MAX_IN_FLIGHT);
          if (recent.length > 0) send(p, recent[random.int(recent.length)], false);
        } else if (action < 93 && p.transactional && p.txnOpen && unacked.length === 0) {
          const commit = random.chance(0.5);
          const result = log.append(
            buildControlBatch({ type: commit ? ControlRecordType.Commit : ControlRecordType.Abort, producerId: p.pid, producerEpoch: 0, coordinatorEpoch: 0, timestamp: BigInt(clock.nowMs()) }),
            { origin: AppendOrigin.Coordinator },
          );
          if (commit) seen.commits++;
          else seen.aborts++;
          if (!commit && p.openTxnFirst !== undefined) aborted.push({ producerId: p.pid, firstOffset: p.openTxnFirst, lastOffset: result.firstOffset });
          p.openTxnFirst = undefined;
          p.txnOpen = false;
        } else if (action < 96) {
          log.roll();
        } else if (producers.every((q) => q.batches.every((b) => b.acked))) {
          restart(step);
        }
        // Half way, the producers catch up and the broker restarts, so every history has at least one restart.
        if (step === STEPS / 2) {
          drain();
          restart(step);
        }
        expect({ context, step, lso: log.lastStableOffset }).toEqual({ context, step, lso: expectedLso() });
      }

      drain();

      const sequences = new Map<bigint, number[]>();
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const records = log.read(offset, 1 << 20, { isolation: FetchIsolation.LogEnd }).records;
        for (let at = 0; at < records.length; ) {
          const header = readBatchHeader(records.subarray(at));
          if (!header.isControl) {
            const seqs = sequences.get(header.producerId) ?? [];
            seqs.push(header.baseSequence);
            sequences.set(header.producerId, seqs);
            const p = producers.find((q) => q.pid === header.producerId);
            const b = p?.batches.find((x) => x.seq === header.baseSequence);
            expect({ context, offset: b?.acked?.first }).toEqual({ context, offset: header.baseOffset });
          }
          offset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
          at += header.batchLength + 12;
        }
      }
      for (const p of producers) {
        expect({ context, pid: p.pid, seqs: sequences.get(p.pid) ?? [] }).toEqual({ context, pid: p.pid, seqs: p.batches.map((b) => b.seq) });
      }
      expect(written).toBe(producers.reduce((n, p) => n + p.batches.length, 0));
      expect({ context, aborted: log.collectAbortedTransactions(0n, log.logEndOffset + 1n).map(({ producerId, firstOffset, lastOffset }) => ({ producerId, firstOffset, lastOffset })) }).toEqual({
        context,
        aborted,
      });
    }
    expect(Object.values(seen).every((count) => count > 0)).toBe(true);
  });
});
