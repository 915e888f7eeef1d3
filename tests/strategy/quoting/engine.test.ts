import { activeQuotes, quotePrices } from "../../../src/strategy/quoting";
import { book, FINE_TICK, input, ledgerOf, m, makerBuy, order, P } from "./helpers";

// Expected values below are worked out by hand in the comments (prices on the Up axis unless the BUY
// of Down is named; a BUY of Down at q is our ask at 1 − q).

describe("quote engine: pricing", () => {
  it("offset 0 joins the others' best bid and ask (spread 3 ticks: no improvement)", () => {
    const q = activeQuotes(input({ book: book({ upBids: ["0.48x100"], upAsks: ["0.51x100"] }) }), P);
    // bid 0.48 → BUY Up 0.48; ask 0.51 → BUY Down 0.49.
    // Sizes: 10 / 0.48 = 20.833… → 20.83 (20.84 × 0.48 = 10.0032 > 10); 10 / 0.49 = 20.408… → 20.40.
    // The limits allow 100 (net limit; the liability limit allows 50 / 0.48 = 104.1… and 50 / 0.49 = 102.0…).
    expect(q.up).toEqual({ kind: "quote", price: m("0.48"), shares: m("20.83"), maxShares: m("100") });
    expect(q.down).toEqual({ kind: "quote", price: m("0.49"), shares: m("20.40"), maxShares: m("100") });
  });

  it("improves by one tick on both sides only when the spread is at least IMPROVE_WHEN_SPREAD_TICKS (4)", () => {
    const wide = quotePrices(input({ book: book({ upBids: ["0.48x100"], upAsks: ["0.52x100"] }) }), P);
    expect([wide.bid, wide.ask]).toEqual([m("0.49"), m("0.51")]);
    const narrow = quotePrices(input({ book: book({ upBids: ["0.48x100"], upAsks: ["0.51x100"] }) }), P);
    expect([narrow.bid, narrow.ask]).toEqual([m("0.48"), m("0.51")]);
  });

  it("never improves a spread below 3 ticks, whatever IMPROVE_WHEN_SPREAD_TICKS says (no self-cross)", () => {
    const params = { ...P, improveWhenSpreadTicks: 2 };
    // 2 ticks: improving both would put bid and ask on 0.49 — our two BUYs (0.49 + 0.51 = 1) would match.
    const two = quotePrices(input({ book: book({ upBids: ["0.48x100"], upAsks: ["0.50x100"] }) }), params);
    expect([two.bid, two.ask]).toEqual([m("0.48"), m("0.50")]);
    // 3 ticks is improved with the lowered setting: 0.49 / 0.50.
    const three = quotePrices(input({ book: book({ upBids: ["0.48x100"], upAsks: ["0.51x100"] }) }), params);
    expect([three.bid, three.ask]).toEqual([m("0.49"), m("0.50")]);
  });

  it("QUOTE_OFFSET_TICKS steps back from the best prices", () => {
    const q = quotePrices(input({ book: book({ upBids: ["0.48x100"], upAsks: ["0.51x100"] }) }), {
      ...P,
      quoteOffsetTicks: 1,
    });
    expect([q.bid, q.ask]).toEqual([m("0.47"), m("0.52")]);
  });

  it("reads Up and Down as one mirrored book: Down bids are Up asks at 1 − q, Down asks Up bids", () => {
    // Down bid 0.49 = an offer of Up at 0.51; Down ask 0.52 = a bid for Up at 0.48. Same as the first test.
    const q = activeQuotes(input({ book: book({ downBids: ["0.49x100"], downAsks: ["0.52x100"] }) }), P);
    expect(q.up).toMatchObject({ price: m("0.48") });
    expect(q.down).toMatchObject({ price: m("0.49") });
  });

  it("prices from the others' liquidity: our own resting bid is not the best bid", () => {
    // Our BUY Up of 20.83 at 0.49 is alone at 0.49. Others: 0.48 / 0.53, 5 ticks → improve → 0.49 again
    // (we stay). Counting our order, the best would be 0.49 / 0.53 = 4 ticks → improve to 0.50, and next
    // cycle 0.51: the quote would climb the spread by itself.
    const mine = order("a", "UP", "0.49", "20.83");
    const q = quotePrices(
      input({ book: book({ upBids: ["0.49x20.83", "0.48x100"], upAsks: ["0.53x100"] }), ownOrders: [mine] }),
      P,
    );
    expect([q.bid, q.ask]).toEqual([m("0.49"), m("0.52")]);
  });

  it("skews both quotes by trunc(0.1 × net shares) ticks against the inventory", () => {
    const b = book({ upBids: ["0.40x100"], upAsks: ["0.60x100"] });
    // Flat: improved 0.41 / 0.59.
    const flat = quotePrices(input({ book: b }), P);
    expect([flat.bid, flat.ask]).toEqual([m("0.41"), m("0.59")]);
    // Long 30 Up: 3 ticks down → 0.38 / 0.56 (BUY Down at 0.44).
    const longUp = activeQuotes(input({ book: b, inventory: ledgerOf(makerBuy("UP", "0.50", "30")) }), P);
    expect(longUp.up).toMatchObject({ price: m("0.38") });
    expect(longUp.down).toMatchObject({ price: m("0.44") });
    // Long 25 Down (net −25): 0.1 × −25 = −2.5, truncated toward zero to −2 → 0.43 / 0.61 (BUY Down 0.39).
    const longDown = quotePrices(input({ book: b, inventory: ledgerOf(makerBuy("DOWN", "0.50", "25")) }), P);
    expect([longDown.bid, longDown.ask]).toEqual([m("0.43"), m("0.61")]);
  });

  it("never crosses the others' book: bid ≤ best ask − 1 tick, ask ≥ best bid + 1 tick", () => {
    const b = book({ upBids: ["0.48x100"], upAsks: ["0.51x100"] });
    // Long 60 Down: skew −6 → bid 0.54, clamped to 0.50; ask 0.57 (BUY Down 0.43).
    const longDown = quotePrices(input({ book: b, inventory: ledgerOf(makerBuy("DOWN", "0.50", "60")) }), P);
    expect([longDown.bid, longDown.ask]).toEqual([m("0.50"), m("0.57")]);
    // Long 60 Up: skew +6 → bid 0.42; ask 0.45, clamped to 0.49 (BUY Down 0.51).
    const longUp = quotePrices(input({ book: b, inventory: ledgerOf(makerBuy("UP", "0.50", "60")) }), P);
    expect([longUp.bid, longUp.ask]).toEqual([m("0.42"), m("0.49")]);
  });

  it("drops a bid pushed below the lowest price instead of raising it back (tick 0.001 near 0)", () => {
    // Others 0.020 / 0.025 at tick 0.001: 5 ticks → improved 0.021 / 0.024. Long 250 Up: skew 25 ticks →
    // bid −0.004: dropped (the seed raised it to 0.001); ask −0.001, clamped to 0.021 → BUY Down 0.979.
    const q = activeQuotes(
      input({
        book: book({ upBids: ["0.020x500"], upAsks: ["0.025x500"], tick: FINE_TICK }),
        inventory: ledgerOf(makerBuy("UP", "0.02", "250")),
      }),
      P,
    );
    expect(q.up).toBeUndefined();
    expect(q.notes).toContain("bid below the lowest price");
    // 10 / 0.979 = 10.214… shares, on the 0.1-share lot of tick 0.001 → 10.2 (10.2 × 0.979 = 9.9858).
    // Limits: 250 pairs to complete, then (50 + 250 − 5) / 0.979 = 301.33 → 301.3 (net limit: 350).
    expect(q.down).toEqual({ kind: "quote", price: m("0.979"), shares: m("10.2"), maxShares: m("301.3") });
  });

  it("momentum with CANCEL_ON_MOMENTUM quotes nothing", () => {
    const q = activeQuotes(
      input({ book: book({ upBids: ["0.48x100"], upAsks: ["0.52x100"] }), momentumActive: true }),
      P,
    );
    expect(q.up).toBeUndefined();
    expect(q.down).toBeUndefined();
  });

  it("momentum without cancelling widens to MAX_SPREAD_TICKS around the mid", () => {
    // 0.48 / 0.52 → improved 0.49 / 0.51; mid 0.50 ± 5 ticks → 0.45 / 0.55 (BUY Down 0.45).
    const q = activeQuotes(
      input({ book: book({ upBids: ["0.48x100"], upAsks: ["0.52x100"] }), momentumActive: true }),
      { ...P, cancelOnMomentum: false },
    );
    expect(q.up).toMatchObject({ price: m("0.45") });
    expect(q.down).toMatchObject({ price: m("0.45") });
  });

  it("quotes nothing when HALTED, even an inventory-reducing side", () => {
    const q = activeQuotes(
      input({
        book: book({ upBids: ["0.48x100"], upAsks: ["0.52x100"] }),
        inventory: ledgerOf(makerBuy("UP", "0.50", "40")),
        breaker: "HALTED",
      }),
      P,
    );
    expect([q.up, q.down]).toEqual([undefined, undefined]);
  });

  it("quotes nothing on a one-sided book", () => {
    const q = activeQuotes(input({ book: book({ upBids: ["0.48x100"] }) }), P);
    expect([q.up, q.down]).toEqual([undefined, undefined]);
  });
});

describe("quote engine: sizes", () => {
  it("sizes on the 0.1-share lot at tick 0.001 and cuts to MAX_POSITION_PER_MARKET", () => {
    // 0.970 / 0.975 (5 ticks) → improved 0.971 / 0.974. BUY Up 0.971: 10 / 0.971 = 10.298… → 10.2.
    // BUY Down 0.026: 10 / 0.026 = 384.6… shares, cut to the 100-share net limit.
    const q = activeQuotes(
      input({ book: book({ upBids: ["0.970x100"], upAsks: ["0.975x100"], tick: FINE_TICK }) }),
      P,
    );
    // Limits of the Up side: 50 / 0.971 = 51.49… → 51.4 on the 0.1 lot.
    expect(q.up).toEqual({ kind: "quote", price: m("0.971"), shares: m("10.2"), maxShares: m("51.4") });
    expect(q.down).toEqual({ kind: "quote", price: m("0.026"), shares: m("100"), maxShares: m("100") });
  });

  it("drops a side the limits leave below the 5-share minimum; the reducing side still quotes (WARNING: 50 %)", () => {
    // WARNING halves the net limit to 50 shares; long 47 Up leaves 3 shares of Up: below 5, dropped.
    const q = activeQuotes(
      input({
        book: book({ upBids: ["0.48x100"], upAsks: ["0.51x100"] }),
        inventory: ledgerOf(makerBuy("UP", "0.40", "47")),
        breaker: "WARNING",
      }),
      P,
    );
    expect(q.up).toBeUndefined();
    // Skew trunc(4.7) = 4 → ask 0.47, clamped to best bid + 1 tick = 0.49 → BUY Down 0.51:
    // 10 / 0.51 = 19.607… → 19.60 (it reduces the position: allowed). Limits at 50 %: net 50 + 47 = 97;
    // liability (25 + 47 − 18.80) / 0.51 = 104.3…: 97.
    expect(q.down).toEqual({ kind: "quote", price: m("0.51"), shares: m("19.60"), maxShares: m("97") });
  });

  it("cuts a size to what MAX_TOTAL_LIABILITY leaves after the other markets", () => {
    // 495 of 500 committed elsewhere: 5 pUSD left; at 0.48, 5 / 0.48 = 10.416… → 10.41 shares.
    const q = activeQuotes(
      input({ book: book({ upBids: ["0.48x100"], upAsks: ["0.51x100"] }), liabilityElsewhere: m("495") }),
      P,
    );
    expect(q.up).toEqual({ kind: "quote", price: m("0.48"), shares: m("10.41"), maxShares: m("10.41") });
    // At 0.49 (BUY Down): 5 / 0.49 = 10.204… → 10.20.
    expect(q.down).toEqual({ kind: "quote", price: m("0.49"), shares: m("10.20"), maxShares: m("10.20") });
  });
});
