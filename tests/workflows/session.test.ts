/**
 * The session workflow on the time-skipping server, with mocked activities: it opens a position
 * on an arbitrage book, obeys halt (no new positions, open orders cancelled) and resume.
 */
import { defaultPayloadConverter } from "@temporalio/common";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import type { MarketBookSnapshot } from "../../src/session/messages";
import { workflowIds } from "../../src/session/messages";
import { installTemporalRuntime } from "../../workers/runtime";
import { marketSession } from "../../workflows";
import { haltSignal, marketBookSignal, resumeSignal, sessionStateQuery } from "../../workflows/definitions";
import { devServer, timeSkipping, workflowBundlePath } from "../helpers/temporal";
import { MARKET, MockVenue, snapshot, top } from "./harness";

const ARBITRAGE = (seq: number) =>
  snapshot(seq, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]]));

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  installTemporalRuntime(createLogger({ level: "warn" }));
  env = await timeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

it("opens a position on an arbitrage, stops on halt (cancelling orders), and opens again on resume", async () => {
  const venue = new MockVenue();
  const taskQueue = "sessions";
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: await workflowBundlePath() },
    // The market feed ends at once: the test signals books itself.
    activities: { ...venue.activities(), streamMarket: async () => ({ endReason: "ended" }) },
  });
  await worker.runUntil(async () => {
    const now = await env.currentTimeMs();
    const params = {
      arbitrage: loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
      historyEventLimit: 8_000,
      streamingTaskQueue: taskQueue,
    };
    const h = await env.client.workflow.start(marketSession, {
      taskQueue,
      workflowId: "session-under-test",
      args: [{ market: { ...MARKET, startMs: now, endMs: now + 10 * 60_000 }, params }],
    });

    await h.signal(marketBookSignal, ARBITRAGE(1));
    await venue.waitForCount("placeOrder", 2);
    expect((await h.query(sessionStateQuery)).positionsStarted).toBe(1);

    await h.signal(haltSignal, { reason: "test" });
    await venue.waitFor("cancelMarketOrders");
    await venue.waitFor("upsertTelemetry"); // the first position has finished executing
    await h.signal(marketBookSignal, ARBITRAGE(2));
    await env.sleep(30_000);
    const halted = await h.query(sessionStateQuery);
    expect(halted).toMatchObject({ halted: true, positionsStarted: 1 });

    await h.signal(resumeSignal);
    await h.signal(marketBookSignal, ARBITRAGE(3));
    await venue.waitForCount("placeOrder", 4);
    expect((await h.query(sessionStateQuery)).positionsStarted).toBe(2);
    await h.terminate("test over");
  });
  expect(venue.named("cancelMarketOrders")[0]?.args[0]).toEqual({ market: MARKET.conditionId });
});

/** Polls a probe until it yields (waits for what a workflow did; no fixed sleep). */
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The signals of this name in a workflow's history: their argument and when they arrived (server time). */
async function signalsIn(workflowId: string, name: string): Promise<{ arg: unknown; atMs: number }[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const attributes = event.workflowExecutionSignaledEventAttributes;
    if (attributes?.signalName !== name) return [];
    const payload = attributes.input?.payloads?.[0];
    const time = event.eventTime!;
    return [
      {
        arg: payload ? defaultPayloadConverter.fromPayload(payload as never) : undefined,
        atMs: Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6),
      },
    ];
  });
}

it("forwards a book held back by the forwarding interval once the interval has passed, with no further book", async () => {
  // The Up leg fills, the Down leg half: the position is imbalanced and wants books.
  const venue = new MockVenue((_req, n) => (n === 1 ? 1 : n === 2 ? 0.5 : 0));
  const taskQueue = "sessions-flush";
  const slug = "btc-updown-15m-flush";
  const positionId = workflowIds.position(slug, 1);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: await workflowBundlePath() },
    activities: { ...venue.activities(), streamMarket: async () => ({ endReason: "ended" }) },
  });
  const quiet = (seq: number, upAsk: number) =>
    snapshot(seq, top([[0.3, 50]], [[upAsk, 50]]), top([[0.3, 50]], [[0.6, 50]]));
  /** The books the position has received from its session, with when (server time). */
  const forwarded = async () =>
    (await signalsIn(positionId, "marketBook")).map((s) => ({
      seq: (s.arg as MarketBookSnapshot).seq,
      atMs: s.atMs,
    }));
  const forwardedSeq = (seq: number) => async () => (await forwarded()).find((b) => b.seq === seq);
  await worker.runUntil(async () => {
    const now = await env.currentTimeMs();
    const params = {
      arbitrage: loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
      historyEventLimit: 8_000,
      streamingTaskQueue: taskQueue,
    };
    const h = await env.client.workflow.start(marketSession, {
      taskQueue,
      workflowId: workflowIds.session(slug),
      args: [{ market: { ...MARKET, slug, startMs: now, endMs: now + 10 * 60_000 }, params }],
    });
    await h.signal(marketBookSignal, ARBITRAGE(1));
    await venue.waitForCount("placeOrder", 2);
    // The session knows that the position wants books.
    await until(
      async () =>
        (await signalsIn(h.workflowId, "positionStatus")).find(
          (s) => (s.arg as { wantsBooks: boolean }).wantsBooks,
        ),
      "the position to want books",
    );
    // The first book goes to the position at once.
    await h.signal(marketBookSignal, quiet(2, 0.61));
    const first = await until(forwardedSeq(2), "the first book at the position");
    // The next one arrives within the interval, and nothing after it.
    await h.signal(marketBookSignal, quiet(3, 0.62));
    const arrivedAtMs = await env.currentTimeMs();
    const second = await until(forwardedSeq(3), "the held-back book at the position", 10_000);
    expect((await forwarded()).map((b) => b.seq)).toEqual([2, 3]);
    // Not before the interval since the previous one (a little slack: the session's clock is its
    // task's, the signal's is the server's), and about one interval after it arrived.
    expect(second.atMs - first.atMs).toBeGreaterThanOrEqual(950);
    expect(second.atMs - arrivedAtMs).toBeLessThan(1_500);
    await h.terminate("test over");
    await env.client.workflow.getHandle(positionId).terminate("test over");
  });
});

describe("on the dev server (real history accounting)", () => {
  let dev: TestWorkflowEnvironment;
  beforeAll(async () => {
    dev = await devServer();
  });
  afterAll(async () => {
    await dev?.teardown();
  });

  it("continues as new before its history grows large, keeping its state", async () => {
    const venue = new MockVenue();
    const taskQueue = "sessions-flood";
    const worker = await Worker.create({
      connection: dev.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: await workflowBundlePath() },
      activities: { ...venue.activities(), streamMarket: async () => ({ endReason: "ended" }) },
    });
    const limit = 400;
    await worker.runUntil(async () => {
      const now = Date.now();
      const params = {
        arbitrage: loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
        historyEventLimit: limit,
        streamingTaskQueue: taskQueue,
      };
      const h = await dev.client.workflow.start(marketSession, {
        taskQueue,
        workflowId: "session-flooded",
        args: [{ market: { ...MARKET, startMs: now, endMs: now + 10 * 60_000 }, params }],
      });
      await h.signal(haltSignal, { reason: "kept across runs" });
      // A flood of (non-arbitrage) books, as from the busiest market.
      const quiet = (seq: number) =>
        snapshot(seq, top([[0.49, 50]], [[0.51, 50]]), top([[0.49, 50]], [[0.51, 50]]));
      for (let seq = 1; seq <= 600; seq++) await h.signal(marketBookSignal, quiet(seq));
      const state = await h.query(sessionStateQuery);
      expect(state.runsSoFar).toBeGreaterThanOrEqual(1);
      expect(state.lastBookSeq).toBe(600);
      expect(state.halted).toBe(true);
      // Every run but the current one ended by continuing as new, each below the limit (plus the
      // events of the task that decided it).
      const runs: number[] = [];
      for await (const wf of dev.client.workflow.list({ query: `WorkflowId = "session-flooded"` })) {
        const history = await dev.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
        runs.push(history.events?.length ?? 0);
      }
      expect(Math.max(...runs)).toBeLessThan(limit + 50);
      await h.terminate("test over");
    });
  });
});
