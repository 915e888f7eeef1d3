/**
 * L2 order books built from the market channel: one OrderBook per token, a BookRegistry for all of them.
 *
 * A book is only trustworthy between a `book` snapshot and the next `tick_size_change`: a tick change moves
 * the token onto a new price grid, so the book is dropped and level updates are ignored until the venue's
 * next snapshot. A book that has not seen a snapshot yet is likewise out of sync (`isSynced` false).
 */
import { type Micros, mulMicros, type Rounding } from "../money";
import type { ProtocolEvent } from "../protocol/frames";
import type { PriceLevel } from "../protocol/market";
import type { Side } from "../protocol/vocabulary";
import { comparePrices, insertAt, levelIndex } from "./levels";

interface Sweep {
  /** Shares the book can fill, at most the shares asked for. */
  filled: Micros;
  notional: Micros;
  /** Price of the last level touched; undefined when nothing fills. */
  worstPrice: Micros | undefined;
}

/** What buying a number of shares from the asks would take. */
export interface BuyCost {
  /** Shares the asks can fill, at most the shares asked for. */
  filled: Micros;
  /** pUSD paid for the filled shares. */
  cost: Micros;
  /** Price of the last ask level touched; undefined when nothing fills. */
  worstPrice: Micros | undefined;
}

/** What selling a number of shares into the bids would bring. */
export interface SellProceeds {
  /** Shares the bids can absorb, at most the shares offered. */
  filled: Micros;
  /** pUSD received for the filled shares. */
  proceeds: Micros;
  /** Price of the last bid level touched; undefined when nothing fills. */
  worstPrice: Micros | undefined;
}

/**
 * One side of a book as parallel arrays sorted from worst to best price, so the best level is last
 * (./levels.ts, the sorted levels shared with the simulator's matching engine).
 */
class BookSide {
  private prices: Micros[] = [];
  private sizes: Micros[] = [];

  constructor(private readonly isBid: boolean) {}

  /** Negative when `a` is a worse price than `b` for this side. */
  private compare(a: Micros, b: Micros): number {
    return comparePrices(this.isBid, a, b);
  }

  /** Sets the total size at `price`; 0 removes the level. */
  set(price: Micros, size: Micros): void {
    const index = levelIndex(this.prices, price, this.isBid);
    const exists = this.prices[index] === price;
    if (size === 0) {
      if (exists) {
        this.prices.splice(index, 1);
        this.sizes.splice(index, 1);
      }
    } else if (exists) {
      this.sizes[index] = size;
    } else {
      insertAt(this.prices, index, price);
      insertAt(this.sizes, index, size);
    }
  }

  /** Replaces every level, whatever order they come in; a repeated price keeps its last size. */
  replace(levels: readonly PriceLevel[]): void {
    const sizeByPrice = new Map<Micros, Micros>();
    for (const level of levels) sizeByPrice.set(level.price, level.size);
    const prices = [...sizeByPrice.keys()].filter((price) => sizeByPrice.get(price)! > 0);
    prices.sort((a, b) => this.compare(a, b));
    this.prices = prices;
    this.sizes = prices.map((price) => sizeByPrice.get(price)!);
  }

  clear(): void {
    this.prices = [];
    this.sizes = [];
  }

  best(): PriceLevel | undefined {
    const last = this.prices.length - 1;
    return last < 0 ? undefined : { price: this.prices[last]!, size: this.sizes[last]! };
  }

  /** Up to `count` levels, best first. */
  top(count: number): PriceLevel[] {
    const levels: PriceLevel[] = [];
    for (let i = this.prices.length - 1; i >= 0 && levels.length < count; i--) {
      levels.push({ price: this.prices[i]!, size: this.sizes[i]! });
    }
    return levels;
  }

  /** Total size at prices at least as good as `limit` (for bids: at or above; for asks: at or below). */
  sizeAtOrBetter(limit: Micros): Micros {
    let total = 0;
    for (let i = this.prices.length - 1; i >= 0 && this.compare(this.prices[i]!, limit) >= 0; i--) {
      total += this.sizes[i]!;
    }
    return total;
  }

  /** Takes up to `shares` from the best level outward; each level's notional is rounded as asked. */
  sweep(shares: Micros, rounding: Rounding): Sweep {
    let filled = 0;
    let notional = 0;
    let worstPrice: Micros | undefined;
    for (let i = this.prices.length - 1; i >= 0 && filled < shares; i--) {
      const take = Math.min(shares - filled, this.sizes[i]!);
      worstPrice = this.prices[i]!;
      filled += take;
      notional += mulMicros(take, worstPrice, rounding);
    }
    return { filled, notional, worstPrice };
  }
}

/** The L2 book of one token. Prices and sizes are micros. */
export class OrderBook {
  private readonly bids = new BookSide(true);
  private readonly asks = new BookSide(false);
  private synced = false;
  private currentTickSize: Micros | undefined;

  constructor(readonly assetId: string) {}

  /** True between a snapshot and the next tick-size change; level updates are ignored otherwise. */
  get isSynced(): boolean {
    return this.synced;
  }

  /** The tick announced by the last tick_size_change, if any. */
  get tickSize(): Micros | undefined {
    return this.currentTickSize;
  }

  applySnapshot(bids: readonly PriceLevel[], asks: readonly PriceLevel[]): void {
    this.bids.replace(bids);
    this.asks.replace(asks);
    this.synced = true;
  }

  /**
   * Sets the total size at one price (BUY: a bid level, SELL: an ask level); size 0 removes the level.
   * Returns false, changing nothing, while the book is out of sync.
   */
  applyLevel(side: Side, price: Micros, size: Micros): boolean {
    if (!this.synced) return false;
    (side === "BUY" ? this.bids : this.asks).set(price, size);
    return true;
  }

  /** Drops the book on a tick-size change; it stays empty and out of sync until the next snapshot. */
  resetForTickSize(newTickSize: Micros): void {
    this.bids.clear();
    this.asks.clear();
    this.synced = false;
    this.currentTickSize = newTickSize;
  }

  bestBid(): PriceLevel | undefined {
    return this.bids.best();
  }

  bestAsk(): PriceLevel | undefined {
    return this.asks.best();
  }

  /** Up to `count` bid levels, best (highest) first. */
  topBids(count: number): PriceLevel[] {
    return this.bids.top(count);
  }

  /** Up to `count` ask levels, best (lowest) first. */
  topAsks(count: number): PriceLevel[] {
    return this.asks.top(count);
  }

  /** Shares offered at or below `limitPrice`: what a buy limited to that price could take. */
  sizeAvailableToBuy(limitPrice: Micros): Micros {
    return this.asks.sizeAtOrBetter(limitPrice);
  }

  /** Shares bid at or above `limitPrice`: what a sell limited to that price could hit. */
  sizeAvailableToSell(limitPrice: Micros): Micros {
    return this.bids.sizeAtOrBetter(limitPrice);
  }

  /**
   * Walks the asks, best first, to buy `shares`. Each level's cost is rounded up to the micro, which is exact
   * for the venue's sizes (2 decimals) and prices (at most 4): their products have at most 6 decimals.
   */
  costToBuy(shares: Micros): BuyCost {
    const { filled, notional, worstPrice } = this.asks.sweep(shares, "up");
    return { filled, cost: notional, worstPrice };
  }

  /** Walks the bids, best first, to sell `shares`; each level's proceeds are rounded down to the micro. */
  proceedsToSell(shares: Micros): SellProceeds {
    const { filled, notional, worstPrice } = this.bids.sweep(shares, "down");
    return { filled, proceeds: notional, worstPrice };
  }
}

/** A token's best prices after an event, as BookRegistry.apply reports them. */
export interface TopOfBook {
  assetId: string;
  bestBid: Micros | undefined;
  bestAsk: Micros | undefined;
  synced: boolean;
}

/** All books by token id, fed with decoded events. */
export class BookRegistry {
  private readonly books = new Map<string, OrderBook>();

  get(assetId: string): OrderBook | undefined {
    return this.books.get(assetId);
  }

  /**
   * Applies an event to the books. For book-changing events (book, price_change, tick_size_change) returns
   * the top of every book the event touched, in the order first touched; for other events returns [].
   */
  apply(event: ProtocolEvent): TopOfBook[] {
    switch (event.type) {
      case "book":
        this.bookFor(event.assetId).applySnapshot(event.bids, event.asks);
        return [this.topOf(event.assetId)];
      case "tick_size_change":
        this.bookFor(event.assetId).resetForTickSize(event.newTickSize);
        return [this.topOf(event.assetId)];
      case "price_change": {
        const touched = new Set<string>();
        for (const change of event.changes) {
          this.bookFor(change.assetId).applyLevel(change.side, change.price, change.size);
          touched.add(change.assetId);
        }
        return [...touched].map((assetId) => this.topOf(assetId));
      }
      default:
        return [];
    }
  }

  private bookFor(assetId: string): OrderBook {
    let book = this.books.get(assetId);
    if (!book) {
      book = new OrderBook(assetId);
      this.books.set(assetId, book);
    }
    return book;
  }

  private topOf(assetId: string): TopOfBook {
    const book = this.bookFor(assetId);
    return {
      assetId,
      bestBid: book.bestBid()?.price,
      bestAsk: book.bestAsk()?.price,
      synced: book.isSynced,
    };
  }
}
