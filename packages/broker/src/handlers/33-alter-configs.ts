/**
 * AlterConfigs (key 33), versions 0-2: the legacy, non-incremental form, which replaces all of a resource's
 * overrides with the ones given.
 * Behaviour, as Kafka 3.9 answers: TOPIC resources are validated whole (INVALID_CONFIG for an unknown key or a
 * bad value, INVALID_REQUEST for a null value, UNKNOWN_TOPIC_OR_PARTITION for a missing topic) and applied
 * unless validate_only. BROKER resources (this broker's id, or "" for the cluster-wide defaults) replace that
 * entity's dynamic configs; only dynamic keys may be set (see checkDynamicBrokerConfigs).
 * Difference from Kafka: dynamic password configs are refused (Kafka stores them encrypted).
 */
import { ApiKey, AlterConfigsResponse, ErrorCode } from '@tributary/protocol';
import { ConfigResourceType, brokerEntity, brokerResourceProblem, findTopic, inTopicResource } from './config-resources';
import { defineHandler } from './handler';

type Result = AlterConfigsResponse.AlterConfigsResourceResponse;

export const alterConfigsHandler = defineHandler({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, context) {
    const { metadata, logger } = context.services;
    const responses: Result[] = [];
    for (const resource of request.resources) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      if (resource.resourceType === ConfigResourceType.Broker) {
        const problem = brokerResourceProblem(metadata, resource.resourceName, true);
        if (problem) {
          responses.push({ ...base, ...problem });
          continue;
        }
        const nullValue = resource.configs.find((config) => config.value === null);
        if (nullValue) {
          responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${nullValue.name}` });
          continue;
        }
        const configs = new Map(resource.configs.map((config) => [config.name, config.value as string]));
        const entity = brokerEntity(metadata, resource.resourceName);
        const outcome = await metadata.setBrokerConfigs(entity, configs, { validateOnly: request.validateOnly });
        if (outcome.errorCode === ErrorCode.NONE && !request.validateOnly) {
          logger.info({ broker: resource.resourceName, configs: Object.fromEntries(configs), clientId: context.clientId }, 'altered dynamic broker configs');
        }
        responses.push({ ...base, ...outcome });
        continue;
      }
      if (resource.resourceType !== ConfigResourceType.Topic) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${resource.resourceType}` });
        continue;
      }
      const found = findTopic(metadata, resource.resourceName, true);
      if ('errorCode' in found) {
        responses.push({ ...base, ...found });
        continue;
      }
      const nullValue = resource.configs.find((config) => config.value === null);
      if (nullValue) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${nullValue.name}` });
        continue;
      }
      const configs = new Map(resource.configs.map((config) => [config.name, config.value as string]));
      const outcome = inTopicResource(resource.resourceName, await metadata.setTopicConfigs(resource.resourceName, configs, { validateOnly: request.validateOnly }));
      if (outcome.errorCode === ErrorCode.NONE && !request.validateOnly) {
        logger.info({ topic: resource.resourceName, configs: Object.fromEntries(configs), clientId: context.clientId }, 'altered topic configs');
      }
      responses.push({ ...base, ...outcome });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, errorMessage) {
    return { throttleTimeMs: 0, responses: request.resources.map(({ resourceType, resourceName }) => ({ errorCode, errorMessage, resourceType, resourceName })) };
  },
});
