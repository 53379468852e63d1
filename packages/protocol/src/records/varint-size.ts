/** Bytes a zigzag varint of a signed 32-bit value occupies (1..5). */
export function sizeOfVarint(value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (raw >= 0x80) {
    raw = Math.floor(raw / 128);
    bytes++;
  }
  return bytes;
}

/** Bytes a zigzag varlong of a signed 64-bit value occupies (1..10). */
export function sizeOfVarlong(value: bigint): number {
  const wide = BigInt.asIntN(64, value);
  let raw = BigInt.asUintN(64, (wide << 1n) ^ (wide >> 63n));
  let bytes = 1;
  while (raw >= 0x80n) {
    raw >>= 7n;
    bytes++;
  }
  return bytes;
}
