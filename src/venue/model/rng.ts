/**
 * The simulator's one source of randomness: a seeded xoroshiro128+ generator (pure-rand) with the
 * few distributions the market model needs.
 *
 * Streams are addressed by a path of labels, not by draw order: `Rng.fromSeed(7).fork("path:BTC")`
 * is the same stream no matter how many numbers the parent has drawn or which other streams
 * exist. The 128-bit state of a stream is the first 16 bytes of sha256("ballast-rng|" + path), so
 * adding an asset or a market never shifts another's numbers.
 *
 * Not for cryptography. No clock, no Math.random.
 */
import { createHash } from "node:crypto";
import { type RandomGenerator, unsafeUniformIntDistribution, xoroshiro128plus } from "pure-rand";

export type Seed = number | string;

const TWO_POW_26 = 67_108_864;
const TWO_POW_53 = 9_007_199_254_740_992;

function stateFor(path: string): number[] {
  const digest = createHash("sha256").update(`ballast-rng|${path}`).digest();
  const state: number[] = [
    digest.readInt32BE(0),
    digest.readInt32BE(4),
    digest.readInt32BE(8),
    digest.readInt32BE(12),
  ];
  // An all-zero state would make xoroshiro emit zeros forever (probability 2^-128, but free to avoid).
  if (!state.some((w) => w !== 0)) state[0] = 1;
  return state;
}

export class Rng {
  private readonly gen: RandomGenerator;
  private spare: number | undefined;

  private constructor(
    /** The label path that names this stream, e.g. "7/path:BTC". */
    readonly path: string,
  ) {
    this.gen = xoroshiro128plus.fromState(stateFor(path));
  }

  static fromSeed(seed: Seed): Rng {
    return new Rng(String(seed));
  }

  /** An independent child stream named by `label`; independent of how much this stream has drawn. */
  fork(label: string): Rng {
    return new Rng(`${this.path}/${label}`);
  }

  private u32(): number {
    return this.gen.unsafeNext() >>> 0;
  }

  /** Uniform in [0, 1), 53 random bits (the high bits of two outputs). */
  next(): number {
    const hi = this.u32() >>> 5;
    const lo = this.u32() >>> 6;
    return (hi * TWO_POW_26 + lo) / TWO_POW_53;
  }

  /** Uniform integer in [lo, hi], both inclusive (pure-rand's unbiased distribution). */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
      throw new RangeError(`int(${lo}, ${hi}): need integers with lo <= hi`);
    }
    if (lo === hi) return lo;
    return unsafeUniformIntDistribution(lo, hi, this.gen);
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Marsaglia's polar method; the second value of each pair is kept). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /** Exponential with the given rate (mean 1/rate); Infinity when rate <= 0. */
  exponential(rate: number): number {
    if (!(rate > 0)) return Number.POSITIVE_INFINITY;
    return -Math.log(1 - this.next()) / rate;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty array");
    return items[this.int(0, items.length - 1)] as T;
  }
}
