/**
 * Two baseline strategies to evaluate the quote engine against, with its interface (desired quotes from
 * state, engine.ts QuoteStrategy), so that any of the three can be selected.
 *
 * Both obey the breaker (nothing in HALTED) and the inventory limits (sizes cut by sizedQuote): those are
 * risk, not strategy. Neither skews, widens or pulls back on momentum.
 *
 * ## "Only 50" ({@link only50Quotes}): the seed's current strategy
 *
 * Post-only BUYs at 0.50 of both Up and Down, ORDER_SIZE pUSD each (20 shares), fire and forget: each
 * outcome is bought once per market; a live order is left alone whatever the book does (`keep`), and once
 * an outcome has been bought (any fill) it is not quoted again.
 *
 * On today's venue the two orders cannot rest together: Up and Down are one mirrored book, so a BUY of
 * Down at 0.50 is an offer of Up at 0.50, exactly at our own BUY of Up (0.50 + 0.50 = 1: a mint). The
 * second post-only order would cross the first and the venue would refuse it. So the baseline places the
 * Up side first and the Down side only once no BUY of Up of ours rests at ≥ 0.50 (filled, or never
 * placed) — which is what the seed's strategy can actually do today. A side whose 0.50 would cross the
 * others' book waits too (post-only would be refused).
 *
 * ## Join-best ({@link joinBestQuotes})
 *
 * A plain symmetric quoter: bid at the others' best bid, ask at their best ask (offset 0, no
 * improvement), ORDER_SIZE per side, and a refresh threshold of 1 tick (it follows every move of the
 * best prices, within the refresh rate limits).
 */
import { type Micros, ONE } from "../../money";
import type { Outcome } from "../../session/messages";
import { leg } from "../arbitrage/position";
import { ceilToTick, floorToTick, upAxisBook } from "./book";
import { type DesiredQuotes, type QuoteStrategy, type SideQuote, sizedQuote } from "./engine";

/** The seed's one price. */
export const ONLY_50_PRICE: Micros = 500_000;

/** The "Only 50" baseline (module notes). */
export const only50Quotes: QuoteStrategy = (input, params) => {
  const notes: string[] = [];
  const out: DesiredQuotes = { refreshThresholdTicks: Number.MAX_SAFE_INTEGER, notes };
  if (input.breaker === "HALTED") {
    notes.push("halted");
    return out;
  }
  const others = upAxisBook(input.book, input.ownOrders);
  const liveBuy = (o: Outcome) => input.ownOrders.filter((x) => x.outcome === o && x.side === "BUY");
  const place: Partial<Record<Outcome, SideQuote>> = {};
  for (const outcome of ["UP", "DOWN"] as const) {
    if (liveBuy(outcome).length > 0) {
      out[outcome === "UP" ? "up" : "down"] = { kind: "keep" };
      continue;
    }
    if (leg(input.inventory, outcome).boughtShares > 0) {
      notes.push(`${outcome}: already bought (fire and forget)`);
      continue;
    }
    // A BUY of Up at 0.50 crosses asks at ≤ 0.50; a BUY of Down at 0.50 crosses bids at ≥ 0.50 (Up axis).
    const crossesBook =
      outcome === "UP"
        ? others.asks[0] !== undefined && others.asks[0].price <= ONLY_50_PRICE
        : others.bids[0] !== undefined && others.bids[0].price >= ONLY_50_PRICE;
    // Our own BUY of the other outcome at ≥ 0.50 sums with this one to ≥ 1: the two would match.
    const crossesOurs = liveBuy(outcome === "UP" ? "DOWN" : "UP").some((o) => o.price >= ONE - ONLY_50_PRICE);
    if (crossesBook || crossesOurs) {
      notes.push(`${outcome}: 0.50 would cross ${crossesOurs ? "our own order" : "the book"}; waiting`);
      continue;
    }
    place[outcome] = sizedQuote(input, params, outcome, ONLY_50_PRICE, notes);
  }
  if (place.UP !== undefined) out.up = place.UP;
  if (place.DOWN !== undefined) {
    if (place.UP !== undefined) {
      notes.push("DOWN: 0.50 would cross our own BUY of Up at 0.50 (one mirrored book); waiting");
    } else {
      out.down = place.DOWN;
    }
  }
  return out;
};

/** The join-best symmetric baseline (module notes). */
export const joinBestQuotes: QuoteStrategy = (input, params) => {
  const notes: string[] = [];
  const out: DesiredQuotes = { refreshThresholdTicks: 1, notes };
  if (input.breaker === "HALTED") {
    notes.push("halted");
    return out;
  }
  const book = upAxisBook(input.book, input.ownOrders);
  const tick = book.tick;
  const bestBid = book.bids[0];
  const bestAsk = book.asks[0];
  if (!bestBid || !bestAsk) {
    notes.push("one-sided book");
    return out;
  }
  const bid = floorToTick(bestBid.price, tick);
  const ask = ceilToTick(bestAsk.price, tick);
  if (ask <= bid) {
    notes.push("crossed book");
    return out;
  }
  if (bid >= tick) out.up = sizedQuote(input, params, "UP", bid, notes);
  if (ask <= ONE - tick) out.down = sizedQuote(input, params, "DOWN", ONE - ask, notes);
  return out;
};
