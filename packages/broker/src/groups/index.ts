export { GroupService, GroupServiceOptions } from './group-service';
export { OFFSETS_TOPIC, offsetsTopicSpec } from './offsets-topic';
export { brokerScheduler } from './broker-scheduler';
