/**
 * Creating a coordinator's internal topic (`__consumer_offsets`, `__transaction_state`) the first time a client
 * looks for that coordinator, as Kafka does: at most one creation under way at a time, callers answering
 * COORDINATOR_NOT_AVAILABLE meanwhile, and the outcome logged (a failure is retried on the next lookup).
 *
 * Replication factor: Kafka fails the creation while fewer brokers are alive than the topic's configured factor
 * (default 3), answering COORDINATOR_NOT_AVAILABLE until enough join. A standalone Tributary has exactly one
 * broker, so a default configuration would never get a coordinator; the factor is capped at the number of live
 * brokers instead, so `tributary start` with no settings serves groups and transactions out of the box.
 * (Kafka's own sample server.properties sets the factors to 1 for the same reason.)
 */
import { ErrorCode } from '@tributary/protocol';
import { BrokerConfig, ClusterMetadata } from '@tributary/metadata';
import { Logger } from '../logger';

/** What one internal topic is created with; the creator supplies the live-broker cap on the replication factor. */
export interface InternalTopicSpec {
  name: string;
  numPartitions(config: BrokerConfig): number;
  /** The configured replication factor, before the cap at the number of live brokers. */
  replicationFactor(config: BrokerConfig): number;
  /** The topic's configs, given the replication factor it is created with (after the cap). */
  configs(config: BrokerConfig, replicationFactor: number): ReadonlyMap<string, string>;
}

export class InternalTopicCreator {
  private creating: Promise<void> | undefined;

  constructor(
    private readonly spec: InternalTopicSpec,
    private readonly metadata: ClusterMetadata,
    private readonly config: () => BrokerConfig,
    private readonly logger: Logger,
  ) {}

  /** Starts creating the topic unless it exists or is being created; callers answer COORDINATOR_NOT_AVAILABLE meanwhile. */
  ensure(): Promise<void> {
    if (this.metadata.topic(this.spec.name) !== undefined) return Promise.resolve();
    this.creating ??= this.create().finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  private async create(): Promise<void> {
    const { spec } = this;
    const config = this.config();
    const liveBrokers = Math.max(1, this.metadata.brokers().length);
    const replicationFactor = Math.min(spec.replicationFactor(config), liveBrokers);
    const outcome = await this.metadata.createTopic(
      {
        name: spec.name,
        numPartitions: spec.numPartitions(config),
        replicationFactor,
        assignments: [],
        configs: spec.configs(config, replicationFactor),
      },
      { validateOnly: false },
    );
    // TOPIC_ALREADY_EXISTS is a race with another creator and fine; anything else is logged and retried on the
    // next FindCoordinator.
    if (outcome.errorCode !== ErrorCode.NONE && outcome.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      this.logger.error({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage }, `cannot create ${spec.name}`);
    } else if (outcome.errorCode === ErrorCode.NONE) {
      this.logger.info({ partitions: outcome.topic?.partitions.length }, `created ${spec.name}`);
    }
  }
}
