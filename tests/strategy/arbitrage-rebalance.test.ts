/**
 * The rebalancing rule (src/strategy/arbitrage/rebalance.ts) at the venue's real limits: minimum order
 * 5 shares, $1 for a marketable BUY, ticks of 0.01, taker fee rate 0.07. Expected values are worked out by
 * hand in the comments (fees: shares × 0.07 × p × (1 − p), rounded down to 5 decimals; on a BUY in shares,
 * i.e. shares × 0.07 × (1 − p), on a SELL in pUSD).
 */
import { parseMicros } from "../../src/money";
import type { MarketBookSnapshot, OurFill, PriceLevel, TradeStatus } from "../../src/session/messages";
import {
  type ArbitrageParams,
  applyFill,
  chooseRebalance,
  emptyLedger,
  guaranteedPnl,
  type MarketRules,
  type PositionLedger,
  type RebalanceOption,
  realizedRebalanceProfit,
  rebalanceDecision,
  rebalancingOptions,
} from "../../src/strategy/arbitrage";

const m = parseMicros;
const RATE = m("0.07");
const RULES: MarketRules = { tickSize: m("0.01"), minOrderSize: m("5"), feeRate: RATE, feeExponent: 1 };
const PARAMS: ArbitrageParams = {
  minSpread: m("0.02"),
  budgetPerTrade: m("25"),
  maxPositionCost: m("40"),
  rebalanceThreshold: 0.8,
  minRebalanceProfitPerShare: m("0.02"),
  rebalanceFreezeMs: 60_000,
  preferSellOverBuy: true,
  allowPartialRebalance: true,
  maxRebalanceTrades: 5,
};

const lv = (price: string, size: string): PriceLevel => ({ price: m(price), size: m(size) });

function book(side: {
  upBids?: PriceLevel[];
  upAsks?: PriceLevel[];
  downBids?: PriceLevel[];
  downAsks?: PriceLevel[];
}): MarketBookSnapshot {
  return {
    seq: 1,
    venueAtMs: 0,
    receivedAtMs: 0,
    tickSize: m("0.01"),
    up: { bids: side.upBids ?? [], asks: side.upAsks ?? [] },
    down: { bids: side.downBids ?? [], asks: side.downAsks ?? [] },
  };
}

let ids = 0;
function fill(
  side: "BUY" | "SELL",
  price: string,
  size: string,
  over: Partial<OurFill> & { role?: "TAKER" | "MAKER"; status?: TradeStatus } = {},
): OurFill {
  ids += 1;
  return {
    tradeId: `t${ids}`,
    orderId: `o${ids}`,
    tokenId: "tok",
    side,
    role: "TAKER",
    price: m(price),
    size: m(size),
    feeRate: RATE,
    // Mined: the venue has released the shares (they are sellable).
    status: "MINED",
    atMs: 0,
    ...over,
  };
}

/** Two BUY fills, one per leg; taker by default, mined. */
function position(up: [string, string], down: [string, string], role: "TAKER" | "MAKER" = "TAKER") {
  let l: PositionLedger = emptyLedger();
  l = applyFill(l, fill("BUY", up[0], up[1], { role }), "UP", RULES);
  l = applyFill(l, fill("BUY", down[0], down[1], { role }), "DOWN", RULES);
  return l;
}

// The seed's partial fill at twice its size, as taker fills: 20 Up @ 0.48 nets 20 − 20 × 0.07 × 0.52 =
// 19.272 for 9.60; 12 Down @ 0.49 nets 12 − 12 × 0.07 × 0.51 = 11.5716 for 5.88. Cost 15.48, a 7.7004 gap,
// guaranteed 11.5716 − 15.48 = −3.9084; Up's average entry 9.60 / 19.272 = 0.4981320… → 0.498133.
const DOUBLE = position(["0.48", "20"], ["0.49", "12"]);
// The seed's market movement: Up bid 0.52, Down ask 0.46.
const MOVED = book({
  upBids: [lv("0.52", "100")],
  upAsks: [lv("0.53", "100")],
  downBids: [lv("0.45", "100")],
  downAsks: [lv("0.46", "100")],
});

const byAction = (options: RebalanceOption[], action: string) => options.find((o) => o.action === action);
const NO_MIN = { ...PARAMS, minRebalanceProfitPerShare: 0 };

describe("the seed's walkthrough, with fees, at twice its size", () => {
  const options = rebalancingOptions(DOUBLE, MOVED, RULES, NO_MIN);
  const sell = byAction(options, "SELL_YES")!;
  const buyNo = byAction(options, "BUY_NO")!;

  it("offers both options, on the footing of the guaranteed P&L at resolution", () => {
    expect(guaranteedPnl(DOUBLE)).toBe(m("-3.9084"));
    // SELL the 7.70 excess Up at 0.52: 4.004 − fee 7.70 × 0.07 × 0.52 × 0.48 (0.1345344 → 0.13453) =
    // 3.86947 in; Down still 11.5716 → 11.5716 − (15.48 − 3.86947) = −0.03893.
    // Seed profit: 3.86947 − 7.70 × 0.498133 (3.8356241 → 3.835625) = 0.033845, 0.44 cents a share.
    expect(sell).toMatchObject({
      outcome: "UP",
      side: "SELL",
      shares: m("7.7"),
      limitPrice: m("0.52"),
      expectedFillPrice: m("0.52"),
      guaranteedPnlBefore: m("-3.9084"),
      guaranteedPnlAfter: m("-0.03893"),
      improvement: m("3.86947"),
      balancesFully: true,
      overshoots: false,
      seedProfit: m("0.033845"),
      completedPairs: m("11.5716"),
      cashFlow: m("3.86947"),
      sharesDelta: -m("7.7"),
    });
    // BUY Down at 0.46: 8.00 gross nets 8 − 0.3024 = 7.6976 < 7.7004, so 8.01 (nets 8.01 − 0.30277 =
    // 7.70723) for 3.6846; then min(19.272, 19.27883) − 19.1646 = 0.1074 locked in over 19.272 pairs.
    expect(buyNo).toMatchObject({
      outcome: "DOWN",
      side: "BUY",
      shares: m("8.01"),
      limitPrice: m("0.46"),
      guaranteedPnlAfter: m("0.1074"),
      improvement: m("4.0158"),
      balancesFully: true,
      overshoots: false,
      completedPnl: m("0.1074"),
      completedPairs: m("19.272"),
      seedProfit: m("0.1074"),
      cashFlow: -m("3.6846"),
      sharesDelta: m("7.70723"),
    });
  });

  it("does not prefer a SELL that would lock in a loss: the BUY wins even with the preference", () => {
    expect(chooseRebalance(options, NO_MIN)).toBe(buyNo);
    expect(
      rebalanceDecision(
        { ledger: DOUBLE, rebalanceTrades: 0, nowMs: 0, endMs: 600_000 },
        MOVED,
        RULES,
        NO_MIN,
      ),
    ).toEqual({ kind: "rebalance", option: buyNo });
  });

  it("at the default 2-cent minimum neither is worth it: the SELL gains 0.44 cents a share, the BUY locks in 0.56 a pair", () => {
    // The SELL level itself is refused (0.52 nets 0.502528 a share, 0.44 cents over entry).
    const opts = rebalancingOptions(DOUBLE, MOVED, RULES, PARAMS);
    expect(opts.map((o) => o.action)).toEqual(["BUY_NO"]);
    // 0.1074 / 19.272 = 0.00557 a pair.
    expect(
      rebalanceDecision(
        { ledger: DOUBLE, rebalanceTrades: 0, nowMs: 0, endMs: 600_000 },
        MOVED,
        RULES,
        PARAMS,
      ),
    ).toEqual({ kind: "none", reason: "not-profitable" });
  });

  it("mirrors when Down is the larger leg", () => {
    const l = position(["0.49", "12"], ["0.48", "20"]);
    const mirrored = book({ upAsks: [lv("0.46", "100")], downBids: [lv("0.52", "100")] });
    const opts = rebalancingOptions(l, mirrored, RULES, NO_MIN);
    expect(opts.map((o) => o.action)).toEqual(["SELL_NO", "BUY_YES"]);
    expect(opts.map((o) => o.guaranteedPnlAfter)).toEqual([m("-0.03893"), m("0.1074")]);
  });
});

describe("the seed's own size (10 Up @ 0.48, 6 Down @ 0.49): a 3.85-share gap under a 5-share minimum", () => {
  // 10 Up net 9.636 for 4.80, 6 Down net 5.7858 for 2.94: guaranteed 5.7858 − 7.74 = −1.9542.
  const SEED = position(["0.48", "10"], ["0.49", "6"]);

  it("is held at the default minimum: 5 Up at 0.52 gain 0.44 cents a share, 5 Down at 0.46 lock in a loss", () => {
    expect(rebalancingOptions(SEED, MOVED, RULES, PARAMS)).toEqual([]);
    expect(
      rebalanceDecision({ ledger: SEED, rebalanceTrades: 0, nowMs: 0, endMs: 600_000 }, MOVED, RULES, PARAMS),
    ).toEqual({ kind: "none", reason: "no-option" });
  });

  it("without a minimum, a 5-share SELL overshoots the gap and improves both the hedge and the P&L", () => {
    // 5 Up at 0.52: 2.60 − fee 5 × 0.07 × 0.52 × 0.48 (0.08736) = 2.51264. Up 4.636 vs Down 5.7858: the
    // hedge ratio goes from 0.600 to 0.801; guaranteed 4.636 − (7.74 − 2.51264) = −0.59136.
    // The BUY of 5 Down (nets 4.811 for 2.30) would lock in 9.636 − 10.04 = −0.404: not offered.
    const opts = rebalancingOptions(SEED, MOVED, RULES, NO_MIN);
    expect(opts).toHaveLength(1);
    expect(opts[0]).toMatchObject({
      action: "SELL_YES",
      shares: m("5"),
      overshoots: true,
      balancesFully: false,
      guaranteedPnlAfter: m("-0.59136"),
      improvement: m("1.36284"),
      seedProfit: m("0.021975"), // 2.51264 − 5 × 0.498133
      sharesDelta: -m("5"),
    });
  });
});

describe("SELL the excess", () => {
  it("uses only levels whose net price beats the entry by the minimum profit per share", () => {
    // At 0.56 a share nets 0.56 − 0.56 × 0.07 × 0.44 = 0.542752, 4.46 cents over the 0.498133 entry; at
    // 0.53 it nets 0.512563, only 1.44 cents over: not used. So 6 at 0.56, a partial SELL:
    // 3.36 − 0.10348 = 3.25652 in, seed profit 3.25652 − 6 × 0.498133 = 0.267722.
    const b = book({ upBids: [lv("0.56", "6"), lv("0.53", "100")] });
    const sell = byAction(rebalancingOptions(DOUBLE, b, RULES, PARAMS), "SELL_YES")!;
    expect(sell).toMatchObject({
      shares: m("6"),
      limitPrice: m("0.56"),
      balancesFully: false,
      guaranteedPnlAfter: m("-0.65188"), // 11.5716 − (15.48 − 3.25652)
      seedProfit: m("0.267722"),
    });
    // The rest (1.70 more at 0.56: 0.952 − 0.02932) would leave 11.5716 − (15.48 − 3.25652 − 0.92268).
    expect(sell.completedPnl).toBe(m("0.2708"));
    expect(
      byAction(rebalancingOptions(DOUBLE, b, RULES, { ...PARAMS, allowPartialRebalance: false }), "SELL_YES"),
    ).toBeUndefined();
  });

  it("sells only shares the venue has released (trades MINED or CONFIRMED)", () => {
    // Up bought in two trades: 6 mined (net 6 − 0.2184 = 5.7816), 14 only matched. Same totals as DOUBLE.
    let l = emptyLedger();
    l = applyFill(l, fill("BUY", "0.48", "6"), "UP", RULES);
    const pending = fill("BUY", "0.48", "14", { status: "MATCHED" });
    l = applyFill(l, pending, "UP", RULES);
    l = applyFill(l, fill("BUY", "0.49", "12"), "DOWN", RULES);
    const b = book({ upBids: [lv("0.56", "100")] });
    // 5.78 of the 7.70 gap: 3.2368 − fee 0.09969 = 3.13711 in.
    expect(byAction(rebalancingOptions(l, b, RULES, PARAMS), "SELL_YES")).toMatchObject({
      shares: m("5.78"),
      balancesFully: false,
      cashFlow: m("3.13711"),
    });
    // Once the second trade is mined, the whole gap.
    const mined = applyFill(l, { ...pending, status: "MINED" }, "UP", RULES);
    expect(byAction(rebalancingOptions(mined, b, RULES, PARAMS), "SELL_YES")?.shares).toBe(m("7.7"));
    // Nothing released: nothing to sell.
    let none = emptyLedger();
    none = applyFill(none, fill("BUY", "0.48", "20", { status: "MATCHED" }), "UP", RULES);
    none = applyFill(none, fill("BUY", "0.49", "12"), "DOWN", RULES);
    expect(byAction(rebalancingOptions(none, b, RULES, PARAMS), "SELL_YES")).toBeUndefined();
  });

  it("respects the minimum order size on partial sizes (4.99 shares of bid depth)", () => {
    const thin = book({ upBids: [lv("0.56", "4.99")] });
    expect(byAction(rebalancingOptions(DOUBLE, thin, RULES, PARAMS), "SELL_YES")).toBeUndefined();
    expect(
      byAction(rebalancingOptions(DOUBLE, book({ upBids: [lv("0.56", "5")] }), RULES, PARAMS), "SELL_YES"),
    ).toMatchObject({ shares: m("5"), balancesFully: false });
  });

  it("walks several bid levels, limit at the worst one used", () => {
    const b = book({ upBids: [lv("0.57", "1"), lv("0.56", "100")] });
    const sell = byAction(rebalancingOptions(DOUBLE, b, RULES, PARAMS), "SELL_YES")!;
    expect(sell).toMatchObject({ shares: m("7.7"), limitPrice: m("0.56"), balancesFully: true });
    // (1 × 0.57 + 6.70 × 0.56) / 7.70 = 0.5612987…
    expect(sell.expectedFillPrice).toBe(m("0.561299"));
  });

  it("overshoots a gap below the minimum with a 5-share SELL that improves both the hedge and the P&L", () => {
    // Maker fills (no fee): 19 Up @ 0.40 (7.60), 15 Down @ 0.45 (6.75): a 4-share gap, ratio 0.789,
    // guaranteed 15 − 14.35 = 0.65. Selling 5 Up at 0.50 (2.50 − 5 × 0.07 × 0.25 = 2.4125) leaves Up 14 vs
    // Down 15 (ratio 0.933) and 14 − (14.35 − 2.4125) = 2.0625 guaranteed.
    const l = position(["0.40", "19"], ["0.45", "15"], "MAKER");
    const b = book({ upBids: [lv("0.5", "100")] });
    const expected = {
      action: "SELL_YES",
      shares: m("5"),
      overshoots: true,
      balancesFully: false,
      guaranteedPnlBefore: m("0.65"),
      guaranteedPnlAfter: m("2.0625"),
      seedProfit: m("0.4125"), // 2.4125 − 5 × 0.40
      completedPnl: m("2.0625"),
    };
    expect(rebalancingOptions(l, b, RULES, PARAMS)).toEqual([expect.objectContaining(expected)]);
    // Not a partial rebalance: the closest the venue allows.
    expect(rebalancingOptions(l, b, RULES, { ...PARAMS, allowPartialRebalance: false })).toEqual([
      expect.objectContaining(expected),
    ]);
    expect(
      rebalanceDecision({ ledger: l, rebalanceTrades: 0, nowMs: 0, endMs: 600_000 }, b, RULES, PARAMS),
    ).toMatchObject({ kind: "rebalance", option: expected });
  });

  it("does not overshoot when the hedge ratio would get worse", () => {
    // 12 Up @ 0.40, 10 Down @ 0.45 (ratio 0.833): selling 5 Up at 0.65 (3.25 − 0.07962 = 3.17038) leaves
    // 7 Up vs 10 Down (ratio 0.7) though the guaranteed P&L rises from 0.70 to 7 − (9.30 − 3.17038) = 0.87038.
    const l = position(["0.40", "12"], ["0.45", "10"], "MAKER");
    expect(rebalancingOptions(l, book({ upBids: [lv("0.65", "100")] }), RULES, PARAMS)).toEqual([]);
  });

  it("does not overshoot when the guaranteed P&L would fall", () => {
    // 19 Up @ 0.15, 15 Down @ 0.80: guaranteed 15 − 14.85 = 0.15. Selling 5 Up at 0.20 (1.00 − 0.056 =
    // 0.944; 0.1888 a share, 3.88 cents over entry) improves the ratio (14/15 vs 15/19) but leaves
    // 14 − (14.85 − 0.944) = 0.094.
    const l = position(["0.15", "19"], ["0.80", "15"], "MAKER");
    expect(rebalancingOptions(l, book({ upBids: [lv("0.2", "100")] }), RULES, PARAMS)).toEqual([]);
  });
});

describe("BUY the deficit", () => {
  it("offers a depth-limited partial BUY when the completed hedge would still lock in a profit", () => {
    const b = book({ downAsks: [lv("0.42", "5")] });
    const partial = byAction(rebalancingOptions(DOUBLE, b, RULES, PARAMS), "BUY_NO")!;
    // 5 gross at 0.42 nets 5 − 0.203 = 4.797 for 2.10: 16.3686 Down, guaranteed 16.3686 − 17.58 = −1.2114.
    expect(partial).toMatchObject({ shares: m("5"), balancesFully: false, guaranteedPnlAfter: m("-1.2114") });
    // Finished at 0.42 (3.03 more: nets 3.03 − 0.12301 = 2.90699 ≥ 2.9034, for 1.2726), it locks in
    // 19.272 − 18.8526 = 0.4194.
    expect(partial.completedPnl).toBe(m("0.4194"));
    expect(partial.seedProfit).toBe(m("0.4194"));
    expect(
      byAction(rebalancingOptions(DOUBLE, b, RULES, { ...PARAMS, allowPartialRebalance: false }), "BUY_NO"),
    ).toBeUndefined();
  });

  it("caps the BUY at maxPositionCost with what the FAK commits (size × limit, rounded up to the cent)", () => {
    const room = { ...PARAMS, maxPositionCost: m("15.48") + m("2.999") };
    // 7.11 × 0.42 = 2.9862 commits 2.99 ≤ 2.999; 7.12 × 0.42 = 2.9904 commits 3.00.
    const b = book({ downAsks: [lv("0.42", "100")] });
    expect(byAction(rebalancingOptions(DOUBLE, b, RULES, room), "BUY_NO")).toMatchObject({
      shares: m("7.11"),
      balancesFully: false,
    });
    // No partials: nothing.
    expect(
      byAction(rebalancingOptions(DOUBLE, b, RULES, { ...room, allowPartialRebalance: false }), "BUY_NO"),
    ).toBeUndefined();
    // Enough room for the full size: 8.03 × 0.42 = 3.3726 commits 3.38.
    expect(
      byAction(rebalancingOptions(DOUBLE, b, RULES, { ...PARAMS, maxPositionCost: m("18.86") }), "BUY_NO"),
    ).toMatchObject({ shares: m("8.03"), balancesFully: true });
    expect(
      byAction(rebalancingOptions(DOUBLE, b, RULES, { ...PARAMS, maxPositionCost: m("18.859999") }), "BUY_NO")
        ?.balancesFully,
    ).toBe(false);
  });

  it("does not buy towards a hedge that locks in a loss", () => {
    // At 0.55 the full hedge (7.96 gross nets 7.70926) costs 15.48 + 4.378 = 19.858 for 19.272 paid out.
    const opts = rebalancingOptions(DOUBLE, book({ downAsks: [lv("0.55", "100")] }), RULES, NO_MIN);
    expect(byAction(opts, "BUY_NO")).toBeUndefined();
  });

  it("overshoots a gap below the minimum with a 5-share BUY that improves both the hedge and the P&L", () => {
    // 19 Up @ 0.48, 15 Down @ 0.45 (maker): a 4-share gap needs 4.18 gross at 0.40, below 5. 5 gross net
    // 5 − 0.21 = 4.79 for 2.00: Down 19.79 vs Up 19 (ratio 0.960 vs 0.789), guaranteed 19 − 17.87 = 1.13
    // (from 15 − 15.87 = −0.87), 5.9 cents a pair.
    const l = position(["0.48", "19"], ["0.45", "15"], "MAKER");
    const buy = byAction(
      rebalancingOptions(l, book({ downAsks: [lv("0.4", "100")] }), RULES, PARAMS),
      "BUY_NO",
    );
    expect(buy).toMatchObject({
      shares: m("5"),
      overshoots: true,
      balancesFully: false,
      sharesDelta: m("4.79"),
      guaranteedPnlAfter: m("1.13"),
      completedPnl: m("1.13"),
      completedPairs: m("19"),
      seedProfit: m("1.13"),
    });
  });

  it("does not overshoot when the hedge ratio would get worse", () => {
    // 12 Up @ 0.50, 10 Down @ 0.30 (maker): a 2-share gap. 5 Down at 0.35 net 5 − 0.2275 = 4.7725 for 1.75:
    // guaranteed 12 − 10.75 = 1.25 (from 10 − 9 = 1.00), but Down 14.7725 vs Up 12 is a ratio of 0.812,
    // worse than 10 / 12 = 0.833.
    const l = position(["0.50", "12"], ["0.30", "10"], "MAKER");
    const opts = rebalancingOptions(l, book({ downAsks: [lv("0.35", "100")] }), RULES, PARAMS);
    expect(byAction(opts, "BUY_NO")).toBeUndefined();
  });

  it("does not overshoot when the guaranteed P&L would fall", () => {
    // 19 Up @ 0.10, 15 Down @ 0.05 (maker): guaranteed 15 − 2.65 = 12.35. 5 Down at 0.85 (nets 4.9475 for
    // 4.25) improve the ratio (19 / 19.9475 vs 15 / 19) but leave 19 − 6.90 = 12.10.
    const l = position(["0.10", "19"], ["0.05", "15"], "MAKER");
    const opts = rebalancingOptions(l, book({ downAsks: [lv("0.85", "100")] }), RULES, NO_MIN);
    expect(byAction(opts, "BUY_NO")).toBeUndefined();
  });

  it("makes every BUY spend at least $1: at 0.15 the least order is 6.67 shares, not 5", () => {
    // 19 Up @ 0.80, 15 Down @ 0.10 (maker): the 4-share gap needs 4.26 gross; 5 × 0.15 = 0.75 < $1 and
    // 6.66 × 0.15 = 0.999, so 6.67 (1.0005): nets 6.67 − 0.39686 = 6.27314; 19 − (16.70 + 1.0005) = 1.2995.
    const l = position(["0.80", "19"], ["0.10", "15"], "MAKER");
    const buy = byAction(
      rebalancingOptions(l, book({ downAsks: [lv("0.15", "100")] }), RULES, PARAMS),
      "BUY_NO",
    );
    expect(buy).toMatchObject({ shares: m("6.67"), overshoots: true, guaranteedPnlAfter: m("1.2995") });
    // And a partial BUY under $1 is not offered: 6.66 shares of depth at 0.15.
    const thin = book({ downAsks: [lv("0.15", "6.66")] });
    expect(byAction(rebalancingOptions(l, thin, RULES, PARAMS), "BUY_NO")).toBeUndefined();
  });

  it("respects the minimum order size on partial sizes (4.99 shares of depth)", () => {
    const thin = book({ downAsks: [lv("0.42", "4.99")] });
    expect(byAction(rebalancingOptions(DOUBLE, thin, RULES, PARAMS), "BUY_NO")).toBeUndefined();
  });
});

describe("MIN_REBALANCE_PROFIT on the seed's quantities", () => {
  it("a BUY must lock in at least the minimum per complete pair — exactly", () => {
    // At 0.43: 8.03 gross (8.02 nets 7.70001 < 7.7004) for 3.4529 lock in 19.272 − 18.9329 = 0.3391, 1.76
    // cents a pair, although the guaranteed P&L rises by 4.2475 (0.53 a share).
    const at43 = rebalanceDecision(
      { ledger: DOUBLE, rebalanceTrades: 0, nowMs: 0, endMs: 600_000 },
      book({ downAsks: [lv("0.43", "100")] }),
      RULES,
      PARAMS,
    );
    expect(at43).toEqual({ kind: "none", reason: "not-profitable" });
    // At 0.42: 8.03 for 3.3726 lock in 0.4194, 0.4194 / 19.272 = 0.0217621… a pair.
    const opts = rebalancingOptions(DOUBLE, book({ downAsks: [lv("0.42", "100")] }), RULES, PARAMS);
    const buy = byAction(opts, "BUY_NO")!;
    expect(buy).toMatchObject({ shares: m("8.03"), seedProfit: m("0.4194"), completedPairs: m("19.272") });
    expect(chooseRebalance(opts, { ...PARAMS, minRebalanceProfitPerShare: m("0.021762") })).toBe(buy);
    expect(chooseRebalance(opts, { ...PARAMS, minRebalanceProfitPerShare: m("0.021763") })).toBeUndefined();
  });

  it("a SELL must gain at least the minimum per share over the leg's entry — exactly", () => {
    // 7.70 Up at 0.54: 4.158 − 0.13388 = 4.02412, seed profit 4.02412 − 3.835625 = 0.188495: 0.02448 a share.
    const opts = rebalancingOptions(DOUBLE, book({ upBids: [lv("0.54", "100")] }), RULES, PARAMS);
    const sell = byAction(opts, "SELL_YES")!;
    expect(sell.seedProfit).toBe(m("0.188495"));
    // 0.188495 / 7.70 = 0.0244798…: a minimum of 0.024479 passes, 0.02448 does not.
    expect(chooseRebalance([sell], { ...PARAMS, minRebalanceProfitPerShare: m("0.024479") })).toBe(sell);
    expect(chooseRebalance([sell], { ...PARAMS, minRebalanceProfitPerShare: m("0.02448") })).toBeUndefined();
  });
});

describe("rebalanceDecision gates", () => {
  // Maker fills: 25 Up @ 0.48 (12.00) and 19.99 Down @ 0.49 (9.7951): gap 5.01, ratio 0.7996.
  // BUY Down at 0.42: 5.23 gross nets 5.23 − 0.21233 = 5.01767 for 2.1966; locks in 25 − 23.9917 = 1.0083.
  const LEDGER = position(["0.48", "25"], ["0.49", "19.99"], "MAKER");
  const BOOK = book({ downAsks: [lv("0.42", "100")] });
  const state = { ledger: LEDGER, rebalanceTrades: 0, nowMs: 1_000_000, endMs: 1_000_000 + 60_000 };

  it("a hedge ratio of exactly 0.80 is balanced", () => {
    const exact = position(["0.48", "25"], ["0.49", "20"], "MAKER"); // 20 / 25
    expect(rebalanceDecision({ ...state, ledger: exact }, BOOK, RULES, PARAMS)).toEqual({
      kind: "none",
      reason: "balanced",
    });
    expect(rebalanceDecision(state, BOOK, RULES, PARAMS)).toMatchObject({
      kind: "rebalance",
      option: { action: "BUY_NO", shares: m("5.23"), guaranteedPnlAfter: m("1.0083") },
    });
  });

  it("freezes in the last rebalanceFreezeMs before the end", () => {
    expect(rebalanceDecision(state, BOOK, RULES, PARAMS).kind).toBe("rebalance");
    expect(rebalanceDecision({ ...state, nowMs: state.nowMs + 1 }, BOOK, RULES, PARAMS)).toEqual({
      kind: "none",
      reason: "frozen",
    });
  });

  it("stops at maxRebalanceTrades", () => {
    expect(rebalanceDecision({ ...state, rebalanceTrades: 4 }, BOOK, RULES, PARAMS).kind).toBe("rebalance");
    expect(rebalanceDecision({ ...state, rebalanceTrades: 5 }, BOOK, RULES, PARAMS)).toEqual({
      kind: "none",
      reason: "max-trades",
    });
  });

  it("says why nothing is done: no option, or none profitable enough", () => {
    expect(rebalanceDecision(state, book({}), RULES, PARAMS)).toEqual({ kind: "none", reason: "no-option" });
    // 1.0083 / 25 = 0.040332 a pair.
    expect(
      rebalanceDecision(state, BOOK, RULES, { ...PARAMS, minRebalanceProfitPerShare: m("0.040333") }),
    ).toEqual({ kind: "none", reason: "not-profitable" });
  });

  it("prefers the SELL when both are eligible and the SELL leaves a profit, though the BUY locks in more", () => {
    // DOUBLE, Up bid 0.54 and Down ask 0.42: SELL 7.70 leaves 11.5716 − (15.48 − 4.02412) = 0.11572
    // (2.45 cents a share over entry); BUY 8.03 locks in 0.4194 (2.18 cents a pair).
    const b = book({ upBids: [lv("0.54", "100")], downAsks: [lv("0.42", "100")] });
    const s = { ledger: DOUBLE, rebalanceTrades: 0, nowMs: 0, endMs: 600_000 };
    const opts = rebalancingOptions(DOUBLE, b, RULES, PARAMS);
    expect(opts.map((o) => [o.action, o.guaranteedPnlAfter])).toEqual([
      ["SELL_YES", m("0.11572")],
      ["BUY_NO", m("0.4194")],
    ]);
    expect(rebalanceDecision(s, b, RULES, PARAMS)).toMatchObject({ option: { action: "SELL_YES" } });
    expect(rebalanceDecision(s, b, RULES, { ...PARAMS, preferSellOverBuy: false })).toMatchObject({
      option: { action: "BUY_NO" },
    });
  });
});

describe("chooseRebalance", () => {
  const base: RebalanceOption = {
    action: "SELL_YES",
    outcome: "UP",
    side: "SELL",
    shares: m("5"),
    limitPrice: m("0.52"),
    expectedFillPrice: m("0.52"),
    guaranteedPnlBefore: m("-1"),
    guaranteedPnlAfter: m("0.1"),
    improvement: m("1.1"),
    improvementPerShare: m("0.22"),
    balancesFully: true,
    overshoots: false,
    completedPnl: m("0.1"),
    completedPairs: m("10"),
    seedProfit: m("0.5"),
    sharesDelta: -m("5"),
    cashFlow: m("1.1"),
  };
  const sell = base;
  const buyOpt: RebalanceOption = { ...base, action: "BUY_NO", outcome: "DOWN", side: "BUY" };

  it("sends ties on guaranteed P&L to the SELL", () => {
    const noPref = { ...PARAMS, preferSellOverBuy: false };
    expect(chooseRebalance([buyOpt, sell], noPref)).toBe(sell);
    expect(chooseRebalance([buyOpt, { ...sell, guaranteedPnlAfter: m("0.099999") }], noPref)).toBe(buyOpt);
  });

  it("needs an improvement of the guaranteed P&L", () => {
    expect(chooseRebalance([{ ...sell, improvement: 0 }], NO_MIN)).toBeUndefined();
    expect(chooseRebalance([{ ...buyOpt, improvement: 0 }], NO_MIN)).toBeUndefined();
    expect(chooseRebalance([{ ...sell, improvement: 1 }], NO_MIN)).toBeDefined();
  });

  it("falls back to the BUY when no SELL is eligible, even with the preference", () => {
    // 0.09 over 5 shares is 1.8 cents a share.
    const poorSell = { ...sell, seedProfit: m("0.09"), guaranteedPnlAfter: m("0.5") };
    expect(chooseRebalance([poorSell, buyOpt], PARAMS)).toBe(buyOpt);
    expect(chooseRebalance([], PARAMS)).toBeUndefined();
  });
});

describe("realizedRebalanceProfit: the seed's profit from the fills obtained", () => {
  it("a SELL: proceeds after fees less the shares sold at the leg's average entry", () => {
    // Two fills of the order: 4 at 0.56 (2.24 − 0.06899 = 2.17101) and 3.70 at 0.54 (1.998 − 0.06433 =
    // 1.93367): 4.10468 − 7.70 × 0.498133 (3.835625) = 0.269055.
    let after = applyFill(DOUBLE, fill("SELL", "0.56", "4", { status: "MATCHED" }), "UP", RULES);
    after = applyFill(after, fill("SELL", "0.54", "3.7", { status: "MATCHED" }), "UP", RULES);
    expect(realizedRebalanceProfit(DOUBLE, after, "SELL_YES")).toBe(m("0.269055"));
    // A failed fill, another outcome's fill and a late status of an earlier fill count for nothing.
    let noisy = applyFill(after, fill("SELL", "0.6", "1", { status: "FAILED" }), "UP", RULES);
    noisy = applyFill(noisy, fill("SELL", "0.6", "1"), "DOWN", RULES);
    expect(realizedRebalanceProfit(DOUBLE, noisy, "SELL_YES")).toBe(m("0.269055"));
    expect(realizedRebalanceProfit(after, noisy, "SELL_YES")).toBe(0);
  });

  it("a BUY: the guaranteed P&L the position locks in after it", () => {
    const after = applyFill(DOUBLE, fill("BUY", "0.42", "8.03", { status: "MATCHED" }), "DOWN", RULES);
    expect(realizedRebalanceProfit(DOUBLE, after, "BUY_NO")).toBe(m("0.4194"));
    // Not the improvement (4.3278).
    expect(guaranteedPnl(after) - guaranteedPnl(DOUBLE)).toBe(m("4.3278"));
    expect(realizedRebalanceProfit(DOUBLE, after, "BUY_YES")).toBe(0);
  });

  it("is 0 when the order got no fill", () => {
    expect(realizedRebalanceProfit(DOUBLE, DOUBLE, "SELL_YES")).toBe(0);
    expect(realizedRebalanceProfit(DOUBLE, DOUBLE, "BUY_NO")).toBe(0);
  });
});
