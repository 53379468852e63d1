// Our __consumer_offsets records against Kafka's own code (the Kafka 3.9 jars scripts/kafka-tool fetches):
// 1. every key and value we write is byte-identical to what Kafka's generated classes and MessageUtil (what
//    GroupMetadataManager uses) produce for the same content;
// 2. Kafka's kafka-dump-log --offsets-decoder (GroupMetadataManager's formatter) reads a segment of our log.
// Needs java and javac plus the jars; skipped without them, except under CI=true, where it fails.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Reader, RecordBatch, asGroupId, asTopicName, decodeGroupMetadataValue, decodeOffsetCommitValue } from '@tributary/protocol';
import { decodeCoordinatorRecord } from '../src';
import { GROUP, Harness, flush } from './harness';

const REPO = path.resolve(__dirname, '../../..');
const KAFKA_TOOL = path.join(REPO, 'scripts/kafka-tool');
const JAVA_SOURCE = path.join(__dirname, 'java/KafkaGroupRecords.java');

function works(tool: string): boolean {
  return spawnSync(tool, ['-version'], { stdio: 'ignore' }).status === 0;
}

function kafkaClasspath(): string | null {
  if (!fs.existsSync(KAFKA_TOOL) || spawnSync(KAFKA_TOOL, ['--status'], { stdio: 'ignore' }).status !== 0) return null;
  const printed = spawnSync(KAFKA_TOOL, ['--classpath'], { encoding: 'utf8' });
  return printed.status === 0 && printed.stdout.trim() !== '' ? printed.stdout.trim() : null;
}

const classpath = works('java') && works('javac') ? kafkaClasspath() : null;
const missing = !works('java') || !works('javac') ? 'java/javac are not installed' : classpath === null ? 'Kafka jars not fetched (scripts/kafka-tool --fetch-only)' : null;

/** Kafka's JSON converter format: camelCase fields, int64 as numbers, bytes as base64. */
function toKafkaJson(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toKafkaJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '_unknownTaggedFields').map(([k, v]) => [k, toKafkaJson(v)]));
  }
  return value;
}

/** Writes a realistic log: a Stable group with static and dynamic members, commits of every kind, deletions. */
async function buildLog(): Promise<Harness> {
  const h = new Harness();
  await h.loadAll();
  const { memberIds, generationId } = await h.stableGroup(2);
  const staticJoin = h.join({ groupInstanceId: 'instance-1', clientId: 'static-client' });
  const rejoins = await Promise.all([staticJoin, ...memberIds.map((id) => h.join({ memberId: id }))]);
  const generation = rejoins[0].generationId;
  const all = rejoins.map((r) => r.memberId);
  const leader = rejoins[0].leader;
  await Promise.all(all.map((id) => h.sync(id, generation, id === leader ? all.map((m) => ({ memberId: m, assignment: Buffer.from(`assignment ${m}`) })) : [], { groupInstanceId: id === all[0] ? 'instance-1' : null })));
  expect(generation).toBe(generationId + 1);
  await h.commit([{ topic: 'orders', partition: 0, offset: 42n }, { topic: 'orders', partition: 1, offset: 1n << 40n, metadata: 'ünïcödé' }], { memberId: all[1], generationId: generation });
  await h.commit([{ topic: 'audit', partition: 3, offset: 7n, metadata: null }], { groupId: 'simple', retentionTimeMs: 86_400_000n });
  await h.coordinator.deleteOffsets({ groupId: asGroupId('simple'), topics: [{ name: asTopicName('audit'), partitions: [{ partitionIndex: 3 }] }] });
  h.leave(all.map((memberId) => ({ memberId })));
  await flush();
  expect(h.state()).toBe('Empty');
  await h.coordinator.deleteGroups({ groupsNames: [asGroupId('ignored')] });
  return h;
}

if (missing !== null && process.env.CI === 'true') {
  test('Kafka cross-check prerequisites are installed in CI', () => {
    throw new Error(`the Kafka cross-check cannot run under CI: ${missing}`);
  });
} else if (missing !== null) {
  test.skip(`Kafka cross-check skipped: ${missing}`, () => undefined);
} else {
  describe('our __consumer_offsets records are Kafka 3.9 records', () => {
    let work: string;
    let h: Harness;

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-group-records-'));
      const compiled = spawnSync('javac', ['-d', work, '-cp', classpath!, JAVA_SOURCE], { encoding: 'utf8' });
      if (compiled.status !== 0) throw new Error(`javac failed: ${compiled.stderr}`);
      h = await buildLog();
    }, 60_000);

    afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

    function allRecords() {
      const partitions = h.coordinator.config.offsetsTopicNumPartitions;
      return Array.from({ length: partitions }, (_, p) => h.log.batches(p).flatMap((b) => new RecordBatch(b).records())).flat();
    }

    it('writes keys and values byte for byte as Kafka encodes the same content', () => {
      const specs: { type: string; version: number; data: unknown }[] = [];
      const ours: string[] = [];
      const kinds = new Set<string>();
      for (const record of allRecords()) {
        const key = new Reader(record.key!);
        const keyVersion = key.int16();
        const decoded = decodeCoordinatorRecord(record.key!, record.value);
        if (decoded.type === 'offset') {
          specs.push({ type: 'OffsetCommitKey', version: keyVersion, data: { group: decoded.group, topic: decoded.topic, partition: decoded.partition } });
        } else if (decoded.type === 'group') {
          specs.push({ type: 'GroupMetadataKey', version: keyVersion, data: { group: decoded.group } });
        } else {
          throw new Error(`we wrote a record Kafka's classic coordinator does not know: key version ${keyVersion}`);
        }
        ours.push(record.key!.toString('hex'));
        if (record.value === null) {
          kinds.add(`${decoded.type} tombstone`);
          continue;
        }
        const value = new Reader(record.value);
        const valueVersion = value.int16();
        const type = decoded.type === 'offset' ? 'OffsetCommitValue' : 'GroupMetadataValue';
        const struct = decoded.type === 'offset' ? decodeOffsetCommitValue(value, valueVersion) : decodeGroupMetadataValue(value, valueVersion);
        kinds.add(`${type} v${valueVersion}`);
        specs.push({ type, version: valueVersion, data: toKafkaJson(struct) });
        ours.push(record.value.toString('hex'));
      }
      // The log holds every kind of record the coordinator writes.
      expect([...kinds].sort()).toEqual(['GroupMetadataValue v3', 'OffsetCommitValue v1', 'OffsetCommitValue v3', 'offset tombstone']);
      const input = path.join(work, 'records.json');
      fs.writeFileSync(input, JSON.stringify(specs));
      const run = spawnSync('java', ['-cp', `${classpath}${path.delimiter}${work}`, 'KafkaGroupRecords', input], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`KafkaGroupRecords failed: ${run.stderr}`);
      const kafka = run.stdout.trim().split('\n');
      expect(kafka).toHaveLength(ours.length);
      kafka.forEach((hex, i) => expect({ record: specs[i].type, bytes: ours[i] }).toEqual({ record: specs[i].type, bytes: hex }));
    }, 60_000);

    it("kafka-dump-log's offsets decoder reads our segment", () => {
      const partition = h.coordinator.partitionFor(GROUP);
      const dir = path.join(work, `__consumer_offsets-${partition}`);
      fs.mkdirSync(dir);
      const segment = path.join(dir, '00000000000000000000.log');
      fs.writeFileSync(segment, Buffer.concat(h.log.batches(partition)));
      const run = spawnSync(KAFKA_TOOL, ['kafka-dump-log', '--offsets-decoder', '--files', segment], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`kafka-dump-log failed: ${run.stderr}`);
      const batchLines = run.stdout.split('\n').filter((line) => line.startsWith('baseOffset:'));
      expect(batchLines.length).toBe(h.log.batches(partition).length);
      for (const line of batchLines) expect(line).toMatch(/ magic: 2 compresscodec: none crc: \d+ isvalid: true$/);
      const decodedByKafka = run.stdout
        .split('\n')
        .filter((line) => line.startsWith('| offset:'))
        .map((line) => {
          const match = / key: (.*) payload: (.*)$/.exec(line);
          if (match === null) throw new Error(`unexpected dump-log line: ${line}`);
          return { key: JSON.parse(match[1]), payload: match[2] === '<DELETE>' ? null : JSON.parse(match[2]) };
        });
      const ours = h.log.batches(partition).flatMap((b) => new RecordBatch(b).records());
      expect(decodedByKafka).toHaveLength(ours.length);
      ours.forEach((record, i) => {
        const kafka = decodedByKafka[i];
        const decoded = decodeCoordinatorRecord(record.key!, record.value);
        if (decoded.type === 'offset') {
          expect(kafka.key).toEqual({ type: '1', data: { group: decoded.group, topic: decoded.topic, partition: decoded.partition } });
          if (decoded.value === null) expect(kafka.payload).toBeNull();
          else {
            expect(Number(decoded.value.offset)).toBe(kafka.payload.data.offset);
            expect(kafka.payload.data.metadata).toBe(decoded.value.metadata);
            expect(kafka.payload.data.commitTimestamp).toBe(decoded.value.commitTimestampMs);
          }
        } else if (decoded.type === 'group') {
          expect(kafka.key).toEqual({ type: '2', data: { group: decoded.group } });
          const value = decoded.value!;
          expect(kafka.payload.data).toMatchObject({
            protocolType: value.protocolType,
            generation: value.generation,
            protocol: value.protocol,
            leader: value.leader,
            currentStateTimestamp: Number(value.currentStateTimestamp),
          });
          expect(kafka.payload.data.members).toEqual(
            value.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              rebalanceTimeout: m.rebalanceTimeout,
              sessionTimeout: m.sessionTimeout,
              // Kafka's formatter parses consumer subscriptions; ours carry topic "t".
              subscription: { topics: ['t'], userData: null, ownedPartitions: [] },
              assignment: m.assignment.toString('base64'),
            })),
          );
        }
      });
      // The dump covered members, offsets, a tombstone and the Empty group record.
      expect(decodedByKafka.some((r) => r.payload === null)).toBe(true);
      expect(decodedByKafka.at(-1)!.payload.data).toMatchObject({ protocol: null, leader: null, members: [] });
    }, 60_000);
  });
}
