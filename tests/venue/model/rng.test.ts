import { Rng } from "../../../src/venue/model/rng";

function draws(r: Rng, n: number): number[] {
  return Array.from({ length: n }, () => r.next());
}

describe("Rng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    expect(draws(Rng.fromSeed(42), 50)).toEqual(draws(Rng.fromSeed(42), 50));
    expect(draws(Rng.fromSeed(42), 50)).not.toEqual(draws(Rng.fromSeed(43), 50));
    expect(draws(Rng.fromSeed("42"), 5)).toEqual(draws(Rng.fromSeed(42), 5));
  });

  it("forks by label, independently of how much the parent has drawn", () => {
    const a = Rng.fromSeed(7);
    const b = Rng.fromSeed(7);
    draws(b, 1000);
    expect(draws(a.fork("path:BTC"), 20)).toEqual(draws(b.fork("path:BTC"), 20));
    expect(draws(a.fork("path:BTC"), 20)).not.toEqual(draws(a.fork("path:ETH"), 20));
    expect(draws(a.fork("x").fork("y"), 5)).toEqual(draws(Rng.fromSeed(7).fork("x").fork("y"), 5));
    expect(draws(a.fork("x"), 5)).not.toEqual(draws(a, 5));
  });

  it("next() is uniform in [0, 1)", () => {
    const r = Rng.fromSeed(1);
    const xs = draws(r, 100_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    const buckets = new Array(10).fill(0);
    for (const x of xs) buckets[Math.floor(x * 10)]++;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });

  it("int() covers [lo, hi] inclusive, uniformly", () => {
    const r = Rng.fromSeed(2);
    const counts = new Map<number, number>();
    for (let i = 0; i < 60_000; i++) {
      const v = r.int(-2, 3);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((x, y) => x - y)).toEqual([-2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(600);
    expect(r.int(5, 5)).toBe(5);
    expect(() => r.int(3, 2)).toThrow(RangeError);
  });

  it("normal() has mean 0 and variance 1; exponential() has mean 1/rate", () => {
    const r = Rng.fromSeed(3);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.015);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02);
    let e = 0;
    for (let i = 0; i < n; i++) e += r.exponential(4);
    expect(Math.abs(e / n - 0.25)).toBeLessThan(0.005);
    expect(r.exponential(0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("chance() and pick()", () => {
    const r = Rng.fromSeed(4);
    let hits = 0;
    for (let i = 0; i < 50_000; i++) if (r.chance(0.3)) hits++;
    expect(Math.abs(hits / 50_000 - 0.3)).toBeLessThan(0.01);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(r.pick(["a", "b", "c"]));
    expect([...seen].sort()).toEqual(["a", "b", "c"]);
    expect(() => r.pick([])).toThrow(RangeError);
  });
});
