/** Where a configuration value comes from, with Kafka's DescribeConfigs codes (ConfigSource in the protocol). */
export enum ConfigSource {
  Unknown = 0,
  TopicConfig = 1,
  DynamicBrokerConfig = 2,
  DynamicDefaultBrokerConfig = 3,
  StaticBrokerConfig = 4,
  DefaultConfig = 5,
  DynamicBrokerLoggerConfig = 6,
}
