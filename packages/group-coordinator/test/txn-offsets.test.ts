import {
  API_DESCRIPTORS,
  ApiKey,
  ControlRecordType,
  ErrorCode,
  Reader,
  RecordBatch,
  TributaryError,
  TxnOffsetCommitRequest,
  Writer,
  asGroupId,
  asProducerId,
  asTopicName,
  asTransactionalId,
  buildControlBatch,
} from '@tributary/protocol';
import { GROUP, Harness } from './harness';

function txnCommit(offsets: { topic: string; partition: number; offset: bigint }[], extra: Partial<TxnOffsetCommitRequest> = {}): TxnOffsetCommitRequest {
  return {
    transactionalId: asTransactionalId('txn-1'),
    groupId: asGroupId(GROUP),
    producerId: asProducerId(4_000n),
    producerEpoch: 2,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [...new Set(offsets.map((o) => o.topic))].map((topic) => ({
      name: asTopicName(topic),
      partitions: offsets.filter((o) => o.topic === topic).map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: 'txn' })),
    })),
    ...extra,
  };
}

const errorsOf = (response: { topics: { partitions: { errorCode: number }[] }[] }) => response.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

describe('TxnOffsetCommit: offsets staged under the producer until its transaction ends', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.loadAll();
  });

  const committed = (partition: number, requireStable = false) => h.fetch([{ topic: 't', partitions: [partition] }], GROUP, requireStable).topics[0].partitions[0];

  it('stages, writes a transactional batch, and applies the offsets on COMMIT', async () => {
    await h.commit([{ topic: 't', partition: 0, offset: 1n }]);
    const response = await h.coordinator.commitTransactionalOffsets(txnCommit([{ topic: 't', partition: 0, offset: 50n }]), { apiVersion: 3 });
    expect(errorsOf(response)).toEqual([ErrorCode.NONE]);
    expect(committed(0).committedOffset).toBe(1n);
    expect(committed(0, true).errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    const batches = h.log.batches(h.coordinator.partitionFor(GROUP));
    const header = new RecordBatch(batches[batches.length - 1]).validate();
    expect(header).toMatchObject({ isTransactional: true, producerId: 4_000n, producerEpoch: 2, baseSequence: 0 });
    h.coordinator.completeTransaction(4_000n, h.coordinator.partitionFor(GROUP), true);
    expect(committed(0).committedOffset).toBe(50n);
    expect(committed(0, true).errorCode).toBe(ErrorCode.NONE);
  });

  it('drops the staged offsets on ABORT, and only for that producer and partition', async () => {
    await h.coordinator.commitTransactionalOffsets(txnCommit([{ topic: 't', partition: 0, offset: 50n }]), { apiVersion: 0 });
    await h.coordinator.commitTransactionalOffsets(txnCommit([{ topic: 't', partition: 1, offset: 60n }], { producerId: asProducerId(5_000n) }), { apiVersion: 0 });
    h.coordinator.completeTransaction(4_000n, (h.coordinator.partitionFor(GROUP) + 1) % 4, true); // another partition: nothing
    expect(committed(0, true).errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    h.coordinator.completeTransaction(4_000n, h.coordinator.partitionFor(GROUP), false);
    expect(committed(0, true)).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: -1n });
    expect(committed(1, true).errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
  });

  it('validates members from v3 on; before v3 (no member fields) even a group with members accepts it', async () => {
    const { memberIds, generationId } = await h.stableGroup(1);
    const at = (extra: Partial<TxnOffsetCommitRequest>, apiVersion: number) =>
      h.coordinator.commitTransactionalOffsets(txnCommit([{ topic: 't', partition: 0, offset: 9n }], extra), { apiVersion }).then(errorsOf);
    expect(await at({}, 2)).toEqual([ErrorCode.NONE]);
    expect(await at({ memberId: memberIds[0], generationId }, 3)).toEqual([ErrorCode.NONE]);
    expect(await at({ memberId: memberIds[0], generationId: generationId + 1 }, 3)).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(await at({ memberId: 'ghost', generationId }, 3)).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(await at({ groupId: asGroupId('') }, 3)).toEqual([ErrorCode.INVALID_GROUP_ID]);
  });

  it('a failed append withdraws the staged offsets', async () => {
    h.log.failNextAppends = { count: 1, error: new TributaryError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'moved') };
    const response = await h.coordinator.commitTransactionalOffsets(txnCommit([{ topic: 't', partition: 0, offset: 50n }]), { apiVersion: 3 });
    expect(errorsOf(response)).toEqual([ErrorCode.NOT_COORDINATOR]);
    expect(committed(0, true).errorCode).toBe(ErrorCode.NONE);
    expect(h.coordinator.group(GROUP)!.pendingTransactionalOffsetCommits.size).toBe(0);
  });

  it('after a restart, the log decides: COMMIT marker applies, no marker stays unstable', async () => {
    const partition = h.coordinator.partitionFor(GROUP);
    await h.coordinator.commitTransactionalOffsets(txnCommit([{ topic: 't', partition: 0, offset: 50n }]), { apiVersion: 3 });
    await h.coordinator.commitTransactionalOffsets(txnCommit([{ topic: 't', partition: 1, offset: 70n }], { producerId: asProducerId(5_000n) }), { apiVersion: 3 });
    // The partition leader writes the first producer's COMMIT marker (what WriteTxnMarkers does).
    h.log.appendRaw(partition, buildControlBatch({ type: ControlRecordType.Commit, producerId: 4_000n, producerEpoch: 2, coordinatorEpoch: 0, timestamp: 1n }));
    const fresh = h.newCoordinator();
    await h.loadAll(fresh);
    h.coordinator = fresh;
    expect(committed(0).committedOffset).toBe(50n);
    expect(committed(1, true).errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
  });

  it.each([0, 1, 2, 3, 4])('TxnOffsetCommit v%i request and response go through the generated codecs', async (version) => {
    const descriptor = API_DESCRIPTORS[ApiKey.TxnOffsetCommit];
    const w = new Writer();
    descriptor.encodeRequest(w, version, txnCommit([{ topic: 't', partition: 0, offset: 5n }]));
    const request = descriptor.decodeRequest(new Reader(w.toBuffer()), version);
    const response = await h.coordinator.commitTransactionalOffsets(request, { apiVersion: version });
    const out = new Writer();
    descriptor.encodeResponse(out, version, response);
    expect(errorsOf(descriptor.decodeResponse(new Reader(out.toBuffer()), version))).toEqual([ErrorCode.NONE]);
  });
});
