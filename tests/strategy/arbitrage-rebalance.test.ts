import { parseMicros } from "../../src/money";
import type { MarketBookSnapshot, OurFill, PriceLevel } from "../../src/session/messages";
import {
  type ArbitrageParams,
  applyFill,
  chooseRebalance,
  emptyLedger,
  guaranteedPnl,
  type MarketRules,
  type PositionLedger,
  type RebalanceOption,
  rebalanceDecision,
  rebalancingOptions,
} from "../../src/strategy/arbitrage";

const m = parseMicros;
const RATE = m("0.07");
const RULES: MarketRules = { tickSize: m("0.01"), minOrderSize: m("1"), feeRate: RATE, feeExponent: 1 };
const PARAMS: ArbitrageParams = {
  minSpread: m("0.02"),
  budgetPerTrade: m("10"),
  maxPositionCost: m("25"),
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

function buy(id: string, price: string, size: string, role: "TAKER" | "MAKER" = "TAKER"): OurFill {
  return {
    tradeId: `t${id}`,
    orderId: `o${id}`,
    tokenId: "tok",
    side: "BUY",
    role,
    price: m(price),
    size: m(size),
    feeRate: RATE,
    status: "MATCHED",
    atMs: 0,
  };
}

function position(up: [string, string], down: [string, string], role: "TAKER" | "MAKER" = "TAKER") {
  let l: PositionLedger = emptyLedger();
  l = applyFill(l, buy("1", up[0], up[1], role), "UP", RULES);
  l = applyFill(l, buy("2", down[0], down[1], role), "DOWN", RULES);
  return l;
}

// The seed's partial fill as taker fills with fees: Up 9.636 net, Down 5.7858 net, 7.74 spent.
const SEED = position(["0.48", "10"], ["0.49", "6"]);
// The seed's market movement: Up bid 0.52, Down ask 0.46.
const MOVED = book({
  upBids: [lv("0.52", "100")],
  upAsks: [lv("0.53", "100")],
  downBids: [lv("0.45", "100")],
  downAsks: [lv("0.46", "100")],
});

const byAction = (options: RebalanceOption[], action: string) => options.find((o) => o.action === action);

describe("the seed's walkthrough, with fees", () => {
  const options = rebalancingOptions(SEED, MOVED, RULES, PARAMS);
  const sell = byAction(options, "SELL_YES")!;
  const buyNo = byAction(options, "BUY_NO")!;

  it("offers both options, on the footing of the guaranteed P&L at resolution", () => {
    expect(guaranteedPnl(SEED)).toBe(m("-1.9542"));
    // SELL the 3.85 excess Up (3.8502 rounded down to an order step) at 0.52:
    // 2.002 − fee 0.06726 = 1.93474 in; Down still 5.7858 → 5.7858 − (7.74 − 1.93474).
    expect(sell).toMatchObject({
      outcome: "UP",
      side: "SELL",
      shares: m("3.85"),
      limitPrice: m("0.52"),
      expectedFillPrice: m("0.52"),
      guaranteedPnlBefore: m("-1.9542"),
      guaranteedPnlAfter: m("-0.01946"),
      improvement: m("1.93474"),
      improvementPerShare: m("0.502529"),
      balancesFully: true,
      cashFlow: m("1.93474"),
      sharesDelta: -m("3.85"),
    });
    // BUY Down at 0.46: 4.00 gross nets 3.8488 < 3.8502, so 4.01 (nets 3.85843) for 1.8446;
    // then min(9.636, 9.64423) − 9.5846.
    expect(buyNo).toMatchObject({
      outcome: "DOWN",
      side: "BUY",
      shares: m("4.01"),
      limitPrice: m("0.46"),
      guaranteedPnlAfter: m("0.0514"),
      improvement: m("2.0056"),
      improvementPerShare: m("0.500149"),
      balancesFully: true,
      completedPnl: m("0.0514"),
      cashFlow: -m("1.8446"),
      sharesDelta: m("3.85843"),
    });
  });

  it("does not prefer a SELL that would lock in a loss: with fees, the BUY wins even with the preference", () => {
    expect(sell.guaranteedPnlAfter).toBeLessThan(0);
    expect(buyNo.guaranteedPnlAfter).toBeGreaterThan(0);
    expect(chooseRebalance(options, PARAMS)).toBe(buyNo);
    expect(
      rebalanceDecision({ ledger: SEED, rebalanceTrades: 0, nowMs: 0, endMs: 600_000 }, MOVED, RULES, PARAMS),
    ).toEqual({ kind: "rebalance", option: buyNo });
  });

  it("without the preference, the higher guaranteed P&L wins: the BUY", () => {
    expect(chooseRebalance(options, { ...PARAMS, preferSellOverBuy: false })).toBe(buyNo);
  });

  it("without fees on the initial fills (maker fills) both leave a profit: SELL 0.27012, BUY 0.3464", () => {
    const maker = position(["0.48", "10"], ["0.49", "6"], "MAKER");
    const opts = rebalancingOptions(maker, MOVED, RULES, PARAMS);
    expect(byAction(opts, "SELL_YES")).toMatchObject({ shares: m("4"), guaranteedPnlAfter: m("0.27012") });
    // 4.15 gross nets 3.99313 < 4: 4.16 it is.
    expect(byAction(opts, "BUY_NO")).toMatchObject({ shares: m("4.16"), guaranteedPnlAfter: m("0.3464") });
    expect(chooseRebalance(opts, PARAMS)?.action).toBe("SELL_YES");
    expect(chooseRebalance(opts, { ...PARAMS, preferSellOverBuy: false })?.action).toBe("BUY_NO");
  });

  it("mirrors when Down is the larger leg", () => {
    const l = position(["0.49", "6"], ["0.48", "10"]);
    const mirrored = book({ upAsks: [lv("0.46", "100")], downBids: [lv("0.52", "100")] });
    const opts = rebalancingOptions(l, mirrored, RULES, PARAMS);
    expect(opts.map((o) => o.action)).toEqual(["SELL_NO", "BUY_YES"]);
    expect(opts.map((o) => o.guaranteedPnlAfter)).toEqual([m("-0.01946"), m("0.0514")]);
  });
});

describe("SELL the excess", () => {
  it("sells only where the bid, net of the fee, is above the average entry (0.498133)", () => {
    // 0.50 nets 0.4825 a share: below entry.
    const opts = rebalancingOptions(SEED, book({ upBids: [lv("0.5", "100")] }), RULES, PARAMS);
    expect(byAction(opts, "SELL_YES")).toBeUndefined();
  });

  it("offers a partial SELL only when partial rebalancing is allowed", () => {
    const b = book({ upBids: [lv("0.52", "2"), lv("0.5", "100")] });
    const partial = byAction(rebalancingOptions(SEED, b, RULES, PARAMS), "SELL_YES")!;
    expect(partial).toMatchObject({ shares: m("2"), limitPrice: m("0.52"), balancesFully: false });
    // The rest (1.85) sold at 0.52 too would give the full option's result.
    expect(partial.completedPnl).toBe(m("-0.01946"));
    expect(
      byAction(rebalancingOptions(SEED, b, RULES, { ...PARAMS, allowPartialRebalance: false }), "SELL_YES"),
    ).toBeUndefined();
  });

  it("walks several bid levels, limit at the worst one used", () => {
    const b = book({ upBids: [lv("0.53", "1"), lv("0.52", "100")] });
    const sell = byAction(rebalancingOptions(SEED, b, RULES, PARAMS), "SELL_YES")!;
    expect(sell).toMatchObject({ shares: m("3.85"), limitPrice: m("0.52"), balancesFully: true });
    // (1 × 0.53 + 2.85 × 0.52) / 3.85 = 0.522597…
    expect(sell.expectedFillPrice).toBe(m("0.522597"));
  });
});

describe("BUY the deficit", () => {
  it("offers a depth-limited partial BUY when the completed hedge would still lock in a profit", () => {
    const b = book({ downAsks: [lv("0.46", "2")] });
    const partial = byAction(rebalancingOptions(SEED, b, RULES, PARAMS), "BUY_NO")!;
    // 2 gross nets 1.9244 for 0.92: 7.7102 − 8.66 guaranteed, still short of the hedge...
    expect(partial).toMatchObject({ shares: m("2"), balancesFully: false, guaranteedPnlAfter: m("-0.9498") });
    // ...which, finished at 0.46 (2.01 more), locks in 0.0514.
    expect(partial.completedPnl).toBe(m("0.0514"));
    expect(
      byAction(rebalancingOptions(SEED, b, RULES, { ...PARAMS, allowPartialRebalance: false }), "BUY_NO"),
    ).toBeUndefined();
  });

  it("caps the BUY at maxPositionCost, pricing the size at its limit", () => {
    const room = { ...PARAMS, maxPositionCost: m("7.74") + m("1") };
    // 1.00 at 0.46: 2.17 shares.
    const capped = byAction(rebalancingOptions(SEED, MOVED, RULES, room), "BUY_NO")!;
    expect(capped).toMatchObject({ shares: m("2.17"), balancesFully: false });
    expect(-capped.cashFlow).toBeLessThanOrEqual(m("1"));
    // Over two levels the whole size counts at the worse one: 2.12 × 0.47 ≤ 1 < 2.13 × 0.47.
    const two = book({ downAsks: [lv("0.46", "2"), lv("0.47", "100")] });
    expect(byAction(rebalancingOptions(SEED, two, RULES, room), "BUY_NO")?.shares).toBe(m("2.12"));
    // No partials: nothing.
    expect(
      byAction(rebalancingOptions(SEED, MOVED, RULES, { ...room, allowPartialRebalance: false }), "BUY_NO"),
    ).toBeUndefined();
    // Enough room: the full size.
    expect(
      byAction(rebalancingOptions(SEED, MOVED, RULES, { ...PARAMS, maxPositionCost: m("9.59") }), "BUY_NO")
        ?.shares,
    ).toBe(m("4.01"));
  });

  it("does not buy towards a hedge that locks in a loss", () => {
    // At 0.55 the full hedge costs 7.74 + 3.98 × 0.55 for 9.636 paid out.
    const opts = rebalancingOptions(SEED, book({ downAsks: [lv("0.55", "100")] }), RULES, PARAMS);
    expect(byAction(opts, "BUY_NO")).toBeUndefined();
  });

  it("respects the venue's minimum order size (a 3.85-share gap cannot be traded at min 5)", () => {
    expect(rebalancingOptions(SEED, MOVED, { ...RULES, minOrderSize: m("5") }, PARAMS)).toEqual([]);
  });
});

describe("rebalanceDecision gates", () => {
  const state = { ledger: SEED, rebalanceTrades: 0, nowMs: 1_000_000, endMs: 1_000_000 + 60_000 };

  it("a hedge ratio of exactly 0.80 is balanced", () => {
    const l = position(["0.48", "10"], ["0.49", "8"], "MAKER");
    expect(rebalanceDecision({ ...state, ledger: l }, MOVED, RULES, PARAMS)).toEqual({
      kind: "none",
      reason: "balanced",
    });
    const l2 = position(["0.48", "10"], ["0.49", "7.99"], "MAKER");
    expect(rebalanceDecision({ ...state, ledger: l2 }, MOVED, RULES, PARAMS).kind).toBe("rebalance");
  });

  it("freezes in the last rebalanceFreezeMs before the end", () => {
    expect(rebalanceDecision(state, MOVED, RULES, PARAMS).kind).toBe("rebalance");
    expect(rebalanceDecision({ ...state, nowMs: state.nowMs + 1 }, MOVED, RULES, PARAMS)).toEqual({
      kind: "none",
      reason: "frozen",
    });
    expect(rebalanceDecision({ ...state, nowMs: state.endMs + 5 }, MOVED, RULES, PARAMS).kind).toBe("none");
  });

  it("stops at maxRebalanceTrades", () => {
    expect(rebalanceDecision({ ...state, rebalanceTrades: 4 }, MOVED, RULES, PARAMS).kind).toBe("rebalance");
    expect(rebalanceDecision({ ...state, rebalanceTrades: 5 }, MOVED, RULES, PARAMS)).toEqual({
      kind: "none",
      reason: "max-trades",
    });
    expect(rebalanceDecision(state, MOVED, RULES, { ...PARAMS, maxRebalanceTrades: 0 }).kind).toBe("none");
  });

  it("says why nothing is done: no option, or none profitable enough", () => {
    expect(rebalanceDecision(state, book({}), RULES, PARAMS)).toEqual({ kind: "none", reason: "no-option" });
    // SELL improves 0.502529 a share, BUY 0.500149: neither reaches 0.51.
    expect(
      rebalanceDecision(state, MOVED, RULES, { ...PARAMS, minRebalanceProfitPerShare: m("0.51") }),
    ).toEqual({ kind: "none", reason: "not-profitable" });
  });
});

describe("chooseRebalance", () => {
  const base: RebalanceOption = {
    action: "SELL_YES",
    outcome: "UP",
    side: "SELL",
    shares: m("4"),
    limitPrice: m("0.52"),
    expectedFillPrice: m("0.52"),
    guaranteedPnlBefore: m("-1"),
    guaranteedPnlAfter: m("0.1"),
    improvement: m("1.1"),
    improvementPerShare: m("0.275"),
    balancesFully: true,
    completedPnl: m("0.1"),
    sharesDelta: -m("4"),
    cashFlow: m("1.1"),
  };
  const sell = base;
  const buyOpt: RebalanceOption = { ...base, action: "BUY_NO", outcome: "DOWN", side: "BUY" };

  it("sends ties on guaranteed P&L to the SELL", () => {
    const noPref = { ...PARAMS, preferSellOverBuy: false };
    expect(chooseRebalance([buyOpt, sell], noPref)).toBe(sell);
    expect(chooseRebalance([buyOpt, { ...sell, guaranteedPnlAfter: m("0.099999") }], noPref)).toBe(buyOpt);
  });

  it("needs improvement ≥ min × shares, exactly", () => {
    const exact = { ...sell, improvement: m("0.08"), improvementPerShare: m("0.02") };
    expect(chooseRebalance([exact], PARAMS)).toBe(exact);
    expect(chooseRebalance([{ ...exact, improvement: m("0.08") - 1 }], PARAMS)).toBeUndefined();
    expect(
      chooseRebalance([{ ...exact, improvement: 0 }], { ...PARAMS, minRebalanceProfitPerShare: 0 }),
    ).toBe(undefined);
  });

  it("falls back to the BUY when no SELL is eligible, even with the preference", () => {
    const poorSell = { ...sell, improvement: m("0.04"), guaranteedPnlAfter: m("0.5") };
    expect(chooseRebalance([poorSell, buyOpt], PARAMS)).toBe(buyOpt);
    expect(chooseRebalance([], PARAMS)).toBeUndefined();
  });
});
