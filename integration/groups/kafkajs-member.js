// A kafkajs group member in its own process, so a test can kill it (SIGKILL) like a crashed consumer.
// Usage: node kafkajs-member.js <bootstrap> <topic> <groupId>. Prints one JSON line per batch: the values seen.
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, groupId] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'killed-member', brokers: [bootstrap], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10000 });

(async () => {
  await consumer.connect();
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    process.stdout.write(`${JSON.stringify({ joined: event.payload.memberAssignment })}\n`);
  });
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      process.stdout.write(`${JSON.stringify({ values: batch.messages.map((m) => m.value.toString()) })}\n`);
    },
  });
})().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
