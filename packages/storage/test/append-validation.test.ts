import { CompressionType, TimestampType, buildRecordBatch } from '@tributary/protocol';
import { SeededRandom, logConfig, seedFromEnv, type LogConfig } from '../src';
import {
  AppendOrigin,
  type AppendValidationOptions,
  type ValidatedAppend,
  validateAndAssignOffsets,
  validateInJs,
  validateNatively,
} from '../src/log/append-validation';
import { isBatchChecksumValid, updateBatchChecksum } from '../src/log/batch-checksum';
import { batchesIn } from '../src/log/batch-scan';
import { nativeAddon } from '../src/native';

// The addon validates appends when it is built; the JavaScript validation is the fallback and the reference.
// These tests hold both to the same answers: the same result, the same bytes afterwards, or the same error.

const NOW = 1_700_000_000_000;
const BATCH_LENGTH = 8;
const LEADER_EPOCH = 12;
const MAGIC = 16;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const BASE_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const RECORDS_COUNT = 57;
const HEADER = 61;

type Outcome = { result: ValidatedAppend } | { error: { type: string; code: unknown; message: string } };

function outcomeOf(validate: () => ValidatedAppend): Outcome {
  try {
    return { result: validate() };
  } catch (error) {
    const e = error as Error & { code?: unknown };
    return { error: { type: e.constructor.name, code: e.code, message: e.message } };
  }
}

const paths: [string, (records: Buffer, config: LogConfig, options: AppendValidationOptions) => ValidatedAppend][] = [
  ['JavaScript', validateInJs],
];
if (nativeAddon) paths.push(['addon', validateAndAssignOffsets]);

const clientOptions = (extra: Partial<AppendValidationOptions> = {}): AppendValidationOptions => ({
  nextOffset: 100n,
  assignOffsets: true,
  origin: AppendOrigin.Client,
  nowMs: NOW,
  ...extra,
});

function producerBatch(count: number, firstTimestamp = NOW - 1000): Buffer {
  return buildRecordBatch({
    producerId: 7n,
    producerEpoch: 1,
    baseSequence: 0,
    records: Array.from({ length: count }, (_, i) => ({ timestamp: BigInt(firstTimestamp + i), key: Buffer.from(`k${i}`), value: Buffer.alloc(100, i) })),
  });
}

describe.each(paths)('append validation (%s)', (_, validate) => {
  it('assigns offsets in place, writes the leader epoch and reports every batch', () => {
    const records = Buffer.concat([producerBatch(3), producerBatch(5, NOW - 500)]);
    const result = validate(records, logConfig(), clientOptions({ leaderEpoch: 9 }));
    expect(result.firstOffset).toBe(100n);
    expect(result.lastOffset).toBe(107n);
    expect(result.recordCount).toBe(8);
    expect(result.maxTimestamp).toBe(NOW - 500 + 4);
    expect(result.offsetOfMaxTimestamp).toBe(107n);
    expect(result.logAppendTimeMs).toBe(-1);
    expect(result.batches).toEqual([...batchesIn(records)]);
    expect(result.batches.map((b) => [b.position, b.baseOffset, b.lastOffset])).toEqual([
      [0, 100n, 102n],
      [records.readInt32BE(BATCH_LENGTH) + 12, 103n, 107n],
    ]);
    for (const batch of result.batches) expect(records.readInt32BE(batch.position + LEADER_EPOCH)).toBe(9);
  });

  it('stamps LogAppendTime and keeps the CRC valid', () => {
    const records = producerBatch(4);
    const result = validate(records, logConfig({ messageTimestampType: TimestampType.LogAppendTime }), clientOptions());
    expect(result.logAppendTimeMs).toBe(NOW);
    expect(result.maxTimestamp).toBe(NOW);
    expect(records.readInt16BE(ATTRIBUTES) & 0x08).toBe(0x08);
    expect(Number(records.readBigInt64BE(MAX_TIMESTAMP))).toBe(NOW);
    expect(isBatchChecksumValid(records)).toBe(true);
  });

  it('refuses a corrupted batch with the corrupt-message code', () => {
    const records = producerBatch(2);
    records[records.length - 1] ^= 1;
    expect(() => validate(records, logConfig(), clientOptions())).toThrow(expect.objectContaining({ code: 2 }));
  });

  it('refuses a timestamp too far in the future', () => {
    const records = producerBatch(2, NOW + 10_000);
    expect(() => validate(records, logConfig({ messageTimestampAfterMaxMs: 1000 }), clientOptions())).toThrow(/after.max.ms/);
  });
});

/** Rewrites covered header bytes and fixes the CRC, so the batch reaches the checks after the CRC. */
function rewriteCovered(records: Buffer, at: number, write: (batch: Buffer) => void): void {
  const size = records.readInt32BE(at + BATCH_LENGTH) + 12;
  if (at + size > records.length || size < HEADER) return;
  const batch = records.subarray(at, at + size);
  write(batch);
  updateBatchChecksum(batch);
}

function randomRecordSet(random: SeededRandom, nextOffset: bigint): Buffer {
  const batches: Buffer[] = [];
  let offset = nextOffset + BigInt(random.int(3)) - 1n;
  const count = 1 + random.int(4);
  for (let b = 0; b < count; b++) {
    const records = 1 + random.int(12);
    const first = random.chance(0.1) ? -1 : NOW - 5000 + random.int(10_000);
    const batch = buildRecordBatch({
      baseOffset: offset < 0n ? 0n : offset,
      partitionLeaderEpoch: random.int(5),
      compression: random.chance(0.05) ? CompressionType.Gzip : CompressionType.None,
      isControl: random.chance(0.05),
      producerId: random.chance(0.5) ? BigInt(random.int(1000)) : -1n,
      records: Array.from({ length: records }, (_, i) => ({
        timestamp: first === -1 ? -1n : BigInt(first + random.int(3000) * (i > 0 ? 1 : 0)),
        key: random.chance(0.1) ? null : Buffer.from(`key-${random.int(100)}`),
        value: Buffer.alloc(random.int(300), random.int(256)),
      })),
    });
    batches.push(batch);
    offset += BigInt(records) + (random.chance(0.2) ? BigInt(random.int(5)) - 2n : 0n);
  }
  return Buffer.concat(batches);
}

/** One of the ways a record set can be wrong (or, often, nothing at all). */
function mutate(random: SeededRandom, records: Buffer): Buffer {
  const at = 0;
  switch (random.int(15)) {
    case 0:
      records[random.int(records.length)] ^= 1 << random.int(8);
      return records;
    case 1:
      return records.subarray(0, random.int(records.length));
    case 2:
      return Buffer.concat([records, Buffer.alloc(1 + random.int(80), random.int(256))]);
    case 3:
      records.writeInt8([0, 1, 3, -1][random.int(4)], at + MAGIC);
      return records;
    case 4:
      records.writeInt32BE(random.chance(0.5) ? random.int(100) : records.readInt32BE(BATCH_LENGTH) + random.int(9) - 4, at + BATCH_LENGTH);
      return records;
    case 5:
      rewriteCovered(records, at, (batch) => batch.writeInt32BE(random.int(30) - 3, LAST_OFFSET_DELTA));
      return records;
    case 6:
      rewriteCovered(records, at, (batch) => batch.writeInt32BE(random.int(30) - 3, RECORDS_COUNT));
      return records;
    case 7:
      rewriteCovered(records, at, (batch) => batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES) | 0x20, ATTRIBUTES));
      return records;
    case 8:
      rewriteCovered(records, at, (batch) => batch.writeBigInt64BE(BigInt(NOW + (random.int(2) ? 1 : -1) * random.int(10_000_000)), BASE_TIMESTAMP));
      return records;
    case 9:
      rewriteCovered(records, at, (batch) => batch.writeBigInt64BE(BigInt(NOW + (random.int(2) ? 1 : -1) * random.int(10_000_000)), MAX_TIMESTAMP));
      return records;
    case 10:
      return Buffer.alloc(0);
    case 11:
      rewriteCovered(records, at, (batch) => batch.writeBigInt64BE(BigInt(NOW - 1_000_000 - random.int(10_000_000)), BASE_TIMESTAMP));
      return records;
    default:
      return records;
  }
}

function randomConfig(random: SeededRandom): LogConfig {
  const overrides: Partial<LogConfig> = {
    messageTimestampType: random.chance(0.3) ? TimestampType.LogAppendTime : TimestampType.CreateTime,
  };
  if (random.chance(0.2)) overrides.maxMessageBytes = 200 + random.int(3000);
  if (random.chance(0.4)) overrides.messageTimestampBeforeMaxMs = random.int(1_000_000);
  if (random.chance(0.4)) overrides.messageTimestampAfterMaxMs = random.int(1_000_000);
  if (random.chance(0.1)) overrides.cleanupPolicy = { compact: true, delete: false };
  if (random.chance(0.05)) overrides.segmentBytes = 100;
  return logConfig(overrides);
}

const REFUSALS = [
  'CorruptRecordError: batch at byte N claims N bytes, but N remain',
  'CorruptRecordError: batch at byte N fails its CRCNC check',
  'CorruptRecordError: record set ends with N bytes, less than a batch header',
  'InvalidRecordError: batch at byte N has a negative lastOffsetDelta',
  'InvalidRecordError: batch at byte N holds N records but its offsets span N',
  'InvalidRecordError: batch offset N is below the next expected offset N',
  'InvalidRecordError: clients may not write control batches',
  'InvalidRecordError: compacted topic cannot accept a record without a key',
  'InvalidRecordError: empty record set',
  'InvalidTimestampError: timestamp N is more than message.timestamp.after.max.ms (N) after broker time N',
  'InvalidTimestampError: timestamp N is more than message.timestamp.before.max.ms (N) before broker time N',
  'RecordBatchTooLargeError: record set of N bytes exceeds segment.bytes N',
  'RecordTooLargeError: batch of N bytes exceeds max.message.bytes N',
  'UnsupportedForMessageFormatError: batch at byte N has magic N; storage holds only magic N',
];
const NEXT_OFFSETS = [0n, 5n, 1_000_000n, 2n ** 40n, 2n ** 53n - 10n, 2n ** 60n];

const seed = seedFromEnv();
(nativeAddon ? describe : describe.skip)(`the addon's validation against the JavaScript one (TRIBUTARY_SEED=${seed})`, () => {
  it('gives the same result, the same bytes or the same error for random and damaged record sets', () => {
    const random = new SeededRandom(seed);
    let nativeAnswers = 0;
    let failures = 0;
    const kinds = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const nextOffset = NEXT_OFFSETS[random.int(NEXT_OFFSETS.length)];
      const config = randomConfig(random);
      const options: AppendValidationOptions = {
        nextOffset,
        assignOffsets: random.chance(0.7),
        origin: [AppendOrigin.Client, AppendOrigin.Coordinator, AppendOrigin.Replication][random.int(3)],
        nowMs: NOW,
        leaderEpoch: random.chance(0.5) ? random.int(100) : undefined,
        timestampType: random.chance(0.2) ? TimestampType.LogAppendTime : undefined,
      };
      const original = mutate(random, randomRecordSet(random, nextOffset));
      const forJs = Buffer.from(original);
      const forAddon = Buffer.from(original);
      const expected = outcomeOf(() => validateInJs(forJs, config, options));
      const actual = outcomeOf(() => validateAndAssignOffsets(forAddon, config, options));
      const context = `case ${i} (TRIBUTARY_SEED=${seed})`;
      expect({ context, outcome: actual }).toEqual({ context, outcome: expected });
      // On success the batches went out rewritten the same way; on failure both may have rewritten the batches
      // before the bad one, and they did so identically.
      expect({ context, bytes: forAddon.toString('hex') }).toEqual({ context, bytes: forJs.toString('hex') });
      if ('error' in expected) {
        failures++;
        kinds.add(`${expected.error.type}: ${expected.error.message.replace(/-?[0-9]+/g, 'N')}`);
      }
      if (answeredNatively(Buffer.from(original), config, options)) nativeAnswers++;
    }
    // The cases must reach both sides of every check: many valid sets and many refused ones.
    expect(failures).toBeGreaterThan(300);
    expect(1000 - failures).toBeGreaterThan(250);
    expect(nativeAnswers).toBeGreaterThan(600);
    // Every refusal the validation knows, except "overlaps the previous batch" (the offset checks before it
    // make it unreachable for v2 batches).
    expect([...kinds].sort()).toEqual(REFUSALS);
  });

  it('leaves to JavaScript what needs decoding or bigint: compacted topics and offsets past 2^53', () => {
    const compacted = logConfig({ cleanupPolicy: { compact: true, delete: false } });
    expect(validateNatively(producerBatch(2), compacted, clientOptions())).toBeUndefined();
    expect(validateNatively(producerBatch(2), logConfig(), clientOptions({ nextOffset: 2n ** 53n }))).toBeUndefined();
    // The last offset would be 2^53, one past what a double holds exactly.
    expect(validateNatively(producerBatch(2), logConfig(), clientOptions({ nextOffset: 2n ** 53n - 1n }))).toBeUndefined();
    const result = validateAndAssignOffsets(producerBatch(2), logConfig(), clientOptions({ nextOffset: 2n ** 53n - 1n }));
    expect(result.lastOffset).toBe(2n ** 53n);
    expect(validateNatively(producerBatch(2), logConfig(), clientOptions({ nextOffset: 2n ** 53n - 2n }))?.lastOffset).toBe(2n ** 53n - 1n);
  });

  it('refuses arguments that are not a record set or a batch count', () => {
    // The addon's errors come from Node's own realm, not Jest's, so they are matched by message.
    expect(() => nativeAddon!.validateBatches('not bytes' as unknown as Buffer)).toThrow(/expects a Buffer/);
    expect(() => nativeAddon!.validationArrays(-1)).toThrow(/expects a number of batches/);
  });

  it('reports more batches than its result array holds, and grows it', () => {
    const records = Buffer.concat(Array.from({ length: 150 }, () => producerBatch(1)));
    const expected = validateInJs(Buffer.from(records), logConfig(), clientOptions());
    expect(validateAndAssignOffsets(Buffer.from(records), logConfig(), clientOptions())).toEqual(expected);
    expect(validateAndAssignOffsets(Buffer.from(records), logConfig(), clientOptions())).toEqual(expected);
  });
});

/** Whether the addon answered (a result or an error) rather than handing the append to JavaScript. */
function answeredNatively(records: Buffer, config: LogConfig, options: AppendValidationOptions): boolean {
  try {
    return validateNatively(records, config, options) !== undefined;
  } catch {
    return true;
  }
}
