/**
 * Kafka UUIDs travel as 16 raw bytes and are shown (by Kafka's tools and logs) as URL-safe base64 without
 * padding, 22 characters. We keep that text form in memory: it is printable, usable as a map key and compares
 * with `===`.
 */
export type Uuid = string & { readonly __brand: 'Uuid' };

/** The all-zero UUID, Kafka's "no id" (Uuid.ZERO_UUID). */
export const ZERO_UUID = uuidFromBytes(Buffer.alloc(16));

export function uuidFromBytes(bytes: Buffer): Uuid {
  return bytes.toString('base64url') as Uuid;
}

export function uuidToBytes(uuid: Uuid): Buffer {
  const bytes = Buffer.from(uuid, 'base64url');
  if (bytes.length !== 16) throw new RangeError(`not a 16-byte UUID: ${uuid}`);
  return bytes;
}

/** Parses a UUID from its text form, checking that it really is 16 bytes. */
export function parseUuid(text: string): Uuid {
  uuidToBytes(text as Uuid);
  return text as Uuid;
}

/** A random version-4 UUID as Kafka's `Uuid.randomUuid()` makes (never zero, never starting with '-'). */
export function randomUuid(randomBytes: (size: number) => Buffer): Uuid {
  for (;;) {
    const bytes = randomBytes(16);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const uuid = uuidFromBytes(bytes);
    if (uuid !== ZERO_UUID && !uuid.startsWith('-')) return uuid;
  }
}
