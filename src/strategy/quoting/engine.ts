/**
 * The quote engine of active two-sided quoting (seed 004): from the market's state, the quotes wanted now,
 * as data. Which orders exist, and what to cancel or place to get there, is reconcile.ts's business.
 *
 * ## Which orders, and why both are BUYs
 *
 * A two-sided quote on the Up price axis is a bid b and an ask a. On Polymarket, Up and Down are one
 * mirrored book (book.ts), so both are BUYs:
 *   - the bid is a post-only GTC BUY of Up at b;
 *   - the ask is a post-only GTC BUY of Down at 1 − a (a BUY of Down at q is an offer of Up at 1 − q).
 * Selling Up instead would need Up shares already released to us (MINED, seconds after the fill) and
 * would lock them in the order; a BUY of Down needs only pUSD, and the Up and Down it accumulates are
 * complete pairs that redeem for 1 whatever happens (inventory.ts). The two BUYs sum to b + 1 − a < 1, so
 * they never match each other; both filled, they bought a pair for less than it redeems for. Makers pay
 * no fee and earn a share of the rebate pool (fees.ts estimateMakerRebate).
 *
 * ## Pricing ({@link quotePrices}), in integer ticks of the market's current tick
 *
 * 0. Nothing when the breaker is HALTED, nor during momentum with CANCEL_ON_MOMENTUM.
 * 1. B and A: the best bid and ask of the OTHERS' liquidity on the Up axis (our own orders taken out,
 *    book.ts). Nothing unless both exist and B < A.
 * 2. Offset and improvement: bid = B − offset, ask = A + offset (QUOTE_OFFSET_TICKS, 0: join the best);
 *    one tick better on both sides when the spread A − B is at least IMPROVE_WHEN_SPREAD_TICKS and at
 *    least 3 ticks (improving a 2-tick spread would put bid and ask on one price).
 * 3. Inventory skew: both quotes move down by skewTicks(net inventory) (inventory.ts; up when short Up).
 * 4. Momentum without cancelling: bid ≤ mid − W/2 and ask ≥ mid + W/2 (W = MAX_SPREAD_TICKS, rounded
 *    outward to the tick), so our spread is at least W ticks.
 * 5. Never cross: bid ≤ A − 1 tick and ask ≥ B + 1 tick, so neither post-only BUY can take (a BUY of Up
 *    crosses at b ≥ A, a BUY of Down at 1 − a crosses at a ≤ B). Clamping only moves a quote away from
 *    the other, so bid < ask stays true.
 * 6. Range: a bid below 1 tick, or an ask above 1 − tick, is dropped (never moved back toward the book:
 *    the skew that pushed it there wants less of that side).
 *
 * ## Sizes ({@link activeQuotes})
 *
 * ORDER_SIZE pUSD per side: shares = size ÷ price, floored to the quote lot (book.ts quoteLot: 0.01
 * share, 0.1 at tick 0.001, so the pUSD amount has at most 4 decimals); cut to what the inventory limits
 * allow (inventory.ts maxBuyShares, limits scaled by the breaker's multiplier); a side below the venue's
 * minimum order size (5 shares) is dropped.
 *
 * The seed's pseudocode corrected here: it compared float prices (`spread >= 4 * 0.01` is false for
 * 0.29 − 0.25 in floats), read a best bid that includes our own quote, ignored QUOTE_OFFSET_TICKS,
 * raised a bid below the minimum price back to 1 tick (more aggressive than the skew wanted), could
 * improve a 2-tick spread into a self-cross, and expressed the ask as a SELL.
 */
import { divMicros, type Micros, ONE } from "../../money";
import type { MarketBookSnapshot, Outcome } from "../../session/messages";
import type { PositionLedger } from "../arbitrage/position";
import { ceilToTick, floorToLot, floorToTick, type LiveOrder, upAxisBook } from "./book";
import { maxBuyShares, netInventory, quoteLimits, skewTicks } from "./inventory";
import type { QuotingParams } from "./params";
import { type BreakerState, LIMIT_MULTIPLIER_PERCENT } from "./risk";

/** A spread must be at least this many ticks to be improved on both sides and leave a tick between. */
export const MIN_IMPROVABLE_SPREAD_TICKS = 3;

/** One side's wish: a post-only GTC BUY at `price` (the token's own price) of `shares`, or "leave it". */
export type SideQuote =
  | {
      kind: "quote";
      price: Micros;
      shares: Micros;
      /**
       * The most the inventory limits allow at this price (≥ shares; shares is ORDER_SIZE's worth, cut to
       * it). A live order of a size between the two is kept: its size differs from the quote's because
       * ORDER_SIZE buys fewer shares at a higher price, not because the limits forbid it (reconcile.ts).
       */
      maxShares: Micros;
    }
  /** Leave whatever is live on this side alone and place nothing (the fire-and-forget baseline). */
  | { kind: "keep" };

/** The quotes wanted for one market. A missing side means: no order on that side. */
export interface DesiredQuotes {
  /** Our bid: a BUY of Up. */
  up?: SideQuote;
  /** Our ask: a BUY of Down, at 1 − the ask. */
  down?: SideQuote;
  /** A live order fewer than this many ticks from its quote is kept (reconcile.ts). */
  refreshThresholdTicks: number;
  /** Why sides are missing or were cut, for logs. */
  notes: string[];
}

/** What a strategy sees of one market. */
export interface QuoteInput {
  book: MarketBookSnapshot;
  /** The venue's minimum order size for the market, shares (micros). */
  minOrderSize: Micros;
  /** Our live orders in the market. */
  ownOrders: readonly LiveOrder[];
  /** The market's position from our fills (inventory.ts). */
  inventory: PositionLedger;
  momentumActive: boolean;
  /** The market's effective breaker state (risk.ts effectiveState). */
  breaker: BreakerState;
  /** Worst-case loss committed by the other markets (inventory.ts committedLiability, summed). */
  liabilityElsewhere: Micros;
}

/** A quoting strategy: desired quotes from state. The quote engine and both baselines are ones. */
export type QuoteStrategy = (input: QuoteInput, params: QuotingParams) => DesiredQuotes;

/** Quote prices on the Up axis: bid = the BUY of Up's price, ask = 1 − the BUY of Down's price. */
export interface QuotePrices {
  bid?: Micros;
  ask?: Micros;
  notes: string[];
}

/** Steps 0–6 of the module notes. */
export function quotePrices(input: QuoteInput, params: QuotingParams): QuotePrices {
  if (input.breaker === "HALTED") return { notes: ["halted"] };
  if (input.momentumActive && params.cancelOnMomentum) return { notes: ["momentum: cancel"] };
  const book = upAxisBook(input.book, input.ownOrders);
  const tick = book.tick;
  const bestBid = book.bids[0];
  const bestAsk = book.asks[0];
  if (!bestBid || !bestAsk) return { notes: ["one-sided book"] };
  const B = floorToTick(bestBid.price, tick);
  const A = ceilToTick(bestAsk.price, tick);
  if (A <= B) return { notes: ["crossed book"] };

  const notes: string[] = [];
  const spreadTicks = (A - B) / tick;
  const improve = spreadTicks >= Math.max(params.improveWhenSpreadTicks, MIN_IMPROVABLE_SPREAD_TICKS) ? 1 : 0;
  const inward = improve - params.quoteOffsetTicks;
  let bid = B + inward * tick;
  let ask = A - inward * tick;

  const skew = skewTicks(netInventory(input.inventory), params.inventorySkewCoefficient);
  if (skew !== 0) notes.push(`skew ${skew} ticks`);
  bid -= skew * tick;
  ask -= skew * tick;

  if (input.momentumActive) {
    const half = params.maxSpreadTicks * tick;
    bid = Math.min(bid, floorToTick(Math.floor((B + A - half) / 2), tick));
    ask = Math.max(ask, ceilToTick(Math.ceil((B + A + half) / 2), tick));
    notes.push("momentum: widened");
  }

  bid = Math.min(bid, A - tick);
  ask = Math.max(ask, B + tick);

  const out: QuotePrices = { notes };
  if (bid >= tick) out.bid = bid;
  else notes.push("bid below the lowest price");
  if (ask <= ONE - tick) out.ask = ask;
  else notes.push("ask above the highest price");
  return out;
}

/**
 * The quote of a BUY of `outcome` at `price`, sized (module notes), or undefined when below the minimum.
 * Shared by every strategy: the limits are risk, not strategy.
 */
export function sizedQuote(
  input: QuoteInput,
  params: QuotingParams,
  outcome: Outcome,
  price: Micros,
  notes: string[],
): SideQuote | undefined {
  const tick = input.book.tickSize;
  const base = floorToLot(divMicros(params.orderSize, price, "down"), tick);
  const limits = quoteLimits(params, LIMIT_MULTIPLIER_PERCENT[input.breaker], input.liabilityElsewhere);
  const allowed = floorToLot(maxBuyShares(input.inventory, outcome, price, limits), tick);
  const shares = Math.min(base, allowed);
  if (shares < input.minOrderSize) {
    notes.push(
      allowed < base
        ? `${outcome}: limits leave less than the minimum size`
        : `${outcome}: below the minimum size`,
    );
    return undefined;
  }
  if (allowed < base) notes.push(`${outcome}: cut to the limits`);
  return { kind: "quote", price, shares, maxShares: allowed };
}

/** The quote engine: prices, then sizes (module notes). */
export const activeQuotes: QuoteStrategy = (input, params) => {
  const prices = quotePrices(input, params);
  const notes = [...prices.notes];
  const out: DesiredQuotes = { refreshThresholdTicks: params.refreshThresholdTicks, notes };
  if (prices.bid !== undefined) out.up = sizedQuote(input, params, "UP", prices.bid, notes);
  if (prices.ask !== undefined) out.down = sizedQuote(input, params, "DOWN", ONE - prices.ask, notes);
  return out;
};
