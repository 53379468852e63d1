import { ProducerIdManager } from '../src';
import { FakeBlockSource, flush } from './harness';

describe('ProducerIdManager', () => {
  it('hands out every id of a block once, in order, and has the next block in hand before the first runs out', async () => {
    const source = new FakeBlockSource(10);
    const manager = new ProducerIdManager(source);
    expect(manager.next()).toBeUndefined();
    await manager.available();
    const ids: bigint[] = [];
    for (let i = 0; i < 9; i++) ids.push(manager.next()!);
    // The 9th id (90 %) started fetching the next block; by the 11th request it is there without waiting.
    await flush();
    for (let i = 0; i < 11; i++) ids.push(manager.next()!);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
    expect(source.calls).toBe(3);
  });

  it('reports a failed reservation to waiters and recovers on the next attempt', async () => {
    const source = new FakeBlockSource(5);
    const errors: unknown[] = [];
    const manager = new ProducerIdManager(source, (error) => errors.push(error));
    source.failWith = new Error('disk full');
    await expect(manager.available()).rejects.toThrow('disk full');
    expect(errors).toHaveLength(1);
    source.failWith = undefined;
    expect(await manager.nextAsync()).toBe(0n);
  });

  it('refuses a block that could hand out an invalid id', async () => {
    const manager = new ProducerIdManager({ allocateProducerIdBlock: async () => ({ assignedBrokerId: 0, firstProducerId: -5n, size: 10 }) });
    await expect(manager.available()).rejects.toThrow(RangeError);
  });
});
