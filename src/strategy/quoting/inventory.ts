/**
 * Inventory of one quoted market: what our fills hold, what that can lose, and how much a new quote may
 * buy within the limits.
 *
 * ## Positions come from fills
 *
 * A market's inventory is the arbitrage strategy's position ledger (src/strategy/arbitrage/position.ts):
 * built only from our fills as the venue reports them, idempotent per (tradeId, orderId), a FAILED trade
 * reversed exactly. Quotes are post-only, so our fills are MAKER fills and pay no fee. Use
 * {@link applyFill} from there with the fill's outcome; nothing here keeps a second copy.
 *
 * ## Both outcomes, one inventory
 *
 * Every quote is a BUY (engine.ts): the bid buys Up, the ask buys Down. Holding U Up and D Down shares,
 * min(U, D) complete pairs redeem for 1 pUSD each whatever happens, so the risk is the NET inventory
 * U − D (positive: long Up; negative: long Down, i.e. short Up).
 *
 * ## Worst-case liability
 *
 * The seed takes "shares × entry price" per position. With both outcomes held, that counts a hedged pair
 * twice: 50 Up and 50 Down bought at 0.50 are "$50 of liability" by the seed and cannot lose anything.
 * Here the liability is what the market loses if the worse outcome for us wins:
 *
 *   liability = max(0, (cost − proceeds) − min(U, D))      (= max(0, −guaranteedPnl))
 *
 * which is shares × entry price for a one-sided position, as the seed says, and 0 for a hedged one.
 *
 * ## Sizing a quote within the limits ({@link maxBuyShares})
 *
 * A BUY of s shares of outcome X at p, holding x of X and y of the other, at cost C:
 * - net position: |x + s − y| may not exceed the net limit: s ≤ maxNet + y − x. An order that reduces the
 *   position (x < y) is always allowed up to the gap and beyond it up to the limit;
 * - liability: L(s) = max(0, C + s·p − min(x + s, y)). It falls while s ≤ y − x (each share completes a
 *   pair for p < 1) and rises by p a share beyond; so s ≤ max(y − x, (cap + y − C) ÷ p), where cap is the
 *   market's limit and what the total limit leaves after the other markets. Whatever part of the order
 *   fills, the liability ends at most at max(cap, its current value): an order never makes it worse
 *   than the limit or than now.
 * Each side is sized as if the other did not fill: when both fill, the pairs they complete can only lower
 * the liability (L(s₁, s₂) ≤ max(L(s₁, 0), L(0, s₂)) for two BUYs whose prices sum below 1).
 *
 * All limits are scaled by the circuit breaker's multiplier (100/50/0/25 %, risk.ts). At 0 % (HALTED) the
 * reducing orders would still be allowed by these formulas: the quote engine does not quote at all then.
 */
import { type Micros, mulMicros, ONE, roundToStep } from "../../money";
import { SHARE_LOT } from "../../protocol/amounts";
import type { Outcome } from "../../session/messages";
import { guaranteedPnl, leg, netCost, type PositionLedger } from "../arbitrage/position";
import { type LiveOrder, remainingShares } from "./book";
import type { QuotingParams } from "./params";

export { applyFill, emptyLedger, type PositionLedger } from "../arbitrage/position";

/** The limits a quote is sized within, already scaled by the breaker's multiplier (micros). */
export interface QuoteLimits {
  /** Most net shares (|Up − Down|) the market may hold. */
  maxNetShares: Micros;
  /** Most worst-case loss of the market. */
  maxLiability: Micros;
  /** Most worst-case loss of all markets together. */
  maxTotalLiability: Micros;
  /** Worst-case loss committed elsewhere: the other markets' liabilities and resting orders. */
  liabilityElsewhere: Micros;
}

/** Up shares − Down shares held (micros): positive is long Up. */
export function netInventory(ledger: PositionLedger): Micros {
  return ledger.up.netShares - ledger.down.netShares;
}

/** Worst-case loss of the market's fills: max(0, cost − proceeds − complete pairs). See the module notes. */
export function marketLiability(ledger: PositionLedger): Micros {
  return Math.max(0, -guaranteedPnl(ledger));
}

/**
 * The most our resting orders could add to the liability: each BUY's remaining shares × price (rounded
 * up), as if it filled without completing any pair. SELLs only lower it and count 0.
 */
export function restingLiability(orders: readonly LiveOrder[]): Micros {
  let total = 0;
  for (const o of orders) if (o.side === "BUY") total += mulMicros(remainingShares(o), o.price, "up");
  return total;
}

/** A market's liability plus what its resting orders could add: what it commits against the total limit. */
export function committedLiability(ledger: PositionLedger, orders: readonly LiveOrder[]): Micros {
  return marketLiability(ledger) + restingLiability(orders);
}

/**
 * Ticks of inventory skew: coefficient × net shares, truncated toward zero (the seed's int()). Positive
 * when long Up: both quotes move down by that many ticks (buy Up less eagerly, offer it more eagerly).
 * Exact: the coefficient is taken to 6 decimals.
 */
export function skewTicks(net: Micros, coefficient: number): number {
  const coef = BigInt(Math.round(coefficient * ONE));
  // net [µshares] × coef [µticks per share] / 10^12 = ticks; BigInt division truncates toward zero.
  return Number((BigInt(net) * coef) / (BigInt(ONE) * BigInt(ONE)));
}

/** The breaker's multiplier (percent) applied to the parameters' limits. */
export function quoteLimits(
  params: Pick<QuotingParams, "maxPositionPerMarket" | "maxLiabilityPerMarket" | "maxTotalLiability">,
  multiplierPercent: number,
  liabilityElsewhere: Micros,
): QuoteLimits {
  const m = BigInt(multiplierPercent);
  const scale = (v: Micros) => Number((BigInt(v) * m) / 100n);
  const maxNet = roundToStep(Math.round(params.maxPositionPerMarket * ONE), SHARE_LOT, "down");
  return {
    maxNetShares: scale(maxNet),
    maxLiability: scale(params.maxLiabilityPerMarket),
    maxTotalLiability: scale(params.maxTotalLiability),
    liabilityElsewhere,
  };
}

/**
 * The most shares (micros, not rounded to a lot) a BUY of `outcome` at `price` may buy within the limits
 * (module notes), ≥ 0. `price` must be positive.
 */
export function maxBuyShares(
  ledger: PositionLedger,
  outcome: Outcome,
  price: Micros,
  limits: QuoteLimits,
): Micros {
  if (price <= 0) throw new RangeError(`a BUY price must be positive, got ${price}`);
  const x = BigInt(leg(ledger, outcome).netShares);
  const y = BigInt(leg(ledger, outcome === "UP" ? "DOWN" : "UP").netShares);
  const cost = BigInt(netCost(ledger));
  const position = BigInt(limits.maxNetShares) + y - x;
  const cap = BigInt(Math.min(limits.maxLiability, limits.maxTotalLiability - limits.liabilityElsewhere));
  const reducing = y > x ? y - x : 0n;
  const headroom = cap + y - cost;
  const rising = headroom >= 0n ? (headroom * BigInt(ONE)) / BigInt(price) : -1n;
  const liability = reducing > rising ? reducing : rising;
  const bound = position < liability ? position : liability;
  return bound > 0n ? Number(bound) : 0;
}

/**
 * Realized + unrealized P&L of the market's fills at an Up mid (micros, rounded down): Up shares at the
 * mid, Down shares at 1 − mid, less cost − proceeds. What the circuit breaker's drawdown watches.
 */
export function markToMarketPnl(ledger: PositionLedger, upMidPrice: Micros): Micros {
  return (
    mulMicros(ledger.up.netShares, upMidPrice, "down") +
    mulMicros(ledger.down.netShares, ONE - upMidPrice, "down") -
    netCost(ledger)
  );
}
