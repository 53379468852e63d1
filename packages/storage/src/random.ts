/**
 * A small seeded generator (mulberry32) so fault tests can be replayed exactly from the seed they print.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

/** The same generator as a plain function returning floats in [0, 1), for code that takes `() => number`. */
export function seededRandom(seed: number): () => number {
  const generator = new SeededRandom(seed);
  return () => generator.next();
}

/** A seed from the environment (`TRIBUTARY_SEED`) when replaying, otherwise a fresh one. */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env.TRIBUTARY_SEED;
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv) >>> 0;
  return Math.floor(Math.random() * 0xffffffff) >>> 0;
}
