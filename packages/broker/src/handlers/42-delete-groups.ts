/**
 * DeleteGroups (key 42), versions 0-2: deletes Empty (or Dead) groups with their offsets, writing the group's
 * and its offsets' tombstones to `__consumer_offsets`; a group with members gets NON_EMPTY_GROUP.
 */
import { ApiKey } from '@tributary/protocol';
import { defineHandler } from './handler';

export const deleteGroupsHandler = defineHandler({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle(request, context) {
    return context.services.groups.coordinator.deleteGroups(request);
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
});
