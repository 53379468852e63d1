/**
 * IncrementalAlterConfigs (key 44), versions 0-1 (KIP-339).
 * Behaviour, as Kafka 3.9 answers: each key is SET (0), DELETE (1, back to the default), APPEND (2) or
 * SUBTRACT (3) to/from a list (starting from the current value); APPEND/SUBTRACT on a non-list key is
 * INVALID_CONFIG; a key named twice in one resource is INVALID_REQUEST; the result is validated whole and
 * applied unless validate_only. TOPIC resources change the topic's overrides (INVALID_CONFIG for bad ones);
 * BROKER resources (this broker's id, or "" for the cluster-wide defaults) change dynamic broker configs, where
 * only dynamic keys may be set (INVALID_REQUEST otherwise, see checkDynamicBrokerConfigs).
 * Difference from Kafka: dynamic password configs are refused (Kafka stores them encrypted).
 */
import { ApiKey, ErrorCode, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '@tributary/protocol';
import { BROKER_CONFIGS, ConfigType, TOPIC_CONFIGS, configValueText } from '@tributary/metadata';
import { ResourceProblem, alterResourceConfigs } from './config-resources';
import { defineHandler } from './handler';

type Result = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse;

enum OpType {
  Set = 0,
  Delete = 1,
  Append = 2,
  Subtract = 3,
}

export const incrementalAlterConfigsHandler = defineHandler({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, context) {
    const responses: Result[] = [];
    for (const resource of request.resources) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      // Kafka checks for a key named twice before anything else about the resource.
      const names = resource.configs.map((config) => config.name);
      if (new Set(names).size !== names.length) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate config keys' });
        continue;
      }
      const { metadata } = context.services;
      const outcome = await alterResourceConfigs(resource, request.validateOnly, context, {
        broker: (entity) =>
          applyOperations(metadata.dynamicBrokerConfigs(entity), resource.configs, (name) => {
            const def = BROKER_CONFIGS.get(name);
            return def && { type: def.type, current: configValueText(metadata.brokerConfig().value(name)) };
          }),
        topic: (topic) =>
          applyOperations(topic.configs, resource.configs, (name) => {
            const def = TOPIC_CONFIGS.get(name);
            return def && { type: def.type, current: def.defaultValue };
          }),
      });
      responses.push({ ...base, ...outcome });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, errorMessage) {
    return { throttleTimeMs: 0, responses: request.resources.map(({ resourceType, resourceName }) => ({ errorCode, errorMessage, resourceType, resourceName })) };
  },
});

/** What a list operation needs to know of a key: its type, and its value when the entity does not set it. */
type KeyInfo = (name: string) => { type: ConfigType; current: string | null } | undefined;

function applyOperations(
  current: ReadonlyMap<string, string>,
  operations: readonly IncrementalAlterConfigsRequest.AlterableConfig[],
  keyInfo: KeyInfo,
): Map<string, string> | ResourceProblem {
  const configs = new Map(current);
  for (const op of operations) {
    const def = keyInfo(op.name);
    switch (op.configOperation) {
      case OpType.Set:
        if (op.value === null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${op.name}` };
        configs.set(op.name, op.value);
        break;
      case OpType.Delete:
        configs.delete(op.name);
        break;
      case OpType.Append:
      case OpType.Subtract: {
        if (!def) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Unknown topic config name: ${op.name}` };
        if (def.type !== ConfigType.List) {
          const verb = op.configOperation === OpType.Append ? 'append' : 'subtract';
          return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Config value ${verb} is not allowed for config key: ${op.name}` };
        }
        const before = (configs.get(op.name) ?? def.current ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
        const items = (op.value ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
        const next = op.configOperation === OpType.Append ? [...before, ...items.filter((item) => !before.includes(item))] : before.filter((item) => !items.includes(item));
        configs.set(op.name, next.join(','));
        break;
      }
      default:
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown config operation ${op.configOperation} for ${op.name}` };
    }
  }
  return configs;
}
