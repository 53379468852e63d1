// Decode and encode throughput of a Produce request carrying 1 MiB of records (64 batches of 16 KiB across
// 8 partitions), at v3 (classic) and v9 (flexible). Decoding takes the records as views of the frame and
// encoding keeps them by reference, so both should run far above memory-copy speed; the figures say by how much.
import { ApiKey, ProduceRequest, Reader, TopicName, Writer, apiDescriptor, buildRecordBatch } from '../src';

const MIN_SECONDS = 0.5;
const produce = apiDescriptor(ApiKey.Produce)!;

function oneMiBRequest(): ProduceRequest {
  const value = Buffer.alloc(1000, 0x61);
  const batch = (): Buffer =>
    buildRecordBatch({ records: Array.from({ length: 16 }, (_, i) => ({ timestamp: 1700000000000n + BigInt(i), key: null, value })) });
  const partitions = Array.from({ length: 8 }, (_, index) => ({ index, records: Buffer.concat(Array.from({ length: 8 }, batch)) }));
  return { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: 'bench' as TopicName, partitionData: partitions }] };
}

function measure(label: string, payloadBytes: number, run: () => void): void {
  for (let i = 0; i < 50; i++) run();
  let rounds = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < 20; i++) run();
    rounds += 20;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < MIN_SECONDS);
  const mbPerSecond = (rounds * payloadBytes) / elapsed / 1e6;
  console.log(`${label.padEnd(40)} ${mbPerSecond.toFixed(0).padStart(8)} MB/s of records  ${(rounds / elapsed).toFixed(0).padStart(7)} requests/s`);
}

const request = oneMiBRequest();
const recordBytes = request.topicData[0].partitionData.reduce((sum, p) => sum + (p.records?.length ?? 0), 0);
console.log(`Produce request with ${(recordBytes / 1048576).toFixed(2)} MiB of records in ${request.topicData[0].partitionData.length} partitions`);

// The memory-copy speed of this machine, for scale: what a codec that copied the records would pay at least.
const source = Buffer.concat(request.topicData[0].partitionData.map((p) => p.records as Buffer));
const target = Buffer.alloc(source.length);
measure('memory copy of the same bytes (scale)', recordBytes, () => source.copy(target));

for (const version of [3, 9]) {
  const w = new Writer();
  produce.encodeRequest(w, version, request);
  const frame = w.toBuffer();
  measure(`decode Produce v${version}`, recordBytes, () => {
    produce.decodeRequest(new Reader(frame), version);
  });
  measure(`encode Produce v${version} (chunks, no join)`, recordBytes, () => {
    const out = new Writer();
    produce.encodeRequest(out, version, request);
    out.chunks();
  });
}
