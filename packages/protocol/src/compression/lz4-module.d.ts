// The `lz4` package ships no type declarations. Only its block functions and xxHash32 are used: the frame is
// written and parsed here, because Kafka's frame differs from what the package's own encoder writes.
declare module 'lz4' {
  /** LZ4_compress_default into `output`; returns the compressed size, 0 when the input does not compress. */
  export function encodeBlock(input: Buffer, output: Buffer): number;
  /** LZ4_decompress_safe into `output`; returns the decoded size, negative on malformed input. */
  export function decodeBlock(input: Buffer, output: Buffer): number;
  export function encodeBound(size: number): number;
  /** The package's own frame encoder (4 MiB blocks, content checksum); tests use it as a foreign writer. */
  export function encode(input: Buffer): Buffer;
  export const utils: {
    /** xxHash32 with seed 0. */
    blockChecksum(data: Buffer): number;
  };
}
