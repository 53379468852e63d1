/**
 * Splits a TCP byte stream into Kafka request frames: a 4-byte big-endian size, then that many bytes. The size
 * is checked against `socket.request.max.bytes` as soon as its 4 bytes arrive, before anything of the body is
 * kept, so a hostile 2 GiB prefix costs nothing. A frame that lies within one received chunk is returned as a
 * view of it; only a frame split across chunks is copied, once, into a buffer of exactly its size.
 */
import { DecodeError } from '@tributary/protocol';

/** The size prefix is negative or above the limit (Kafka's InvalidReceiveException). */
export class InvalidFrameSizeError extends DecodeError {
  constructor(
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(size < 0 ? `Invalid receive (size = ${size})` : `Invalid receive (size = ${size} larger than ${maxBytes})`);
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds received bytes; throws InvalidFrameSizeError when the next frame's size prefix is out of bounds. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.checkNextSize();
  }

  /** The next complete frame (without its size prefix), or undefined until one has fully arrived. */
  next(): Buffer | undefined {
    if (this.buffered < 4) return undefined;
    const size = this.peekSize();
    if (this.buffered < 4 + size) return undefined;
    const first = this.chunks[0];
    let frame: Buffer;
    if (first.length >= 4 + size) {
      frame = first.subarray(4, 4 + size);
      this.consume(4 + size);
    } else {
      this.consume(4);
      frame = Buffer.allocUnsafe(size);
      let copied = 0;
      while (copied < size) {
        const head = this.chunks[0];
        const take = Math.min(head.length, size - copied);
        head.copy(frame, copied, 0, take);
        copied += take;
        this.consume(take);
      }
    }
    this.checkNextSize();
    return frame;
  }

  private checkNextSize(): void {
    if (this.buffered < 4) return;
    const size = this.peekSize();
    if (size < 0 || size > this.maxFrameBytes) throw new InvalidFrameSizeError(size, this.maxFrameBytes);
  }

  private peekSize(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    const prefix = Buffer.alloc(4);
    let copied = 0;
    for (const chunk of this.chunks) {
      copied += chunk.copy(prefix, copied, 0, Math.min(chunk.length, 4 - copied));
      if (copied === 4) break;
    }
    return prefix.readInt32BE(0);
  }

  private consume(bytes: number): void {
    this.buffered -= bytes;
    while (bytes > 0) {
      const head = this.chunks[0];
      if (head.length <= bytes) {
        this.chunks.shift();
        bytes -= head.length;
      } else {
        this.chunks[0] = head.subarray(bytes);
        bytes = 0;
      }
    }
  }
}
