/**
 * Damaged record batches sent to a running broker: each gets Kafka's per-partition error (or, with acks=0, a
 * closed connection), nothing damaged reaches the log, and the broker keeps serving that connection and others
 * with nothing lost.
 */
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey, ErrorCode, ProduceRequest, ProduceResponse, buildRecordBatch, decodeResponseFrame, encodeRequestFrame } from '@tributary/protocol';
import { useTempDirs } from '../helpers/tmp';
import { RawClient } from './raw-client';
import { storedRecords } from './segment-records';
import { TributaryProcess } from './tributary-process';

const tempDir = useTempDirs('corrupt-batches');
let logDir: string;
let broker: TributaryProcess;
let kafka: Kafka;
const TOPIC = 'guarded';

beforeAll(async () => {
  logDir = tempDir();
  broker = await TributaryProcess.start(logDir);
  kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'corrupt-test', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  await admin.disconnect();
}, 60_000);
afterAll(async () => broker?.stop());

let correlation = 0;
function produceFrame(records: Buffer, acks = -1): { frame: Buffer; correlationId: number } {
  const request: ProduceRequest = { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: TOPIC as never, partitionData: [{ index: 0, records }] }] };
  const correlationId = ++correlation;
  return { frame: encodeRequestFrame(ApiKey.Produce, 9, correlationId, 'raw-producer', request), correlationId };
}

async function produceRaw(client: RawClient, records: Buffer): Promise<ProduceResponse.PartitionProduceResponse> {
  const before = client.frames.length;
  const { frame, correlationId } = produceFrame(records);
  client.send(frame);
  await client.until(() => client.frames.length > before || client.closed, 'a produce response');
  expect(client.closed).toBe(false);
  const decoded = decodeResponseFrame(ApiKey.Produce, 9, client.frames[before]);
  expect(decoded.correlationId).toBe(correlationId);
  return decoded.response.responses[0].partitionResponses[0];
}

const good = (values: string[]) => buildRecordBatch({ records: values.map((value, i) => ({ timestamp: BigInt(1_700_000_000_000 + i), key: null, value: Buffer.from(value) })) });

test('bad CRC, impossible sizes and cut batches get Kafka errors; the connection, other clients and the log are unharmed', async () => {
  const client = await RawClient.connect(broker.host, broker.port);
  // Another client keeps producing throughout: none of its records may be lost or reordered.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let sent = 0;
  let stop = false;
  const background = (async () => {
    while (!stop) {
      await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 10 }, () => ({ value: `bg-${sent++}` })) });
    }
  })();

  try {
    expect(await produceRaw(client, good(['first']))).toMatchObject({ errorCode: 0 });

    const badCrc = good(['corrupt-1', 'corrupt-2']);
    badCrc[badCrc.length - 2] ^= 0x55;
    expect(await produceRaw(client, badCrc)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1n, logStartOffset: -1n });

    // A batch whose length field is smaller than any batch header: Kafka's batch iterator calls it corrupt.
    const tooSmall = good(['small']);
    tooSmall.writeInt32BE(10, 8);
    expect(await produceRaw(client, tooSmall)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE });

    // A batch cut short inside the request: no whole batch, which v3+ requires (INVALID_RECORD).
    const whole = good(['cut-1', 'cut-2', 'cut-3']);
    expect(await produceRaw(client, whole.subarray(0, whole.length - 7))).toMatchObject({ errorCode: ErrorCode.INVALID_RECORD });

    // An unknown magic byte.
    const badMagic = good(['magic']);
    badMagic.writeInt8(7, 16);
    expect(await produceRaw(client, badMagic)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE });

    // Garbage with a plausible header: the records do not decode, but the CRC catches it first.
    const garbage = Buffer.concat([good(['g']).subarray(0, 61), Buffer.alloc(40, 0xab)]);
    garbage.writeInt32BE(garbage.length - 12, 8);
    expect(await produceRaw(client, garbage)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE });

    expect(await produceRaw(client, good(['last']))).toMatchObject({ errorCode: 0 });
  } finally {
    stop = true;
    await background;
    await producer.disconnect();
    client.close();
  }

  const stored = storedRecords(logDir, TOPIC, 0);
  const values = stored.map((r) => r.value);
  expect(values.filter((v) => v?.startsWith('bg-'))).toEqual(Array.from({ length: sent }, (_, i) => `bg-${i}`));
  expect(values.filter((v) => !v?.startsWith('bg-'))).toEqual(['first', 'last']);
  expect(stored.map((r) => r.offset)).toEqual(stored.map((_, i) => BigInt(i)));
}, 60_000);

test('with acks=0 a damaged batch closes only its own connection, as Kafka does', async () => {
  const victim = await RawClient.connect(broker.host, broker.port);
  const bystander = await RawClient.connect(broker.host, broker.port);
  try {
    const badCrc = good(['zero-acks']);
    badCrc[badCrc.length - 1] ^= 1;
    victim.send(produceFrame(badCrc, 0).frame);
    await victim.until(() => victim.closed, 'the broker to close the acks=0 connection');
    expect(victim.frames).toHaveLength(0);
    expect(await produceRaw(bystander, good(['after']))).toMatchObject({ errorCode: 0 });
  } finally {
    victim.close();
    bystander.close();
  }
  expect(storedRecords(logDir, TOPIC, 0).map((r) => r.value)).not.toContain('zero-acks');
});
