// fast-crc32c ships no type declarations. It picks the SSE4.2 native binding (sse4_crc32) when it loads and
// falls back to a table-driven JavaScript implementation otherwise.
declare module 'fast-crc32c' {
  export function calculate(input: string | Buffer, initial?: number): number;
}
