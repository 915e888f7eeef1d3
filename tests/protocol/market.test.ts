import { type DecodeResult, decodeFrame, type ProtocolEvent } from "../../src/protocol/frames";
import { epochMs } from "../../src/protocol/market";
import {
  ASYNCAPI_DOCS,
  asyncApiEventExamples,
  asyncApiExamples,
  asyncApiHeartbeats,
  REST_BOOK_SAMPLE,
  readSample,
  sampleLine,
  WS_SAMPLE_TYPES,
  wsSampleFiles,
} from "./samples";

function onlyEvent(result: DecodeResult): ProtocolEvent {
  expect(result.unknown).toEqual([]);
  expect(result.malformed).toEqual([]);
  expect(result.events).toHaveLength(1);
  return result.events[0]!;
}

function decodeSample<T extends ProtocolEvent["type"]>(
  file: string,
  type: T,
): Extract<ProtocolEvent, { type: T }> {
  const event = onlyEvent(decodeFrame(readSample(file)));
  expect(event.type).toBe(type);
  return event as Extract<ProtocolEvent, { type: T }>;
}

describe("websocket samples", () => {
  it("lists every websocket sample in the folder", () => {
    expect(Object.keys(WS_SAMPLE_TYPES).sort()).toEqual(wsSampleFiles());
  });

  it.each(Object.entries(WS_SAMPLE_TYPES))("%s decodes to %s", (file, type) => {
    expect(onlyEvent(decodeFrame(readSample(file))).type).toBe(type);
    expect(onlyEvent(decodeFrame(sampleLine(file))).type).toBe(type);
  });
});

describe("AsyncAPI docs examples", () => {
  const events = ASYNCAPI_DOCS.flatMap((doc) => asyncApiEventExamples(doc).map((e) => ({ doc, ...e })));

  it("has an example for all seven market events and both user events", () => {
    expect(new Set(events.map((e) => e.eventType))).toEqual(
      new Set([
        "book",
        "price_change",
        "last_trade_price",
        "tick_size_change",
        "best_bid_ask",
        "new_market",
        "market_resolved",
        "order",
        "trade",
      ]),
    );
  });

  it.each(events.map((e) => [e.message, e.name, e.eventType, e.payload] as const))(
    "%s example %j decodes to %s",
    (_message, _name, eventType, payload) => {
      expect(onlyEvent(decodeFrame(JSON.stringify(payload))).type).toBe(eventType);
    },
  );

  it("does not mistake the client's subscription requests for events", () => {
    const requests = ASYNCAPI_DOCS.flatMap(asyncApiExamples).filter((e) => e.message.includes("ubscription"));
    expect(requests.length).toBeGreaterThanOrEqual(8);
    for (const request of requests) {
      const result = decodeFrame(JSON.stringify(request.payload));
      expect(result.events).toEqual([]);
      expect(result.malformed).toEqual([]);
      expect(result.unknown).toHaveLength(1);
    }
  });

  it.each(ASYNCAPI_DOCS)("recognizes the heartbeats of %s as control frames", (doc) => {
    const heartbeats = asyncApiHeartbeats(doc);
    expect(heartbeats.sort()).toEqual(["PING", "PONG"]);
    for (const text of heartbeats) {
      expect(decodeFrame(text)).toEqual({ control: text, events: [], unknown: [], malformed: [] });
    }
  });
});

describe("book", () => {
  it("normalizes levels to micros in the venue's order", () => {
    const book = decodeSample("nautilus_ws_book_fixture.json", "book");
    expect(book).toMatchObject({
      market: "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917",
      assetId: "71321045679252212594626385532706912750332728571942532289631379312455583992563",
      bids: [
        { price: 500_000, size: 200_000_000 },
        { price: 490_000, size: 350_000_000 },
      ],
      asks: [
        { price: 510_000, size: 150_000_000 },
        { price: 520_000, size: 250_000_000 },
      ],
      hash: undefined,
      timestampMs: 1703875200000,
      timestampRaw: "1703875200000",
    });
  });

  it("recognizes a book without event_type by its shape (the REST book)", () => {
    const book = decodeSample(REST_BOOK_SAMPLE, "book");
    expect(book.hash).toBe("2fc4a3d6a98bc164e057589bcb74981852b87412");
    expect(book.bids.map((l) => l.price)).toEqual([10_000, 60_000, 80_000, 90_000, 100_000]);
    expect(book.asks[4]).toEqual({ price: 380_000, size: 192_300_000 });
  });
});

describe("price_change", () => {
  it("decodes the legacy form: one token per message, changes[] without best prices", () => {
    const event = decodeSample("nautilus_ws_price_change_v1_changes_array_legacy.json", "price_change");
    const assetId = "52114319501245915516055106046884209969926127482827954674443846427813813222426";
    const hash = "bf32b3746fff40c76c98021b7f3f07261169dd26";
    expect(event.market).toBe("0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1");
    expect(event.changes).toEqual([
      {
        assetId,
        side: "BUY",
        price: 600_000,
        size: 3_300_000_000,
        bestBid: undefined,
        bestAsk: undefined,
        hash,
      },
      {
        assetId,
        side: "BUY",
        price: 500_000,
        size: 3_400_000_000,
        bestBid: undefined,
        bestAsk: undefined,
        hash,
      },
      {
        assetId,
        side: "BUY",
        price: 700_000,
        size: 3_400_000_000,
        bestBid: undefined,
        bestAsk: undefined,
        hash,
      },
    ]);
  });

  it("decodes the current form: price_changes[] with per-change hash and best prices", () => {
    const event = decodeSample("nautilus_ws_price_change_v2_price_changes.json", "price_change");
    expect(event.changes).toHaveLength(3);
    expect(event.changes[1]).toEqual({
      assetId: "52114319501245915516055106046884209969926127482827954674443846427813813222426",
      side: "BUY",
      price: 500_000,
      size: 3_400_000_000,
      bestBid: 600_000,
      bestAsk: 700_000,
      hash: "af32b3746fff40c76c98021b7f3f07261169dd27",
    });
  });

  it("infers the type of a current-form message without event_type, across two tokens", () => {
    const event = decodeSample("nautilus_ws_price_change_two_assets_fixture.json", "price_change");
    expect(event.changes.map((c) => [c.assetId.slice(0, 6), c.side, c.price, c.size])).toEqual([
      ["713210", "BUY", 510_000, 150_000_000],
      ["521143", "SELL", 490_000, 100_000_000],
    ]);
  });

  it("treats an empty best price as absent", () => {
    const frame = JSON.stringify({
      event_type: "price_change",
      market: "0xm",
      timestamp: "1757908892351",
      price_changes: [
        { asset_id: "1", price: "0.5", size: "0", side: "SELL", best_bid: "0.4", best_ask: "" },
      ],
    });
    const [event] = decodeFrame(frame).events;
    expect(event).toMatchObject({ changes: [{ size: 0, bestBid: 400_000, bestAsk: undefined }] });
  });
});

describe("other market events", () => {
  it("best_bid_ask", () => {
    expect(decodeSample("nautilus_ws_best_bid_ask.json", "best_bid_ask")).toMatchObject({
      assetId: "85354956062430465315924116860125388538595433819574542752031640332592237464430",
      bestBid: 730_000,
      bestAsk: 770_000,
      spread: 40_000,
      timestampMs: 1766789469958,
    });
  });

  it("last_trade_price", () => {
    expect(decodeSample("nautilus_ws_last_trade_price.json", "last_trade_price")).toMatchObject({
      price: 491_000,
      size: 85_360_000,
      side: "SELL",
      feeRateBps: 0,
      transactionHash: undefined,
      timestampMs: 1724564136087,
    });
  });

  it("tick_size_change", () => {
    expect(decodeSample("nautilus_ws_tick_size_change_fixture.json", "tick_size_change")).toMatchObject({
      oldTickSize: 100_000,
      newTickSize: 10_000,
    });
  });

  it("new_market", () => {
    const event = decodeSample("nautilus_ws_new_market.json", "new_market");
    expect(event).toMatchObject({
      marketId: "1031769",
      market: "0x311d0c4b6671ab54af4970c06fcf58662516f5168997bdda209ec3db5aa6b0c1",
      slug: "nvda-above-240-on-january-30-2026",
      outcomes: ["Yes", "No"],
      tickSize: 10_000,
      active: true,
    });
    expect(event.assetIds).toHaveLength(2);
  });

  it("market_resolved", () => {
    const event = decodeSample("nautilus_ws_market_resolved.json", "market_resolved");
    expect(event.winningOutcome).toBe("Yes");
    expect(event.winningAssetId).toBe(event.assetIds[0]);
  });
});

describe("epochMs", () => {
  it("reads 13-digit values as ms and 10-digit values as seconds", () => {
    expect(epochMs("1725841743272")).toBe(1725841743272);
    expect(epochMs("1725841741")).toBe(1725841741000);
    expect(epochMs("0")).toBe(0);
  });
});
