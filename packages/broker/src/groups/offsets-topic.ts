/**
 * Creating `__consumer_offsets` the first time a client looks for a group coordinator, with the settings Kafka
 * gives it (GroupCoordinator.offsetsTopicConfigs): `offsets.topic.num.partitions` partitions, compacted, segments
 * of `offsets.topic.segment.bytes`, compression as produced.
 *
 * Replication factor: Kafka uses `offsets.topic.replication.factor` (default 3) and fails the creation while
 * fewer brokers are alive, answering COORDINATOR_NOT_AVAILABLE until enough join. A standalone Tributary has
 * exactly one broker, so a default configuration would never get a coordinator; we cap the factor at the number
 * of live brokers instead, so `tributary start` with no settings serves groups out of the box. (Kafka's own
 * sample server.properties sets the factor to 1 for the same reason.)
 */
import { ErrorCode } from '@tributary/protocol';
import { BrokerConfig, ClusterMetadata } from '@tributary/metadata';
import { Logger } from '../logger';
import { OFFSETS_TOPIC } from './partition-coordinator-log';

export class OffsetsTopicCreator {
  private creating: Promise<void> | undefined;

  constructor(
    private readonly metadata: ClusterMetadata,
    private readonly config: () => BrokerConfig,
    private readonly logger: Logger,
  ) {}

  /** Starts creating the topic unless it exists or is being created; callers answer COORDINATOR_NOT_AVAILABLE meanwhile. */
  ensure(): Promise<void> {
    if (this.metadata.topic(OFFSETS_TOPIC) !== undefined) return Promise.resolve();
    this.creating ??= this.create().finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  private async create(): Promise<void> {
    const config = this.config();
    const liveBrokers = Math.max(1, this.metadata.brokers().length);
    const outcome = await this.metadata.createTopic(
      {
        name: OFFSETS_TOPIC,
        numPartitions: config.int('offsets.topic.num.partitions'),
        replicationFactor: Math.min(config.int('offsets.topic.replication.factor'), liveBrokers),
        assignments: [],
        configs: new Map([
          ['cleanup.policy', 'compact'],
          ['compression.type', 'producer'],
          ['segment.bytes', String(config.int('offsets.topic.segment.bytes'))],
        ]),
      },
      { validateOnly: false },
    );
    // TOPIC_ALREADY_EXISTS is a race with another creator and fine; anything else is logged and retried
    // on the next FindCoordinator.
    if (outcome.errorCode !== ErrorCode.NONE && outcome.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      this.logger.error({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage }, `cannot create ${OFFSETS_TOPIC}`);
    } else if (outcome.errorCode === ErrorCode.NONE) {
      this.logger.info({ partitions: outcome.topic?.partitions.length }, `created ${OFFSETS_TOPIC}`);
    }
  }
}
