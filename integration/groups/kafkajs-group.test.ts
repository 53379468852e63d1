/**
 * Consumer groups with kafkajs against a Tributary started as a user starts it: three members share a
 * 6-partition topic exactly once; a member leaving and a member killed (session timeout) both rebalance with no
 * record skipped; committed offsets survive a broker restart and the group resumes where it stopped.
 */
import path from 'node:path';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { startProcess } from '../helpers/processes';
import { useTempDirs } from '../helpers/tmp';
import { TributaryProcess } from '../broker/tributary-process';

jest.setTimeout(180_000);

const tempDir = useTempDirs('groups-kafkajs');
let logDir: string;
let broker: TributaryProcess;
const consumers: Consumer[] = [];

beforeAll(async () => {
  logDir = tempDir();
  broker = await TributaryProcess.start(logDir);
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(consumers.map((consumer) => consumer.disconnect()));
  await broker?.stop();
});

const kafka = () => new Kafka({ clientId: 'groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100 } });

async function createTopic(name: string, partitions: number): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

async function produce(topic: string, from: number, to: number): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  for (let start = from; start < to; start += 2_000) {
    const messages = [];
    for (let i = start; i < Math.min(to, start + 2_000); i++) messages.push({ key: `k${i}`, value: String(i) });
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

async function committedTotal(groupId: string, topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const started = Date.now();
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // TRIBUTARY_TRACE=1 prints how long each phase took (rebalances, catching up).
  if (process.env.TRIBUTARY_TRACE) console.log(`${what}: ${Date.now() - started} ms`);
}

interface Member {
  consumer: Consumer;
  seen: string[];
  /** Partitions of the last assignment this member received. */
  assigned: number;
}

async function startMember(groupId: string, topic: string): Promise<Member> {
  const consumer = kafka().consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 20_000 });
  consumers.push(consumer);
  const member: Member = { consumer, seen: [], assigned: 0 };
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    member.assigned = Object.values(event.payload.memberAssignment).reduce((sum, partitions) => sum + partitions.length, 0);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      member.seen.push(message.value!.toString());
    },
  });
  return member;
}

test('three members share 60 000 records of a 6-partition topic, each consumed exactly once', async () => {
  await createTopic('orders', 6);
  const members = await Promise.all([0, 1, 2].map(() => startMember('g-once', 'orders')));
  await waitFor('a stable group of three with two partitions each', () => members.every((m) => m.assigned === 2));
  await produce('orders', 0, 60_000);
  const union = () => new Set(members.flatMap((m) => m.seen));
  await waitFor('every record consumed', () => union().size === 60_000);
  await waitFor('offsets committed to the log end', async () => (await committedTotal('g-once', 'orders')) === 60_000);
  const deliveries = members.reduce((sum, m) => sum + m.seen.length, 0);
  expect(deliveries).toBe(60_000);
  expect(members.map((m) => m.seen.length > 0)).toEqual([true, true, true]);
  await Promise.all(members.map((m) => m.consumer.disconnect()));
});

test('a member leaving and a member killed both rebalance, and no record is skipped', async () => {
  await createTopic('churn', 6);
  const stays = await startMember('g-churn', 'churn');
  const leaves = await startMember('g-churn', 'churn');
  const child = startProcess(process.execPath, [path.join(__dirname, 'kafkajs-member.js'), broker.bootstrap, 'churn', 'g-churn'], {
    description: 'kafkajs member',
  });
  try {
    const childSeen = () => child.log.split('\n').flatMap((line) => (line.startsWith('{"values"') ? (JSON.parse(line).values as string[]) : []));
    await waitFor('three members with two partitions each', () => stays.assigned === 2 && leaves.assigned === 2 && /"joined":\{"churn":\[\d+,\d+\]\}/.test(child.log));
    const union = () => new Set([...stays.seen, ...leaves.seen, ...childSeen()]);

    await produce('churn', 0, 10_000);
    await waitFor('the first 10 000 records', () => union().size === 10_000);

    // A member leaves (LeaveGroup): the other two take its partitions.
    await leaves.consumer.disconnect();
    await waitFor('a rebalance over the two remaining members', () => stays.assigned === 3);
    await produce('churn', 10_000, 15_000);
    await waitFor('the next 5 000 records', () => union().size === 15_000);

    // A member is killed: only its session timeout (6 s) tells the coordinator; then the survivor owns all six.
    child.child.kill('SIGKILL');
    await produce('churn', 15_000, 20_000);
    await waitFor('the survivor to own every partition', () => stays.assigned === 6, 60_000);
    await waitFor('every record, none skipped', () => union().size === 20_000, 60_000);
    const seen = union();
    const missing = Array.from({ length: 20_000 }, (_, i) => String(i)).filter((value) => !seen.has(value));
    expect(missing).toEqual([]);
  } finally {
    await child.stop();
    await stays.consumer.disconnect();
  }
});

test('committed offsets survive a broker restart and the group resumes where it stopped', async () => {
  await createTopic('resume', 3);
  await produce('resume', 0, 3_000);
  const first = await startMember('g-resume', 'resume');
  await waitFor('the first 3 000 records', () => new Set(first.seen).size === 3_000);
  await waitFor('offsets committed', async () => (await committedTotal('g-resume', 'resume')) === 3_000);
  await first.consumer.disconnect();

  await broker.stop();
  broker = await TributaryProcess.start(logDir);
  await waitFor('the committed offsets, reloaded from __consumer_offsets', async () => (await committedTotal('g-resume', 'resume').catch(() => -1)) === 3_000, 30_000);

  await produce('resume', 3_000, 4_000);
  const second = await startMember('g-resume', 'resume');
  await waitFor('the 1 000 new records', () => new Set(second.seen).size === 1_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  // Only records after the committed offsets: the group resumed where it stopped.
  expect(second.seen.map(Number).every((value) => value >= 3_000)).toBe(true);
  expect(new Set(second.seen).size).toBe(1_000);
  await second.consumer.disconnect();
});
