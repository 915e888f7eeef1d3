/**
 * Pure parts of the strategy-neutral session: its parameters of either shape (`sessionParamsOf`, as the
 * session and the scheduler read them at their entry, and the CLI's comparison of a running scheduler's
 * settings), and the arbitrage strategy's hook, which must decide exactly as the session's inline
 * detection did before it.
 */
import { settingsChanges } from "../../src/cli/schedulers";
import { loadConfig } from "../../src/config/load";
import type { MarketRef } from "../../src/session/market";
import type { MarketBookSnapshot } from "../../src/session/messages";
import {
  type FlatSessionParams,
  type SessionParams,
  sessionParams,
  sessionParamsOf,
} from "../../src/session/params";
import type { SessionFacts } from "../../src/session/strategy";
import { detectOpportunity } from "../../src/strategy/arbitrage";
import { arbitrageSessionStrategy } from "../../src/strategy/arbitrage/session-strategy";
import { DEFAULT_QUOTING_PARAMS } from "../../src/strategy/quoting/params";
import { payloadConverter } from "../../src/temporal/payload-converter";
import { MARKET as MARKET_RULES, snapshot, top } from "./harness";

const arbitrage = loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage;
const armedArbitrage = loadConfig({ env: { ARB_ENTRY_PATH: "armed" } }).arbitrage;
const flat: FlatSessionParams = { ...arbitrage, historyEventLimit: 8_000, streamingTaskQueue: "q-streaming" };
const nested: SessionParams = { arbitrage, historyEventLimit: 8_000, streamingTaskQueue: "q-streaming" };

describe("sessionParamsOf", () => {
  it("reads the flat shape of earlier runs: the arbitrage section is every field but the session's own", () => {
    expect(sessionParamsOf(flat)).toEqual(nested);
  });

  it("keeps a flat shape's fields it does not know in the arbitrage section, and misses none it lacks", () => {
    // A run recorded before ARB_ENTRY_PATH and MAX_POSITIONS_PER_WINDOW existed, with a field since removed.
    const { entryPath: _e, maxPositionsPerWindow: _m, ...older } = arbitrage;
    const raw = { ...older, retired: 1, historyEventLimit: 400, streamingTaskQueue: "s" } as never;
    const read = sessionParamsOf(raw);
    expect(read).toEqual({
      arbitrage: { ...older, retired: 1 },
      historyEventLimit: 400,
      streamingTaskQueue: "s",
    });
    expect("entryPath" in read.arbitrage).toBe(false);
  });

  it("takes today's shape as it is, with or without a quoting section", () => {
    expect(sessionParamsOf(nested)).toEqual(nested);
    const withQuoting = { ...nested, quoting: DEFAULT_QUOTING_PARAMS };
    expect(sessionParamsOf(withQuoting)).toEqual(withQuoting);
    expect("quoting" in sessionParamsOf(nested)).toBe(false);
  });

  it("is what the configuration gives, and idempotent", () => {
    const config = loadConfig({ env: { MIN_SPREAD: "0.03", TEMPORAL_STREAMING_TASK_QUEUE: "streams" } });
    const params = sessionParams(config);
    expect(params).toEqual({
      arbitrage: { ...config.arbitrage },
      historyEventLimit: 8_000,
      streamingTaskQueue: "streams",
    });
    expect(params.arbitrage.minSpread).toBe(30_000);
    expect(sessionParamsOf(sessionParamsOf(params))).toEqual(params);
    expect(sessionParamsOf(sessionParamsOf(flat))).toEqual(nested);
  });
});

describe("in a payload", () => {
  it("writes the money of both sections as decimal text and reads it back as micros", () => {
    const params: SessionParams = { ...nested, quoting: DEFAULT_QUOTING_PARAMS };
    const payload = payloadConverter.toPayload({ params });
    const written = JSON.parse(new TextDecoder().decode(payload.data)) as {
      params: { arbitrage: Record<string, unknown>; quoting: Record<string, unknown> };
    };
    expect(written.params.arbitrage).toMatchObject({
      minSpread: "0.020000",
      budgetPerTrade: "25.000000",
      maxPositionCost: "40.000000",
      minRebalanceProfitPerShare: "0.020000",
      rebalanceThreshold: arbitrage.rebalanceThreshold,
      rebalanceFreezeMs: arbitrage.rebalanceFreezeMs,
    });
    expect(written.params.quoting).toMatchObject({
      orderSize: "10.000000",
      maxLiabilityPerMarket: "50.000000",
      maxTotalLiability: "500.000000",
      maxDrawdownPerMarket: "20.000000",
      maxDrawdownGlobal: "100.000000",
      batchSize: 15,
    });
    expect(payloadConverter.fromPayload(payload)).toEqual({ params });
  });
});

describe("a running scheduler's settings (settingsChanges)", () => {
  const wanted = { asset: "BTC", windowMs: 900_000, params: nested };

  it("finds none between the flat shape and today's with the same values", () => {
    expect(settingsChanges({ asset: "BTC", windowMs: 900_000, params: flat }, wanted)).toEqual([]);
    expect(settingsChanges({ asset: "BTC", windowMs: 900_000, params: nested }, wanted)).toEqual([]);
  });

  it("names a changed arbitrage setting by its field and variable, whichever shape ran", () => {
    const phrase = `minSpread (MIN_SPREAD) ${arbitrage.minSpread} → 30000`;
    const after = { ...wanted, params: { ...nested, arbitrage: { ...arbitrage, minSpread: 30_000 } } };
    expect(settingsChanges({ ...wanted, params: flat }, after)).toEqual([phrase]);
    expect(settingsChanges({ ...wanted, params: nested }, after)).toEqual([phrase]);
  });

  it("names a quoting setting and the session's own", () => {
    const after = {
      ...wanted,
      params: {
        ...nested,
        historyEventLimit: 400,
        quoting: { ...DEFAULT_QUOTING_PARAMS, orderSize: 5_000_000 },
      },
    };
    const before = { ...wanted, params: { ...nested, quoting: DEFAULT_QUOTING_PARAMS } };
    expect(settingsChanges(before, after)).toEqual([
      "historyEventLimit 8000 → 400",
      "quoting.orderSize (ORDER_SIZE) 10000000 → 5000000",
    ]);
  });

  it("cannot read a running input without params", () => {
    expect(settingsChanges({ asset: "BTC", windowMs: 900_000 }, wanted)).toEqual(["settings unreadable"]);
    expect(settingsChanges(null, wanted)).toEqual(["settings unreadable"]);
  });
});

describe("the arbitrage strategy's session hook", () => {
  const market: MarketRef = { ...MARKET_RULES, startMs: 1_000_000, endMs: 1_000_000 + 900_000 };
  const facts = (over: Partial<SessionFacts> = {}): SessionFacts => ({
    market,
    nowMs: market.startMs + 60_000,
    halted: false,
    executing: false,
    positionsStarted: 0,
    ...over,
  });
  const books: MarketBookSnapshot[] = [
    snapshot(1, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]])),
    snapshot(2, top([[0.44, 50]], [[0.5, 50]]), top([[0.46, 50]], [[0.52, 50]])),
    snapshot(3, top([], [[0.3, 8]]), top([], [[0.6, 400]])),
    { ...snapshot(4, top([], [[0.02, 900]]), top([], [[0.95, 900]])), tickSize: 1_000 },
    { ...snapshot(5, top([], [[0.45, 50]]), top([], [[0.47, 50]])), tickSize: 0 },
    snapshot(6, top([], []), top([], [[0.47, 50]])),
  ];

  /** The session's inline detection before the hook (workflows/session.ts, maybeOpenPosition). */
  function inline(f: SessionFacts, book: MarketBookSnapshot, params = arbitrage) {
    const rules = {
      tickSize: market.tickSize,
      minOrderSize: market.minOrderSize,
      feeRate: market.feeRate,
      feeExponent: market.feeExponent,
    };
    if (f.halted || f.executing) return undefined;
    if (f.nowMs < market.startMs || f.nowMs >= market.endMs - params.rebalanceFreezeMs) return undefined;
    if (f.positionsStarted >= params.maxPositionsPerWindow) return undefined;
    return detectOpportunity(book, { ...rules, tickSize: book.tickSize || rules.tickSize }, params);
  }
  /** The session's inline arming rule before the hook (armDue). */
  function inlineArmDue(f: SessionFacts, params = armedArbitrage) {
    return (
      params.entryPath === "armed" &&
      f.armedId === undefined &&
      !f.executing &&
      f.positionsStarted < params.maxPositionsPerWindow &&
      f.nowMs < market.endMs - params.rebalanceFreezeMs
    );
  }
  const situations: SessionFacts[] = [
    facts(),
    facts({ halted: true }),
    facts({ executing: true }),
    facts({ nowMs: market.startMs - 1 }),
    facts({ nowMs: market.startMs }),
    facts({ nowMs: market.endMs - arbitrage.rebalanceFreezeMs - 1 }),
    facts({ nowMs: market.endMs - arbitrage.rebalanceFreezeMs }),
    facts({ positionsStarted: arbitrage.maxPositionsPerWindow - 1 }),
    facts({ positionsStarted: arbitrage.maxPositionsPerWindow }),
    facts({ armedId: "position-x-1" }),
  ];

  it("is named arbitrage (the Strategy search attribute) and enters as ARB_ENTRY_PATH says", () => {
    expect(arbitrageSessionStrategy(arbitrage)).toMatchObject({ name: "arbitrage", entry: "book" });
    expect(arbitrageSessionStrategy(armedArbitrage)).toMatchObject({ name: "arbitrage", entry: "armed" });
    // Runs recorded before ARB_ENTRY_PATH existed have none: the child path.
    const { entryPath: _e, ...older } = arbitrage;
    expect(arbitrageSessionStrategy(older as never).entry).toBe("book");
  });

  it("opens a position on exactly the books and in exactly the situations the inline detection did", () => {
    const strategy = arbitrageSessionStrategy(arbitrage);
    let opened = 0;
    for (const f of situations)
      for (const book of books) {
        const expected = inline(f, book);
        expect(strategy.onBook(f, book)).toEqual(expected ? { opportunity: expected } : undefined);
        if (expected) opened++;
      }
    expect(opened).toBeGreaterThan(0);
  });

  it("arms exactly when the inline rule did, and only on the armed path", () => {
    const armed = arbitrageSessionStrategy(armedArbitrage);
    const child = arbitrageSessionStrategy(arbitrage);
    for (const f of situations) {
      expect(armed.armDue(f)).toBe(inlineArmDue(f));
      expect(child.armDue(f)).toBe(false);
    }
    expect(situations.some((f) => armed.armDue(f))).toBe(true);
  });

  it("gives the feed what it detects on only on the armed path", () => {
    expect(arbitrageSessionStrategy(arbitrage).feedDetection()).toBeUndefined();
    expect(arbitrageSessionStrategy(armedArbitrage).feedDetection()).toEqual({
      minSpread: armedArbitrage.minSpread,
      budgetPerTrade: armedArbitrage.budgetPerTrade,
      rebalanceFreezeMs: armedArbitrage.rebalanceFreezeMs,
    });
  });
});
