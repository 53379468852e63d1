import {
  RecordBatch,
  Reader,
  decodeGroupMetadataKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitKey,
  decodeOffsetCommitValue,
} from '@tributary/protocol';
import {
  buildCoordinatorBatch,
  decodeCoordinatorRecord,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
} from '../src';

describe('__consumer_offsets records', () => {
  it('writes offset commit keys as key version 1 and values as v3, readable by the generated codecs', () => {
    const key = offsetCommitKey('g', 'topic', 7);
    const keyReader = new Reader(key);
    expect(keyReader.int16()).toBe(1);
    expect(decodeOffsetCommitKey(keyReader, 1)).toEqual({ group: 'g', topic: 'topic', partition: 7 });
    expect(keyReader.remaining).toBe(0);
    // Byte layout: int16 version, int16-length strings, int32 partition (classic encoding).
    expect(key.toString('hex')).toBe('0001' + '0001' + '67' + '0005' + Buffer.from('topic').toString('hex') + '00000007');

    const value = offsetCommitValue({ offset: 42n, leaderEpoch: 3, metadata: 'm', commitTimestampMs: 1000, expireTimestampMs: null });
    const valueReader = new Reader(value);
    expect(valueReader.int16()).toBe(3);
    const decoded = decodeOffsetCommitValue(valueReader, 3);
    expect(decoded).toMatchObject({ offset: 42n, leaderEpoch: 3, metadata: 'm', commitTimestamp: 1000n });
    expect(valueReader.remaining).toBe(0);
  });

  it('writes value v1 (with expireTimestamp) for commits that carry a retention, as Kafka does', () => {
    const value = offsetCommitValue({ offset: 1n, leaderEpoch: -1, metadata: '', commitTimestampMs: 10, expireTimestampMs: 99 });
    const reader = new Reader(value);
    expect(reader.int16()).toBe(1);
    expect(decodeOffsetCommitValue(reader, 1)).toMatchObject({ offset: 1n, commitTimestamp: 10n, expireTimestamp: 99n });
    const back = decodeCoordinatorRecord(offsetCommitKey('g', 't', 0), value);
    expect(back).toMatchObject({ type: 'offset', value: { expireTimestampMs: 99, leaderEpoch: -1 } });
  });

  it('writes group metadata as key version 2 and value v3 with members, instance ids and timestamps', () => {
    const key = groupMetadataKey('g');
    const keyReader = new Reader(key);
    expect(keyReader.int16()).toBe(2);
    expect(decodeGroupMetadataKey(keyReader, 2)).toEqual({ group: 'g' });

    const input = {
      protocolType: 'consumer',
      generation: 4,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 123n,
      members: [
        { memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/h', rebalanceTimeout: 300, sessionTimeout: 100, subscription: Buffer.from([1]), assignment: Buffer.from([2]) },
      ],
    };
    const value = groupMetadataValue(input);
    const valueReader = new Reader(value);
    expect(valueReader.int16()).toBe(3);
    expect(decodeGroupMetadataValue(valueReader, 3)).toEqual(input);
    expect(valueReader.remaining).toBe(0);
  });

  it('reads tombstones and ignores key versions of the KRaft-only coordinator', () => {
    expect(decodeCoordinatorRecord(groupMetadataKey('g'), null)).toEqual({ type: 'group', group: 'g', value: null });
    expect(decodeCoordinatorRecord(offsetCommitKey('g', 't', 1), null)).toMatchObject({ type: 'offset', topic: 't', partition: 1, value: null });
    const consumerGroupKey = Buffer.from([0, 3, 0, 1, 0x67]);
    expect(decodeCoordinatorRecord(consumerGroupKey, Buffer.alloc(2))).toEqual({ type: 'unknown', keyVersion: 3 });
  });

  it('builds uncompressed CreateTime batches with a valid CRC', () => {
    const batch = new RecordBatch(
      buildCoordinatorBatch([{ key: groupMetadataKey('g'), value: null }, { key: offsetCommitKey('g', 't', 0), value: Buffer.from([0, 3]) }], 5000),
    );
    const header = batch.validate();
    expect(header.compression).toBe(0);
    expect(header.recordsCount).toBe(2);
    expect(header.maxTimestamp).toBe(5000n);
    expect(batch.records()[0].value).toBeNull();
  });
});
