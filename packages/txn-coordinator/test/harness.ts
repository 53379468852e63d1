import { RecordBatch, iterateRecordSet } from '@tributary/protocol';
import { InMemoryCoordinatorLog, ManualScheduler } from '@tributary/group-coordinator';
import {
  PartitionMarkerResult,
  ProducerIdBlock,
  ProducerIdManager,
  TransactionCoordinator,
  TransactionCoordinatorConfig,
  TransactionMarkerRequest,
  TransactionMarkerSink,
  decodeTransactionRecord,
} from '../src';

/** Lets appends to the in-memory log and the continuations after them run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Blocks of `size` ids handed out in order, as the cluster metadata would reserve them. */
export class FakeBlockSource {
  next = 0n;
  calls = 0;
  failWith: Error | undefined;
  constructor(readonly size = 1000) {}
  async allocateProducerIdBlock(): Promise<ProducerIdBlock> {
    this.calls++;
    if (this.failWith !== undefined) throw this.failWith;
    const block = { assignedBrokerId: 0, firstProducerId: this.next, size: this.size };
    this.next += BigInt(this.size);
    return block;
  }
}

/** Records every marker request; answers each partition with the error `errorFor` gives (NONE by default). */
export class FakeMarkerSink implements TransactionMarkerSink {
  readonly requests: TransactionMarkerRequest[] = [];
  errorFor: (topic: string, partition: number, attempt: number) => number = () => 0;
  private readonly attempts = new Map<string, number>();

  async writeMarkers(request: TransactionMarkerRequest): Promise<PartitionMarkerResult[]> {
    this.requests.push({ ...request, partitions: request.partitions.map((tp) => ({ ...tp })) });
    return request.partitions.map((tp) => {
      const key = `${tp.topic}:${tp.partition}`;
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      return { topic: tp.topic, partition: tp.partition, errorCode: this.errorFor(tp.topic, tp.partition, attempt) };
    });
  }
}

export const TXN_ID = 'my-txn';

export class Harness {
  readonly scheduler = new ManualScheduler();
  readonly log: InMemoryCoordinatorLog;
  readonly blocks: FakeBlockSource;
  readonly sink = new FakeMarkerSink();
  coordinator: TransactionCoordinator;

  constructor(
    readonly config: Partial<TransactionCoordinatorConfig> = {},
    log = new InMemoryCoordinatorLog(),
    blocks = new FakeBlockSource(),
  ) {
    this.log = log;
    this.blocks = blocks;
    this.coordinator = this.newCoordinator();
  }

  newCoordinator(): TransactionCoordinator {
    const coordinator = new TransactionCoordinator({
      log: this.log,
      scheduler: this.scheduler,
      producerIds: new ProducerIdManager(this.blocks),
      markers: this.sink,
      config: this.config,
    });
    coordinator.startup();
    return coordinator;
  }

  /** Loads every partition of `__transaction_state` at `epoch`. */
  async loadAll(epoch = 0): Promise<void> {
    const partitions = this.coordinator.config.transactionStateLogNumPartitions;
    await Promise.all(Array.from({ length: partitions }, (_, p) => this.coordinator.loadPartition(p, epoch)));
  }

  /** A fresh coordinator over the same log (a restart), with every partition loaded. */
  async restart(epoch = 1): Promise<void> {
    this.coordinator.shutdown();
    this.coordinator = this.newCoordinator();
    await this.loadAll(epoch);
  }

  /** Every record written for `transactionalId`, decoded, oldest first (null: a tombstone). */
  records(transactionalId: string): ({ state: number; producerId: bigint; producerEpoch: number; partitions: string[] } | null)[] {
    const out = [];
    const partition = this.coordinator.partitionFor(transactionalId);
    for (const bytes of this.log.batches(partition)) {
      for (const entry of iterateRecordSet(bytes)) {
        for (const record of new RecordBatch(entry.bytes).records()) {
          const decoded = decodeTransactionRecord(record.key!, record.value);
          if (decoded.type !== 'transaction' || decoded.transactionalId !== transactionalId) continue;
          const m = decoded.metadata;
          out.push(
            m === null
              ? null
              : { state: m.state, producerId: m.producerId, producerEpoch: m.producerEpoch, partitions: [...m.topicPartitions].map((tp) => `${tp.topic}-${tp.partition}`) },
          );
        }
      }
    }
    return out;
  }
}
