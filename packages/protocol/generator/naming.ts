/** Naming rules shared by the generator, the importer and the tests. */

/** "ApiVersions" -> "api-versions", "DescribeQuorum" -> "describe-quorum", "OffsetForLeaderEpoch" -> ... */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** "ThrottleTimeMs" -> "throttleTimeMs"; field names become property names this way. */
export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** "ProduceRequest" -> "Produce": the API's name without its request/response suffix. */
export function apiBaseName(messageName: string): string {
  return messageName.replace(/(Request|Response)$/, '');
}

/** The spec file that holds an API: `apis/000-produce.tspec`. */
export function apiSpecFileName(apiKey: number, messageName: string): string {
  return `${String(apiKey).padStart(3, '0')}-${kebabCase(apiBaseName(messageName))}.tspec`;
}
