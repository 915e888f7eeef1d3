/**
 * The calibration statistics (src/venue/calibration): hand-made observations with the expected
 * values worked out by hand, the loader of the shared CSVs on a few-line fixture, and the simulator
 * run's determinism.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CalibrationDataError,
  COLUMNS,
  loadMarketData,
  marketDataFiles,
  parseMarketCsv,
} from "../../src/venue/calibration/data";
import { simulateWindows } from "../../src/venue/calibration/simulated";
import {
  type BookObservation,
  computeStatistics,
  quantile,
  type TokenBook,
  type WindowObservations,
} from "../../src/venue/calibration/statistics";

const W = 900_000;
const p = (x: number) => Math.round(x * 1_000_000);
/** A book from decimal prices and depths (null = no side). */
function book(bid: number | null, ask: number | null, bidDepth = 100, askDepth = 100): TokenBook {
  return {
    bid: bid === null ? null : p(bid),
    ask: ask === null ? null : p(ask),
    bidDepth5: bid === null ? null : p(bidDepth),
    askDepth5: ask === null ? null : p(askDepth),
  };
}
const EMPTY = book(null, null);
const obs = (tMs: number, up: TokenBook, down: TokenBook = EMPTY): BookObservation => ({
  tMs,
  windowMs: W,
  up,
  down,
});
const win = (id: string, observations: BookObservation[]): WindowObservations => ({
  id,
  windowMs: W,
  observations,
});

describe("calibration statistics", () => {
  it("counts spreads in 0.01 ticks rounded up, per token, over two-sided books only; crossed apart", () => {
    const w = win("a", [
      obs(0, book(0.5, 0.51)), // 1 tick
      obs(1_000, book(0.5, 0.52)), // 2 ticks
      obs(2_000, book(0.4, 0.45)), // 5 ticks: >= 3
      obs(3_000, book(0.961, 0.972)), // 0.011 on the 0.001 tick: rounded UP to 2
      obs(4_000, book(0.991, 0.999)), // 0.008: 1 tick
      obs(5_000, book(0.5, null)), // one-sided: not counted
      obs(6_000, book(0.5, 0.5)), // locked: crossed, in no bucket
    ]);
    const s = computeStatistics([w]);
    // Up: 6 two-sided, 1 crossed; 1 tick: 0.50/0.51 and 0.991/0.999 = 2; 2 ticks: 2; >= 3: 1.
    expect(s.spread.up).toEqual({
      twoSided: 6,
      crossed: 1,
      oneTick: 2 / 6,
      twoTicks: 2 / 6,
      threePlusTicks: 1 / 6,
    });
    // Down is empty in every observation.
    expect(s.spread.down).toEqual({
      twoSided: 0,
      crossed: 0,
      oneTick: null,
      twoTicks: null,
      threePlusTicks: null,
    });
    expect(s.windows).toBe(1);
    expect(s.observations).toBe(7);
  });

  it("takes top-5 depth over the sides present (an absent side is not a 0), split at 2 min before the end", () => {
    const w = win("a", [
      // Earlier: Up bid 100, Up ask 300, Down bid 200, Down ask absent.
      obs(0, book(0.5, 0.51, 100, 300), book(0.49, null, 200)),
      // Earlier (1 ms before the last 2 minutes): Up bid 400, Up ask 500.
      obs(779_999, book(0.5, 0.51, 400, 500)),
      // Late (exactly 2 minutes before the end): Up bid 1000, Up ask absent, Down ask 50.
      obs(780_000, book(0.9, null, 1_000), book(null, 0.11, 0, 50)),
    ]);
    const s = computeStatistics([w]);
    // Bids: 100, 200, 400, 1000 → mean 425, median (200 + 400) / 2 = 300. Asks: 300, 500, 50 → mean
    // 850 / 3, median 300.
    expect(s.depth.all.bid).toEqual({ n: 4, mean: 425, median: 300 });
    expect(s.depth.all.ask.n).toBe(3);
    expect(s.depth.all.ask.mean).toBeCloseTo(850 / 3, 9);
    expect(s.depth.all.ask.median).toBe(300);
    // Earlier: bids 100, 200, 400 → mean 700/3, median 200; asks 300, 500 → 400, 400.
    expect(s.depth.earlier.bid.mean).toBeCloseTo(700 / 3, 9);
    expect(s.depth.earlier.bid.median).toBe(200);
    expect(s.depth.earlier.ask).toEqual({ n: 2, mean: 400, median: 400 });
    // Late: bid 1000 alone, ask 50 alone.
    expect(s.depth.late.bid).toEqual({ n: 1, mean: 1000, median: 1000 });
    expect(s.depth.late.ask).toEqual({ n: 1, mean: 50, median: 50 });
  });

  it("shares one-sided and empty token books by minutes 0-12, 12-14, 14-15 (Up and Down pooled)", () => {
    const two = book(0.5, 0.51);
    const one = book(0.5, null);
    const w = win("a", [
      obs(0, two, two), // early: 2 two-sided
      obs(719_999, one, EMPTY), // early: 1 one-sided, 1 empty
      obs(720_000, one, two), // 12-14: 1 one-sided
      obs(839_999, two, two), // 12-14
      obs(840_000, one, one), // 14-15: 2 one-sided
      obs(899_000, EMPTY, one), // 14-15: 1 empty, 1 one-sided
    ]);
    const [early, mid, last] = computeStatistics([w]).sidedness;
    expect(early).toMatchObject({ n: 4, oneSided: 1 / 4, empty: 1 / 4 });
    expect(mid).toMatchObject({ n: 4, oneSided: 1 / 4, empty: 0 });
    expect(last).toMatchObject({ n: 4, oneSided: 3 / 4, empty: 1 / 4 });
  });

  it("prices Up at minute 5 by the latest observation within 10 s before it: Up mid, else 1 − Down mid, else one side", () => {
    const windows = [
      // Up two-sided at 295 s (mid 0.05); a later one after the checkpoint is ignored.
      win("a", [obs(295_000, book(0.04, 0.06)), obs(301_000, book(0.5, 0.52))]),
      // Latest wins: 0.3 at 292 s, 0.5 at 300 s (exactly the checkpoint).
      win("b", [obs(292_000, book(0.29, 0.31)), obs(300_000, book(0.49, 0.51))]),
      // Up one-sided, Down two-sided at 0.39/0.41: 1 − 0.4 = 0.6.
      win("c", [obs(299_000, book(0.7, null), book(0.39, 0.41))]),
      // Up only a bid at 0.95 and Down empty: 0.95.
      win("d", [obs(299_000, book(0.95, null), EMPTY)]),
      // Only 10.001 s before: outside the tolerance, so no price.
      win("e", [obs(289_999, book(0.49, 0.51))]),
    ];
    const five = computeStatistics(windows).checkpoints[0];
    expect(five?.label).toBe("minute 5");
    expect(five?.n).toBe(4);
    expect(five?.missing).toBe(1);
    expect(five?.sources).toEqual({ upMid: 2, downMid: 1, upOneSided: 1, downOneSided: 0 });
    // Prices 0.05, 0.5, 0.6, 0.95: q1 at position 0.75 → 0.05 + 0.75 × 0.45 = 0.3875; median
    // (0.5 + 0.6) / 2 = 0.55; q3 at 2.25 → 0.6 + 0.25 × 0.35 = 0.6875. Near 0 or 1: 0.05 and 0.95.
    expect(five?.q1).toBeCloseTo(0.3875, 9);
    expect(five?.median).toBeCloseTo(0.55, 9);
    expect(five?.q3).toBeCloseTo(0.6875, 9);
    expect(five?.nearZeroOrOne).toBe(0.5);
  });

  it("counts a price of exactly 0.1 or 0.9 as within 0.1 of 0 or 1, and reads the end from the last 10 s", () => {
    const windows = [
      win("a", [obs(600_000, book(0.89, 0.91)), obs(899_000, book(0.99, null))]),
      win("b", [obs(600_000, book(0.09, 0.11)), obs(899_000, book(null, 0.01))]),
      win("c", [obs(600_000, book(0.5, 0.52)), obs(880_000, book(0.5, 0.52))]),
    ];
    const [, ten, end] = computeStatistics(windows).checkpoints;
    // 0.9, 0.1 near; 0.51 not.
    expect(ten?.nearZeroOrOne).toBeCloseTo(2 / 3, 12);
    // End: 0.99 (bid only) and 0.01 (ask only); window c has nothing in [890 s, 900 s).
    expect(end).toMatchObject({ label: "end", atMs: W, n: 2, missing: 1, nearZeroOrOne: 1 });
    expect(end?.sources.upOneSided).toBe(2);
  });

  it("interpolates quantiles between order statistics", () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([10, 20], 0.25)).toBe(12.5);
    expect(quantile([], 0.5)).toBeNull();
  });
});

const HEADER = COLUMNS.join(",");
/** One row of the data's CSV: window start 2025-12-26 10:45, second `s` of it. */
function csvRow(start: string, end: string, s: number, up: string, down: string): string {
  const t = new Date(Date.parse(`${start.replace(" ", "T")}Z`) + s * 1000).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, 19)},${start},${end},${up},${down}`;
}
const UP_OK = "0.49,0.5,0.495,0.01,3000.5,2000.25";
const DOWN_OK = "0.5,0.51,0.505,0.01,2000.25,3000.5";

describe("loading the shared CSVs", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "ballast-calibration-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads rows into observations (price 0 = no side) and skips partial windows, counting them", () => {
    const A = ["2025-12-26 10:30:00", "2025-12-26 10:45:00"] as const;
    const B = ["2025-12-26 10:45:00", "2025-12-26 11:00:00"] as const;
    const C = ["2025-12-26 11:00:00", "2025-12-26 11:15:00"] as const;
    const lines = [
      HEADER,
      // A: starts at 254 s (captured mid-window): partial.
      csvRow(...A, 254, UP_OK, DOWN_OK),
      csvRow(...A, 899, UP_OK, DOWN_OK),
      // B: whole (0 s … 899 s), with a one-sided Up book (no ask) at 898 s.
      csvRow(...B, 0, UP_OK, DOWN_OK),
      csvRow(...B, 898, "0.99,0.0,0.0,0.0,327755.78,0.0", "0.0,0.01,0.0,0.0,0.0,327755.78"),
      csvRow(...B, 899, UP_OK, DOWN_OK),
      // C: ends at 585 s (capture stopped): partial.
      csvRow(...C, 0, UP_OK, DOWN_OK),
      csvRow(...C, 585, UP_OK, DOWN_OK),
    ];
    writeFileSync(path.join(dir, "market_data_20251226.csv"), `${lines.join("\n")}\n`);
    writeFileSync(path.join(dir, "user_data_20251226.csv"), "not read\n");
    const files = marketDataFiles(dir);
    expect(files.map((f) => path.basename(f))).toEqual(["market_data_20251226.csv"]);
    const data = loadMarketData(files);
    expect(data.rows).toBe(7);
    expect(data.skipped).toEqual({
      windows: 2,
      rows: 4,
      ids: ["2025-12-26T10:30:00.000Z", "2025-12-26T11:00:00.000Z"],
    });
    expect(data.windows).toHaveLength(1);
    const w = data.windows[0] as WindowObservations;
    expect(w.id).toBe("2025-12-26T10:45:00.000Z");
    expect(w.windowMs).toBe(900_000);
    expect(w.observations.map((o) => o.tMs)).toEqual([0, 898_000, 899_000]);
    expect(w.observations[0]?.up).toEqual({
      bid: 490_000,
      ask: 500_000,
      bidDepth5: 3_000_500_000,
      askDepth5: 2_000_250_000,
    });
    expect(w.observations[1]?.up).toEqual({
      bid: 990_000,
      ask: null,
      bidDepth5: 327_755_780_000,
      askDepth5: null,
    });
    expect(w.observations[1]?.down).toEqual({
      bid: null,
      ask: 10_000,
      bidDepth5: null,
      askDepth5: 327_755_780_000,
    });
  });

  it("stops at a bad line with one line naming the file and line", () => {
    const B = ["2025-12-26 10:45:00", "2025-12-26 11:00:00"] as const;
    const text = [
      HEADER,
      csvRow(...B, 0, UP_OK, DOWN_OK),
      csvRow(...B, 1, "0.49,abc,0.495,0.01,3000,2000", DOWN_OK),
    ]
      .join("\n")
      .concat("\n");
    let err: unknown;
    try {
      parseMarketCsv(text, "market_data_x.csv");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CalibrationDataError);
    const message = (err as Error).message;
    expect(message).toBe('market_data_x.csv:3: UpAsk is not a non-negative decimal: "abc"');
    expect(message).not.toContain("\n");
    // Too few fields and a timestamp outside its window name their lines too.
    expect(() => parseMarketCsv(`${HEADER}\n2025-12-26 10:45:00,x\n`, "f.csv")).toThrow(
      "f.csv:2: 2 fields, expected 15",
    );
    expect(() => parseMarketCsv(`${HEADER}\n${csvRow(...B, 900, UP_OK, DOWN_OK)}\n`, "f.csv")).toThrow(
      "f.csv:2: Timestamp is outside [TargetTime, Expiration)",
    );
    expect(() => parseMarketCsv("Timestamp,Up\n", "f.csv")).toThrow("f.csv:1: header is not Timestamp,");
  });
});

describe("the simulator's observations", () => {
  it("are the same for the same seed and differ for another (one 15-minute window, read every second)", () => {
    const a = simulateWindows({ seed: 7, windows: 1 });
    const b = simulateWindows({ seed: 7, windows: 1 });
    const c = simulateWindows({ seed: 8, windows: 1 });
    expect(a.windows).toHaveLength(1);
    const w = a.windows[0] as WindowObservations;
    expect(w.observations).toHaveLength(900);
    expect(w.observations[899]?.tMs).toBe(899_000);
    // Books are there: most observations have an Up bid.
    expect(w.observations.filter((o) => o.up.bid !== null).length).toBeGreaterThan(450);
    expect(b.windows).toEqual(a.windows);
    expect(c.windows).not.toEqual(a.windows);
    expect(a.steps).toBe(9_000);
    expect(a.windowsPerSecond).toBeGreaterThan(0);
  });
});
