/**
 * AlterConfigs (key 33), versions 0-2: the legacy, non-incremental form, which replaces all of a resource's
 * overrides with the ones given.
 * Behaviour, as Kafka 3.9 answers: TOPIC resources are validated whole (INVALID_CONFIG for an unknown key or a
 * bad value, INVALID_REQUEST for a null value, UNKNOWN_TOPIC_OR_PARTITION for a missing topic) and applied
 * unless validate_only.
 * Difference from Kafka: dynamic BROKER configs are not supported yet; such resources get INVALID_REQUEST
 * saying so (Kafka would store them in ZooKeeper).
 */
import { ApiKey, AlterConfigsResponse, ErrorCode } from '@tributary/protocol';
import { ConfigResourceType, brokerResourceProblem, findTopic } from './config-resources';
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
        const problem = brokerResourceProblem(metadata, resource.resourceName) ?? {
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'Tributary does not support dynamic broker configs yet; set them in server.properties',
        };
        responses.push({ ...base, ...problem });
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
      const outcome = await metadata.setTopicConfigs(resource.resourceName, configs, { validateOnly: request.validateOnly });
      if (outcome.errorCode === ErrorCode.NONE && !request.validateOnly) {
        logger.info({ topic: resource.resourceName, configs: Object.fromEntries(configs), clientId: context.clientId }, 'altered topic configs');
      }
      responses.push({ ...base, ...outcome });
    }
    return { throttleTimeMs: 0, responses };
  },
});
