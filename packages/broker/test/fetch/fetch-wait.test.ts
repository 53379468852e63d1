/**
 * A waiting Fetch ends only when what it may read reaches min bytes (or its wait ends), as Kafka's DelayedFetch
 * completes: an append that leaves it short keeps it waiting.
 */
import { ApiKey, buildRecordBatch } from '@tributary/protocol';
import { Harness, createTopic, fetchRequest, openHarness } from '../harness';

let h: Harness;
afterEach(async () => h?.close());

const batch = (valueBytes: number) => buildRecordBatch({ records: [{ timestamp: 1_700_000_000_000n, key: null, value: Buffer.alloc(valueBytes, 1) }] });

test('an append below min bytes does not answer a waiting fetch; the one that reaches it does', async () => {
  h = await openHarness();
  await createTopic(h, 't');
  const log = h.logs.partition('t', 0)!;
  let answered = false;
  const waiting = h
    .call(ApiKey.Fetch, 12, fetchRequest([{ topic: 't', partitions: [{}] }], { maxWaitMs: 10_000, minBytes: 1000 }))
    .then((response) => {
      answered = true;
      return response;
    });
  await new Promise((resolve) => setImmediate(resolve));
  h.logs.append(log, batch(100)); // ~170 bytes: short of 1000
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(answered).toBe(false);
  h.logs.append(log, batch(1000));
  const response = await waiting;
  const partition = response.responses[0]!.partitions[0]!;
  expect(partition.highWatermark).toBe(2n);
  expect(partition.records!.length).toBeGreaterThanOrEqual(1000);
});
