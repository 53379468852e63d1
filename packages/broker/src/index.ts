export { Broker, BrokerOptions } from './broker';
export { Logger, silentLogger } from './logger';
export { HandlerRegistry, ServedApi } from './handlers/registry';
export { Handler, RequestContext, BrokerServices, ConnectionInfo, NO_RESPONSE, defineHandler } from './handlers/handler';
export { ALL_HANDLERS } from './handlers';
export { SocketServer, BoundListener } from './server/socket-server';
export { FrameDecoder, InvalidFrameSizeError } from './server/frame-decoder';
export { PartitionLogs, PartitionLogsConnection, connectPartitionLogs } from './partition-logs';
export { AppendListener, BrokerLogs, LogDirState, LogService, OpenedBrokerLogs, openBrokerLogs, topicLogConfig } from './logs';
