/**
 * The sorted price levels of one side of a book, shared by the books built from the market channel
 * (./orderbook.ts) and the simulator's matching engine (src/venue/engine/book.ts): prices kept worst first,
 * so the best level is last. Most updates land near the top of the book, where inserting or removing moves
 * the fewest elements (the venue lists its snapshots the same way: bids ascending, asks descending).
 *
 * Pure: plain arrays of micros, no imports beyond the money type (the simulator may import this; nothing
 * here imports the simulator).
 */
import type { Micros } from "../money";

/** Negative when `a` is a worse price than `b` for the side (bids: lower is worse; asks: higher). */
export function comparePrices(isBid: boolean, a: Micros, b: Micros): number {
  return isBid ? a - b : b - a;
}

/** Index of `price` in `prices` (sorted worst first for the side), or where it would be inserted. */
export function levelIndex(prices: readonly Micros[], price: Micros, isBid: boolean): number {
  let low = 0;
  let high = prices.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (comparePrices(isBid, prices[mid]!, price) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Inserts `item` at `index` of `items`; at the end (the best level, the common case) a plain push. */
export function insertAt<T>(items: T[], index: number, item: T): void {
  if (index === items.length) items.push(item);
  else items.splice(index, 0, item);
}
