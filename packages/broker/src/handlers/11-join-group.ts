/**
 * JoinGroup (key 11), versions 0-9, answered by the classic group coordinator: the member id handshake of
 * KIP-394 (v4+), static membership (v5+), the rebalance and its delays. The answer comes when the join phase
 * completes, so the handler returns a promise that may stay pending for the group's rebalance timeout.
 */
import { ApiKey } from '@tributary/protocol';
import { clientContext } from '../groups/client-context';
import { defineHandler } from './handler';

export const joinGroupHandler = defineHandler({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  handle(request, context) {
    return context.services.groups.coordinator.joinGroup(request, clientContext(context));
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      skipAssignment: false,
      memberId: request.memberId,
      members: [],
    };
  },
});
