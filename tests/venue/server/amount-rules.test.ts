/**
 * The venue's amount rules (src/protocol/amounts.ts) as the simulator applies them to orders that the
 * unmodified @polymarket/clob-client-v2 signs and posts.
 */
import { type ApiError, OrderType, Side } from "@polymarket/clob-client-v2";
import { parseMicros } from "../../../src/money";
import { OffTick } from "../../../src/polymarket/errors";
import { createExchange } from "../../../src/polymarket/exchange";
import type { VenueMarket } from "../../../src/venue/types";
import { newTrader, startTestVenue, type TestVenue, type Trader } from "../../helpers/venue";

async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error("expected the venue to refuse");
}

describe("the simulator's amount rules, for the unmodified client", () => {
  let venue: TestVenue;
  let alice: Trader;
  let market: VenueMarket;
  let up: string;

  const bestAsk = (token: string) => venue.simulation.engine.bestAsk(token)!.price;

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
    expect(venue.simulation.engine.tickSize(up)).toBe(parseMicros("0.01"));
  });
  afterAll(async () => {
    await venue?.close();
  });

  it("matches a marketable BUY that obeys the rules at the best ask, and only there", async () => {
    const ask = bestAsk(up);
    // $5.00 at the ask: shares = 5 / ask rounded down to 4 decimals, so the implied price is a hair above the ask.
    const order = await alice.client.createMarketOrder({
      tokenID: up,
      price: ask / 1e6,
      amount: 5,
      side: Side.BUY,
      orderType: OrderType.FAK,
    });
    expect(order.makerAmount).toBe("5000000");
    // 5.00 / shares > the ask: a price off the tick, which the venue must take as the order's limit.
    expect(5_000_000n * 1_000_000n > BigInt(order.takerAmount) * BigInt(ask)).toBe(true);
    const placed = await alice.client.postOrder(order, OrderType.FAK, false, true);
    expect(placed).toMatchObject({ success: true, status: "matched" });
    const trades = await alice.client.getTrades({ id: placed.tradeIDs?.[0] });
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ side: "BUY", taker_order_id: placed.orderID });
    // Every maker leg traded at the ask: the order's limit stops short of the next tick.
    expect(trades[0]?.maker_orders.map((leg) => parseMicros(leg.price))).toEqual(
      trades[0]?.maker_orders.map(() => ask),
    );
    expect(parseMicros(placed.makingAmount)).toBeLessThanOrEqual(5_000_000);
  });

  it("no longer refuses the client's market BUY for the tick of its implied price (4.9961 pUSD at 0.18)", async () => {
    // The client rounds $4.9961 down to $4.99 and asks 4.99 / 0.18 = 27.7222… → 27.7222 shares: implied
    // 0.18000014…, which used to be refused as "breaks minimum tick size rule". Nothing is offered at or below
    // 0.18, so the venue now answers as for any FAK that finds nothing.
    expect(bestAsk(up)).toBeGreaterThan(parseMicros("0.18"));
    expect(venue.simulation.engine.bestBid(market.tokenIds[1])!.price).toBeLessThan(parseMicros("0.82"));
    const order = await alice.client.createMarketOrder({
      tokenID: up,
      price: 0.18,
      amount: 4.9961,
      side: Side.BUY,
      orderType: OrderType.FAK,
    });
    expect([order.makerAmount, order.takerAmount]).toEqual(["4990000", "27722200"]);
    const err = await refusal(alice.client.postOrder(order, OrderType.FAK, false, true));
    expect(err.status).toBe(400);
    expect(err.message).toBe(
      "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.",
    );
  });

  it("refuses a marketable BUY whose pUSD has 3 decimals", async () => {
    // A limit-order signing of 10.1 shares at 0.55 spends 5.555 pUSD.
    const order = await alice.client.createOrder({ tokenID: up, price: 0.55, size: 10.1, side: Side.BUY });
    expect([order.makerAmount, order.takerAmount]).toEqual(["5555000", "10100000"]);
    const err = await refusal(alice.client.postOrder(order, OrderType.FAK, false, true));
    expect(err.status).toBe(400);
    expect(err.message).toBe(
      "invalid amounts, the market buy orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals",
    );
  });

  it("refuses a limit BUY whose shares have 3 decimals", async () => {
    // A market-order signing of $2.05 at 0.40 asks 2.05 / 0.4 = 5.125 shares.
    const order = await alice.client.createMarketOrder({
      tokenID: up,
      price: 0.4,
      amount: 2.05,
      side: Side.BUY,
    });
    expect([order.makerAmount, order.takerAmount]).toEqual(["2050000", "5125000"]);
    const err = await refusal(alice.client.postOrder(order, OrderType.GTC, false, true));
    expect(err.status).toBe(400);
    expect(err.message).toBe(
      "invalid amounts, the buy orders maker amount supports a max accuracy of 4 decimals, taker amount a max of 2 decimals",
    );
  });

  it("refuses a marketable BUY under $1", async () => {
    const order = await alice.client.createMarketOrder({
      tokenID: up,
      price: bestAsk(up) / 1e6,
      amount: 0.95,
      side: Side.BUY,
      orderType: OrderType.FAK,
    });
    expect(order.makerAmount).toBe("950000");
    const err = await refusal(alice.client.postOrder(order, OrderType.FAK, false, true));
    expect(err.status).toBe(400);
    expect(err.message).toBe("invalid amount for a marketable BUY order ($0.95), min size: $1");
  });

  it("still holds a limit order's price to the tick", async () => {
    // Signed (by Ballast's adapter) for a 0.001 tick, posted by the client: 10 × 0.555 = 5.55 pUSD.
    const exchange = await createExchange({
      clobUrl: venue.urls.clob,
      chainId: 137,
      privateKey: alice.wallet.privateKey,
      apiCreds: alice.creds,
    });
    const signed = await exchange.buildSignedOrder(
      {
        tokenId: up,
        side: "BUY",
        price: parseMicros("0.555"),
        size: parseMicros("10"),
        tickSize: parseMicros("0.001"),
        negRisk: false,
        salt: 7,
        timestampMs: venue.now(),
      },
      "GTC",
    );
    const err = await exchange.placeOrder(signed, { orderType: "GTC" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OffTick);
    expect((err as OffTick).venueMessage).toBe(
      `order ${signed.orderHash} is invalid. Price (0.555) breaks minimum tick size rule: 0.01`,
    );
  });
});
