/**
 * SaslHandshake (key 17), versions 0-1.
 * Behaviour, as a Kafka 3.9 broker answers on a listener without SASL (Tributary has only PLAINTEXT
 * listeners so far): ILLEGAL_SASL_STATE with no mechanisms, so that a client configured for SASL fails with a
 * clear error instead of a closed connection.
 */
import { ApiKey, ErrorCode } from '@tributary/protocol';
import { defineHandler } from './handler';

export const saslHandshakeHandler = defineHandler({
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle() {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
  },
});
