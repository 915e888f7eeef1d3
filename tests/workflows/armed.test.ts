/**
 * Armed entry (ARB_ENTRY_PATH=armed) on the time-skipping server, with mocked activities: the session
 * keeps one position started ahead of need; the streaming worker's `execute` Update is validated by the
 * position (a refused Update writes no history), executes both legs in the Update's own workflow task,
 * and the session arms the next one once it has executed. A halted session's armed position places
 * nothing; an armed position never triggered ends UNUSED, with no row.
 */
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import { workflowIds } from "../../src/session/messages";
import { installTemporalRuntime } from "../../workers/runtime";
import { marketSession, position } from "../../workflows";
import {
  executeUpdate,
  haltSignal,
  positionStateQuery,
  resumeSignal,
  sessionStateQuery,
} from "../../workflows/definitions";
import { executeRefusal } from "../../workflows/position";
import { devServer, timeSkipping, workflowBundlePath } from "../helpers/temporal";
import { MARKET, MockVenue, snapshot, top } from "./harness";

const ARBITRAGE = (seq: number) =>
  snapshot(seq, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]]));
/** Asks summing to 1.02: nothing to do. */
const QUIET = (seq: number) => snapshot(seq, top([[0.49, 50]], [[0.5, 50]]), top([[0.5, 50]], [[0.52, 50]]));

/** Time-skipping (the UNUSED case), and the dev server, whose speculative workflow tasks write nothing for a refused Update. */
let env: TestWorkflowEnvironment;
let dev: TestWorkflowEnvironment;

beforeAll(async () => {
  installTemporalRuntime(createLogger({ level: "warn" }));
  env = await timeSkipping();
  dev = await devServer();
});
afterAll(async () => {
  await env?.teardown();
  await dev?.teardown();
});

const params = (taskQueue: string) => ({
  arbitrage: loadConfig({ env: { ARB_ENTRY_PATH: "armed" } }).arbitrage,
  historyEventLimit: 8_000,
  streamingTaskQueue: taskQueue,
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
  const history = await dev.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

it("ARB_ENTRY_PATH is validated by the config", () => {
  expect(loadConfig({ env: {} }).arbitrage.entryPath).toBe("armed");
  expect(loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage.entryPath).toBe("child");
  expect(loadConfig({ env: { ARB_ENTRY_PATH: "armed" } }).arbitrage.entryPath).toBe("armed");
  expect(() => loadConfig({ env: { ARB_ENTRY_PATH: "eager" } })).toThrow(/ARB_ENTRY_PATH/);
});

describe("the execute Update's validator", () => {
  const p = loadConfig({ env: {} }).arbitrage;
  const market = { ...MARKET, startMs: 1_000_000, endMs: 1_000_000 + 15 * 60_000 };
  const open = { executing: false, halted: false, nowMs: market.startMs + 1 };
  const request = { book: ARBITRAGE(1), detectedAtMs: market.startMs };
  it("accepts an arbitrage inside the window", () => {
    expect(executeRefusal(request, open, market, p)).toBeUndefined();
  });
  it.each([
    ["halted", { ...open, halted: true }, request, /halted/],
    ["executing", { ...open, executing: true }, request, /no longer armed/],
    ["before the window", { ...open, nowMs: market.startMs - 1 }, request, /not opened/],
    [
      "in the freeze",
      { ...open, nowMs: market.endMs - p.rebalanceFreezeMs },
      request,
      /trading time is over/,
    ],
    ["no opportunity", open, { book: QUIET(1), detectedAtMs: 1 }, /no opportunity/],
    ["no book", open, { detectedAtMs: 1 }, /malformed/],
  ])("refuses when %s", (_what, state, req, why) => {
    expect(executeRefusal(req as never, state, market, p)).toMatch(why);
  });
});

it("on the dev server: arms a position, refuses a quiet book without history, executes an arbitrage in the Update's task, and arms the next", async () => {
  const venue = new MockVenue();
  const taskQueue = "armed-sessions";
  const slug = "btc-updown-15m-armed";
  const worker = await Worker.create({
    connection: dev.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: await workflowBundlePath() },
    activities: { ...venue.activities(), streamMarket: async () => ({ endReason: "ended" }) },
  });
  await worker.runUntil(async () => {
    const now = Date.now();
    const h = await dev.client.workflow.start(marketSession, {
      taskQueue,
      workflowId: workflowIds.session(slug),
      args: [
        { market: { ...MARKET, slug, startMs: now, endMs: now + 10 * 60_000 }, params: params(taskQueue) },
      ],
    });
    const first = workflowIds.position(slug, 1);
    expect(
      await until(async () => (await h.query(sessionStateQuery)).armedPositionId, "an armed position"),
    ).toBe(first);
    const armed = dev.client.workflow.getHandle(first);
    expect((await armed.query(positionStateQuery)).phase).toBe("ARMED");

    // A book without an arbitrage: refused by the validator, and nothing written to history.
    const before = await historyLength(first);
    expect(
      await refusal(armed.executeUpdate(executeUpdate, { args: [{ book: QUIET(1), detectedAtMs: now }] })),
    ).toMatch(/no opportunity/);
    expect(await historyLength(first)).toBe(before);
    expect(venue.named("placeOrder")).toHaveLength(0);

    // An arbitrage: accepted, both legs sent.
    const result = await armed.executeUpdate(executeUpdate, {
      args: [{ book: ARBITRAGE(2), detectedAtMs: now }],
    });
    expect(result.positionId).toBe(first);
    expect(result.upShares).toBeGreaterThan(0);
    await venue.waitForCount("placeOrder", 2);
    // Both legs were scheduled in the very workflow task that accepted the Update.
    const events = (await armed.fetchHistory()).events ?? [];
    const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    const scheduled = events.flatMap((e, i) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === "placeOrder" ? [i] : [],
    );
    expect(accepted).toBeGreaterThan(0);
    expect(scheduled).toHaveLength(2);
    const completedBefore = (i: number) =>
      events.slice(0, i).filter((e) => e.workflowTaskCompletedEventAttributes).length;
    expect(completedBefore(scheduled[0]!)).toBe(completedBefore(accepted));
    expect(completedBefore(scheduled[1]!)).toBe(completedBefore(accepted));
    // The telemetry's detection time is the streaming worker's, from the Update.
    await venue.waitFor("upsertTelemetry");
    expect(venue.named("upsertTelemetry")[0]?.args[0]).toMatchObject({ opportunityDetectedAtMs: now });

    // A second Update to the same position is refused: it is no longer armed.
    expect(
      await refusal(
        armed.executeUpdate(executeUpdate, { args: [{ book: ARBITRAGE(3), detectedAtMs: now }] }),
      ),
    ).toMatch(/no longer armed/);
    expect(venue.named("placeOrder")).toHaveLength(2);

    // Once it has executed, the session arms the next.
    const second = workflowIds.position(slug, 2);
    await until(
      async () => ((await h.query(sessionStateQuery)).armedPositionId === second ? true : undefined),
      "the next armed position",
    );

    // Halted: the armed position refuses, and nothing is placed.
    await h.signal(haltSignal, { reason: "test" });
    await venue.waitFor("cancelMarketOrders");
    const next = dev.client.workflow.getHandle(second);
    await until(async () => ((await next.query(positionStateQuery)).halted ? true : undefined), "the halt");
    expect(
      await refusal(next.executeUpdate(executeUpdate, { args: [{ book: ARBITRAGE(4), detectedAtMs: now }] })),
    ).toMatch(/halted/);
    expect(venue.named("placeOrder")).toHaveLength(2);

    // Resumed: it executes.
    await h.signal(resumeSignal);
    await until(async () => ((await next.query(positionStateQuery)).halted ? undefined : true), "the resume");
    await next.executeUpdate(executeUpdate, { args: [{ book: ARBITRAGE(5), detectedAtMs: now }] });
    await venue.waitForCount("placeOrder", 4);
    expect((await h.query(sessionStateQuery)).positionsStarted).toBeGreaterThanOrEqual(2);
    await h.terminate("test over");
    for (const id of [first, second, workflowIds.position(slug, 3)]) {
      await dev.client.workflow
        .getHandle(id)
        .terminate("test over")
        .catch(() => undefined);
    }
  });
});

it("an armed position never triggered ends UNUSED at the end of trading time, with no order and no row", async () => {
  const venue = new MockVenue();
  const taskQueue = "armed-unused";
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: await workflowBundlePath() },
    activities: venue.activities(),
  });
  await worker.runUntil(async () => {
    const now = await env.currentTimeMs();
    const result = await env.client.workflow.execute(position, {
      taskQueue,
      workflowId: "armed-unused-1",
      args: [
        {
          positionId: "armed-unused-1",
          sessionWorkflowId: "session-that-does-not-exist",
          market: { ...MARKET, startMs: now, endMs: now + 5 * 60_000 },
          params: params(taskQueue).arbitrage,
          armed: { halted: false },
        },
      ],
    });
    expect(result).toMatchObject({ phase: "UNUSED", upShares: 0, downShares: 0 });
    expect(venue.named("placeOrder")).toHaveLength(0);
    expect(venue.named("upsertPosition")).toHaveLength(0);
  });
});
