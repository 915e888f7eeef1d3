/**
 * The exchange activities' placeOrder: refusals come back as typed outcomes (never as errors Temporal
 * would retry), local ones without anything sent; the venue's balance refusal has its own kind.
 */
import { randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import {
  createExchangeActivities,
  type PlacedOrder,
  type PlaceOrderRequest,
} from "../../activities/exchange/activities";
import { parseMicros } from "../../src/money";
import { createExchange, Exchange } from "../../src/polymarket/exchange";
import type { OrderIntent } from "../../src/polymarket/types";
import type { VenueMarket } from "../../src/venue/types";
import { startTestVenue, type TestVenue } from "../helpers/venue";
import { FakeVenue, reply } from "./fake-venue";

const m = parseMicros;
const TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const CONDITION = `0x${"c0".repeat(32)}`;

function request(
  intent: Partial<OrderIntent>,
  orderType: PlaceOrderRequest["orderType"] = "FAK",
): PlaceOrderRequest {
  return {
    market: CONDITION,
    orderType,
    intent: {
      tokenId: TOKEN,
      side: "BUY",
      price: m("0.47"),
      size: m("10.63"),
      tickSize: m("0.01"),
      negRisk: false,
      salt: 42,
      timestampMs: 1_777_000_000_000,
      ...intent,
    },
  };
}

describe("placeOrder against a scripted venue", () => {
  let venue: FakeVenue;
  let activities: ReturnType<typeof createExchangeActivities>;

  beforeEach(async () => {
    venue = new FakeVenue();
    const host = await venue.start();
    const exchange = new Exchange({
      host,
      chainId: 137,
      signer: Wallet.createRandom(),
      creds: { key: "k", secret: randomBytes(32).toString("base64url"), passphrase: "p" },
    });
    activities = createExchangeActivities({ exchange: async () => exchange, now: () => 1_000 });
  });
  afterEach(async () => {
    await venue.stop();
  });

  it.each([
    [
      "a price off the tick",
      request({ price: m("0.475") }),
      "off-tick",
      "price 475000 micros is not on the 0.01 tick (10000 micros)",
    ],
    [
      "a size that is no multiple of 0.01",
      request({ size: m("10.005") }),
      "rejected",
      "size 10005000 micros must be a positive multiple of 0.01 shares",
    ],
    [
      "a marketable BUY under $1",
      request({ price: m("0.19"), size: m("5") }),
      "below-minimum-size",
      "invalid amount for a marketable BUY order ($0.95), min size: $1",
    ],
    [
      "a size under the market's minimum",
      request({ size: m("4.99"), minOrderSize: m("5") }, "GTC"),
      "below-minimum-size",
      "Size (4.99) lower than the minimum: 5",
    ],
  ])("returns %s as a local rejection, sending nothing", async (_what, req, kind, message) => {
    const placed = await activities.placeOrder(req);
    expect(placed).toEqual({
      orderId: "",
      accepted: false,
      status: "rejected",
      rejection: { kind, message, local: true },
      sentAtMs: 1_000,
      answeredAtMs: 1_000,
      fills: [],
    } satisfies PlacedOrder);
    expect(venue.requests).toEqual([]);
  });

  it("gives the venue's balance refusal its own kind", async () => {
    venue.on("POST", "/order", (_req, res) => reply(res, 400, { error: "not enough balance / allowance" }));
    const placed = await activities.placeOrder(request({ side: "SELL" }));
    expect(placed).toMatchObject({
      accepted: false,
      status: "rejected",
      rejection: { kind: "insufficient-balance", message: "not enough balance / allowance (HTTP 400)" },
    });
    expect(placed.rejection?.local).toBeUndefined();
    expect(placed.orderId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(venue.requestsTo("POST", "/order")).toHaveLength(1);
  });

  it("tells a FAK that found nothing, and the venue's amount refusal, apart from other refusals", async () => {
    let answer =
      "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.";
    venue.on("POST", "/order", (_req, res) => reply(res, 400, { error: answer }));
    expect((await activities.placeOrder(request({}))).rejection?.kind).toBe("unfilled");
    answer =
      "invalid amounts, the market buy orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals";
    expect((await activities.placeOrder(request({ salt: 43 }))).rejection?.kind).toBe("invalid-amounts");
    answer = "the order owner has to be the owner of the API KEY";
    expect((await activities.placeOrder(request({ salt: 44 }))).rejection?.kind).toBe("rejected");
  });
});

describe("placeOrder against the simulator", () => {
  let venue: TestVenue;
  let market: VenueMarket;
  let activities: ReturnType<typeof createExchangeActivities>;

  beforeAll(async () => {
    venue = await startTestVenue();
    venue.advance(5_000);
    const open = venue.simulation
      .markets()
      .find((mk) => venue.simulation.engine.marketStatus(mk.conditionId) === "open");
    if (!open) throw new Error("no open market");
    market = open;
    const exchange = await createExchange({
      clobUrl: venue.urls.clob,
      chainId: 137,
      privateKey: Wallet.createRandom().privateKey,
    });
    activities = createExchangeActivities({ exchange: async () => exchange });
  });
  afterAll(async () => {
    await venue?.close();
  });

  it("refuses to sell shares bought until their trade is MINED, with the insufficient-balance kind", async () => {
    const up = market.tokenIds[0];
    const engine = venue.simulation.engine;
    const ask = engine.bestAsk(up)!.price;
    const base = {
      tokenId: up,
      tickSize: engine.tickSize(up)!,
      negRisk: false,
      timestampMs: venue.now(),
    };
    const bought = await activities.placeOrder({
      market: market.conditionId,
      orderType: "FAK",
      intent: { ...base, side: "BUY", price: ask + 20_000, size: m("10"), salt: 1 },
    });
    expect(bought).toMatchObject({ accepted: true, status: "matched" });
    const held = bought.fills.reduce((sum, f) => sum + f.size, 0);
    expect(held).toBeGreaterThanOrEqual(m("10"));

    const sell = (salt: number) =>
      activities.placeOrder({
        market: market.conditionId,
        orderType: "FAK",
        intent: { ...base, side: "SELL", price: engine.bestBid(up)!.price, size: m("5"), salt },
      });
    const early = await sell(2);
    expect(early).toMatchObject({
      accepted: false,
      rejection: { kind: "insufficient-balance", message: "not enough balance / allowance (HTTP 400)" },
    });

    venue.advance(2_500); // MATCHED → MINED after 2 s: the shares are now sellable.
    const later = await sell(3);
    expect(later).toMatchObject({ accepted: true, status: "matched" });
    expect(later.rejection).toBeUndefined();
    expect(later.fills.reduce((sum, f) => sum + f.size, 0)).toBe(m("5"));
  });
});
