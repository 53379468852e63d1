import { FrameDecoder, InvalidFrameSizeError } from '../src/server/frame-decoder';
import { seededRandom } from '@tributary/storage';

function frame(body: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}

describe('FrameDecoder', () => {
  test('returns frames as views of the chunk they arrived in', () => {
    const decoder = new FrameDecoder(1000);
    const chunk = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.from('two!'))]);
    decoder.push(chunk);
    const first = decoder.next()!;
    expect(first.toString()).toBe('one');
    expect(first.buffer).toBe(chunk.buffer);
    expect(decoder.next()!.toString()).toBe('two!');
    expect(decoder.next()).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(0);
  });

  test('a size prefix over the limit is refused as soon as its four bytes arrive, even split across chunks', () => {
    const decoder = new FrameDecoder(100);
    decoder.push(Buffer.from([0x7f, 0xff]));
    expect(() => decoder.push(Buffer.from([0xff, 0xff]))).toThrow(new InvalidFrameSizeError(0x7fffffff, 100));
    expect(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow('Invalid receive (size = -1)');
    expect(() => new FrameDecoder(100).push(frame(Buffer.alloc(101)))).toThrow('Invalid receive (size = 101 larger than 100)');
    const exact = new FrameDecoder(100);
    exact.push(frame(Buffer.alloc(100, 7)));
    expect(exact.next()).toEqual(Buffer.alloc(100, 7));
  });

  test('the frame after a good one is checked too', () => {
    const decoder = new FrameDecoder(10);
    decoder.push(Buffer.concat([frame(Buffer.from('ok')), Buffer.from([0, 0, 1, 0])]));
    expect(() => decoder.next()).toThrow(InvalidFrameSizeError);
  });

  test('reassembles any split of a stream of frames (seeded)', () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const rnd = seededRandom(seed);
    try {
      for (let round = 0; round < 50; round++) {
        const bodies = Array.from({ length: 1 + Math.floor(rnd() * 20) }, (_, i) => Buffer.alloc(Math.floor(rnd() * 300), (round + i) & 0xff));
        const stream = Buffer.concat(bodies.map(frame));
        const decoder = new FrameDecoder(300);
        const received: Buffer[] = [];
        for (let at = 0; at < stream.length; ) {
          const size = 1 + Math.floor(rnd() * 64);
          decoder.push(stream.subarray(at, at + size));
          at += size;
          for (let next = decoder.next(); next; next = decoder.next()) received.push(Buffer.from(next));
        }
        expect(received).toEqual(bodies);
      }
    } catch (error) {
      throw new Error(`failed with FUZZ_SEED=${seed}: ${(error as Error).message}`);
    }
  });
});
