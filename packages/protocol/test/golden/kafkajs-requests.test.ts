/**
 * Golden frames from kafkajs: each request is built by kafkajs' own protocol layer (the request modules and the
 * framing function its connection sends with), then decoded with our header and request codecs. The Produce
 * frames carry record batches written by kafkajs' own batch encoder.
 */
import { apiDescriptor, isBatchCrcValid, parseRequestHeader, readBatchHeader } from '../../src';

/* eslint-disable @typescript-eslint/no-require-imports */
const frameRequest = require('kafkajs/src/protocol/request') as (args: {
  correlationId: number;
  clientId: string;
  request: unknown;
}) => Promise<{ buffer: Buffer }>;
const kafkajsRequest = (api: string, version: number): ((args: Record<string, unknown>) => unknown) =>
  require(`kafkajs/src/protocol/requests/${api}/v${version}/request`);

interface Case {
  api: string;
  versions: number[];
  args: Record<string, unknown>;
  expected: Record<string, unknown>;
}

const topicMessages = [
  { key: 'k1', value: 'hello', timestamp: 1700000000000, headers: { trace: 'abc' } },
  { key: null, value: 'world', timestamp: 1700000000001 },
];

const cases: Case[] = [
  { api: 'apiVersions', versions: [0, 1, 2], args: {}, expected: {} },
  {
    api: 'metadata',
    versions: [0, 1, 2, 3, 4, 5, 6],
    args: { topics: ['orders', 'payments'], allowAutoTopicCreation: false },
    expected: { topics: [{ name: 'orders' }, { name: 'payments' }] },
  },
  {
    api: 'createTopics',
    versions: [0, 1, 2, 3],
    args: {
      topics: [{ topic: 'orders', numPartitions: 6, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      timeout: 5000,
    },
    expected: {
      topics: [{ name: 'orders', numPartitions: 6, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] }],
      timeoutMs: 5000,
    },
  },
  { api: 'deleteTopics', versions: [0, 1], args: { topics: ['orders'], timeout: 5000 }, expected: { topicNames: ['orders'], timeoutMs: 5000 } },
  {
    api: 'fetch',
    versions: [4, 7, 11],
    args: {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 10485760,
      isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 2, fetchOffset: '1234', maxBytes: 1048576 }] }],
    },
    expected: {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 10485760,
      isolationLevel: 1,
      topics: [{ topic: 'orders', partitions: [{ partition: 2, fetchOffset: 1234n, partitionMaxBytes: 1048576 }] }],
    },
  },
  {
    api: 'listOffsets',
    versions: [1, 2, 3],
    args: { replicaId: -1, isolationLevel: 1, topics: [{ topic: 'orders', partitions: [{ partition: 0, timestamp: -1 }] }] },
    expected: { replicaId: -1, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] },
  },
  { api: 'findCoordinator', versions: [1, 2], args: { coordinatorKey: 'billing', coordinatorType: 0 }, expected: { key: 'billing', keyType: 0 } },
  {
    api: 'joinGroup',
    versions: [0, 1, 2, 3, 4, 5],
    args: {
      groupId: 'billing',
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: '',
      protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
    },
    expected: {
      groupId: 'billing',
      sessionTimeoutMs: 30000,
      memberId: '',
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 2]) }],
    },
  },
  {
    api: 'syncGroup',
    versions: [0, 1, 2, 3],
    args: { groupId: 'billing', generationId: 4, memberId: 'm-1', groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from([9, 9]) }] },
    expected: { groupId: 'billing', generationId: 4, memberId: 'm-1', assignments: [{ memberId: 'm-1', assignment: Buffer.from([9, 9]) }] },
  },
  {
    api: 'heartbeat',
    versions: [0, 1, 2, 3],
    args: { groupId: 'billing', groupGenerationId: 4, memberId: 'm-1' },
    expected: { groupId: 'billing', generationId: 4, memberId: 'm-1' },
  },
  {
    api: 'offsetCommit',
    versions: [1, 2, 3, 4, 5],
    args: {
      groupId: 'billing',
      groupGenerationId: 4,
      memberId: 'm-1',
      retentionTime: -1,
      topics: [{ topic: 'orders', partitions: [{ partition: 1, offset: '77', metadata: null }] }],
    },
    expected: { groupId: 'billing', memberId: 'm-1', topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 77n }] }] },
  },
  {
    api: 'offsetFetch',
    versions: [1, 2, 3, 4],
    args: { groupId: 'billing', topics: [{ topic: 'orders', partitions: [{ partition: 0 }, { partition: 1 }] }] },
    expected: { groupId: 'billing', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] },
  },
  {
    api: 'initProducerId',
    versions: [0, 1],
    args: { transactionalId: 'tx-1', transactionTimeout: 60000 },
    expected: { transactionalId: 'tx-1', transactionTimeoutMs: 60000 },
  },
  {
    api: 'produce',
    versions: [3, 4, 5, 6, 7],
    args: { acks: -1, timeout: 30000, topicData: [{ topic: 'orders', partitions: [{ partition: 0, messages: topicMessages }] }] },
    expected: { acks: -1, timeoutMs: 30000, topicData: [{ name: 'orders', partitionData: [{ index: 0 }] }] },
  },
];

const flat = cases.flatMap((c) => c.versions.map((version) => [`${c.api} v${version}`, c, version] as const));

test.each(flat)('%s from kafkajs decodes to what kafkajs was given', async (_label, testCase, version) => {
  const request = kafkajsRequest(testCase.api, version)(testCase.args) as { apiKey: number; apiVersion: number };
  const { buffer } = await frameRequest({ correlationId: 321, clientId: 'kafkajs-golden', request });
  expect(buffer.readInt32BE(0)).toBe(buffer.length - 4);
  const { header, body } = parseRequestHeader(buffer.subarray(4));
  expect(header).toEqual({ requestApiKey: request.apiKey, requestApiVersion: version, correlationId: 321, clientId: 'kafkajs-golden' });
  const decoded = apiDescriptor(request.apiKey)!.decodeRequest(body, version) as Record<string, unknown>;
  expect(body.remaining).toBe(0);
  expect(decoded).toMatchObject(testCase.expected);

  if (testCase.api === 'produce') {
    // The records are a v2 batch written by kafkajs: its header and CRC must check out.
    const records = (decoded as { topicData: Array<{ partitionData: Array<{ records: Buffer }> }> }).topicData[0].partitionData[0].records;
    const batch = readBatchHeader(records);
    expect(batch.magic).toBe(2);
    expect(batch.recordsCount).toBe(topicMessages.length);
    expect(batch.lastOffsetDelta).toBe(topicMessages.length - 1);
    expect(batch.baseTimestamp).toBe(1700000000000n);
    expect(isBatchCrcValid(records)).toBe(true);
  }
});
