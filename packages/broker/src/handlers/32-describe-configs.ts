/**
 * DescribeConfigs (key 32), versions 0-4.
 * Behaviour, as Kafka 3.9 (ZooKeeper mode) answers (checked against one, down to the empty error message it
 * sends with success and with an unknown topic):
 * - TOPIC: every topic config with its effective value and source (topic override, static broker config,
 *   default); synonyms (v1+, when asked) list where else the value could come from; an unknown topic is
 *   UNKNOWN_TOPIC_OR_PARTITION, an illegal name INVALID_TOPIC_EXCEPTION;
 * - BROKER: this broker's id gives every broker config with its effective value and source (dynamic for this
 *   broker, dynamic cluster default, static, default; passwords as null, sensitive); the empty name gives the
 *   cluster-wide dynamic defaults; another id is INVALID_REQUEST;
 * - configuration_keys limits the answer to those keys; v1+ report config_source, v3+
 *   config_type; documentation is null.
 * Difference from Kafka: BROKER_LOGGER and the other resource types are INVALID_REQUEST here.
 */
import { ApiKey, DescribeConfigsResponse, ErrorCode } from '@tributary/protocol';
import { ConfigResourceType, brokerResourceProblem, describeBrokerConfigs, describeDynamicDefaults, describeTopicConfigs, findTopic } from './config-resources';
import { defineHandler } from './handler';

type Result = DescribeConfigsResponse.DescribeConfigsResult;

export const describeConfigsHandler = defineHandler({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(request, context) {
    const { metadata, config } = context.services;
    const includeSynonyms = context.apiVersion >= 1 && request.includeSynonyms;
    const results: Result[] = request.resources.map((resource) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      const keys = resource.configurationKeys === null || resource.configurationKeys.length === 0 ? null : new Set(resource.configurationKeys);
      const only = (entries: Result['configs']) => (keys ? entries.filter((entry) => keys.has(entry.name)) : entries);
      switch (resource.resourceType) {
        case ConfigResourceType.Topic: {
          const found = findTopic(metadata, resource.resourceName, false);
          if ('errorCode' in found) return { ...base, ...found, configs: [] };
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: '', configs: only(describeTopicConfigs(found, config, includeSynonyms)) };
        }
        case ConfigResourceType.Broker: {
          const problem = brokerResourceProblem(metadata, resource.resourceName);
          if (problem) return { ...base, ...problem, configs: [] };
          // The empty name asks for the cluster-wide dynamic defaults only.
          const entries =
            resource.resourceName === '' ? describeDynamicDefaults(metadata.dynamicBrokerConfigs(null), includeSynonyms) : describeBrokerConfigs(config, includeSynonyms);
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: '', configs: only(entries) };
        }
        default:
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resource.resourceType}`, configs: [] };
      }
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode, errorMessage) {
    return {
      throttleTimeMs: 0,
      results: request.resources.map(({ resourceType, resourceName }) => ({ errorCode, errorMessage, resourceType, resourceName, configs: [] })),
    };
  },
});
