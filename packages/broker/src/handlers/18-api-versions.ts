/**
 * ApiVersions (key 18), versions 0-4.
 * Behaviour: lists every key and version range this broker serves (built from the handler registry, so what
 * we advertise is exactly what we answer). Too-new versions and invalid client software names are answered
 * before this handler runs (see server/dispatch.ts): UNSUPPORTED_VERSION in a v0 response, as Kafka does.
 * v3+: Kafka 3.9 in ZooKeeper mode also sends its supported features (metadata.version and friends, which
 * only matter to KRaft tooling) and a finalized-features epoch; we send none and epoch -1, which clients read
 * as "no feature versioning", the same as a ZooKeeper-mode broker before the controller finalizes features.
 * zkMigrationReady is false: there is no migration to do.
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
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  },
});
