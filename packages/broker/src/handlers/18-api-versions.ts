/**
 * ApiVersions (key 18), versions 0-4.
 * Behaviour: lists every key and version range this broker serves (built from the handler registry, so what
 * we advertise is exactly what we answer). Too-new versions and invalid client software names are answered
 * before this handler runs (see server/dispatch.ts): UNSUPPORTED_VERSION in a v0 response, as Kafka does.
 * v3+: as a Kafka 3.9 broker in ZooKeeper mode answers (checked against one): no supported features, no
 * finalized features, finalized-features epoch 0, zkMigrationReady false.
 */
import { ApiKey, ErrorCode } from '@tributary/protocol';
import { defineHandler } from './handler';

export const apiVersionsHandler = defineHandler({
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(_request, context) {
    return {
      errorCode: ErrorCode.NONE,
      apiKeys: context.services.apiVersions().map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion })),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: 0n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  },
});
