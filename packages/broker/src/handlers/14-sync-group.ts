/**
 * SyncGroup (key 14), versions 0-5: the leader hands in the assignment, every member gets its own. Followers
 * wait (a pending promise) until the leader's assignment is stored in `__consumer_offsets`.
 */
import { ApiKey } from '@tributary/protocol';
import { defineHandler } from './handler';

const EMPTY = Buffer.alloc(0);

export const syncGroupHandler = defineHandler({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context) {
    return context.services.groups.coordinator.syncGroup(request, { apiVersion: context.apiVersion });
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
  },
});
