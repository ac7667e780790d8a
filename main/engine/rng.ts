// Seedable pseudo-random numbers with a state that serializes to JSON, so a resumed run draws the
// same numbers an uninterrupted one would (checkpoints store it). xoshiro128** (Blackman & Vigna):
// 128-bit state, 32-bit outputs, fast with Math.imul, good statistical quality; seeded by
// splitmix32 so nearby seeds give unrelated streams.

export type RngState = {
  algorithm: 'xoshiro128**';
  /** The four 32-bit state words. */
  s: [number, number, number, number];
  /** The second Box–Muller normal, kept for the next normal() call (null when none is pending). */
  spareNormal: number | null;
};

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number | RngState = 0) {
    if (typeof seed === 'object') {
      if (seed.algorithm !== 'xoshiro128**' || !Array.isArray(seed.s) || seed.s.length !== 4) {
        throw new Error(`Rng: unrecognized state ${JSON.stringify(seed)}`);
      }
      [this.s0, this.s1, this.s2, this.s3] = seed.s.map((w) => w >>> 0) as [number, number, number, number];
      this.spare = seed.spareNormal;
    } else {
      if (!Number.isInteger(seed)) throw new Error(`Rng: seed must be an integer, got ${seed}`);
      let x = seed >>> 0;
      const splitmix32 = (): number => {
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.s0 = splitmix32();
      this.s1 = splitmix32();
      this.s2 = splitmix32();
      this.s3 = splitmix32();
    }
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s3 = 1; // the all-zero state is a fixed point
  }

  /** The state as plain JSON; `new Rng(state)` continues exactly from here. */
  getState(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal (Box–Muller; the pair's second value is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with normal(mean, std) draws (parameter initialization). */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
