import fc from "fast-check";
import { decodeFrame, FrameStats, NO_EVENT_TYPE } from "../../src/protocol/frames";
import { sampleJson, WS_SAMPLE_TYPES } from "./samples";

const book = sampleJson("nautilus_ws_book_fixture.json");
const priceChange = sampleJson("nautilus_ws_price_change_v2_price_changes.json");
const order = sampleJson("nautilus_ws_user_order_cancel.json");

function reasonFor(payload: unknown): string | undefined {
  const result = decodeFrame(JSON.stringify(payload));
  expect(result.events).toEqual([]);
  return result.malformed[0]?.reason;
}

describe("decodeFrame", () => {
  it.each(["PING", "PONG", " PONG\n"])("recognizes %j as a control frame", (text) => {
    expect(decodeFrame(text)).toEqual({ control: text.trim(), events: [], unknown: [], malformed: [] });
  });

  it("decodes every event of an array frame and reports the others by position", () => {
    const result = decodeFrame(
      JSON.stringify([book, { event_type: "sports_result" }, { ...book, asks: "none" }, priceChange, order]),
    );
    expect(result.events.map((e) => e.type)).toEqual(["book", "price_change", "order"]);
    expect(result.unknown).toEqual([{ eventType: "sports_result", index: 1 }]);
    expect(result.malformed).toEqual([
      {
        eventType: "book",
        index: 2,
        reason: 'asks: Invalid input: expected array, received string (got "none")',
      },
    ]);
  });

  it("accepts an empty array frame", () => {
    expect(decodeFrame("[]")).toEqual({ control: undefined, events: [], unknown: [], malformed: [] });
  });

  it("reports a frame that is not JSON without throwing", () => {
    const result = decodeFrame('{"event_type": "book", ');
    expect(result.events).toEqual([]);
    expect(result.malformed).toHaveLength(1);
    expect(result.malformed[0]).toMatchObject({ eventType: NO_EVENT_TYPE, index: undefined });
    expect(result.malformed[0]!.reason).toMatch(/^invalid JSON: /);
  });

  it.each(["42", "null", '"PONG"', "[1]"])("reports %s as not an event", (text) => {
    expect(decodeFrame(text).malformed.map((m) => m.reason)).toEqual(["event is not a JSON object"]);
  });

  it("names a missing field", () => {
    const { asset_id: _, ...withoutAsset } = book;
    expect(reasonFor(withoutAsset)).toBe("asset_id: missing");
  });

  it("names a bad decimal with its path", () => {
    expect(
      reasonFor({
        ...book,
        bids: [
          { price: "0.5", size: "1" },
          { price: "0.5.1", size: "1" },
        ],
      }),
    ).toBe('bids[1].price: not a decimal number: "0.5.1"');
    expect(reasonFor({ ...book, asks: [{ price: "0.5", size: "1.0000001" }] })).toBe(
      'asks[0].size: more than 6 decimals: "1.0000001"',
    );
    expect(reasonFor({ ...book, asks: [{ price: "0.5", size: "-1" }] })).toBe(
      'asks[0].size: negative amount "-1"',
    );
  });

  it("refuses numbers where the venue sends decimal strings", () => {
    expect(reasonFor({ ...order, price: 0.513 })).toBe(
      "price: Invalid input: expected string, received number (got 0.513)",
    );
  });

  it("lists at most three problems of a badly broken event", () => {
    expect(reasonFor({ event_type: "book" })).toBe(
      "market: missing; asset_id: missing; bids: missing; and 2 more",
    );
  });

  it("reports a non-string event_type as malformed", () => {
    expect(decodeFrame(JSON.stringify({ ...book, event_type: 7 })).malformed).toEqual([
      { eventType: NO_EVENT_TYPE, index: undefined, reason: "event_type: not a string (got 7)" },
    ]);
  });

  it("counts an unknown event type and skips it", () => {
    expect(decodeFrame(JSON.stringify({ event_type: "rfq_quote", price: "0.5" }))).toEqual({
      control: undefined,
      events: [],
      unknown: [{ eventType: "rfq_quote", index: undefined }],
      malformed: [],
    });
  });

  it("does not guess the type of an unrecognizable or ambiguous shape", () => {
    const shapeless = decodeFrame(JSON.stringify({ market: "0x1", price: "0.5" }));
    expect(shapeless.unknown).toEqual([{ eventType: NO_EVENT_TYPE, index: undefined }]);
    const { event_type: _, ...bookWithoutType } = book;
    const ambiguous = decodeFrame(JSON.stringify({ ...bookWithoutType, taker_order_id: "0x1" }));
    expect(ambiguous.unknown).toEqual([{ eventType: NO_EVENT_TYPE, index: undefined }]);
  });

  it("never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        decodeFrame(text);
      }),
    );
  });

  it("accounts for every event of a frame of damaged samples exactly once", () => {
    const samples = Object.keys(WS_SAMPLE_TYPES).map((file) => sampleJson(file));
    const damaged = fc
      .tuple(fc.constantFrom(...samples), fc.string(), fc.jsonValue())
      .map(([sample, key, value]) => {
        const keys = Object.keys(sample);
        const field = keys[key.length % keys.length]!;
        return { ...sample, [field]: value };
      });
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...samples), damaged), { maxLength: 8 }), (messages) => {
        const result = decodeFrame(JSON.stringify(messages));
        expect(result.events.length + result.unknown.length + result.malformed.length).toBe(messages.length);
      }),
    );
  });
});

describe("FrameStats", () => {
  it("counts decoded, unknown and malformed events per type across frames", () => {
    const stats = new FrameStats();
    for (const frame of [
      "PONG",
      JSON.stringify([book, book, priceChange]),
      JSON.stringify({ event_type: "sports_result" }),
      JSON.stringify({ ...order, side: "HOLD" }),
      "not json",
    ]) {
      stats.record(decodeFrame(frame));
    }
    expect(stats.snapshot()).toEqual({
      frames: 5,
      controlFrames: 1,
      decoded: { book: 2, price_change: 1 },
      unknown: { sports_result: 1 },
      malformed: { order: 1, [NO_EVENT_TYPE]: 1 },
    });
  });
});
