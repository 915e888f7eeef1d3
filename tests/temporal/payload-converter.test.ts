/**
 * Ballast's payload converter (src/temporal/payload-converter.ts): money as decimal text in every payload,
 * exact micros in the code.
 *
 * - what it writes: the money fields of the real messages as six-decimal strings, everything else as the
 *   SDK's JSON converter writes it (ids, seqs, times, counts and the hedge ratio stay numbers);
 * - what it reads: both forms, exactly; its numeric form (for clients talking to workers of both kinds)
 *   writes what the SDK's default converter writes;
 * - decode(encode(x)) deep-equals x: for random values of every message type, for arbitrary JSON, and for
 *   every payload of every recorded history (read with the default converter, written and read with this one);
 * - the field list is right: in the declared payload types, a field of a listed name is micros, and a
 *   micros field has a listed name.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { defaultPayloadConverter, type Payload } from "@temporalio/common";
import fc from "fast-check";
import type { OrderReadBack, PlacedOrder, PlaceOrderRequest } from "../../activities/exchange/activities";
import type { FeedDetection } from "../../activities/streaming/entry-trigger";
import type { StreamMarketInput, StreamMarketResult } from "../../activities/streaming/market-feed";
import type {
  FillRecord,
  OrderRecord,
  PositionRecord,
  RebalanceTradeRecord,
  ResolutionRecord,
  TelemetryRecord,
} from "../../src/db/positions";
import type { MarketRef } from "../../src/session/market";
import type {
  BookTop,
  ExecuteRequest,
  ExecuteResult,
  HaltResult,
  MarketBookSnapshot,
  OurFill,
  ReconcileSnapshot,
} from "../../src/session/messages";
import type { Opportunity } from "../../src/strategy/arbitrage";
import type { FeedHeartbeatDetails } from "../../src/streaming/resume";
import {
  MONEY_FIELDS,
  MONEY_FIELDS_WITHIN,
  MONEY_RECORDS,
  microsToText,
  numericPayloadConverter,
  payloadConverter,
} from "../../src/temporal/payload-converter";
import type { ControlStateMessage, PositionStatus } from "../../workflows/definitions";
import type { PositionInput, PositionResult } from "../../workflows/position";
import type { SchedulerInput } from "../../workflows/scheduler";
import type { SessionInput, SessionState } from "../../workflows/session";
import type { PositionView, SessionView } from "../../workflows/views";

const ROOT = path.resolve(__dirname, "..", "..");
const MONEY = new Set(MONEY_FIELDS);
const RECORDS = new Set(MONEY_RECORDS);
/** A money field of `parent` by MONEY_FIELDS_WITHIN (own keys only: a parent named "toString" is no table). */
const within = (parent: string, key: string): boolean =>
  Object.hasOwn(MONEY_FIELDS_WITHIN, parent) && (MONEY_FIELDS_WITHIN[parent]?.includes(key) ?? false);

const encode = (v: unknown): Payload => payloadConverter.toPayload(v);
const decode = (p: Payload): unknown => payloadConverter.fromPayload(p);
const roundTrip = (v: unknown): unknown => decode(encode(v));
/** The JSON text a payload carries (what the Web UI shows). */
const text = (p: Payload): string => Buffer.from(p.data ?? new Uint8Array()).toString("utf8");
/** What the SDK's default converter writes and reads (histories recorded before this converter). */
const plain = (v: unknown): Payload => defaultPayloadConverter.toPayload(v);
/** JSON's view of a value (undefined properties dropped): what any JSON converter can give back. */
const asJson = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** Calls fn on every value in a decoded payload whose place makes it money (field, bestAsks.up, record value). */
function moneyPlaces(value: unknown, fn: (v: unknown, where: string) => void, key = "", parent = ""): void {
  if (MONEY.has(key) || within(parent, key)) fn(value, `${parent}.${key}`);
  if (Array.isArray(value)) {
    for (const item of value) moneyPlaces(item, fn, key, parent);
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (RECORDS.has(key) && typeof v !== "object") fn(v, `${key}[${k}]`);
      else moneyPlaces(v, fn, k, key);
    }
  }
}

describe("what it writes", () => {
  it("writes money as six-decimal text and leaves every other number alone", () => {
    const result: PositionResult = {
      positionId: "position-btc-updown-15m-1-1",
      phase: "RESOLVED",
      winner: "DOWN",
      pnl: 221_110,
      upShares: 10_257_950,
      downShares: 27_140_000,
      rebalanceTrades: 2,
    };
    expect(JSON.parse(text(encode(result)))).toEqual({
      positionId: "position-btc-updown-15m-1-1",
      phase: "RESOLVED",
      winner: "DOWN",
      pnl: "0.221110",
      upShares: "10.257950",
      downShares: "27.140000",
      rebalanceTrades: 2,
    });
    const view: Partial<PositionView> = {
      hedgeRatio: 0.8,
      guaranteedPnl: -100_000,
      orders: 3,
      openOrders: 1,
    };
    expect(JSON.parse(text(encode(view)))).toEqual({
      hedgeRatio: 0.8,
      guaranteedPnl: "-0.100000",
      orders: 3,
      openOrders: 1,
    });
  });

  it("writes the prices and sizes of a book, its seq and times as numbers", () => {
    const book: MarketBookSnapshot = {
      seq: 42,
      venueAtMs: 1_796_309_414_821,
      receivedAtMs: 1_796_309_414_833,
      up: { bids: [{ price: 440_000, size: 50_000_000 }], asks: [{ price: 455_000, size: 1_250_000 }] },
      down: { bids: [], asks: [{ price: 470_000, size: 40_000_000 }] },
      tickSize: 1_000,
    };
    expect(text(encode(book))).toBe(
      '{"seq":42,"venueAtMs":1796309414821,"receivedAtMs":1796309414833,' +
        '"up":{"bids":[{"price":"0.440000","size":"50.000000"}],"asks":[{"price":"0.455000","size":"1.250000"}]},' +
        '"down":{"bids":[],"asks":[{"price":"0.470000","size":"40.000000"}]},"tickSize":"0.001000"}',
    );
  });

  it("writes best asks of a session view and the tick sizes of a feed heartbeat as money; their keys stay", () => {
    const view: Pick<SessionView, "bestAsks" | "lastBookSeq"> = {
      bestAsks: { up: 450_000, down: null },
      lastBookSeq: 7,
    };
    expect(JSON.parse(text(encode(view)))).toEqual({
      bestAsks: { up: "0.450000", down: null },
      lastBookSeq: 7,
    });
    const heartbeat: FeedHeartbeatDetails = {
      lastSeq: 9,
      lastReconcileAtMs: null,
      framesReceived: 120,
      atMs: 1_000,
      tickSizes: { "9446674722533508070": 10_000, "5935794786524194887": 1_000 },
    };
    expect(JSON.parse(text(encode(heartbeat))).tickSizes).toEqual({
      "9446674722533508070": "0.010000",
      "5935794786524194887": "0.001000",
    });
    // `up` and `down` elsewhere (a book's sides) are not money.
    expect(JSON.parse(text(encode({ up: 3, down: 4 })))).toEqual({ up: 3, down: 4 });
  });

  it("writes what is not a safe integer in a money field as JSON does", () => {
    expect(JSON.parse(text(encode({ price: 0.5, size: null, pnl: 2 ** 60, fee: true })))).toEqual({
      price: 0.5,
      size: null,
      pnl: 2 ** 60,
      fee: true,
    });
  });

  it("writes non-JSON values as the SDK does: undefined, binary, Dates, strings", () => {
    expect(encode(undefined).metadata?.encoding).toEqual(plain(undefined).metadata?.encoding);
    const bytes = new Uint8Array([1, 2, 3]);
    expect(encode(bytes)).toEqual(plain(bytes));
    expect(decode(encode(bytes))).toEqual(bytes);
    const at = new Date(1_796_309_414_821);
    expect(text(encode({ at }))).toBe(text(plain({ at })));
    expect(text(encode("$0.22"))).toBe('"$0.22"');
    // What JSON cannot hold is no converter's: the SDK refuses it.
    expect(() => encode(() => 1)).toThrow(/Unable to convert/);
  });

  it("writes six decimals exactly, at the extremes too", () => {
    expect(microsToText(0)).toBe("0.000000");
    expect(microsToText(1)).toBe("0.000001");
    expect(microsToText(-1)).toBe("-0.000001");
    expect(microsToText(1_000_000)).toBe("1.000000");
    expect(microsToText(Number.MAX_SAFE_INTEGER)).toBe("9007199254.740991");
    expect(microsToText(Number.MIN_SAFE_INTEGER)).toBe("-9007199254.740991");
  });
});

describe("what it reads", () => {
  it("reads decimal text in a money field as exact micros, and a number as itself", () => {
    const fromText = { data: Buffer.from('{"pnl":"0.221110","upShares":"10.25795","price":"1","seq":3}') };
    expect(decode({ ...encode(null), ...fromText })).toEqual({
      pnl: 221_110,
      upShares: 10_257_950,
      price: 1_000_000,
      seq: 3,
    });
    expect(decode(plain({ pnl: 221_110, upShares: 10_257_950 }))).toEqual({
      pnl: 221_110,
      upShares: 10_257_950,
    });
  });

  it("leaves text that is not an exact decimal, and text in other fields, as text", () => {
    const p = plain({ price: "n/a", size: "0.0000001", pnl: "1e6", status: "0.5", orderId: "123" });
    expect(decode(p)).toEqual({ price: "n/a", size: "0.0000001", pnl: "1e6", status: "0.5", orderId: "123" });
  });
});

// ------------------------------------------------------------------------------------------------ round trips

const micros = fc.oneof(
  fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
  fc.constantFrom(0, 1, -1, 221_110, 10_257_950, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
);
const ms = fc.integer({ min: 0, max: 2_000_000_000_000 });
const count = fc.nat({ max: 10_000 });
const id = fc.string({ maxLength: 12 });
const tokenId = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map(String);
const side = fc.constantFrom("BUY" as const, "SELL" as const);
const ratio = fc.double({ min: 0, max: 1, noNaN: true });
const level = fc.record({ price: micros, size: micros });
const bookTop: fc.Arbitrary<BookTop> = fc.record({
  bids: fc.array(level, { maxLength: 4 }),
  asks: fc.array(level, { maxLength: 4 }),
});
const book: fc.Arbitrary<MarketBookSnapshot> = fc.record({
  seq: count,
  venueAtMs: ms,
  receivedAtMs: ms,
  up: bookTop,
  down: bookTop,
  tickSize: micros,
});
const fill: fc.Arbitrary<OurFill> = fc.record({
  tradeId: id,
  orderId: id,
  tokenId,
  side,
  role: fc.constantFrom("TAKER" as const, "MAKER" as const),
  price: micros,
  size: micros,
  feeRate: micros,
  status: fc.constantFrom("MATCHED" as const, "MINED" as const, "CONFIRMED" as const, "FAILED" as const),
  atMs: ms,
});
const market: fc.Arbitrary<MarketRef> = fc.record({
  slug: id,
  asset: fc.constantFrom("BTC", "ETH"),
  conditionId: id,
  upTokenId: tokenId,
  downTokenId: tokenId,
  startMs: ms,
  endMs: ms,
  tickSize: micros,
  minOrderSize: micros,
  feeRate: micros,
  feeExponent: count,
});
const opportunity: fc.Arbitrary<Opportunity> = fc.record({
  upLimitPrice: micros,
  downLimitPrice: micros,
  upBestAsk: micros,
  downBestAsk: micros,
  upShares: micros,
  downShares: micros,
  spread: micros,
  pairCost: micros,
  pairs: micros,
  expectedProfit: micros,
  worstCaseProfit: micros,
  grossCost: micros,
  maxCost: micros,
  upNetShares: micros,
  downNetShares: micros,
});
const params = fc.record({
  minSpread: micros,
  budgetPerTrade: micros,
  maxPositionCost: micros,
  rebalanceThreshold: ratio,
  minRebalanceProfitPerShare: micros,
  rebalanceFreezeMs: ms,
  rebalanceCheckIntervalMs: ms,
  preferSellOverBuy: fc.boolean(),
  allowPartialRebalance: fc.boolean(),
  maxRebalanceTrades: count,
  maxPositionsPerWindow: count,
  entryPath: fc.constantFrom("child" as const, "armed" as const),
});
const sessionParams = fc
  .tuple(params, fc.record({ historyEventLimit: count, streamingTaskQueue: id }))
  .map(([p, rest]) => ({ ...p, ...rest }));
const positionStatus: fc.Arbitrary<PositionStatus> = fc.record(
  {
    positionId: id,
    executing: fc.boolean(),
    wantsBooks: fc.boolean(),
    done: fc.boolean(),
    armed: fc.boolean(),
  },
  { requiredKeys: ["positionId", "executing", "wantsBooks", "done"] },
);
const reconcile: fc.Arbitrary<ReconcileSnapshot> = fc.record({
  atMs: ms,
  openOrders: fc.array(
    fc.record({ orderId: id, tokenId, side, price: micros, size: micros, sizeMatched: micros }),
    { maxLength: 3 },
  ),
  fills: fc.array(fill, { maxLength: 3 }),
});
const intent = fc.record(
  {
    tokenId,
    side,
    price: micros,
    size: micros,
    tickSize: micros,
    minOrderSize: micros,
    negRisk: fc.boolean(),
    salt: fc.nat(),
    timestampMs: ms,
    expirationSec: count,
  },
  { requiredKeys: ["tokenId", "side", "price", "size", "tickSize", "negRisk", "salt", "timestampMs"] },
);
const sessionState: fc.Arbitrary<SessionState> = fc.record(
  {
    runs: count,
    feedStarted: fc.boolean(),
    positionsStarted: count,
    positions: fc.dictionary(id, positionStatus, { maxKeys: 3 }),
    lastBookSeq: count,
    book,
    bookUnexamined: fc.boolean(),
    fillQueue: fc.array(fill, { maxLength: 3 }),
    reconcile,
    halted: fc.boolean(),
    haltPropagated: fc.boolean(),
    booksForwarded: fc.dictionary(id, fc.record({ atMs: ms, seq: count }), { maxKeys: 3 }),
    armedId: id,
  },
  {
    requiredKeys: [
      "runs",
      "feedStarted",
      "positionsStarted",
      "positions",
      "lastBookSeq",
      "bookUnexamined",
      "fillQueue",
      "halted",
      "haltPropagated",
      "booksForwarded",
    ],
  },
);
const frameStats = fc.record({
  frames: count,
  controlFrames: count,
  decoded: fc.dictionary(
    fc.constantFrom("book", "price_change", "last_trade_price", "trade", "order"),
    count,
  ),
  unknown: fc.dictionary(id, count),
  malformed: fc.dictionary(id, count),
});

/** A random value of every message type Ballast's workflows and activities exchange. */
const MESSAGES: Record<string, fc.Arbitrary<unknown>> = {
  "MarketBookSnapshot (marketBook signal)": book,
  "OurFill[] (fills signal)": fc.array(fill, { maxLength: 4 }),
  "ReconcileSnapshot (reconcile signal)": reconcile,
  "ExecuteRequest (execute update)": fc.record({ book, detectedAtMs: ms }) as fc.Arbitrary<ExecuteRequest>,
  ExecuteResult: fc.record({
    positionId: id,
    upShares: micros,
    downShares: micros,
    upLimitPrice: micros,
    downLimitPrice: micros,
  }) as fc.Arbitrary<ExecuteResult>,
  PositionInput: fc.record(
    {
      positionId: id,
      sessionWorkflowId: id,
      market,
      opportunity,
      book,
      detectedAtMs: ms,
      params,
      armed: fc.record({ halted: fc.boolean() }),
    },
    { requiredKeys: ["positionId", "sessionWorkflowId", "market", "params"] },
  ) as fc.Arbitrary<PositionInput>,
  PositionResult: fc.record(
    {
      positionId: id,
      phase: fc.constantFrom("RESOLVED" as const, "ABANDONED" as const, "UNUSED" as const),
      winner: fc.constantFrom("UP" as const, "DOWN" as const),
      pnl: micros,
      upShares: micros,
      downShares: micros,
      rebalanceTrades: count,
    },
    { requiredKeys: ["positionId", "phase", "upShares", "downShares", "rebalanceTrades"] },
  ) as fc.Arbitrary<PositionResult>,
  "PositionView (positionState query)": fc.record({
    positionId: id,
    slug: id,
    asset: id,
    phase: fc.constantFrom("BALANCED" as const, "IMBALANCED" as const),
    halted: fc.boolean(),
    upShares: micros,
    downShares: micros,
    netCost: micros,
    hedgeRatio: ratio,
    guaranteedPnl: micros,
    rebalanceTrades: count,
    orders: count,
    openOrders: count,
    bufferedFills: count,
    pnl: micros,
    winner: fc.constantFrom("UP" as const, "DOWN" as const),
  }) as fc.Arbitrary<PositionView>,
  "SessionView (sessionState query)": fc.record({
    slug: id,
    asset: id,
    startMs: ms,
    endMs: ms,
    halted: fc.boolean(),
    positionsStarted: count,
    openPositions: fc.array(id, { maxLength: 3 }),
    lastBookSeq: count,
    armedPositionId: id,
    bestAsks: fc.record({ up: fc.option(micros), down: fc.option(micros) }),
    runsSoFar: count,
  }) as fc.Arbitrary<SessionView>,
  "SessionInput (with its continue-as-new state)": fc.record(
    {
      market,
      params: sessionParams,
      state: sessionState,
      halted: fc.record({ reason: id }),
    },
    { requiredKeys: ["market", "params"] },
  ) as fc.Arbitrary<SessionInput>,
  SchedulerInput: fc.record({
    asset: id,
    windowMs: ms,
    params: sessionParams,
    started: fc.array(id, { maxLength: 3 }),
    iterations: count,
    control: fc.record({ halted: fc.boolean(), reason: id, sinceMs: ms }),
    live: fc.dictionary(id, ms, { maxKeys: 3 }),
    controlSeq: count,
  }) as fc.Arbitrary<SchedulerInput>,
  "PositionStatus, ControlStateMessage, HaltResult": fc.tuple(
    positionStatus,
    fc.record({
      halted: fc.boolean(),
      reason: id,
      sinceMs: ms,
      seq: count,
    }) as fc.Arbitrary<ControlStateMessage>,
    fc.record({
      halted: fc.boolean(),
      reason: id,
      sinceMs: ms,
      subscribers: fc.array(id, { maxLength: 2 }),
      cancelled: count,
      notified: count,
    }) as fc.Arbitrary<HaltResult>,
  ),
  "PlaceOrderRequest / PlacedOrder": fc.tuple(
    fc.record({
      intent,
      orderType: fc.constantFrom("FAK" as const, "GTC" as const),
      market: id,
    }) as fc.Arbitrary<Omit<PlaceOrderRequest, "intent"> & { intent: unknown }>,
    fc.record({
      orderId: id,
      accepted: fc.boolean(),
      status: id,
      rejection: fc.record({ kind: id, message: fc.string(), local: fc.boolean() }),
      sentAtMs: ms,
      answeredAtMs: ms,
      fills: fc.array(fill, { maxLength: 3 }),
    }) as fc.Arbitrary<PlacedOrder>,
  ),
  "ReadOrderRequest / OrderReadBack": fc.tuple(
    fc.record({ market: id, orderType: fc.constant("FAK"), orderId: id, intent }),
    fc.record({
      found: fc.boolean(),
      orderId: id,
      status: id,
      final: fc.boolean(),
      sizeMatched: micros,
      fills: fc.array(fill, { maxLength: 3 }),
    }) as fc.Arbitrary<OrderReadBack>,
  ),
  "database records": fc.tuple(
    fc.record({
      id,
      marketSlug: id,
      conditionId: id,
      asset: id,
      yesTokenId: tokenId,
      noTokenId: tokenId,
      marketEndAtMs: ms,
      status: fc.constantFrom("OPEN" as const, "BALANCED" as const),
      spread: fc.option(micros),
      yesPrice: fc.option(micros),
      noPrice: fc.option(micros),
      yesShares: micros,
      noShares: micros,
      totalCost: micros,
      feesPaid: micros,
      rebalanceStatus: fc.constantFrom("pending" as const, "completed" as const),
      rebalanceShares: micros,
      rebalancePrice: micros,
      rebalanceProfit: micros,
      rebalancedAtMs: ms,
      finalYesShares: micros,
      finalNoShares: micros,
    }) as fc.Arbitrary<PositionRecord>,
    fc.record({
      positionId: id,
      opportunityDetectedAtMs: ms,
      opportunitySpread: micros,
      opportunityYesPrice: micros,
      opportunityNoPrice: micros,
      orderPlacedAtMs: fc.option(ms),
      executionLatencyMs: fc.option(count),
      initialYesShares: micros,
      initialNoShares: micros,
      initialHedgeRatio: micros,
      initialCost: micros,
      rebalanceAttempts: count,
      finalHedgeRatio: micros,
      actualProfit: micros,
    }) as fc.Arbitrary<TelemetryRecord>,
    fc.record({
      positionId: id,
      attemptedAtMs: ms,
      action: fc.constantFrom("SELL_YES" as const, "BUY_NO" as const),
      shares: micros,
      price: micros,
      status: fc.constantFrom("SUCCESS" as const, "PARTIAL" as const, "FAILED" as const),
      filledShares: micros,
      profit: fc.option(micros),
      orderId: fc.option(id),
    }) as fc.Arbitrary<RebalanceTradeRecord>,
    fc.record({
      id,
      market: id,
      tokenId,
      side,
      price: micros,
      size: micros,
      orderType: fc.constant("FAK" as const),
      status: id,
      sizeMatched: micros,
      updatedAtMs: ms,
    }) as fc.Arbitrary<OrderRecord>,
    fc.record({
      tradeId: id,
      orderId: id,
      market: id,
      tokenId,
      side,
      role: fc.constant("TAKER" as const),
      price: micros,
      size: micros,
      fee: micros,
      status: fc.constant("MINED" as const),
      matchedAtMs: ms,
    }) as fc.Arbitrary<FillRecord>,
    fc.record({
      positionId: id,
      resolvedAtMs: ms,
      winningOutcome: fc.constantFrom("YES" as const, "NO" as const),
      payout: micros,
      actualProfit: micros,
      finalYesShares: micros,
      finalNoShares: micros,
    }) as fc.Arbitrary<ResolutionRecord>,
  ),
  "StreamMarketInput / StreamMarketResult / heartbeat details": fc.tuple(
    fc.record({
      slug: id,
      conditionId: id,
      upTokenId: tokenId,
      downTokenId: tokenId,
      endMs: ms,
      sessionWorkflowId: id,
      depth: count,
      tickSize: micros,
      detection: fc.record({
        minSpread: micros,
        budgetPerTrade: micros,
        rebalanceFreezeMs: ms,
        startMs: ms,
        tickSize: micros,
        minOrderSize: micros,
        feeRate: micros,
        feeExponent: count,
      }) as fc.Arbitrary<FeedDetection>,
    }) as fc.Arbitrary<StreamMarketInput>,
    fc.record({
      endReason: fc.constantFrom("ended" as const, "aborted" as const),
      lastSeq: count,
      resumedAfterSeq: count,
      snapshotsSent: count,
      fillsSignalled: count,
      reconciles: count,
      lastReconcileAtMs: fc.option(ms),
      framesReceived: count,
      conflation: fc.record({
        offered: count,
        sent: count,
        failed: count,
        retried: count,
        conflated: count,
        dropped: count,
        pending: fc.boolean(),
        inFlight: fc.boolean(),
      }),
      frames: fc.record({ market: frameStats, user: frameStats }),
      reconnects: fc.record({ market: count, user: count }),
      signalFailures: count,
    }) as fc.Arbitrary<StreamMarketResult>,
    fc.record({
      lastSeq: count,
      lastReconcileAtMs: fc.option(ms),
      framesReceived: count,
      atMs: ms,
      tickSizes: fc.dictionary(tokenId, micros, { maxKeys: 2 }),
    }) as fc.Arbitrary<FeedHeartbeatDetails>,
  ),
};

describe("decode(encode(x)) is x", () => {
  it.each(Object.keys(MESSAGES))("for every %s", (name) => {
    fc.assert(
      fc.property(MESSAGES[name]!, (value) => {
        const payload = encode(value);
        expect(roundTrip(value)).toEqual(asJson(value));
        // The numeric form writes what the SDK's default converter writes, and reads either.
        const numeric = numericPayloadConverter.toPayload(value);
        expect(text(numeric)).toBe(text(plain(value)));
        expect(numericPayloadConverter.fromPayload(payload)).toEqual(asJson(value));
        expect(numericPayloadConverter.fromPayload(numeric)).toEqual(asJson(value));
        // Every money field that held micros is text in the payload; nothing else is.
        moneyPlaces(JSON.parse(text(payload)), (v, where) => {
          if (v !== null) expect({ where, v: typeof v }).toEqual({ where, v: "string" });
        });
      }),
      { numRuns: 60 },
    );
  });

  it("for arbitrary JSON whose money fields hold no decimal text", () => {
    const key = fc.oneof(
      fc.constantFrom(
        ...MONEY_FIELDS,
        ...MONEY_RECORDS,
        "bestAsks",
        "up",
        "down",
        "seq",
        "atMs",
        "hedgeRatio",
      ),
      fc.string({ maxLength: 6 }),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.oneof(
          fc.integer(),
          fc.maxSafeInteger(),
          fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
          fc.boolean(),
          fc.constant(null),
          fc.string({ maxLength: 8 }),
          fc.constantFrom("0.5", "12", "-3.25", "1e3"),
        ),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(key, tie("value"), { maxKeys: 5 }),
      ),
    })).value;
    /** Decimal text at a money place would read back as micros: the field list's rule forbids it. */
    const allowed = (value: unknown) => {
      let ok = true;
      moneyPlaces(value, (v) => {
        if (typeof v === "string" && /^-?\d+(\.\d{1,6})?$/.test(v)) ok = false;
      });
      return ok;
    };
    fc.assert(
      fc.property(json, (value) => {
        fc.pre(allowed(value));
        expect(roundTrip(value)).toEqual(asJson(value));
      }),
      { numRuns: 400 },
    );
  });
});

// --------------------------------------------------------------------------------------- recorded histories

const FIXTURES = path.join(ROOT, "tests", "fixtures", "histories");

/** Every payload in a Temporal CLI JSON export (base64 metadata and data). */
function payloadsOf(node: unknown, out: Payload[] = []): Payload[] {
  if (Array.isArray(node)) {
    for (const n of node) payloadsOf(n, out);
  } else if (typeof node === "object" && node !== null) {
    const o = node as Record<string, unknown>;
    const metadata = o.metadata as Record<string, string> | undefined;
    if (metadata && typeof metadata === "object" && "encoding" in metadata) {
      out.push({
        metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, "base64")])),
        data: Buffer.from((o.data as string | undefined) ?? "", "base64"),
      });
      return out;
    }
    for (const v of Object.values(o)) payloadsOf(v, out);
  }
  return out;
}

describe("the recorded histories", () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));

  it("are there to check", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)(
    "%s: every payload reads as before, and survives a round trip through this converter",
    (file) => {
      const payloads = payloadsOf(JSON.parse(readFileSync(path.join(FIXTURES, file), "utf8")));
      expect(payloads.length).toBeGreaterThan(0);
      let money = 0;
      for (const p of payloads) {
        const plainRead = defaultPayloadConverter.fromPayload(p);
        const before = decode(p);
        if (text(plain(before)) === text(plain(plainRead))) {
          // Recorded before this converter (money as numbers): read as recorded, so the replay sees what it saw.
          expect(before).toEqual(plainRead);
        } else {
          // Recorded by it (money as decimal text): written again, the very same bytes.
          expect(text(encode(before))).toEqual(text(p));
        }
        // Written again by this converter (money as text), read back: the same values exactly.
        expect(roundTrip(before)).toEqual(before);
        // The field list's rule holds in every recorded payload: money places hold micros (or nothing).
        moneyPlaces(before, (v, where) => {
          money += 1;
          if (v !== null)
            expect({ where, safeInteger: Number.isSafeInteger(v) }).toEqual({ where, safeInteger: true });
        });
      }
      // The positions' and sessions' histories carry money (control's, the system check's do not).
      if (/^(position|session)/.test(file)) expect(money).toBeGreaterThan(0);
    },
  );
});

// ------------------------------------------------------------------------------------- the field list itself

/** Every payload type: the interfaces whose values travel through Temporal, and where they are declared. */
const PAYLOAD_TYPES: Record<string, string[]> = {
  "src/session/messages.ts": [
    "BookTop",
    "MarketBookSnapshot",
    "OurFill",
    "ReconcileSnapshot",
    "ExecuteRequest",
    "ExecuteResult",
    "ControlView",
    "HaltResult",
    "ResumeResult",
    "SessionHaltResult",
    "SessionResumeResult",
    "RebalanceNowOrder",
    "RebalanceNowResult",
  ],
  "src/protocol/market.ts": ["PriceLevel"],
  "src/session/market.ts": ["MarketRef"],
  "src/strategy/arbitrage/opportunity.ts": ["Opportunity"],
  "src/strategy/arbitrage/types.ts": ["ArbitrageParams"],
  "src/polymarket/types.ts": ["OrderIntent"],
  "src/streaming/resume.ts": ["FeedHeartbeatDetails"],
  "src/streaming/conflation.ts": ["ConflatorStats"],
  "src/protocol/frames.ts": ["FrameStatsSnapshot"],
  "src/db/positions.ts": [
    "PositionRecord",
    "TelemetryRecord",
    "RebalanceTradeRecord",
    "OrderRecord",
    "FillRecord",
    "FillUpsertResult",
    "ResolutionRecord",
  ],
  "activities/database.ts": ["DatabaseStatus"],
  "activities/exchange/activities.ts": [
    "PlaceOrderRequest",
    "PlacedOrder",
    "ReadOrderRequest",
    "OrderReadBack",
  ],
  "activities/streaming/entry-trigger.ts": ["FeedDetection", "EntryTriggerStats"],
  "activities/streaming/market-feed.ts": ["StreamMarketInput", "StreamMarketResult"],
  "workflows/definitions.ts": ["ControlStateMessage", "PositionStatus"],
  "workflows/views.ts": ["PositionView", "SessionView"],
  "workflows/position.ts": ["PositionInput", "PositionResult"],
  "src/session/params.ts": ["SessionParams"],
  "src/strategy/quoting/params.ts": ["QuotingParams"],
  "workflows/session.ts": ["SessionState", "SessionCarry", "SessionInput"],
  "workflows/scheduler.ts": ["SchedulerInput"],
  "workflows/control.ts": ["ControlState", "ControlInput"],
  "workflows/feed.ts": ["MarketFeedInput"],
  "workflows/system-check.ts": ["SystemCheckInput", "SystemCheckResult"],
};

interface Field {
  where: string;
  name: string;
  parent: string;
  type: string;
}

/** The fields an interface declares (nested inline object types too), from its source text. */
function fieldsOf(source: string, file: string, name: string): Field[] {
  const start = source.search(new RegExp(`\\binterface ${name}\\b[^{]*\\{`));
  if (start < 0) throw new Error(`interface ${name} not found in ${file}`);
  let i = source.indexOf("{", start) + 1;
  let depth = 1;
  const body = i;
  for (; depth > 0 && i < source.length; i++) {
    if (source[i] === "{") depth++;
    else if (source[i] === "}") depth--;
  }
  const text = source
    .slice(body, i - 1)
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
  const fields: Field[] = [];
  const parents: string[] = [name];
  // Tokens: a field's head (`name?:`), an opening or a closing brace; a field's type is the text up to the next.
  const token = /(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*:|[{}]/g;
  let pending: Field | undefined;
  let last = 0;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    if (pending) pending.type += text.slice(last, m.index);
    if (m[0] === "{") {
      // An inline object type: its fields have this field for parent.
      if (pending) {
        pending.type += "{…}";
        fields.push(pending);
      }
      parents.push(pending?.name ?? parents[parents.length - 1]!);
      pending = undefined;
    } else if (m[0] === "}") {
      if (pending) fields.push(pending);
      pending = undefined;
      parents.pop();
    } else {
      if (pending) fields.push(pending);
      pending = { where: `${file} ${name}`, name: m[1]!, parent: parents[parents.length - 1]!, type: "" };
    }
    last = token.lastIndex;
  }
  if (pending) {
    pending.type += text.slice(last);
    fields.push(pending);
  }
  return fields;
}

describe("the money field list", () => {
  const fields = Object.entries(PAYLOAD_TYPES).flatMap(([file, names]) => {
    const source = readFileSync(path.join(ROOT, file), "utf8");
    return names.flatMap((n) => fieldsOf(source, file, n));
  });

  it("reads the payload types' fields", () => {
    expect(fields.length).toBeGreaterThan(150);
    expect(fields).toContainEqual(
      expect.objectContaining({
        name: "price",
        parent: "openOrders",
        type: expect.stringContaining("Micros"),
      }),
    );
  });

  it("names only money: a listed field is micros in every payload type that has it", () => {
    const wrong = fields
      .filter((f) => MONEY.has(f.name) || within(f.parent, f.name) || RECORDS.has(f.name))
      .filter((f) => !/\bMicros\b/.test(f.type))
      .map((f) => `${f.where}: ${f.parent}.${f.name}: ${f.type.trim()}`);
    expect(wrong).toEqual([]);
  });

  it("misses no money: a micros field of a payload type is listed", () => {
    const missing = fields
      .filter((f) => /\bMicros\b/.test(f.type))
      .filter((f) =>
        /Record<\s*string\s*,\s*Micros\s*>/.test(f.type)
          ? !RECORDS.has(f.name)
          : !MONEY.has(f.name) && !within(f.parent, f.name),
      )
      .map((f) => `${f.where}: ${f.parent}.${f.name}: ${f.type.trim()}`);
    expect(missing).toEqual([]);
  });

  it("lists no name twice and no name that no payload type declares", () => {
    expect(new Set(MONEY_FIELDS).size).toBe(MONEY_FIELDS.length);
    const declared = new Set(fields.map((f) => f.name));
    const undeclared = MONEY_FIELDS.filter((n) => !declared.has(n));
    expect(undeclared).toEqual([]);
  });
});

it("a record keyed by a name of Object.prototype's (toString, constructor) converts like any other", () => {
  const value = { booksForwarded: { toString: { atMs: 1, seq: 2 }, constructor: { atMs: 3, seq: 4 } } };
  expect(roundTrip(value)).toEqual(asJson(value));
});
