/**
 * Hands out producer ids from blocks reserved durably by the cluster metadata (Kafka's ProducerIdManager): a
 * block is never handed out twice, across restarts, so no two producers ever share an id. The next block is
 * fetched when 90 % of the current one is used (Kafka's PidPrefetchThreshold), so a busy coordinator rarely waits.
 *
 * Concurrency: call only from the event loop. `next()` never awaits; a caller with no id available waits on
 * `available()` and asks again.
 */

export interface ProducerIdBlock {
  assignedBrokerId: number;
  firstProducerId: bigint;
  size: number;
}

/** Where blocks come from: `ClusterMetadata.allocateProducerIdBlock` in the broker. */
export interface ProducerIdBlockSource {
  allocateProducerIdBlock(): Promise<ProducerIdBlock>;
}

const PREFETCH_THRESHOLD = 0.9;

export class ProducerIdManager {
  private current: { nextId: bigint; endExclusive: bigint; prefetchAt: bigint } | undefined;
  private prefetched: ProducerIdBlock | undefined;
  private fetching: Promise<void> | undefined;
  /** The last failure to get a block, reported to waiters; cleared by the next success. */
  private lastError: unknown;

  constructor(
    private readonly source: ProducerIdBlockSource,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** The next unused producer id, or undefined when none is ready yet (a block is then being fetched). */
  next(): bigint | undefined {
    if (this.current === undefined || this.current.nextId >= this.current.endExclusive) {
      if (this.prefetched === undefined) {
        this.fetch();
        return undefined;
      }
      this.install(this.prefetched);
      this.prefetched = undefined;
    }
    const block = this.current!;
    const id = block.nextId;
    block.nextId++;
    if (block.nextId >= block.prefetchAt && this.prefetched === undefined) this.fetch();
    return id;
  }

  /** Resolves once an id can be handed out (a block is in hand), or rejects with the block source's failure. */
  async available(): Promise<void> {
    while (!this.hasId()) {
      this.fetch();
      await this.fetching;
      if (!this.hasId() && this.lastError !== undefined) throw this.lastError;
    }
  }

  /** The next id, waiting for a block when none is in hand. */
  async nextAsync(): Promise<bigint> {
    for (;;) {
      const id = this.next();
      if (id !== undefined) return id;
      await this.available();
    }
  }

  private hasId(): boolean {
    return (this.current !== undefined && this.current.nextId < this.current.endExclusive) || this.prefetched !== undefined;
  }

  private fetch(): void {
    if (this.fetching !== undefined) return;
    this.fetching = this.source
      .allocateProducerIdBlock()
      .then(
        (block) => {
          if (block.size <= 0 || block.firstProducerId < 0n) throw new RangeError(`invalid producer id block ${block.firstProducerId}+${block.size}`);
          this.lastError = undefined;
          if (this.current === undefined || this.current.nextId >= this.current.endExclusive) this.install(block);
          else this.prefetched = block;
        },
        (error: unknown) => {
          this.lastError = error;
          this.onError(error);
        },
      )
      .catch((error: unknown) => {
        this.lastError = error;
        this.onError(error);
      })
      .finally(() => {
        this.fetching = undefined;
      });
  }

  private install(block: ProducerIdBlock): void {
    const size = BigInt(block.size);
    this.current = {
      nextId: block.firstProducerId,
      endExclusive: block.firstProducerId + size,
      prefetchAt: block.firstProducerId + BigInt(Math.floor(block.size * PREFETCH_THRESHOLD)),
    };
  }
}
