/**
 * The mirrored book (MatchingEngineOptions.mirrored): the real venue's one book per binary market.
 *
 * Up and Down are complements (one Up + one Down is worth exactly 1 pUSD), so the venue keeps ONE book
 * per market, here in Up-price terms:
 *
 *   BUY Up @ p   → a bid at p          SELL Up @ p   → an ask at p
 *   BUY Down @ p → an ask at 1 − p     SELL Down @ p → a bid at 1 − p
 *
 * Every resting order keeps its own token, side and price; only its place in the book is translated.
 * Whatever two orders meet across that book, the pair is consistent: BUY/SELL of one token is a transfer,
 * BUY Up against BUY Down mints a pair, SELL Up against SELL Down merges one (the engine settles each).
 * Down's book is the mirror of the one book: Down's bids are Up's asks at 1 − p, Down's asks Up's bids at
 * 1 − p, with the same sizes and the same best-first order.
 *
 * Pure helpers over ./book.ts; the engine decides when to use them.
 */
import { type Micros, ONE } from "../../money";
import type { BookLevel, Side } from "../types";
import type { BookSide, Level, TokenBook } from "./book";

export type TokenIndex = 0 | 1;

export function flip(side: Side): Side {
  return side === "BUY" ? "SELL" : "BUY";
}

/** A place in a book: the side an order rests on and its price there. */
export interface Place {
  side: Side;
  price: Micros;
}

/** Where an order of token `ti` (0 Up, 1 Down) with `side` and `price` sits in the one book, in Up terms. */
export function mirroredPlace(ti: TokenIndex, side: Side, price: Micros): Place {
  return ti === 0 ? { side, price } : { side: flip(side), price: ONE - price };
}

/**
 * The level `k` places behind the best on the side opposite `at`, if an order at `at` would trade with it
 * (a bid meets asks at or below its price, an ask bids at or above it).
 */
export function crossingLevel<T>(book: TokenBook<T>, at: Place, k = 0): Level<T> | undefined {
  const level = book.side(flip(at.side)).levelAt(k);
  if (!level) return undefined;
  const crosses = at.side === "BUY" ? level.price <= at.price : level.price >= at.price;
  return crosses ? level : undefined;
}

/** Shares resting at prices an order at `at` would trade with, counted up to `need`. */
export function crossingSize<T>(book: TokenBook<T>, at: Place, need: Micros): Micros {
  let sum = 0;
  for (let k = 0; sum < need; k++) {
    const level = crossingLevel(book, at, k);
    if (!level) break;
    sum += level.total;
  }
  return sum;
}

/** What the engine reads of one side of one token's book (views, events, the tick rule). */
export interface SideReader {
  bestPrice(): Micros | null;
  /** Total size resting at `price` (0 when there is no level). */
  sizeAt(price: Micros): Micros;
  /** Up to `depth` levels, best first. */
  snapshot(depth?: number): BookLevel[];
}

/** One side of Down's book seen through the one book: the other side of Up's, at 1 − p. */
export class MirrorSide<T> implements SideReader {
  constructor(private readonly of: BookSide<T>) {}

  bestPrice(): Micros | null {
    const p = this.of.bestPrice();
    return p === null ? null : ONE - p;
  }

  sizeAt(price: Micros): Micros {
    return this.of.sizeAt(ONE - price);
  }

  snapshot(depth = Number.POSITIVE_INFINITY): BookLevel[] {
    return this.of.snapshot(depth).map((l) => ({ price: ONE - l.price, size: l.size }));
  }
}

/**
 * Both tokens' sides as traders see them, [token][BUY, SELL]: two independent books, or (mirrored) the one
 * book in `books[0]` with Down as its mirror (`books[1]` stays empty).
 */
export function sideReaders<T>(
  books: readonly [TokenBook<T>, TokenBook<T>],
  mirrored: boolean,
): [[SideReader, SideReader], [SideReader, SideReader]] {
  const [up, down] = books;
  if (!mirrored) {
    return [
      [up.bids, up.asks],
      [down.bids, down.asks],
    ];
  }
  return [
    [up.bids, up.asks],
    [new MirrorSide(up.asks), new MirrorSide(up.bids)],
  ];
}
