/**
 * Venue fee math for Polymarket CLOB V2, exact in micros.
 *
 * Only takers pay. The fee of a fill of C shares at price p in a market whose fee parameters are
 * (rate r, exponent e) — the market-info endpoint's `fd.r` and `fd.e` — is worth
 *
 *     fee = C × r × (p × (1 − p))^e        (pUSD)
 *
 * This is the formula of the official client (`adjustBuyAmountForFees` in
 * @polymarket/clob-client-v2 dist/fees/index.cjs: `feeRate * (price * (1 - price)) ** feeExponent`
 * applied to `amount / price` shares). Every fee-charging market today publishes e = 1, which gives
 * the venue's documented `C × r × p × (1 − p)` (crypto: r = 0.07). The exponent only shapes the
 * curve: e = 0 makes the fee a flat C × r, e = 2 makes it steeper around 0.5. Only whole exponents
 * are computed here, because a fractional power has no exact decimal value; a market publishing one
 * is refused rather than approximated.
 *
 * The fee is taken from what the taker receives: in shares on a BUY (the fee's value converted at
 * the fill price, so C × r × (p(1 − p))^e / p shares) and in pUSD on a SELL.
 *
 * Rounding: the venue charges fees rounded to 5 decimals. The official client does no rounding at
 * all (it works in floats), so the mode follows the venue: fees are rounded DOWN to a multiple of
 * 0.00001 (10 micros), in the asset the fee is charged in. The venue's published rule is that a fee
 * below 0.00001 is not charged at all, which is truncation, and the V1 exchange contract
 * (CalculatorHelper.calculateFee) computed fees with truncating integer division. So a fee here is
 * never above the exact formula and at most one step (10 micros) below it, and
 * {@link pairCostWithFees}, which uses the unrounded formula, never understates a cost.
 *
 * Rates are micros too: 0.07 is 70_000.
 */
import { DecimalError, type Micros, ONE } from "./money";

/** The venue rounds fees to 5 decimals: a multiple of 10 micros. */
export const FEE_STEP: Micros = 10;

/** Makers are rebated this share of the market's taker fees (20% today). */
export const DEFAULT_MAKER_REBATE_SHARE: Micros = 200_000;

/** The exponent every fee-charging market publishes today (`fd.e`). */
export const DEFAULT_FEE_EXPONENT = 1;

const SCALE = 1_000_000n;
const SCALE_SQUARED = SCALE * SCALE;
const STEP = BigInt(FEE_STEP);

function assertShares(shares: Micros): void {
  if (!Number.isSafeInteger(shares) || shares < 0) {
    throw new DecimalError(`shares must be a non-negative integer of micros, got ${shares}`);
  }
}

function assertPrice(price: Micros): void {
  if (!Number.isSafeInteger(price) || price < 0 || price > ONE) {
    throw new DecimalError(`price must be integer micros in [0, 1], got ${price}`);
  }
}

function assertRate(rate: Micros): void {
  if (!Number.isSafeInteger(rate) || rate < 0) {
    throw new DecimalError(`fee rate must be non-negative integer micros, got ${rate}`);
  }
}

function assertExponent(exponent: number): void {
  if (!Number.isSafeInteger(exponent) || exponent < 0) {
    throw new DecimalError(
      `fee exponent must be a whole number >= 0 to be computed exactly, got ${exponent}`,
    );
  }
}

/** (p(1 − p))^e as an exact fraction of integers: numerator / (10^12)^e. */
function curve(price: Micros, exponent: number): { num: bigint; den: bigint } {
  const p = BigInt(price);
  const e = BigInt(exponent);
  return { num: (p * (SCALE - p)) ** e, den: SCALE_SQUARED ** e };
}

/** floor(num / den) rounded down to a multiple of FEE_STEP, for num, den >= 0. */
function floorToFeeStep(num: bigint, den: bigint): Micros {
  return Number((num / (den * STEP)) * STEP);
}

/** The exact fee value C × r × (p(1 − p))^e in micros of pUSD, as num / den. */
function feeValue(
  shares: Micros,
  price: Micros,
  rate: Micros,
  exponent: number,
): { num: bigint; den: bigint } {
  assertShares(shares);
  assertPrice(price);
  assertRate(rate);
  assertExponent(exponent);
  const c = curve(price, exponent);
  // shares [µ] × rate [µ] / 10^6 is micros of pUSD; times the curve fraction.
  return { num: BigInt(shares) * BigInt(rate) * c.num, den: SCALE * c.den };
}

/**
 * The taker fee of a fill, in micros of pUSD, rounded down to 5 decimals. On a SELL this is what
 * is deducted from the proceeds; on a BUY it is the value of the shares withheld (see
 * {@link buyFeeInShares}).
 */
export function takerFee(
  shares: Micros,
  price: Micros,
  rate: Micros,
  exponent: number = DEFAULT_FEE_EXPONENT,
): Micros {
  const { num, den } = feeValue(shares, price, rate, exponent);
  return floorToFeeStep(num, den);
}

/**
 * The shares withheld from a taker BUY: the fee's value converted at the fill price, rounded down
 * to 5 decimals of a share. The price must be positive.
 */
export function buyFeeInShares(
  shares: Micros,
  price: Micros,
  rate: Micros,
  exponent: number = DEFAULT_FEE_EXPONENT,
): Micros {
  const { num, den } = feeValue(shares, price, rate, exponent);
  if (price === 0) throw new DecimalError("a BUY fee in shares needs a positive price");
  // value [µ pUSD] / (price [µ] / 10^6) = shares [µ]
  return floorToFeeStep(num * SCALE, den * BigInt(price));
}

/** Shares actually received by a taker BUY of `shares` at `price`, after the fee in shares. */
export function netSharesAfterBuy(
  shares: Micros,
  price: Micros,
  rate: Micros,
  exponent: number = DEFAULT_FEE_EXPONENT,
): Micros {
  return shares - buyFeeInShares(shares, price, rate, exponent);
}

/**
 * pUSD actually received by a taker SELL of `shares` at `price`: the notional, truncated to a
 * micro as settlement does, less the fee.
 */
export function proceedsAfterSell(
  shares: Micros,
  price: Micros,
  rate: Micros,
  exponent: number = DEFAULT_FEE_EXPONENT,
): Micros {
  const fee = takerFee(shares, price, rate, exponent);
  const notional = Number((BigInt(shares) * BigInt(price)) / SCALE);
  return notional - fee;
}

/**
 * What a maker fill would have paid had it been a taker: same formula, same rounding. Makers pay
 * nothing; this is the weight of the fill in the maker-rebate pool.
 */
export function makerFeeEquivalent(
  shares: Micros,
  price: Micros,
  rate: Micros,
  exponent: number = DEFAULT_FEE_EXPONENT,
): Micros {
  return takerFee(shares, price, rate, exponent);
}

/**
 * Estimated rebate earned by a maker fill, in micros of pUSD (rounded down).
 *
 * The venue pools `rebateShare` of a market's taker fees and splits the pool among makers in
 * proportion to their fee equivalents. Every fill has exactly one taker paying the fee that the
 * maker side's fee equivalent mirrors, so the pool is `rebateShare` × Σ fee equivalents and each
 * maker's cut is `rebateShare` × its own fee equivalent. The estimate is exact under that model and
 * off only by the venue's own rounding and by fills whose taker was exempt.
 */
export function estimateMakerRebate(
  shares: Micros,
  price: Micros,
  rate: Micros,
  rebateShare: Micros = DEFAULT_MAKER_REBATE_SHARE,
  exponent: number = DEFAULT_FEE_EXPONENT,
): Micros {
  if (!Number.isSafeInteger(rebateShare) || rebateShare < 0 || rebateShare > ONE) {
    throw new DecimalError(`rebate share must be integer micros in [0, 1], got ${rebateShare}`);
  }
  const equivalent = makerFeeEquivalent(shares, price, rate, exponent);
  return Number((BigInt(equivalent) * BigInt(rebateShare)) / SCALE);
}

/**
 * The pUSD cost, in micros rounded UP, of ending up with one Up share and one Down share (one
 * complete pair, redeemable for exactly 1 pUSD) by buying both as a taker at the given prices.
 *
 * Because a BUY fee is withheld in shares, a pair needs more than one gross share of each side:
 * buying G shares at p nets G × (1 − f) where f = r × (p(1 − p))^e / p, so one net share costs
 * p / (1 − f). The pair costs the sum over both sides. An arbitrage exists when this is below
 * {@link ONE}. The unrounded formula is used (the venue's rounding only ever lowers a fee), so the
 * result never understates the real cost; the only other error is the final round-up (< 1 micro).
 * Both prices must be strictly between 0 and 1.
 */
export function pairCostWithFees(
  upPrice: Micros,
  downPrice: Micros,
  rate: Micros,
  exponent: number = DEFAULT_FEE_EXPONENT,
): Micros {
  assertRate(rate);
  assertExponent(exponent);
  const side = (price: Micros): { num: bigint; den: bigint } => {
    assertPrice(price);
    if (price === 0 || price === ONE) throw new DecimalError(`pair prices must be in (0, 1), got ${price}`);
    const p = BigInt(price);
    const c = curve(price, exponent);
    // In micros, f = rate · c.num / (price · c.den), so one net share costs
    // price / (1 − f) = price² · c.den / (price · c.den − rate · c.num).
    const den = p * c.den - BigInt(rate) * c.num;
    if (den <= 0n) throw new DecimalError(`the fee at price ${price} would consume the whole purchase`);
    return { num: p * p * c.den, den };
  };
  const up = side(upPrice);
  const down = side(downPrice);
  const num = up.num * down.den + down.num * up.den;
  const den = up.den * down.den;
  return Number((num + den - 1n) / den);
}
