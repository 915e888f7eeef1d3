import { windowSlug } from "../../../src/polymarket/slugs";
import {
  ASSETS,
  marketFromSlug,
  parseSlug,
  parseWindowLabel,
  scheduleWindows,
  statusAt,
  venueMarket,
  windowLabel,
  windowStartMs,
} from "../../../src/venue/markets";

const NOW = Date.parse("2025-12-31T17:05:00Z");

describe("window labels and slugs", () => {
  it("labels windows like the venue", () => {
    expect(windowLabel(900_000)).toBe("15m");
    expect(windowLabel(300_000)).toBe("5m");
    expect(windowLabel(120_000)).toBe("2m");
    expect(windowLabel(3_600_000)).toBe("1h");
    expect(windowLabel(14_400_000)).toBe("4h");
    expect(windowLabel(86_400_000)).toBe("1d");
    expect(windowLabel(30_000)).toBe("30s");
    expect(windowLabel(5_400_000)).toBe("90m");
    expect(() => windowLabel(1_500)).toThrow(RangeError);
    expect(parseWindowLabel("15m")).toBe(900_000);
    expect(parseWindowLabel("1h")).toBe(3_600_000);
    expect(parseWindowLabel("15x")).toBeUndefined();
  });

  it("aligns windows to the epoch and names them by their start second", () => {
    expect(windowStartMs(NOW, 900_000)).toBe(Date.parse("2025-12-31T17:00:00Z"));
    expect(windowSlug("BTC", 900_000, windowStartMs(NOW, 900_000))).toBe("btc-updown-15m-1767200400");
    expect(windowStartMs(NOW, 300_000)).toBe(NOW);
    expect(parseSlug("btc-updown-15m-1767200400")).toEqual({
      asset: "BTC",
      windowMs: 900_000,
      startMs: 1_767_200_400_000,
    });
    expect(parseSlug("eth-updown-5m-1767200700")?.asset).toBe("ETH");
    expect(parseSlug("btc-updown-15m-1767200401")).toBeUndefined(); // misaligned
    expect(parseSlug("doge-updown-15m-1767200400")).toBeUndefined();
    expect(parseSlug("bitcoin-up-or-down")).toBeUndefined();
  });
});

describe("scheduleWindows", () => {
  const markets = scheduleWindows({ seed: 1, assets: ASSETS, windowMs: 900_000, nowMs: NOW });

  it("lists the current window and the next two for each asset", () => {
    expect(markets).toHaveLength(12);
    expect(markets.map((m) => m.slug).slice(0, 4)).toEqual([
      "btc-updown-15m-1767200400",
      "eth-updown-15m-1767200400",
      "sol-updown-15m-1767200400",
      "xrp-updown-15m-1767200400",
    ]);
    expect(markets[4]?.slug).toBe("btc-updown-15m-1767201300");
    expect(markets[11]?.slug).toBe("xrp-updown-15m-1767202200");
    for (const m of markets) {
      expect(m.endMs - m.startMs).toBe(900_000);
      expect(m.listedMs).toBe(m.startMs - 2 * 900_000);
      expect(m.listedMs).toBeLessThanOrEqual(NOW);
      expect(m.endMs).toBeGreaterThan(NOW);
      expect(m.tickSize).toBe(10_000);
      expect(m.minOrderSize).toBe(5_000_000);
      expect(m.feeRate).toBe(70_000);
      expect(m.feeExponent).toBe(1);
      expect(m.negRisk).toBe(false);
    }
    const one = scheduleWindows({ seed: 1, assets: ["BTC"], windowMs: 300_000, nowMs: NOW, listAhead: 0 });
    expect(one.map((m) => m.slug)).toEqual(["btc-updown-5m-1767200700"]);
  });

  it("makes deterministic, well-formed, seed-dependent ids", () => {
    const again = scheduleWindows({ seed: 1, assets: ASSETS, windowMs: 900_000, nowMs: NOW });
    expect(again).toEqual(markets);
    const other = scheduleWindows({ seed: 2, assets: ASSETS, windowMs: 900_000, nowMs: NOW });
    expect(other[0]?.slug).toBe(markets[0]?.slug);
    expect(other[0]?.conditionId).not.toBe(markets[0]?.conditionId);
    const ids = new Set<string>();
    for (const m of markets) {
      expect(m.conditionId).toMatch(/^0x[0-9a-f]{64}$/);
      expect(m.questionId).toMatch(/^0x[0-9a-f]{64}$/);
      expect(m.questionId).not.toBe(m.conditionId);
      for (const t of m.tokenIds) {
        expect(t).toMatch(/^[1-9][0-9]{60,77}$/);
        ids.add(t);
      }
      ids.add(m.conditionId);
    }
    expect(ids.size).toBe(36);
    // The same window later on (listed in a later schedule) keeps its ids.
    const later = scheduleWindows({ seed: 1, assets: ["BTC"], windowMs: 900_000, nowMs: NOW + 900_000 });
    expect(later[0]).toEqual(markets[4]);
    expect(marketFromSlug(1, "btc-updown-15m-1767200400")).toEqual(markets[0]);
    expect(marketFromSlug(1, "nope")).toBeUndefined();
  });

  it("tells a market's status by the clock", () => {
    const m = venueMarket({ seed: 1, asset: "BTC", windowMs: 900_000, startMs: 1_767_200_400_000 });
    expect(statusAt(m, m.listedMs - 1)).toBeUndefined();
    expect(statusAt(m, m.listedMs)).toBe("listed");
    expect(statusAt(m, m.startMs)).toBe("open");
    expect(statusAt(m, m.endMs)).toBe("closed");
    expect(statusAt(m, m.endMs, true)).toBe("resolved");
  });
});
