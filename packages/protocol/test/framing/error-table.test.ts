import { ErrorCode, errorName, isKnownErrorCode, isRetriable } from '../../src';

test('error names and retriability come from the one table', () => {
  expect(errorName(ErrorCode.NONE)).toBe('NONE');
  expect(errorName(3)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  expect(isRetriable(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)).toBe(true);
  expect(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true);
  expect(isRetriable(ErrorCode.TOPIC_ALREADY_EXISTS)).toBe(false);
  expect(isRetriable(ErrorCode.INVALID_REQUEST)).toBe(false);
  expect(errorName(-1)).toBe('UNKNOWN_SERVER_ERROR');
  expect(errorName(9999)).toBe('UNKNOWN_SERVER_ERROR(9999)');
  expect(isKnownErrorCode(127)).toBe(true);
  expect(isKnownErrorCode(128)).toBe(false);
});
