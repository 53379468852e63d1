/**
 * LeaveGroup (key 13), versions 0-5: one member (v0-v2) or a batch of members by id or group.instance.id
 * (v3+, KIP-345), each answered on its own.
 */
import { ApiKey } from '@tributary/protocol';
import { defineHandler } from './handler';

export const leaveGroupHandler = defineHandler({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context) {
    return context.services.groups.coordinator.leaveGroup(request, { apiVersion: context.apiVersion });
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      members: request.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId, errorCode })),
    };
  },
});
