import { fillKey, ourFills } from "../../src/protocol/fills";
import { decodeFrame, type ProtocolEvent } from "../../src/protocol/frames";
import { type OrderEvent, parseOrderStatus, type TradeEvent } from "../../src/protocol/user";
import { asyncApiEventExamples, readSample, sampleJson } from "./samples";

const USER_DOC = "polymarket_docs_asyncapi_user_channel.json";

function decodeOne(frame: string): ProtocolEvent {
  const result = decodeFrame(frame);
  expect(result.malformed).toEqual([]);
  expect(result.unknown).toEqual([]);
  expect(result.events).toHaveLength(1);
  return result.events[0]!;
}

function orderFrom(file: string): OrderEvent {
  const event = decodeOne(readSample(file));
  if (event.type !== "order") throw new Error(`${file} is a ${event.type}`);
  return event;
}

function tradeFrom(payload: unknown): TradeEvent {
  const event = decodeOne(JSON.stringify(payload));
  if (event.type !== "trade") throw new Error(`not a trade: ${event.type}`);
  return event;
}

function docsExample(name: string): Record<string, unknown> {
  const example = asyncApiEventExamples(USER_DOC).find((e) => e.name === name);
  if (!example) throw new Error(`no docs example ${name}`);
  return example.payload as Record<string, unknown>;
}

describe("order events", () => {
  it("decodes a placement; null associate_trades and expiration mean none", () => {
    expect(orderFrom("nautilus_ws_user_order_placement_fixture.json")).toMatchObject({
      type: "order",
      orderId: "0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef12",
      updateType: "PLACEMENT",
      status: "LIVE",
      statusReason: undefined,
      side: "BUY",
      price: 500_000,
      originalSize: 100_000_000,
      sizeMatched: 0,
      orderType: "GTC",
      associateTrades: [],
      expirationMs: undefined,
      createdAtMs: 1703875200000,
      timestampMs: 1703875200001,
    });
  });

  it("recognizes updates that arrive without event_type", () => {
    expect(orderFrom("nautilus_ws_user_order_update_fixture.json")).toMatchObject({
      updateType: "UPDATE",
      status: "LIVE",
      sizeMatched: 25_000_000,
      associateTrades: ["trade-0xabcdef1234"],
    });
    expect(orderFrom("nautilus_ws_user_order_matched_fixture.json")).toMatchObject({
      updateType: "UPDATE",
      status: "MATCHED",
      sizeMatched: 100_000_000,
    });
  });

  it("reads the real cancellation's created_at as seconds and expiration '0' as none", () => {
    expect(orderFrom("nautilus_ws_user_order_cancel.json")).toMatchObject({
      updateType: "CANCELLATION",
      status: "CANCELED",
      price: 513_000,
      sizeMatched: 5_000_000,
      createdAtMs: 1725841741000,
      expirationMs: undefined,
      timestampMs: 1725841743272,
      timestampRaw: "1725841743272",
    });
  });

  it("decodes a killed FOK: status with a reason suffix, empty size_matched and created_at", () => {
    expect(orderFrom("nautilus_ws_user_order_fok_killed.json")).toMatchObject({
      updateType: "CANCELLATION",
      status: "CANCELED",
      statusReason: "order couldn't be fully filled. FOK orders are fully filled or killed.",
      orderType: "FOK",
      originalSize: 12_000_000,
      sizeMatched: 0,
      createdAtMs: undefined,
      outcome: undefined,
    });
  });

  it("decodes a venue-side INVALID cancellation", () => {
    expect(orderFrom("nautilus_ws_user_order_venue_cancel_invalid.json")).toMatchObject({
      updateType: "CANCELLATION",
      status: "INVALID",
      statusReason: undefined,
      sizeMatched: 0,
    });
  });

  it("reads the docs example's seconds timestamps as seconds, keeping the raw value", () => {
    const order = decodeOne(JSON.stringify(docsExample("Order placement")));
    expect(order).toMatchObject({
      orderType: "GTD",
      timestampMs: 1672290687000,
      timestampRaw: "1672290687",
      expirationMs: 1234567000,
    });
  });

  it("rejects an unknown status, naming the field", () => {
    const payload = sampleJson("nautilus_ws_user_order_placement_fixture.json");
    const result = decodeFrame(JSON.stringify({ ...payload, status: "PENDING" }));
    expect(result.events).toEqual([]);
    expect(result.malformed).toEqual([
      { eventType: "order", index: undefined, reason: 'status: unknown order status "PENDING"' },
    ]);
  });
});

describe("parseOrderStatus", () => {
  it.each([
    ["LIVE", "LIVE", undefined],
    ["CANCELED_MARKET_RESOLVED", "CANCELED_MARKET_RESOLVED", undefined],
    [
      "CANCELED_MARKET_RESOLVED_resolved at block 12345",
      "CANCELED_MARKET_RESOLVED",
      "resolved at block 12345",
    ],
    ["CANCELED_some other reason", "CANCELED", "some other reason"],
    ["UNMATCHED_insufficient liquidity", "UNMATCHED", "insufficient liquidity"],
  ])("%s", (raw, status, statusReason) => {
    expect(parseOrderStatus(raw)).toEqual({ status, statusReason });
  });

  it.each(["", "PENDING", "LIVELY", "live"])("rejects %j", (raw) => {
    expect(parseOrderStatus(raw)).toBeUndefined();
  });
});

describe("trade events", () => {
  const realTrade = sampleJson("nautilus_ws_user_trade2_matched_taker.json");
  const takerOrderId = "0x5b605a0e8e40f3402d3cb3bc19edad6733ed23fbc079d2a09ee399c3487ace81";
  const makerOrderId = "0xa39ab90ec5515224a2a39c9ef967b51d10bda754902a318cac84135018b5885a";
  const yesToken = "21742633143463906290569050155826241533067272736897614950488156847949938836455";
  const noToken = "48331043336612883890938759509493159234755048973500640148014422747788308965732";

  it("decodes the real taker trade; match_time and last_update are seconds", () => {
    expect(tradeFrom(realTrade)).toMatchObject({
      tradeId: "f50e8ab2-652d-4dc8-9c82-8e46197fe98d",
      takerOrderId,
      assetId: yesToken,
      side: "BUY",
      price: 520_000,
      size: 5_000_000,
      status: "MATCHED",
      traderSide: "TAKER",
      matchTimeMs: 1725958681000,
      lastUpdateMs: 1725958682000,
      timestampMs: 1725958682125,
      bucketIndex: 0,
      makerOrders: [{ orderId: makerOrderId, assetId: yesToken, price: 520_000, matchedAmount: 5_000_000 }],
    });
  });

  it.each(["MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED"])("accepts status %s", (status) => {
    expect(tradeFrom({ ...realTrade, status }).status).toBe(status);
  });

  it("rejects an unknown trade status", () => {
    const result = decodeFrame(JSON.stringify({ ...realTrade, status: "SETTLED" }));
    expect(result.malformed[0]?.reason).toMatch(/^status: Invalid option/);
  });

  it("treats the empty transaction hash of a MATCHED docs trade as none", () => {
    expect(tradeFrom(docsExample("Trade matched")).transactionHash).toBeUndefined();
    expect(tradeFrom(docsExample("Trade confirmed")).transactionHash).toBe("0xabc123...");
  });

  describe("ourFills (src/protocol/fills.ts)", () => {
    it("returns nothing when no order is ours", () => {
      expect(ourFills(tradeFrom(realTrade), new Set(["0xother"]))).toEqual([]);
    });

    it("returns the taker leg on the trade's token when we are the taker", () => {
      const trade = tradeFrom(realTrade);
      expect(ourFills(trade, new Set([takerOrderId]))).toEqual([
        {
          tradeId: "f50e8ab2-652d-4dc8-9c82-8e46197fe98d",
          orderId: takerOrderId,
          tokenId: yesToken,
          side: "BUY",
          role: "TAKER",
          price: 520_000,
          size: 5_000_000,
          feeRate: 0,
          status: trade.status,
          atMs: trade.matchTimeMs,
        },
      ]);
      expect(trade.matchTimeMs).toBeGreaterThan(0);
    });

    it("returns our maker leg on the same token, on the opposite side of the taker", () => {
      const [fill] = ourFills(tradeFrom(realTrade), new Set([makerOrderId]));
      expect(fill).toMatchObject({ role: "MAKER", orderId: makerOrderId, tokenId: yesToken, side: "SELL" });
    });

    it("returns a maker leg on the other outcome's token at that order's own price (a mint)", () => {
      const makerOrders = realTrade.maker_orders as Record<string, unknown>[];
      const mint = {
        ...realTrade,
        maker_orders: [
          { ...makerOrders[0], order_id: "0xourNoBid", asset_id: noToken, outcome: "No", price: "0.48" },
          { ...makerOrders[0], order_id: "0xsomeoneElse", matched_amount: "2" },
        ],
      };
      const trade = tradeFrom(mint);
      expect(ourFills(trade, new Set(["0xourNoBid"]))).toEqual([
        {
          tradeId: "f50e8ab2-652d-4dc8-9c82-8e46197fe98d",
          orderId: "0xourNoBid",
          tokenId: noToken,
          side: "BUY",
          role: "MAKER",
          price: 480_000,
          size: 5_000_000,
          feeRate: 0,
          status: trade.status,
          atMs: trade.matchTimeMs,
        },
      ]);
    });

    it("uses the maker order's own side when the venue sends it", () => {
      const trade = tradeFrom(docsExample("Trade matched"));
      const [fill] = ourFills(trade, new Set([trade.makerOrders[0]!.orderId]));
      expect(fill).toMatchObject({ role: "MAKER", side: "SELL", price: 570_000, size: 10_000_000 });
    });

    it("returns both legs when we are on both sides of the match", () => {
      const fills = ourFills(tradeFrom(realTrade), new Set([takerOrderId, makerOrderId]));
      expect(fills.map((f) => [f.role, f.side])).toEqual([
        ["TAKER", "BUY"],
        ["MAKER", "SELL"],
      ]);
    });

    it("keys a fill by trade and order, whatever its status", () => {
      const matched = ourFills(tradeFrom(realTrade), new Set([takerOrderId]))[0]!;
      const confirmed = ourFills(
        tradeFrom({ ...realTrade, status: "CONFIRMED" }),
        new Set([takerOrderId]),
      )[0]!;
      expect(fillKey(matched)).toBe(`f50e8ab2-652d-4dc8-9c82-8e46197fe98d:${takerOrderId}`);
      expect(fillKey(confirmed)).toBe(fillKey(matched));
    });
  });
});
