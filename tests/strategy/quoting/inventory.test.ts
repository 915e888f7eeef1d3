import {
  applyFill,
  committedLiability,
  emptyLedger,
  marketLiability,
  markToMarketPnl,
  maxBuyShares,
  netInventory,
  quoteLimits,
  restingLiability,
  skewTicks,
} from "../../../src/strategy/quoting";
import { ledgerOf, m, makerBuy, order, P } from "./helpers";

const FULL = quoteLimits(P, 100, 0);

describe("inventory: positions from fills", () => {
  it("a maker BUY fill adds its whole size (no fee) and the same fill seen again changes nothing", () => {
    const f = makerBuy("UP", "0.50", "10");
    const once = applyFill(emptyLedger(), f.fill, "UP", { feeExponent: 1 });
    const twice = applyFill(once, { ...f.fill, status: "CONFIRMED" }, "UP", { feeExponent: 1 });
    expect(once.up.netShares).toBe(m("10"));
    expect(twice).toEqual(once);
    // Net inventory: Up − Down.
    expect(netInventory(ledgerOf(makerBuy("UP", "0.5", "30"), makerBuy("DOWN", "0.4", "12")))).toBe(m("18"));
  });
});

describe("inventory: worst-case liability", () => {
  it("is shares × entry for a one-sided position", () => {
    expect(marketLiability(ledgerOf(makerBuy("UP", "0.50", "100")))).toBe(m("50"));
  });

  it("counts complete pairs as hedged (the seed's shares × entry per side would say 50)", () => {
    expect(marketLiability(ledgerOf(makerBuy("UP", "0.50", "50"), makerBuy("DOWN", "0.50", "50")))).toBe(0);
    // 60 Up at 0.40 (24) + 20 Down at 0.55 (11): 35 paid, 20 pairs redeem 20 → 15 at risk.
    expect(marketLiability(ledgerOf(makerBuy("UP", "0.40", "60"), makerBuy("DOWN", "0.55", "20")))).toBe(
      m("15"),
    );
  });

  it("resting BUYs could add remaining × price; SELLs add nothing", () => {
    const orders = [
      order("a", "UP", "0.48", "20.83"),
      order("b", "DOWN", "0.30", "10", "4"),
      order("c", "UP", "0.6", "9", "0", "SELL"),
    ];
    // 20.83 × 0.48 = 9.9984; 6 × 0.30 = 1.8.
    expect(restingLiability(orders)).toBe(m("11.7984"));
    expect(committedLiability(ledgerOf(makerBuy("UP", "0.5", "10")), orders)).toBe(m("16.7984"));
  });
});

describe("inventory: skew", () => {
  it("is trunc(coefficient × net shares) ticks, toward zero on both sides", () => {
    expect(skewTicks(m("10"), 0.1)).toBe(1);
    expect(skewTicks(m("9.99"), 0.1)).toBe(0);
    expect(skewTicks(m("-10"), 0.1)).toBe(-1);
    expect(skewTicks(m("-19.99"), 0.1)).toBe(-1);
    expect(skewTicks(m("25"), 0.2)).toBe(5);
    expect(skewTicks(m("1000"), 0)).toBe(0);
  });
});

describe("inventory: sizing within the limits", () => {
  it("the net limit binds: long 90 Up at 0.30 may buy 10 more Up", () => {
    // Net: 100 − 90 = 10. Liability: (50 − 27) / 0.50 = 46: not binding.
    expect(maxBuyShares(ledgerOf(makerBuy("UP", "0.30", "90")), "UP", m("0.50"), FULL)).toBe(m("10"));
  });

  it("the liability limit binds: long 40 Up at 0.80 may buy 36 more at 0.50", () => {
    // Liability 32 now; (50 − 32) / 0.50 = 36. Net: 100 − 40 = 60.
    expect(maxBuyShares(ledgerOf(makerBuy("UP", "0.80", "40")), "UP", m("0.50"), FULL)).toBe(m("36"));
  });

  it("an inventory-reducing BUY is allowed beyond a limit already exceeded", () => {
    const longDown = ledgerOf(makerBuy("DOWN", "0.60", "100")); // liability 60 > 50
    // BUY Up at 0.45: the first 100 complete pairs (liability falls to 60 + 45 − 100 = 5), then each share
    // adds 0.45 until 50: (50 + 100 − 60) / 0.45 = 200 shares; net limit 100 + 100 = 200.
    expect(maxBuyShares(longDown, "UP", m("0.45"), FULL)).toBe(m("200"));
    // With nothing left of the total limit (500 elsewhere) only the pairs: 100 (liability ends at 5 < 60).
    expect(maxBuyShares(longDown, "UP", m("0.45"), { ...FULL, liabilityElsewhere: m("500") })).toBe(m("100"));
    // More Down is refused: net already 100.
    expect(maxBuyShares(longDown, "DOWN", m("0.40"), FULL)).toBe(0);
  });

  it("the breaker's multiplier scales every limit (WARNING 50 %)", () => {
    expect(quoteLimits(P, 50, m("7"))).toEqual({
      maxNetShares: m("50"),
      maxLiability: m("25"),
      maxTotalLiability: m("250"),
      liabilityElsewhere: m("7"),
    });
    expect(quoteLimits(P, 0, 0)).toMatchObject({ maxNetShares: 0, maxLiability: 0 });
  });
});

describe("inventory: P&L", () => {
  it("marks Up at the mid and Down at 1 − mid, less what was paid", () => {
    // 100 Up at 0.40: 55 − 40 = 15 at mid 0.55.
    expect(markToMarketPnl(ledgerOf(makerBuy("UP", "0.40", "100")), m("0.55"))).toBe(m("15"));
    // 10 Down at 0.50: worth 0.45 each at an Up mid of 0.55: 4.5 − 5.
    expect(markToMarketPnl(ledgerOf(makerBuy("DOWN", "0.50", "10")), m("0.55"))).toBe(m("-0.5"));
  });
});
