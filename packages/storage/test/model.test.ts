// Model-based random testing: random sequences of appends, flushes, rolls, truncations, DeleteRecords, retention,
// power losses and restarts on the in-memory file system, checked after every step against a plain list of
// the batches that must be readable. Replay a failure with TRIBUTARY_SEED=<seed>.
import { FaultyFileSystem, KafkaStorageError, ManualClock, MemoryFileSystem, SeededRandom, seedFromEnv } from '../src';
import { batchOf, openLog, readAll } from './helpers';

const SEED = seedFromEnv();
console.log(`[storage model] seed=${SEED} (replay with TRIBUTARY_SEED=${SEED})`);
const RUNS = Number(process.env.STORAGE_MODEL_RUNS ?? 25);
const STEPS = 60;

interface ModelBatch {
  base: bigint;
  last: bigint;
  bytes: Buffer;
}

describe('partition log against a model', () => {
  it(`holds exactly the batches the model says, through ${RUNS} random histories`, () => {
    for (let run = 0; run < RUNS; run++) {
      const seed = (SEED + run * 104729) >>> 0;
      const random = new SeededRandom(seed);
      const memory = new MemoryFileSystem();
      const fs = new FaultyFileSystem(memory, seed);
      fs.pathFilter = (path) => path.startsWith('/logs/topic-0/');
      const clock = new ManualClock();
      const config = { segmentBytes: 700 + random.int(1500), indexIntervalBytes: 1 + random.int(400), retentionMs: -1 };
      const fixture = openLog(config, fs, clock);
      let model: ModelBatch[] = [];
      let durable: ModelBatch[] = [];
      let recoveryPoint = 0n;
      let logStart = 0n;
      const history: string[] = [];
      try {
        for (let step = 0; step < STEPS; step++) {
          const log = fixture.log;
          const dice = random.int(100);
          if (dice < 5) {
            // A disk fault on the next write (a log append, an index or checkpoint write): the operation fails
            // with KAFKA_STORAGE_ERROR, the log goes offline, and a restart brings it back.
            fs.failNextWrite(random.chance(0.5) ? 'EIO' : 'ENOSPC', random.int(200));
            const batch = batchOf(1 + random.int(4), { valueBytes: random.int(120), timestamp: clock.nowMs() });
            try {
              const result = log.append(batch);
              model.push({ base: result.firstOffset, last: result.lastOffset, bytes: Buffer.from(batch) });
              log.flush();
              durable = [...model];
              recoveryPoint = log.recoveryPoint;
              history.push(`append+flush ${result.firstOffset}..${result.lastOffset} (fault missed)`);
            } catch (error) {
              expect(error).toBeInstanceOf(KafkaStorageError);
              fs.heal();
              const end = model.length > 0 ? model[model.length - 1].last + 1n : log.logEndOffset;
              fixture.log = openLog(config, fs, clock).reopen({ recoveryPoint });
              // The failed append may have reached the log whole (the fault hit an index write); never torn.
              const extra = readAll(fixture.log).filter((b) => b.baseOffset >= end);
              expect(extra.length).toBeLessThanOrEqual(1);
              if (extra.length === 1) {
                expect(extra[0].bytes.subarray(12).equals(batch.subarray(12))).toBe(true);
                model.push({ base: extra[0].baseOffset, last: extra[0].lastOffset, bytes: Buffer.from(extra[0].bytes) });
              }
              history.push(`write fault (${extra.length} extra)`);
            }
            fs.heal();
          } else if (dice < 50) {
            const batch = batchOf(1 + random.int(4), { valueBytes: random.int(120), timestamp: clock.nowMs() });
            const result = log.append(batch);
            model.push({ base: result.firstOffset, last: result.lastOffset, bytes: Buffer.from(batch) });
            history.push(`append ${result.firstOffset}..${result.lastOffset}`);
          } else if (dice < 60) {
            log.flush();
            durable = [...model];
            recoveryPoint = log.recoveryPoint;
            history.push('flush');
          } else if (dice < 65) {
            log.roll();
            history.push('roll');
          } else if (dice < 72 && model.length > 0) {
            const cut = model[random.int(model.length)].base;
            log.truncateTo(cut);
            model = model.filter((b) => b.base < cut);
            durable = durable.filter((b) => b.base < cut);
            if (recoveryPoint > cut) recoveryPoint = cut;
            history.push(`truncateTo ${cut}`);
          } else if (dice < 78 && model.length > 0) {
            const start = model[random.int(model.length)].base;
            if (start > logStart) {
              log.deleteRecordsBefore(start);
              logStart = start;
              history.push(`deleteRecordsBefore ${start}`);
            }
          } else if (dice < 83) {
            log.config = { ...log.config, retentionBytes: random.int(2000) };
            log.applyRetention();
            logStart = log.logStartOffset;
            history.push(`retention.bytes ${log.config.retentionBytes} -> start ${logStart}`);
          } else if (dice < 91) {
            // Power loss: everything fsynced survives; more may have (a truncation or roll syncs too), but
            // only as a prefix of what had been appended, never anything else.
            memory.crash();
            const before = model;
            fixture.log = openLog(config, fs, clock).reopen({ recoveryPoint });
            const survivors = readAll(fixture.log).length + before.filter((b) => b.last < fixture.log.logStartOffset).length;
            if (survivors < durable.length) {
              throw new Error(
                `lost flushed data: start ${fixture.log.logStartOffset} end ${fixture.log.logEndOffset}, stored ` +
                  `${readAll(fixture.log).map((b) => b.baseOffset).join(' ')}; durable ${durable.map((b) => b.base).join(' ')}; ` +
                  `segments ${fixture.log.allSegments().map((x) => `${x.baseOffset}+${x.size}`).join(' ')}`,
              );
            }
            model = before.slice(0, survivors);
            durable = [...model];
            history.push(`crash (recovery point ${recoveryPoint}, ${survivors} of ${before.length} batches survive)`);
          } else {
            fixture.reopen({ recoveryPoint: log.recoveryPoint });
            history.push('restart');
          }
          clock.advance(10);
          // Retention and DeleteRecords may have moved the start; the log never starts below what we deleted
          // unless a crash lost the (uncheckpointed) start, and then only down to its first segment.
          const current = fixture.log;
          const expected = model.filter((b) => b.last >= current.logStartOffset);
          const stored = readAll(current);
          expect(stored.map((b) => b.baseOffset)).toEqual(expected.map((b) => b.base));
          stored.forEach((b, i) => expect(b.bytes.equals(expected[i].bytes)).toBe(true));
          // After a power loss the log end may stay above the surviving data (an empty newer segment keeps its
          // base offset), so offsets are never handed out twice; it is never below it.
          if (model.length > 0) expect(current.logEndOffset).toBeGreaterThanOrEqual(model[model.length - 1].last + 1n);
        }
      } catch (error) {
        throw new Error(`seed ${seed} (run ${run}) failed after: ${history.join(', ')}\n${String((error as Error).stack ?? error)}`);
      }
    }
  });
});
