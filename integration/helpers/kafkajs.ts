// kafkajs as the tests' admin client: a quiet client for a bootstrap address, and topic creation that returns
// once every new partition has a leader (so the test's own client finds them at once).
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';

export function kafkaClient(bootstrap: string, clientId = 'txn-test', config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.NOTHING, ...config });
}

export async function createTopics(bootstrap: string, topics: { topic: string; numPartitions?: number }[]): Promise<void> {
  const admin = kafkaClient(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map(({ topic, numPartitions = 1 }) => ({ topic, numPartitions, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
