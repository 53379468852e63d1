import {
  CheckpointFormatError,
  LeaderEpochCheckpointFile,
  MemoryFileSystem,
  OffsetCheckpointFile,
  OffsetIndex,
  TimeIndex,
  TransactionIndex,
  decodeMetaProperties,
  decodePartitionMetadata,
  encodePartitionMetadata,
  decodeProducerSnapshot,
  encodeMetaProperties,
  encodeProducerSnapshot,
  offsetFileName,
  offsetFromFileName,
  parsePartitionDirName,
  readMetaProperties,
  writeMetaProperties,
} from '../src';

function memoryDir(): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  fs.mkdir('/d');
  return fs;
}

describe('file names', () => {
  it('pads base offsets to 20 digits and parses them back', () => {
    expect(offsetFileName(368769n, '.log')).toBe('00000000000000368769.log');
    expect(offsetFromFileName('00000000000000368769.timeindex')).toBe(368769n);
    expect(offsetFromFileName('leader-epoch-checkpoint')).toBeUndefined();
  });

  it('splits partition dir names at the last dash and skips delete/future/stray dirs', () => {
    expect(parsePartitionDirName('my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 });
    expect(parsePartitionDirName('orders-3.0123456789abcdef0123456789abcdef-delete')).toBeUndefined();
    expect(parsePartitionDirName('recovery-point-offset-checkpoint')).toBeUndefined();
  });
});

describe('offset index', () => {
  it('writes 8-byte big-endian entries and looks up the floor entry', () => {
    const fs = memoryDir();
    const index = OffsetIndex.open(fs, '/d/0.index', 1024);
    index.append(3, 100);
    index.append(10, 4200);
    index.append(25, 9000);
    // Entries reach the file in groups (like Kafka's mmap'd index, without a syscall each); persist writes them.
    expect(fs.exists('/d/0.index')).toBe(false);
    index.persist();
    expect(fs.readFile('/d/0.index')).toEqual(Buffer.from('00000003000000640000000a000010680000001900002328', 'hex'));
    expect(index.lookup(2)).toEqual({ relativeOffset: 0, position: 0 });
    expect(index.lookup(10)).toEqual({ relativeOffset: 10, position: 4200 });
    expect(index.lookup(24)).toEqual({ relativeOffset: 10, position: 4200 });
    expect(index.lookup(1000)).toEqual({ relativeOffset: 25, position: 9000 });
    index.truncateTo(10);
    expect(index.entries).toBe(1);
    expect(fs.readFile('/d/0.index').length).toBe(8);
    index.close();
    const reopened = OffsetIndex.open(fs, '/d/0.index', 1024);
    expect(reopened.lastEntry()).toEqual({ relativeOffset: 3, position: 100 });
  });

  it('reports itself full at segment.index.bytes and insane when entries go backwards', () => {
    const fs = memoryDir();
    const index = OffsetIndex.open(fs, '/d/0.index', 16);
    index.append(1, 10);
    expect(index.isFull).toBe(false);
    index.append(2, 20);
    expect(index.isFull).toBe(true);
    expect(index.isSane(100)).toBe(true);
    expect(index.isSane(15)).toBe(false);
    index.flush();
    fs.fileBytes('/d/0.index').writeInt32BE(0, 8);
    expect(OffsetIndex.open(fs, '/d/0.index', 16).isSane(100)).toBe(false);
  });
});

describe('time index', () => {
  it('writes 12-byte entries only when the timestamp grows and looks up by time', () => {
    const fs = memoryDir();
    const index = TimeIndex.open(fs, '/d/0.timeindex', 1200);
    index.maybeAppend(1000, 5);
    index.maybeAppend(900, 6);
    index.maybeAppend(2000, 9);
    expect(index.entries).toBe(2);
    index.persist();
    expect(fs.readFile('/d/0.timeindex')).toEqual(Buffer.from('00000000000003e800000005' + '00000000000007d000000009', 'hex'));
    expect(index.lookup(999)).toEqual({ timestampMs: -1, relativeOffset: 0 });
    expect(index.lookup(1500)).toEqual({ timestampMs: 1000, relativeOffset: 5 });
    index.truncateTo(9);
    expect(index.entries).toBe(1);
  });

  it('encodes timestamps past 2^32 exactly, and compares new entries with the last one read back from the file', () => {
    const fs = memoryDir();
    const index = TimeIndex.open(fs, '/d/0.timeindex', 1200);
    const timestamps = [0x1_0000_0000 - 1, 0x1_0000_0000, 1_700_000_000_123, 2 ** 52 + 7];
    timestamps.forEach((timestampMs, i) => index.maybeAppend(timestampMs, i + 1));
    index.close();
    const expected = Buffer.concat(
      timestamps.map((timestampMs, i) => {
        const entry = Buffer.alloc(12);
        entry.writeBigInt64BE(BigInt(timestampMs));
        entry.writeInt32BE(i + 1, 8);
        return entry;
      }),
    );
    expect(fs.readFile('/d/0.timeindex')).toEqual(expected);
    const reopened = TimeIndex.open(fs, '/d/0.timeindex', 1200);
    reopened.maybeAppend(2 ** 52, 10); // older than the last entry on disk: skipped
    reopened.maybeAppend(2 ** 52 + 8, 4); // offset not above the last entry's: skipped
    expect(reopened.entries).toBe(4);
    reopened.maybeAppend(2 ** 52 + 8, 5);
    expect(reopened.lastEntry()).toEqual({ timestampMs: 2 ** 52 + 8, relativeOffset: 5 });
  });
});

describe('transaction index', () => {
  it('round-trips 34-byte aborted-transaction entries and collects the overlapping ones', () => {
    const fs = memoryDir();
    const index = TransactionIndex.open(fs, '/d/0.txnindex');
    const a = { producerId: 7n, firstOffset: 10n, lastOffset: 20n, lastStableOffset: 10n };
    const b = { producerId: 8n, firstOffset: 15n, lastOffset: 30n, lastStableOffset: 15n };
    index.append(a);
    index.append(b);
    expect(fs.readFile('/d/0.txnindex').length).toBe(68);
    expect(fs.readFile('/d/0.txnindex').subarray(0, 34)).toEqual(
      Buffer.from('0000' + '0000000000000007' + '000000000000000a' + '0000000000000014' + '000000000000000a', 'hex'),
    );
    index.close();
    const reopened = TransactionIndex.open(fs, '/d/0.txnindex');
    expect(reopened.all).toEqual([a, b]);
    expect(reopened.collectAbortedTxns(21n, 100n)).toEqual([b]);
    expect(reopened.collectAbortedTxns(0n, 12n)).toEqual([a]);
    expect(reopened.collectAbortedTxns(31n, 100n)).toEqual([]);
    reopened.truncateTo(25n);
    expect(reopened.all).toEqual([a]);
    expect(() => reopened.append(a)).toThrow();
  });
});

describe('producer snapshot', () => {
  it('round-trips the version-1 layout and rejects a flipped byte', () => {
    const entries = [
      { producerId: 1000n, producerEpoch: 2, lastSequence: 41, lastOffset: 99n, offsetDelta: 4, timestampMs: 1_700_000_000_000n, coordinatorEpoch: 3, currentTxnFirstOffset: -1n },
      { producerId: 1001n, producerEpoch: 0, lastSequence: 0, lastOffset: 100n, offsetDelta: 0, timestampMs: 5n, coordinatorEpoch: -1, currentTxnFirstOffset: 100n },
    ];
    const bytes = encodeProducerSnapshot(entries);
    expect(bytes.length).toBe(10 + 2 * 46);
    expect(bytes.readInt16BE(0)).toBe(1);
    expect(decodeProducerSnapshot(bytes)).toEqual(entries);
    const damaged = Buffer.from(bytes);
    damaged[30] ^= 1;
    expect(() => decodeProducerSnapshot(damaged)).toThrow(/CRC/);
    expect(() => decodeProducerSnapshot(bytes.subarray(0, 50))).toThrow();
  });
});

describe('checkpoint files', () => {
  it('writes and reads the offset checkpoint text format atomically', () => {
    const fs = memoryDir();
    const file = new OffsetCheckpointFile(fs, '/d/replication-offset-checkpoint');
    file.write([
      { topic: 'orders', partition: 0, offset: 1234n },
      { topic: 'my-topic', partition: 1, offset: 987n },
    ]);
    expect(fs.readFile('/d/replication-offset-checkpoint').toString()).toBe('0\n2\norders 0 1234\nmy-topic 1 987\n');
    expect(fs.exists('/d/replication-offset-checkpoint.tmp')).toBe(false);
    const read = file.read();
    expect(read.get('my-topic-1')).toEqual({ topic: 'my-topic', partition: 1, offset: 987n });
    expect(read.size).toBe(2);
  });

  it('rejects unknown versions and wrong entry counts', () => {
    const fs = memoryDir();
    const file = new OffsetCheckpointFile(fs, '/d/c');
    const write = (text: string) => {
      const h = fs.open('/d/c', { create: true });
      h.truncate(0);
      h.write(Buffer.from(text), 0);
      h.close();
    };
    write('');
    expect(file.read().size).toBe(0);
    write('1\n0\n');
    expect(() => file.read()).toThrow(CheckpointFormatError);
    write('0\n2\na 0 1\n');
    expect(() => file.read()).toThrow(CheckpointFormatError);
    write('0\n1\na x 1\n');
    expect(() => file.read()).toThrow(CheckpointFormatError);
  });

  it('round-trips leader-epoch-checkpoint', () => {
    const fs = memoryDir();
    const file = new LeaderEpochCheckpointFile(fs, '/d/leader-epoch-checkpoint');
    file.write([
      { epoch: 0, startOffset: 0n },
      { epoch: 2, startOffset: 5321n },
      { epoch: 5, startOffset: 9000n },
    ]);
    expect(fs.readFile('/d/leader-epoch-checkpoint').toString()).toBe('0\n3\n0 0\n2 5321\n5 9000\n');
    expect(file.read()).toEqual([
      { epoch: 0, startOffset: 0n },
      { epoch: 2, startOffset: 5321n },
      { epoch: 5, startOffset: 9000n },
    ]);
  });

  it('writes meta.properties as a Java properties file and reads Kafka-written ones', () => {
    const fs = memoryDir();
    writeMetaProperties(fs, '/d/meta.properties', { version: '0', 'broker.id': '1', 'cluster.id': 'WdSN2qR-Qm2kGZ1A3zYtDg' }, new Date(0));
    const text = fs.readFile('/d/meta.properties').toString();
    expect(text.split('\n').slice(0, 2)).toEqual(['#', '#Thu Jan 01 00:00:00 UTC 1970']);
    expect(readMetaProperties(fs, '/d/meta.properties')).toEqual({ version: '0', 'broker.id': '1', 'cluster.id': 'WdSN2qR-Qm2kGZ1A3zYtDg' });
    const kafkaWritten = '#\n#Thu Oct 24 10:00:00 UTC 2024\nnode.id=1\ndirectory.id=abc\\:def\nversion=1\ncluster.id=x\n';
    expect(decodeMetaProperties(kafkaWritten)).toEqual({ 'node.id': '1', 'directory.id': 'abc:def', version: '1', 'cluster.id': 'x' });
    expect(decodeMetaProperties(encodeMetaProperties({ 'a b': 'c=d' }, new Date(0)).toString())).toEqual({ 'a b': 'c=d' });
  });
});

describe('partition.metadata', () => {
  it("round-trips Kafka's two-line format and rejects other versions", () => {
    const text = encodePartitionMetadata('9mdSy3bKQ-KSpBXn3tUM4A').toString();
    expect(text).toBe('version: 0\ntopic_id: 9mdSy3bKQ-KSpBXn3tUM4A\n');
    expect(decodePartitionMetadata(text)).toBe('9mdSy3bKQ-KSpBXn3tUM4A');
    expect(() => decodePartitionMetadata('version: 1\ntopic_id: 9mdSy3bKQ-KSpBXn3tUM4A\n')).toThrow();
    expect(() => decodePartitionMetadata('version: 0\ntopic_id: short\n')).toThrow();
  });
});
