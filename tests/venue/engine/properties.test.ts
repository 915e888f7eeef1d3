import fc from "fast-check";
import { type Micros, ONE } from "../../../src/money";
import { MatchingEngine } from "../../../src/venue/engine";
import type { OrderType, Side, VenueEvent } from "../../../src/venue/types";
import { CID, DOWN, makeMarket, T0, UP, u } from "./helpers";

const ACCOUNTS = 4;
const CREDIT = u(1_000);
const SPLIT = u(100);
const owner = (i: number) => `key-${i}`;
const account = (i: number) => `0x${String(i).repeat(40)}`;

type Command =
  | {
      kind: "place";
      who: number;
      token: 0 | 1;
      side: Side;
      price: Micros;
      size: Micros;
      type: OrderType;
      postOnly: boolean;
    }
  | { kind: "cancel"; who: number; pick: number }
  | { kind: "advance"; dt: number }
  | { kind: "fail"; n: number };

const priceArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 99 }).map((t) => t * 10_000) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 999 }).map((t) => t * 1_000) },
);
const sizeArb = fc.oneof(
  fc.integer({ min: 5, max: 40 }).map((s) => s * 1_000_000),
  fc.integer({ min: 5_000_000, max: 40_000_000 }),
);
const placeArb: fc.Arbitrary<Command> = fc.record({
  kind: fc.constant("place" as const),
  who: fc.integer({ min: 0, max: ACCOUNTS - 1 }),
  token: fc.constantFrom(0 as const, 1 as const),
  side: fc.constantFrom<Side>("BUY", "SELL"),
  price: priceArb,
  size: sizeArb,
  type: fc.constantFrom<OrderType>("GTC", "GTC", "GTD", "FOK", "FAK"),
  postOnly: fc.boolean(),
});
const commandArb = (withFailures: boolean): fc.Arbitrary<Command> =>
  fc.oneof(
    { weight: 12, arbitrary: placeArb },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("cancel" as const),
        who: fc.integer({ min: 0, max: ACCOUNTS - 1 }),
        pick: fc.nat(),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant("advance" as const), dt: fc.integer({ min: 0, max: 3_000 }) }),
    },
    {
      weight: withFailures ? 1 : 0,
      arbitrary: fc.record({ kind: fc.constant("fail" as const), n: fc.integer({ min: 0, max: 2 }) }),
    },
  );

interface Run {
  engine: MatchingEngine;
  events: VenueEvent[];
  now: number;
  placed: string[];
  n: number;
}

function start(seed = "prop"): Run {
  const engine = new MatchingEngine({ seed });
  const events: VenueEvent[] = [];
  engine.subscribe((e) => events.push(e));
  engine.listMarket(makeMarket(), T0);
  for (let i = 0; i < ACCOUNTS; i++) {
    engine.credit(account(i), CREDIT);
    engine.split(account(i), CID, SPLIT, T0);
  }
  return { engine, events, now: T0, placed: [], n: 0 };
}

function apply(run: Run, c: Command): void {
  const { engine } = run;
  switch (c.kind) {
    case "place": {
      run.n += 1;
      const id = `0x${run.n.toString(16).padStart(64, "0")}`;
      run.placed.push(id);
      engine.submit(
        {
          id,
          owner: owner(c.who),
          account: account(c.who),
          tokenId: c.token === 0 ? UP : DOWN,
          side: c.side,
          price: c.price,
          size: c.size,
          type: c.type,
          postOnly: c.postOnly,
          expiresAtMs: c.type === "GTD" ? run.now + 60_000 + (c.size % 30_000) : 0,
        },
        run.now,
      );
      break;
    }
    case "cancel": {
      const id = run.placed[c.pick % Math.max(1, run.placed.length)];
      if (id !== undefined) engine.cancel(owner(c.who), [id], run.now);
      break;
    }
    case "advance":
      run.now += c.dt;
      engine.advance(run.now);
      break;
    case "fail":
      engine.failNextTrades(c.n);
      break;
  }
}

function outstanding(engine: MatchingEngine, tokenId: string): Micros {
  let sum = engine.feePool(CID)!.shares[tokenId]!;
  for (const a of engine.accountIds()) sum += engine.balance(a).shares[tokenId] ?? 0;
  return sum;
}

function checkInvariants(run: Run, dustMustBeNonNegative: boolean): void {
  const { engine } = run;
  // Books are never crossed, directly or through the complementary bids.
  for (const token of [UP, DOWN]) {
    const bid = engine.bestBid(token);
    const ask = engine.bestAsk(token);
    if (bid && ask) expect(bid.price).toBeLessThan(ask.price);
  }
  const upBid = engine.bestBid(UP);
  const downBid = engine.bestBid(DOWN);
  if (upBid && downBid) expect(upBid.price + downBid.price).toBeLessThan(ONE);

  // Conservation of pUSD, and Up shares == Down shares outstanding.
  const up = outstanding(engine, UP);
  const down = outstanding(engine, DOWN);
  expect(up).toBe(down);
  const pool = engine.feePool(CID)!;
  let collateral = pool.fees + pool.dust;
  for (const a of engine.accountIds()) {
    const b = engine.balance(a);
    collateral += b.collateral;
    expect(b.availableCollateral).toBeGreaterThanOrEqual(0);
    expect(b.availableCollateral).toBeLessThanOrEqual(b.collateral);
    for (const [token, shares] of Object.entries(b.shares)) {
      expect(shares).toBeGreaterThanOrEqual(0);
      expect(b.availableShares[token]).toBeGreaterThanOrEqual(0);
    }
  }
  expect(collateral + up).toBe(ACCOUNTS * CREDIT);
  if (dustMustBeNonNegative) expect(pool.dust).toBeGreaterThanOrEqual(0);

  // Level totals are the unfilled sizes of the open orders.
  for (const token of [UP, DOWN]) {
    for (const side of ["BUY", "SELL"] as const) {
      const levels = engine.levels(token, side, Number.POSITIVE_INFINITY);
      const fromOrders = new Map<number, number>();
      for (let i = 0; i < ACCOUNTS; i++) {
        for (const o of engine.openOrders(owner(i), { assetId: token })) {
          if (o.side !== side || o.status !== "LIVE") continue;
          fromOrders.set(o.price, (fromOrders.get(o.price) ?? 0) + o.size - o.sizeMatched);
        }
      }
      expect(new Map(levels.map((l) => [l.price, l.size]))).toEqual(fromOrders);
    }
  }
}

function finish(run: Run, dustMustBeNonNegative: boolean): void {
  const { engine } = run;
  // Close the market: every reservation and pending amount is released.
  engine.advance(makeMarket().endMs + 10_000);
  checkInvariants(run, dustMustBeNonNegative);
  for (const a of engine.accountIds()) {
    const b = engine.balance(a);
    expect(b.availableCollateral).toBe(b.collateral);
    expect(b.availableShares).toEqual(b.shares);
  }
  engine.resolveMarket(CID, DOWN, 1, 0, makeMarket().endMs + 20_000);
  expect(outstanding(engine, UP)).toBe(0);
  expect(outstanding(engine, DOWN)).toBe(0);
  const pool = engine.feePool(CID)!;
  let collateral = pool.fees + pool.dust;
  for (const a of engine.accountIds()) collateral += engine.balance(a).collateral;
  expect(collateral).toBe(ACCOUNTS * CREDIT);
}

describe("engine properties", () => {
  it("conserves pUSD and pairs and never leaves a crossed book", () => {
    fc.assert(
      fc.property(fc.array(commandArb(false), { minLength: 1, maxLength: 150 }), (commands) => {
        const run = start();
        for (const c of commands) {
          apply(run, c);
          checkInvariants(run, true);
        }
        finish(run, true);
      }),
      { numRuns: 150 },
    );
  });

  it("keeps conservation when trades fail and are reverted", () => {
    fc.assert(
      fc.property(fc.array(commandArb(true), { minLength: 1, maxLength: 150 }), (commands) => {
        const run = start();
        for (const c of commands) {
          apply(run, c);
          checkInvariants(run, false);
        }
        finish(run, false);
      }),
      { numRuns: 100 },
    );
  });

  it("is deterministic: the same inputs give deep-equal event streams", () => {
    fc.assert(
      fc.property(fc.array(commandArb(true), { minLength: 1, maxLength: 100 }), (commands) => {
        const a = start("same");
        const b = start("same");
        for (const c of commands) {
          apply(a, c);
          apply(b, c);
        }
        a.engine.advance(T0 + 2_000_000);
        b.engine.advance(T0 + 2_000_000);
        expect(a.events).toEqual(b.events);
        expect(a.events.map((e) => e.seq)).toEqual(a.events.map((_, i) => i + 1));
      }),
      { numRuns: 30 },
    );
  });

  it("uses the seed for ids", () => {
    const ids = (seed: string) => {
      const run = start(seed);
      run.engine.submit(
        {
          id: "0x1",
          owner: owner(0),
          account: account(0),
          tokenId: UP,
          side: "SELL",
          price: u(0.5),
          size: u(10),
          type: "GTC",
          postOnly: false,
          expiresAtMs: 0,
        },
        T0,
      );
      return run.engine.submit(
        {
          id: "0x2",
          owner: owner(1),
          account: account(1),
          tokenId: UP,
          side: "BUY",
          price: u(0.5),
          size: u(10),
          type: "GTC",
          postOnly: false,
          expiresAtMs: 0,
        },
        T0,
      ).tradeIds;
    };
    expect(ids("x")).toEqual(ids("x"));
    expect(ids("x")).not.toEqual(ids("y"));
  });
});
