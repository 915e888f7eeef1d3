import fc from "fast-check";
import { assertBackoffPolicy, fullJitterBackoffMs } from "../../src/polymarket/backoff";

const policy = { baseMs: 500, capMs: 30_000 };

describe("fullJitterBackoffMs", () => {
  test("the window doubles from baseMs until it reaches capMs", () => {
    const almostOne = () => 0.999_999_9;
    const upperBounds = [0, 1, 2, 3, 4, 5, 6, 7, 20, 2000].map((n) =>
      fullJitterBackoffMs(n, policy, almostOne),
    );
    expect(upperBounds).toEqual([499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999, 29_999]);
  });

  test("full jitter: the draw scales the whole window, down to zero", () => {
    expect(fullJitterBackoffMs(3, policy, () => 0)).toBe(0);
    expect(fullJitterBackoffMs(3, policy, () => 0.5)).toBe(2000);
    expect(fullJitterBackoffMs(3, policy, () => 0.25)).toBe(1000);
  });

  test("always an integer in [0, min(cap, base * 2^attempt))", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, extraCapMs, draw) => {
          const capMs = baseMs + extraCapMs;
          const delay = fullJitterBackoffMs(attempt, { baseMs, capMs }, () => draw);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.min(capMs, baseMs * 2 ** attempt));
        },
      ),
    );
  });

  test("rejects negative or fractional attempts", () => {
    expect(() => fullJitterBackoffMs(-1, policy, Math.random)).toThrow(RangeError);
    expect(() => fullJitterBackoffMs(1.5, policy, Math.random)).toThrow(RangeError);
  });
});

describe("assertBackoffPolicy", () => {
  test("needs 0 < baseMs <= capMs < Infinity", () => {
    expect(() => assertBackoffPolicy({ baseMs: 1, capMs: 1 })).not.toThrow();
    expect(() => assertBackoffPolicy({ baseMs: 0, capMs: 10 })).toThrow(RangeError);
    expect(() => assertBackoffPolicy({ baseMs: 20, capMs: 10 })).toThrow(RangeError);
    expect(() => assertBackoffPolicy({ baseMs: 10, capMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => assertBackoffPolicy({ baseMs: Number.NaN, capMs: 10 })).toThrow(RangeError);
  });
});
