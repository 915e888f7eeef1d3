import { readFileSync } from "node:fs";
import path from "node:path";
import {
  filterGamma,
  findBySlug,
  type GammaState,
  gammaEvent,
  gammaMarket,
  parseGammaQuery,
  questionFor,
} from "../../../src/venue/gamma";
import { scheduleWindows, venueMarket } from "../../../src/venue/markets";

const SAMPLE_PATH = path.resolve(
  __dirname,
  "../../../../shared/samples/polymarket/sebislaw_gamma_market_btc_updown_15m.json",
);
const sample = JSON.parse(readFileSync(SAMPLE_PATH, "utf8")) as Record<string, unknown>;

const START = Date.parse("2025-12-31T17:00:00Z");
const market = venueMarket({ seed: 1, asset: "BTC", windowMs: 900_000, startMs: START });
const openState: GammaState = {
  nowMs: START + 300_000,
  status: "open",
  upPrice: 585_000,
  bestBid: 580_000,
  bestAsk: 590_000,
  lastTradePrice: 580_000,
  volume: 92_509_470_055,
  liquidity: 20_579_745_200,
};

describe("gammaMarket", () => {
  const g = gammaMarket(market, openState) as unknown as Record<string, unknown>;

  it("has every field of the real sample, with the same JSON types", () => {
    for (const [key, value] of Object.entries(sample)) {
      expect({ key, type: typeof g[key] }).toEqual({ key, type: typeof value });
    }
  });

  it("encodes outcomes, prices and token ids as JSON strings (index 0 = Up)", () => {
    expect(g.outcomes).toBe('["Up", "Down"]');
    expect(g.outcomes).toBe(sample.outcomes);
    expect(g.outcomePrices).toBe('["0.585", "0.415"]');
    expect(g.outcomePrices).toBe(sample.outcomePrices);
    expect(JSON.parse(g.clobTokenIds as string)).toEqual([...market.tokenIds]);
    expect(g.umaResolutionStatuses).toBe("[]");
  });

  it("reproduces the sample's question, dates, description and market parameters", () => {
    for (const key of [
      "question",
      "slug",
      "endDate",
      "eventStartTime",
      "resolutionSource",
      "description",
      "orderPriceMinTickSize",
      "orderMinSize",
      "spread",
      "bestBid",
      "bestAsk",
      "lastTradePrice",
      "volume",
      "volumeNum",
      "liquidity",
      "liquidityNum",
      "endDateIso",
      "active",
      "closed",
      "acceptingOrders",
      "enableOrderBook",
      "negRisk",
    ]) {
      expect({ key, value: g[key] }).toEqual({ key, value: sample[key] });
    }
    expect(g.conditionId).toBe(market.conditionId);
    expect(g.questionID).toBe(market.questionId);
    expect(g.id).toMatch(/^\d+$/);
    expect(g.startDate).toBe("2025-12-31T16:30:00Z");
    expect(g.acceptingOrdersTimestamp).toBe("2025-12-31T16:30:00Z");
  });

  it("publishes the fee schedule (simulator assumption)", () => {
    expect(g.feesEnabled).toBe(true);
    expect(g.feeSchedule).toEqual({ exponent: 1, rate: 0.07, takerOnly: true, rebateRate: 0.2 });
    expect(g.feeType).toBe("crypto_fees_v2");
  });

  it("formats questions in New York time, across DST and midnight", () => {
    const q = (asset: "BTC" | "ETH" | "SOL" | "XRP", iso: string, windowMs = 900_000) =>
      questionFor(venueMarket({ seed: 1, asset, windowMs, startMs: Date.parse(iso) }));
    expect(q("BTC", "2025-12-31T17:00:00Z")).toBe("Bitcoin Up or Down - December 31, 12:00PM-12:15PM ET");
    expect(q("ETH", "2026-07-04T13:45:00Z")).toBe("Ethereum Up or Down - July 4, 9:45AM-10:00AM ET");
    expect(q("SOL", "2026-01-01T04:45:00Z")).toBe("Solana Up or Down - December 31, 11:45PM-12:00AM ET");
    expect(q("XRP", "2026-09-12T18:05:00Z", 300_000)).toBe("XRP Up or Down - September 12, 2:05PM-2:10PM ET");
    expect(q("BTC", "2025-12-31T17:00:00Z", 3_600_000)).toBe("Bitcoin Up or Down - December 31, 12PM ET");
  });

  it("follows the lifecycle: listed, open, closed, resolved", () => {
    const at = (state: Partial<GammaState>) => gammaMarket(market, { ...openState, ...state });
    expect(at({ status: "listed" }).acceptingOrders).toBe(true);
    const closed = at({ status: "closed" });
    expect([closed.acceptingOrders, closed.closed, closed.active]).toEqual([false, false, true]);
    const resolved = at({ status: "resolved", winner: "Down", resolvedAtMs: START + 930_000 });
    expect([resolved.acceptingOrders, resolved.closed]).toEqual([false, true]);
    expect(resolved.outcomePrices).toBe('["0", "1"]');
    expect(resolved.closedTime).toBe("2025-12-31 17:15:30+00");
    expect(at({ status: "resolved", winner: "Up" }).outcomePrices).toBe('["1", "0"]');
    const empty = gammaMarket(market, { nowMs: START, status: "open", upPrice: 500_000 });
    expect([empty.bestBid, empty.bestAsk, empty.spread, empty.volume]).toEqual([0, 1, 1, "0"]);
  });
});

describe("gammaEvent", () => {
  it("wraps the market with the event and series fields", () => {
    const e = gammaEvent(market, openState);
    expect(e.slug).toBe(market.slug);
    expect(e.ticker).toBe(market.slug);
    expect(e.title).toBe("Bitcoin Up or Down - December 31, 12:00PM-12:15PM ET");
    expect(e.seriesSlug).toBe("btc-up-or-down-15m");
    expect(e.series[0]?.slug).toBe("btc-up-or-down-15m");
    expect(e.markets).toHaveLength(1);
    expect(e.markets[0]?.conditionId).toBe(market.conditionId);
    expect(e.markets[0]?.events).toBeUndefined();
    expect(e.startTime).toBe("2025-12-31T17:00:00Z");
    expect(e.endDate).toBe("2025-12-31T17:15:00Z");
    expect(typeof e.volume).toBe("number");
    expect([e.active, e.closed]).toEqual([true, false]);
    expect(e.id).not.toBe(e.markets[0]?.id);
  });
});

describe("lookups", () => {
  const ms = scheduleWindows({ seed: 3, assets: ["BTC", "ETH"], windowMs: 900_000, nowMs: START });
  const gms = ms.map((m) => gammaMarket(m, { ...openState, status: m.startMs <= START ? "open" : "listed" }));
  const evs = ms.map((m) => gammaEvent(m, { ...openState, status: "open" }));

  it("finds by slug", () => {
    expect(findBySlug(gms, "eth-updown-15m-1767201300")?.conditionId).toBe(ms[3]?.conditionId);
    expect(findBySlug(evs, "btc-updown-15m-1767200400")?.markets[0]?.slug).toBe("btc-updown-15m-1767200400");
    expect(findBySlug(gms, "nope")).toBeUndefined();
  });

  it("filters by Gamma query parameters", () => {
    expect(filterGamma(gms, parseGammaQuery("slug=btc-updown-15m-1767200400")).map((m) => m.slug)).toEqual([
      "btc-updown-15m-1767200400",
    ]);
    expect(filterGamma(gms, parseGammaQuery("?slug=a&slug=eth-updown-15m-1767200400"))).toHaveLength(1);
    expect(filterGamma(gms, parseGammaQuery(`condition_ids=${ms[1]?.conditionId}`))[0]?.slug).toBe(
      ms[1]?.slug,
    );
    expect(filterGamma(gms, parseGammaQuery(`clob_token_ids=${ms[2]?.tokenIds[1]}`))[0]?.slug).toBe(
      ms[2]?.slug,
    );
    expect(filterGamma(gms, parseGammaQuery("closed=false&limit=2&offset=1")).map((m) => m.slug)).toEqual([
      ms[1]?.slug,
      ms[2]?.slug,
    ]);
    expect(filterGamma(gms, parseGammaQuery("closed=true"))).toHaveLength(0);
    expect(filterGamma(evs, parseGammaQuery("series_slug=eth-up-or-down-15m"))).toHaveLength(3);
    expect(filterGamma(evs, parseGammaQuery("tag_slug=bitcoin"))).toHaveLength(3);
    expect(filterGamma(gms, parseGammaQuery("end_date_max=2025-12-31T17:30:00Z"))).toHaveLength(4);
  });
});
