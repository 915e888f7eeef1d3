import fc from "fast-check";
import {
  buyFeeInShares,
  DEFAULT_MAKER_REBATE_SHARE,
  estimateMakerRebate,
  FEE_STEP,
  makerFeeEquivalent,
  netSharesAfterBuy,
  pairCostWithFees,
  proceedsAfterSell,
  takerFee,
} from "../../src/fees";
import { DecimalError, ONE, parseMicros } from "../../src/money";

const CRYPTO_RATE = parseMicros("0.07");
const m = parseMicros;

describe("takerFee", () => {
  it("is shares × rate × p × (1 − p) in pUSD", () => {
    // 10 × 0.07 × 0.65 × 0.35 = 0.15925
    expect(takerFee(m("10"), m("0.65"), CRYPTO_RATE)).toBe(m("0.15925"));
    // 100 × 0.07 × 0.25 = 1.75
    expect(takerFee(m("100"), m("0.5"), CRYPTO_RATE)).toBe(m("1.75"));
  });

  it("rounds down to 5 decimals", () => {
    // 1 × 0.07 × 0.01 × 0.99 = 0.000693
    expect(takerFee(m("1"), m("0.01"), CRYPTO_RATE)).toBe(m("0.00069"));
    // 0.01 × 0.07 × 0.25 = 0.000175 (half-up would give 0.00018)
    expect(takerFee(m("0.01"), m("0.5"), CRYPTO_RATE)).toBe(m("0.00017"));
    // below 0.00001: nothing is charged
    expect(takerFee(m("0.01"), m("0.001"), CRYPTO_RATE)).toBe(0);
  });

  it("applies the exponent to p × (1 − p) as the client does", () => {
    // e = 0: flat 100 × 0.07
    expect(takerFee(m("100"), m("0.3"), CRYPTO_RATE, 0)).toBe(m("7"));
    // e = 2: 100 × 0.25 × (0.5 × 0.5)^2 = 1.5625 (the old 15-minute crypto schedule)
    expect(takerFee(m("100"), m("0.5"), m("0.25"), 2)).toBe(m("1.5625"));
    // e = 2 at 0.3: 100 × 0.25 × 0.21^2 = 1.1025
    expect(takerFee(m("100"), m("0.3"), m("0.25"), 2)).toBe(m("1.1025"));
  });

  it("refuses what it cannot compute exactly", () => {
    expect(() => takerFee(m("1"), m("0.5"), CRYPTO_RATE, 0.5)).toThrow(DecimalError);
    expect(() => takerFee(m("1"), ONE + 1, CRYPTO_RATE)).toThrow(DecimalError);
    expect(() => takerFee(-1, m("0.5"), CRYPTO_RATE)).toThrow(DecimalError);
    expect(() => takerFee(1.5, m("0.5"), CRYPTO_RATE)).toThrow(DecimalError);
    expect(() => takerFee(m("1"), m("0.5"), -1)).toThrow(DecimalError);
  });

  it("is the maker fee equivalent too", () => {
    expect(makerFeeEquivalent(m("10"), m("0.65"), CRYPTO_RATE)).toBe(
      takerFee(m("10"), m("0.65"), CRYPTO_RATE),
    );
  });
});

describe("fees on each side", () => {
  it("withholds a BUY fee in shares, converted at the fill price", () => {
    // fee value 1.75 pUSD at 0.5 is 3.5 shares
    expect(buyFeeInShares(m("100"), m("0.5"), CRYPTO_RATE)).toBe(m("3.5"));
    expect(netSharesAfterBuy(m("100"), m("0.5"), CRYPTO_RATE)).toBe(m("96.5"));
    // 0.15925 / 0.65 = 0.245
    expect(netSharesAfterBuy(m("10"), m("0.65"), CRYPTO_RATE)).toBe(m("9.755"));
    expect(() => buyFeeInShares(m("1"), 0, CRYPTO_RATE)).toThrow(DecimalError);
  });

  it("deducts a SELL fee from the pUSD proceeds", () => {
    // 10 × 0.65 = 6.5, less 0.15925
    expect(proceedsAfterSell(m("10"), m("0.65"), CRYPTO_RATE)).toBe(m("6.34075"));
    expect(proceedsAfterSell(m("10"), m("0.65"), 0)).toBe(m("6.5"));
  });

  it("estimates the maker rebate as a share of the fee equivalent", () => {
    expect(DEFAULT_MAKER_REBATE_SHARE).toBe(m("0.2"));
    expect(estimateMakerRebate(m("100"), m("0.5"), CRYPTO_RATE)).toBe(m("0.35"));
    expect(estimateMakerRebate(m("100"), m("0.5"), CRYPTO_RATE, m("0.25"))).toBe(m("0.4375"));
    expect(() => estimateMakerRebate(m("1"), m("0.5"), CRYPTO_RATE, ONE + 1)).toThrow(DecimalError);
  });
});

describe("pairCostWithFees", () => {
  it("is the sum of both prices without fees", () => {
    expect(pairCostWithFees(m("0.48"), m("0.5"), 0)).toBe(m("0.98"));
  });

  it("accounts for the BUY fee being withheld in shares", () => {
    // 2 × 0.5 / (1 − 0.07 × 0.5) = 1.036269430… → rounded up
    expect(pairCostWithFees(m("0.5"), m("0.5"), CRYPTO_RATE)).toBe(1_036_270);
    // 0.45/(1 − 0.07·0.55) + 0.5/(1 − 0.07·0.5) = 0.468018720… + 0.518134715… = 0.986153435… → 0.986154
    expect(pairCostWithFees(m("0.45"), m("0.5"), CRYPTO_RATE)).toBe(986_154);
  });

  it("never understates what buying pairs really costs", () => {
    // Buying G gross shares of each side at p nets N pairs for 2·G·p; the venue's rounding only
    // lowers fees, so 2·G·p <= pairCost × N must hold for every size.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9_999 }),
        fc.integer({ min: 1, max: 100_000 }),
        (priceTicks, lots) => {
          const price = priceTicks * 100;
          const gross = lots * m("0.01");
          const pairs = netSharesAfterBuy(gross, price, CRYPTO_RATE);
          const spent = 2n * BigInt(gross) * BigInt(price);
          expect(spent).toBeLessThanOrEqual(
            BigInt(pairCostWithFees(price, price, CRYPTO_RATE)) * BigInt(pairs),
          );
        },
      ),
    );
  });

  it("rejects prices at the bounds", () => {
    expect(() => pairCostWithFees(0, m("0.5"), CRYPTO_RATE)).toThrow(DecimalError);
    expect(() => pairCostWithFees(m("0.5"), ONE, CRYPTO_RATE)).toThrow(DecimalError);
  });
});

describe("fee properties", () => {
  const shares = fc.integer({ min: 0, max: 10_000_000_000 });
  const price = fc.integer({ min: 0, max: ONE });
  const rate = fc.integer({ min: 0, max: ONE });
  const exponent = fc.integer({ min: 0, max: 3 });

  it("is non-negative and a multiple of the 5-decimal step", () => {
    fc.assert(
      fc.property(shares, price, rate, exponent, (s, p, r, e) => {
        const fee = takerFee(s, p, r, e);
        expect(fee).toBeGreaterThanOrEqual(0);
        expect(fee % FEE_STEP).toBe(0);
      }),
    );
  });

  it("is symmetric in p and 1 − p", () => {
    fc.assert(
      fc.property(shares, price, rate, exponent, (s, p, r, e) => {
        expect(takerFee(s, p, r, e)).toBe(takerFee(s, ONE - p, r, e));
      }),
    );
  });

  it("peaks at 0.5", () => {
    fc.assert(
      fc.property(shares, price, rate, exponent, (s, p, r, e) => {
        expect(takerFee(s, p, r, e)).toBeLessThanOrEqual(takerFee(s, ONE / 2, r, e));
      }),
    );
  });

  it("is zero at 0 and 1", () => {
    fc.assert(
      fc.property(shares, rate, fc.integer({ min: 1, max: 3 }), (s, r, e) => {
        expect(takerFee(s, 0, r, e)).toBe(0);
        expect(takerFee(s, ONE, r, e)).toBe(0);
      }),
    );
  });

  it("never takes more than is traded", () => {
    const inside = fc.integer({ min: 1, max: ONE - 1 });
    const realisticRate = fc.integer({ min: 0, max: 250_000 });
    fc.assert(
      fc.property(shares, inside, realisticRate, exponent, (s, p, r, e) => {
        expect(netSharesAfterBuy(s, p, r, e)).toBeLessThanOrEqual(s);
        expect(BigInt(proceedsAfterSell(s, p, r, e)) * 1_000_000n).toBeLessThanOrEqual(BigInt(s) * BigInt(p));
      }),
    );
    // With e >= 1 the fee is at most C × r × p(1 − p), less than what either side receives.
    // (e = 0 is a flat C × r pUSD, which at a price below r is worth more than the trade.)
    fc.assert(
      fc.property(shares, inside, realisticRate, fc.integer({ min: 1, max: 3 }), (s, p, r, e) => {
        expect(netSharesAfterBuy(s, p, r, e)).toBeGreaterThanOrEqual(0);
        expect(proceedsAfterSell(s, p, r, e)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("grows with size", () => {
    fc.assert(
      fc.property(shares, shares, price, rate, (a, b, p, r) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        expect(takerFee(small, p, r)).toBeLessThanOrEqual(takerFee(large, p, r));
      }),
    );
  });
});
