/**
 * Fee-aware detection of a complete-set arbitrage: buy one Up and one Down share for less than the 1 pUSD
 * the pair redeems for.
 *
 * Criterion. A BUY fee is withheld in shares, so a complete NET pair (one Up and one Down share held after
 * fees) costs more than the sum of the asks: {@link pairCostWithFees}. An opportunity exists at a pair of
 * prices when that cost is at most 1 − minSpread. At p ≈ 0.5 with the crypto rate 0.07 the fee adds about
 * 3.5 cents to a pair, so asks summing to 0.98 (0.49 + 0.49, pair cost ≈ 1.0163) are a loss, not a 2-cent
 * arbitrage; even the seed's own example (0.48 + 0.49) costs ≈ 1.0063 per net pair.
 *
 * Walk. Both ask ladders are walked together, best level first; at each step the marginal pair is priced
 * at the current (worst so far) level of each side and the walk stops at the first pair above the bound.
 * The limit price of each leg is the worst level its size reaches: each leg is a FAK BUY at that limit.
 *
 * Size, in gross shares per leg (equal on both legs), is the largest multiple of 0.01 share that is
 *   - within the depth of both ladders up to the limit prices, and
 *   - within budget: shares × (upLimit + downLimit) ≤ budgetPerTrade. This is the most the two FAK orders
 *     can spend (and what the venue reserves for them), so the budget holds even if the book moves before
 *     they arrive; the expected spend, walking the book as seen, is `grossCost` ≤ `maxCost`.
 * and it must be at least the venue's minimum order size.
 *
 * Equal gross shares. Both legs buy the same gross size, so the net shares differ by the difference of the
 * fees in shares (the cheaper leg pays the larger share of its size: the fraction is r(1 − p) at e = 1).
 * Only min(netUp, netDown) pairs are guaranteed; the surplus of the other leg is a small unhedged remainder
 * that the rebalancing logic treats like any other imbalance. At lopsided prices this surplus can eat the
 * whole margin (asks 0.03 and 0.93: pair cost ≈ 0.967, yet equal gross shares lose ≈ 2.8 cents per share),
 * so an opportunity is also required to have a positive `expectedProfit`.
 *
 * The snapshot lists each token's own orders; a BUY may also match the other token's bids (a mint), which
 * can only fill at prices at or below the limit. Ignoring that liquidity is conservative.
 */
import { netSharesAfterBuy, pairCostWithFees } from "../../fees";
import { DecimalError, type Micros, mulMicros, ONE } from "../../money";
import type { MarketBookSnapshot, PriceLevel } from "../../session/messages";
import {
  type ArbitrageParams,
  buyCost,
  fillPlan,
  floorShares,
  ladder,
  limitOf,
  type MarketRules,
  SHARE_STEP,
} from "./types";

export interface Opportunity {
  /** FAK limit of the Up leg: the worst ask level its size reaches. */
  upLimitPrice: Micros;
  /** FAK limit of the Down leg. */
  downLimitPrice: Micros;
  upBestAsk: Micros;
  downBestAsk: Micros;
  /** Gross shares to buy on EACH leg (multiple of 0.01, ≥ the minimum order size). */
  shares: Micros;
  /** 1 − upBestAsk − downBestAsk, before fees (for telemetry; the decision uses pairCost). */
  spread: Micros;
  /** Cost of one complete net pair at the limit prices, fees included (≤ 1 − minSpread). */
  pairCost: Micros;
  /** Guaranteed profit if both legs fill fully against the book as seen: min(net shares) − grossCost. */
  expectedProfit: Micros;
  /** pUSD both legs pay if they fill against the book as seen (each leg's notional rounded up). */
  grossCost: Micros;
  /** The most both FAK orders can pay: shares × (upLimit + downLimit), ≤ budgetPerTrade. */
  maxCost: Micros;
  /** Shares held after the fee in shares, per leg, if both fill fully against the book as seen. */
  upNetShares: Micros;
  downNetShares: Micros;
}

export type OpportunityParams = Pick<ArbitrageParams, "minSpread" | "budgetPerTrade">;

/** pairCostWithFees, or undefined where the fee would consume the purchase (no pair can be bought). */
function pairCostOrUndefined(up: Micros, down: Micros, rules: MarketRules): Micros | undefined {
  try {
    return pairCostWithFees(up, down, rules.feeRate, rules.feeExponent);
  } catch (err) {
    if (err instanceof DecimalError) return undefined;
    throw err;
  }
}

function legOutcome(
  slices: readonly PriceLevel[],
  rules: MarketRules,
): { net: Micros; cost: Micros; limit: Micros } {
  let net = 0;
  for (const s of slices) net += netSharesAfterBuy(s.size, s.price, rules.feeRate, rules.feeExponent);
  return { net, cost: buyCost(slices), limit: limitOf(slices) };
}

/**
 * The arbitrage the book offers now, sized to depth and budget, or undefined. Pure and deterministic.
 */
export function detectOpportunity(
  book: MarketBookSnapshot,
  rules: MarketRules,
  params: OpportunityParams,
): Opportunity | undefined {
  const ups = ladder(book.up.asks, "asks");
  const downs = ladder(book.down.asks, "asks");
  const bestUp = ups[0];
  const bestDown = downs[0];
  if (!bestUp || !bestDown) return undefined;
  const bound = ONE - params.minSpread;

  // Walk both ladders in lockstep: each step takes the depth both current levels still have.
  let i = 0;
  let j = 0;
  let usedUp = 0;
  let usedDown = 0;
  let depth = 0;
  let best = 0;
  while (i < ups.length && j < downs.length) {
    const u = ups[i]!;
    const d = downs[j]!;
    const cost = pairCostOrUndefined(u.price, d.price, rules);
    if (cost === undefined || cost > bound) break;
    const step = Math.min(u.size - usedUp, d.size - usedDown);
    depth += step;
    // Budget at these limits; deeper levels only raise the limits, so nothing later can do better.
    const budgetCap = Number((BigInt(params.budgetPerTrade) * BigInt(ONE)) / BigInt(u.price + d.price));
    best = Math.max(best, floorShares(Math.min(depth, budgetCap)));
    if (budgetCap <= depth) break;
    usedUp += step;
    usedDown += step;
    if (usedUp === u.size) {
      i += 1;
      usedUp = 0;
    }
    if (usedDown === d.size) {
      j += 1;
      usedDown = 0;
    }
  }

  // Exact budget check with the per-leg rounding (at most a step or two off the bound above).
  let shares = best;
  let up = legOutcome(fillPlan(ups, shares), rules);
  let down = legOutcome(fillPlan(downs, shares), rules);
  const maxCostOf = (s: Micros) => mulMicros(s, up.limit, "up") + mulMicros(s, down.limit, "up");
  while (shares > 0 && maxCostOf(shares) > params.budgetPerTrade) {
    shares -= SHARE_STEP;
    up = legOutcome(fillPlan(ups, shares), rules);
    down = legOutcome(fillPlan(downs, shares), rules);
  }
  if (shares <= 0 || shares < rules.minOrderSize) return undefined;

  const pairCost = pairCostOrUndefined(up.limit, down.limit, rules);
  if (pairCost === undefined || pairCost > bound) return undefined; // unreachable: the walk priced this pair
  const grossCost = up.cost + down.cost;
  const expectedProfit = Math.min(up.net, down.net) - grossCost;
  if (expectedProfit <= 0) return undefined;

  return {
    upLimitPrice: up.limit,
    downLimitPrice: down.limit,
    upBestAsk: bestUp.price,
    downBestAsk: bestDown.price,
    shares,
    spread: ONE - bestUp.price - bestDown.price,
    pairCost,
    expectedProfit,
    grossCost,
    maxCost: maxCostOf(shares),
    upNetShares: up.net,
    downNetShares: down.net,
  };
}
