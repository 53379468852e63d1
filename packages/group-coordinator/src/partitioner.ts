/**
 * Which partition of `__consumer_offsets` (or `__transaction_state`) owns a group or transactional id. Kafka
 * uses Java's `String.hashCode()` and its own `Utils.abs`; any other hash would send clients to a broker that does
 * not hold their group, so both are reproduced exactly.
 */

/** Java's `String.hashCode()`: over UTF-16 code units (as JS strings are), wrapping at 32 bits. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's `Utils.abs`: like Math.abs, except that Integer.MIN_VALUE maps to 0 rather than staying negative. */
export function kafkaAbs(value: number): number {
  return value === -2147483648 ? 0 : Math.abs(value);
}

/** The partition of the internal topic, out of `numPartitions`, that coordinates `id`. */
export function partitionFor(id: string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
    throw new RangeError(`numPartitions must be a positive integer, not ${numPartitions}`);
  }
  return kafkaAbs(javaStringHashCode(id)) % numPartitions;
}
