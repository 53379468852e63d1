// Group rebalancing with real kafkajs clients: how long a 10-member group takes to stabilise (from the members'
// start to every member holding its share of a 10-partition topic), and how long the 9 that stay take to
// rebalance after one member leaves (LeaveGroup to every remaining member holding its new share). Tributary
// (the CLI, as a user starts it) and Apache Kafka 3.9 (when scripts/kafka-tool has its jars) run in the same
// process, alternating rounds, with the same settings: group.initial.rebalance.delay.ms=0 on both, so the
// figures are the coordinators' and clients' own work rather than a configured wait.
//
//   npm run bench -- groups        (needs `npx tsc -b` first: Tributary runs from packages/cli/dist)
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { TributaryProcess } from '../../../integration/broker/tributary-process';
import { RealKafka, startRealKafka } from '../../../integration/helpers/real-kafka';
import { makeTempDir, removeTempDir } from '../../../integration/helpers/tmp';

const MEMBERS = 10;
const PARTITIONS = 10;
const ROUNDS = Number(process.env.GROUPS_BENCH_ROUNDS ?? 3);
const TOPIC = 'bench-groups';

interface Round {
  stabiliseMs: number;
  rebalanceAfterLeaveMs: number;
}

interface Member {
  consumer: Consumer;
  /** Partitions of its latest assignment. */
  assigned: number;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function prepare(bootstrap: string): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
}

async function round(bootstrap: string, groupId: string): Promise<Round> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const members: Member[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: MEMBERS }, async () => {
      // Short heartbeat and fetch waits, the same for both brokers, so that members notice a rebalance promptly.
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 30_000, heartbeatInterval: 100, maxWaitTimeInMs: 100 });
      const member: Member = { consumer, assigned: 0 };
      members.push(member);
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        member.assigned = Object.values(event.payload.memberAssignment).reduce((sum, partitions) => sum + partitions.length, 0);
      });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async () => undefined });
    }),
  );
  await waitFor(() => members.every((member) => member.assigned === 1), 'a stable group of ten');
  const stabiliseMs = performance.now() - started;

  const [leaving, ...staying] = members;
  for (const member of staying) member.assigned = 0;
  const left = performance.now();
  await leaving.consumer.disconnect();
  await waitFor(() => staying.every((member) => member.assigned > 0) && staying.reduce((sum, m) => sum + m.assigned, 0) === PARTITIONS, 'the rebalance after a leave');
  const rebalanceAfterLeaveMs = performance.now() - left;
  await Promise.all(staying.map((member) => member.consumer.disconnect()));
  return { stabiliseMs, rebalanceAfterLeaveMs };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const spread = (values: number[]): string => `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`;

async function main(): Promise<void> {
  const logDir = makeTempDir('bench-groups');
  const tributary = await TributaryProcess.start(logDir, ['group.initial.rebalance.delay.ms=0']);
  let kafka: RealKafka | undefined;
  try {
    kafka = await startRealKafka();
  } catch (error) {
    console.log(`Apache Kafka not available, Tributary only: ${(error as Error).message.split('\n')[0]}`);
  }
  const results = new Map<string, Round[]>([['Tributary', []]]);
  if (kafka) results.set('Kafka 3.9', []);
  try {
    await prepare(tributary.bootstrap);
    if (kafka) await prepare(kafka.bootstrap);
    for (let r = 0; r < ROUNDS; r++) {
      results.get('Tributary')!.push(await round(tributary.bootstrap, `bench-${r}`));
      if (kafka) results.get('Kafka 3.9')!.push(await round(kafka.bootstrap, `bench-${r}`));
    }
  } finally {
    await tributary.stop();
    await kafka?.stop();
    removeTempDir(logDir);
  }
  console.log(`\n${MEMBERS} kafkajs members, ${PARTITIONS} partitions, ${ROUNDS} rounds (median, min-max in ms)`);
  console.log('broker       stabilise            rebalance after one leaves');
  for (const [name, rounds] of results) {
    const stabilise = rounds.map((x) => x.stabiliseMs);
    const rebalance = rounds.map((x) => x.rebalanceAfterLeaveMs);
    console.log(
      `${name.padEnd(12)} ${median(stabilise).toFixed(0).padStart(6)} (${spread(stabilise)})`.padEnd(34) +
        ` ${median(rebalance).toFixed(0).padStart(6)} (${spread(rebalance)})`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
