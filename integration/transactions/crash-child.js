// The producer of the transactional crash test (plain JavaScript, kafkajs only, so it starts quickly). It writes
// transactions as fast as it can, each of 1 to 5 records spread over the topic's partitions, committing most and
// aborting some, and reports each outcome on stdout only after commit() or abort() returned. Every record names
// its transaction, its index in it and the transaction's record count, so that a reader can tell a whole
// transaction from half of one. The parent SIGKILLs the broker (and then this child) at a random moment.
//
//   node integration/transactions/crash-child.js <bootstrap> <topic> <partitions> <round> <seed> <transactionTimeoutMs>
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, partitionsText, round, seedText, timeoutText] = process.argv.slice(2);
const partitions = Number(partitionsText);

// mulberry32: a small seeded generator, so a failing round can be replayed with its seed.
let state = Number(seedText) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

async function main() {
  const kafka = new Kafka({ clientId: `crash-child-${round}`, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });
  // The same transactional id every round: InitProducerId fences the previous round's producer and aborts the
  // transaction it may have left open, as a restarted application's producer does.
  const producer = kafka.producer({ transactionalId: 'crash-producer', idempotent: true, maxInFlightRequests: 1, transactionTimeout: Number(timeoutText) });
  await producer.connect();
  process.stdout.write('ready\n');
  for (let n = 0; ; n++) {
    const id = `r${round}-t${n}`;
    const count = 1 + Math.floor(random() * 5);
    const commit = random() < 0.7;
    const messages = Array.from({ length: count }, (_, index) => ({
      partition: (n + index) % partitions,
      key: id,
      value: JSON.stringify({ txn: id, index, count }),
    }));
    const txn = await producer.transaction();
    process.stdout.write(`begin ${id} ${count}\n`);
    await txn.send({ topic, messages });
    if (commit) {
      await txn.commit();
      process.stdout.write(`committed ${id} ${count}\n`);
    } else {
      await txn.abort();
      process.stdout.write(`aborted ${id} ${count}\n`);
    }
  }
}

main().catch((error) => {
  // Expected once the broker is gone; the parent reads only the lines before this.
  process.stdout.write(`error ${String(error && error.message).replace(/\n/g, ' ')}\n`);
  process.exit(3);
});
