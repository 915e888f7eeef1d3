/**
 * Shared types and small exact helpers of the arbitrage strategy (seed 000).
 *
 * Everything under src/strategy/arbitrage is imported by Temporal workflows, so it is pure and
 * deterministic: no I/O, no clock, no randomness, no node: imports. It depends only on src/money.ts,
 * src/fees.ts, the venue's pure rules in src/protocol/amounts.ts and src/protocol/trade-status.ts, and the
 * types of src/session/messages.ts. All amounts are integer micros (1e-6).
 */
import { type Micros, ONE, roundToStep } from "../../money";
import { SHARE_LOT } from "../../protocol/amounts";
import type { PriceLevel } from "../../session/messages";

/** The venue parameters of one market that the strategy needs. */
export interface MarketRules {
  /** Current price tick (0.01, or 0.001 near the extremes). Book prices are on it by construction. */
  tickSize: Micros;
  /** Smallest order size the venue accepts, in shares (micros). */
  minOrderSize: Micros;
  /** Taker fee rate `fd.r` (0.07 = 70_000). */
  feeRate: Micros;
  /** Fee exponent `fd.e` (whole number; 1 on every fee-charging market today). */
  feeExponent: number;
}

/**
 * The strategy parameters: the `arbitrage` section of the config without the polling interval, which is
 * the workflow's business. Structurally equal to `Omit<Config["arbitrage"], "rebalanceCheckIntervalMs">`
 * (a test checks it); spelled out here so that workflow code does not import the config module (zod).
 */
export interface ArbitrageParams {
  /** Minimum locked-in margin per complete net pair, pUSD micros (0.02 = 20_000). */
  minSpread: Micros;
  /** Most the two entry orders may spend together, pUSD micros. */
  budgetPerTrade: Micros;
  /** Most a position may have at risk (cost − proceeds) after a rebalancing BUY, pUSD micros. */
  maxPositionCost: Micros;
  /** Hedge ratio (min/max of net shares) below which a position is rebalanced; a plain ratio, 0.8. */
  rebalanceThreshold: number;
  /**
   * MIN_REBALANCE_PROFIT, pUSD micros, on the seed's quantities: a SELL's gain over the leg's average entry
   * per share sold (net of the fee), and a BUY's locked-in guaranteed P&L per complete pair.
   */
  minRebalanceProfitPerShare: Micros;
  /** No rebalancing in the last this-many ms before the market ends. */
  rebalanceFreezeMs: number;
  preferSellOverBuy: boolean;
  allowPartialRebalance: boolean;
  /** At most this many rebalancing orders per position. */
  maxRebalanceTrades: number;
}

/** Rounds a share count down to a multiple of 0.01 share (SHARE_LOT; never below 0). */
export function floorShares(shares: Micros): Micros {
  return shares <= 0 ? 0 : roundToStep(shares, SHARE_LOT, "down");
}

/** Rounds a share count up to a multiple of 0.01 share (SHARE_LOT; never below 0). */
export function ceilShares(shares: Micros): Micros {
  return shares <= 0 ? 0 : roundToStep(shares, SHARE_LOT, "up");
}

/** Exactly: shares × price ≥ amount (the venue's $1 minimum of a marketable BUY, at its limit price). */
export function notionalAtLeast(shares: Micros, price: Micros, amount: Micros): boolean {
  return BigInt(shares) * BigInt(price) >= BigInt(amount) * BigInt(ONE);
}

/** Exactly: amount / shares ≥ perShare (all micros; shares > 0). */
export function atLeastPerShare(amount: Micros, shares: Micros, perShare: Micros): boolean {
  return BigInt(amount) * BigInt(ONE) >= BigInt(perShare) * BigInt(shares);
}

/** amount / shares in micros per share, rounded down (toward −∞). shares > 0. */
export function perShare(amount: Micros, shares: Micros): Micros {
  const num = BigInt(amount) * BigInt(ONE);
  const den = BigInt(shares);
  let q = num / den;
  if (num % den !== 0n && num < 0n) q -= 1n;
  return Number(q);
}

/**
 * A copy of one side of a book, best level first (asks ascending, bids descending), keeping only the
 * levels that can trade: a positive integer size and a price strictly between 0 and 1. Sorting is stable,
 * so equal prices keep the feed's order.
 */
export function ladder(levels: readonly PriceLevel[], side: "asks" | "bids"): PriceLevel[] {
  return levels
    .filter(
      (l) =>
        Number.isSafeInteger(l.price) &&
        Number.isSafeInteger(l.size) &&
        l.size > 0 &&
        l.price > 0 &&
        l.price < ONE,
    )
    .map((l) => ({ price: l.price, size: l.size }))
    .sort((a, b) => (side === "asks" ? a.price - b.price : b.price - a.price));
}

/** The leading levels that pass `accept`, stopping at the first that does not. */
export function acceptedPrefix(
  levels: readonly PriceLevel[],
  accept: (price: Micros) => boolean,
): PriceLevel[] {
  const out: PriceLevel[] = [];
  for (const l of levels) {
    if (!accept(l.price)) break;
    out.push(l);
  }
  return out;
}

export function depthOf(levels: readonly PriceLevel[]): Micros {
  let total = 0;
  for (const l of levels) total += l.size;
  return total;
}

/**
 * How a marketable order of `shares` fills against `levels` (best first): one slice per level touched,
 * the last one partial. Stops early if the levels run out.
 */
export function fillPlan(levels: readonly PriceLevel[], shares: Micros): PriceLevel[] {
  const out: PriceLevel[] = [];
  let left = shares;
  for (const l of levels) {
    if (left <= 0) break;
    const take = Math.min(left, l.size);
    out.push({ price: l.price, size: take });
    left -= take;
  }
  return out;
}

/** Size-weighted average price of slices, rounded half-up to a micro (0 when empty). */
export function averagePrice(slices: readonly PriceLevel[]): Micros {
  let notional = 0n;
  let size = 0n;
  for (const s of slices) {
    notional += BigInt(s.price) * BigInt(s.size);
    size += BigInt(s.size);
  }
  if (size === 0n) return 0;
  return Number((2n * notional + size) / (2n * size));
}

/**
 * What a BUY filling these slices pays, in micros of pUSD: the exact total notional rounded up once, as the
 * venue settles an order (not level by level).
 */
export function buyCost(slices: readonly PriceLevel[]): Micros {
  let exact = 0n;
  for (const s of slices) exact += BigInt(s.price) * BigInt(s.size);
  const scale = BigInt(ONE);
  return Number((exact + scale - 1n) / scale);
}

/** The worst (last) price of a fill plan, or 0 when it is empty. */
export function limitOf(slices: readonly PriceLevel[]): Micros {
  return slices.length === 0 ? 0 : slices[slices.length - 1]!.price;
}
