// Golden record batches from kafkajs' own encoders, following what its producer does for Produce v3+ (record
// batch v2, requests/produce/v3) and for Produce v2 (message set v1, compressed as one wrapper whose offset is
// 0 and whose inner offsets are 0..n-1). Writes kafkajs-*.bin and kafkajs-manifest.json into the given folder.
// Codecs: gzip is kafkajs' built-in; snappy is the kafkajs-snappy plugin (raw Snappy blocks via snappyjs);
// lz4 is the kafkajs-lz4 plugin (the lz4 package's frame: 4 MiB blocks, content checksum); zstd has no plugin
// installed here, so a small adapter around zstd-napi stands in for @kafkajs/zstd.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { CompressionTypes, CompressionCodecs } = require('kafkajs');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const MessageSet = require('kafkajs/src/protocol/messageSet');
const { lookupCodec } = require('kafkajs/src/protocol/message/compression');
const Long = require('kafkajs/src/utils/long');
const zstd = require('zstd-napi');

CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
const LZ4Codec = require('kafkajs-lz4');
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  async compress(encoder) {
    return zstd.compress(encoder.buffer);
  },
  async decompress(buffer) {
    return zstd.decompress(buffer);
  },
});

const CODEC_SOURCE = {
  none: 'none',
  gzip: 'kafkajs built-in (node zlib)',
  snappy: 'kafkajs-snappy plugin',
  lz4: 'kafkajs-lz4 plugin',
  zstd: 'adapter around zstd-napi (no @kafkajs/zstd)',
};
const CODEC_TYPE = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};
const BASE_TIMESTAMP = 1700000000000;

function messages(count, valueSize) {
  const list = [];
  for (let i = 0; i < count; i++) {
    let value = '';
    let state = 777 + i;
    while (value.length < valueSize) {
      state = (state * 1103515245 + 12345) >>> 0;
      value += `kafkajs-${i}-${state % 89} `;
    }
    list.push({
      key: i === 2 ? null : Buffer.from(`key-${i}`),
      value: i === 3 ? null : Buffer.from(value.slice(0, valueSize)),
      headers: i === 1 ? { trace: Buffer.from('abc') } : {},
      timestamp: BASE_TIMESTAMP + 7 * i,
    });
  }
  return list;
}

/** Bytes as in the Java manifest: null, hex up to 256 bytes, else "sha256:" + digest. */
function describeBytes(bytes) {
  if (bytes === null || bytes === undefined) return null;
  if (bytes.length > 256) return 'sha256:' + crypto.createHash('sha256').update(bytes).digest('hex');
  return bytes.toString('hex');
}

async function recordBatch(codecName, list) {
  const firstTimestamp = list[0].timestamp;
  const records = list.map((message, i) =>
    Record({ ...message, offsetDelta: i, timestampDelta: message.timestamp - firstTimestamp }),
  );
  const encoder = await RecordBatch({
    compression: CODEC_TYPE[codecName],
    records,
    firstTimestamp,
    maxTimestamp: list[list.length - 1].timestamp,
    producerId: Long.fromValue(-1),
    producerEpoch: 0,
    firstSequence: 0,
    transactional: false,
    lastOffsetDelta: records.length - 1,
  });
  const batch = {
    magic: 2,
    compression: codecName,
    timestampType: 'CreateTime',
    baseOffset: '0',
    lastOffset: String(list.length - 1),
    maxTimestamp: String(list[list.length - 1].timestamp),
    partitionLeaderEpoch: 0,
    producerId: '-1',
    producerEpoch: 0,
    baseSequence: 0,
    isTransactional: false,
    isControl: false,
    records: list.map((message, i) => ({
      offset: String(i),
      timestamp: String(message.timestamp),
      key: describeBytes(message.key),
      value: describeBytes(message.value),
      headers: Object.entries(message.headers).map(([key, value]) => ({ key, value: describeBytes(value) })),
    })),
  };
  return { bytes: encoder.buffer, batches: [batch] };
}

async function messageSetV1(codecName, list) {
  const compression = codecName === 'none' ? CompressionTypes.None : CompressionTypes.GZIP;
  const entries = list.map(({ key, value, timestamp }) => ({ key, value, timestamp }));
  const inner = MessageSet({ messageVersion: 1, compression, entries });
  let bytes = inner.buffer;
  if (compression !== CompressionTypes.None) {
    const compressed = await lookupCodec(compression).compress(inner);
    bytes = MessageSet({ messageVersion: 1, entries: [{ compression, timestamp: list[0].timestamp, value: compressed }] }).buffer;
  }
  // Uncompressed: kafkajs writes offset -1 on every message. Compressed: wrapper offset 0, inner 0..n-1; the
  // wrapper offset minus the last inner offset is negative, so by Kafka's rule the inner offsets stand as they are.
  const offsets = list.map((_, i) => (compression === CompressionTypes.None ? -1 : i));
  return {
    bytes,
    records: list.map((message, i) => ({
      offset: String(offsets[i]),
      timestamp: String(message.timestamp),
      key: describeBytes(message.key),
      value: describeBytes(message.value),
      headers: [],
    })),
  };
}

async function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node capture-kafkajs.js OUT_DIR');
  fs.mkdirSync(out, { recursive: true });
  const manifest = [];
  const producer = `kafkajs ${require('kafkajs/package.json').version} protocol/recordBatch/v0 (Produce v3+ path)`;
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    const { bytes, batches } = await recordBatch(codec, messages(6, 120));
    const file = `kafkajs-v2-${codec}.bin`;
    fs.writeFileSync(path.join(out, file), bytes);
    manifest.push({ file, producer, codecSource: CODEC_SOURCE[codec], magic: 2, codec, batches });
  }
  for (const codec of ['snappy', 'lz4']) {
    const { bytes, batches } = await recordBatch(codec, messages(60, 2000));
    const file = `kafkajs-v2-${codec}-large.bin`;
    fs.writeFileSync(path.join(out, file), bytes);
    manifest.push({ file, producer, codecSource: CODEC_SOURCE[codec], magic: 2, codec, batches });
  }
  for (const codec of ['none', 'gzip']) {
    const list = messages(4, 60).map((message) => ({ ...message, headers: {} }));
    const { bytes, records } = await messageSetV1(codec, list);
    const file = `kafkajs-v1-${codec}.bin`;
    fs.writeFileSync(path.join(out, file), bytes);
    manifest.push({
      file,
      producer: `kafkajs ${require('kafkajs/package.json').version} protocol/messageSet (Produce v2 path)`,
      codecSource: CODEC_SOURCE[codec],
      magic: 1,
      codec,
      records,
    });
  }
  fs.writeFileSync(path.join(out, 'kafkajs-manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
