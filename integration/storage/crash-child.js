// The child of the crash test (plain JavaScript over the built packages, so it starts in a fifth of a second;
// the test builds them with `tsc -b` first). It opens — and so recovers — a log dir, then appends random batches
// as fast as it can, fsyncing each and reporting it on stdout only after the flush returned. The parent
// SIGKILLs it at a random moment and checks that every reported batch survived.
//
//   node integration/storage/crash-child.js <log.dir> <seed>
'use strict';
const { BatchField, buildRecordBatch } = require('@tributary/protocol');
const { LogManager, NodeFileSystem, SeededRandom, logConfig, systemClock } = require('@tributary/storage');

const [logDir, seedText] = process.argv.slice(2);
const random = new SeededRandom(Number(seedText));
const manager = LogManager.open({
  fs: new NodeFileSystem(),
  clock: systemClock,
  logDirs: [logDir],
  // Small segments so that kills also land during rolls.
  configFor: () => logConfig({ segmentBytes: 256 * 1024, indexIntervalBytes: 4096 }),
});
const log = manager.getOrCreateLog('crash', 0);
process.stdout.write(`ready ${log.logEndOffset}\n`);

for (let appended = 0; ; appended++) {
  const count = 1 + random.int(20);
  const batch = buildRecordBatch({
    records: Array.from({ length: count }, (_, i) => ({
      timestamp: BigInt(systemClock.nowMs()),
      key: Buffer.from(`k${random.int(1000)}`),
      value: Buffer.alloc(1 + random.int(4000), (appended + i) & 0xff),
    })),
  });
  const result = log.append(batch);
  log.flush();
  if (appended % 8 === 7) manager.checkpointRecoveryPoints();
  // Pipes to the parent are synchronous on Linux: once this returns, the parent will read the line.
  process.stdout.write(`flushed ${result.firstOffset} ${result.lastOffset} ${batch.readUInt32BE(BatchField.CRC)}\n`);
}
