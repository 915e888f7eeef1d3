/**
 * The operator's Updates on one market window (the session's `halt` and `resume`) and on one position
 * (`rebalanceNow`), and fills routed to the position that owns their order. On the dev server, whose
 * speculative workflow tasks write nothing for a refused Update, with mocked activities:
 *
 * - `halt` halts the session, cancels its market's open orders, tells its open positions and answers so;
 *   a session halted so places nothing on an arbitrage; `resume` lifts it and answers so;
 * - a refused Update (resume while all trading is halted, a bad reason, a balanced or halted position, a
 *   position still executing) leaves the history as it was;
 * - `rebalanceNow` answers the order it sent (or why none) and the position after it;
 * - with two open positions, a fill of A's order reaches A only; a fill of an order no position has
 *   reported yet reaches both.
 */
import { defaultPayloadConverter } from "@temporalio/common";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import type { OurFill } from "../../src/session/messages";
import { workflowIds } from "../../src/session/messages";
import { detectOpportunity } from "../../src/strategy/arbitrage";
import { installTemporalRuntime } from "../../workers/runtime";
import { marketSession, position } from "../../workflows";
import {
  fillsSignal,
  haltSignal,
  marketBookSignal,
  positionStateQuery,
  rebalanceNowUpdate,
  resumeSignal,
  sessionHaltUpdate,
  sessionResumeUpdate,
  sessionStateQuery,
} from "../../workflows/definitions";
import { type PositionInput, rebalanceNowRefusal } from "../../workflows/position";
import { sessionHaltRefusal, sessionResumeRefusal } from "../../workflows/session";
import { devServer, workflowBundlePath } from "../helpers/temporal";
import { MARKET, MockVenue, snapshot, top } from "./harness";

const MINUTE = 60_000;
const ARBITRAGE = (seq: number) =>
  snapshot(seq, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]]));
/** Up bid high enough that selling the excess Up is worth it. */
const SELL_BOOK = (seq: number) =>
  snapshot(seq, top([[0.55, 50]], [[0.56, 50]]), top([[0.4, 50]], [[0.47, 50]]));
/** The opening Down leg fills 60% (a 10/6 position like the seed's example); everything else fully. */
const partialDown = (req: { intent: { tokenId: string } }, k: number) =>
  k <= 2 && req.intent.tokenId === MARKET.downTokenId ? 0.6 : 1;

let env: TestWorkflowEnvironment;
let bundle: string;
/** Workflows to terminate after each test (ABANDON children outlive their session). */
const started: string[] = [];

beforeAll(async () => {
  installTemporalRuntime(createLogger({ level: "warn" }));
  env = await devServer();
  bundle = await workflowBundlePath();
});
afterEach(async () => {
  for (const id of started.splice(0)) {
    await env.client.workflow
      .getHandle(id)
      .terminate("test over")
      .catch(() => undefined);
  }
});
afterAll(async () => {
  await env?.teardown();
});

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The validator's reason for refusing an Update (WorkflowUpdateFailedError's cause). */
async function refusal(update: Promise<unknown>): Promise<string> {
  try {
    await update;
  } catch (err) {
    return String((err as { cause?: { message?: string } }).cause?.message ?? err);
  }
  throw new Error("the Update was accepted");
}

async function historyLength(workflowId: string): Promise<number> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

/** The history's length once it has stopped growing (the workflow has done what it was doing). */
async function settledLength(workflowId: string): Promise<number> {
  let last = await historyLength(workflowId);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = await historyLength(workflowId);
    if (now === last) return now;
    last = now;
  }
}

/** The arguments of the signals of this name in a workflow's history, in order. */
async function signalsIn(workflowId: string, name: string): Promise<unknown[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const attributes = event.workflowExecutionSignaledEventAttributes;
    if (attributes?.signalName !== name) return [];
    const payload = attributes.input?.payloads?.[0];
    return [payload ? defaultPayloadConverter.fromPayload(payload as never) : undefined];
  });
}

/** Resolves once the session has heard that this position has executed its entry (with its orders' ids). */
async function executed(sessionId: string, positionId: string): Promise<void> {
  await until(async () => {
    const statuses = (await signalsIn(sessionId, "positionStatus")) as {
      positionId: string;
      executing: boolean;
      orderIds?: string[];
    }[];
    const last = statuses.filter((s) => s.positionId === positionId).at(-1);
    return last && !last.executing && (last.orderIds ?? []).length > 0 ? true : undefined;
  }, `the session to hear that ${positionId} has executed`);
}

/** A worker on a task queue of its own, with the mock venue (cancelMarketOrders answering `cancelled`). */
async function worker(taskQueue: string, venue: MockVenue, cancelled = 0): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: bundle },
    activities: {
      ...venue.activities(),
      cancelMarketOrders: async (...args: unknown[]) => {
        await venue.activities().cancelMarketOrders(...args);
        return cancelled;
      },
      streamMarket: async () => ({ endReason: "ended" }),
    },
  });
}

async function startSession(taskQueue: string, slug: string) {
  const now = Date.now();
  const params = {
    ...loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
    historyEventLimit: 8_000,
    streamingTaskQueue: taskQueue,
  };
  started.push(workflowIds.session(slug), workflowIds.feed(slug));
  for (let n = 1; n <= 5; n++) started.push(workflowIds.position(slug, n));
  return env.client.workflow.start(marketSession, {
    taskQueue,
    workflowId: workflowIds.session(slug),
    args: [{ market: { ...MARKET, slug, startMs: now, endMs: now + 10 * MINUTE }, params }],
  });
}

describe("the validators", () => {
  const endMs = 1_000_000;
  it("halt: refuses a reason that is not text or too long, and a window that is over", () => {
    expect(sessionHaltRefusal({ reason: "drill" }, { nowMs: endMs - 1, endMs })).toBeUndefined();
    expect(sessionHaltRefusal(undefined, { nowMs: endMs - 1, endMs })).toBeUndefined();
    expect(sessionHaltRefusal({ reason: 5 }, { nowMs: 0, endMs })).toMatch(/must be text/);
    expect(sessionHaltRefusal({ reason: "x".repeat(501) }, { nowMs: 0, endMs })).toMatch(/at most 500/);
    expect(sessionHaltRefusal({}, { nowMs: endMs, endMs })).toMatch(/window is over/);
  });
  it("resume: refuses while all trading is halted, and a window that is over", () => {
    expect(sessionResumeRefusal({ nowMs: 0, endMs })).toBeUndefined();
    expect(sessionResumeRefusal({ nowMs: endMs, endMs })).toMatch(/window is over/);
    expect(sessionResumeRefusal({ nowMs: 0, endMs, globalHalt: { reason: "maintenance", atMs: 0 } })).toMatch(
      /^all trading is halted \(.*reason: maintenance\)/,
    );
  });
  const open = {
    phase: "IMBALANCED" as const,
    halted: false,
    orderOpen: false,
    pending: false,
    hedgeRatio: 0.6,
    nowMs: 0,
    endMs,
  };
  it("rebalanceNow: accepts an open, imbalanced position", () => {
    expect(rebalanceNowRefusal(open)).toBeUndefined();
  });
  it.each([
    ["armed", { ...open, phase: "ARMED" as const }, /armed/],
    ["executing", { ...open, phase: "EXECUTING" as const }, /still executing/],
    ["resolving", { ...open, phase: "RESOLVING" as const }, /is RESOLVING/],
    ["abandoned", { ...open, phase: "ABANDONED" as const }, /is ABANDONED/],
    ["balanced", { ...open, phase: "BALANCED" as const, hedgeRatio: 1 }, /balanced \(hedge ratio 1\.00\)/],
    ["halted", { ...open, halted: true }, /halted/],
    ["an order open", { ...open, orderOpen: true }, /still open/],
    ["one under way", { ...open, pending: true }, /already under way/],
    ["the window over", { ...open, nowMs: endMs }, /window is over/],
  ])("rebalanceNow: refuses when %s", (_what, state, why) => {
    expect(rebalanceNowRefusal(state)).toMatch(why);
  });
});

it("halt Update: halts the window, cancels its orders, tells its positions and says so; halted, it places nothing; resume Update lifts it", async () => {
  const venue = new MockVenue();
  const taskQueue = "updates-halt";
  const slug = "btc-updown-15m-upd-halt";
  const positionId = workflowIds.position(slug, 1);
  await (await worker(taskQueue, venue, 3)).runUntil(async () => {
    const h = await startSession(taskQueue, slug);
    await h.signal(marketBookSignal, ARBITRAGE(1));
    await executed(h.workflowId, positionId);

    const halted = await h.executeUpdate(sessionHaltUpdate, { args: [{ reason: "drill" }] });
    expect(halted).toEqual({
      sessionId: h.workflowId,
      slug,
      alreadyHalted: false,
      openPositions: 1,
      positionsTold: 1,
      cancelled: 3,
    });
    expect(venue.named("cancelMarketOrders")).toHaveLength(1);
    expect(venue.named("cancelMarketOrders")[0]?.args[0]).toEqual({ market: MARKET.conditionId });
    expect(await signalsIn(positionId, "halt")).toEqual([{ reason: "drill" }]);
    expect(await h.query(sessionStateQuery)).toMatchObject({ halted: true });

    // An arbitrage while halted: looked at (its seq is the session's newest), no position, no order.
    await h.signal(marketBookSignal, ARBITRAGE(2));
    await until(
      async () => ((await h.query(sessionStateQuery)).lastBookSeq === 2 ? true : undefined),
      "the book at the session",
    );
    await settledLength(h.workflowId);
    expect(await h.query(sessionStateQuery)).toMatchObject({ halted: true, positionsStarted: 1 });
    expect(venue.named("placeOrderStarted")).toHaveLength(2);

    // Again: it says it was halted already (and cancels again).
    expect(await h.executeUpdate(sessionHaltUpdate, { args: [{}] })).toMatchObject({
      alreadyHalted: true,
      positionsTold: 1,
      cancelled: 3,
    });

    const resumed = await h.executeUpdate(sessionResumeUpdate);
    expect(resumed).toEqual({
      sessionId: h.workflowId,
      slug,
      wasHalted: true,
      openPositions: 1,
      positionsTold: 1,
    });
    expect(await signalsIn(positionId, "resume")).toHaveLength(1);
    await h.signal(marketBookSignal, ARBITRAGE(3));
    await venue.waitForCount("placeOrder", 4);
    expect((await h.query(sessionStateQuery)).positionsStarted).toBe(2);
  });
}, 60_000);

it("refused Updates write no history: resume while all trading is halted, a halt reason too long", async () => {
  const venue = new MockVenue();
  const taskQueue = "updates-refused";
  const slug = "btc-updown-15m-upd-refused";
  await (await worker(taskQueue, venue)).runUntil(async () => {
    const h = await startSession(taskQueue, slug);
    // All trading halted: the scheduler tells its sessions by signal.
    await h.signal(haltSignal, { reason: "maintenance" });
    await venue.waitFor("cancelMarketOrders");
    const before = await settledLength(h.workflowId);

    expect(await refusal(h.executeUpdate(sessionResumeUpdate))).toMatch(
      /^all trading is halted \(this session was told at \S+, reason: maintenance\); `ballast resume` without --slug lifts that$/,
    );
    expect(await historyLength(h.workflowId)).toBe(before);
    expect((await h.query(sessionStateQuery)).halted).toBe(true);

    expect(
      await refusal(h.executeUpdate(sessionHaltUpdate, { args: [{ reason: "x".repeat(501) }] })),
    ).toMatch(/at most 500 characters/);
    expect(await historyLength(h.workflowId)).toBe(before);

    // All trading resumed: this window's resume is accepted (there was nothing left to resume).
    await h.signal(resumeSignal);
    await until(
      async () => ((await h.query(sessionStateQuery)).halted ? undefined : true),
      "the session resumed",
    );
    expect(await h.executeUpdate(sessionResumeUpdate)).toMatchObject({ wasHalted: false });
  });
}, 60_000);

it("rebalanceNow Update: refused (no history) while halted or balanced; answers the order it sent and the position after it", async () => {
  const venue = new MockVenue(partialDown);
  const taskQueue = "updates-rebalance";
  const now = Date.now();
  // A $20 budget: the gap of a 60% fill is then above the venue's 5-share minimum order. Only the
  // Update makes it evaluate: the periodic check is far away.
  const params = {
    ...loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
    budgetPerTrade: 20_000_000,
    rebalanceCheckIntervalMs: 10 * MINUTE,
  };
  const rules = { tickSize: 10_000, minOrderSize: MARKET.minOrderSize, feeRate: 70_000, feeExponent: 1 };
  const opening = ARBITRAGE(1);
  const input: PositionInput = {
    positionId: "position-upd-rebalance-1",
    sessionWorkflowId: "session-that-does-not-exist",
    market: { ...MARKET, startMs: now, endMs: now + 15 * MINUTE },
    opportunity: detectOpportunity(opening, rules, params)!,
    book: opening,
    detectedAtMs: now,
    params,
  };
  started.push(input.positionId);
  await (await worker(taskQueue, venue)).runUntil(async () => {
    const h = await env.client.workflow.start(position, {
      taskQueue,
      workflowId: input.positionId,
      args: [input],
    });
    await venue.waitFor("upsertTelemetry");
    expect((await h.query(positionStateQuery)).phase).toBe("IMBALANCED");

    // Halted: refused, nothing written. The book it would sell into arrives meanwhile.
    await h.signal(haltSignal, { reason: "test" });
    await h.signal(marketBookSignal, SELL_BOOK(2));
    await until(async () => ((await h.query(positionStateQuery)).halted ? true : undefined), "the halt");
    let before = await settledLength(h.workflowId);
    expect(await refusal(h.executeUpdate(rebalanceNowUpdate))).toMatch(/halted/);
    expect(await historyLength(h.workflowId)).toBe(before);
    expect(venue.named("placeOrderStarted")).toHaveLength(2);

    await h.signal(resumeSignal);
    await until(async () => ((await h.query(positionStateQuery)).halted ? undefined : true), "the resume");
    const result = await h.executeUpdate(rebalanceNowUpdate);
    const sent = venue.placed()[2]!;
    expect(result).toMatchObject({
      positionId: input.positionId,
      attempted: true,
      bookSeq: 2,
      phase: "BALANCED",
      order: {
        action: "SELL_YES",
        outcome: "UP",
        side: "SELL",
        shares: sent.intent.size,
        price: sent.intent.price,
        filledShares: sent.intent.size,
        status: "SUCCESS",
      },
    });
    expect(result.hedgeRatio).toBeGreaterThanOrEqual(0.8);
    expect(venue.named("recordRebalanceTrade")).toHaveLength(1);

    // Balanced now: refused, nothing written, no order.
    before = await settledLength(h.workflowId);
    expect(await refusal(h.executeUpdate(rebalanceNowUpdate))).toMatch(/^balanced \(hedge ratio \S+\)/);
    expect(await historyLength(h.workflowId)).toBe(before);
    expect(venue.named("placeOrderStarted")).toHaveLength(3);
  });
}, 60_000);

it("rebalanceNow Update: says why it sent nothing when a rule holds it, and is refused while the entry executes", async () => {
  const venue = new MockVenue(partialDown);
  // The Up leg is held at the venue: the position is still executing.
  venue.setScript((_req, k) => (k === 3 ? { kind: "hold" } : undefined));
  const taskQueue = "updates-rebalance-rules";
  const now = Date.now();
  const params = {
    ...loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
    budgetPerTrade: 20_000_000,
    maxRebalanceTrades: 0,
  };
  const rules = { tickSize: 10_000, minOrderSize: MARKET.minOrderSize, feeRate: 70_000, feeExponent: 1 };
  const opening = ARBITRAGE(1);
  const at = (positionId: string): PositionInput => ({
    positionId,
    sessionWorkflowId: "session-that-does-not-exist",
    market: { ...MARKET, startMs: now, endMs: now + 15 * MINUTE },
    opportunity: detectOpportunity(opening, rules, params)!,
    book: opening,
    detectedAtMs: now,
    params,
  });
  const first = at("position-upd-rules-1");
  const second = at("position-upd-rules-2");
  started.push(first.positionId, second.positionId);
  await (await worker(taskQueue, venue)).runUntil(async () => {
    const h = await env.client.workflow.start(position, {
      taskQueue,
      workflowId: first.positionId,
      args: [first],
    });
    await venue.waitFor("upsertTelemetry");
    // No rebalancing trade allowed: evaluated, and the rule that held it is the answer.
    expect(await h.executeUpdate(rebalanceNowUpdate)).toMatchObject({
      attempted: false,
      reason: "max-trades",
      phase: "IMBALANCED",
    });
    expect(venue.named("placeOrderStarted")).toHaveLength(2);

    // Orders 3 and 4 are the second position's legs; its first (3) is held: it is executing.
    const executing = await env.client.workflow.start(position, {
      taskQueue,
      workflowId: second.positionId,
      args: [second],
    });
    await venue.waitForCount("placeOrderStarted", 4);
    const before = await settledLength(executing.workflowId);
    expect(await refusal(executing.executeUpdate(rebalanceNowUpdate))).toMatch(/still executing/);
    expect(await historyLength(executing.workflowId)).toBe(before);
    venue.releaseAll();
  });
}, 60_000);

const fillOf = (tradeId: string, orderId: string, tokenId: string): OurFill => ({
  tradeId,
  orderId,
  tokenId,
  side: "BUY",
  role: "TAKER",
  price: 450_000,
  size: 1_000_000,
  feeRate: 70_000,
  status: "MINED",
  atMs: 0,
});

it("routes a fill to the position that owns its order, and a fill of an order no position has reported to all", async () => {
  const venue = new MockVenue();
  const taskQueue = "updates-fills";
  const slug = "btc-updown-15m-upd-fills";
  const [a, b] = [workflowIds.position(slug, 1), workflowIds.position(slug, 2)];
  await (await worker(taskQueue, venue)).runUntil(async () => {
    const h = await startSession(taskQueue, slug);
    // Two open positions: A's legs are orders 1 and 2, B's 3 and 4.
    await h.signal(marketBookSignal, ARBITRAGE(1));
    await executed(h.workflowId, a);
    await h.signal(marketBookSignal, ARBITRAGE(2));
    await executed(h.workflowId, b);
    // The session has heard each position's order ids.
    const reported = async () => {
      const statuses = (await signalsIn(h.workflowId, "positionStatus")) as {
        positionId: string;
        orderIds?: string[];
      }[];
      const ids = (p: string) => statuses.filter((s) => s.positionId === p).at(-1)?.orderIds ?? [];
      return ids(a).includes(venue.orderId(1)) && ids(b).includes(venue.orderId(3)) ? true : undefined;
    };
    await until(reported, "both positions' order ids at the session");
    expect((await h.query(sessionStateQuery)).openPositions).toEqual([a, b]);

    const fillsAt = async (p: string) => (await signalsIn(p, "fills")) as OurFill[][];
    const ofA = fillOf("trade-a", venue.orderId(1), MARKET.upTokenId);
    await h.signal(fillsSignal, [ofA]);
    await until(async () => ((await fillsAt(a)).length === 1 ? true : undefined), "A's fill at A");

    const unknown = fillOf("trade-unknown", "0xorder-not-reported", MARKET.downTokenId);
    await h.signal(fillsSignal, [unknown]);
    await until(async () => ((await fillsAt(b)).length === 1 ? true : undefined), "the unknown fill at B");
    await until(async () => ((await fillsAt(a)).length === 2 ? true : undefined), "the unknown fill at A");

    // One batch of all three kinds: each position gets its own fill and the unknown one, in order.
    const ofB = fillOf("trade-b", venue.orderId(4), MARKET.downTokenId);
    const ofA2 = fillOf("trade-a2", venue.orderId(2), MARKET.downTokenId);
    const unknown2 = fillOf("trade-unknown-2", "0xorder-not-reported-2", MARKET.upTokenId);
    await h.signal(fillsSignal, [ofB, ofA2, unknown2]);
    await until(async () => ((await fillsAt(b)).length === 2 ? true : undefined), "the batch at B");
    await until(async () => ((await fillsAt(a)).length === 3 ? true : undefined), "the batch at A");

    expect(await fillsAt(a)).toEqual([[ofA], [unknown], [ofA2, unknown2]]);
    expect(await fillsAt(b)).toEqual([[unknown], [ofB, unknown2]]);
  });
}, 60_000);
