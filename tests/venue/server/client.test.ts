/**
 * The unmodified @polymarket/clob-client-v2 drives the simulator end to end.
 */
import { type ApiError, Chain, ClobClient, OrderType, Side } from "@polymarket/clob-client-v2";
import { Wallet } from "ethers";
import { buyFeeInShares } from "../../../src/fees";
import { parseMicros } from "../../../src/money";
import { RateLimited } from "../../../src/polymarket/errors";
import { createExchange } from "../../../src/polymarket/exchange";
import { decodeFrame } from "../../../src/protocol/frames";
import type { VenueMarket } from "../../../src/venue/types";
import {
  connectChannel,
  newTrader,
  startTestVenue,
  type TestVenue,
  type Trader,
  v5Signer,
} from "../../helpers/venue";

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("expected the venue to refuse");
}

describe("the venue simulator, driven by the unmodified clob-client-v2", () => {
  let venue: TestVenue;
  let alice: Trader;
  let market: VenueMarket;
  let up: string;

  const bestAsk = (token: string) => venue.simulation.engine.bestAsk(token)!.price;
  const bestBid = (token: string) => venue.simulation.engine.bestBid(token)!.price;

  beforeAll(async () => {
    venue = await startTestVenue();
    venue.advance(5_000);
    alice = await newTrader(venue);
    const open = venue.simulation
      .markets()
      .find((m) => venue.simulation.engine.marketStatus(m.conditionId) === "open");
    if (!open) throw new Error("no open market");
    market = open;
    up = market.tokenIds[0];
  });
  afterAll(async () => {
    await venue?.close();
  });

  it("derives the same API credentials again from an L1 signature, and refuses a forged one", async () => {
    expect(await alice.client.deriveApiKey()).toEqual(alice.creds);
    const impostor = Wallet.createRandom();
    const forged = {
      getAddress: async () => alice.wallet.address,
      _signTypedData: (d: object, t: object, v: object) =>
        impostor.signTypedData(d as never, t as never, v as never),
    } as never;
    const client = new ClobClient({
      host: venue.urls.clob,
      chain: Chain.POLYGON,
      signer: forged,
      throwOnError: true,
    });
    const err = await rejection(client.deriveApiKey());
    expect(err.status).toBe(401);
    expect(err.message).toBe("Invalid L1 Request headers");
  });

  it("rests a post-only order, lists it among open orders, then cancels it", async () => {
    const order = await alice.client.createOrder({ tokenID: up, price: 0.05, size: 10, side: Side.BUY });
    const placed = await alice.client.postOrder(order, OrderType.GTC, true, true);
    expect(placed).toMatchObject({ success: true, status: "live", tradeIDs: [] });
    const open = await alice.client.getOpenOrders({ market: market.conditionId });
    expect(open).toEqual([
      expect.objectContaining({
        id: placed.orderID,
        price: "0.05",
        original_size: "10",
        side: "BUY",
        status: "LIVE",
      }),
    ]);
    const cancelled = await alice.client.cancelOrder({ orderID: placed.orderID });
    expect(cancelled).toEqual({ canceled: [placed.orderID], not_canceled: {} });
    expect(await alice.client.getOpenOrders({ market: market.conditionId })).toEqual([]);
  });

  it("refuses a post-only order that would cross, with the venue's message", async () => {
    const price = Number(bestAsk(up)) / 1e6;
    const order = await alice.client.createOrder({ tokenID: up, price, size: 5, side: Side.BUY });
    const err = await rejection(alice.client.postOrder(order, OrderType.GTC, true, true));
    expect(err.status).toBe(400);
    expect(err.message).toBe("invalid post-only order: order crosses book");
  });

  it("fills a crossing order and tells the user channel, with the fee taken in shares", async () => {
    const channel = await connectChannel(venue.urls.wsUser, {
      auth: { apiKey: alice.creds.key, secret: alice.creds.secret, passphrase: alice.creds.passphrase },
      markets: [market.conditionId],
      type: "user",
    });
    const ask = bestAsk(up);
    const order = await alice.client.createOrder({
      tokenID: up,
      price: (ask + 20_000) / 1e6,
      size: 5,
      side: Side.BUY,
    });
    const placed = await alice.client.postOrder(order, OrderType.GTC, false, true);
    expect(placed).toMatchObject({ success: true, status: "matched", takingAmount: "5" });
    expect(placed.tradeIDs).toHaveLength(1);

    await channel.barrier();
    const events = channel.frames.flatMap((f) => decodeFrame(f).events);
    const trade = events.find((e) => e.type === "trade");
    expect(trade).toMatchObject({
      type: "trade",
      tradeId: placed.tradeIDs?.[0],
      status: "MATCHED",
      side: "BUY",
      size: 5_000_000,
    });
    if (trade?.type !== "trade") throw new Error("no trade event");
    expect(trade.takerOrderId).toBe(placed.orderID);

    // Net shares: what the account holds is the fill less the fee withheld in shares.
    const price = trade.price;
    const expected = 5_000_000 - buyFeeInShares(5_000_000, price, 70_000);
    expect(expected).toBeLessThan(5_000_000);
    const balance = await alice.client.getBalanceAllowance({
      asset_type: "CONDITIONAL" as never,
      token_id: up,
    });
    expect(Number(balance.balance)).toBe(expected);

    // Settlement moves on: MINED then CONFIRMED reach the user channel.
    venue.advance(6_000);
    await channel.barrier();
    const statuses = channel.frames
      .flatMap((f) => decodeFrame(f).events)
      .filter((e) => e.type === "trade" && e.tradeId === trade.tradeId)
      .map((e) => (e.type === "trade" ? e.status : ""));
    expect(statuses).toEqual(["MATCHED", "MINED", "CONFIRMED"]);
    await channel.close();
  });

  it("tells a maker about its fill: an order UPDATE and a trade with its maker leg", async () => {
    const bob = await newTrader(venue);
    const channel = await connectChannel(venue.urls.wsUser, {
      auth: { apiKey: alice.creds.key, secret: alice.creds.secret, passphrase: alice.creds.passphrase },
      markets: [],
      type: "user",
    });
    // Bob buys shares to sell; they become available once his trade is MINED.
    const bought = await bob.client.postOrder(
      await bob.client.createOrder({
        tokenID: up,
        price: (bestAsk(up) + 20_000) / 1e6,
        size: 10,
        side: Side.BUY,
      }),
      OrderType.FAK,
      false,
      true,
    );
    expect(bought.status).toBe("matched");
    venue.advance(2_500);
    // Alice bids one tick above the best bid; Bob sells into it at once (no simulated time passes).
    const bid = bestBid(up) + 10_000;
    expect(bid).toBeLessThan(bestAsk(up));
    const resting = await alice.client.postOrder(
      await alice.client.createOrder({ tokenID: up, price: bid / 1e6, size: 6, side: Side.BUY }),
      OrderType.GTC,
      true,
      true,
    );
    const sold = await bob.client.postOrder(
      await bob.client.createOrder({ tokenID: up, price: bid / 1e6, size: 6, side: Side.SELL }),
      OrderType.FAK,
      false,
      true,
    );
    expect(sold.status).toBe("matched");
    await channel.barrier();
    const events = channel.frames.flatMap((f) => decodeFrame(f).events);
    const update = events.find(
      (e) => e.type === "order" && e.orderId === resting.orderID && e.updateType === "UPDATE",
    );
    expect(update).toMatchObject({ status: "MATCHED", sizeMatched: 6_000_000 });
    const trade = events.find((e) => e.type === "trade" && e.takerOrderId === sold.orderID);
    if (trade?.type !== "trade") throw new Error("no trade event for the maker");
    expect(trade.traderSide).toBe("MAKER");
    expect(trade.makerOrders).toEqual([
      expect.objectContaining({ orderId: resting.orderID, matchedAmount: 6_000_000, price: bid }),
    ]);
    await channel.close();
  });

  it("accepts a batch of 15 orders and refuses 16", async () => {
    const orders = async (n: number) =>
      Promise.all(
        Array.from({ length: n }, async (_, i) => ({
          order: await alice.client.createOrder({
            tokenID: up,
            price: 0.01 + (i % 3) * 0.01,
            size: 5,
            side: Side.BUY,
          }),
          orderType: OrderType.GTC,
        })),
      );
    const fifteen = await alice.client.postOrders(await orders(15), true, true);
    expect(fifteen).toHaveLength(15);
    expect(fifteen.every((r) => r.success && r.status === "live")).toBe(true);
    const err = await rejection(alice.client.postOrders(await orders(16), true, true));
    expect(err.status).toBe(400);
    expect(err.message).toBe("Too many orders in payload");
    await alice.client.cancelAll();
    expect(await alice.client.getOpenOrders({})).toEqual([]);
  });

  it("refuses a request whose HMAC does not match", async () => {
    const wrong = new ClobClient({
      host: venue.urls.clob,
      chain: Chain.POLYGON,
      signer: v5Signer(alice.wallet),
      creds: { ...alice.creds, secret: Buffer.from("not the secret at all").toString("base64url") },
      throwOnError: true,
    });
    const err = await rejection(wrong.getOpenOrders({}));
    expect(err.status).toBe(401);
    expect(err.message).toBe("Unauthorized/Invalid api key");
  });

  it("refuses an order whose signature is forged or whose fields were altered", async () => {
    const order = await alice.client.createOrder({ tokenID: up, price: 0.05, size: 10, side: Side.BUY });
    const altered = { ...order, makerAmount: "100000" }; // pay 0.1 instead of 0.5
    const err = await rejection(alice.client.postOrder(altered as never, OrderType.GTC, true, true));
    expect(err.status).toBe(400);
    expect(err.message).toBe("invalid signature");

    const mallory = Wallet.createRandom();
    const forged = { ...order, signature: await mallory.signMessage("not an order") };
    const err2 = await rejection(alice.client.postOrder(forged as never, OrderType.GTC, true, true));
    expect(err2.message).toBe("invalid signature");
  });

  it("never makes a second order from the same signed order", async () => {
    const order = await alice.client.createOrder({ tokenID: up, price: 0.04, size: 5, side: Side.BUY });
    const first = await alice.client.postOrder(order, OrderType.GTC, true, true);
    const err = await rejection(alice.client.postOrder(order, OrderType.GTC, true, true));
    expect(err.message).toBe("order is invalid. Duplicated.");
    expect((await alice.client.getOpenOrders({})).map((o) => o.id)).toEqual([first.orderID]);
    await alice.client.cancelAll();
  });

  it("cancels the orders of a key whose heartbeats lapse, and only those", async () => {
    const carol = await newTrader(venue);
    const beating = await alice.client.postOrder(
      await alice.client.createOrder({ tokenID: up, price: 0.03, size: 5, side: Side.BUY }),
      OrderType.GTC,
      true,
      true,
    );
    const quiet = await carol.client.postOrder(
      await carol.client.createOrder({ tokenID: up, price: 0.03, size: 5, side: Side.BUY }),
      OrderType.GTC,
      true,
      true,
    );
    await alice.client.postHeartbeat();
    venue.advance(5_000);
    expect((await alice.client.getOpenOrders({})).map((o) => o.id)).toEqual([beating.orderID]);
    venue.advance(6_000);
    expect(await alice.client.getOpenOrders({})).toEqual([]);
    expect((await carol.client.getOpenOrders({})).map((o) => o.id)).toEqual([quiet.orderID]);
  });

  it("injects 429 with Retry-After and 503, which the exchange adapter types", async () => {
    const post = (body: object) =>
      fetch(`${venue.urls.admin}/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post({ httpErrorRate: 1, httpErrorStatuses: [429], retryAfterSec: 7 })).status).toBe(200);
    const res = await fetch(`${venue.urls.clob}/book?token_id=${up}`);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");

    const exchange = await createExchange(
      { clobUrl: venue.urls.clob, chainId: 137, privateKey: alice.wallet.privateKey, apiCreds: alice.creds },
      {},
    );
    const err = await exchange.orderBook(up).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimited);
    expect((err as RateLimited).retryAfterMs).toBe(7_000);

    await post({ httpErrorStatuses: [503] });
    expect((await fetch(`${venue.urls.clob}/book?token_id=${up}`)).status).toBe(503);
    expect((await fetch(`${venue.urls.admin}/faults`, { method: "DELETE" })).status).toBe(200);
    expect((await fetch(`${venue.urls.clob}/book?token_id=${up}`)).status).toBe(200);
  });

  it("rejects orders below the minimum size or off the tick with the venue's messages", async () => {
    const small = await alice.client.createOrder({ tokenID: up, price: 0.05, size: 2, side: Side.BUY });
    const err = await rejection(alice.client.postOrder(small, OrderType.GTC, true, true));
    expect(err.message).toMatch(/Size \(2\) lower than the minimum: 5/);
    expect(parseMicros("5")).toBe(market.minOrderSize);
  });
});
