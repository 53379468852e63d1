/**
 * Seeded random histories against the coordinator: producers of a few transactional ids begin, extend, commit and
 * abort transactions, new instances fence old ones, zombies retry, markers fail for a while, time passes
 * (transactions time out) and the coordinator restarts over its log. Whatever happened:
 * - every EndTxn answered NONE for an ongoing transaction gets its result's marker, with its producer id and
 *   epoch, on every one of its partitions (the first marker written there after the answer), never the other;
 * - a zombie (an older epoch) never gets NONE;
 * - once the markers heal and time passes, nothing is left prepared or ongoing, nothing is pending, and a restart
 *   reloads every id as it was.
 * Replay a failure with TRIBUTARY_SEED=<seed>.
 */
import { ErrorCode } from '@tributary/protocol';
import { PartitionMarkerResult, TransactionMarkerRequest } from '../src';
import { Harness, flush } from './harness';
import { seedFromEnv, seededRandom } from '@tributary/storage';

const SEED = seedFromEnv();
const HISTORIES = 15;
const STEPS = 150;
const IDS = ['alpha', 'beta', 'gamma'];
const TOPICS = ['t0', 't1'];

interface Written {
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  partition: string;
}

interface Acknowledged {
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  partitions: string[];
  /** How many markers were written when EndTxn was answered. */
  writtenBefore: number;
}

test(`seeded histories keep every acknowledged commit or abort (seed ${SEED})`, async () => {
  console.log(`[txn-coordinator fuzz] seed=${SEED} (replay with TRIBUTARY_SEED=${SEED})`);
  const random = seededRandom(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  let checkedMarkers = 0;
  let restarts = 0;
  for (let history = 0; history < HISTORIES; history++) {
    const h = new Harness({ abortTimedOutTransactionsIntervalMs: 1000, transactionStateLogNumPartitions: 3 });
    await h.loadAll();
    let coordinatorEpoch = 0;
    let markersFailing = false;
    const written: Written[] = [];
    const acknowledged: Acknowledged[] = [];
    h.sink.writeMarkers = async (request: TransactionMarkerRequest): Promise<PartitionMarkerResult[]> =>
      request.partitions.map((tp) => {
        const fails = markersFailing && random() < 0.7;
        if (!fails) {
          written.push({ producerId: request.producerId, producerEpoch: request.producerEpoch, committed: request.committed, partition: `${tp.topic}-${tp.partition}` });
        }
        return { ...tp, errorCode: fails ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE };
      });
    /** The producer each id's latest instance holds, and older ones (zombies). */
    const current = new Map<string, { producerId: bigint; producerEpoch: number }>();
    const zombies: { id: string; producerId: bigint; producerEpoch: number }[] = [];

    for (let step = 0; step < STEPS; step++) {
      const id = pick(IDS);
      const producer = current.get(id);
      const action = random();
      const context = `history ${history} step ${step} (seed ${SEED})`;
      if (action < 0.15 || producer === undefined) {
        const result = await h.coordinator.initProducerId(id, 5000);
        if (result.errorCode === ErrorCode.NONE) {
          if (producer) zombies.push({ id, ...producer });
          current.set(id, { producerId: result.producerId, producerEpoch: result.producerEpoch });
        }
      } else if (action < 0.45) {
        const partitions = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({ topic: pick(TOPICS), partition: Math.floor(random() * 3) }));
        await h.coordinator.addPartitionsToTransaction(id, producer.producerId, producer.producerEpoch, partitions);
      } else if (action < 0.65) {
        const before = h.coordinator.describeTransaction(id);
        const committed = random() < 0.6;
        const writtenBefore = written.length;
        const errorCode = await h.coordinator.handleEndTransaction(id, producer.producerId, producer.producerEpoch, committed);
        if (errorCode === ErrorCode.NONE && before.transactionState === 'Ongoing' && before.producerEpoch === producer.producerEpoch) {
          const partitions = before.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`));
          acknowledged.push({ producerId: producer.producerId, producerEpoch: producer.producerEpoch, committed, partitions, writtenBefore });
        }
      } else if (action < 0.72 && zombies.length > 0) {
        const zombie = pick(zombies);
        const errorCode = await h.coordinator.handleEndTransaction(zombie.id, zombie.producerId, zombie.producerEpoch, random() < 0.5);
        const fenced = errorCode === ErrorCode.PRODUCER_FENCED || errorCode === ErrorCode.INVALID_PRODUCER_ID_MAPPING;
        const stillCurrent = current.get(zombie.id)?.producerId === zombie.producerId && current.get(zombie.id)?.producerEpoch === zombie.producerEpoch;
        if (!stillCurrent && !fenced) throw new Error(`${context}: a zombie of ${zombie.id} at epoch ${zombie.producerEpoch} got ${errorCode}`);
      } else if (action < 0.8) {
        markersFailing = !markersFailing;
      } else if (action < 0.93) {
        h.scheduler.advance(Math.floor(random() * 4000));
      } else {
        await flush();
        await h.restart(++coordinatorEpoch);
        restarts++;
      }
      await flush();
    }

    // Heal, let every timeout and retry run, then check.
    markersFailing = false;
    for (let i = 0; i < 10; i++) {
      h.scheduler.advance(2000);
      await flush();
    }
    for (const ack of acknowledged) {
      for (const partition of ack.partitions) {
        checkedMarkers++;
        const first = written.slice(ack.writtenBefore).find((w) => w.partition === partition && w.producerId === ack.producerId && w.producerEpoch === ack.producerEpoch);
        expect({ seed: SEED, history, ack: { ...ack, producerId: String(ack.producerId) }, partition, committed: first?.committed }).toEqual({
          seed: SEED,
          history,
          ack: { ...ack, producerId: String(ack.producerId) },
          partition,
          committed: ack.committed,
        });
      }
    }
    const settled = IDS.map((id) => h.coordinator.describeTransaction(id));
    for (const described of settled) {
      if (described.errorCode !== ErrorCode.NONE) continue;
      expect({ seed: SEED, history, id: described.transactionalId, state: described.transactionState }).toEqual({
        seed: SEED,
        history,
        id: described.transactionalId,
        state: expect.stringMatching(/^(Empty|CompleteCommit|CompleteAbort)$/),
      });
    }
    expect(h.coordinator.markerChannel.pendingTransactionalIds).toEqual([]);
    await h.restart(++coordinatorEpoch);
    await flush();
    // Kafka keeps an Empty id's previous start time in memory while its record says -1 (InitProducerId's
    // transition leaves the field alone, TransactionMetadata.completeTransitionTo), so a reload shows -1 there.
    const comparable = (described: ReturnType<typeof h.coordinator.describeTransaction>) =>
      described.transactionState === 'Empty' ? { ...described, transactionStartTimeMs: -1n } : described;
    expect(IDS.map((id) => comparable(h.coordinator.describeTransaction(id)))).toEqual(settled.map(comparable));
    h.coordinator.shutdown();
  }
  // Histories that never acknowledged an end or never restarted would prove little.
  expect(checkedMarkers).toBeGreaterThan(HISTORIES * 5);
  expect(restarts).toBeGreaterThan(HISTORIES);
});
