// The `.snapshot` files Tributary's producer state writes (at a roll and at a clean close), read by Kafka's own
// kafka-dump-log.sh (kafka.tools.DumpLogSegments over ProducerStateManager.readSnapshot, from the 3.9 jars):
// Kafka accepts version and CRC, and reads back each producer's epoch, coordinator epoch, open transaction,
// last batch (first and last sequence, last offset, offset delta) and timestamp as our state held them.
import fs from 'node:fs';
import path from 'node:path';
import { ControlRecordType, buildControlBatch, buildRecordBatch } from '@tributary/protocol';
import { AppendOrigin, ManualClock, NodeFileSystem, PartitionLog, logConfig, offsetFileName } from '@tributary/storage';
import { runKafkaTool } from '../helpers/kafka-tools';
import { describeWithPeer } from '../helpers/peers';
import { useTempDirs } from '../helpers/tmp';

const T0 = 1_700_000_000_000;

function produced(producerId: bigint, producerEpoch: number, baseSequence: number, count: number, timestamp: number, isTransactional = false): Buffer {
  return buildRecordBatch({
    producerId,
    producerEpoch,
    baseSequence,
    isTransactional,
    records: Array.from({ length: count }, (_, i) => ({ timestamp: BigInt(timestamp + i), key: null, value: Buffer.from(`v${i}`) })),
  });
}

/** Kafka's line for one snapshot entry (DumpLogSegments.dumpProducerIdSnapshot). */
function line(e: { id: bigint; epoch: number; coordinatorEpoch: number; txn: bigint | undefined; lastTimestamp: number; batch?: [number, number, bigint, number] }): string {
  const txn = e.txn === undefined ? 'OptionalLong.empty' : `OptionalLong[${e.txn}]`;
  let text = `producerId: ${e.id} producerEpoch: ${e.epoch} coordinatorEpoch: ${e.coordinatorEpoch} currentTxnFirstOffset: ${txn} lastTimestamp: ${e.lastTimestamp} `;
  if (e.batch) {
    const [first, last, lastOffset, delta] = e.batch;
    text += `firstSequence: ${first} lastSequence: ${last} lastOffset: ${lastOffset} offsetDelta: ${delta} timestamp: ${e.lastTimestamp}`;
  }
  return text.trimEnd();
}

describeWithPeer('kafka-tools', "kafka-dump-log.sh reads Tributary's producer snapshots", () => {
  const tempDir = useTempDirs('storage-producer-snapshot');

  test('the roll and clean-close snapshots decode in Kafka with the state the log held', async () => {
    const dir = path.join(tempDir(), 'payments-0');
    const clock = new ManualClock(T0);
    const log = PartitionLog.open({ fs: new NodeFileSystem(), clock, dir, topic: 'payments', partition: 0, config: logConfig() });
    log.append(produced(11n, 0, 0, 3, T0 + 10)); // 0-2
    log.append(produced(12n, 3, 0, 1, T0 + 20, true)); // 3: transaction of producer 12
    log.append(produced(11n, 0, 3, 2, T0 + 30)); // 4-5
    log.roll(); // snapshot at 6
    log.append(buildControlBatch({ type: ControlRecordType.Abort, producerId: 12n, producerEpoch: 3, coordinatorEpoch: 9, timestamp: BigInt(T0 + 40) }), {
      origin: AppendOrigin.Coordinator,
    }); // 6: producer 12 aborts
    log.append(produced(13n, 1, 0x7ffffffe, 3, T0 + 50, true)); // 7-9: sequences wrap, transaction left open
    log.close(); // snapshot at 10

    const atRoll = path.join(dir, offsetFileName(6n, '.snapshot'));
    const atClose = path.join(dir, offsetFileName(10n, '.snapshot'));
    expect(fs.existsSync(atRoll) && fs.existsSync(atClose)).toBe(true);

    for (const [file, expected] of [
      [
        atRoll,
        [
          line({ id: 11n, epoch: 0, coordinatorEpoch: -1, txn: undefined, lastTimestamp: T0 + 31, batch: [3, 4, 5n, 1] }),
          line({ id: 12n, epoch: 3, coordinatorEpoch: -1, txn: 3n, lastTimestamp: T0 + 20, batch: [0, 0, 3n, 0] }),
        ],
      ],
      [
        atClose,
        [
          line({ id: 11n, epoch: 0, coordinatorEpoch: -1, txn: undefined, lastTimestamp: T0 + 31, batch: [3, 4, 5n, 1] }),
          // After its ABORT the producer keeps its last batch; the marker's coordinator epoch and time are recorded.
          line({ id: 12n, epoch: 3, coordinatorEpoch: 9, txn: undefined, lastTimestamp: T0 + 40, batch: [0, 0, 3n, 0] }),
          line({ id: 13n, epoch: 1, coordinatorEpoch: -1, txn: 7n, lastTimestamp: T0 + 52, batch: [0x7ffffffe, 0, 9n, 2] }),
        ],
      ],
    ] as const) {
      const dump = await runKafkaTool('kafka-dump-log.sh', ['--files', file]);
      expect(dump.code).toBe(0);
      expect(dump.stderr).not.toMatch(/corrupt|CRC/i);
      const entries = dump.stdout
        .split('\n')
        .filter((l) => l.startsWith('producerId:'))
        .map((l) => l.trimEnd())
        .sort();
      expect(entries).toEqual([...expected].sort());
    }
  }, 120_000);
});
