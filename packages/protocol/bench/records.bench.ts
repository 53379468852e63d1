// Record batch throughput: build (encode + compress + CRC), validate (CRC and sizes only, as on produce),
// decode (decompress + parse records) per codec, and walking a large record set.
import {
  CompressionType,
  buildLegacyMessageSet,
  buildRecordBatch,
  crc32cImplementation,
  decodeBatchRecords,
  decodeLegacyMessageSet,
  iterateRecordSet,
  validateBatch,
} from '../src';

const MIN_SECONDS = 0.3;
const RECORDS_PER_BATCH = 200;
const VALUE_BYTES = 200;

function time(fn: () => void): { perSecond: number; rounds: number } {
  for (let i = 0; i < 5; i++) fn();
  let rounds = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    fn();
    rounds++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < MIN_SECONDS);
  return { perSecond: rounds / elapsed, rounds };
}

// JSON-ish values: compressible the way real payloads are, not all zeros.
const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
  timestamp: 1_700_000_000_000n + BigInt(i),
  key: Buffer.from(`user-${i % 37}`),
  value: Buffer.from(JSON.stringify({ id: i, name: `name-${(i * 7919) % 1000}`, pad: 'x'.repeat(VALUE_BYTES) }).slice(0, VALUE_BYTES)),
  headers: [{ key: 'trace-id', value: Buffer.from(String(i * 31)) }],
}));
const payloadBytes = records.reduce((sum, r) => sum + r.key.length + r.value.length, 0);

console.log(`crc32c implementation: ${crc32cImplementation()}`);
console.log(`batch: ${RECORDS_PER_BATCH} records, ${payloadBytes} bytes of keys+values`);
for (const compression of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
  const name = CompressionType[compression].padEnd(6);
  const batch = buildRecordBatch({ compression, records });
  const build = time(() => buildRecordBatch({ compression, records }));
  const validate = time(() => validateBatch(batch));
  const decode = time(() => decodeBatchRecords(batch));
  const mb = (perSecond: number): string => ((perSecond * payloadBytes) / 1e6).toFixed(1).padStart(7);
  console.log(
    `v2 ${name} size ${String(batch.length).padStart(6)} B  build ${mb(build.perSecond)} MB/s (${(build.perSecond * RECORDS_PER_BATCH / 1e3).toFixed(0)}k rec/s)` +
      `  validate ${((validate.perSecond * batch.length) / 1e9).toFixed(2)} GB/s` +
      `  decode ${mb(decode.perSecond)} MB/s (${(decode.perSecond * RECORDS_PER_BATCH / 1e3).toFixed(0)}k rec/s)`,
  );
}

const legacy = buildLegacyMessageSet({ magic: 1, compression: CompressionType.Gzip, records });
const legacyDecode = time(() => decodeLegacyMessageSet(legacy));
console.log(`v1 gzip message set decode ${((legacyDecode.perSecond * payloadBytes) / 1e6).toFixed(1)} MB/s`);

const oneBatch = buildRecordBatch({ compression: CompressionType.Lz4, records });
const recordSet = Buffer.concat(Array.from({ length: Math.ceil((16 << 20) / oneBatch.length) }, () => oneBatch));
const walk = time(() => {
  let count = 0;
  for (const entry of iterateRecordSet(recordSet)) count += entry.size > 0 ? 1 : 0;
  if (count === 0) throw new Error('no entries');
});
console.log(`iterateRecordSet over ${(recordSet.length / 2 ** 20).toFixed(0)} MiB (${Math.ceil((16 << 20) / oneBatch.length)} batches): ${((walk.perSecond * recordSet.length) / 1e9).toFixed(1)} GB/s`);
