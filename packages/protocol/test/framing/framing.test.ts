import {
  ApiKey,
  DecodeError,
  UnknownApiKeyError,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  isFlexibleVersion,
  parseRequestHeader,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../src';

describe('header versions follow Kafka', () => {
  test.each([
    [ApiKey.Produce, 8, 1, 0],
    [ApiKey.Produce, 9, 2, 1],
    [ApiKey.ControlledShutdown, 0, 0, 0],
    [ApiKey.ControlledShutdown, 1, 1, 0],
    [ApiKey.SaslHandshake, 1, 1, 0],
    [ApiKey.OffsetDelete, 0, 1, 0],
    [ApiKey.ApiVersions, 2, 1, 0],
    [ApiKey.ApiVersions, 3, 2, 0],
    [ApiKey.ApiVersions, 4, 2, 0],
    // A version newer than we know still gets the flexible header, so ApiVersions v5 can be parsed and answered.
    [ApiKey.ApiVersions, 5, 2, 0],
    [ApiKey.Fetch, 12, 2, 1],
  ])('API %i v%i: request header v%i, response header v%i', (apiKey, version, requestHeader, responseHeader) => {
    expect(requestHeaderVersion(apiKey, version)).toBe(requestHeader);
    expect(responseHeaderVersion(apiKey, version)).toBe(responseHeader);
  });

  test('flexibility is open-ended above the first flexible version', () => {
    expect(isFlexibleVersion(ApiKey.Metadata, 8)).toBe(false);
    expect(isFlexibleVersion(ApiKey.Metadata, 9)).toBe(true);
    expect(isFlexibleVersion(ApiKey.Metadata, 99)).toBe(true);
    expect(isFlexibleVersion(ApiKey.SaslHandshake, 1)).toBe(false);
  });
});

describe('request frames', () => {
  test('a request encodes with a size prefix and its header parses back', () => {
    const frame = encodeRequestFrame(ApiKey.FindCoordinator, 4, 42, 'client-a', {
      key: '',
      keyType: 0,
      coordinatorKeys: ['group-1'],
    });
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    const { header, headerVersion, body } = parseRequestHeader(frame.subarray(4));
    expect(headerVersion).toBe(2);
    expect(header).toEqual({ requestApiKey: 10, requestApiVersion: 4, correlationId: 42, clientId: 'client-a' });
    expect(body.remaining).toBeGreaterThan(0);
  });

  test('the exact bytes of an ApiVersions v3 request, computed by hand', () => {
    const frame = encodeRequestFrame(ApiKey.ApiVersions, 3, 1, 'c', { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    // size, api key 18, version 3, correlation id 1, client id "c" (int16 length), no header tags,
    // compact "x", compact "1", no body tags.
    expect(frame.toString('hex')).toBe('00000011' + '0012' + '0003' + '00000001' + '000163' + '00' + '0278' + '0231' + '00');
  });

  test('an unknown API key is a typed error carrying the key', () => {
    const frame = Buffer.from('03e8000000000001000000', 'hex');
    expect(() => parseRequestHeader(frame)).toThrow(UnknownApiKeyError);
    try {
      parseRequestHeader(frame);
    } catch (error) {
      expect((error as UnknownApiKeyError).apiKey).toBe(1000);
      expect((error as UnknownApiKeyError).code).toBe(42);
    }
  });

  test('a frame too short for a header is a decode error', () => {
    expect(() => parseRequestHeader(Buffer.from([0, 18]))).toThrow(DecodeError);
    expect(() => parseRequestHeader(Buffer.from('0012000300', 'hex'))).toThrow(DecodeError);
  });
});

describe('response frames', () => {
  test('ApiVersions answers with response header v0 even at a flexible version', () => {
    const chunks = encodeResponseFrame(ApiKey.ApiVersions, 3, 7, {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    });
    const frame = Buffer.concat(chunks);
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readInt32BE(4)).toBe(7);
    // Right after the correlation id comes the body's error code: no header tagged-field byte in between.
    expect(frame.readInt16BE(8)).toBe(0);
    const { correlationId, response } = decodeResponseFrame(ApiKey.ApiVersions, 3, frame.subarray(4));
    expect(correlationId).toBe(7);
    expect(response.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
  });

  test('large record sets stay references in the encoded chunks, not copies', () => {
    const records = Buffer.alloc(64 * 1024, 7);
    const chunks = encodeResponseFrame(ApiKey.Fetch, 12, 1, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders' as never,
          topicId: 'AAAAAAAAAAAAAAAAAAAAAA' as never,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 10n,
              lastStableOffset: 10n,
              logStartOffset: 0n,
              divergingEpoch: { epoch: -1, endOffset: -1n },
              currentLeader: { leaderId: -1 as never, leaderEpoch: -1 },
              snapshotId: { endOffset: -1n, epoch: -1 },
              abortedTransactions: null,
              preferredReadReplica: -1 as never,
              records,
            },
          ],
        },
      ],
      nodeEndpoints: [],
    });
    expect(chunks.some((chunk) => chunk === records)).toBe(true);
    const frame = Buffer.concat(chunks);
    const { response } = decodeResponseFrame(ApiKey.Fetch, 12, frame.subarray(4));
    expect(response.responses[0].partitions[0].records?.equals(records)).toBe(true);
  });
});
