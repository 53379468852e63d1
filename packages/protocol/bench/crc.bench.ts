// CRC-32C throughput of the implementation batch validation uses (fast-crc32c: native SSE4.2 via sse4_crc32
// when it loads, else JavaScript), the JavaScript fallback for comparison, and zlib's CRC-32 (legacy messages).
import * as zlib from 'zlib';
import { computeBatchCrc, crc32cImplementation } from '../src';

// The loader picks this one; the fallback is measured directly so the gap is visible on any machine.
const { calculate: activeCrc32c } = require('fast-crc32c') as { calculate(b: Buffer): number };
const { calculate: jsCrc32c } = require('fast-crc32c/impls/js_crc32c') as { calculate(b: Buffer): number };

const MIN_SECONDS = 0.4;
let keep = 0;

function measure(label: string, size: number, fn: (b: Buffer) => number): void {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buffer[i] = (i * 2654435761) >>> 24;
  let sink = 0;
  for (let i = 0; i < 100; i++) sink ^= fn(buffer); // warm-up
  let rounds = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < 64; i++) sink ^= fn(buffer);
    rounds += 64;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < MIN_SECONDS);
  const gbPerSecond = (rounds * size) / elapsed / 1e9;
  const sizeLabel = size >= 1 << 20 ? `${size >> 20} MiB` : `${size >> 10} KiB`;
  console.log(`${label.padEnd(34)} ${sizeLabel.padStart(7)}  ${gbPerSecond.toFixed(3)} GB/s  (${rounds} buffers)`);
  keep ^= sink; // consumed, so the checksum calls cannot be optimised away
}

console.log(`crc32c implementation: ${crc32cImplementation()}`);
for (const size of [1 << 20, 1 << 10]) {
  measure(`crc32c ${crc32cImplementation()} (active)`, size, activeCrc32c);
  measure('crc32c javascript (fallback)', size, jsCrc32c);
  measure('crc32 zlib (legacy v0/v1)', size, (b) => zlib.crc32(b));
}
// What validation actually pays per batch: the CRC over [attributes, end) of a whole batch.
const batch = Buffer.alloc(1 << 20);
measure('computeBatchCrc (1 MiB batch)', batch.length, computeBatchCrc);
if (keep === 0x7fffffff) console.log('(unlikely checksum)');
