/**
 * Every frame the simulator sends over a whole market window — both channels, every event type —
 * decodes with the same schemas that decode real Polymarket captures.
 */
import { OrderType, Side } from "@polymarket/clob-client-v2";
import { decodeFrame, type EventType } from "../../../src/protocol/frames";
import { connectChannel, newTrader, startTestVenue, type TestVenue } from "../../helpers/venue";

describe("simulator frames over a full window", () => {
  let venue: TestVenue;

  beforeAll(async () => {
    venue = await startTestVenue({ windowMs: 120_000, seed: 3 });
  });
  afterAll(async () => {
    await venue?.close();
  });

  it("all decode with the protocol schemas, and every event type occurs", async () => {
    const trader = await newTrader(venue);
    const markets = venue.simulation.markets();
    const tokens = markets.flatMap((m) => [...m.tokenIds]);
    const market = await connectChannel(venue.urls.wsMarket, {
      assets_ids: tokens,
      type: "market",
      custom_feature_enabled: true,
    });
    const user = await connectChannel(venue.urls.wsUser, {
      auth: { apiKey: trader.creds.key, secret: trader.creds.secret, passphrase: trader.creds.passphrase },
      type: "user",
    });

    // Trade through the first window to its end (and the next one's listing), from our account too.
    const first = markets[0]!;
    const up = first.tokenIds[0];
    const remaining = first.endMs - venue.now();
    let orders = 0;
    for (let t = 0; t < remaining + 1_000; t += 10_000) {
      venue.advance(10_000);
      const ask = venue.simulation.engine.bestAsk(up);
      if (venue.now() < first.endMs - 1_000 && ask && ask.price < 950_000) {
        const order = await trader.client.createOrder({
          tokenID: up,
          price: ask.price / 1e6,
          size: 5,
          side: Side.BUY,
        });
        await trader.client.postOrder(order, OrderType.FAK, false, true).catch(() => undefined);
        const rest = await trader.client.createOrder({ tokenID: up, price: 0.02, size: 5, side: Side.BUY });
        await trader.client.postOrder(rest, OrderType.GTC, true, true);
        orders += 1;
      }
    }
    expect(orders).toBeGreaterThan(3);
    await market.barrier();
    await user.barrier();

    const seen = new Map<EventType | string, number>();
    const problems: string[] = [];
    for (const frame of [...market.frames, ...user.frames]) {
      const result = decodeFrame(frame);
      for (const m of result.malformed) problems.push(`${m.reason} in ${frame.slice(0, 200)}`);
      for (const u of result.unknown) problems.push(`unknown ${u.eventType} in ${frame.slice(0, 200)}`);
      for (const e of result.events) seen.set(e.type, (seen.get(e.type) ?? 0) + 1);
    }
    expect(problems).toEqual([]);
    expect(market.frames.length + user.frames.length).toBeGreaterThan(500);
    for (const type of [
      "book",
      "price_change",
      "best_bid_ask",
      "last_trade_price",
      "tick_size_change",
      "new_market",
      "market_resolved",
      "order",
      "trade",
    ]) {
      expect({ type, count: seen.get(type) ?? 0 }).toEqual({ type, count: expect.any(Number) });
      expect(seen.get(type)).toBeGreaterThan(0);
    }
    await market.close();
    await user.close();
  });
});
