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
import { ResourceProblem, alterResourceConfigs } from './config-resources';
import { defineHandler } from './handler';

type Result = AlterConfigsResponse.AlterConfigsResourceResponse;

export const alterConfigsHandler = defineHandler({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, context) {
    const responses: Result[] = [];
    for (const resource of request.resources) {
      // The legacy form replaces the entity's dynamic configs with exactly the ones given.
      const replacement = (): Map<string, string> | ResourceProblem => {
        const nullValue = resource.configs.find((config) => config.value === null);
        if (nullValue) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${nullValue.name}` };
        return new Map(resource.configs.map((config) => [config.name, config.value as string]));
      };
      const outcome = await alterResourceConfigs(resource, request.validateOnly, context, { broker: replacement, topic: replacement });
      responses.push({ resourceType: resource.resourceType, resourceName: resource.resourceName, ...outcome });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, errorMessage) {
    return { throttleTimeMs: 0, responses: request.resources.map(({ resourceType, resourceName }) => ({ errorCode, errorMessage, resourceType, resourceName })) };
  },
});
