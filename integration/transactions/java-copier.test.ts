/**
 * The Java client in transactions, consume-transform-produce: Kafka's own TransactionalMessageCopier (the
 * system tests' exactly-once copier, kafka-tools jar) reads an input partition read_committed and copies each
 * batch it polls to an output topic in one transaction with its consumed offsets (sendOffsetsToTransaction),
 * aborting a random third of its transactions (--enable-random-aborts). kafka-verifiable-producer.sh fills the
 * input. In the middle of the copy the broker is stopped (SIGTERM), or killed (SIGKILL) in a second run, and
 * started again on the same data; a copier
 * that dies of it is started again, as a deployment would. Afterwards the Java console consumer reads the output
 * read_committed: every input record exactly once, in order; read_uncommitted also shows the aborted copies.
 * Passed against Kafka 3.9 first (TXN_BROKER=kafka).
 */
import { runKafkaTool } from '../helpers/kafka-tools';
import { kafkaToolScript } from '../helpers/paths';
import { describeWithPeers } from '../helpers/peers';
import { startProcess, type ManagedProcess } from '../helpers/processes';
import { createTopics, kafkaClient, latestOffset } from './clients';
import { brokerKind, brokerPeers, startTestBroker, type TestBroker } from './test-broker';

jest.setTimeout(brokerKind === 'kafka' ? 600_000 : 240_000);

const INPUT = 3_000;
const RESTART_AFTER = 800;
const VARIANTS = ['SIGTERM', 'SIGKILL'] as const;
type Variant = (typeof VARIANTS)[number];

interface CopierStatus {
  stage: string;
  totalProcessed: number;
  remaining: number;
}

function statuses(log: string): CopierStatus[] {
  return [...log.matchAll(/"stage":"(\w+)".*?"totalProcessed":(\d+).*?"remaining":(\d+)/g)].map((m) => ({ stage: m[1], totalProcessed: Number(m[2]), remaining: Number(m[3]) }));
}

describeWithPeers(brokerPeers('kafka-tools'), `Java TransactionalMessageCopier across a broker restart (against ${brokerKind})`, () => {
  let broker: TestBroker;
  const copiers: ManagedProcess[] = [];

  beforeAll(async () => {
    broker = await startTestBroker();
    await createTopics(broker.bootstrap, VARIANTS.flatMap((how) => [{ topic: `copier-in-${how}` }, { topic: `copier-out-${how}` }]));
    for (const how of VARIANTS) {
      const fill = await runKafkaTool('kafka-verifiable-producer.sh', ['--bootstrap-server', broker.bootstrap, '--topic', `copier-in-${how}`, '--max-messages', String(INPUT), '--acks', '-1'], {
        timeoutMs: 120_000,
      });
      if (fill.code !== 0) throw new Error(`kafka-verifiable-producer.sh failed:\n${fill.stdout}\n${fill.stderr}`);
      expect(fill.stdout).toContain(`"acked":${INPUT}`);
      expect(await latestOffset(broker.bootstrap, `copier-in-${how}`, 0, 1)).toBe(INPUT);
    }
  }, 300_000);

  afterAll(async () => {
    for (const copier of copiers) await copier.stop();
    await broker?.close();
  });

  function startCopier(how: Variant): ManagedProcess {
    const copier = startProcess(
      kafkaToolScript,
      [
        'org.apache.kafka.tools.TransactionalMessageCopier',
        '--broker-list', broker.bootstrap,
        '--input-topic', `copier-in-${how}`,
        '--input-partition', '0',
        '--output-topic', `copier-out-${how}`,
        '--transactional-id', `copier-${how}`,
        '--consumer-group', `copier-group-${how}`,
        '--transaction-size', '25',
        '--transaction-timeout', '20000',
        '--enable-random-aborts',
      ],
      { description: 'TransactionalMessageCopier' },
    );
    copiers.push(copier);
    return copier;
  }

  function exited(copier: ManagedProcess): Promise<number | null> {
    if (copier.hasExited) return Promise.resolve(copier.child.exitCode);
    return new Promise((resolve) => copier.child.once('exit', (code) => resolve(code)));
  }

  async function consume(how: Variant, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
    const result = await runKafkaTool(
      'kafka-console-consumer.sh',
      ['--bootstrap-server', broker.bootstrap, '--topic', `copier-out-${how}`, '--from-beginning', '--isolation-level', isolation, '--timeout-ms', '10000'],
      { timeoutMs: 120_000 },
    );
    // It exits (code 0 here, after a TimeoutException it logs) once nothing arrived for --timeout-ms.
    expect(result.stderr).toMatch(/Processed a total of \d+ messages/);
    return result.stdout.split('\n').filter((line) => line !== '');
  }

  test.each(VARIANTS)(`copies ${INPUT} records exactly once with random aborts and a broker %s and restart in the middle`, async (how) => {
    let copier = startCopier(how);
    const deadline = Date.now() + (brokerKind === 'kafka' ? 400_000 : 200_000);
    // Restart the broker once the copier is well into the input, with work still left.
    while ((statuses(copier.log).at(-1)?.totalProcessed ?? 0) < RESTART_AFTER) {
      if (copier.hasExited) throw new Error(`the copier exited before the restart:\n${copier.log.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`the copier made no progress:\n${copier.log.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const atRestart = statuses(copier.log).at(-1)!;
    expect(atRestart.remaining).toBeGreaterThan(0);
    // SIGTERM: a clean shutdown; SIGKILL: transactions and staged offsets recovered from the logs.
    await (how === 'SIGTERM' ? broker.stop() : broker.kill());
    await broker.start();

    // Until a copier finds nothing left: one that dies of the restart is replaced, taking over its
    // transactional id (fencing it) and resuming from the group's committed offset.
    let runs = 1;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited(copier), new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()))))]);
      clearTimeout(timer);
      if (code === 'late') throw new Error(`the copier did not finish:\n${copier.log.slice(-3000)}`);
      const last = statuses(copier.log).at(-1);
      if (code === 0 && last?.stage === 'ShutdownComplete' && last.remaining === 0) break;
      if (++runs > 5) throw new Error(`the copier kept failing (exit ${code}):\n${copier.log.slice(-3000)}`);
      copier = startCopier(how);
    }
    console.log(`[copier] ${runs} copier run(s); ${how} after ${atRestart.totalProcessed} copied (${brokerKind})`);

    const committed = await consume(how, 'read_committed');
    const expected = Array.from({ length: INPUT }, (_, i) => String(i));
    expect(committed.length).toBe(INPUT);
    expect(committed).toEqual(expected);

    // The aborted copies are in the log, and only read_uncommitted readers see them.
    const uncommitted = await consume(how, 'read_uncommitted');
    expect(uncommitted.length).toBeGreaterThan(INPUT);
    expect(new Set(uncommitted)).toEqual(new Set(expected));

    // The offsets went in with the transactions: the group has committed exactly the whole input.
    const admin = kafkaClient(broker.bootstrap).admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId: `copier-group-${how}`, topics: [`copier-in-${how}`] });
      expect(offsets.partitions[0].offset).toBe(String(INPUT));
    } finally {
      await admin.disconnect();
    }
  });
});
