/**
 * DescribeGroups (key 15), versions 0-5: each group's state, protocol and members (with their metadata and
 * assignment). Without an authorizer Kafka reports every operation a group supports (READ, DESCRIBE, DELETE)
 * when v3+ asks for authorized operations.
 */
import { ApiKey, ErrorCode } from '@tributary/protocol';
import { AUTHORIZED_OPERATIONS_OMITTED } from './authorized-operations';
import { defineHandler } from './handler';

/** Bits of AclOperation READ (3), DELETE (6) and DESCRIBE (8): what Kafka 3.9 reports for a group. */
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export const describeGroupsHandler = defineHandler({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(request, context) {
    const described = context.services.groups.coordinator.describeGroups(request);
    if (context.apiVersion < 3 || !request.includeAuthorizedOperations) return described;
    // As Kafka: only groups described without error carry their operations.
    return {
      ...described,
      groups: described.groups.map((group) => (group.errorCode === ErrorCode.NONE ? { ...group, authorizedOperations: GROUP_OPERATIONS } : group)),
    };
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => ({
        errorCode,
        groupId,
        groupState: '',
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      })),
    };
  },
});
