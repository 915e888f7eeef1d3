import { buyFeeInShares, estimateMakerRebate, makerFeeEquivalent, takerFee } from "../../../src/fees";
import {
  CANCEL_NOT_FOUND,
  FAK_NO_MATCH,
  FOK_KILLED_WIRE_STATUS,
  FOK_NOT_FILLED,
  INVALID_EXPIRATION,
  MARKET_NOT_ACCEPTING_ORDERS,
  MARKET_NOT_FOUND,
  MatchingEngine,
  NOT_ENOUGH_BALANCE,
  POST_ONLY_CROSSES,
  POST_ONLY_WRONG_TYPE,
} from "../../../src/venue/engine";
import { CID, DOWN, harness, makeMarket, order, T0, UP, u } from "./helpers";

const A = "0xaaa";
const B = "0xbbb";
const C = "0xccc";

describe("validation", () => {
  it("rejects with the venue's error strings and emits nothing", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    const t = T0 + 1_000;

    expect(h.engine.submit(order({ tokenId: "999" }), t)).toMatchObject({
      success: false,
      errorMsg: MARKET_NOT_FOUND,
      tradeIds: [],
    });
    expect(MARKET_NOT_FOUND).toBe("market not found");

    const offTick = order({ price: u(0.505) });
    expect(h.engine.submit(offTick, t).errorMsg).toBe(
      `order ${offTick.id} is invalid. Price (0.505) breaks minimum tick size rule: 0.01`,
    );
    const tooHigh = order({ price: u(1) });
    expect(h.engine.submit(tooHigh, t).errorMsg).toBe(
      `order ${tooHigh.id} is invalid. Price (1) breaks minimum tick size rule: 0.01`,
    );
    const zero = order({ price: 0 });
    expect(h.engine.submit(zero, t).errorMsg).toBe(
      `order ${zero.id} is invalid. Price (0) breaks minimum tick size rule: 0.01`,
    );
    expect(h.engine.submit(order({ price: u(0.99), size: u(5) }), t).success).toBe(true);
    expect(h.engine.submit(order({ price: u(0.01), size: u(5) }), t).success).toBe(true);

    const small = order({ size: u(4.99) });
    expect(h.engine.submit(small, t).errorMsg).toBe(
      `order ${small.id} is invalid. Size (4.99) lower than the minimum: 5`,
    );

    expect(h.engine.submit(order({ type: "FOK", postOnly: true }), t).errorMsg).toBe(POST_ONLY_WRONG_TYPE);
    expect(h.engine.submit(order({ type: "FAK", postOnly: true }), t).errorMsg).toBe(
      "invalid post-only order: only GTC and GTD order types are allowed",
    );

    expect(h.engine.submit(order({ type: "GTD", expiresAtMs: t + 59_999 }), t).errorMsg).toBe(
      INVALID_EXPIRATION,
    );
    expect(h.engine.submit(order({ type: "GTD", expiresAtMs: 0 }), t).errorMsg).toBe("invalid expiration");
    expect(h.engine.submit(order({ type: "GTD", expiresAtMs: t + 60_000 }), t).success).toBe(true);

    expect(h.engine.submit(order({ side: "SELL", price: u(0.6) }), t).errorMsg).toBe(NOT_ENOUGH_BALANCE);
    expect(h.engine.submit(order({ account: C }), t).errorMsg).toBe("not enough balance / allowance");

    const rejected = h.events.filter((e) => e.kind === "order" && e.type !== "PLACEMENT");
    expect(rejected).toEqual([]);
    expect(h.of("order")).toHaveLength(3);
  });

  it("checks the available balance against price × size rounded up, and reserves it", () => {
    const h = harness();
    h.engine.credit(A, u(5) - 1);
    const t = T0;
    expect(h.engine.submit(order({ price: u(0.5), size: u(10) }), t).errorMsg).toBe(NOT_ENOUGH_BALANCE);
    h.engine.credit(A, 1);
    expect(h.engine.submit(order({ price: u(0.5), size: u(10) }), t).status).toBe("live");
    expect(h.engine.balance(A)).toMatchObject({ collateral: u(5), availableCollateral: 0 });
    expect(h.engine.submit(order({ price: u(0.01), size: u(5) }), t).errorMsg).toBe(NOT_ENOUGH_BALANCE);

    // An odd size: 5.000001 × 0.33 = 1.65000033 → reserves 1.650001.
    h.engine.credit(B, u(10));
    h.engine.submit(order({ account: B, owner: "key-b", price: u(0.33), size: 5_000_001 }), t);
    expect(h.engine.balance(B).availableCollateral).toBe(u(10) - 1_650_001);
  });

  it("stops accepting orders at endMs and after resolution", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    const end = makeMarket().endMs;
    expect(h.engine.submit(order(), end - 1).success).toBe(true);
    expect(h.engine.submit(order(), end).errorMsg).toBe(MARKET_NOT_ACCEPTING_ORDERS);
    expect(h.engine.marketStatus(CID)).toBe("closed");
    h.engine.resolveMarket(CID, UP, 100, 101, end + 1);
    expect(h.engine.submit(order(), end + 2).errorMsg).toBe("market is not accepting orders");
  });
});

describe("matching", () => {
  it("fills by price, then time, at the makers' prices, partially", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.split(B, CID, 0, T0); // no-op on an empty account
    for (const acct of [B, C]) {
      h.engine.credit(acct, u(100));
      expect(h.engine.split(acct, CID, u(50), T0)).toEqual({ success: true });
    }
    const s1 = order({ owner: "key-b", account: B, side: "SELL", price: u(0.52) });
    const s2 = order({ owner: "key-c", account: C, side: "SELL", price: u(0.51) });
    const s3 = order({ owner: "key-b", account: B, side: "SELL", price: u(0.51) });
    for (const s of [s1, s2, s3]) expect(h.engine.submit(s, T0 + 1).status).toBe("live");
    h.clear();

    const taker = order({ price: u(0.52), size: u(25) });
    const res = h.engine.submit(taker, T0 + 2);
    expect(res).toMatchObject({
      success: true,
      status: "matched",
      makingAmount: u(12.8),
      takingAmount: u(25),
    });
    expect(res.tradeIds).toHaveLength(1);

    const [trade] = h.of("trade").map((e) => e.trade);
    expect(trade!.makers.map((f) => [f.orderId, f.price, f.matchedAmount])).toEqual([
      [s2.id, u(0.51), u(10)],
      [s3.id, u(0.51), u(10)],
      [s1.id, u(0.52), u(5)],
    ]);
    expect(trade).toMatchObject({
      id: res.tradeIds[0],
      market: CID,
      tokenId: UP,
      outcome: "Up",
      side: "BUY",
      price: u(0.512),
      size: u(25),
      takerOrderId: taker.id,
      takerOwner: "key-a",
      status: "MATCHED",
      matchTimeMs: T0 + 2,
    });
    expect(trade!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(trade!.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);

    const fee = 2 * buyFeeInShares(u(10), u(0.51), u(0.07)) + buyFeeInShares(u(5), u(0.52), u(0.07));
    expect(fee).toBe(854_000);
    expect(trade!.fee).toBe(fee);
    expect(h.engine.balance(A).collateral).toBe(u(100) - u(12.8));
    expect(h.engine.balance(A).shares[UP]).toBe(u(25) - fee);

    // Makers: UPDATE events, s1 partly filled and still on the book.
    const updates = h.of("order").map((e) => [e.type, e.order.id, e.order.status, e.order.sizeMatched]);
    expect(updates).toEqual([
      ["UPDATE", s2.id, "MATCHED", u(10)],
      ["UPDATE", s3.id, "MATCHED", u(10)],
      ["UPDATE", s1.id, "LIVE", u(5)],
    ]);
    expect(h.engine.getOrder(s1.id)).toMatchObject({
      status: "LIVE",
      sizeMatched: u(5),
      associateTrades: [trade!.id],
    });
    expect(h.engine.book(UP, T0 + 2)!.asks).toEqual([{ price: u(0.52), size: u(5) }]);
    const levels = h.of("level_changed").map((e) => [e.side, e.price, e.size, e.bestBid, e.bestAsk]);
    expect(levels).toEqual([
      ["SELL", u(0.51), 0, null, u(0.52)],
      ["SELL", u(0.52), u(5), null, u(0.52)],
    ]);
    expect(h.of("last_trade")).toEqual([
      expect.objectContaining({ tokenId: UP, side: "BUY", price: u(0.512), size: u(25), feeRate: u(0.07) }),
    ]);
    expect(h.engine.lastTradePrice(UP)).toEqual({ price: u(0.512), side: "BUY" });
    // Makers got the notional (pending until mined) and gave the shares.
    expect(h.engine.balance(C)).toMatchObject({ collateral: u(50) + u(5.1), availableCollateral: u(50) });
    expect(h.engine.balance(C).shares[UP]).toBe(u(40));
  });

  it("trades at the resting price when the taker is a SELL, and rests the remainder", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.credit(B, u(100));
    h.engine.split(B, CID, u(20), T0);
    h.engine.submit(order({ price: u(0.55), size: u(10) }), T0);
    h.clear();
    const sell = order({ owner: "key-b", account: B, side: "SELL", price: u(0.5), size: u(15) });
    const res = h.engine.submit(sell, T0 + 1);
    expect(res).toMatchObject({ status: "matched", makingAmount: u(10), takingAmount: u(5.5) });
    const trade = h.of("trade")[0]!.trade;
    expect(trade).toMatchObject({
      side: "SELL",
      price: u(0.55),
      size: u(10),
      fee: takerFee(u(10), u(0.55), u(0.07)),
    });
    expect(h.of("order").map((e) => [e.type, e.order.id, e.order.sizeMatched])).toEqual([
      ["UPDATE", expect.any(String), u(10)],
      ["PLACEMENT", sell.id, u(10)],
    ]);
    expect(h.engine.book(UP)!.asks).toEqual([{ price: u(0.5), size: u(5) }]);
    expect(h.engine.book(UP)!.bids).toEqual([]);
    expect(h.engine.getOrder(sell.id)).toMatchObject({ status: "LIVE", sizeMatched: u(10) });
  });

  it("mints against complementary bids: the maker fill is on the other token", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.credit(B, u(100));
    const maker = order({ owner: "key-b", account: B, tokenId: DOWN, price: u(0.4) });
    h.engine.submit(maker, T0);
    h.clear();
    const res = h.engine.submit(order({ price: u(0.6) }), T0 + 1);
    expect(res).toMatchObject({ status: "matched", makingAmount: u(6), takingAmount: u(10) });
    const trade = h.of("trade")[0]!.trade;
    expect(trade).toMatchObject({ tokenId: UP, outcome: "Up", side: "BUY", price: u(0.6), size: u(10) });
    expect(trade.makers).toEqual([
      {
        orderId: maker.id,
        owner: "key-b",
        account: B,
        tokenId: DOWN,
        outcome: "Down",
        side: "BUY",
        price: u(0.4),
        matchedAmount: u(10),
        feeEquivalent: makerFeeEquivalent(u(10), u(0.4), u(0.07)),
      },
    ]);
    const fee = buyFeeInShares(u(10), u(0.6), u(0.07));
    expect(trade.fee).toBe(fee);
    expect(h.engine.balance(A)).toMatchObject({ collateral: u(94), shares: { [UP]: u(10) - fee } });
    expect(h.engine.balance(B)).toMatchObject({ collateral: u(96), shares: { [DOWN]: u(10) } });
    expect(h.engine.feePool(CID)).toEqual({ fees: 0, dust: 0, shares: { [UP]: fee, [DOWN]: 0 } });
    expect(h.of("level_changed")).toEqual([
      expect.objectContaining({ tokenId: DOWN, side: "BUY", price: u(0.4), size: 0, bestBid: null }),
    ]);
  });

  it("takes the best effective price across direct asks and complementary bids, then time", () => {
    const h = harness();
    for (const a of [A, B, C]) h.engine.credit(a, u(100));
    h.engine.split(C, CID, u(50), T0);
    const ask60 = order({ owner: "key-c", account: C, side: "SELL", price: u(0.6) });
    const bid42 = order({ owner: "key-b", account: B, tokenId: DOWN, price: u(0.42) }); // effective 0.58
    const ask58 = order({ owner: "key-c", account: C, side: "SELL", price: u(0.58) }); // same price, later
    for (const o of [ask60, bid42, ask58]) h.engine.submit(o, T0);
    h.clear();
    h.engine.submit(order({ price: u(0.6), size: u(25) }), T0 + 1);
    const trade = h.of("trade")[0]!.trade;
    expect(trade.makers.map((f) => [f.orderId, f.tokenId, f.price, f.matchedAmount])).toEqual([
      [bid42.id, DOWN, u(0.42), u(10)],
      [ask58.id, UP, u(0.58), u(10)],
      [ask60.id, UP, u(0.6), u(5)],
    ]);
  });

  it("keeps the book uncrossed, complementary sides included, and allows asks summing below 1", () => {
    const h = harness();
    for (const a of [A, B]) {
      h.engine.credit(a, u(100));
      h.engine.split(a, CID, u(20), T0);
    }
    h.engine.submit(order({ side: "SELL", price: u(0.75) }), T0);
    h.engine.submit(order({ owner: "key-b", account: B, tokenId: DOWN, side: "SELL", price: u(0.2) }), T0);
    // No merge: the two asks sum to 0.95 and both rest.
    expect(h.engine.bestAsk(UP)!.price + h.engine.bestAsk(DOWN)!.price).toBe(u(0.95));
    h.engine.submit(order({ owner: "key-b", account: B, price: u(0.7) }), T0);
    h.engine.submit(order({ tokenId: DOWN, price: u(0.19) }), T0);
    expect(h.engine.bestBid(UP)!.price + h.engine.bestBid(DOWN)!.price).toBe(u(0.89));
    // A Down bid at 0.30 takes the Down ask at 0.20, then (it would make the bids sum to 1) mints against the
    // Up bid at 0.70 instead of resting.
    const res = h.engine.submit(order({ tokenId: DOWN, price: u(0.3), size: u(20) }), T0);
    expect(res).toMatchObject({ status: "matched", makingAmount: u(5), takingAmount: u(20) });
    expect(h.engine.bestBid(UP)).toBeUndefined();
    expect(h.engine.bestBid(DOWN)).toEqual({ price: u(0.19), size: u(10) });
    expect(h.engine.levels(UP, "SELL", 5)).toEqual([{ price: u(0.75), size: u(10) }]);
  });
});

describe("post-only", () => {
  it("rejects crossing post-only orders, complementary crosses included", () => {
    const h = harness();
    for (const a of [A, B]) h.engine.credit(a, u(100));
    h.engine.split(B, CID, u(20), T0);
    h.engine.submit(order({ owner: "key-b", account: B, tokenId: DOWN, price: u(0.45) }), T0);
    h.engine.submit(order({ owner: "key-b", account: B, side: "SELL", price: u(0.6) }), T0);
    h.clear();
    expect(h.engine.submit(order({ price: u(0.55), postOnly: true }), T0).errorMsg).toBe(POST_ONLY_CROSSES);
    expect(h.engine.submit(order({ price: u(0.6), postOnly: true }), T0).errorMsg).toBe(
      "invalid post-only order: order crosses book",
    );
    expect(h.events).toEqual([]);
    expect(h.engine.submit(order({ price: u(0.54), postOnly: true }), T0).status).toBe("live");
    h.engine.split(A, CID, u(20), T0);
    expect(h.engine.submit(order({ side: "SELL", price: u(0.54), postOnly: true }), T0).errorMsg).toBe(
      POST_ONLY_CROSSES,
    );
    // GTD post-only orders are fine too.
    expect(
      h.engine.submit(
        order({ side: "SELL", price: u(0.61), postOnly: true, type: "GTD", expiresAtMs: T0 + 120_000 }),
        T0,
      ).status,
    ).toBe("live");
  });
});

describe("FOK and FAK", () => {
  function withAsk(size: number) {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.credit(B, u(100));
    h.engine.split(B, CID, u(50), T0);
    h.engine.submit(order({ owner: "key-b", account: B, side: "SELL", price: u(0.5), size }), T0);
    h.clear();
    return h;
  }

  it("kills a FOK that cannot fill entirely, with the CANCELED_ wire status", () => {
    const h = withAsk(u(5));
    const fok = order({ type: "FOK", size: u(10) });
    const res = h.engine.submit(fok, T0 + 1);
    expect(res).toEqual({
      success: false,
      orderId: fok.id,
      errorMsg: FOK_NOT_FILLED,
      tradeIds: [],
      makingAmount: 0,
      takingAmount: 0,
    });
    expect(FOK_NOT_FILLED).toBe("order couldn't be fully filled. FOK orders are fully filled or killed.");
    expect(h.events).toHaveLength(1);
    const [e] = h.of("order");
    expect(e).toMatchObject({
      type: "CANCELLATION",
      order: { id: fok.id, status: "CANCELED", sizeMatched: 0 },
    });
    expect(e!.wireStatus).toBe(
      "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.",
    );
    expect(e!.wireStatus).toBe(FOK_KILLED_WIRE_STATUS);
    expect(h.engine.balance(A).availableCollateral).toBe(u(100));
    expect(h.engine.book(UP)!.asks).toEqual([{ price: u(0.5), size: u(5) }]);
  });

  it("fills a FOK that can fill entirely", () => {
    const h = withAsk(u(20));
    const res = h.engine.submit(order({ type: "FOK", size: u(10), price: u(0.55) }), T0 + 1);
    expect(res).toMatchObject({ success: true, status: "matched", makingAmount: u(5) });
    expect(h.of("order").map((e) => e.type)).toEqual(["UPDATE"]);
  });

  it("fills what a FAK can and reports only the match", () => {
    const h = withAsk(u(5));
    const fak = order({ type: "FAK", size: u(10) });
    const res = h.engine.submit(fak, T0 + 1);
    expect(res).toMatchObject({ success: true, status: "matched", makingAmount: u(2.5), takingAmount: u(5) });
    expect(h.of("order").map((e) => [e.type, e.order.id])).toEqual([
      ["UPDATE", expect.not.stringMatching(fak.id)],
    ]);
    expect(h.engine.getOrder(fak.id)).toMatchObject({ status: "MATCHED", sizeMatched: u(5), size: u(10) });
    expect(h.engine.balance(A).availableCollateral).toBe(u(97.5));
    expect(h.engine.openOrders("key-a")).toEqual([]);
  });

  it("fails a FAK that finds nothing, without events", () => {
    const h = withAsk(u(5));
    const res = h.engine.submit(order({ type: "FAK", price: u(0.49) }), T0 + 1);
    expect(res).toMatchObject({ success: false, errorMsg: FAK_NO_MATCH });
    expect(FAK_NO_MATCH).toBe(
      "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.",
    );
    expect(h.events).toEqual([]);
    expect(h.engine.balance(A).availableCollateral).toBe(u(100));
  });
});

describe("GTD expiry", () => {
  it("cancels a GTD order at its expiration", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    const gtd = order({ type: "GTD", expiresAtMs: T0 + 90_000 });
    h.engine.submit(gtd, T0);
    h.clear();
    h.engine.advance(T0 + 89_999);
    expect(h.events).toEqual([]);
    h.engine.advance(T0 + 90_000);
    expect(h.events.map((e) => e.kind)).toEqual(["order", "level_changed"]);
    expect(h.of("order")[0]).toMatchObject({
      type: "CANCELLATION",
      atMs: T0 + 90_000,
      order: { status: "CANCELED" },
    });
    expect(h.of("level_changed")[0]).toMatchObject({ size: 0, bestBid: null });
    expect(h.engine.balance(A).availableCollateral).toBe(u(100));
  });

  it("expires before a later order could match it", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.credit(B, u(100));
    h.engine.split(B, CID, u(20), T0);
    h.engine.submit(order({ type: "GTD", expiresAtMs: T0 + 60_000 }), T0);
    const res = h.engine.submit(
      order({ owner: "key-b", account: B, side: "SELL", price: u(0.5) }),
      T0 + 70_000,
    );
    expect(res.status).toBe("live");
  });
});

describe("idempotent re-post", () => {
  it("never creates a second order for the same id", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.credit(B, u(100));
    h.engine.split(B, CID, u(20), T0);
    const o = order();
    expect(h.engine.submit(o, T0).status).toBe("live");
    h.clear();
    expect(h.engine.submit(o, T0 + 1)).toEqual({
      success: true,
      orderId: o.id,
      status: "live",
      tradeIds: [],
      makingAmount: 0,
      takingAmount: 0,
    });
    expect(h.events).toEqual([]);
    expect(h.engine.openOrders("key-a")).toHaveLength(1);
    expect(h.engine.balance(A).availableCollateral).toBe(u(95));

    const sell = order({ owner: "key-b", account: B, side: "SELL", price: u(0.5) });
    h.engine.submit(sell, T0 + 2);
    h.clear();
    const again = h.engine.submit(o, T0 + 3);
    expect(again).toMatchObject({ success: true, orderId: o.id, status: "matched" });
    expect(again.tradeIds).toHaveLength(1);
    expect(h.engine.submit(sell, T0 + 3)).toMatchObject({
      success: true,
      status: "matched",
      takingAmount: u(5),
    });
    expect(h.events).toEqual([]);

    const fok = order({ type: "FOK", price: u(0.6) });
    expect(h.engine.submit(fok, T0 + 4).errorMsg).toBe(FOK_NOT_FILLED);
    h.clear();
    expect(h.engine.submit(fok, T0 + 5)).toMatchObject({ success: false, errorMsg: FOK_NOT_FILLED });
    expect(h.events).toEqual([]);
  });
});

describe("fees and rebates", () => {
  it("charges a taker BUY in shares and a taker SELL in pUSD; makers pay nothing and accrue rebates", () => {
    const h = harness();
    for (const a of [A, B]) h.engine.credit(a, u(1_000));
    h.engine.split(B, CID, u(200), T0);
    h.engine.submit(order({ owner: "key-b", account: B, side: "SELL", price: u(0.5), size: u(100) }), T0);
    h.engine.submit(order({ price: u(0.5), size: u(100) }), T0 + 1);
    const buy = h.of("trade")[0]!.trade;
    expect(buyFeeInShares(u(100), u(0.5), u(0.07))).toBe(u(3.5));
    expect(buy.fee).toBe(u(3.5));
    expect(h.engine.balance(A).shares[UP]).toBe(u(96.5));
    expect(h.engine.balance(A).collateral).toBe(u(950));
    expect(h.engine.balance(B).collateral).toBe(u(800) + u(50));
    expect(h.engine.makerRebates(B, CID)).toBe(estimateMakerRebate(u(100), u(0.5), u(0.07)));
    expect(h.engine.makerRebates(B)).toBe(u(0.35));
    expect(buy.makers[0]!.feeEquivalent).toBe(u(1.75));

    // A taker SELL into B's bid after A's shares are mined.
    h.engine.advance(T0 + 2_001);
    h.engine.submit(order({ owner: "key-b", account: B, price: u(0.4), size: u(50) }), T0 + 2_002);
    h.clear();
    h.engine.submit(order({ side: "SELL", price: u(0.4), size: u(50) }), T0 + 2_003);
    const sell = h.of("trade")[0]!.trade;
    const fee = takerFee(u(50), u(0.4), u(0.07));
    expect(fee).toBe(u(0.84));
    expect(sell).toMatchObject({ side: "SELL", fee, feeRate: u(0.07) });
    expect(h.engine.balance(A).collateral).toBe(u(950) + u(20) - fee);
    expect(h.engine.feePool(CID)).toEqual({ fees: fee, dust: 0, shares: { [UP]: u(3.5), [DOWN]: 0 } });
    expect(h.engine.makerRebates(B, CID)).toBe(u(0.35) + estimateMakerRebate(u(50), u(0.4), u(0.07)));
    expect(h.engine.makerRebates(A, CID)).toBe(0);
  });

  it("uses the market's rebate share option", () => {
    const h = harness({ rebateShare: u(0.5) });
    for (const a of [A, B]) h.engine.credit(a, u(1_000));
    h.engine.submit(order({ owner: "key-b", account: B, price: u(0.5), size: u(100) }), T0);
    h.engine.split(A, CID, u(100), T0);
    h.engine.submit(order({ side: "SELL", price: u(0.5), size: u(100) }), T0);
    expect(h.engine.makerRebates(B, CID)).toBe(u(0.875));
  });
});

describe("trade lifecycle", () => {
  function traded(options = {}) {
    const h = harness(options);
    for (const a of [A, B]) h.engine.credit(a, u(100));
    h.engine.split(B, CID, u(20), T0);
    h.engine.submit(order({ owner: "key-b", account: B, side: "SELL", price: u(0.5), size: u(10) }), T0);
    const res = h.engine.submit(order({ price: u(0.5), size: u(10) }), T0 + 10);
    h.clear();
    return { h, tradeId: res.tradeIds[0]! };
  }

  it("goes MATCHED → MINED → CONFIRMED and keeps receipts pending until mined", () => {
    const { h, tradeId } = traded();
    const net = u(10) - buyFeeInShares(u(10), u(0.5), u(0.07));
    expect(h.engine.balance(A)).toMatchObject({ shares: { [UP]: net }, availableShares: { [UP]: 0 } });
    expect(h.engine.submit(order({ side: "SELL", price: u(0.6), size: u(5) }), T0 + 11).errorMsg).toBe(
      NOT_ENOUGH_BALANCE,
    );
    expect(h.engine.balance(B).availableCollateral).toBe(u(80));
    h.engine.advance(T0 + 2_009);
    expect(h.events).toEqual([]);
    h.engine.advance(T0 + 2_010);
    expect(h.of("trade").map((e) => [e.trade.id, e.trade.status, e.atMs, e.trade.lastUpdateMs])).toEqual([
      [tradeId, "MINED", T0 + 2_010, T0 + 2_010],
    ]);
    expect(h.engine.balance(A).availableShares[UP]).toBe(net);
    expect(h.engine.balance(B).availableCollateral).toBe(u(85));
    h.engine.advance(T0 + 5_010);
    expect(h.of("trade").map((e) => e.trade.status)).toEqual(["MINED", "CONFIRMED"]);
    expect(h.engine.getTrade(tradeId)!.status).toBe("CONFIRMED");
  });

  it("emits both steps in order when time jumps past them", () => {
    const { h } = traded({ minedAfterMs: 1_000, confirmedAfterMs: 3_000 });
    h.engine.advance(T0 + 60_000);
    expect(h.of("trade").map((e) => [e.trade.status, e.atMs])).toEqual([
      ["MINED", T0 + 1_010],
      ["CONFIRMED", T0 + 3_010],
    ]);
  });

  it("fails a trade at the MINED step and reverts its balance movements", () => {
    const { h, tradeId } = traded();
    h.engine.failNextTrades(1);
    h.engine.advance(T0 + 10_000);
    expect(h.of("trade").map((e) => [e.trade.id, e.trade.status])).toEqual([[tradeId, "FAILED"]]);
    expect(h.engine.balance(A)).toEqual({
      collateral: u(100),
      availableCollateral: u(100),
      shares: {},
      availableShares: {},
    });
    expect(h.engine.balance(B)).toMatchObject({
      collateral: u(80),
      availableCollateral: u(80),
      shares: { [UP]: u(20), [DOWN]: u(20) },
    });
    expect(h.engine.feePool(CID)).toEqual({ fees: 0, dust: 0, shares: { [UP]: 0, [DOWN]: 0 } });
    expect(h.engine.makerRebates(B)).toBe(0);
    // The maker order stays consumed.
    expect(h.engine.book(UP)!.asks).toEqual([]);
  });

  it("fails trades by a seeded rate", () => {
    const { h } = traded({ tradeFailureRate: u(1) });
    h.engine.advance(T0 + 10_000);
    expect(h.of("trade").map((e) => e.trade.status)).toEqual(["FAILED"]);
  });
});

describe("tick size", () => {
  it("moves to 0.001 once a best price leaves [0.04, 0.96], for both tokens, once", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.submit(order({ price: u(0.96), size: u(5) }), T0);
    h.engine.submit(order({ price: u(0.04), size: u(5), tokenId: DOWN }), T0);
    expect(h.of("tick_size_changed")).toEqual([]);
    h.engine.submit(order({ price: u(0.97), size: u(5) }), T0 + 1);
    expect(h.of("tick_size_changed").map((e) => [e.tokenId, e.oldTick, e.newTick])).toEqual([
      [UP, u(0.01), u(0.001)],
      [DOWN, u(0.01), u(0.001)],
    ]);
    expect(h.engine.tickSize(UP)).toBe(u(0.001));
    expect(h.engine.market(CID)!.tickSize).toBe(u(0.001));
    expect(h.engine.book(DOWN)!.tickSize).toBe(u(0.001));
    expect(h.engine.submit(order({ price: u(0.975), size: u(5) }), T0 + 2).success).toBe(true);
    h.engine.submit(order({ price: u(0.03), size: u(5), tokenId: DOWN }), T0 + 3);
    expect(h.of("tick_size_changed")).toHaveLength(2);
  });

  it("also triggers below 0.04", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.split(A, CID, u(10), T0);
    h.engine.submit(order({ side: "SELL", tokenId: DOWN, price: u(0.03), size: u(5) }), T0);
    expect(h.of("tick_size_changed")).toHaveLength(2);
  });
});

describe("market close and resolution", () => {
  it("closes at endMs, cancelling every open order", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.split(A, CID, u(10), T0);
    h.engine.submit(order({ price: u(0.4) }), T0);
    h.engine.submit(order({ tokenId: DOWN, side: "SELL", price: u(0.7) }), T0);
    h.clear();
    const end = makeMarket().endMs;
    h.engine.advance(end);
    expect(h.of("order").map((e) => [e.type, e.order.status, e.atMs])).toEqual([
      ["CANCELLATION", "CANCELED", end],
      ["CANCELLATION", "CANCELED", end],
    ]);
    expect(h.of("level_changed").map((e) => e.size)).toEqual([0, 0]);
    expect(h.engine.marketStatus(CID)).toBe("closed");
    expect(h.engine.balance(A)).toMatchObject({
      availableCollateral: u(90),
      availableShares: { [UP]: u(10), [DOWN]: u(10) },
    });
  });

  it("pays each winning share 1 pUSD and zeroes the losing token", () => {
    const h = harness();
    for (const a of [A, B]) h.engine.credit(a, u(100));
    h.engine.submit(order({ owner: "key-b", account: B, tokenId: DOWN, price: u(0.4) }), T0);
    h.engine.submit(order({ price: u(0.6) }), T0 + 1);
    h.engine.openMarket(CID, 97_000.5, T0 + 2);
    expect(h.of("market_opened")).toEqual([expect.objectContaining({ market: CID, startPrice: 97_000.5 })]);
    expect(h.engine.marketStatus(CID)).toBe("open");
    h.clear();
    const fee = buyFeeInShares(u(10), u(0.6), u(0.07));
    // Resolve before the trade is mined: it is carried through its steps first.
    h.engine.resolveMarket(CID, UP, 97_000.5, 97_100, T0 + 3);
    expect(h.events.map((e) => (e.kind === "trade" ? e.trade.status : e.kind))).toEqual([
      "MINED",
      "CONFIRMED",
      "market_resolved",
    ]);
    expect(h.of("market_resolved")[0]).toMatchObject({
      market: CID,
      winningTokenId: UP,
      winningOutcome: "Up",
      startPrice: 97_000.5,
      endPrice: 97_100,
    });
    expect(h.engine.balance(A)).toEqual({
      collateral: u(94) + u(10) - fee,
      availableCollateral: u(94) + u(10) - fee,
      shares: {},
      availableShares: {},
    });
    expect(h.engine.balance(B)).toMatchObject({ collateral: u(96), shares: {} });
    expect(h.engine.feePool(CID)).toEqual({ fees: fee, dust: 0, shares: { [UP]: 0, [DOWN]: 0 } });
    expect(h.engine.marketStatus(CID)).toBe("resolved");
    h.clear();
    h.engine.resolveMarket(CID, UP, 1, 2, T0 + 4);
    expect(h.events).toEqual([]);
  });
});

describe("taker delay", () => {
  function delayed() {
    const h = harness({ takerDelayMs: 1_000 });
    for (const a of [A, B]) h.engine.credit(a, u(100));
    h.engine.split(B, CID, u(20), T0);
    h.engine.submit(order({ owner: "key-b", account: B, side: "SELL", price: u(0.5), size: u(10) }), T0);
    h.clear();
    return h;
  }

  it("delays a crossing order and matches it once the delay elapsed", () => {
    const h = delayed();
    const o = order({ price: u(0.5), size: u(15) });
    expect(h.engine.submit(o, T0 + 10)).toEqual({
      success: true,
      orderId: o.id,
      status: "delayed",
      tradeIds: [],
      makingAmount: 0,
      takingAmount: 0,
    });
    expect(h.events).toEqual([]);
    expect(h.engine.getOrder(o.id)!.status).toBe("DELAYED");
    expect(h.engine.openOrders("key-a").map((x) => x.status)).toEqual(["DELAYED"]);
    expect(h.engine.balance(A).availableCollateral).toBe(u(92.5));
    h.engine.advance(T0 + 1_009);
    expect(h.events).toEqual([]);
    h.engine.advance(T0 + 1_010);
    expect(h.of("trade")[0]!.trade).toMatchObject({ size: u(10), matchTimeMs: T0 + 1_010 });
    expect(h.of("order").map((e) => [e.type, e.order.id === o.id, e.order.status])).toEqual([
      ["UPDATE", false, "MATCHED"],
      ["PLACEMENT", true, "LIVE"],
    ]);
    expect(h.engine.book(UP)!.bids).toEqual([{ price: u(0.5), size: u(5) }]);
  });

  it("does not delay resting or post-only orders", () => {
    const h = delayed();
    expect(h.engine.submit(order({ price: u(0.4) }), T0).status).toBe("live");
    expect(h.engine.submit(order({ price: u(0.45), postOnly: true }), T0).status).toBe("live");
  });

  it("applies FOK semantics at release", () => {
    const h = delayed();
    const fok = order({ type: "FOK", size: u(10), price: u(0.5) });
    expect(h.engine.submit(fok, T0 + 1).status).toBe("delayed");
    h.engine.cancelAll("key-b", T0 + 2);
    h.clear();
    h.engine.advance(T0 + 5_000);
    expect(h.of("order")).toEqual([
      expect.objectContaining({
        type: "CANCELLATION",
        wireStatus: FOK_KILLED_WIRE_STATUS,
        order: expect.objectContaining({ id: fok.id }),
      }),
    ]);
    expect(h.engine.balance(A).availableCollateral).toBe(u(100));
  });

  it("can cancel a delayed order", () => {
    const h = delayed();
    const o = order();
    h.engine.submit(o, T0 + 1);
    expect(h.engine.cancel("key-a", [o.id], T0 + 2)).toEqual({ canceled: [o.id], not_canceled: {} });
    h.engine.advance(T0 + 5_000);
    expect(h.of("trade")).toEqual([]);
    expect(h.engine.balance(A).availableCollateral).toBe(u(100));
  });
});

describe("cancels and queries", () => {
  it("cancels by id, by market/asset and all, reporting what it could not cancel", () => {
    const h = harness();
    for (const a of [A, B]) h.engine.credit(a, u(100));
    const a1 = order({ price: u(0.4) });
    const a2 = order({ price: u(0.3), tokenId: DOWN });
    const a3 = order({ price: u(0.2) });
    const b1 = order({ owner: "key-b", account: B, price: u(0.4) });
    for (const o of [a1, a2, a3, b1]) h.engine.submit(o, T0);
    h.clear();
    expect(h.engine.cancel("key-a", [a1.id, b1.id, "0xnope", a1.id], T0 + 1)).toEqual({
      canceled: [a1.id],
      not_canceled: { [b1.id]: CANCEL_NOT_FOUND, "0xnope": CANCEL_NOT_FOUND },
    });
    expect(CANCEL_NOT_FOUND).toBe("order can't be found - already canceled or matched");
    expect(h.of("order").map((e) => [e.type, e.order.id])).toEqual([["CANCELLATION", a1.id]]);
    expect(h.of("level_changed")[0]).toMatchObject({ price: u(0.4), size: u(10), bestBid: u(0.4) });
    expect(h.engine.cancel("key-a", [a1.id], T0 + 1).not_canceled).toEqual({ [a1.id]: CANCEL_NOT_FOUND });
    expect(h.engine.openOrders("key-a", { assetId: DOWN }).map((o) => o.id)).toEqual([a2.id]);
    expect(h.engine.openOrders("key-a", { id: a3.id }).map((o) => o.id)).toEqual([a3.id]);
    expect(h.engine.cancelMarket("key-a", { assetId: DOWN }, T0 + 2)).toEqual({
      canceled: [a2.id],
      not_canceled: {},
    });
    expect(h.engine.cancelMarket("key-a", { market: CID }, T0 + 2)).toEqual({
      canceled: [a3.id],
      not_canceled: {},
    });
    expect(h.engine.cancelAllForOwner("key-b", T0 + 3)).toEqual({ canceled: [b1.id], not_canceled: {} });
    expect(h.engine.cancelAll("key-b", T0 + 3)).toEqual({ canceled: [], not_canceled: {} });
    expect(h.engine.balance(A).availableCollateral).toBe(u(100));
    expect(h.engine.book(UP)!.bids).toEqual([]);
  });

  it("lists trades for takers and makers, newest first, with filters", () => {
    const h = harness();
    for (const a of [A, B]) h.engine.credit(a, u(100));
    h.engine.submit(order({ owner: "key-b", account: B, tokenId: DOWN, price: u(0.4), size: u(20) }), T0);
    const t1 = h.engine.submit(order({ price: u(0.6) }), T0 + 1).tradeIds[0]!;
    const t2 = h.engine.submit(order({ price: u(0.6) }), T0 + 2).tradeIds[0]!;
    expect(h.engine.trades("key-a").map((t) => t.id)).toEqual([t2, t1]);
    expect(h.engine.trades("key-b").map((t) => t.id)).toEqual([t2, t1]);
    expect(h.engine.trades("key-b", { assetId: DOWN }).map((t) => t.id)).toEqual([t2, t1]);
    expect(h.engine.trades("key-a", { assetId: DOWN })).toEqual([]);
    expect(h.engine.trades("key-a", { before: T0 + 2 }).map((t) => t.id)).toEqual([t1]);
    expect(h.engine.trades("key-a", { after: T0 + 1 }).map((t) => t.id)).toEqual([t2]);
    expect(h.engine.trades("key-a", { id: t1, market: CID }).map((t) => t.id)).toEqual([t1]);
    expect(h.engine.trades("key-c")).toEqual([]);
  });

  it("snapshots books best first with a hash of the book state", () => {
    const h = harness();
    h.engine.credit(A, u(100));
    h.engine.split(A, CID, u(50), T0);
    for (const p of [0.3, 0.45, 0.4]) h.engine.submit(order({ price: u(p) }), T0);
    for (const p of [0.7, 0.55, 0.6]) h.engine.submit(order({ side: "SELL", price: u(p) }), T0);
    const snap = h.engine.book(UP, T0 + 5)!;
    expect(snap).toMatchObject({
      market: CID,
      tokenId: UP,
      tickSize: u(0.01),
      minOrderSize: u(5),
      timestampMs: T0 + 5,
    });
    expect(snap.bids.map((l) => l.price)).toEqual([u(0.45), u(0.4), u(0.3)]);
    expect(snap.asks.map((l) => l.price)).toEqual([u(0.55), u(0.6), u(0.7)]);
    expect(snap.hash).toMatch(/^[0-9a-f]{40}$/);
    expect(h.engine.book(UP, T0 + 9)!.hash).toBe(snap.hash);
    expect(h.engine.book(DOWN)!.hash).not.toBe(snap.hash);
    h.engine.submit(order({ price: u(0.3) }), T0);
    expect(h.engine.book(UP)!.hash).not.toBe(snap.hash);
    expect(h.engine.book("nope")).toBeUndefined();
    expect(h.engine.levels(UP, "BUY", 2)).toEqual([
      { price: u(0.45), size: u(10) },
      { price: u(0.4), size: u(10) },
    ]);
    expect(h.engine.bestAsk(UP)).toEqual({ price: u(0.55), size: u(10) });
    expect(h.engine.marketOfToken(DOWN)!.conditionId).toBe(CID);
    expect(h.engine.market("0xnope")).toBeUndefined();
  });

  it("numbers events from 1 and reports market listing", () => {
    const engine = new MatchingEngine();
    const seqs: number[] = [];
    const kinds: string[] = [];
    const off = engine.subscribe((e) => {
      seqs.push(e.seq);
      kinds.push(e.kind);
    });
    engine.listMarket(makeMarket(), T0);
    engine.listMarket(makeMarket(), T0);
    engine.credit(A, u(10));
    engine.submit(order(), T0);
    off();
    engine.submit(order(), T0);
    expect(kinds).toEqual(["market_listed", "order", "level_changed"]);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it("delivers to every subscriber even if one throws, then rethrows", () => {
    const engine = new MatchingEngine();
    const seen: string[] = [];
    engine.subscribe(() => {
      throw new Error("boom");
    });
    engine.subscribe((e) => seen.push(e.kind));
    expect(() => engine.listMarket(makeMarket(), T0)).toThrow("boom");
    expect(seen).toEqual(["market_listed"]);
    expect(engine.market(CID)).toBeDefined();
  });
});
