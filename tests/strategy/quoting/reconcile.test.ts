import {
  type DesiredQuotes,
  emptyRefreshLimiter,
  type LiveOrder,
  type MarketOrders,
  type PlanStep,
  planOrders,
  recordRefresh,
} from "../../../src/strategy/quoting";
import { CENT_TICK, FINE_TICK, MIN_SIZE, m, order } from "./helpers";

const PLAN = { batchSize: 15, minRefreshIntervalMs: 500, globalRefreshCapPerSec: 10 };

/** [price, shares, the most the limits allow (default: shares)] per side. */
type Spec = [string, string, string?];
function desired(up?: Spec, down?: Spec, threshold = 2): DesiredQuotes {
  const q = (x?: Spec) =>
    x ? { kind: "quote" as const, price: m(x[0]), shares: m(x[1]), maxShares: m(x[2] ?? x[1]) } : undefined;
  return { up: q(up), down: q(down), refreshThresholdTicks: threshold, notes: [] };
}

function market(id: string, want: DesiredQuotes, live: LiveOrder[] = [], tick = CENT_TICK): MarketOrders {
  return { market: id, tick, minOrderSize: MIN_SIZE, desired: want, live };
}

const cancelIds = (steps: PlanStep[]) =>
  steps.flatMap((s) => (s.kind === "cancel" ? s.cancels.map((c) => c.orderId) : []));
const placed = (steps: PlanStep[]) =>
  steps.flatMap((s) =>
    s.kind === "place" ? s.orders.map((o) => `${o.outcome}@${o.price}x${o.shares}`) : [],
  );

describe("order diff: placing and keeping", () => {
  it("places both quotes as post-only GTC BUYs when nothing is live", () => {
    const plan = planOrders(
      [market("A", desired(["0.48", "20.83"], ["0.49", "20.4"]))],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(plan.steps).toEqual([
      {
        kind: "place",
        orders: [
          {
            market: "A",
            outcome: "UP",
            side: "BUY",
            price: m("0.48"),
            shares: m("20.83"),
            tickSize: CENT_TICK,
            orderType: "GTC",
            postOnly: true,
            replaces: [],
          },
          {
            market: "A",
            outcome: "DOWN",
            side: "BUY",
            price: m("0.49"),
            shares: m("20.4"),
            tickSize: CENT_TICK,
            orderType: "GTC",
            postOnly: true,
            replaces: [],
          },
        ],
      },
    ]);
  });

  it("keeps an order within REFRESH_THRESHOLD_TICKS (2) of its quote and replaces one 2 ticks off, side by side", () => {
    // Up live at 0.47 for a 0.48 quote (1 tick): kept. Down live at 0.47 for a 0.49 quote (2 ticks): replaced.
    // (The seed refreshed both sides unless both were within the threshold.)
    const plan = planOrders(
      [
        market("A", desired(["0.48", "20"], ["0.49", "20"]), [
          order("u", "UP", "0.47", "20"),
          order("d", "DOWN", "0.47", "20"),
        ]),
      ],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(plan.markets[0]!.keep).toEqual(["u"]);
    expect(plan.steps).toEqual([
      { kind: "cancel", cancels: [{ market: "A", orderId: "d", reason: "refresh" }] },
      {
        kind: "place",
        orders: [expect.objectContaining({ outcome: "DOWN", price: m("0.49"), replaces: ["d"] })],
      },
    ]);
  });

  it("keeps an order whose size differs from the quote's only because ORDER_SIZE buys fewer shares a tick up", () => {
    // 10 pUSD is 20.83 shares at 0.48 and 20.40 at 0.49; the limits allow 100: the 20.83 at 0.48 stays.
    const plan = planOrders(
      [market("A", desired(["0.49", "20.40", "100"]), [order("u", "UP", "0.48", "20.83")])],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(plan.markets[0]!.keep).toEqual(["u"]);
    expect(plan.steps).toEqual([]);
  });

  it("does not keep an order whose pUSD at its own price is over what the limits allow at the quote's", () => {
    // The limits allow 20.2 shares at 0.48 (9.696 pUSD); the live 20 at 0.49 put 9.80 at risk: cancelled.
    const plan = planOrders(
      [market("A", desired(["0.48", "10", "20.2"]), [order("u", "UP", "0.49", "20")])],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(plan.markets[0]!.cancels).toEqual([
      { market: "A", orderId: "u", reason: "size over what the limits allow" },
    ]);
    // 20 at 0.48 (9.60) would have been kept.
    const ok = planOrders(
      [market("A", desired(["0.48", "10", "20.2"]), [order("u", "UP", "0.48", "20")])],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(ok.markets[0]!.keep).toEqual(["u"]);
  });

  it("keeps an order exactly on its quote even with a threshold of 0", () => {
    const plan = planOrders(
      [market("A", desired(["0.48", "20"], undefined, 0), [order("u", "UP", "0.48", "20")])],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(plan.markets[0]!.keep).toEqual(["u"]);
    expect(plan.steps).toEqual([]);
  });

  it("replaces a remainder below the 5-share minimum with a full quote", () => {
    // 20 shares, 15.01 matched: 4.99 rest.
    const plan = planOrders(
      [market("A", desired(["0.48", "20"]), [order("u", "UP", "0.48", "20", "15.01")])],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(cancelIds(plan.steps)).toEqual(["u"]);
    expect(placed(plan.steps)).toEqual([`UP@${m("0.48")}x${m("20")}`]);
  });

  it("a fully matched order is not live: nothing to cancel, the quote is placed", () => {
    const plan = planOrders(
      [market("A", desired(["0.48", "20"]), [order("u", "UP", "0.48", "20", "20")])],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(cancelIds(plan.steps)).toEqual([]);
    expect(placed(plan.steps)).toEqual([`UP@${m("0.48")}x${m("20")}`]);
  });
});

describe("order diff: cancels", () => {
  it("cancels a side no longer wanted, duplicates, SELLs and a size over the limits — even when rate-limited", () => {
    const limiter = recordRefresh(emptyRefreshLimiter(), "A", 0, PLAN); // A refreshed at 0: no refresh at 100
    const plan = planOrders(
      [
        market("A", desired(["0.48", "10"]), [
          order("u1", "UP", "0.48", "20"), // over the 10 allowed
          order("d1", "DOWN", "0.49", "20"), // Down not wanted
          order("s1", "UP", "0.60", "20", "0", "SELL"),
        ]),
        market("B", desired(["0.30", "20"]), [
          order("b1", "UP", "0.30", "20"),
          order("b2", "UP", "0.31", "20"),
        ]),
      ],
      limiter,
      100,
      PLAN,
    );
    expect(plan.markets[0]!.cancels).toEqual([
      { market: "A", orderId: "s1", reason: "a SELL is not a quote" },
      { market: "A", orderId: "u1", reason: "size over what the limits allow" },
      { market: "A", orderId: "d1", reason: "no quote wanted" },
    ]);
    expect(plan.markets[0]!.deferred).toEqual(["UP"]);
    expect(plan.markets[1]!.keep).toEqual(["b1"]);
    expect(plan.markets[1]!.cancels).toEqual([{ market: "B", orderId: "b2", reason: "duplicate" }]);
    expect(placed(plan.steps)).toEqual([]);
  });

  it("a refresh the rate limits refuse leaves the stale order live and places nothing", () => {
    const limiter = recordRefresh(emptyRefreshLimiter(), "A", 0, PLAN);
    const live = [order("u", "UP", "0.45", "20")];
    const early = planOrders([market("A", desired(["0.48", "20"]), live)], limiter, 499, PLAN);
    expect(early.steps).toEqual([]);
    expect(early.markets[0]!.keep).toEqual(["u"]);
    expect(early.markets[0]!.deferred).toEqual(["UP"]);
    const due = planOrders([market("A", desired(["0.48", "20"]), live)], limiter, 500, PLAN);
    expect(cancelIds(due.steps)).toEqual(["u"]);
    expect(placed(due.steps)).toEqual([`UP@${m("0.48")}x${m("20")}`]);
    expect(due.limiter.lastRefreshAtMs.A).toBe(500);
  });

  it("refreshes a kept order that would cross the other side's new quote (our two BUYs would match)", () => {
    // Down live at 0.50 is 1 tick from its 0.49 quote (keepable: the limits allow 100), but with Up's new
    // 0.50: 0.50 + 0.50 = 1.
    const plan = planOrders(
      [
        market("A", desired(["0.50", "20"], ["0.49", "20", "100"]), [
          order("u", "UP", "0.47", "20"),
          order("d", "DOWN", "0.50", "20"),
        ]),
      ],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(plan.markets[0]!.keep).toEqual([]);
    expect(cancelIds(plan.steps).sort()).toEqual(["d", "u"]);
    expect(placed(plan.steps)).toEqual([`UP@${m("0.5")}x${m("20")}`, `DOWN@${m("0.49")}x${m("20")}`]);
  });

  it("refuses a quote off the tick, off the lot or below the minimum, and cancels that side", () => {
    const plan = planOrders(
      [
        market("A", desired(["0.485", "20"], ["0.49", "4.99"]), [order("d", "DOWN", "0.49", "20")]),
        // Tick 0.001: sizes go by 0.1 share, so 10.25 is off the lot.
        market("B", desired(["0.971", "10.25"]), [], FINE_TICK),
      ],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(plan.markets[0]!.refused.map((r) => r.outcome)).toEqual(["UP", "DOWN"]);
    expect(plan.markets[1]!.refused.map((r) => r.outcome)).toEqual(["UP"]);
    expect(cancelIds(plan.steps)).toEqual(["d"]);
    expect(placed(plan.steps)).toEqual([]);
  });

  it("leaves a `keep` side alone whatever its price (the fire-and-forget baseline)", () => {
    const plan = planOrders(
      [
        market("A", { up: { kind: "keep" }, refreshThresholdTicks: 2, notes: [] }, [
          order("u", "UP", "0.50", "20"),
          order("d", "DOWN", "0.10", "20"),
        ]),
      ],
      emptyRefreshLimiter(),
      0,
      PLAN,
    );
    expect(plan.markets[0]!.keep).toEqual(["u"]);
    expect(cancelIds(plan.steps)).toEqual(["d"]);
  });
});

describe("order diff: batches and rate limits", () => {
  it("batches of at most BATCH_SIZE, every cancel before any placement", () => {
    // 20 markets, each with a stale Up order to replace and a Down quote to place: 20 cancels, 40 placements.
    const markets = Array.from({ length: 20 }, (_, i) =>
      market(`M${String(i).padStart(2, "0")}`, desired(["0.48", "20"], ["0.49", "20"]), [
        order(`u${i}`, "UP", "0.40", "20"),
      ]),
    );
    const plan = planOrders(markets, emptyRefreshLimiter(), 0, { ...PLAN, globalRefreshCapPerSec: 100 });
    expect(
      plan.steps.map((s) => `${s.kind}:${s.kind === "cancel" ? s.cancels.length : s.orders.length}`),
    ).toEqual(["cancel:15", "cancel:5", "place:15", "place:15", "place:10"]);
  });

  it("GLOBAL_REFRESH_CAP_PER_SEC: 10 markets refresh now, the 11th and 12th wait", () => {
    const markets = Array.from({ length: 12 }, (_, i) =>
      market(`M${String(i).padStart(2, "0")}`, desired(["0.48", "20"]), [order(`u${i}`, "UP", "0.40", "20")]),
    );
    const plan = planOrders(markets, emptyRefreshLimiter(), 0, PLAN);
    expect(placed(plan.steps)).toHaveLength(10);
    expect(plan.markets.slice(10).map((p) => p.deferred)).toEqual([["UP"], ["UP"]]);
    expect(cancelIds(plan.steps)).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}`));
  });

  it("refuses a batch size over the venue's 15", () => {
    expect(() => planOrders([], emptyRefreshLimiter(), 0, { ...PLAN, batchSize: 16 })).toThrow(
      "batchSize must be a whole number in [1, 15], got 16",
    );
  });
});
