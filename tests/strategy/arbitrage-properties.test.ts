import fc from "fast-check";
import { type Micros, mulMicros, ONE } from "../../src/money";
import { MIN_MARKETABLE_BUY_AMOUNT, marketableBuyAmount, SHARE_LOT } from "../../src/protocol/amounts";
import type {
  MarketBookSnapshot,
  OurFill,
  Outcome,
  PriceLevel,
  TradeStatus,
} from "../../src/session/messages";
import {
  applyFill,
  chooseRebalance,
  detectOpportunity,
  emptyLedger,
  guaranteedPnl,
  type MarketRules,
  netCost,
  type PositionLedger,
  pnlIfWins,
  realizedRebalanceProfit,
  rebalancingOptions,
  resolvePosition,
  sellableShares,
} from "../../src/strategy/arbitrage";
import { fillPlan, ladder } from "../../src/strategy/arbitrage/types";

const CENT = 10_000;

// The venue's minimum order is 5 shares; 10 makes the size gates bite harder.
const minOrderSizeArb = fc.constantFrom(5 * ONE, 5 * ONE, 10 * ONE);
const rulesArb: fc.Arbitrary<MarketRules> = fc.record({
  tickSize: fc.constant(CENT),
  minOrderSize: minOrderSizeArb,
  feeRate: fc.constantFrom(0, 20_000, 70_000, 250_000),
  feeExponent: fc.constantFrom(0, 1, 2),
});

const levelArb = (lo = 1, hi = 99): fc.Arbitrary<PriceLevel> =>
  fc.record({
    price: fc.integer({ min: lo, max: hi }).map((c) => c * CENT),
    size: fc.oneof(
      fc.integer({ min: 1, max: 5_000 }).map((c) => c * CENT),
      fc.integer({ min: 1, max: 50 * ONE }),
    ),
  });
const ladderArb = (lo?: number, hi?: number) => fc.array(levelArb(lo, hi), { maxLength: 5 });

function snapshot(up: { bids: PriceLevel[]; asks: PriceLevel[] }, down: typeof up): MarketBookSnapshot {
  return { seq: 1, venueAtMs: 0, receivedAtMs: 0, tickSize: CENT, up, down };
}
const bookArb = fc
  .record({ ub: ladderArb(), ua: ladderArb(), db: ladderArb(), da: ladderArb() })
  .map(({ ub, ua, db, da }) => snapshot({ bids: ub, asks: ua }, { bids: db, asks: da }));

interface FillSpec {
  outcome: Outcome;
  side: "BUY" | "SELL";
  role: "TAKER" | "MAKER";
  price: Micros;
  size: Micros;
  status?: TradeStatus;
}
const fillSpecArb = (sides: ("BUY" | "SELL")[]): fc.Arbitrary<FillSpec> =>
  fc.record({
    outcome: fc.constantFrom<Outcome>("UP", "DOWN"),
    side: fc.constantFrom(...sides),
    role: fc.constantFrom<"TAKER" | "MAKER">("TAKER", "MAKER"),
    price: fc.integer({ min: 1, max: 99 }).map((c) => c * CENT),
    size: fc.integer({ min: 1, max: 3_000 }).map((c) => c * CENT),
  });

const RATE = 70_000;
function toFill(spec: FillSpec, i: number, status: TradeStatus = spec.status ?? "MATCHED"): OurFill {
  return {
    tradeId: `t${i}`,
    orderId: `o${i}`,
    tokenId: spec.outcome,
    side: spec.side,
    role: spec.role,
    price: spec.price,
    size: spec.size,
    feeRate: RATE,
    status,
    atMs: i,
  };
}
function ledgerOf(specs: FillSpec[], exponent = 1): PositionLedger {
  return specs.reduce(
    (l, s, i) => applyFill(l, toFill(s, i), s.outcome, { feeExponent: exponent }),
    emptyLedger(),
  );
}

describe("properties", () => {
  it("(a) options meet the venue's minima and the rule; a chosen one earns what it promises, as its fills would", () => {
    let chosenCount = 0;
    let overshootCount = 0;
    const buySpec = fillSpecArb(["BUY"]).chain((spec) =>
      fc
        .constantFrom<TradeStatus>("MATCHED", "MINED", "MINED", "CONFIRMED")
        .map((status) => ({ ...spec, status })),
    );
    fc.assert(
      fc.property(
        fc.array(buySpec, { minLength: 1, maxLength: 5 }),
        bookArb,
        fc.record({
          maxPositionCost: fc.integer({ min: 0, max: 60 * ONE }),
          allowPartialRebalance: fc.boolean(),
          minRebalanceProfitPerShare: fc.constantFrom(0, 5_000, 20_000, 50_000),
          preferSellOverBuy: fc.boolean(),
        }),
        minOrderSizeArb,
        (specs, book, params, minOrderSize) => {
          const rules: MarketRules = { tickSize: CENT, minOrderSize, feeRate: RATE, feeExponent: 1 };
          const ledger = ledgerOf(specs);
          const options = rebalancingOptions(ledger, book, rules, params);
          for (const o of options) {
            expect(o.shares % SHARE_LOT).toBe(0);
            expect(o.shares).toBeGreaterThanOrEqual(minOrderSize);
            expect(o.guaranteedPnlBefore).toBe(guaranteedPnl(ledger));
            if (!o.balancesFully && !o.overshoots) expect(params.allowPartialRebalance).toBe(true);
            if (o.side === "SELL") expect(o.shares).toBeLessThanOrEqual(sellableShares(ledger, o.outcome));
            if (o.side === "BUY") {
              expect(o.completedPnl).toBeGreaterThan(0);
              expect(o.seedProfit).toBe(o.completedPnl);
              expect(BigInt(o.shares) * BigInt(o.limitPrice)).toBeGreaterThanOrEqual(
                BigInt(MIN_MARKETABLE_BUY_AMOUNT) * BigInt(ONE),
              );
              expect(netCost(ledger) + marketableBuyAmount(o.shares, o.limitPrice)).toBeLessThanOrEqual(
                params.maxPositionCost,
              );
            }
            if (o.overshoots) {
              overshootCount += 1;
              expect(o.improvement).toBeGreaterThan(0);
              // The hedge ratio min/max rises, exactly: min' × max > min × max'.
              const up = ledger.up.netShares;
              const down = ledger.down.netShares;
              const up2 = up + (o.outcome === "UP" ? o.sharesDelta : 0);
              const down2 = down + (o.outcome === "DOWN" ? o.sharesDelta : 0);
              expect(
                BigInt(Math.min(up2, down2)) * BigInt(Math.max(up, down)) >
                  BigInt(Math.min(up, down)) * BigInt(Math.max(up2, down2)),
              ).toBe(true);
            }
          }
          const chosen = chooseRebalance(options, params);
          if (!chosen) return;
          chosenCount += 1;
          expect(chosen.guaranteedPnlAfter).toBeGreaterThan(chosen.guaranteedPnlBefore);
          // MIN_REBALANCE_PROFIT on the seed's quantities, exactly.
          const per = chosen.side === "SELL" ? chosen.shares : chosen.completedPairs;
          expect(BigInt(chosen.seedProfit) * BigInt(ONE)).toBeGreaterThanOrEqual(
            BigInt(params.minRebalanceProfitPerShare) * BigInt(per),
          );
          // Executing it as taker fills against the book as seen gives the promised P&L.
          const top = chosen.outcome === "UP" ? book.up : book.down;
          const slices = fillPlan(
            ladder(chosen.side === "BUY" ? top.asks : top.bids, chosen.side === "BUY" ? "asks" : "bids"),
            chosen.shares,
          );
          let after = ledger;
          slices.forEach((s, i) => {
            after = applyFill(
              after,
              toFill({ ...s, outcome: chosen.outcome, side: chosen.side, role: "TAKER" }, 100 + i),
              chosen.outcome,
              rules,
            );
          });
          // (Level by level, a BUY's notional is rounded up per fill rather than once: a micro per level.)
          const slack = chosen.side === "BUY" ? slices.length - 1 : 0;
          const simulated = guaranteedPnl(after);
          expect(simulated).toBeLessThanOrEqual(chosen.guaranteedPnlAfter);
          expect(simulated).toBeGreaterThanOrEqual(chosen.guaranteedPnlAfter - slack);
          // And the seed's profit recorded from those fills is the one promised.
          const realized = realizedRebalanceProfit(ledger, after, chosen.action);
          if (chosen.side === "SELL") expect(realized).toBe(chosen.seedProfit);
          else expect(realized).toBe(simulated);
          if (chosen.side === "BUY" && chosen.completedPnl === chosen.guaranteedPnlAfter) {
            expect(realized).toBeGreaterThanOrEqual(chosen.seedProfit - slack);
          }
          if (chosen.side === "SELL") expect(Math.min(...slices.map((s) => s.price))).toBe(chosen.limitPrice);
          else expect(Math.max(...slices.map((s) => s.price))).toBeLessThanOrEqual(chosen.limitPrice);
          if (chosen.side === "BUY") expect(netCost(after)).toBeLessThanOrEqual(params.maxPositionCost);
        },
      ),
      { numRuns: 600 },
    );
    expect(chosenCount).toBeGreaterThan(10);
    expect(overshootCount).toBeGreaterThan(0);
  });

  it("(b) the same fills in any order, duplicated, with any statuses, give the same ledger", () => {
    // The sightings of one real trade: some of the statuses of one lifecycle, MATCHED → (RETRYING) → MINED →
    // CONFIRMED, or → FAILED (a trade is never both CONFIRMED and FAILED).
    const statusArb = fc
      .constantFrom<TradeStatus[]>(
        ["MATCHED", "RETRYING", "MINED", "CONFIRMED"],
        ["MATCHED", "RETRYING", "MINED", "FAILED"],
        ["MATCHED", "RETRYING", "FAILED"],
      )
      .chain((path) => fc.subarray(path, { minLength: 1 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fillSpecArb(["BUY", "SELL"]), statusArb), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 80 }),
        fc.constantFrom(0, 1, 2),
        (fills, keysA, keysB, exponent) => {
          const events = fills.flatMap(([spec, statuses], i) => statuses.map((st) => ({ spec, i, st })));
          const order = (keys: number[]) =>
            [...events, ...events.filter((_, k) => (keys[k % keys.length] ?? 0) % 3 === 0)]
              .map((e, k) => ({ e, key: keys[k % keys.length]! * 1000 + k }))
              .sort((x, y) => x.key - y.key)
              .map((x) => x.e);
          const fold = (evs: typeof events) =>
            evs.reduce(
              (l, { spec, i, st }) =>
                applyFill(l, toFill(spec, i, st), spec.outcome, { feeExponent: exponent }),
              emptyLedger(),
            );
          const a = fold(order(keysA));
          const b = fold(order(keysB));
          expect(a).toEqual(b);
          // And it is the ledger of the fills whose last status in their lifecycle is not FAILED.
          const live = fills.filter(([, statuses]) => !statuses.includes("FAILED"));
          const expected = fold(
            fills.map(([spec, statuses], i) => ({ spec, i, st: statuses[statuses.length - 1]! })),
          );
          expect(a.up).toEqual(expected.up);
          expect(a.down).toEqual(expected.down);
          expect(Object.keys(a.fills).length).toBe(fills.length);
          expect(Object.values(a.fills).filter((f) => f.status !== "FAILED").length).toBe(live.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("(c) detected opportunities lock in minSpread a pair at their most spend, within budget and the venue's minima", () => {
    let found = 0;
    fc.assert(
      fc.property(
        ladderArb(20, 60),
        ladderArb(20, 60),
        rulesArb,
        fc.record({
          minSpread: fc.constantFrom(0, 10_000, 20_000, 30_000, 50_000),
          budgetPerTrade: fc.integer({ min: 0, max: 100 * ONE }),
        }),
        (upAsks, downAsks, rules, params) => {
          const book = snapshot({ bids: [], asks: upAsks }, { bids: [], asks: downAsks });
          const o = detectOpportunity(book, rules, params);
          if (!o) return;
          found += 1;
          // The criterion, exactly: (pairs − maxCost) ≥ minSpread × pairs.
          expect(o.worstCaseProfit).toBe(o.pairs - o.maxCost);
          expect(BigInt(o.worstCaseProfit) * BigInt(ONE)).toBeGreaterThanOrEqual(
            BigInt(params.minSpread) * BigInt(o.pairs),
          );
          expect(o.pairs).toBe(Math.min(o.upNetShares, o.downNetShares));
          expect(o.expectedProfit).toBe(o.pairs - o.grossCost);
          expect(o.grossCost).toBeLessThanOrEqual(o.maxCost);
          expect(o.maxCost).toBe(
            marketableBuyAmount(o.upShares, o.upLimitPrice) +
              marketableBuyAmount(o.downShares, o.downLimitPrice),
          );
          expect(o.maxCost).toBeLessThanOrEqual(params.budgetPerTrade);
          for (const [shares, limit, best, asks] of [
            [o.upShares, o.upLimitPrice, o.upBestAsk, upAsks],
            [o.downShares, o.downLimitPrice, o.downBestAsk, downAsks],
          ] as const) {
            expect(shares % SHARE_LOT).toBe(0);
            expect(shares).toBeGreaterThanOrEqual(rules.minOrderSize);
            expect(mulMicros(shares, limit, "up")).toBeGreaterThanOrEqual(MIN_MARKETABLE_BUY_AMOUNT);
            expect(limit).toBeGreaterThanOrEqual(best);
            const depth = asks.filter((l) => l.price <= limit && l.size > 0).reduce((s, l) => s + l.size, 0);
            expect(shares).toBeLessThanOrEqual(depth);
          }
          // Equal net shares: each leg is the least lot reaching the same target, so they differ by < a lot.
          expect(Math.abs(o.upNetShares - o.downNetShares)).toBeLessThan(SHARE_LOT);
        },
      ),
      { numRuns: 1000 },
    );
    expect(found).toBeGreaterThan(20);
  });

  it("(d) the guaranteed P&L is at most the P&L if either outcome wins", () => {
    fc.assert(
      fc.property(fc.array(fillSpecArb(["BUY", "SELL"]), { maxLength: 8 }), (specs) => {
        const l = ledgerOf(specs);
        expect(guaranteedPnl(l)).toBeLessThanOrEqual(pnlIfWins(l, "UP"));
        expect(guaranteedPnl(l)).toBeLessThanOrEqual(pnlIfWins(l, "DOWN"));
        expect(guaranteedPnl(l)).toBe(Math.min(pnlIfWins(l, "UP"), pnlIfWins(l, "DOWN")));
        for (const w of ["UP", "DOWN"] as const) {
          if ((w === "UP" ? l.up : l.down).netShares >= 0)
            expect(resolvePosition(l, w).pnl).toBe(pnlIfWins(l, w));
        }
      }),
      { numRuns: 300 },
    );
  });
});
