import { ERROR_TABLE, ErrorCode } from '../generated/error-codes';

const BY_CODE = new Map(ERROR_TABLE.map((entry) => [entry.code as number, entry]));

/** The name of an error code, as Kafka's protocol documentation spells it; unknown codes read as Kafka's clients read them. */
export function errorName(code: number): string {
  return BY_CODE.get(code)?.name ?? `UNKNOWN_SERVER_ERROR(${code})`;
}

/** Whether a client may retry a request that failed with this code (Kafka's RetriableException family). */
export function isRetriable(code: number): boolean {
  return BY_CODE.get(code)?.retriable ?? false;
}

export function isKnownErrorCode(code: number): code is ErrorCode {
  return BY_CODE.has(code);
}
