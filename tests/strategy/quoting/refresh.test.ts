import {
  emptyRefreshLimiter,
  mayRefresh,
  type RefreshLimiter,
  recordRefresh,
} from "../../../src/strategy/quoting";

const PARAMS = { minRefreshIntervalMs: 500, globalRefreshCapPerSec: 10 };

function refreshAll(times: [string, number][], params = PARAMS): RefreshLimiter {
  return times.reduce((l, [market, at]) => recordRefresh(l, market, at, params), emptyRefreshLimiter());
}

describe("refresh limits", () => {
  it("MIN_REFRESH_INTERVAL_MS: a market refreshes at most once per 500 ms", () => {
    const l = refreshAll([["A", 1_000]]);
    expect(mayRefresh(l, "A", 1_499, PARAMS)).toBe(false);
    expect(mayRefresh(l, "A", 1_500, PARAMS)).toBe(true);
    expect(mayRefresh(l, "B", 1_001, PARAMS)).toBe(true);
  });

  it("GLOBAL_REFRESH_CAP_PER_SEC: at most 10 refreshes in any second, across markets", () => {
    const ten = refreshAll(Array.from({ length: 10 }, (_, i): [string, number] => [`M${i}`, i]));
    expect(mayRefresh(ten, "X", 999, PARAMS)).toBe(false);
    // The refresh at 0 leaves the window at 1000.
    expect(mayRefresh(ten, "X", 1_000, PARAMS)).toBe(true);
    expect(
      mayRefresh(
        refreshAll(Array.from({ length: 9 }, (_, i): [string, number] => [`M${i}`, i])),
        "X",
        9,
        PARAMS,
      ),
    ).toBe(true);
  });

  it("a fractional cap spreads out: 0.5 per second is one per 2 s, 2.5 is two per 800 ms", () => {
    const half = { ...PARAMS, globalRefreshCapPerSec: 0.5 };
    const one = refreshAll([["A", 0]], half);
    expect(mayRefresh(one, "B", 1_999, half)).toBe(false);
    expect(mayRefresh(one, "B", 2_000, half)).toBe(true);
    const twoAndHalf = { ...PARAMS, globalRefreshCapPerSec: 2.5 };
    const two = refreshAll(
      [
        ["A", 0],
        ["B", 1],
      ],
      twoAndHalf,
    );
    expect(mayRefresh(two, "C", 799, twoAndHalf)).toBe(false);
    expect(mayRefresh(two, "C", 800, twoAndHalf)).toBe(true);
  });
});
