/**
 * `__consumer_offsets` as the group coordinator's internal topic is created the first time a client looks for a
 * group coordinator, with the settings Kafka gives it (GroupCoordinator.offsetsTopicConfigs):
 * `offsets.topic.num.partitions` partitions, compacted, segments of `offsets.topic.segment.bytes`, compression
 * as produced. Replication factor: `offsets.topic.replication.factor`, capped at the number of live brokers
 * (see coordinators/internal-topic-creator.ts for why).
 */
import { InternalTopicSpec } from '../coordinators/internal-topic-creator';

export const OFFSETS_TOPIC = '__consumer_offsets';

export const offsetsTopicSpec: InternalTopicSpec = {
  name: OFFSETS_TOPIC,
  numPartitions: (config) => config.int('offsets.topic.num.partitions'),
  replicationFactor: (config) => config.int('offsets.topic.replication.factor'),
  configs: (config) =>
    new Map([
      ['cleanup.policy', 'compact'],
      ['compression.type', 'producer'],
      ['segment.bytes', String(config.int('offsets.topic.segment.bytes'))],
    ]),
};
