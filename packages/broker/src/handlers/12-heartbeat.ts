/** Heartbeat (key 12), versions 0-4: keeps a member's session alive and tells it when a rebalance began. */
import { ApiKey } from '@tributary/protocol';
import { defineHandler } from './handler';

export const heartbeatHandler = defineHandler({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(request, context) {
    return context.services.groups.coordinator.heartbeat(request, { apiVersion: context.apiVersion });
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
