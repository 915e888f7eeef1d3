import fc from "fast-check";
import { type Micros, ONE } from "../../../src/money";
import { amountRuleViolation, orderAmounts } from "../../../src/protocol/amounts";
import type { MarketBookSnapshot, OurFill, Outcome, PriceLevel } from "../../../src/session/messages";
import {
  activeQuotes,
  applyFill,
  type BreakerState,
  type DesiredQuotes,
  effectiveState,
  emptyLedger,
  emptyRefreshLimiter,
  emptyRisk,
  joinBestQuotes,
  type LiveOrder,
  limitMultiplierPercent,
  type MarketOrders,
  marketLiability,
  maxBuyShares,
  netInventory,
  only50Quotes,
  type PositionLedger,
  planOrders,
  type QuoteInput,
  type QuoteStrategy,
  type QuotingParams,
  quoteLot,
  type RiskEvent,
  type RiskState,
  remainingShares,
  riskStep,
  upAxisBook,
} from "../../../src/strategy/quoting";
import { MIN_SIZE, P, RATE } from "./helpers";

// ---- generators ------------------------------------------------------------------------------------

const tickArb = fc.constantFrom(10_000, 1_000);

/** An uncrossed market: Up-axis levels, each listed either on Up or mirrored on Down (as the venue would). */
const bookArb: fc.Arbitrary<MarketBookSnapshot> = tickArb.chain((tick) => {
  const n = ONE / tick;
  return fc
    .integer({ min: 1, max: n - 2 })
    .chain((bestBid) =>
      fc.record({
        bestBid: fc.constant(bestBid),
        // Narrow spreads (1–3 ticks) half the time: where quotes sit next to each other.
        bestAsk: fc.oneof(
          fc.integer({ min: bestBid + 1, max: Math.min(n - 1, bestBid + 3) }),
          fc.integer({ min: bestBid + 1, max: Math.min(n - 1, bestBid + 30) }),
        ),
      }),
    )
    .chain(({ bestBid, bestAsk }) => {
      const level = (lo: number, hi: number) =>
        fc.record({
          t: fc.integer({ min: lo, max: hi }),
          size: fc.integer({ min: 1, max: 50_000 }).map((c) => c * 10_000),
          onDown: fc.boolean(),
        });
      return fc.record({
        bids: fc.array(level(Math.max(1, bestBid - 10), bestBid), { maxLength: 4 }),
        asks: fc.array(level(bestAsk, Math.min(n - 1, bestAsk + 10)), { maxLength: 4 }),
        topBidOnDown: fc.boolean(),
        topAskOnDown: fc.boolean(),
        bestBid: fc.constant(bestBid),
        bestAsk: fc.constant(bestAsk),
      });
    })
    .map(({ bids, asks, topBidOnDown, topAskOnDown, bestBid, bestAsk }) => {
      const b: MarketBookSnapshot = {
        seq: 1,
        venueAtMs: 0,
        receivedAtMs: 0,
        tickSize: tick,
        up: { bids: [], asks: [] },
        down: { bids: [], asks: [] },
      };
      const put = (price: Micros, size: Micros, bidSide: boolean, onDown: boolean) => {
        const l: PriceLevel = { price: onDown ? ONE - price : price, size };
        if (bidSide) (onDown ? b.down.asks : b.up.bids).push(l);
        else (onDown ? b.down.bids : b.up.asks).push(l);
      };
      put(bestBid * tick, 100 * ONE, true, topBidOnDown);
      put(bestAsk * tick, 100 * ONE, false, topAskOnDown);
      for (const l of bids) put(l.t * tick, l.size, true, l.onDown);
      for (const l of asks) put(l.t * tick, l.size, false, l.onDown);
      return b;
    });
});

const fillArb = fc.record({
  outcome: fc.constantFrom<Outcome>("UP", "DOWN"),
  price: fc.integer({ min: 1, max: 99 }).map((c) => c * 10_000),
  size: fc.integer({ min: 1, max: 15_000 }).map((c) => c * 10_000),
});
let fillId = 0;
function ledgerFrom(fills: { outcome: Outcome; price: Micros; size: Micros }[]): PositionLedger {
  return fills.reduce((l, f) => {
    fillId += 1;
    const fill: OurFill = {
      tradeId: `p${fillId}`,
      orderId: `p${fillId}`,
      tokenId: f.outcome,
      side: "BUY",
      role: "MAKER",
      price: f.price,
      size: f.size,
      feeRate: RATE,
      status: "MATCHED",
      atMs: 0,
    };
    return applyFill(l, fill, f.outcome, { feeExponent: 1 });
  }, emptyLedger());
}

const paramsArb: fc.Arbitrary<QuotingParams> = fc
  .record({
    improveWhenSpreadTicks: fc.integer({ min: 1, max: 6 }),
    quoteOffsetTicks: fc.integer({ min: 0, max: 2 }),
    inventorySkewCoefficient: fc.constantFrom(0, 0.05, 0.1, 0.3),
    cancelOnMomentum: fc.boolean(),
    maxSpreadTicks: fc.integer({ min: 1, max: 20 }),
    orderSize: fc.constantFrom(1, 3, 10, 50, 200).map((u) => u * ONE),
    refreshThresholdTicks: fc.integer({ min: 0, max: 3 }),
  })
  .map((over) => ({ ...P, ...over }));

const breakerArb = fc.constantFrom<BreakerState>("NORMAL", "WARNING", "HALTED", "RECOVERING");

function liveOrderArb(tick: Micros, id: string): fc.Arbitrary<LiveOrder> {
  const n = ONE / tick;
  return fc
    .record({
      outcome: fc.constantFrom<Outcome>("UP", "DOWN"),
      side: fc.constantFrom<"BUY" | "SELL">("BUY", "BUY", "BUY", "SELL"),
      t: fc.integer({ min: 1, max: n - 1 }),
      size: fc.integer({ min: 500, max: 5_000 }).map((c) => c * 10_000),
      matchedShare: fc.constantFrom(0, 0, 0.5, 0.9, 1),
    })
    .map((o) => ({
      orderId: id,
      outcome: o.outcome,
      side: o.side,
      price: o.t * tick,
      size: o.size,
      sizeMatched: Math.floor((o.size * o.matchedShare) / 10_000) * 10_000,
    }));
}

const inputArb: fc.Arbitrary<QuoteInput> = bookArb.chain((book) =>
  fc.record({
    book: fc.constant(book),
    minOrderSize: fc.constant(MIN_SIZE),
    ownOrders: fc
      .array(liveOrderArb(book.tickSize, "own"), { maxLength: 2 })
      .map((os) => os.map((o, i) => ({ ...o, orderId: `own${i}` }))),
    inventory: fc.array(fillArb, { maxLength: 4 }).map(ledgerFrom),
    momentumActive: fc.boolean(),
    breaker: breakerArb,
    liabilityElsewhere: fc.integer({ min: 0, max: 600 }).map((u) => u * ONE),
  }),
);

/** Mostly quoting conditions (no momentum, little inventory, NORMAL): where the plan has most to do. */
const quotingInputArb: fc.Arbitrary<QuoteInput> = fc
  .tuple(
    inputArb,
    fc.boolean(),
    fc.array(
      fillArb.map((f) => ({ ...f, size: Math.min(f.size, 20 * ONE) })),
      { maxLength: 2 },
    ),
  )
  .map(([input, calm, fills]) =>
    calm
      ? {
          ...input,
          ownOrders: [],
          inventory: ledgerFrom(fills),
          momentumActive: false,
          breaker: "NORMAL",
          liabilityElsewhere: 0,
        }
      : input,
  );

// ---- properties ------------------------------------------------------------------------------------

const STRATEGIES: [string, QuoteStrategy][] = [
  ["active", activeQuotes],
  ["join-best", joinBestQuotes],
  ["only-50", only50Quotes],
];

describe("properties: quotes", () => {
  it("on tick, at least 5 shares on the lot, amounts the venue accepts, never crossing the book or each other; nothing in HALTED", () => {
    let quoted = 0;
    fc.assert(
      fc.property(inputArb, paramsArb, fc.constantFrom(...STRATEGIES), (input, params, [, strategy]) => {
        const q: DesiredQuotes = strategy(input, params);
        if (input.breaker === "HALTED") {
          expect(q.up).toBeUndefined();
          expect(q.down).toBeUndefined();
          return;
        }
        const tick = input.book.tickSize;
        const others = upAxisBook(input.book, input.ownOrders);
        const bestBid = others.bids[0]?.price;
        const bestAsk = others.asks[0]?.price;
        for (const [outcome, side] of [
          ["UP", q.up],
          ["DOWN", q.down],
        ] as const) {
          if (side?.kind !== "quote") continue;
          quoted += 1;
          expect(side.price % tick).toBe(0);
          expect(side.price).toBeGreaterThanOrEqual(tick);
          expect(side.price).toBeLessThanOrEqual(ONE - tick);
          expect(side.shares).toBeGreaterThanOrEqual(MIN_SIZE);
          expect(side.shares % quoteLot(tick)).toBe(0);
          const amounts = orderAmounts({
            side: "BUY",
            price: side.price,
            shares: side.shares,
            tickSize: tick,
            marketable: false,
          });
          // pUSD with at most 4 decimals, shares with at most 2.
          expect(amounts.makerAmount % 100).toBe(0);
          expect(amounts.takerAmount % 10_000).toBe(0);
          expect(
            amountRuleViolation({ side: "BUY", ...amounts, tickSize: tick, marketable: false }),
          ).toBeUndefined();
          // Post-only never crosses: a BUY of Up below the best ask, a BUY of Down (ask 1 − q) above the best bid.
          if (outcome === "UP" && bestAsk !== undefined) expect(side.price).toBeLessThan(bestAsk);
          if (outcome === "DOWN" && bestBid !== undefined) expect(ONE - side.price).toBeGreaterThan(bestBid);
        }
        if (q.up?.kind === "quote" && q.down?.kind === "quote") {
          expect(q.up.price + q.down.price).toBeLessThan(ONE);
        }
      }),
      { numRuns: 1500 },
    );
    expect(quoted).toBeGreaterThan(500);
  });

  it("a quote's size keeps the liability within max(limit, now) and the net within max(limit, now), however much of it fills", () => {
    fc.assert(
      fc.property(
        fc.array(fillArb, { maxLength: 5 }),
        fc.constantFrom<Outcome>("UP", "DOWN"),
        fc.integer({ min: 1, max: 99 }).map((c) => c * 10_000),
        fc.record({
          maxNetShares: fc.integer({ min: 0, max: 200 }).map((u) => u * ONE),
          maxLiability: fc.integer({ min: 0, max: 80 }).map((u) => u * ONE),
          maxTotalLiability: fc.integer({ min: 0, max: 600 }).map((u) => u * ONE),
          liabilityElsewhere: fc.integer({ min: 0, max: 600 }).map((u) => u * ONE),
        }),
        fc.integer({ min: 0, max: 100 }),
        (fills, outcome, price, limits, percent) => {
          const ledger = ledgerFrom(fills);
          const s = maxBuyShares(ledger, outcome, price, limits);
          const cap = Math.min(limits.maxLiability, limits.maxTotalLiability - limits.liabilityElsewhere);
          const before = marketLiability(ledger);
          const netBefore = Math.abs(netInventory(ledger));
          for (const t of [s, Math.floor((s * percent) / 100)]) {
            if (t <= 0) continue;
            const filled = applyFill(
              ledger,
              {
                tradeId: `x${t}`,
                orderId: "x",
                tokenId: outcome,
                side: "BUY",
                role: "MAKER",
                price,
                size: t,
                feeRate: RATE,
                status: "MATCHED",
                atMs: 0,
              },
              outcome,
              { feeExponent: 1 },
            );
            expect(marketLiability(filled)).toBeLessThanOrEqual(Math.max(cap, before));
            expect(Math.abs(netInventory(filled))).toBeLessThanOrEqual(
              Math.max(limits.maxNetShares, netBefore),
            );
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe("properties: the plan", () => {
  /** Live orders near the desired quotes (so that keeping, hysteresis and crossing are exercised). */
  const nearArb = (desired: DesiredQuotes, tick: Micros): fc.Arbitrary<LiveOrder[]> => {
    const sides = (["UP", "DOWN"] as const).flatMap((outcome) => {
      const q = outcome === "UP" ? desired.up : desired.down;
      return q?.kind === "quote" ? [{ outcome, q }] : [];
    });
    if (sides.length === 0) return fc.constant([]);
    return fc.array(
      fc
        .record({
          side: fc.constantFrom(...sides),
          offset: fc.integer({ min: -2, max: 2 }),
          size: fc.constantFrom("shares", "maxShares", "half", "double"),
        })
        .map(({ side, offset, size }): LiveOrder => {
          const shares = {
            shares: side.q.shares,
            maxShares: side.q.maxShares,
            half: Math.max(10_000, Math.floor(side.q.shares / 20_000) * 10_000),
            double: 2 * side.q.shares,
          }[size];
          const price = Math.min(ONE - tick, Math.max(tick, side.q.price + offset * tick));
          return { orderId: "n", outcome: side.outcome, side: "BUY", price, size: shares, sizeMatched: 0 };
        })
        .filter((o) => o.size > 0),
      { maxLength: 3 },
    );
  };
  const marketArb = (i: number): fc.Arbitrary<MarketOrders> =>
    fc
      .tuple(quotingInputArb, paramsArb, fc.constantFrom(...STRATEGIES))
      .chain(([input, params, [, strategy]]) => {
        const desired = strategy(input, params);
        return fc.record({
          market: fc.constant(`M${String(i).padStart(2, "0")}`),
          tick: fc.constant(input.book.tickSize),
          minOrderSize: fc.constant(MIN_SIZE),
          desired: fc.constant(desired),
          live: fc
            .tuple(
              fc.array(liveOrderArb(input.book.tickSize, "x"), { maxLength: 2 }),
              nearArb(desired, input.book.tickSize),
            )
            .map(([a, b]) => [...a, ...b].map((o, k) => ({ ...o, orderId: `M${i}-o${k}` }))),
        });
      });
  const marketsArb = fc
    .integer({ min: 0, max: 24 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => marketArb(i))));

  it("batches of at most BATCH_SIZE (≤ 15), cancels first, every live order kept or cancelled once, valid placements that cross nothing of ours", () => {
    fc.assert(
      fc.property(
        marketsArb,
        fc.integer({ min: 1, max: 15 }),
        fc.constantFrom(0.5, 1, 10, 40),
        (markets, batchSize, cap) => {
          const plan = planOrders(markets, emptyRefreshLimiter(), 1_000, {
            batchSize,
            minRefreshIntervalMs: 500,
            globalRefreshCapPerSec: cap,
          });
          let placing = false;
          for (const step of plan.steps) {
            const n = step.kind === "cancel" ? step.cancels.length : step.orders.length;
            expect(n).toBeGreaterThan(0);
            expect(n).toBeLessThanOrEqual(batchSize);
            if (step.kind === "place") placing = true;
            else expect(placing).toBe(false);
          }
          let refreshed = 0;
          markets.forEach((m, k) => {
            const mp = plan.markets[k]!;
            const cancelled = mp.cancels.map((c) => c.orderId);
            expect(new Set(cancelled).size).toBe(cancelled.length);
            const live = m.live.filter((o) => remainingShares(o) > 0).map((o) => o.orderId);
            expect([...mp.keep, ...cancelled].sort()).toEqual([...live].sort());
            if (mp.placements.length > 0) refreshed += 1;
            const byId = new Map(m.live.map((o) => [o.orderId, o]));
            const finalPrices = (outcome: Outcome, placed: boolean) => [
              ...mp.keep
                .map((id) => byId.get(id)!)
                .filter((o) => o.outcome === outcome && o.side === "BUY")
                .map((o) => ({ price: o.price, placed: false })),
              ...mp.placements.filter((p) => p.outcome === outcome).map((p) => ({ price: p.price, placed })),
            ];
            expect(mp.placements.filter((p) => p.outcome === "UP").length).toBeLessThanOrEqual(1);
            expect(mp.placements.filter((p) => p.outcome === "DOWN").length).toBeLessThanOrEqual(1);
            for (const p of mp.placements) {
              expect(p.postOnly).toBe(true);
              expect(p.price % m.tick).toBe(0);
              expect(p.price).toBeGreaterThanOrEqual(m.tick);
              expect(p.price).toBeLessThanOrEqual(ONE - m.tick);
              expect(p.shares).toBeGreaterThanOrEqual(MIN_SIZE);
              expect(p.shares % quoteLot(m.tick)).toBe(0);
            }
            // No new order of ours crosses another of ours (kept orders rest together already).
            for (const u of finalPrices("UP", true)) {
              for (const d of finalPrices("DOWN", true)) {
                if (u.placed || d.placed) expect(u.price + d.price).toBeLessThan(ONE);
              }
            }
          });
          expect(refreshed).toBeLessThanOrEqual(Math.max(1, Math.floor(cap)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("properties: the breaker", () => {
  const eventArb: fc.Arbitrary<[number, RiskEvent]> = fc.tuple(
    fc.integer({ min: 0, max: 40_000 }),
    fc.oneof(
      fc.constantFrom("A", "B", "C").map((market): RiskEvent => ({ type: "marketFeedEvent", market })),
      fc
        .constantFrom("A", "B", undefined)
        .map((market): RiskEvent => ({ type: "marketFeedDisconnected", market })),
      fc
        .constantFrom("A", "B", undefined)
        .map((market): RiskEvent => ({ type: "marketFeedConnected", market })),
      fc.constant<RiskEvent>({ type: "userFeedDisconnected" }),
      fc.constant<RiskEvent>({ type: "userFeedConnected" }),
      fc.constant<RiskEvent>({ type: "orderStateConfirmed" }),
      fc
        .tuple(fc.constantFrom("A", "B", "C"), fc.integer({ min: -150, max: 40 }))
        .map(([market, pnl]): RiskEvent => ({ type: "pnl", market, pnl: pnl * ONE })),
      fc.constantFrom("A", "B").map((market): RiskEvent => ({ type: "orderError", market })),
      fc.constantFrom("A", "B").map((market): RiskEvent => ({ type: "orderSuccess", market })),
      fc.constantFrom("A", undefined).map((market): RiskEvent => ({ type: "reset", market })),
      fc.constantFrom("C").map((market): RiskEvent => ({ type: "marketClosed", market })),
      fc.constant<RiskEvent>({ type: "tick" }),
    ),
  );

  it("never quotes in HALTED, multiplier 0 exactly then, and entering HALTED cancels that scope", () => {
    const book: MarketBookSnapshot = {
      seq: 1,
      venueAtMs: 0,
      receivedAtMs: 0,
      tickSize: 10_000,
      up: { bids: [{ price: 400_000, size: 100 * ONE }], asks: [{ price: 600_000, size: 100 * ONE }] },
      down: { bids: [], asks: [] },
    };
    // Long Up: the Down side would reduce the position, so only the HALTED check can stop it.
    const inventory = ledgerFrom([{ outcome: "UP", price: 500_000, size: 30 * ONE }]);
    let halts = 0;
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 40 }), (events) => {
        let state: RiskState = emptyRisk(0);
        let now = 0;
        for (const [dt, e] of events) {
          now += dt;
          const before = state;
          const step = riskStep(state, e, now, P);
          state = step.state;
          if (before.global.state !== "HALTED" && state.global.state === "HALTED") {
            expect(step.actions.some((a) => a.type === "cancelAll" && a.market === undefined)).toBe(true);
          }
          for (const [id, mkt] of Object.entries(state.markets)) {
            if (mkt.state === "HALTED" && before.markets[id]?.state !== "HALTED") {
              expect(step.actions.some((a) => a.type === "cancelAll" && a.market === id)).toBe(true);
            }
          }
          for (const id of ["A", "B", "C"]) {
            const s = effectiveState(state, id);
            expect(limitMultiplierPercent(state, id) === 0).toBe(s === "HALTED");
            const q = activeQuotes(
              {
                book,
                minOrderSize: MIN_SIZE,
                ownOrders: [],
                inventory,
                momentumActive: false,
                breaker: s,
                liabilityElsewhere: 0,
              },
              P,
            );
            if (s === "HALTED") {
              halts += 1;
              expect([q.up, q.down]).toEqual([undefined, undefined]);
            } else {
              expect(q.down).toBeDefined();
            }
          }
        }
      }),
      { numRuns: 500 },
    );
    expect(halts).toBeGreaterThan(100);
  });
});
