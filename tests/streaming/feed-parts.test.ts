import { BookRegistry } from "../../src/book/orderbook";
import type { RestTrade } from "../../src/polymarket/types";
import { fillKey } from "../../src/protocol/fills";
import { decodeFrame } from "../../src/protocol/frames";
import type { OrderEvent, TradeEvent } from "../../src/protocol/user";
import { buildReconcileSnapshot, fillSightingKey, fillsFromTradeEvent } from "../../src/streaming/fills";
import { parseFeedHeartbeatDetails, RESUME_SEQ_MARGIN, resumeLastSeq } from "../../src/streaming/resume";
import { bookTickSizes, buildBookSnapshot, marketTickSize } from "../../src/streaming/snapshot";

const OURS = "our-api-key";
const MARKET = "0xcondition";
const UP = "111";
const DOWN = "222";

function decodeOne<T>(message: object): T {
  const { events, malformed, unknown } = decodeFrame(JSON.stringify(message));
  expect({ malformed, unknown }).toEqual({ malformed: [], unknown: [] });
  expect(events).toHaveLength(1);
  return events[0] as T;
}

function tradeMessage(overrides: Record<string, unknown>) {
  return {
    event_type: "trade",
    type: "TRADE",
    id: "trade-1",
    taker_order_id: "0xtaker",
    market: MARKET,
    asset_id: UP,
    side: "BUY",
    price: "0.55",
    size: "10",
    fee_rate_bps: "700",
    status: "MATCHED",
    trader_side: "TAKER",
    outcome: "Up",
    owner: OURS,
    maker_orders: [
      {
        order_id: "0xmaker-a",
        owner: "someone-else",
        maker_address: "0xa",
        asset_id: UP,
        outcome: "Up",
        side: "SELL",
        price: "0.55",
        matched_amount: "10",
        fee_rate_bps: "0",
      },
    ],
    match_time: "1767225605",
    last_update: "1767225605",
    transaction_hash: "",
    timestamp: "1767225605123",
    ...overrides,
  };
}

describe("our fills from user-channel trades", () => {
  it("takes the taker leg when trader_side is TAKER, with the fee rate in micros", () => {
    const trade = decodeOne<TradeEvent>(tradeMessage({}));
    expect(fillsFromTradeEvent(trade, OURS)).toEqual([
      {
        tradeId: "trade-1",
        orderId: "0xtaker",
        tokenId: UP,
        side: "BUY",
        role: "TAKER",
        price: 550_000,
        size: 10_000_000,
        feeRate: 70_000,
        status: "MATCHED",
        atMs: 1_767_225_605_000,
      },
    ]);
  });

  it("takes only our maker legs when trader_side is MAKER, on whichever token they sit", () => {
    const trade = decodeOne<TradeEvent>(
      tradeMessage({
        trader_side: "MAKER",
        owner: OURS,
        status: "MINED",
        maker_orders: [
          {
            order_id: "0xtheirs",
            owner: "someone-else",
            asset_id: UP,
            side: "SELL",
            price: "0.55",
            matched_amount: "4",
            fee_rate_bps: "0",
          },
          // A complementary match: our BUY of Down at 0.45 filled the taker's BUY of Up at 0.55.
          {
            order_id: "0xours-down",
            owner: OURS,
            asset_id: DOWN,
            price: "0.45",
            matched_amount: "6",
            fee_rate_bps: "0",
          },
        ],
      }),
    );
    expect(fillsFromTradeEvent(trade, OURS)).toEqual([
      {
        tradeId: "trade-1",
        orderId: "0xours-down",
        tokenId: DOWN,
        // No side on the wire: on the complementary token the maker did what the taker did.
        side: "BUY",
        role: "MAKER",
        price: 450_000,
        size: 6_000_000,
        feeRate: 0,
        status: "MINED",
        atMs: 1_767_225_605_000,
      },
    ]);
  });

  it("reports both legs when we are on both sides of a match", () => {
    const trade = decodeOne<TradeEvent>(
      tradeMessage({
        maker_orders: [
          {
            order_id: "0xours-ask",
            owner: OURS,
            asset_id: UP,
            price: "0.55",
            matched_amount: "10",
            side: "SELL",
          },
        ],
      }),
    );
    expect(fillsFromTradeEvent(trade, OURS).map((f) => [f.role, f.orderId, f.side])).toEqual([
      ["TAKER", "0xtaker", "BUY"],
      ["MAKER", "0xours-ask", "SELL"],
    ]);
  });

  it("without trader_side, a trade with no maker leg of ours is ours as the taker", () => {
    const { trader_side: _omit, ...message } = tradeMessage({});
    const trade = decodeOne<TradeEvent>(message);
    expect(fillsFromTradeEvent(trade, OURS).map((f) => f.role)).toEqual(["TAKER"]);
  });

  it("keys a sighting of a fill by the fill (trade and order) and its status", () => {
    const matched = fillsFromTradeEvent(decodeOne<TradeEvent>(tradeMessage({})), OURS)[0]!;
    const mined = fillsFromTradeEvent(decodeOne<TradeEvent>(tradeMessage({ status: "MINED" })), OURS)[0]!;
    expect(fillKey(matched)).toBe("trade-1:0xtaker");
    expect(fillSightingKey(matched)).toBe("trade-1:0xtaker|MATCHED");
    expect(fillKey(mined)).toBe(fillKey(matched));
    expect(fillSightingKey(mined)).not.toBe(fillSightingKey(matched));
  });

  it("decodes an order event, its status's reason stripped", () => {
    const order = decodeOne<OrderEvent>({
      event_type: "order",
      type: "CANCELLATION",
      id: "0xorder",
      owner: OURS,
      market: MARKET,
      asset_id: UP,
      side: "BUY",
      price: "0.5",
      original_size: "10",
      size_matched: "",
      status: "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.",
      timestamp: "1767225605123",
    });
    expect(order).toMatchObject({
      orderId: "0xorder",
      status: "CANCELED",
      sizeMatched: 0,
      timestampMs: 1_767_225_605_123,
    });
  });
});

describe("reconcile snapshots from REST reads", () => {
  const restTrade = (overrides: Partial<RestTrade>): RestTrade => ({
    id: "t1",
    takerOrderId: "0xtaker",
    market: MARKET,
    tokenId: UP,
    side: "BUY",
    size: 5_000_000,
    price: 520_000,
    feeRateBps: 700,
    status: "CONFIRMED",
    matchTime: 1_767_225_605,
    lastUpdate: 1_767_225_612,
    outcome: "Up",
    owner: OURS,
    makerAddress: "0xour-wallet",
    traderSide: "TAKER",
    transactionHash: undefined,
    bucketIndex: 0,
    makerOrders: [
      {
        orderId: "0xm",
        owner: "other",
        makerAddress: "0xother-wallet",
        outcome: "Up",
        matchedAmount: 5_000_000,
        price: 520_000,
        tokenId: UP,
        side: "SELL",
        feeRateBps: 0,
      },
    ],
    ...overrides,
  });

  it("lists open orders and our legs of the market's trades; other markets and unknown statuses are left out", () => {
    const { snapshot, skippedTrades } = buildReconcileSnapshot(
      42,
      MARKET,
      OURS,
      [
        {
          id: "0xo1",
          market: MARKET,
          tokenId: DOWN,
          side: "BUY",
          price: 400_000,
          originalSize: 10_000_000,
          sizeMatched: 2_000_000,
        },
        {
          id: "0xelsewhere",
          market: "0xother",
          tokenId: "9",
          side: "BUY",
          price: 1,
          originalSize: 1,
          sizeMatched: 0,
        },
      ],
      [
        restTrade({}),
        restTrade({ id: "t2", market: "0xother" }),
        restTrade({ id: "t3", status: "WEIRD" }),
        restTrade({
          id: "t4",
          traderSide: "MAKER",
          makerOrders: [
            {
              orderId: "0xours",
              owner: OURS,
              makerAddress: "0xour-wallet",
              outcome: "Down",
              matchedAmount: 3_000_000,
              price: 480_000,
              tokenId: DOWN,
              side: undefined,
              feeRateBps: 0,
            },
          ],
        }),
      ],
    );
    expect(skippedTrades).toEqual(["t3"]);
    expect(snapshot).toEqual({
      atMs: 42,
      openOrders: [
        {
          orderId: "0xo1",
          tokenId: DOWN,
          side: "BUY",
          price: 400_000,
          size: 10_000_000,
          sizeMatched: 2_000_000,
        },
      ],
      fills: [
        {
          tradeId: "t1",
          orderId: "0xtaker",
          tokenId: UP,
          side: "BUY",
          role: "TAKER",
          price: 520_000,
          size: 5_000_000,
          feeRate: 70_000,
          status: "CONFIRMED",
          atMs: 1_767_225_605_000,
        },
        {
          tradeId: "t4",
          orderId: "0xours",
          tokenId: DOWN,
          side: "BUY",
          role: "MAKER",
          price: 480_000,
          size: 3_000_000,
          feeRate: 0,
          status: "CONFIRMED",
          atMs: 1_767_225_605_000,
        },
      ],
    });
  });

  it("gives the same fills for a trade read over REST as for the channel's event (one conversion)", () => {
    const event = decodeOne<TradeEvent>(tradeMessage({ trader_side: "MAKER", status: "MINED" }));
    const makers = event.makerOrders.map((m) => ({ ...m, owner: OURS }));
    const rest = restTrade({
      id: event.tradeId,
      size: event.size,
      price: event.price,
      status: "mined",
      lastUpdate: 1_767_225_605,
      traderSide: "MAKER",
      makerOrders: makers.map((m) => ({
        orderId: m.orderId,
        owner: OURS,
        makerAddress: "0xour-wallet",
        outcome: "Up",
        matchedAmount: m.matchedAmount,
        price: m.price,
        tokenId: m.assetId,
        side: m.side,
        feeRateBps: m.feeRateBps ?? 0,
      })),
    });
    const viaChannel = fillsFromTradeEvent({ ...event, makerOrders: makers }, OURS);
    const { snapshot } = buildReconcileSnapshot(0, MARKET, OURS, [], [rest, rest]);
    expect(viaChannel).toHaveLength(1);
    expect(snapshot.fills).toEqual(viaChannel);
  });
});

describe("book snapshots", () => {
  function registry(): BookRegistry {
    const books = new BookRegistry();
    const frame = JSON.stringify([
      {
        event_type: "book",
        market: MARKET,
        asset_id: UP,
        bids: [
          { price: "0.48", size: "10" },
          { price: "0.5", size: "20" },
          { price: "0.49", size: "5" },
        ],
        asks: [
          { price: "0.53", size: "7" },
          { price: "0.52", size: "3" },
        ],
        timestamp: "1000",
        tick_size: "0.01",
      },
    ]);
    for (const event of decodeFrame(frame).events) books.apply(event);
    return books;
  }

  it("is withheld until both books are in sync, then gives the top levels best first", () => {
    const books = registry();
    const times = { venueAtMs: 1_000, receivedAtMs: 1_005 };
    expect(buildBookSnapshot(books, { up: UP, down: DOWN }, 2, 10_000, times)).toBeUndefined();
    for (const event of decodeFrame(
      JSON.stringify({
        event_type: "book",
        market: MARKET,
        asset_id: DOWN,
        bids: [{ price: "0.47", size: "1" }],
        asks: [],
        timestamp: "1001",
      }),
    ).events) {
      books.apply(event);
    }
    expect(buildBookSnapshot(books, { up: UP, down: DOWN }, 2, 10_000, times)).toEqual({
      venueAtMs: 1_000,
      receivedAtMs: 1_005,
      up: {
        bids: [
          { price: 500_000, size: 20_000_000 },
          { price: 490_000, size: 5_000_000 },
        ],
        asks: [
          { price: 520_000, size: 3_000_000 },
          { price: 530_000, size: 7_000_000 },
        ],
      },
      down: { bids: [{ price: 470_000, size: 1_000_000 }], asks: [] },
      tickSize: 10_000,
    });
  });

  it("reads tick sizes from raw book frames and takes the finer of the two tokens", () => {
    const text = JSON.stringify([
      { event_type: "book", asset_id: UP, bids: [], asks: [], tick_size: "0.001" },
      { event_type: "book", asset_id: DOWN, bids: [], asks: [], tick_size: "bad" },
      { event_type: "price_change", asset_id: DOWN, tick_size: "0.1" },
    ]);
    const ticks = bookTickSizes(text);
    expect([...ticks]).toEqual([[UP, 1_000]]);
    expect(marketTickSize(ticks, { up: UP, down: DOWN }, 10_000)).toBe(1_000);
    expect(marketTickSize(new Map(), { up: UP, down: DOWN }, 10_000)).toBe(10_000);
    expect(bookTickSizes("not json").size).toBe(0);
  });
});

describe("resuming from heartbeat details", () => {
  it("parses what a previous attempt left, and refuses what is unusable", () => {
    expect(parseFeedHeartbeatDetails(undefined)).toBeUndefined();
    expect(parseFeedHeartbeatDetails({ lastSeq: -1 })).toBeUndefined();
    expect(parseFeedHeartbeatDetails({ lastSeq: 7 })).toEqual({
      lastSeq: 7,
      lastReconcileAtMs: null,
      framesReceived: 0,
      atMs: 0,
      tickSizes: {},
    });
    expect(
      parseFeedHeartbeatDetails({
        lastSeq: 7,
        lastReconcileAtMs: 5,
        framesReceived: 9,
        atMs: 100,
        tickSizes: { [UP]: 1_000, [DOWN]: "x" },
      }),
    ).toEqual({ lastSeq: 7, lastReconcileAtMs: 5, framesReceived: 9, atMs: 100, tickSizes: { [UP]: 1_000 } });
  });

  it("starts above every seq the failed attempt can have used since its last heartbeat", () => {
    const details = { lastSeq: 50, lastReconcileAtMs: null, framesReceived: 0, atMs: 10_000, tickSizes: {} };
    // 2.05 s at one send per 100 ms at most: 1 + 21 sends.
    expect(resumeLastSeq(details, 12_050, 100)).toBe(50 + 22 + RESUME_SEQ_MARGIN);
    // A clock behind the heartbeat's still moves on.
    expect(resumeLastSeq(details, 9_000, 100)).toBe(50 + 1 + RESUME_SEQ_MARGIN);
  });
});
