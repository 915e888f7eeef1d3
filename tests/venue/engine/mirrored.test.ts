/**
 * The mirrored book (MatchingEngineOptions.mirrored): one book per market in Up-price terms, MINT of two
 * BUYs, MERGE of two SELLs, Down's book and events as the mirror of the one book. Expected amounts are
 * worked out by hand in the comments (fee r = 0.07, e = 1: a BUY's fee in shares is C × r × (1 − p), a
 * SELL's in pUSD C × r × p × (1 − p), both rounded down to 0.00001).
 */
import fc from "fast-check";
import { buyFeeInShares, estimateMakerRebate, takerFee } from "../../../src/fees";
import { type Micros, ONE } from "../../../src/money";
import { FOK_NOT_FILLED, MatchingEngine, POST_ONLY_CROSSES } from "../../../src/venue/engine";
import { marketFrames } from "../../../src/venue/server/frames";
import type { OrderType, Side, VenueEvent } from "../../../src/venue/types";
import { CID, DOWN, harness, makeMarket, order, T0, UP, u } from "./helpers";

const A = "0xaaa";
const B = "0xbbb";
const asB = { owner: "key-b", account: B };

/** A mirrored engine; A and B hold 100 pUSD each, and `split` of it as Up + Down pairs. */
function mirrored(split = 0) {
  const h = harness({ mirrored: true });
  for (const a of [A, B]) {
    h.engine.credit(a, u(100));
    if (split > 0) h.engine.split(a, CID, u(split), T0);
  }
  return h;
}

describe("mirrored book: views", () => {
  it("shows a BUY Up at 0.60 as a Down ask at 0.40 of the same size, and every order at its mirror", () => {
    const h = mirrored(20);
    const buyUp = order({ ...asB, price: u(0.6), size: u(10) });
    h.engine.submit(buyUp, T0);
    expect(h.engine.book(DOWN)).toMatchObject({ bids: [], asks: [{ price: u(0.4), size: u(10) }] });
    expect(h.engine.bestAsk(DOWN)).toEqual({ price: u(0.4), size: u(10) });
    expect(h.engine.levels(DOWN, "SELL", 5)).toEqual([{ price: u(0.4), size: u(10) }]);
    expect(h.engine.book(UP)).toMatchObject({ bids: [{ price: u(0.6), size: u(10) }], asks: [] });
    // The order itself is what its owner asked for.
    expect(h.engine.getOrder(buyUp.id)).toMatchObject({ tokenId: UP, side: "BUY", price: u(0.6) });

    // SELL Up 0.70 → Down bid 0.30; BUY Down 0.20 → Up ask 0.80; SELL Down 0.45 → Up bid 0.55.
    h.engine.submit(order({ ...asB, side: "SELL", price: u(0.7), size: u(6) }), T0);
    const buyDown = order({ tokenId: DOWN, price: u(0.2), size: u(7) });
    h.engine.submit(buyDown, T0);
    h.engine.submit(order({ tokenId: DOWN, side: "SELL", price: u(0.45), size: u(8) }), T0);
    expect(h.engine.getOrder(buyDown.id)).toMatchObject({ tokenId: DOWN, side: "BUY", price: u(0.2) });
    expect(h.engine.book(UP)).toMatchObject({
      bids: [
        { price: u(0.6), size: u(10) },
        { price: u(0.55), size: u(8) },
      ],
      asks: [
        { price: u(0.7), size: u(6) },
        { price: u(0.8), size: u(7) },
      ],
    });
    expect(h.engine.book(DOWN)).toMatchObject({
      bids: [
        { price: u(0.3), size: u(6) },
        { price: u(0.2), size: u(7) },
      ],
      asks: [
        { price: u(0.4), size: u(10) },
        { price: u(0.45), size: u(8) },
      ],
    });
    expect(h.engine.bestBid(DOWN)).toEqual({ price: u(0.3), size: u(6) });
  });
});

describe("mirrored book: MINT of two BUYs", () => {
  it("BUY Up 0.60 (maker) then BUY Down 0.40 (taker) mints a pair: each pays its price", () => {
    const h = mirrored();
    const maker = order({ ...asB, price: u(0.6), size: u(10) });
    h.engine.submit(maker, T0);
    expect(h.engine.balance(B).availableCollateral).toBe(u(94)); // 6 reserved
    h.clear();

    const taker = order({ tokenId: DOWN, price: u(0.4), size: u(10) });
    const res = h.engine.submit(taker, T0 + 1);
    // Taker: 10 × 0.40 = 4.00 pUSD for 10 Down, fee 10 × 0.07 × 0.60 = 0.42 Down shares withheld.
    expect(res).toMatchObject({ success: true, status: "matched", makingAmount: u(4), takingAmount: u(10) });
    const fee = u(0.42);
    expect(fee).toBe(buyFeeInShares(u(10), u(0.4), u(0.07)));
    expect(h.engine.balance(A)).toEqual({
      collateral: u(96),
      availableCollateral: u(96),
      shares: { [DOWN]: u(9.58) },
      availableShares: { [DOWN]: 0 }, // pending until MINED
    });
    // Maker: 10 × 0.60 = 6.00 pUSD for 10 Up, no fee.
    expect(h.engine.balance(B)).toEqual({
      collateral: u(94),
      availableCollateral: u(94),
      shares: { [UP]: u(10) },
      availableShares: { [UP]: 0 },
    });
    // 10 new pairs backed by 4 + 6 pUSD; the fee shares are the pool's.
    expect(h.engine.feePool(CID)).toEqual({ fees: 0, dust: 0, shares: { [UP]: 0, [DOWN]: fee } });
    expect(h.engine.makerRebates(B, CID)).toBe(estimateMakerRebate(u(10), u(0.6), u(0.07)));

    const trade = h.of("trade")[0]!.trade;
    expect(trade).toMatchObject({
      tokenId: DOWN,
      outcome: "Down",
      side: "BUY",
      price: u(0.4),
      size: u(10),
      fee,
    });
    expect(trade.makers).toEqual([
      expect.objectContaining({
        orderId: maker.id,
        tokenId: UP,
        outcome: "Up",
        side: "BUY",
        price: u(0.6),
        matchedAmount: u(10),
      }),
    ]);
    expect(h.engine.book(UP)!.bids).toEqual([]);
    expect(h.engine.book(DOWN)!.asks).toEqual([]);

    h.engine.advance(T0 + 2_001); // MINED: receipts available
    expect(h.engine.balance(A).availableShares).toEqual({ [DOWN]: u(9.58) });
    expect(h.engine.balance(B).availableShares).toEqual({ [UP]: u(10) });
  });

  it("gives the surplus of the two limits to the taker: it pays 1 − the maker's price", () => {
    const h = mirrored();
    h.engine.submit(order({ ...asB, price: u(0.6), size: u(10) }), T0);
    // BUY Down at 0.45 would pay 4.50; the maker's 0.60 leaves it 0.40: 4.00, fee at 0.40 (0.42 shares).
    const res = h.engine.submit(order({ tokenId: DOWN, price: u(0.45), size: u(10) }), T0 + 1);
    expect(res).toMatchObject({ status: "matched", makingAmount: u(4), takingAmount: u(10) });
    expect(h.engine.balance(A)).toMatchObject({ collateral: u(96), availableCollateral: u(96) });
    expect(h.engine.balance(A).shares).toEqual({ [DOWN]: u(9.58) });
    expect(h.engine.balance(B).collateral).toBe(u(94));
    expect(h.of("trade")[0]!.trade).toMatchObject({ price: u(0.4), fee: u(0.42) });
  });
});

describe("mirrored book: MERGE of two SELLs", () => {
  it("SELL Up 0.55 (maker) then SELL Down 0.40 (taker) merges a pair: each receives its price", () => {
    const h = mirrored(20); // each: 80 pUSD, 20 Up, 20 Down
    const maker = order({ ...asB, side: "SELL", price: u(0.55), size: u(10) });
    h.engine.submit(maker, T0);
    h.clear();

    const taker = order({ tokenId: DOWN, side: "SELL", price: u(0.4), size: u(10) });
    const res = h.engine.submit(taker, T0 + 1);
    // Taker: receives 1 − 0.55 = 0.45 (above its 0.40) × 10 = 4.50, less the fee
    // 10 × 0.07 × 0.45 × 0.55 = 0.17325 (already a multiple of 0.00001).
    const fee = u(0.17325);
    expect(fee).toBe(takerFee(u(10), u(0.45), u(0.07)));
    expect(res).toMatchObject({
      success: true,
      status: "matched",
      makingAmount: u(10),
      takingAmount: u(4.5),
    });
    expect(h.engine.balance(A)).toEqual({
      collateral: u(84.32675),
      availableCollateral: u(80), // the proceeds are pending until MINED
      shares: { [UP]: u(20), [DOWN]: u(10) },
      availableShares: { [UP]: u(20), [DOWN]: u(10) },
    });
    // Maker: 10 × 0.55 = 5.50, no fee.
    expect(h.engine.balance(B)).toEqual({
      collateral: u(85.5),
      availableCollateral: u(80),
      shares: { [UP]: u(10), [DOWN]: u(20) },
      availableShares: { [UP]: u(10), [DOWN]: u(20) },
    });
    // 10 pairs burned for 10 pUSD: 4.50 + 5.50, of which 0.17325 is the fee.
    expect(h.engine.feePool(CID)).toEqual({ fees: fee, dust: 0, shares: { [UP]: 0, [DOWN]: 0 } });

    const trade = h.of("trade")[0]!.trade;
    expect(trade).toMatchObject({ tokenId: DOWN, side: "SELL", price: u(0.45), size: u(10), fee });
    expect(trade.makers).toEqual([
      expect.objectContaining({
        orderId: maker.id,
        tokenId: UP,
        outcome: "Up",
        side: "SELL",
        price: u(0.55),
      }),
    ]);
    h.engine.advance(T0 + 2_001);
    expect(h.engine.balance(A).availableCollateral).toBe(u(84.32675));
    expect(h.engine.balance(B).availableCollateral).toBe(u(85.5));
  });

  it("does not let asks on both tokens summing below 1 rest: the second merges", () => {
    const h = mirrored(20);
    h.engine.submit(order({ side: "SELL", price: u(0.75) }), T0);
    const second = order({ ...asB, tokenId: DOWN, side: "SELL", price: u(0.2) });
    const res = h.engine.submit(second, T0);
    expect(res).toMatchObject({ status: "matched", makingAmount: u(10), takingAmount: u(2.5) });
    expect(h.engine.getOrder(second.id)).toMatchObject({ status: "MATCHED" });
    expect(h.engine.bestAsk(UP)).toBeUndefined();
    expect(h.engine.bestAsk(DOWN)).toBeUndefined();
    // A = maker: 80 + 10 × 0.75; B = taker: 80 + 10 × 0.25 − fee.
    expect(h.engine.balance(A).collateral).toBe(u(87.5));
    expect(h.engine.balance(B).collateral).toBe(u(82.5) - takerFee(u(10), u(0.25), u(0.07)));

    // Asks summing to 1 + a tick rest side by side.
    h.engine.submit(order({ side: "SELL", price: u(0.75) }), T0);
    expect(h.engine.submit(order({ ...asB, tokenId: DOWN, side: "SELL", price: u(0.26) }), T0).status).toBe(
      "live",
    );
    expect(h.engine.bestAsk(UP)!.price + h.engine.bestAsk(DOWN)!.price).toBe(u(1.01));
  });
});

describe("mirrored book: order types", () => {
  it("rejects a post-only order that would cross the mirrored book", () => {
    const h = mirrored(20);
    h.engine.submit(order({ ...asB, side: "SELL", price: u(0.55) }), T0); // Up ask 0.55 = Down bid 0.45
    h.engine.submit(order({ ...asB, tokenId: DOWN, price: u(0.3) }), T0); // Down bid 0.30 = Up ask 0.70
    h.clear();
    // SELL Down at 0.45 is an Up bid at 0.55: it would merge.
    const post = { tokenId: DOWN, side: "SELL" as const, postOnly: true };
    expect(h.engine.submit(order({ ...post, price: u(0.45) }), T0).errorMsg).toBe(POST_ONLY_CROSSES);
    expect(h.engine.submit(order({ ...post, price: u(0.4) }), T0).errorMsg).toBe(POST_ONLY_CROSSES);
    // BUY Up at 0.70 would mint with the BUY Down at 0.30 (an Up ask at 0.70).
    expect(h.engine.submit(order({ price: u(0.7), postOnly: true }), T0).errorMsg).toBe(POST_ONLY_CROSSES);
    expect(h.events).toEqual([]);
    // What does not cross rests: SELL Down 0.46 (Up bid 0.54 < 0.55); SELL Up 0.70 is an ask, on the same
    // side as the BUY Down at 0.30.
    expect(h.engine.submit(order({ ...post, price: u(0.46) }), T0).status).toBe("live");
    expect(h.engine.submit(order({ side: "SELL", price: u(0.7), postOnly: true }), T0).status).toBe("live");
  });

  it("fills a FOK across the mirrored book, kills one that cannot fill, and a FAK fills what it can", () => {
    const h = mirrored(20);
    h.engine.submit(order({ ...asB, side: "SELL", price: u(0.55), size: u(6) }), T0);
    h.engine.submit(order({ ...asB, tokenId: DOWN, price: u(0.4), size: u(6) }), T0); // Up ask 0.60
    // SELL Down FOK at 0.42 (an Up bid at 0.58) can only merge with the 6 at 0.55: 8 is killed.
    const fok = order({ tokenId: DOWN, side: "SELL", price: u(0.42), size: u(8), type: "FOK" });
    expect(h.engine.submit(fok, T0)).toMatchObject({ success: false, errorMsg: FOK_NOT_FILLED });
    // SELL Down FOK at 0.45 (an Up bid at 0.55) merges all 6 with the SELL Up at 0.55, at 0.45.
    const merged = h.engine.submit(
      order({ tokenId: DOWN, side: "SELL", price: u(0.45), size: u(6), type: "FOK" }),
      T0,
    );
    expect(merged).toMatchObject({
      success: true,
      status: "matched",
      makingAmount: u(6),
      takingAmount: u(2.7),
    });
    // BUY Up FOK at 0.60 mints 6 with the BUY Down at 0.40 (the Up ask at 0.60), paying 6 × 0.60.
    const minted = h.engine.submit(order({ price: u(0.6), size: u(6), type: "FOK" }), T0);
    expect(minted).toMatchObject({
      success: true,
      status: "matched",
      makingAmount: u(3.6),
      takingAmount: u(6),
    });
    expect(h.engine.book(UP)).toMatchObject({ bids: [], asks: [] });
    h.engine.submit(order({ ...asB, side: "SELL", price: u(0.5), size: u(5) }), T0);
    const fak = order({ tokenId: DOWN, side: "SELL", price: u(0.3), size: u(10), type: "FAK" });
    expect(h.engine.submit(fak, T0)).toMatchObject({ status: "matched", makingAmount: u(5) });
    expect(h.engine.getOrder(fak.id)).toMatchObject({ status: "MATCHED", sizeMatched: u(5) });
  });
});

describe("mirrored book: events", () => {
  it("emits level_changed for both tokens whenever the one book changes, as the server's frames show", () => {
    const h = mirrored();
    const maker = order({ ...asB, price: u(0.6), size: u(10) });
    h.engine.submit(maker, T0);
    const level = (e: VenueEvent) =>
      e.kind === "level_changed" ? [e.tokenId, e.side, e.price, e.size, e.bestBid, e.bestAsk] : undefined;
    expect(h.of("level_changed").map(level)).toEqual([
      [UP, "BUY", u(0.6), u(10), u(0.6), null],
      [DOWN, "SELL", u(0.4), u(10), null, u(0.4)],
    ]);
    h.clear();
    h.engine.submit(order({ tokenId: DOWN, price: u(0.4), size: u(6) }), T0 + 1);
    expect(h.of("level_changed").map(level)).toEqual([
      [UP, "BUY", u(0.6), u(4), u(0.6), null],
      [DOWN, "SELL", u(0.4), u(4), null, u(0.4)],
    ]);
    const down = h.of("level_changed").find((e) => e.tokenId === DOWN)!;
    const directory = { market: () => makeMarket(), question: () => "q" };
    expect(marketFrames(down, directory)[0]!.frame).toMatchObject({
      event_type: "price_change",
      price_changes: [
        { asset_id: DOWN, side: "SELL", price: "0.4", size: "4", best_bid: "0", best_ask: "0.4" },
      ],
    });
    h.clear();
    h.engine.cancel("key-b", [maker.id], T0 + 2);
    expect(h.of("level_changed").map(level)).toEqual([
      [UP, "BUY", u(0.6), 0, null, null],
      [DOWN, "SELL", u(0.4), 0, null, null],
    ]);
  });
});

describe("mirrored: false (the default)", () => {
  it("keeps two independent books: a dislocation rests and Down's book shows only Down's orders", () => {
    for (const h of [harness(), harness({ mirrored: false })]) {
      for (const a of [A, B]) {
        h.engine.credit(a, u(100));
        h.engine.split(a, CID, u(20), T0);
      }
      h.engine.submit(order({ side: "SELL", price: u(0.75) }), T0);
      expect(h.engine.submit(order({ ...asB, tokenId: DOWN, side: "SELL", price: u(0.2) }), T0).status).toBe(
        "live",
      );
      expect(h.engine.bestAsk(UP)!.price + h.engine.bestAsk(DOWN)!.price).toBe(u(0.95));
      expect(h.engine.book(DOWN)!.bids).toEqual([]);
      expect(h.engine.book(UP)!.bids).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------- properties

const ACCOUNTS = 3;
const CREDIT = u(1_000);
const owner = (i: number) => `key-${i}`;
const account = (i: number) => `0x${String(i + 1).repeat(40)}`;

interface Place {
  who: number;
  token: 0 | 1;
  side: Side;
  price: Micros;
  size: Micros;
  type: OrderType;
  postOnly: boolean;
}

const placeArb: fc.Arbitrary<Place> = fc.record({
  who: fc.integer({ min: 0, max: ACCOUNTS - 1 }),
  token: fc.constantFrom(0 as const, 1 as const),
  side: fc.constantFrom<Side>("BUY", "SELL"),
  price: fc.integer({ min: 30, max: 70 }).map((t) => t * 10_000),
  size: fc.oneof(
    fc.integer({ min: 5, max: 30 }).map((s) => s * 1_000_000),
    fc.integer({ min: 5_000_000, max: 30_000_000 }),
  ),
  type: fc.constantFrom<OrderType>("GTC", "GTC", "GTC", "FOK", "FAK"),
  postOnly: fc.boolean(),
});
const stepArb = fc.oneof(
  { weight: 8, arbitrary: placeArb },
  { weight: 2, arbitrary: fc.record({ cancel: fc.nat() }) },
);

describe("mirrored book: properties", () => {
  it("conserves pUSD and pairs, never crosses, and every token's events describe its mirrored book", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 80 }), (steps) => {
        const engine = new MatchingEngine({ mirrored: true, seed: "mirror" });
        const fromEvents = new Map<string, Micros>();
        engine.subscribe((e) => {
          if (e.kind !== "level_changed") return;
          const key = `${e.tokenId}|${e.side}|${e.price}`;
          if (e.size === 0) fromEvents.delete(key);
          else fromEvents.set(key, e.size);
        });
        engine.listMarket(makeMarket(), T0);
        for (let i = 0; i < ACCOUNTS; i++) {
          engine.credit(account(i), CREDIT);
          engine.split(account(i), CID, u(100), T0);
        }
        const placed: string[] = [];
        let now = T0;
        for (const [n, s] of steps.entries()) {
          now += 500;
          if ("cancel" in s) {
            const id = placed[s.cancel % Math.max(1, placed.length)];
            if (id) for (let i = 0; i < ACCOUNTS; i++) engine.cancel(owner(i), [id], now);
          } else {
            const id = `0x${(n + 1).toString(16).padStart(64, "0")}`;
            placed.push(id);
            engine.submit(
              {
                id,
                owner: owner(s.who),
                account: account(s.who),
                tokenId: s.token === 0 ? UP : DOWN,
                side: s.side,
                price: s.price,
                size: s.size,
                type: s.type,
                postOnly: s.postOnly,
                expiresAtMs: 0,
              },
              now,
            );
          }

          // Uncrossed, both ways round the mirror.
          const [upBid, upAsk, downBid, downAsk] = [
            engine.bestBid(UP),
            engine.bestAsk(UP),
            engine.bestBid(DOWN),
            engine.bestAsk(DOWN),
          ];
          if (upBid && upAsk) expect(upBid.price).toBeLessThan(upAsk.price);
          if (upAsk && downAsk) expect(upAsk.price + downAsk.price).toBeGreaterThan(ONE);
          if (upBid && downBid) expect(upBid.price + downBid.price).toBeLessThan(ONE);

          // Down's levels are Up's other side at 1 − p; Up's are the open orders of both tokens.
          const all = (token: string, side: Side) => engine.levels(token, side, Number.POSITIVE_INFINITY);
          for (const side of ["BUY", "SELL"] as const) {
            const other = side === "BUY" ? "SELL" : "BUY";
            expect(all(DOWN, side)).toEqual(
              all(UP, other).map((l) => ({ price: ONE - l.price, size: l.size })),
            );
            const expected = new Map<Micros, Micros>();
            for (let i = 0; i < ACCOUNTS; i++) {
              for (const o of engine.openOrders(owner(i))) {
                const upSide = o.tokenId === UP ? o.side : o.side === "BUY" ? "SELL" : "BUY";
                if (upSide !== side) continue;
                const p = o.tokenId === UP ? o.price : ONE - o.price;
                expected.set(p, (expected.get(p) ?? 0) + o.size - o.sizeMatched);
              }
            }
            expect(new Map(all(UP, side).map((l) => [l.price, l.size]))).toEqual(expected);
          }
          // The level_changed stream, replayed per token, gives each token's book.
          const fromViews = new Map<string, Micros>();
          for (const token of [UP, DOWN]) {
            for (const side of ["BUY", "SELL"] as const) {
              for (const l of all(token, side)) fromViews.set(`${token}|${side}|${l.price}`, l.size);
            }
          }
          expect(fromEvents).toEqual(fromViews);

          // Conservation: pUSD + pairs outstanding = credits; Up shares outstanding = Down shares.
          const pool = engine.feePool(CID)!;
          let up = pool.shares[UP]!;
          let downShares = pool.shares[DOWN]!;
          let collateral = pool.fees + pool.dust;
          for (const a of engine.accountIds()) {
            const b = engine.balance(a);
            collateral += b.collateral;
            up += b.shares[UP] ?? 0;
            downShares += b.shares[DOWN] ?? 0;
            expect(b.availableCollateral).toBeGreaterThanOrEqual(0);
            for (const t of [UP, DOWN]) expect(b.availableShares[t] ?? 0).toBeGreaterThanOrEqual(0);
          }
          expect(up).toBe(downShares);
          expect(collateral + up).toBe(ACCOUNTS * CREDIT);
          expect(pool.dust).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 100 },
    );
  });
});
