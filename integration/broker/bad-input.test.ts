/**
 * Hostile and broken input against a live broker: each bad connection gets Kafka's answer or a clean close,
 * and the broker goes on serving everyone else with nothing lost. Seeded garbage prints its seed.
 */
import { ApiKey, ErrorCode, ZERO_UUID, asBrokerId, asTopicName, decodeResponseFrame, encodeRequestFrame } from '@tributary/protocol';
import { useTempDirs } from '../helpers/tmp';
import { RawClient } from './raw-client';
import { TributaryProcess } from './tributary-process';

const tempDir = useTempDirs('broker-bad-input');
let broker: TributaryProcess;
/** A connection opened first and used between every hostile one: it must never be disturbed. */
let bystander: RawClient;
let correlation = 1000;

beforeAll(async () => {
  broker = await TributaryProcess.start(tempDir(), ['num.partitions=3']);
  bystander = await RawClient.connect(broker.host, broker.port);
}, 30_000);

afterAll(async () => {
  bystander?.close();
  const code = await broker?.stop();
  expect(code).toBe(0);
});

const metadataFrame = (correlationId: number, names: string[], allowAutoTopicCreation = false, version = 9) =>
  encodeRequestFrame(ApiKey.Metadata, version, correlationId, 'raw', {
    topics: names.map((name) => ({ topicId: ZERO_UUID, name: asTopicName(name) })),
    // The field exists from v4; before it, creation is implied and the encoder insists on the default.
    allowAutoTopicCreation: version >= 4 ? allowAutoTopicCreation : true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });

/** Asks the bystander connection for metadata: proves the broker still answers it, in order. */
async function bystanderStillServed(): Promise<void> {
  const id = ++correlation;
  const before = bystander.frames.length;
  bystander.send(metadataFrame(id, []));
  await bystander.until(() => bystander.frames.length === before + 1, 'the bystander answer');
  expect(decodeResponseFrame(ApiKey.Metadata, 9, bystander.frames[before]).correlationId).toBe(id);
  expect(bystander.closed).toBe(false);
}

async function expectClosedWithoutAnswer(bytes: Buffer, { endAfterSend = false } = {}): Promise<void> {
  const client = await RawClient.connect(broker.host, broker.port);
  client.send(bytes);
  if (endAfterSend) client.socket.end();
  await client.until(() => client.closed, 'the broker to close the connection');
  expect(client.frames).toEqual([]);
  await bystanderStillServed();
}

test('pipelined requests on one connection are answered in order', async () => {
  const client = await RawClient.connect(broker.host, broker.port);
  const create = encodeRequestFrame(ApiKey.CreateTopics, 7, 2, 'raw', {
    topics: [{ name: asTopicName('pipelined'), numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  const versions = encodeRequestFrame(ApiKey.ApiVersions, 3, 1, 'raw', { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
  client.send(Buffer.concat([versions, create, metadataFrame(3, ['pipelined']), versions.subarray(0), metadataFrame(5, [], false, 0)]));
  await client.until(() => client.frames.length === 5, 'five responses');
  const ids = [
    decodeResponseFrame(ApiKey.ApiVersions, 3, client.frames[0]).correlationId,
    decodeResponseFrame(ApiKey.CreateTopics, 7, client.frames[1]).correlationId,
    decodeResponseFrame(ApiKey.Metadata, 9, client.frames[2]).correlationId,
    decodeResponseFrame(ApiKey.ApiVersions, 3, client.frames[3]).correlationId,
    decodeResponseFrame(ApiKey.Metadata, 0, client.frames[4]).correlationId,
  ];
  expect(ids).toEqual([1, 2, 3, 1, 5]);
  // The Metadata request after CreateTopics on the same connection sees the topic.
  const metadata = decodeResponseFrame(ApiKey.Metadata, 9, client.frames[2]).response;
  expect(metadata.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([['pipelined', 0, 2]]);
  client.close();
});

test('Metadata allowing auto-creation creates a topic: LEADER_NOT_AVAILABLE first, then the topic', async () => {
  const client = await RawClient.connect(broker.host, broker.port);
  client.send(metadataFrame(1, ['auto-one'], true));
  await client.until(() => client.frames.length === 1, 'the first answer');
  expect(decodeResponseFrame(ApiKey.Metadata, 9, client.frames[0]).response.topics[0].errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE);
  client.send(metadataFrame(2, ['auto-one'], true));
  await client.until(() => client.frames.length === 2, 'the second answer');
  const topic = decodeResponseFrame(ApiKey.Metadata, 9, client.frames[1]).response.topics[0];
  expect([topic.errorCode, topic.partitions.length]).toEqual([0, 3]);
  client.close();
});

test('a 2 GiB size prefix closes the connection; the broker does not try to buffer it', async () => {
  await expectClosedWithoutAnswer(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 18, 0, 0]));
});

test('a negative size prefix closes the connection', async () => {
  await expectClosedWithoutAnswer(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
});

test('an unknown API key closes the connection', async () => {
  await expectClosedWithoutAnswer(Buffer.from([0, 0, 0, 10, 0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff]));
});

test('a known API that is not served, and a version out of range, close the connection', async () => {
  // Vote is a KRaft controller API: a ZooKeeper-mode broker, which Tributary is, never serves it.
  const unserved = encodeRequestFrame(ApiKey.Vote, 0, 1, 'raw', { clusterId: null, voterId: asBrokerId(-1), topics: [] });
  await expectClosedWithoutAnswer(unserved);
  const tooNew = metadataFrame(1, []);
  tooNew.writeInt16BE(13, 6);
  await expectClosedWithoutAnswer(tooNew);
});

test('a request whose body is cut short closes the connection and changes nothing', async () => {
  const create = encodeRequestFrame(ApiKey.CreateTopics, 4, 1, 'raw', {
    topics: [{ name: asTopicName('never-created'), numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  const cut = Buffer.from(create.subarray(0, create.length - 8));
  cut.writeInt32BE(cut.length - 4, 0);
  await expectClosedWithoutAnswer(cut);
  const check = await RawClient.connect(broker.host, broker.port);
  check.send(metadataFrame(1, ['never-created']));
  await check.until(() => check.frames.length === 1, 'metadata');
  expect(decodeResponseFrame(ApiKey.Metadata, 9, check.frames[0]).response.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  check.close();
});

test('a frame truncated by the client hanging up is dropped, and the connection closes', async () => {
  const frame = metadataFrame(1, ['x']);
  await expectClosedWithoutAnswer(frame.subarray(0, frame.length - 5), { endAfterSend: true });
});

test('ApiVersions at a version newer than ours gets UNSUPPORTED_VERSION with our range, in a v0 response', async () => {
  const client = await RawClient.connect(broker.host, broker.port);
  const request = encodeRequestFrame(ApiKey.ApiVersions, 3, 77, 'raw', { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
  request.writeInt16BE(42, 6);
  client.send(request);
  await client.until(() => client.frames.length === 1, 'the answer');
  const { correlationId, response } = decodeResponseFrame(ApiKey.ApiVersions, 0, client.frames[0]);
  expect(correlationId).toBe(77);
  expect(response.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  expect(response.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
  // The connection stays open: the client retries at a version we serve.
  client.send(encodeRequestFrame(ApiKey.ApiVersions, 4, 78, 'raw', { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
  await client.until(() => client.frames.length === 2, 'the retry');
  expect(decodeResponseFrame(ApiKey.ApiVersions, 4, client.frames[1]).response.errorCode).toBe(0);
  client.close();
});

test('seeded garbage: every connection gets a clean close or an answer, and the broker keeps serving', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  try {
    for (let round = 0; round < 25; round++) {
      const length = 1 + (next() % 200);
      const garbage = Buffer.alloc(length);
      for (let i = 0; i < length; i++) garbage[i] = next() & 0xff;
      // Half the rounds get a plausible size prefix so that the header and body decoders see the garbage.
      if (round % 2 === 0 && length > 4) garbage.writeInt32BE(length - 4, 0);
      const client = await RawClient.connect(broker.host, broker.port);
      client.send(garbage);
      client.socket.end();
      await client.until(() => client.closed, `round ${round} to close`);
      client.close();
    }
    await bystanderStillServed();
  } catch (error) {
    throw new Error(`failed with FUZZ_SEED=${seed}: ${(error as Error).message}`);
  }
});

test('each closed connection left one structured log line saying why', () => {
  const closes = broker.process.log
    .split('\n')
    .filter((line) => line.includes('"msg":"closing connection"'))
    .map((line) => JSON.parse(line) as { reason: string; level: number; remote: string });
  const reasons = closes.map((entry) => entry.reason);
  expect(reasons).toEqual(expect.arrayContaining(['Invalid receive (size = 2147483647 larger than 104857600)', 'Invalid receive (size = -16)', 'unknown API key 32512']));
  expect(reasons.some((reason) => reason.startsWith('malformed CreateTopics v4 request'))).toBe(true);
  expect(reasons).toContain('Metadata version 13 is not served (versions 0-12)');
  expect(closes.every((entry) => entry.level === 40 && entry.remote.startsWith('127.0.0.1:'))).toBe(true);
});

test('after all of that the topics created earlier are intact', async () => {
  await bystanderStillServed();
  const id = ++correlation;
  bystander.send(metadataFrame(id, ['pipelined', 'auto-one']));
  await bystander.until(() => decodeResponseFrame(ApiKey.Metadata, 9, bystander.frames[bystander.frames.length - 1]).correlationId === id, 'metadata');
  const topics = decodeResponseFrame(ApiKey.Metadata, 9, bystander.frames[bystander.frames.length - 1]).response.topics;
  expect(topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
    ['pipelined', 0, 2],
    ['auto-one', 0, 3],
  ]);
});

test('socket.request.max.bytes from the command line bounds every frame', async () => {
  const small = await TributaryProcess.start(tempDir(), ['socket.request.max.bytes=1000']);
  try {
    const client = await RawClient.connect(small.host, small.port);
    client.send(metadataFrame(1, ['a'.repeat(100)]));
    await client.until(() => client.frames.length === 1, 'an answer to a small request');
    client.send(metadataFrame(2, ['b'.repeat(1000)]));
    await client.until(() => client.closed, 'the close after a frame over the limit');
    expect(client.frames).toHaveLength(1);
    expect(small.process.log).toContain('Invalid receive (size = 1');
    expect(small.process.log).toContain('larger than 1000)');
  } finally {
    expect(await small.stop()).toBe(0);
  }
});
