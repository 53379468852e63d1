/**
 * ListGroups (key 16), versions 0-5: the groups of every `__consumer_offsets` partition this broker serves,
 * filtered by state (v4+) and type (v5+). While a partition loads, Kafka answers COORDINATOR_LOAD_IN_PROGRESS
 * with the groups it already has.
 */
import { ApiKey } from '@tributary/protocol';
import { defineHandler } from './handler';

export const listGroupsHandler = defineHandler({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context) {
    return context.services.groups.coordinator.listGroups(request);
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
});
