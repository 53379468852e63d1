export { AppendListener, BrokerLogs, LogDirState, LogService } from './log-service';
export { topicLogConfig } from './topic-log-config';
export { OpenedBrokerLogs, openBrokerLogs } from './open-broker-logs';
