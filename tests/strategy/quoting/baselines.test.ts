import {
  activeQuotes,
  emptyRefreshLimiter,
  joinBestQuotes,
  only50Quotes,
  planOrders,
  type QuoteStrategy,
} from "../../../src/strategy/quoting";
import { book, CENT_TICK, input, ledgerOf, MIN_SIZE, m, makerBuy, order, P } from "./helpers";

const WIDE = book({ upBids: ["0.45x100"], upAsks: ["0.55x100"] });
// 10 pUSD / 0.50 = 20 shares; flat, the limits allow 100 (net limit; liability 50 / 0.50 = 100).
const QUOTE_50 = { kind: "quote", price: m("0.50"), shares: m("20"), maxShares: m("100") };

describe('"Only 50" baseline', () => {
  it("is selectable in place of the quote engine: same interface, its own quotes", () => {
    const strategies: QuoteStrategy[] = [activeQuotes, only50Quotes, joinBestQuotes];
    // Others 0.45 / 0.55: the engine improves the 10-tick spread to 0.46; Only 50 bids 0.50; join-best 0.45.
    expect(strategies.map((s) => (s(input({ book: WIDE }), P).up as { price: number }).price)).toEqual([
      m("0.46"),
      m("0.50"),
      m("0.45"),
    ]);
  });

  it("posts a BUY of Up at 0.50 first; the BUY of Down at 0.50 would cross it on the mirrored book and waits", () => {
    const q = only50Quotes(input({ book: WIDE }), P);
    expect(q.up).toEqual(QUOTE_50);
    expect(q.down).toBeUndefined();
    // While our Up order rests at 0.50: it is left alone, and Down still waits.
    const resting = only50Quotes(input({ book: WIDE, ownOrders: [order("u", "UP", "0.50", "20")] }), P);
    expect(resting.up).toEqual({ kind: "keep" });
    expect(resting.down).toBeUndefined();
  });

  it("fire and forget: once Up is bought it is not quoted again, and Down at 0.50 can rest", () => {
    const q = only50Quotes(input({ book: WIDE, inventory: ledgerOf(makerBuy("UP", "0.50", "20")) }), P);
    expect(q.up).toBeUndefined();
    // Long 20 Up at 0.50: Down may buy 120 (net 100 + 20; liability 20 pairs then (50 + 20 − 10) / 0.50).
    expect(q.down).toEqual({ ...QUOTE_50, maxShares: m("120") });
  });

  it("never reprices a live order, however far the book moves", () => {
    const far = book({ upBids: ["0.10x100"], upAsks: ["0.15x100"] });
    const live = [order("u", "UP", "0.50", "20")];
    const q = only50Quotes(input({ book: far, ownOrders: live }), P);
    const plan = planOrders(
      [{ market: "A", tick: CENT_TICK, minOrderSize: MIN_SIZE, desired: q, live }],
      emptyRefreshLimiter(),
      0,
      P,
    );
    expect(plan.markets[0]!.keep).toEqual(["u"]);
    expect(plan.steps).toEqual([]);
  });

  it("waits while 0.50 would cross the others' book (post-only would be refused)", () => {
    // Others offer Up at 0.50: a BUY of Up at 0.50 would take it. Down at 0.50 (= an offer of Up at 0.50,
    // above the 0.45 bid) can rest.
    const q = only50Quotes(input({ book: book({ upBids: ["0.45x100"], upAsks: ["0.50x100"] }) }), P);
    expect(q.up).toBeUndefined();
    expect(q.down).toEqual(QUOTE_50);
  });

  it("quotes nothing when HALTED", () => {
    const q = only50Quotes(
      input({ book: WIDE, breaker: "HALTED", ownOrders: [order("u", "UP", "0.50", "20")] }),
      P,
    );
    expect([q.up, q.down]).toEqual([undefined, undefined]);
  });
});

describe("join-best baseline", () => {
  it("joins the others' best bid and ask with ORDER_SIZE, no improvement, refresh at every tick", () => {
    const q = joinBestQuotes(input({ book: book({ upBids: ["0.40x100"], upAsks: ["0.60x100"] }) }), P);
    // 10 / 0.40 = 25 shares on both sides (ask 0.60 → BUY Down 0.40).
    expect(q.up).toEqual({ kind: "quote", price: m("0.40"), shares: m("25"), maxShares: m("100") });
    expect(q.down).toEqual({ kind: "quote", price: m("0.40"), shares: m("25"), maxShares: m("100") });
    expect(q.refreshThresholdTicks).toBe(1);
  });

  it("does not skew for inventory nor pull back on momentum", () => {
    const b = book({ upBids: ["0.40x100"], upAsks: ["0.60x100"] });
    const q = joinBestQuotes(
      input({ book: b, inventory: ledgerOf(makerBuy("UP", "0.50", "50")), momentumActive: true }),
      P,
    );
    expect(q.up).toMatchObject({ price: m("0.40") });
    expect(q.down).toMatchObject({ price: m("0.40") });
  });

  it("quotes nothing when HALTED, not even the side that would reduce the position", () => {
    const q = joinBestQuotes(
      input({ book: WIDE, breaker: "HALTED", inventory: ledgerOf(makerBuy("UP", "0.50", "30")) }),
      P,
    );
    expect([q.up, q.down]).toEqual([undefined, undefined]);
  });
});
