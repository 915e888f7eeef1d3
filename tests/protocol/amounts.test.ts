/**
 * The venue's amount rules (src/protocol/amounts.ts). Every expected amount is worked out by hand in
 * the comment beside it; the properties bound the amounts by the rules themselves, not by the formula.
 */
import fc from "fast-check";
import {
  amountRuleViolation,
  impliedLimitPrice,
  isMarketable,
  limitAmountDecimals,
  type OrderAmounts,
  OrderAmountsError,
  type OrderDecision,
  orderAmounts,
} from "../../src/protocol/amounts";

const TICK = 10_000; // 0.01
const FINE = 1_000; // 0.001

function amounts(over: Partial<OrderDecision>): OrderAmounts {
  return orderAmounts({
    side: "BUY",
    price: 550_000,
    shares: 10_000_000,
    tickSize: TICK,
    marketable: false,
    ...over,
  });
}

const MARKET_BUY_PRECISION =
  "invalid amounts, the market buy orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals";

describe("orderAmounts: limit orders (GTC/GTD)", () => {
  it("signs shares × price exactly at tick 0.01", () => {
    // 10 × 0.55 = 5.5; 10.01 × 0.55 = 5.5055 (4 decimals, the most tick 0.01 produces).
    expect(amounts({})).toEqual({ makerAmount: 5_500_000, takerAmount: 10_000_000 });
    expect(amounts({ shares: 10_010_000 })).toEqual({ makerAmount: 5_505_500, takerAmount: 10_010_000 });
    expect(amounts({ side: "SELL", shares: 10_010_000 })).toEqual({
      makerAmount: 10_010_000,
      takerAmount: 5_505_500,
    });
  });

  it("signs a 5-decimal pUSD amount at tick 0.001, which the venue accepts there (nothing is rounded)", () => {
    // 10.01 × 0.123 = 1.23123: five decimals, exactly the tick's price decimals (3) + 2.
    const buy = amounts({ price: 123_000, shares: 10_010_000, tickSize: FINE });
    expect(buy).toEqual({ makerAmount: 1_231_230, takerAmount: 10_010_000 });
    expect(amountRuleViolation({ side: "BUY", ...buy, tickSize: FINE, marketable: false })).toBeUndefined();
    const sell = amounts({ side: "SELL", price: 985_000, shares: 10_010_000, tickSize: FINE });
    // 10.01 × 0.985 = 9.85985.
    expect(sell).toEqual({ makerAmount: 10_010_000, takerAmount: 9_859_850 });
    expect(amountRuleViolation({ side: "SELL", ...sell, tickSize: FINE, marketable: false })).toBeUndefined();
    // The same 5-decimal amount is one too many at tick 0.01.
    expect(amountRuleViolation({ side: "BUY", ...buy, tickSize: TICK, marketable: false })).toBe(
      "invalid amounts, the buy orders maker amount supports a max accuracy of 4 decimals, taker amount a max of 2 decimals",
    );
  });

  it("implies exactly the limit price", () => {
    expect(
      impliedLimitPrice({ side: "BUY", makerAmount: 1_231_230, takerAmount: 10_010_000, marketable: false }),
    ).toBe(123_000);
    expect(
      impliedLimitPrice({ side: "SELL", makerAmount: 10_010_000, takerAmount: 9_859_850, marketable: false }),
    ).toBe(985_000);
    // 4.9961 / 27.7222 is no whole number of micros: a limit order like that is off every tick.
    expect(
      impliedLimitPrice({ side: "BUY", makerAmount: 4_990_000, takerAmount: 27_722_200, marketable: false }),
    ).toBeUndefined();
  });
});

describe("orderAmounts: marketable BUY (FAK/FOK)", () => {
  it("spends pUSD rounded up to the cent for shares rounded down to 4 decimals: 10.63 @ 0.47", () => {
    // 10.63 × 0.47 = 4.9961 → $5.00 (up to the cent); 5.00 / 0.47 = 10.638297… → 10.6382 (down, 4 decimals).
    const buy = amounts({ price: 470_000, shares: 10_630_000, marketable: true });
    expect(buy).toEqual({ makerAmount: 5_000_000, takerAmount: 10_638_200 });
    expect(amountRuleViolation({ side: "BUY", ...buy, tickSize: TICK, marketable: true })).toBeUndefined();
    // 5.00 / 10.6382 = 0.4700043…: at least the limit, far below the next tick 0.48.
    expect(impliedLimitPrice({ side: "BUY", ...buy, marketable: true })).toBe(470_004);
  });

  it("keeps an exact notional as it is", () => {
    // 10 × 0.55 = 5.50 exactly; 5.50 / 0.55 = 10.
    expect(amounts({ marketable: true })).toEqual({ makerAmount: 5_500_000, takerAmount: 10_000_000 });
    // 7.77 × 0.33 = 2.5641 → 2.57; 2.57 / 0.33 = 7.787878… → 7.7878.
    expect(amounts({ price: 330_000, shares: 7_770_000, marketable: true })).toEqual({
      makerAmount: 2_570_000,
      takerAmount: 7_787_800,
    });
  });

  it("stays below the next 0.001 tick", () => {
    // 10.01 × 0.985 = 9.85985 → 9.86; 9.86 / 0.985 = 10.010152… → 10.0101; implied 0.9850051… < 0.986.
    const near1 = amounts({ price: 985_000, shares: 10_010_000, tickSize: FINE, marketable: true });
    expect(near1).toEqual({ makerAmount: 9_860_000, takerAmount: 10_010_100 });
    expect(impliedLimitPrice({ side: "BUY", ...near1, marketable: true })).toBe(985_005);
    // 33.33 × 0.037 = 1.23321 → 1.24; 1.24 / 0.037 = 33.513513… → 33.5135; implied 0.0370000149…
    const near0 = amounts({ price: 37_000, shares: 33_330_000, tickSize: FINE, marketable: true });
    expect(near0).toEqual({ makerAmount: 1_240_000, takerAmount: 33_513_500 });
    expect(impliedLimitPrice({ side: "BUY", ...near0, marketable: true })).toBe(37_000);
    for (const a of [near1, near0]) {
      expect(amountRuleViolation({ side: "BUY", ...a, tickSize: FINE, marketable: true })).toBeUndefined();
    }
  });

  it("can compute a BUY under $1, which the venue refuses with its own text", () => {
    // 5 × 0.031 = 0.155 → 0.16; 0.16 / 0.031 = 5.16129… → 5.1612.
    const small = amounts({ price: 31_000, shares: 5_000_000, tickSize: FINE, marketable: true });
    expect(small).toEqual({ makerAmount: 160_000, takerAmount: 5_161_200 });
    expect(amountRuleViolation({ side: "BUY", ...small, tickSize: FINE, marketable: true })).toBe(
      "invalid amount for a marketable BUY order ($0.16), min size: $1",
    );
  });
});

describe("orderAmounts: marketable SELL", () => {
  it("takes pUSD rounded down to 4 decimals, so its implied price is at most the limit", () => {
    // 10.63 × 0.47 = 4.9961 exactly at tick 0.01.
    expect(amounts({ side: "SELL", price: 470_000, shares: 10_630_000, marketable: true })).toEqual({
      makerAmount: 10_630_000,
      takerAmount: 4_996_100,
    });
    // 10.01 × 0.985 = 9.85985 → 9.8598; implied 0.984995… ≤ 0.985 and above 0.984.
    const sell = amounts({
      side: "SELL",
      price: 985_000,
      shares: 10_010_000,
      tickSize: FINE,
      marketable: true,
    });
    expect(sell).toEqual({ makerAmount: 10_010_000, takerAmount: 9_859_800 });
    expect(impliedLimitPrice({ side: "SELL", ...sell, marketable: true })).toBe(984_996);
    expect(amountRuleViolation({ side: "SELL", ...sell, tickSize: FINE, marketable: true })).toBeUndefined();
  });
});

describe("orderAmounts: bad decisions", () => {
  it.each([
    [{ tickSize: 20_000 }, "tick", "unsupported tick size 20000 micros"],
    [{ price: 555_000 }, "price", "price 555000 micros is not on the 0.01 tick (10000 micros)"],
    [{ price: 1_000_000, tickSize: 1_000 }, "price", "price 1 is outside [0.001, 0.999]"],
    [{ price: 0 }, "price", "price 0 is outside [0.01, 0.99]"],
    [{ shares: 10_005_000 }, "size", "size 10005000 micros must be a positive multiple of 0.01 shares"],
    [{ shares: 0 }, "size", "size 0 micros must be a positive multiple of 0.01 shares"],
  ] as const)("refuses %j (%s)", (over, problem, message) => {
    let error: unknown;
    try {
      amounts(over);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OrderAmountsError);
    expect((error as OrderAmountsError).problem).toBe(problem);
    expect((error as OrderAmountsError).message).toBe(message);
  });
});

describe("amountRuleViolation: the venue's texts", () => {
  const check = (
    side: "BUY" | "SELL",
    makerAmount: number,
    takerAmount: number,
    tickSize: number,
    marketable: boolean,
  ) => amountRuleViolation({ side, makerAmount, takerAmount, tickSize, marketable });

  it("holds a marketable BUY to 2 decimals of pUSD and 4 of shares, at every tick", () => {
    expect(check("BUY", 5_000_000, 10_638_200, TICK, true)).toBeUndefined();
    expect(check("BUY", 4_996_100, 10_630_000, TICK, true)).toBe(MARKET_BUY_PRECISION); // $4.9961
    expect(check("BUY", 5_555_000, 10_100_000, TICK, true)).toBe(MARKET_BUY_PRECISION); // $5.555
    expect(check("BUY", 5_000_000, 10_638_290, TICK, true)).toBe(MARKET_BUY_PRECISION); // 10.63829 shares
    expect(check("BUY", 9_980_000, 10_131_970, FINE, true)).toBe(MARKET_BUY_PRECISION); // 5 decimals at 0.001
  });

  it("checks the $1 minimum of a marketable BUY first, and only there", () => {
    expect(check("BUY", 999_750, 1_010_000, TICK, true)).toBe(
      "invalid amount for a marketable BUY order ($0.99975), min size: $1",
    );
    expect(check("BUY", 950_000, 1_900_000, TICK, true)).toBe(
      "invalid amount for a marketable BUY order ($0.95), min size: $1",
    );
    expect(check("BUY", 1_000_000, 2_000_000, TICK, true)).toBeUndefined();
    expect(check("BUY", 950_000, 1_900_000, TICK, false)).toBeUndefined(); // a limit BUY under $1
    expect(check("SELL", 1_900_000, 950_000, TICK, true)).toBeUndefined(); // a SELL under $1
  });

  it("holds a limit BUY to the tick's pUSD decimals and 2 decimals of shares", () => {
    expect(check("BUY", 5_505_500, 10_010_000, TICK, false)).toBeUndefined();
    expect(check("BUY", 2_050_000, 5_125_000, TICK, false)).toBe(
      "invalid amounts, the buy orders maker amount supports a max accuracy of 4 decimals, taker amount a max of 2 decimals",
    );
    expect(check("BUY", 1_231_231, 10_010_000, FINE, false)).toBe(
      "invalid amounts, the buy orders maker amount supports a max accuracy of 5 decimals, taker amount a max of 2 decimals",
    );
  });

  it("holds a SELL to 2 decimals of shares, and 4 decimals of pUSD (marketable) or the tick's (limit)", () => {
    expect(check("SELL", 10_010_000, 9_859_800, FINE, true)).toBeUndefined();
    expect(check("SELL", 10_010_000, 9_859_850, FINE, true)).toBe(
      "invalid amounts, the sell orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals",
    );
    expect(check("SELL", 10_010_000, 9_859_850, FINE, false)).toBeUndefined();
    expect(check("SELL", 10_015_000, 5_000_000, TICK, false)).toBe(
      "invalid amounts, the sell orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals",
    );
    expect(check("SELL", 10_010_000, 1_231_231, FINE, false)).toBe(
      "invalid amounts, the sell orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 5 decimals",
    );
  });

  it("knows which order types are marketable and each tick's pUSD decimals", () => {
    expect(["GTC", "GTD", "FOK", "FAK"].map(isMarketable)).toEqual([false, false, true, true]);
    expect([100_000, 10_000, 5_000, 2_500, 1_000, 100].map(limitAmountDecimals)).toEqual([3, 4, 5, 6, 5, 6]);
  });
});

describe("properties, at ticks 0.01 and 0.001", () => {
  const decisions = fc
    .record({
      tickSize: fc.constantFrom(TICK, FINE),
      ticks: fc.integer({ min: 1, max: 999 }),
      lots: fc.integer({ min: 500, max: 100_000 }), // 5 to 1000 shares
      side: fc.constantFrom("BUY" as const, "SELL" as const),
    })
    .filter(({ tickSize, ticks }) => ticks * tickSize <= 1_000_000 - tickSize)
    .map(({ tickSize, ticks, lots, side }) => ({
      side,
      tickSize,
      price: ticks * tickSize,
      shares: lots * 10_000,
    }));

  it("a marketable BUY buys at least its shares, implies a price ≥ the limit by < 0.0001, and obeys the rules", () => {
    fc.assert(
      fc.property(decisions, (d) => {
        const { makerAmount, takerAmount } = orderAmounts({ ...d, side: "BUY", marketable: true });
        const exact = BigInt(d.shares) * BigInt(d.price); // micro-pUSD × 1e6
        const paid = BigInt(makerAmount) * 1_000_000n;
        // pUSD covers the shares at the limit, by less than a cent more.
        expect(paid >= exact && paid - exact < 10_000n * 1_000_000n).toBe(true);
        expect(takerAmount).toBeGreaterThanOrEqual(d.shares);
        // implied = maker / taker: p ≤ implied < p + 0.0001 (so short of the next tick, even 0.001).
        const priced = BigInt(d.price) * BigInt(takerAmount);
        expect(paid >= priced && paid - priced < 100n * BigInt(takerAmount)).toBe(true);
        const violation = amountRuleViolation({
          side: "BUY",
          makerAmount,
          takerAmount,
          tickSize: d.tickSize,
          marketable: true,
        });
        expect(violation).toBe(
          makerAmount < 1_000_000
            ? `invalid amount for a marketable BUY order ($${makerAmount / 1e6}), min size: $1`
            : undefined,
        );
      }),
    );
  });

  it("a marketable SELL offers its shares and implies a price ≤ the limit by < 0.0001 per share", () => {
    fc.assert(
      fc.property(decisions, (d) => {
        const { makerAmount, takerAmount } = orderAmounts({ ...d, side: "SELL", marketable: true });
        expect(makerAmount).toBe(d.shares);
        const exact = BigInt(d.shares) * BigInt(d.price);
        const received = BigInt(takerAmount) * 1_000_000n;
        expect(received <= exact && exact - received < 100n * 1_000_000n).toBe(true);
        expect(
          amountRuleViolation({
            side: "SELL",
            makerAmount,
            takerAmount,
            tickSize: d.tickSize,
            marketable: true,
          }),
        ).toBeUndefined();
      }),
    );
  });

  it("a limit order implies exactly its price and obeys the rules at its tick", () => {
    fc.assert(
      fc.property(decisions, (d) => {
        const a = orderAmounts({ ...d, marketable: false });
        const [pusd, shares] =
          d.side === "BUY" ? [a.makerAmount, a.takerAmount] : [a.takerAmount, a.makerAmount];
        expect(shares).toBe(d.shares);
        expect(BigInt(pusd) * 1_000_000n).toBe(BigInt(d.shares) * BigInt(d.price));
        expect(impliedLimitPrice({ side: d.side, ...a, marketable: false })).toBe(d.price);
        expect(
          amountRuleViolation({ side: d.side, ...a, tickSize: d.tickSize, marketable: false }),
        ).toBeUndefined();
      }),
    );
  });
});
