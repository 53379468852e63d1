/**
 * SaslAuthenticate (key 36), versions 0-2.
 * Behaviour, as a Kafka 3.9 broker answers on a listener without SASL: ILLEGAL_SASL_STATE with Kafka's message
 * (on such a listener the connection counts as already authenticated).
 */
import { ApiKey, ErrorCode } from '@tributary/protocol';
import { defineHandler } from './handler';

export const saslAuthenticateHandler = defineHandler({
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  handle() {
    return {
      errorCode: ErrorCode.ILLEGAL_SASL_STATE,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
      authBytes: Buffer.alloc(0),
      sessionLifetimeMs: 0n,
    };
  },
});
