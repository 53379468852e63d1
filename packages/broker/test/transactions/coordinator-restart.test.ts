/**
 * The transaction coordinator across a broker restart: transactional ids come back from `__transaction_state`
 * (the producer keeps its id and the next instance gets the next epoch), and a transaction left open when the
 * broker stopped is aborted once its timeout passes, so read_committed readers move past it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey, ErrorCode, ProducerId, TransactionalId } from '@tributary/protocol';
import { BrokerConfig } from '@tributary/metadata';
import { Broker, silentLogger } from '../../src';
import { askBroker as call } from '../one-request';

jest.setTimeout(60_000);

const TXN_TIMEOUT_MS = 1500;

function config(dir: string): BrokerConfig {
  return BrokerConfig.of({
    'broker.id': '1',
    'log.dirs': dir,
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'offsets.topic.num.partitions': '3',
    'transaction.state.log.num.partitions': '3',
    'group.initial.rebalance.delay.ms': '0',
    'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200',
  });
}

test('an open transaction is aborted by its timeout after a restart, and the transactional id keeps its producer', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-txn-restart-'));
  let broker = await Broker.start({ config: config(dir), logger: silentLogger });
  try {
    let port = broker.advertisedEndpoints[0].port;
    let kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 1 }] });
    await admin.disconnect();

    const producer = kafka.producer({ transactionalId: 'ledger-writer', idempotent: true, maxInFlightRequests: 1, transactionTimeout: TXN_TIMEOUT_MS });
    await producer.connect();
    const committed = await producer.transaction();
    await committed.send({ topic: 'ledger', messages: [{ value: 'kept' }] });
    await committed.commit();
    const open = await producer.transaction();
    await open.send({ topic: 'ledger', messages: [{ value: 'left-open' }] });
    const before = await call(port, ApiKey.DescribeTransactions, 0, { transactionalIds: ['ledger-writer' as TransactionalId] });
    expect(before.transactionStates[0]).toMatchObject({ errorCode: ErrorCode.NONE, transactionState: 'Ongoing', producerEpoch: 0 });
    const producerId = before.transactionStates[0].producerId;
    // The producer goes away without ending its transaction, and so does the broker.
    await producer.disconnect();
    await broker.shutdown();

    broker = await Broker.start({ config: config(dir), logger: silentLogger });
    port = broker.advertisedEndpoints[0].port;
    await broker.transactions.loaded();
    const reloaded = await call(port, ApiKey.DescribeTransactions, 0, { transactionalIds: ['ledger-writer' as TransactionalId] });
    expect(reloaded.transactionStates[0]).toMatchObject({ transactionState: 'Ongoing', producerId, topics: [{ topic: 'ledger', partitions: [0] }] });

    // The timeout passes: the coordinator aborts under a bumped epoch and writes the ABORT marker.
    let state = '';
    for (let attempt = 0; attempt < 100 && state !== 'CompleteAbort'; attempt++) {
      await new Promise((r) => setTimeout(r, 50));
      state = (await call(port, ApiKey.DescribeTransactions, 0, { transactionalIds: ['ledger-writer' as TransactionalId] })).transactionStates[0].transactionState;
    }
    expect(state).toBe('CompleteAbort');

    // A new instance of the producer keeps the producer id, at the epoch after the fence.
    const init = await call(port, ApiKey.InitProducerId, 4, {
      transactionalId: 'ledger-writer' as TransactionalId,
      transactionTimeoutMs: 60_000,
      producerId: -1n as ProducerId,
      producerEpoch: -1,
    });
    expect(init).toMatchObject({ errorCode: ErrorCode.NONE, producerId, producerEpoch: 2 });

    kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    // A record committed after the aborted one is readable only once the abort moved the LSO past it.
    const successor = kafka.producer({ transactionalId: 'ledger-writer', idempotent: true, maxInFlightRequests: 1 });
    await successor.connect();
    const after = await successor.transaction();
    await after.send({ topic: 'ledger', messages: [{ value: 'after' }] });
    await after.commit();
    await successor.disconnect();
    const consumer = kafka.consumer({ groupId: 'ledger-reader', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'ledger', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length === 2) setTimeout(() => (clearTimeout(timer), resolve()), 300);
        },
      });
    });
    await consumer.disconnect();
    expect(seen).toEqual(['kept', 'after']);
  } finally {
    await broker.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('producer ids are never handed out again after a restart: the next instance starts from a fresh block', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-pid-restart-'));
  const idempotent = { transactionalId: null, transactionTimeoutMs: 0, producerId: -1n as ProducerId, producerEpoch: -1 };
  const handedOut: bigint[] = [];
  try {
    for (let start = 0; start < 3; start++) {
      const broker = await Broker.start({ config: config(dir), logger: silentLogger });
      try {
        for (let i = 0; i < 5; i++) {
          const answer = await call(broker.advertisedEndpoints[0].port, ApiKey.InitProducerId, 4, idempotent);
          expect(answer).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
          handedOut.push(answer.producerId);
        }
      } finally {
        await broker.shutdown();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(new Set(handedOut).size).toBe(handedOut.length);
  // Each start takes a new block of 1000: the ids of later starts lie beyond every earlier one.
  expect(handedOut[5]).toBeGreaterThan(handedOut[4]);
  expect(handedOut[10]).toBeGreaterThan(handedOut[9]);
});
