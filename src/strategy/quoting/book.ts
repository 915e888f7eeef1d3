/**
 * One market seen as ONE book on the Up price axis, with our own orders taken out, and the venue's
 * price and size grid for quotes.
 *
 * ## One mirrored book
 *
 * Up and Down settle to 1 pUSD together, so the venue matches them as one book: an incoming BUY of Up
 * at p takes the Up asks at ≤ p and the Down BIDS at ≥ 1 − p (a mint: both buyers pay, one pUSD per pair
 * is locked). A BUY of Down at q is therefore an offer of Up at 1 − q, and a SELL of Down at q a bid for
 * Up at 1 − q. On the Up axis:
 *
 *   bids = Up bids at p  ∪  Down asks at q, seen at 1 − q
 *   asks = Up asks at p  ∪  Down bids at q, seen at 1 − q
 *
 * Ballast's feed lists each token's own orders (the snapshot of src/session/messages.ts; the simulator
 * publishes no mirrored copies), so the two are merged here. Were a feed to list every order in both
 * books, the merge would count it twice: the best prices (all the quote engine uses) are the same, and
 * the depth ratios of the momentum detector are unchanged (both sides of every comparison doubled).
 *
 * ## Our own orders are not the market
 *
 * Quoting "at the best bid" must mean the best bid of the OTHERS: a quote that joins or improves its
 * own resting order would, after an improvement, find itself alone at the top and improve again next
 * cycle, climbing the spread a tick at a time (the seed's pseudocode reads `orderbook.best_bid`, which
 * contains our quote). Our live orders' remaining sizes are subtracted from the levels they rest on.
 *
 * ## The grid
 *
 * A limit order's price must be a multiple of the market's tick (0.01, or 0.001 once a price leaves
 * [0.04, 0.96]; the tick is an input, from the feed's tick_size_change) within [tick, 1 − tick]. Its
 * size has 2 decimals (SHARE_LOT) and, on a limit BUY, the pUSD amount size × price must have at most 4
 * decimals: at tick 0.01 any 2-decimal size does; at tick 0.001 a size must be a multiple of 0.1 share
 * ({@link quoteLot}). (src/protocol/amounts.ts accepts 5 decimals at tick 0.001, after one venue answer;
 * the stricter 4 satisfies both readings.)
 */
import { type Micros, ONE, roundToStep } from "../../money";
import { SHARE_LOT } from "../../protocol/amounts";
import type { MarketBookSnapshot, Outcome, PriceLevel, Side } from "../../session/messages";
import { ladder } from "../arbitrage/types";

/** The finest pUSD step of a limit BUY's amount that Ballast relies on: 4 decimals. */
export const LIMIT_AMOUNT_STEP: Micros = 100;

/** One of our orders resting on the venue, as the user channel / REST report it (micros). */
export interface LiveOrder {
  orderId: string;
  outcome: Outcome;
  side: Side;
  price: Micros;
  /** Original size, shares. */
  size: Micros;
  /** Shares matched so far; the order rests with size − sizeMatched. */
  sizeMatched: Micros;
}

/** The others' liquidity of one market on the Up axis, best level first on each side. */
export interface UpAxisBook {
  tick: Micros;
  /** Descending prices. */
  bids: PriceLevel[];
  /** Ascending prices. */
  asks: PriceLevel[];
}

/** Shares an order still rests with. */
export function remainingShares(order: LiveOrder): Micros {
  return Math.max(0, order.size - order.sizeMatched);
}

/** A token's price seen on the Up axis: Up prices as they are, Down prices as 1 − q. */
export function toUpAxis(outcome: Outcome, price: Micros): Micros {
  return outcome === "UP" ? price : ONE - price;
}

/** An Up-axis price as the token's own price (its own inverse). */
export function fromUpAxis(outcome: Outcome, upPrice: Micros): Micros {
  return outcome === "UP" ? upPrice : ONE - upPrice;
}

/** Which side of the Up-axis book an order of ours sits on: a BUY of Up or a SELL of Down is a bid. */
export function upAxisSide(outcome: Outcome, side: Side): "bid" | "ask" {
  return (outcome === "UP") === (side === "BUY") ? "bid" : "ask";
}

export function floorToTick(price: Micros, tick: Micros): Micros {
  return roundToStep(price, tick, "down");
}

export function ceilToTick(price: Micros, tick: Micros): Micros {
  return roundToStep(price, tick, "up");
}

/** Is `price` a limit price the venue accepts at this tick: on it, within [tick, 1 − tick]? */
export function isValidQuotePrice(price: Micros, tick: Micros): boolean {
  return Number.isSafeInteger(price) && price % tick === 0 && price >= tick && price <= ONE - tick;
}

/**
 * The size step of a limit BUY at this tick: the least multiple of 0.01 share whose product with any
 * on-tick price has at most 4 decimals of pUSD. 0.01 share at tick 0.01, 0.1 share at tick 0.001.
 */
export function quoteLot(tick: Micros): Micros {
  let lot = SHARE_LOT;
  // lot × tick / 10^6 must be a whole multiple of LIMIT_AMOUNT_STEP micros.
  while ((BigInt(lot) * BigInt(tick)) % (BigInt(ONE) * BigInt(LIMIT_AMOUNT_STEP)) !== 0n) lot += SHARE_LOT;
  return lot;
}

/** Rounds a size down to the quote lot of the tick (never below 0). */
export function floorToLot(shares: Micros, tick: Micros): Micros {
  return shares <= 0 ? 0 : roundToStep(shares, quoteLot(tick), "down");
}

/**
 * The market's book on the Up axis (module notes), without the remaining size of our own live orders.
 * Levels with nothing left are dropped; a level our order is not on yet (the snapshot predates it) is
 * left as it is.
 */
export function upAxisBook(snapshot: MarketBookSnapshot, ownOrders: readonly LiveOrder[] = []): UpAxisBook {
  const bids = new Map<Micros, Micros>();
  const asks = new Map<Micros, Micros>();
  const add = (into: Map<Micros, Micros>, levels: readonly PriceLevel[], mirrored: boolean) => {
    for (const l of levels) {
      const price = mirrored ? ONE - l.price : l.price;
      into.set(price, (into.get(price) ?? 0) + l.size);
    }
  };
  add(bids, snapshot.up.bids, false);
  add(bids, snapshot.down.asks, true);
  add(asks, snapshot.up.asks, false);
  add(asks, snapshot.down.bids, true);
  for (const o of ownOrders) {
    const levels = upAxisSide(o.outcome, o.side) === "bid" ? bids : asks;
    const price = toUpAxis(o.outcome, o.price);
    const size = levels.get(price);
    if (size !== undefined) levels.set(price, Math.max(0, size - remainingShares(o)));
  }
  // ladder keeps positive sizes at prices strictly inside (0, 1), best first.
  const toLevels = (m: Map<Micros, Micros>, side: "bids" | "asks") =>
    ladder(
      [...m].map(([price, size]) => ({ price, size })),
      side,
    );
  return { tick: snapshot.tickSize, bids: toLevels(bids, "bids"), asks: toLevels(asks, "asks") };
}

/**
 * Depth near the top of one side: the size at prices within `bandTicks` ticks of `from` on that side's
 * worse side included (bids at ≥ from − band, asks at ≤ from + band).
 */
export function depthNear(
  levels: readonly PriceLevel[],
  side: "bids" | "asks",
  from: Micros,
  bandTicks: number,
  tick: Micros,
): Micros {
  const limit = side === "bids" ? from - bandTicks * tick : from + bandTicks * tick;
  let total = 0;
  for (const l of levels) {
    if (side === "bids" ? l.price >= limit : l.price <= limit) total += l.size;
  }
  return total;
}

/** The others' mid on the Up axis, floored to a micro; undefined unless both sides have a level. */
export function upMid(book: UpAxisBook): Micros | undefined {
  const bid = book.bids[0];
  const ask = book.asks[0];
  if (!bid || !ask) return undefined;
  return Math.floor((bid.price + ask.price) / 2);
}
