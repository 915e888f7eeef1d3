/**
 * Deterministic identifiers and randomness for the engine: everything derives from the engine's seed and a
 * sequence number through sha256, so the same seed and the same inputs give the same ids.
 */
import { createHash } from "node:crypto";

export function sha256Hex(input: string): string {
  return createHash("sha256").update(input).digest("hex");
}

/** A UUID-shaped string (version 4, RFC 4122 variant) built from the first 32 hex digits of `hex`. */
export function uuidFromHex(hex: string): string {
  const h = hex.slice(0, 32).padEnd(32, "0");
  const version = `4${h.slice(13, 16)}`;
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16) + h.slice(17, 20);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${version}-${variant}-${h.slice(20, 32)}`;
}

export class DeterministicIds {
  constructor(private readonly seed: string) {}

  /** The n-th trade id, UUID-shaped. */
  tradeId(n: number): string {
    return uuidFromHex(sha256Hex(`${this.seed}:trade:${n}`));
  }

  /** The n-th settlement transaction hash: 0x + 64 hex digits. */
  transactionHash(n: number): string {
    return `0x${sha256Hex(`${this.seed}:tx:${n}`)}`;
  }
}

/**
 * A small seeded generator (mulberry32) owned by the engine, used only for the optional trade-failure rate,
 * so that draws never depend on anything but the seed and the number of draws before.
 */
export class SeededRng {
  private state: number;

  constructor(seed: string) {
    this.state = Number.parseInt(sha256Hex(`${seed}:rng`).slice(0, 8), 16) >>> 0;
  }

  /** A uniform integer in [0, 2^32). */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** True with probability `micros` / 1e6. */
  chance(micros: number): boolean {
    if (micros <= 0) return false;
    return Math.floor((this.nextUint32() * 1_000_000) / 2 ** 32) < micros;
  }
}
