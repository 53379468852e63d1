import { javaStringHashCode, kafkaAbs, partitionFor } from '../src';

describe('partitionFor (Java String.hashCode + Kafka Utils.abs)', () => {
  // Vectors from GROUP-AND-TXN.md §1, computed with Java.
  const vectors: [string, number, number][] = [
    ['my-group', -1906497762, 12],
    ['test-group', 627841412, 12],
    ['console-consumer-12345', 158455506, 6],
    ['', 0, 0],
    ['group-é', 293427483, 33],
    ['my-txn-id', 1405732511, 11],
    ['polygenelubricants', -2147483648, 0],
  ];

  it.each(vectors)('%j hashes to %d and lands on partition %d of 50', (id, hash, partition) => {
    expect(javaStringHashCode(id)).toBe(hash);
    expect(partitionFor(id, 50)).toBe(partition);
  });

  it('maps Integer.MIN_VALUE to 0 rather than a negative number', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
  });

  it('hashes UTF-16 code units, so characters outside the BMP count as two', () => {
    // U+1F600 is the surrogate pair D83D DE00: 0xD83D * 31 + 0xDE00.
    expect(javaStringHashCode('\u{1F600}')).toBe(0xd83d * 31 + 0xde00);
  });

  it('refuses a partition count that is not a positive integer', () => {
    expect(() => partitionFor('g', 0)).toThrow(RangeError);
    expect(() => partitionFor('g', 1.5)).toThrow(RangeError);
  });
});
