import fc from "fast-check";
import { BookRegistry, OrderBook } from "../../src/book/orderbook";
import type { Micros } from "../../src/money";
import { decodeFrame, type ProtocolEvent } from "../../src/protocol/frames";
import type { PriceLevel } from "../../src/protocol/market";
import type { Side } from "../../src/protocol/vocabulary";
import { asyncApiEventExamples, REST_BOOK_SAMPLE, readSample, sampleJson } from "./samples";

const MARKET_DOC = "polymarket_docs_asyncapi_market_channel.json";

function decodeEvents(payload: unknown): ProtocolEvent[] {
  const result = decodeFrame(typeof payload === "string" ? payload : JSON.stringify(payload));
  expect(result.malformed).toEqual([]);
  return result.events;
}

/** The real REST book: bids ascending 0.01…0.1, asks descending 0.98…0.14. */
function realBook(): { registry: BookRegistry; book: OrderBook; assetId: string } {
  const registry = new BookRegistry();
  const [event] = decodeEvents(readSample(REST_BOOK_SAMPLE));
  registry.apply(event!);
  const assetId = (event as { assetId: string }).assetId;
  return { registry, book: registry.get(assetId)!, assetId };
}

function priceChange(assetId: string, changes: [Side, string, string][]): ProtocolEvent {
  const [event] = decodeEvents({
    event_type: "price_change",
    market: "0x1a4f04c2e6c000d9fc524eb12e7333217411a226c34745af140f195c0227cd5f",
    timestamp: "1728799419000",
    price_changes: changes.map(([side, price, size]) => ({
      asset_id: assetId,
      side,
      price,
      size,
      hash: "0x",
    })),
  });
  return event!;
}

function prices(levels: PriceLevel[]): Micros[] {
  return levels.map((level) => level.price);
}

describe("OrderBook from real snapshots", () => {
  it("finds the best levels whatever order the venue lists them in", () => {
    const { book } = realBook();
    expect(book.isSynced).toBe(true);
    expect(book.bestBid()).toEqual({ price: 100_000, size: 125_000_000 });
    expect(book.bestAsk()).toEqual({ price: 140_000, size: 705_000_000 });
    expect(prices(book.topBids(3))).toEqual([100_000, 90_000, 80_000]);
    expect(prices(book.topAsks(3))).toEqual([140_000, 200_000, 380_000]);
    expect(book.topAsks(100)).toHaveLength(7);
  });

  it("handles the docs snapshot, whose asks are ascending", () => {
    const registry = new BookRegistry();
    const [example] = asyncApiEventExamples(MARKET_DOC).filter((e) => e.eventType === "book");
    const [event] = decodeEvents(example!.payload);
    expect(registry.apply(event!)).toEqual([
      {
        assetId: "65818619657568813474341868652308942079804919287380422192892211131408793125422",
        bestBid: 500_000,
        bestAsk: 520_000,
        synced: true,
      },
    ]);
  });

  it("answers depth queries", () => {
    const { book } = realBook();
    expect(book.sizeAvailableToBuy(200_000)).toBe(775_000_000);
    expect(book.sizeAvailableToBuy(139_999)).toBe(0);
    expect(book.sizeAvailableToSell(90_000)).toBe(419_000_000);
    expect(book.sizeAvailableToSell(100_001)).toBe(0);
  });

  it("walks the asks to price a buy", () => {
    const { book } = realBook();
    // 705 @ 0.14 + 70 @ 0.2 + 25 @ 0.38 = 98.7 + 14 + 9.5
    expect(book.costToBuy(800_000_000)).toEqual({
      filled: 800_000_000,
      cost: 122_200_000,
      worstPrice: 380_000,
    });
    expect(book.costToBuy(0)).toEqual({ filled: 0, cost: 0, worstPrice: undefined });
    const all = book.costToBuy(1_000_000_000_000);
    expect(all.filled).toBe(6_057_300_000);
    expect(all.worstPrice).toBe(980_000);
  });

  it("walks the bids to price a sell", () => {
    const { book } = realBook();
    // 125 @ 0.1 + 294 @ 0.09 + 1 @ 0.08 = 12.5 + 26.46 + 0.08
    expect(book.proceedsToSell(420_000_000)).toEqual({
      filled: 420_000_000,
      proceeds: 39_040_000,
      worstPrice: 80_000,
    });
  });

  it("rounds a level's cost up when buying and its proceeds down when selling", () => {
    const book = new OrderBook("token");
    book.applySnapshot([{ price: 510_000, size: 10_000_000 }], [{ price: 510_000, size: 10_000_000 }]);
    expect(book.costToBuy(1).cost).toBe(1);
    expect(book.proceedsToSell(1).proceeds).toBe(0);
  });
});

describe("level updates", () => {
  it("sets the new total at a price, and size 0 removes the level", () => {
    const { registry, book, assetId } = realBook();
    expect(registry.apply(priceChange(assetId, [["SELL", "0.14", "0"]]))).toEqual([
      { assetId, bestBid: 100_000, bestAsk: 200_000, synced: true },
    ]);
    registry.apply(
      priceChange(assetId, [
        ["BUY", "0.11", "40"],
        ["BUY", "0.1", "5"],
      ]),
    );
    expect(book.topBids(2)).toEqual([
      { price: 110_000, size: 40_000_000 },
      { price: 100_000, size: 5_000_000 },
    ]);
    registry.apply(priceChange(assetId, [["BUY", "0.5", "0"]]));
    expect(book.topBids(10)).toHaveLength(6);
  });

  it("reports the top of each token a multi-token price_change touched", () => {
    const registry = new BookRegistry();
    const [event] = decodeEvents(readSample("nautilus_ws_price_change_two_assets_fixture.json"));
    expect(registry.apply(event!).map((top) => [top.assetId.slice(0, 6), top.synced])).toEqual([
      ["713210", false],
      ["521143", false],
    ]);
  });

  it("returns nothing for events that do not change a book", () => {
    const registry = new BookRegistry();
    for (const file of ["nautilus_ws_last_trade_price.json", "nautilus_ws_user_order_cancel.json"]) {
      const [event] = decodeEvents(readSample(file));
      expect(registry.apply(event!)).toEqual([]);
    }
  });
});

describe("tick-size epochs", () => {
  it("ignores level updates before the first snapshot", () => {
    const book = new OrderBook("token");
    expect(book.isSynced).toBe(false);
    expect(book.applyLevel("BUY", 500_000, 1_000_000)).toBe(false);
    expect(book.bestBid()).toBeUndefined();
  });

  it("drops the book on a tick-size change and ignores updates until the next snapshot", () => {
    const registry = new BookRegistry();
    const snapshot = sampleJson("nautilus_ws_book_fixture.json");
    const assetId = snapshot.asset_id as string;
    registry.apply(decodeEvents(snapshot)[0]!);

    const [tickChange] = decodeEvents(readSample("nautilus_ws_tick_size_change_fixture.json"));
    expect(registry.apply(tickChange!)).toEqual([
      { assetId, bestBid: undefined, bestAsk: undefined, synced: false },
    ]);
    const book = registry.get(assetId)!;
    expect(book.tickSize).toBe(10_000);

    registry.apply(priceChange(assetId, [["BUY", "0.5", "10"]]));
    expect(book.bestBid()).toBeUndefined();

    registry.apply(decodeEvents({ ...snapshot, timestamp: "1703875211000" })[0]!);
    expect(book.isSynced).toBe(true);
    registry.apply(priceChange(assetId, [["BUY", "0.5", "10"]]));
    expect(book.bestBid()).toEqual({ price: 500_000, size: 10_000_000 });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property: the book equals a plain reference model after any sequence of operations.

type Op =
  | { kind: "snapshot"; bids: PriceLevel[]; asks: PriceLevel[] }
  | { kind: "level"; side: Side; price: Micros; size: Micros }
  | { kind: "tick" };

/** A small price grid (cents 1..20) so that updates often hit existing levels. */
const price = fc.integer({ min: 1, max: 20 }).map((cents) => cents * 10_000);
const size = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 100_000 }).map((lots) => lots * 10_000),
);
const level = fc.record({ price, size });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("snapshot" as const),
      bids: fc.array(level),
      asks: fc.array(level),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("level" as const),
      side: fc.constantFrom<Side>("BUY", "SELL"),
      price,
      size,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "tick" as const }) },
);

class ReferenceBook {
  bids = new Map<Micros, Micros>();
  asks = new Map<Micros, Micros>();
  synced = false;

  apply(operation: Op): void {
    if (operation.kind === "snapshot") {
      this.bids = new Map(operation.bids.map((l) => [l.price, l.size]));
      this.asks = new Map(operation.asks.map((l) => [l.price, l.size]));
      this.synced = true;
    } else if (operation.kind === "tick") {
      this.bids.clear();
      this.asks.clear();
      this.synced = false;
    } else if (this.synced) {
      (operation.side === "BUY" ? this.bids : this.asks).set(operation.price, operation.size);
    }
  }

  /** Non-empty levels, best first. */
  levels(side: Side): PriceLevel[] {
    const levels = [...(side === "BUY" ? this.bids : this.asks)]
      .filter(([, s]) => s > 0)
      .map(([p, s]) => ({ price: p, size: s }));
    return levels.sort((a, b) => (side === "BUY" ? b.price - a.price : a.price - b.price));
  }
}

function applyOp(book: OrderBook, operation: Op): void {
  if (operation.kind === "snapshot") book.applySnapshot(operation.bids, operation.asks);
  else if (operation.kind === "tick") book.resetForTickSize(10_000);
  else book.applyLevel(operation.side, operation.price, operation.size);
}

/** Exact cost of buying `shares` from best-first asks (prices and sizes on the cent grid multiply exactly). */
function referenceCost(asks: PriceLevel[], shares: Micros): { filled: Micros; cost: Micros } {
  let filled = 0;
  let cost = 0n;
  for (const ask of asks) {
    const take = Math.min(shares - filled, ask.size);
    if (take <= 0) break;
    filled += take;
    cost += BigInt(take) * BigInt(ask.price);
  }
  return { filled, cost: Number(cost / 1_000_000n) };
}

describe("OrderBook properties", () => {
  it("matches a reference model after any sequence of snapshots, updates and tick changes", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), price, size, (ops, limit, shares) => {
        const book = new OrderBook("token");
        const model = new ReferenceBook();
        for (const operation of ops) {
          applyOp(book, operation);
          model.apply(operation);
          expect(book.isSynced).toBe(model.synced);
          expect(book.topBids(Number.MAX_SAFE_INTEGER)).toEqual(model.levels("BUY"));
          expect(book.topAsks(Number.MAX_SAFE_INTEGER)).toEqual(model.levels("SELL"));
        }
        const asks = model.levels("SELL");
        const bids = model.levels("BUY");
        const sum = (levels: PriceLevel[]) => levels.reduce((total, l) => total + l.size, 0);
        expect(book.sizeAvailableToBuy(limit)).toBe(sum(asks.filter((l) => l.price <= limit)));
        expect(book.sizeAvailableToSell(limit)).toBe(sum(bids.filter((l) => l.price >= limit)));
        const { filled, cost } = book.costToBuy(shares);
        expect({ filled, cost }).toEqual(referenceCost(asks, shares));
      }),
    );
  });

  it("keeps the best bid above every other bid and the best ask below every other ask", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const book = new OrderBook("token");
        for (const operation of ops) applyOp(book, operation);
        const bids = book.topBids(Number.MAX_SAFE_INTEGER);
        const asks = book.topAsks(Number.MAX_SAFE_INTEGER);
        for (const bid of bids.slice(1)) expect(book.bestBid()!.price).toBeGreaterThan(bid.price);
        for (const ask of asks.slice(1)) expect(book.bestAsk()!.price).toBeLessThan(ask.price);
        expect(book.bestBid()).toEqual(bids[0]);
        expect(book.bestAsk()).toEqual(asks[0]);
      }),
    );
  });
});
