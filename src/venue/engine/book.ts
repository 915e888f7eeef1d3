/**
 * Price levels for the matching engine: one BookSide per (token, side), each a sorted array of prices
 * (worst first, so the best level is last and popping it is O(1)) plus a map from price to Level, and each
 * Level a FIFO of orders as a doubly linked list (O(1) append, O(1) removal of any order by its node).
 *
 * Finding or creating a level is a binary search (O(log levels); src/book/levels.ts, shared with the books
 * built from the market channel); inserting or dropping a level that is not the best moves at most the
 * levels behind it, and with a few hundred ticks per token that is negligible.
 * Nothing here scans orders: totals are kept per level as orders are added, filled and removed.
 */
import { insertAt, levelIndex } from "../../book/levels";
import type { Micros } from "../../money";
import type { BookLevel, Side } from "../types";

/** One order's place in a level's queue. */
export class LevelNode<T> {
  prev: LevelNode<T> | null = null;
  next: LevelNode<T> | null = null;

  constructor(
    readonly value: T,
    readonly level: Level<T>,
  ) {}
}

/** All resting orders at one price, oldest first. */
export class Level<T> {
  /** Sum of the unfilled sizes of the orders in the queue. */
  total: Micros = 0;
  count = 0;
  head: LevelNode<T> | null = null;
  tail: LevelNode<T> | null = null;

  constructor(readonly price: Micros) {}

  push(value: T, size: Micros): LevelNode<T> {
    const node = new LevelNode(value, this);
    node.prev = this.tail;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.count += 1;
    this.total += size;
    return node;
  }

  unlink(node: LevelNode<T>, size: Micros): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = null;
    node.next = null;
    this.count -= 1;
    this.total -= size;
  }

  *values(): IterableIterator<T> {
    for (let n = this.head; n; n = n.next) yield n.value;
  }
}

export class BookSide<T> {
  /** Worst to best: ascending for bids, descending for asks. */
  private readonly prices: Micros[] = [];
  private readonly levels = new Map<Micros, Level<T>>();

  constructor(readonly side: Side) {}

  get isBid(): boolean {
    return this.side === "BUY";
  }

  /** Number of price levels. */
  get depth(): number {
    return this.prices.length;
  }

  bestPrice(): Micros | null {
    return this.prices[this.prices.length - 1] ?? null;
  }

  /** Total unfilled size at `price` (0 when there is no level). */
  sizeAt(price: Micros): Micros {
    return this.levels.get(price)?.total ?? 0;
  }

  best(): Level<T> | undefined {
    const price = this.prices[this.prices.length - 1];
    return price === undefined ? undefined : this.levels.get(price);
  }

  /** The level `k` places behind the best (0 is the best). */
  levelAt(k: number): Level<T> | undefined {
    const price = this.prices[this.prices.length - 1 - k];
    return price === undefined ? undefined : this.levels.get(price);
  }

  get(price: Micros): Level<T> | undefined {
    return this.levels.get(price);
  }

  /** Appends an order at `price` (behind every order already there). */
  add(price: Micros, value: T, size: Micros): LevelNode<T> {
    let level = this.levels.get(price);
    if (!level) {
      level = new Level<T>(price);
      this.levels.set(price, level);
      insertAt(this.prices, levelIndex(this.prices, price, this.isBid), price);
    }
    return level.push(value, size);
  }

  /** Removes an order whose unfilled size is `size`; drops its level when it empties. */
  remove(node: LevelNode<T>, size: Micros): void {
    const level = node.level;
    level.unlink(node, size);
    if (level.count === 0) this.dropLevel(level.price);
  }

  /** An order at `node` was partly filled by `filled` shares. */
  reduce(node: LevelNode<T>, filled: Micros): void {
    node.level.total -= filled;
  }

  private dropLevel(price: Micros): void {
    this.levels.delete(price);
    const last = this.prices.length - 1;
    if (this.prices[last] === price) {
      this.prices.pop();
      return;
    }
    const at = levelIndex(this.prices, price, this.isBid);
    if (this.prices[at] === price) this.prices.splice(at, 1);
  }

  /** Up to `depth` levels, best first. */
  snapshot(depth = Number.POSITIVE_INFINITY): BookLevel[] {
    const out: BookLevel[] = [];
    for (let i = this.prices.length - 1; i >= 0 && out.length < depth; i--) {
      const price = this.prices[i]!;
      out.push({ price, size: this.levels.get(price)!.total });
    }
    return out;
  }
}

/** The two sides of one token's book. */
export class TokenBook<T> {
  readonly bids = new BookSide<T>("BUY");
  readonly asks = new BookSide<T>("SELL");

  side(side: Side): BookSide<T> {
    return side === "BUY" ? this.bids : this.asks;
  }

  bestBid(): Micros | null {
    return this.bids.best()?.price ?? null;
  }

  bestAsk(): Micros | null {
    return this.asks.best()?.price ?? null;
  }
}
