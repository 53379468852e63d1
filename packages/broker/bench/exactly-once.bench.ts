// Produce throughput with Kafka's own load generator, kafka-producer-perf-test.sh (the Java producer), three ways:
// plain (acks=all, idempotence off), idempotent (enable.idempotence=true: producer id, sequence checks on every
// batch) and transactional (a transaction every 100 ms: AddPartitionsToTxn, EndTxn and a COMMIT marker each).
// Tributary (the CLI, as a user starts it) and Apache Kafka 3.9 (when scripts/kafka-tool has its jars) run in
// the same process, alternating rounds, with the same settings; the best round of each is printed side by side
// with the Tributary/Kafka ratio. The perf test measures itself, so the JVM's start is not in the figures.
//
//   npm run bench -- exactly-once      (needs `npx tsc -b` first: Tributary runs from packages/cli/dist)
//   EOS_BENCH_RECORDS=200000 EOS_BENCH_ROUNDS=2 EOS_BENCH_RECORD_SIZE=512
import { Kafka, logLevel } from 'kafkajs';
import { TributaryProcess } from '../../../integration/broker/tributary-process';
import { runKafkaTool } from '../../../integration/helpers/kafka-tools';
import { RealKafka, startRealKafka } from '../../../integration/helpers/real-kafka';
import { makeTempDir, removeTempDir } from '../../../integration/helpers/tmp';

const RECORDS = Number(process.env.EOS_BENCH_RECORDS ?? 200_000);
const RECORD_SIZE = Number(process.env.EOS_BENCH_RECORD_SIZE ?? 512);
const ROUNDS = Number(process.env.EOS_BENCH_ROUNDS ?? 2);
const TRANSACTION_MS = 100;

interface Mode {
  name: string;
  topic: string;
  args: string[];
}

const MODES: Mode[] = [
  { name: 'plain (acks=all)', topic: 'bench-eos-plain', args: ['--producer-props', 'acks=all', 'enable.idempotence=false'] },
  { name: 'idempotent', topic: 'bench-eos-idempotent', args: ['--producer-props', 'acks=all', 'enable.idempotence=true'] },
  {
    name: `transactional (${TRANSACTION_MS} ms txns)`,
    topic: 'bench-eos-transactional',
    args: ['--producer-props', 'acks=all', 'enable.idempotence=true', '--transactional-id', 'bench-eos', '--transaction-duration-ms', String(TRANSACTION_MS)],
  },
];

interface Figures {
  recordsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
}

async function prepare(bootstrap: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: MODES.map(({ topic }) => ({ topic, numPartitions: 1 })), waitForLeaders: true });
  await admin.disconnect();
}

async function run(broker: string, bootstrap: string, mode: Mode): Promise<Figures> {
  // --producer-props takes every key=value up to the next option, so bootstrap.servers joins the mode's own.
  const [first, ...rest] = mode.args;
  const args = ['--topic', mode.topic, '--num-records', String(RECORDS), '--record-size', String(RECORD_SIZE), '--throughput', '-1', first, `bootstrap.servers=${bootstrap}`, ...rest];
  const result = await runKafkaTool('kafka-producer-perf-test.sh', args, { timeoutMs: 600_000, env: { KAFKA_HEAP_OPTS: '-Xmx512M' } });
  // The summary is the last line: "N records sent, X records/sec (Y MB/sec), Z ms avg latency, ...".
  const summary = result.stdout.match(/(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency[^\n]*th\./);
  if (result.code !== 0 || !summary) throw new Error(`kafka-producer-perf-test.sh (${mode.name}) against ${broker} at ${bootstrap} failed (exit ${result.code}):\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-2000)}`);
  if (Number(summary[1]) !== RECORDS) throw new Error(`only ${summary[1]} of ${RECORDS} records were sent:\n${result.stdout}`);
  return { recordsPerSecond: Number(summary[2]), mbPerSecond: Number(summary[3]), avgLatencyMs: Number(summary[4]) };
}

function best(rounds: Figures[]): Figures {
  return rounds.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
}

function format(f: Figures): string {
  return `${Math.round(f.recordsPerSecond).toLocaleString('en').padStart(9)} rec/s ${f.mbPerSecond.toFixed(1).padStart(6)} MB/s ${f.avgLatencyMs.toFixed(0).padStart(5)} ms avg`;
}

async function main(): Promise<void> {
  const logDir = makeTempDir('bench-eos');
  const tributary = await TributaryProcess.start(logDir, ['offsets.topic.replication.factor=1', 'transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1']);
  let kafka: RealKafka | undefined;
  try {
    kafka = await startRealKafka();
  } catch (error) {
    console.log(`Apache Kafka not available, Tributary only: ${(error as Error).message.split('\n')[0]}`);
  }
  const ours = new Map<string, Figures[]>(MODES.map((m) => [m.name, []]));
  const theirs = new Map<string, Figures[]>(MODES.map((m) => [m.name, []]));
  try {
    await prepare(tributary.bootstrap);
    if (kafka) await prepare(kafka.bootstrap);
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of MODES) {
        ours.get(mode.name)!.push(await run('Tributary', tributary.bootstrap, mode));
        if (kafka) theirs.get(mode.name)!.push(await run('Kafka', kafka.bootstrap, mode));
      }
    }
  } finally {
    await tributary.stop();
    await kafka?.stop();
    removeTempDir(logDir);
  }
  console.log(`\nkafka-producer-perf-test.sh: ${RECORDS.toLocaleString('en')} records of ${RECORD_SIZE} bytes, 1 partition, acks=all, best of ${ROUNDS} rounds`);
  for (const mode of MODES) {
    const mine = best(ours.get(mode.name)!);
    let line = `${mode.name.padEnd(28)} tributary ${format(mine)}`;
    const reference = theirs.get(mode.name)!;
    if (reference.length > 0) {
      const other = best(reference);
      line += `   kafka 3.9 ${format(other)}   ratio ${(mine.recordsPerSecond / other.recordsPerSecond).toFixed(2)}`;
    }
    console.log(line);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
