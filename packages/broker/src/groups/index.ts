export { GroupService, GroupServiceOptions } from './group-service';
export { PartitionCoordinatorLog, OFFSETS_TOPIC } from './partition-coordinator-log';
export { OffsetsTopicCreator } from './offsets-topic';
export { brokerScheduler } from './broker-scheduler';
