import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { getContractConfig, OrderBuilder, Side } from "@polymarket/clob-client-v2";
import { type HDNodeWallet, TypedDataEncoder, verifyTypedData, Wallet } from "ethers";
import { parseMicros } from "../../src/money";
import {
  BelowMinimumSize,
  InsufficientBalance,
  OffTick,
  PostOnlyWouldCross,
  RateLimited,
  Rejected,
  Unauthorized,
  UnknownOutcome,
  VenueError,
  VenueUnavailable,
} from "../../src/polymarket/errors";
import { createExchange, Exchange } from "../../src/polymarket/exchange";
import type {
  ApiCredentials,
  ExchangeOptions,
  OrderIntent,
  SignedVenueOrder,
} from "../../src/polymarket/types";
import { expectedL2Signature, FakeVenue, type RecordedRequest, reply } from "./fake-venue";

const TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
const CONDITION = `0x${"c0".repeat(32)}`;
const TIMESTAMP_MS = 1_777_000_000_000;
const m = parseMicros;

const wallet: HDNodeWallet = Wallet.createRandom();
const creds: ApiCredentials = {
  key: "0b3c6a52-1f7e-4c55-9a0e-5d8a3c2e1f00",
  secret: randomBytes(32).toString("base64url"),
  passphrase: "c7f2e9a4b1d85f36e0a9c4b7d2e1f8a3b6c5d4e7f0a1b2c3d4e5f6a7b8c9d0e1",
};

function intent(overrides: Partial<OrderIntent> = {}): OrderIntent {
  return {
    tokenId: TOKEN,
    side: "BUY",
    price: m("0.55"),
    size: m("10"),
    tickSize: m("0.01"),
    negRisk: false,
    salt: 123_456_789,
    timestampMs: TIMESTAMP_MS,
    ...overrides,
  };
}

let venue: FakeVenue;
let host: string;

beforeEach(async () => {
  venue = new FakeVenue();
  host = await venue.start();
});

afterEach(async () => {
  await venue.stop();
});

function exchange(options: ExchangeOptions = {}): Exchange {
  return new Exchange({ host, chainId: 137, signer: wallet, creds }, { requestTimeoutMs: 2_000, ...options });
}

async function thrown(promise: Promise<unknown>): Promise<VenueError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof VenueError)) throw new Error(`expected a VenueError, got ${inspect(error)}`);
  return error;
}

function placed(orderId: string, extra: Record<string, unknown> = {}) {
  return {
    success: true,
    errorMsg: "",
    orderID: orderId,
    status: "live",
    makingAmount: "",
    takingAmount: "",
    ...extra,
  };
}

describe("buildSignedOrder", () => {
  it("derives maker and taker amounts exactly", async () => {
    const buy = await exchange().buildSignedOrder(intent(), "GTC");
    expect(buy.order.makerAmount).toBe("5500000");
    expect(buy.order.takerAmount).toBe("10000000");
    const sell = await exchange().buildSignedOrder(
      intent({ side: "SELL", price: m("0.4321"), tickSize: 100 }),
      "GTC",
    );
    expect(sell.order.makerAmount).toBe("10000000");
    expect(sell.order.takerAmount).toBe("4321000");
    expect(sell.order.side).toBe(Side.SELL);
  });

  it("is deterministic: the same intent gives the same hash and signature", async () => {
    const a = await exchange().buildSignedOrder(intent(), "GTC");
    const b = await exchange().buildSignedOrder(intent(), "GTC");
    expect(b).toEqual(a);
    const other = await exchange().buildSignedOrder(intent({ salt: 123_456_790 }), "GTC");
    expect(other.orderHash).not.toBe(a.orderHash);
  });

  it("is signed by the wallet under the V2 exchange domain", async () => {
    const signed = await exchange().buildSignedOrder(intent({ negRisk: true }), "GTC");
    const { negRiskExchangeV2 } = getContractConfig(137);
    const domain = {
      name: "Polymarket CTF Exchange",
      version: "2",
      chainId: 137,
      verifyingContract: negRiskExchangeV2,
    };
    const types = {
      Order: [
        { name: "salt", type: "uint256" },
        { name: "maker", type: "address" },
        { name: "signer", type: "address" },
        { name: "tokenId", type: "uint256" },
        { name: "makerAmount", type: "uint256" },
        { name: "takerAmount", type: "uint256" },
        { name: "side", type: "uint8" },
        { name: "signatureType", type: "uint8" },
        { name: "timestamp", type: "uint256" },
        { name: "metadata", type: "bytes32" },
        { name: "builder", type: "bytes32" },
      ],
    };
    const message = { ...signed.order, side: 0 };
    expect(verifyTypedData(domain, types, message, signed.order.signature)).toBe(wallet.address);
    expect(TypedDataEncoder.hash(domain, types, message)).toBe(signed.orderHash);
  });

  it.each([false, true])("signs exactly what the official client signs (negRisk %s)", async (negRisk) => {
    // Pin the client's clock and randomness so its salt and timestamp are known.
    const now = jest.spyOn(Date, "now").mockReturnValue(TIMESTAMP_MS);
    const random = jest.spyOn(Math, "random").mockReturnValue(0.25);
    try {
      const clientSigner = {
        getAddress: () => wallet.getAddress(),
        _signTypedData: (domain: object, types: never, value: Record<string, unknown>) =>
          wallet.signTypedData(domain, types, value),
      };
      const official = await new OrderBuilder(clientSigner, 137).buildOrder(
        { tokenID: TOKEN, price: 0.55, size: 10, side: Side.BUY },
        { tickSize: "0.01", negRisk },
        2,
      );
      const ours = await exchange().buildSignedOrder(
        intent({ negRisk, salt: Math.round(0.25 * TIMESTAMP_MS), timestampMs: TIMESTAMP_MS }),
        "GTC",
      );
      expect(ours.order).toEqual(official);
    } finally {
      now.mockRestore();
      random.mockRestore();
    }
  });

  it("signs a marketable BUY by the venue's rules: pUSD to the cent, shares to 4 decimals", async () => {
    // 10.63 × 0.47 = 4.9961 (refused by the venue as a FAK) → $5.00; 5.00 / 0.47 = 10.638297… → 10.6382.
    const entry = intent({ price: m("0.47"), size: m("10.63") });
    for (const type of ["FAK", "FOK"] as const) {
      const signed = await exchange().buildSignedOrder(entry, type);
      expect([signed.order.makerAmount, signed.order.takerAmount]).toEqual(["5000000", "10638200"]);
      expect(signed.orderType).toBe(type);
    }
    // As a limit order the same intent keeps the exact product.
    const limit = await exchange().buildSignedOrder(entry, "GTC");
    expect([limit.order.makerAmount, limit.order.takerAmount]).toEqual(["4996100", "10630000"]);
    // At tick 0.001: 10.01 × 0.985 = 9.85985 → 9.86; 9.86 / 0.985 = 10.010152… → 10.0101 (not 5 decimals).
    const fine = await exchange().buildSignedOrder(
      intent({ price: m("0.985"), size: m("10.01"), tickSize: m("0.001") }),
      "FAK",
    );
    expect([fine.order.makerAmount, fine.order.takerAmount]).toEqual(["9860000", "10010100"]);
  });

  it("signs a marketable SELL's pUSD down to 4 decimals, never above its limit", async () => {
    // 10.01 × 0.985 = 9.85985 → 9.8598.
    const sell = await exchange().buildSignedOrder(
      intent({ side: "SELL", price: m("0.985"), size: m("10.01"), tickSize: m("0.001") }),
      "FAK",
    );
    expect([sell.order.makerAmount, sell.order.takerAmount]).toEqual(["10010000", "9859800"]);
  });

  it("signs the same marketable BUY as the official client's market order for that pUSD", async () => {
    const now = jest.spyOn(Date, "now").mockReturnValue(TIMESTAMP_MS);
    const random = jest.spyOn(Math, "random").mockReturnValue(0.25);
    try {
      const clientSigner = {
        getAddress: () => wallet.getAddress(),
        _signTypedData: (domain: object, types: never, value: Record<string, unknown>) =>
          wallet.signTypedData(domain, types, value),
      };
      const official = await new OrderBuilder(clientSigner, 137).buildMarketOrder(
        { tokenID: TOKEN, price: 0.47, amount: 5, side: Side.BUY },
        { tickSize: "0.01", negRisk: false },
        2,
      );
      const ours = await exchange().buildSignedOrder(
        intent({
          price: m("0.47"),
          size: m("10.63"),
          salt: Math.round(0.25 * TIMESTAMP_MS),
          timestampMs: TIMESTAMP_MS,
        }),
        "FAK",
      );
      expect(ours.order).toEqual(official);
    } finally {
      now.mockRestore();
      random.mockRestore();
    }
  });

  it("refuses locally a marketable BUY under $1 and a size under the market's minimum", async () => {
    // 5 × 0.19 = 0.95 → $0.95 < $1, with the venue's own words.
    const cheap = await thrown(
      exchange().buildSignedOrder(intent({ price: m("0.19"), size: m("5") }), "FAK"),
    );
    expect(cheap).toBeInstanceOf(BelowMinimumSize);
    expect(cheap.venueMessage).toBe("invalid amount for a marketable BUY order ($0.95), min size: $1");
    // The same as a limit order, or as a SELL, is no marketable BUY.
    await exchange().buildSignedOrder(intent({ price: m("0.19"), size: m("5") }), "GTC");
    await exchange().buildSignedOrder(intent({ side: "SELL", price: m("0.19"), size: m("5") }), "FAK");
    // 5 × 0.20 = $1.00 exactly is enough.
    await exchange().buildSignedOrder(intent({ price: m("0.2"), size: m("5") }), "FAK");

    const small = await thrown(
      exchange().buildSignedOrder(intent({ size: m("4.99"), minOrderSize: m("5") }), "GTC"),
    );
    expect(small).toBeInstanceOf(BelowMinimumSize);
    expect(small.venueMessage).toBe("Size (4.99) lower than the minimum: 5");
    expect((small as BelowMinimumSize).minimumSize).toBe(m("5"));
    await exchange().buildSignedOrder(intent({ size: m("5"), minOrderSize: m("5") }), "GTC");
  });

  it("refuses an order type it does not know", async () => {
    const error = await thrown(exchange().buildSignedOrder(intent(), "IOC" as never));
    expect(error).toBeInstanceOf(Rejected);
    expect(error.venueMessage).toBe('unknown order type "IOC" (GTC, GTD, FOK or FAK)');
  });

  it("refuses intents the venue would reject or the client would garble", async () => {
    expect(await thrown(exchange().buildSignedOrder(intent({ price: m("0.555") }), "GTC"))).toBeInstanceOf(
      OffTick,
    );
    expect(await thrown(exchange().buildSignedOrder(intent({ price: m("0.995") }), "GTC"))).toBeInstanceOf(
      OffTick,
    );
    expect(await thrown(exchange().buildSignedOrder(intent({ size: m("10.005") }), "GTC"))).toBeInstanceOf(
      Rejected,
    );
    expect(await thrown(exchange().buildSignedOrder(intent({ salt: 2 ** 53 }), "GTC"))).toBeInstanceOf(
      Rejected,
    );
    expect(await thrown(exchange().buildSignedOrder(intent({ tickSize: m("0.02") }), "GTC"))).toBeInstanceOf(
      Rejected,
    );
  });
});

describe("placeOrder", () => {
  it("posts the signed order with deferExec and L2 headers, and returns without polling", async () => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    venue.on("POST", "/order", (_req, res) =>
      reply(
        res,
        200,
        placed(signed.orderHash, {
          status: "matched",
          makingAmount: "5.5",
          takingAmount: "10",
          tradeIDs: ["t1"],
        }),
      ),
    );
    const placement = await ex.placeOrder(signed, { orderType: "GTC", postOnly: true });
    expect(placement).toEqual({
      outcome: "placed",
      orderId: signed.orderHash,
      status: "matched",
      makingAmount: m("5.5"),
      takingAmount: m("10"),
      tradeIds: ["t1"],
      transactionHashes: [],
    });
    // deferExec: the client did not go looking for the trade's settlement.
    expect(venue.requests).toHaveLength(1);
    const [request] = venue.requests as [RecordedRequest];
    const body = JSON.parse(request.body);
    expect(body).toEqual({
      deferExec: true,
      postOnly: true,
      order: {
        salt: 123_456_789,
        maker: wallet.address,
        signer: wallet.address,
        tokenId: TOKEN,
        makerAmount: "5500000",
        takerAmount: "10000000",
        side: "BUY",
        signatureType: 0,
        timestamp: String(TIMESTAMP_MS),
        expiration: "0",
        metadata: `0x${"0".repeat(64)}`,
        builder: `0x${"0".repeat(64)}`,
        signature: signed.order.signature,
      },
      owner: creds.key,
      orderType: "GTC",
    });
    expect(request.headers.poly_address).toBe(wallet.address);
    expect(request.headers.poly_api_key).toBe(creds.key);
    expect(request.headers.poly_passphrase).toBe(creds.passphrase);
    expect(request.headers.poly_signature).toBe(expectedL2Signature(creds.secret, request));
  });

  it("reports an order the venue already has as already placed", async () => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    venue.on("POST", "/order", (_req, res) => reply(res, 400, { error: "order is invalid. Duplicated." }));
    expect(await ex.placeOrder(signed, { orderType: "GTC" })).toEqual({
      outcome: "already-placed",
      orderId: signed.orderHash,
      venueMessage: "order is invalid. Duplicated.",
    });
  });

  it("turns a 429 with Retry-After into RateLimited", async () => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    venue.on("POST", "/order", (_req, res) => reply(res, 429, "Too Many Requests", { "retry-after": "7" }));
    const error = await thrown(ex.placeOrder(signed, { orderType: "GTC" }));
    expect(error).toBeInstanceOf(RateLimited);
    expect((error as RateLimited).retryAfterMs).toBe(7_000);
    expect(error.retryable).toBe(true);
  });

  it.each([503, 425])("turns a %i into VenueUnavailable", async (status) => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    venue.on("POST", "/order", (_req, res) =>
      reply(res, status, {
        error: "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed.",
      }),
    );
    const error = await thrown(ex.placeOrder(signed, { orderType: "GTC" }));
    expect(error).toBeInstanceOf(VenueUnavailable);
    expect(error.status).toBe(status);
  });

  it("turns a socket hang-up into UnknownOutcome, without the client retrying", async () => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    // The venue has read the whole order when the connection dies: the order may well exist.
    venue.on("POST", "/order", (_req, res) => res.socket?.destroy());
    const error = await thrown(ex.placeOrder(signed, { orderType: "GTC" }));
    expect(error).toBeInstanceOf(UnknownOutcome);
    expect(error.retryable).toBe(true);
    expect(venue.requestsTo("POST", "/order")).toHaveLength(1);
  });

  it("turns a timeout into UnknownOutcome", async () => {
    const ex = exchange({ requestTimeoutMs: 150 });
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    venue.on("POST", "/order", () => undefined);
    const error = await thrown(ex.placeOrder(signed, { orderType: "GTC" }));
    expect(error).toBeInstanceOf(UnknownOutcome);
    expect(error.venueMessage).toMatch(/ECONNABORTED|timeout/);
  });

  it("turns a refused connection into VenueUnavailable", async () => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    await venue.stop();
    const error = await thrown(ex.placeOrder(signed, { orderType: "GTC" }));
    expect(error).toBeInstanceOf(VenueUnavailable);
    venue = new FakeVenue();
    host = await venue.start();
  });

  it("turns the post-only rejection into PostOnlyWouldCross", async () => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    venue.on("POST", "/order", (_req, res) =>
      reply(res, 400, { error: "invalid post-only order: order crosses book" }),
    );
    const error = await thrown(ex.placeOrder(signed, { orderType: "GTC", postOnly: true }));
    expect(error).toBeInstanceOf(PostOnlyWouldCross);
    expect(error.retryable).toBe(false);
  });

  it("reads a failure reported in a 200 answer", async () => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    venue.on("POST", "/order", (_req, res) =>
      reply(res, 200, {
        success: false,
        errorMsg: "not enough balance / allowance",
        orderID: "",
        status: "",
      }),
    );
    expect(await thrown(ex.placeOrder(signed, { orderType: "GTC" }))).toBeInstanceOf(InsufficientBalance);
  });

  it("checks order-type rules before sending", async () => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    const fok = await ex.buildSignedOrder(intent(), "FOK");
    expect(await thrown(ex.placeOrder(fok, { orderType: "FOK", postOnly: true }))).toBeInstanceOf(Rejected);
    // Marketable and limit orders have different amounts: one is never posted as the other.
    expect((await thrown(ex.placeOrder(signed, { orderType: "FAK" }))).venueMessage).toBe(
      "an order signed as GTC cannot be posted as FAK (marketable and limit orders have different amounts)",
    );
    expect(await thrown(ex.placeOrder(fok, { orderType: "GTC" }))).toBeInstanceOf(Rejected);
    expect(await thrown(ex.placeOrder(signed, { orderType: "GTD" }))).toBeInstanceOf(Rejected);
    const expiring = await ex.buildSignedOrder(intent({ expirationSec: 1_777_000_600 }), "GTC");
    expect(await thrown(ex.placeOrder(expiring, { orderType: "GTC" }))).toBeInstanceOf(Rejected);
    expect(venue.requests).toHaveLength(0);
  });

  it("keeps credentials out of errors and out of inspection", async () => {
    const ex = exchange();
    const signed = await ex.buildSignedOrder(intent(), "GTC");
    venue.on("POST", "/order", (_req, res) => reply(res, 401, { error: "Unauthorized/Invalid api key" }));
    const error = await thrown(ex.placeOrder(signed, { orderType: "GTC" }));
    expect(error).toBeInstanceOf(Unauthorized);
    const exposed = [
      error.message,
      error.stack ?? "",
      JSON.stringify(error),
      inspect(error, { depth: 10 }),
      inspect(ex, { depth: 10 }),
    ];
    for (const text of exposed) {
      expect(text).not.toContain(creds.secret);
      expect(text).not.toContain(creds.passphrase);
      expect(text).not.toContain(wallet.privateKey.slice(2));
    }
  });
});

describe("placeBatch", () => {
  async function signedOrders(ex: Exchange, count: number): Promise<SignedVenueOrder[]> {
    return Promise.all(
      Array.from({ length: count }, (_, i) => ex.buildSignedOrder(intent({ salt: 1_000 + i }), "GTC")),
    );
  }

  it("refuses more than 15 orders without sending anything", async () => {
    const ex = exchange();
    const orders = (await signedOrders(ex, 16)).map((signed) => ({ signed, orderType: "GTC" as const }));
    const error = await thrown(ex.placeBatch(orders));
    expect(error).toBeInstanceOf(Rejected);
    expect(error.retryable).toBe(false);
    expect(venue.requests).toHaveLength(0);
  });

  it("returns one entry per order, in order", async () => {
    const ex = exchange();
    const [a, b, c] = (await signedOrders(ex, 3)) as [SignedVenueOrder, SignedVenueOrder, SignedVenueOrder];
    venue.on("POST", "/orders", (_req, res) =>
      reply(res, 200, [
        placed(a.orderHash),
        { success: false, errorMsg: "invalid post-only order: order crosses book", orderID: "", status: "" },
        { success: false, errorMsg: "order is invalid. Duplicated.", orderID: "", status: "" },
      ]),
    );
    const entries = await ex.placeBatch(
      [a, b, c].map((signed) => ({ signed, orderType: "GTC" as const })),
      { postOnly: true },
    );
    expect(entries).toEqual([
      expect.objectContaining({ orderHash: a.orderHash, outcome: "placed", status: "live" }),
      {
        orderHash: b.orderHash,
        outcome: "failed",
        error: {
          kind: "PostOnlyWouldCross",
          venueMessage: "invalid post-only order: order crosses book",
          retryable: false,
          batch: true,
        },
      },
      expect.objectContaining({ orderHash: c.orderHash, outcome: "already-placed" }),
    ]);
    const [request] = venue.requests as [RecordedRequest];
    const body = JSON.parse(request.body) as Array<{
      postOnly: boolean;
      deferExec: boolean;
      order: { salt: number };
    }>;
    expect(body.map((o) => [o.order.salt, o.postOnly, o.deferExec])).toEqual([
      [1_000, true, true],
      [1_001, true, true],
      [1_002, true, true],
    ]);
    expect(request.headers.poly_signature).toBe(expectedL2Signature(creds.secret, request));
  });

  it("marks every batch failure non-retryable, even an unknown outcome", async () => {
    const ex = exchange();
    const orders = (await signedOrders(ex, 2)).map((signed) => ({ signed, orderType: "GTC" as const }));
    venue.on("POST", "/orders", (_req, res) => reply(res, 500, { error: "internal error" }));
    const error = await thrown(ex.placeBatch(orders));
    expect(error).toBeInstanceOf(UnknownOutcome);
    expect(error.retryable).toBe(false);
    expect(venue.requestsTo("POST", "/orders")).toHaveLength(1);
  });
});

describe("reads and cancels", () => {
  const openOrder = (id: string) => ({
    id,
    status: "LIVE",
    owner: creds.key,
    maker_address: wallet.address,
    market: CONDITION,
    asset_id: TOKEN,
    side: "BUY",
    original_size: "10",
    size_matched: "2.5",
    price: "0.55",
    associate_trades: [],
    outcome: "Up",
    created_at: 1_777_000_000,
    expiration: "0",
    order_type: "GTC",
  });

  it("collects every page of open orders", async () => {
    venue.on("GET", "/data/orders", (req, res) =>
      req.query.get("next_cursor") === "MA=="
        ? reply(res, 200, { data: [openOrder("0x1")], next_cursor: "MQ==", limit: 1, count: 1 })
        : reply(res, 200, { data: [openOrder("0x2")], next_cursor: "LTE=", limit: 1, count: 1 }),
    );
    const orders = await exchange().openOrders({ market: CONDITION });
    expect(orders.map((o) => o.id)).toEqual(["0x1", "0x2"]);
    expect(orders[0]).toMatchObject({
      tokenId: TOKEN,
      price: m("0.55"),
      originalSize: m("10"),
      sizeMatched: m("2.5"),
    });
    const requests = venue.requestsTo("GET", "/data/orders");
    expect(requests.map((r) => r.query.get("market"))).toEqual([CONDITION, CONDITION]);
    // The HMAC covers the path without its query string.
    for (const request of requests)
      expect(request.headers.poly_signature).toBe(expectedL2Signature(creds.secret, request));
  });

  it("collects every page of trades", async () => {
    const trade = (id: string) => ({
      id,
      taker_order_id: "0xtaker",
      market: CONDITION,
      asset_id: TOKEN,
      side: "SELL",
      size: "5",
      fee_rate_bps: "0",
      price: "0.61",
      status: "CONFIRMED",
      match_time: "1777000100",
      last_update: "1777000105",
      outcome: "Up",
      bucket_index: 0,
      owner: creds.key,
      maker_address: wallet.address,
      transaction_hash: "0xfeed",
      trader_side: "MAKER",
      maker_orders: [
        {
          order_id: "0xmine",
          owner: creds.key,
          maker_address: wallet.address,
          matched_amount: "5",
          price: "0.61",
          fee_rate_bps: "0",
          asset_id: TOKEN,
          outcome: "Up",
          side: "SELL",
        },
      ],
    });
    venue.on("GET", "/data/trades", (req, res) =>
      req.query.get("next_cursor") === "MA=="
        ? reply(res, 200, { data: [trade("t1")], next_cursor: "MQ==" })
        : reply(res, 200, { data: [trade("t2")], next_cursor: "LTE=" }),
    );
    const trades = await exchange().trades({ after: 1_777_000_000 });
    expect(trades.map((t) => t.id)).toEqual(["t1", "t2"]);
    expect(trades[0]).toMatchObject({
      side: "SELL",
      size: m("5"),
      price: m("0.61"),
      matchTime: 1_777_000_100,
      traderSide: "MAKER",
      makerOrders: [expect.objectContaining({ orderId: "0xmine", matchedAmount: m("5"), side: "SELL" })],
    });
    expect(venue.requestsTo("GET", "/data/trades")[0]?.query.get("after")).toBe("1777000000");
  });

  it("looks an order up, and knows when the venue does not have it", async () => {
    venue.on("GET", "/data/order/0x1", (_req, res) => reply(res, 200, openOrder("0x1")));
    venue.on("GET", "/data/order/0x2", (_req, res) => reply(res, 200, "null"));
    venue.on("GET", "/data/order/0x3", (_req, res) => reply(res, 404, { error: "order not found" }));
    const ex = exchange();
    expect(await ex.getOrder("0x1")).toMatchObject({ id: "0x1", side: "BUY" });
    expect(await ex.getOrder("0x2")).toBeUndefined();
    expect(await ex.getOrder("0x3")).toBeUndefined();
  });

  it("cancels by id, by ids, by market and everything", async () => {
    const answer = { canceled: ["0x1"], not_canceled: { "0x2": "order not found" } };
    for (const [method, path] of [
      ["DELETE", "/order"],
      ["DELETE", "/orders"],
      ["DELETE", "/cancel-market-orders"],
      ["DELETE", "/cancel-all"],
    ] as const) {
      venue.on(method, path, (_req, res) => reply(res, 200, answer));
    }
    const ex = exchange();
    const expected = { canceled: ["0x1"], notCanceled: { "0x2": "order not found" } };
    expect(await ex.cancelOrder("0x1")).toEqual(expected);
    expect(await ex.cancelOrders(["0x1", "0x2"])).toEqual(expected);
    expect(await ex.cancelMarket({ market: CONDITION })).toEqual(expected);
    expect(await ex.cancelAll()).toEqual(expected);
    expect(venue.requests.map((r) => [r.path, r.body])).toEqual([
      ["/order", JSON.stringify({ orderID: "0x1" })],
      ["/orders", JSON.stringify(["0x1", "0x2"])],
      ["/cancel-market-orders", JSON.stringify({ market: CONDITION })],
      ["/cancel-all", ""],
    ]);
    for (const request of venue.requests) {
      expect(request.headers.poly_signature).toBe(expectedL2Signature(creds.secret, request));
    }
    expect(await thrown(ex.cancelMarket({}))).toBeInstanceOf(Rejected);
  });

  it("reads the book best first", async () => {
    venue.on("GET", "/book", (_req, res) =>
      reply(res, 200, {
        market: CONDITION,
        asset_id: TOKEN,
        timestamp: "1777000000123",
        // The venue lists both sides worst first.
        bids: [
          { price: "0.5", size: "100" },
          { price: "0.52", size: "20" },
        ],
        asks: [
          { price: "0.58", size: "30" },
          { price: "0.55", size: "12.5" },
        ],
        min_order_size: "5",
        tick_size: "0.01",
        neg_risk: false,
        hash: "abc",
        last_trade_price: "0.53",
      }),
    );
    const book = await exchange().orderBook(TOKEN);
    expect(book.bids.map((l) => l.price)).toEqual([m("0.52"), m("0.5")]);
    expect(book.asks).toEqual([
      { price: m("0.55"), size: m("12.5") },
      { price: m("0.58"), size: m("30") },
    ]);
    expect(book).toMatchObject({ timestamp: 1_777_000_000_123, minOrderSize: m("5"), tickSize: m("0.01") });
    expect(venue.requests[0]?.query.get("token_id")).toBe(TOKEN);
  });

  it("asks the venue for the tick size every time", async () => {
    let tick = "0.01";
    venue.on("GET", "/tick-size", (_req, res) => reply(res, 200, { minimum_tick_size: Number(tick) }));
    const ex = exchange();
    expect(await ex.tickSize(TOKEN)).toBe(m("0.01"));
    tick = "0.001";
    expect(await ex.tickSize(TOKEN)).toBe(m("0.001"));
    expect(venue.requestsTo("GET", "/tick-size")).toHaveLength(2);
  });

  it("caches fee parameters per market for the TTL of the injected clock", async () => {
    venue.on("GET", `/clob-markets/${CONDITION}`, (_req, res) =>
      reply(res, 200, {
        c: CONDITION,
        t: [
          { t: TOKEN, o: "Up" },
          { t: "42", o: "Down" },
        ],
        mts: 0.01,
        nr: false,
        fd: { r: 0.07, e: 1, to: true },
        r: null,
      }),
    );
    let now = 1_000_000;
    const ex = exchange({ now: () => now, feeParamsTtlMs: 60_000 });
    const [first, concurrent] = await Promise.all([ex.feeParams(CONDITION), ex.feeParams(CONDITION)]);
    expect(first).toEqual({ rate: 70_000, exponent: 1 });
    expect(concurrent).toEqual(first);
    now += 59_999;
    expect(await ex.feeParams(CONDITION)).toEqual(first);
    expect(venue.requests).toHaveLength(1);
    now += 1;
    expect(await ex.feeParams(CONDITION)).toEqual(first);
    expect(venue.requests).toHaveLength(2);
  });

  it("does not cache a failed fee lookup", async () => {
    let fail = true;
    venue.on("GET", `/clob-markets/${CONDITION}`, (_req, res) =>
      fail
        ? reply(res, 503, { error: "down" })
        : reply(res, 200, { c: CONDITION, t: [{ t: TOKEN, o: "Up" }], mts: 0.01 }),
    );
    const ex = exchange();
    expect(await thrown(ex.feeParams(CONDITION))).toBeInstanceOf(VenueUnavailable);
    fail = false;
    // No fd: the client's defaults, a fee-free market.
    expect(await ex.feeParams(CONDITION)).toEqual({ rate: 0, exponent: 0 });
  });

  it("beats the heart", async () => {
    venue.on("POST", "/v1/heartbeats", (req, res) => {
      const { heartbeat_id: previous } = JSON.parse(req.body) as { heartbeat_id: string };
      reply(res, 200, { heartbeat_id: previous === "" ? "hb-1" : `${previous}+` });
    });
    const ex = exchange();
    const first = await ex.heartbeat();
    expect(first).toBe("hb-1");
    expect(await ex.heartbeat(first)).toBe("hb-1+");
    for (const request of venue.requests) {
      expect(request.headers.poly_signature).toBe(expectedL2Signature(creds.secret, request));
    }
  });
});

describe("createExchange", () => {
  it("derives API credentials with an L1 signature, creating them when the wallet has none", async () => {
    const owner = Wallet.createRandom();
    const issued = { apiKey: "k-1", secret: randomBytes(32).toString("base64url"), passphrase: "p-1" };
    const checkL1 = (req: RecordedRequest) => {
      const domain = { name: "ClobAuthDomain", version: "1", chainId: 137 };
      const types = {
        ClobAuth: [
          { name: "address", type: "address" },
          { name: "timestamp", type: "string" },
          { name: "nonce", type: "uint256" },
          { name: "message", type: "string" },
        ],
      };
      const value = {
        address: req.headers.poly_address,
        timestamp: req.headers.poly_timestamp,
        nonce: Number(req.headers.poly_nonce),
        message: "This message attests that I control the given wallet",
      };
      expect(req.headers.poly_nonce).toBe("0");
      expect(verifyTypedData(domain, types, value, String(req.headers.poly_signature))).toBe(owner.address);
    };
    venue.on("GET", "/auth/derive-api-key", (req, res) => {
      checkL1(req);
      reply(res, 400, { error: "Could not derive api key!" });
    });
    venue.on("POST", "/auth/api-key", (req, res) => {
      checkL1(req);
      reply(res, 200, issued);
    });
    venue.on("POST", "/v1/heartbeats", (_req, res) => reply(res, 200, { heartbeat_id: "hb" }));
    const ex = await createExchange({ clobUrl: host, chainId: 137, privateKey: owner.privateKey });
    expect(await ex.heartbeat()).toBe("hb");
    const beat = venue.requestsTo("POST", "/v1/heartbeats")[0] as RecordedRequest;
    expect(beat.headers.poly_api_key).toBe("k-1");
    expect(beat.headers.poly_signature).toBe(expectedL2Signature(issued.secret, beat));
    expect(venue.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /auth/derive-api-key",
      "POST /auth/api-key",
      "POST /v1/heartbeats",
    ]);
  });

  it("uses given credentials without asking the venue", async () => {
    const ex = await createExchange({
      clobUrl: host,
      chainId: 137,
      privateKey: wallet.privateKey,
      apiCreds: creds,
    });
    expect(ex).toBeInstanceOf(Exchange);
    expect(venue.requests).toHaveLength(0);
  });

  it("refuses chains the client has no contracts for", async () => {
    await expect(
      createExchange({ clobUrl: host, chainId: 1, privateKey: wallet.privateKey, apiCreds: creds }),
    ).rejects.toThrow(/chain 1 is not supported/);
  });
});
