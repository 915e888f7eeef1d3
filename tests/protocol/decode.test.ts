import { Readable } from "node:stream";
import { runDecode } from "../../src/cli/decode";
import {
  ASYNCAPI_DOCS,
  asyncApiEventExamples,
  REST_BOOK_SAMPLE,
  sampleJson,
  sampleLine,
  WS_SAMPLE_TYPES,
} from "./samples";

async function decode(text: string): Promise<{ lines: number; bad: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const counts = await runDecode(
    Readable.from([text]),
    (line) => out.push(line),
    (line) => err.push(line),
  );
  return { ...counts, out, err };
}

/** Numbers that stay numbers in the output; every other number (price, size...) must print as a decimal. */
const PLAIN_NUMBER_KEYS = new Set([
  "timestampMs",
  "createdAtMs",
  "expirationMs",
  "matchTimeMs",
  "lastUpdateMs",
  "feeRateBps",
  "bucketIndex",
]);

function numberKeys(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) numberKeys(item, found);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (typeof inner === "number") found.add(key);
      else numberKeys(inner, found);
    }
  }
  return found;
}

describe("runDecode", () => {
  const channelFrames = [REST_BOOK_SAMPLE, ...Object.keys(WS_SAMPLE_TYPES)].map(sampleLine);
  const docsFrames = ASYNCAPI_DOCS.flatMap(asyncApiEventExamples).map((e) => JSON.stringify(e.payload));

  it("decodes every channel sample and docs example, one frame per line, without a bad line", async () => {
    const input = ["PONG", "", ...channelFrames, "   ", ...docsFrames].join("\n");
    const { lines, bad, out, err } = await decode(input);
    expect(err).toEqual([]);
    expect(bad).toBe(0);
    expect(lines).toBe(1 + channelFrames.length + docsFrames.length);
    // The two-token price_change prints once per token.
    expect(out).toHaveLength(channelFrames.length + 1 + docsFrames.length);
    for (const line of out) {
      const event = JSON.parse(line) as { type: string };
      expect(typeof event.type).toBe("string");
      expect([...numberKeys(event)].filter((key) => !PLAIN_NUMBER_KEYS.has(key))).toEqual([]);
    }
  });

  it("prints decimals, and the token's best prices after a book-changing event", async () => {
    const assetId = sampleJson(REST_BOOK_SAMPLE).asset_id as string;
    const update = { event_type: "price_change", market: "0x1", timestamp: "1728799419000" };
    const { out } = await decode(
      [
        sampleLine(REST_BOOK_SAMPLE),
        JSON.stringify({
          ...update,
          price_changes: [{ asset_id: assetId, side: "SELL", price: "0.14", size: "0" }],
        }),
        sampleLine("nautilus_ws_last_trade_price.json"),
      ].join("\r\n"),
    );
    const [book, change, trade] = out.map((line) => JSON.parse(line));
    expect(book).toMatchObject({ type: "book", bestBid: "0.1", bestAsk: "0.14", synced: true });
    expect(book.asks[4]).toEqual({ price: "0.38", size: "192.3" });
    expect(change).toMatchObject({ changes: [{ price: "0.14", size: "0" }], bestBid: "0.1", bestAsk: "0.2" });
    expect(trade).toMatchObject({ type: "last_trade_price", price: "0.491", size: "85.36" });
    expect(trade).not.toHaveProperty("bestBid");
  });

  it("prints null best prices for a book that has no snapshot yet", async () => {
    const { out } = await decode(sampleLine("nautilus_ws_price_change_v1_changes_array_legacy.json"));
    expect(JSON.parse(out[0]!)).toMatchObject({ bestBid: null, bestAsk: null, synced: false });
  });

  it("names the line number and reason of every bad line, and still decodes the good events", async () => {
    const badBook = { ...sampleJson("nautilus_ws_book_fixture.json"), bids: [{ price: "abc", size: "1" }] };
    const input = [
      sampleLine("nautilus_ws_best_bid_ask.json"),
      "",
      "{not json",
      JSON.stringify({ event_type: "sports_result", score: "1-0" }),
      JSON.stringify([sampleJson("nautilus_ws_last_trade_price.json"), badBook]),
      "PING",
    ].join("\n");
    const { lines, bad, out, err } = await decode(input);
    expect({ lines, bad }).toEqual({ lines: 5, bad: 3 });
    expect(out.map((line) => JSON.parse(line).type)).toEqual(["best_bid_ask", "last_trade_price"]);
    expect(err).toHaveLength(3);
    expect(err[0]).toMatch(/^line 3: malformed: invalid JSON: /);
    expect(err[1]).toBe('line 4: unknown event type "sports_result"');
    expect(err[2]).toBe(
      'line 5: malformed book event (array item 1): bids[0].price: not a decimal number: "abc"',
    );
  });

  it("never writes a control character to the terminal: frames are untrusted", async () => {
    const book = sampleJson("nautilus_ws_book_fixture.json");
    const input = [
      "\u001b]0;owned\u0007{not json",
      JSON.stringify({ event_type: "sports\u001b[2J\u009b31m", score: "1-0" }),
      JSON.stringify({ ...book, hash: "h\u009b31m\u007f" }),
    ].join("\n");
    const { out, err } = await decode(input);
    expect(err).toHaveLength(2);
    expect(out).toHaveLength(1);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
    const control = /[\u0000-\u001f\u007f-\u009f]/;
    for (const line of [...out, ...err]) expect(line).not.toMatch(control);
    // Still readable, and the event line still JSON with the same hash.
    expect(err[1]).toBe('line 2: unknown event type "sports\\u001b[2J\\u009b31m"');
    expect(JSON.parse(out[0] as string).hash).toBe("h\u009b31m\u007f");
  });

  it("reports an event that has neither event_type nor a known shape", async () => {
    const { bad, err } = await decode('{"hello":"world"}');
    expect(bad).toBe(1);
    expect(err).toEqual(["line 1: event without event_type matches no known shape"]);
  });
});
