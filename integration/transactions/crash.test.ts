/**
 * Transactions survive SIGKILL: for 20 rounds a kafkajs transactional producer (crash-child.js) writes small
 * transactions over three partitions, committing most and aborting some, while the broker is SIGKILLed at a
 * random moment — mid-send, mid-commit, mid-abort, while the markers are written. The broker restarts on the
 * same data, and a read_committed consumer must then see every transaction the producer saw commit, whole, and
 * no aborted or half transaction. A transaction whose commit was cut short may come out either way, but whole.
 * Replay a run with TRIBUTARY_SEED=<seed>. Passed against Kafka 3.9 first (TXN_BROKER=kafka).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describeWithPeers } from '../helpers/peers';
import { createTopics, kafkaClient } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';
import { seedFromEnv, seededRandom } from '@tributary/storage';

const ROUNDS = Number(process.env.TXN_CRASH_ROUNDS ?? 20);
const PARTITIONS = 3;
const TOPIC = 'crash-txn';
/** Short, so that a transaction the crash left open is aborted by its timeout within a round. */
const TRANSACTION_TIMEOUT_MS = 3_000;
const SEED = seedFromEnv();

jest.setTimeout(brokerKind === 'kafka' ? 900_000 : 240_000);

interface ChildReport {
  committed: Map<string, number>;
  aborted: Set<string>;
  begun: number;
}

/** Runs the child until `killAfterMs` after it is ready, SIGKILLs the broker, then the child; returns what it reported. */
function runRound(broker: TestBroker, round: number, killAfterMs: number): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(__dirname, 'crash-child.js'), broker.bootstrap, TOPIC, String(PARTITIONS), String(round), String((SEED + round) >>> 0), String(TRANSACTION_TIMEOUT_MS)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let killing: Promise<void> | undefined;
    const killBoth = () => {
      killing ??= broker.kill().then(() => {
        child.kill('SIGKILL');
      });
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!killing && stdout.startsWith('ready\n')) setTimeout(killBoth, killAfterMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const watchdog = setTimeout(killBoth, 30_000);
    child.once('error', reject);
    child.once('close', async () => {
      clearTimeout(watchdog);
      if (!killing) {
        reject(new Error(`round ${round}: the producer stopped before the kill:\n${stdout}\n${stderr}`));
        return;
      }
      await killing;
      const report: ChildReport = { committed: new Map(), aborted: new Set(), begun: 0 };
      // Only whole lines count: the last may have been cut by the kill.
      for (const line of stdout.split('\n').slice(0, -1)) {
        const [what, id, count] = line.split(' ');
        if (what === 'committed') report.committed.set(id, Number(count));
        if (what === 'aborted') report.aborted.add(id);
        if (what === 'begin') report.begun++;
      }
      resolve(report);
    });
  });
}

interface Seen {
  count: number;
  indexes: number[];
}

/**
 * Reads the topic read_committed from the start until every committed transaction is there and every transaction
 * seen is whole (markers land on partitions one after another, so a reader may briefly see a transaction on one
 * partition before another); fails at once on an aborted transaction or a record seen twice.
 */
async function verify(broker: TestBroker, committed: Map<string, number>, aborted: Set<string>, round: number): Promise<number> {
  const consumer = kafkaClient(broker.bootstrap, 'crash-reader').consumer({ groupId: `crash-reader-${round}-${Date.now()}`, maxWaitTimeInMs: 100, sessionTimeout: 10_000 });
  const seen = new Map<string, Seen>();
  let failure: string | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const record = JSON.parse(message.value!.toString()) as { txn: string; index: number; count: number };
        if (aborted.has(record.txn)) failure ??= `aborted transaction ${record.txn} is visible (partition ${partition} offset ${message.offset})`;
        const entry = seen.get(record.txn) ?? { count: record.count, indexes: [] };
        if (entry.indexes.includes(record.index)) failure ??= `record ${record.index} of ${record.txn} seen twice (partition ${partition} offset ${message.offset})`;
        entry.indexes.push(record.index);
        seen.set(record.txn, entry);
      },
    });
    const settled = () => [...committed.keys()].every((id) => seen.has(id)) && [...seen.values()].every((s) => s.indexes.length === s.count);
    const deadline = Date.now() + 4 * TRANSACTION_TIMEOUT_MS + 20_000;
    while (!failure && !settled()) {
      if (Date.now() > deadline) {
        const missing = [...committed.keys()].filter((id) => !seen.has(id));
        const partial = [...seen.entries()].filter(([, s]) => s.indexes.length !== s.count).map(([id, s]) => `${id}: ${s.indexes.length}/${s.count}`);
        failure = `not settled: committed but missing ${JSON.stringify(missing.slice(0, 10))} (${missing.length}), partial ${JSON.stringify(partial.slice(0, 10))} (${partial.length})`;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await consumer.disconnect();
  }
  if (failure) throw new Error(`round ${round} (seed ${SEED}): ${failure}`);
  // Whole means each index once: with no duplicate seen, the count matching means indexes 0..count-1.
  for (const s of seen.values()) expect(s.indexes.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: s.count }, (_, i) => i));
  return seen.size;
}

describeWithPeers(brokerPeers(), `transactions survive SIGKILL of the broker (against ${brokerKind})`, () => {
  let broker: TestBroker;

  beforeAll(async () => {
    console.log(`[txn crash] seed=${SEED} (replay with TRIBUTARY_SEED=${SEED})`);
    broker = await startTestBroker({
      settings: {
        'transaction.abort.timed.out.transaction.cleanup.interval.ms': 500,
      },
    });
    await createTopics(broker.bootstrap, [{ topic: TOPIC, numPartitions: PARTITIONS }]);
  }, 180_000);

  afterAll(async () => {
    await broker?.close();
  });

  test(`${ROUNDS} rounds of SIGKILL mid-transaction: every committed transaction whole, no aborted or half one`, async () => {
    const random = seededRandom(SEED);
    const committed = new Map<string, number>();
    const aborted = new Set<string>();
    let visible = 0;
    let roundsWithCommits = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const report = await runRound(broker, round, 50 + Math.floor(random() * 1_200));
      for (const [id, count] of report.committed) committed.set(id, count);
      for (const id of report.aborted) aborted.add(id);
      if (report.committed.size > 0) roundsWithCommits++;
      await broker.start();
      visible = await verify(broker, committed, aborted, round);
    }
    console.log(`[txn crash] ${ROUNDS} kills: ${committed.size} transactions committed, ${aborted.size} aborted, ${visible} visible at the end (${brokerKind})`);
    // Kills that all landed before the first commit would prove nothing.
    expect(roundsWithCommits).toBeGreaterThanOrEqual(ROUNDS / 2);
    expect(committed.size).toBeGreaterThan(ROUNDS * 2);
    expect(aborted.size).toBeGreaterThan(0);
  });
});
