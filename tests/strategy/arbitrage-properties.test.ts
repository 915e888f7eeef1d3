import fc from "fast-check";
import { pairCostWithFees } from "../../src/fees";
import { type Micros, ONE } from "../../src/money";
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
  type PositionLedger,
  pnlIfWins,
  rebalancingOptions,
  resolvePosition,
  SHARE_STEP,
} from "../../src/strategy/arbitrage";
import { fillPlan, ladder } from "../../src/strategy/arbitrage/types";

const CENT = 10_000;

const rulesArb: fc.Arbitrary<MarketRules> = fc.record({
  tickSize: fc.constant(CENT),
  minOrderSize: fc.constantFrom(0, ONE, 5 * ONE),
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
function toFill(spec: FillSpec, i: number, status: TradeStatus = "MATCHED"): OurFill {
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
  it("(a) a chosen rebalance raises the guaranteed P&L by at least the minimum per share, as its fills would", () => {
    let chosenCount = 0;
    fc.assert(
      fc.property(
        fc.array(fillSpecArb(["BUY"]), { minLength: 1, maxLength: 5 }),
        bookArb,
        fc.record({
          maxPositionCost: fc.integer({ min: 0, max: 60 * ONE }),
          allowPartialRebalance: fc.boolean(),
          minRebalanceProfitPerShare: fc.integer({ min: 0, max: 100_000 }),
          preferSellOverBuy: fc.boolean(),
        }),
        fc.constantFrom(0, ONE),
        (specs, book, params, minOrderSize) => {
          const rules: MarketRules = { tickSize: CENT, minOrderSize, feeRate: RATE, feeExponent: 1 };
          const ledger = ledgerOf(specs);
          const options = rebalancingOptions(ledger, book, rules, params);
          for (const o of options) {
            expect(o.shares % SHARE_STEP).toBe(0);
            expect(o.shares).toBeGreaterThanOrEqual(Math.max(1, minOrderSize));
            expect(o.guaranteedPnlBefore).toBe(guaranteedPnl(ledger));
            if (!o.balancesFully) expect(params.allowPartialRebalance).toBe(true);
            if (o.side === "BUY") expect(o.completedPnl).toBeGreaterThan(0);
          }
          const chosen = chooseRebalance(options, params);
          if (!chosen) return;
          chosenCount += 1;
          expect(chosen.guaranteedPnlAfter).toBeGreaterThan(chosen.guaranteedPnlBefore);
          expect(BigInt(chosen.improvement) * BigInt(ONE)).toBeGreaterThanOrEqual(
            BigInt(params.minRebalanceProfitPerShare) * BigInt(chosen.shares),
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
              { ...toFill({ ...s, outcome: chosen.outcome, side: chosen.side, role: "TAKER" }, 100 + i) },
              chosen.outcome,
              rules,
            );
          });
          // (Level by level, a BUY's notional is rounded up per fill rather than once: a micro per level.)
          const simulated = guaranteedPnl(after);
          expect(simulated).toBeLessThanOrEqual(chosen.guaranteedPnlAfter);
          expect(simulated).toBeGreaterThanOrEqual(
            chosen.guaranteedPnlAfter - (chosen.side === "BUY" ? slices.length - 1 : 0),
          );
          expect(Math.max(...slices.map((s) => s.price)) <= chosen.limitPrice || chosen.side === "SELL").toBe(
            true,
          );
          if (chosen.side === "SELL") expect(Math.min(...slices.map((s) => s.price))).toBe(chosen.limitPrice);
          if (chosen.side === "BUY") {
            expect(
              after.up.cost + after.down.cost - after.up.proceeds - after.down.proceeds,
            ).toBeLessThanOrEqual(params.maxPositionCost);
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(chosenCount).toBeGreaterThan(10);
  });

  it("(b) the same fills in any order, duplicated, with any statuses, give the same ledger", () => {
    const statusArb = fc.subarray<TradeStatus>(["MATCHED", "RETRYING", "MINED", "CONFIRMED", "FAILED"], {
      minLength: 1,
    });
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
          // And it is the ledger of the fills whose most advanced status is not FAILED.
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

  it("(c) detected opportunities respect the bound, the minimum size and the budget", () => {
    let found = 0;
    fc.assert(
      fc.property(
        ladderArb(20, 60),
        ladderArb(20, 60),
        rulesArb,
        fc.record({
          minSpread: fc.integer({ min: 0, max: 100_000 }),
          budgetPerTrade: fc.integer({ min: 0, max: 100 * ONE }),
        }),
        (upAsks, downAsks, rules, params) => {
          const book = snapshot({ bids: [], asks: upAsks }, { bids: [], asks: downAsks });
          const o = detectOpportunity(book, rules, params);
          if (!o) return;
          found += 1;
          expect(o.pairCost).toBeLessThanOrEqual(ONE - params.minSpread);
          expect(o.pairCost).toBe(
            pairCostWithFees(o.upLimitPrice, o.downLimitPrice, rules.feeRate, rules.feeExponent),
          );
          expect(o.shares).toBeGreaterThan(0);
          expect(o.shares).toBeGreaterThanOrEqual(rules.minOrderSize);
          expect(o.shares % SHARE_STEP).toBe(0);
          expect(o.grossCost).toBeLessThanOrEqual(o.maxCost);
          expect(o.maxCost).toBeLessThanOrEqual(params.budgetPerTrade);
          expect(o.expectedProfit).toBeGreaterThan(0);
          expect(o.upLimitPrice).toBeGreaterThanOrEqual(o.upBestAsk);
          expect(o.downLimitPrice).toBeGreaterThanOrEqual(o.downBestAsk);
          const depth = (levels: PriceLevel[], limit: Micros) =>
            levels.filter((l) => l.price <= limit && l.size > 0).reduce((s, l) => s + l.size, 0);
          expect(o.shares).toBeLessThanOrEqual(depth(upAsks, o.upLimitPrice));
          expect(o.shares).toBeLessThanOrEqual(depth(downAsks, o.downLimitPrice));
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
