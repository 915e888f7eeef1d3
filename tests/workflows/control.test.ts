/**
 * The control workflow with a scheduler and its sessions, on the time-skipping server with mocked
 * activities: a halt holds for every present and future session (started halted by the scheduler),
 * across a worker restart and the control workflow's continue-as-new, until resume; a halt cancels every
 * open order of our key at the venue (any market) and reports how many.
 */
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import type { MarketRef } from "../../src/session/market";
import { workflowIds } from "../../src/session/messages";
import { installTemporalRuntime } from "../../workers/runtime";
import { control, scheduler, systemCheck } from "../../workflows";
import {
  controlHaltUpdate,
  controlResumeUpdate,
  controlStateQuery,
  controlSubscribeSignal,
  marketBookSignal,
  sessionStateQuery,
} from "../../workflows/definitions";
import { timeSkipping, workflowBundlePath } from "../helpers/temporal";
import { MARKET, MockVenue, snapshot, top } from "./harness";

const ARBITRAGE = (seq: number) =>
  snapshot(seq, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]]));

/** Five-minute windows: long enough to trade in (positions open until a minute before the end). */
const WINDOW_MS = 5 * 60_000;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  installTemporalRuntime(createLogger({ level: "warn" }));
  env = await timeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

/** Polls a probe until it yields (waits for what a workflow did; no fixed sleep). */
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Gamma as the scheduler sees it: `count` windows from the one containing `fromMs`. */
function windowAt(index: number, prefix: string): MarketRef {
  const startMs = index * WINDOW_MS;
  return { ...MARKET, slug: `${prefix}-${startMs / 1000}`, startMs, endMs: startMs + WINDOW_MS };
}
function discoverWindows(prefix: string) {
  return async (req: { fromMs: number; count: number }): Promise<MarketRef[]> => {
    const first = Math.floor(req.fromMs / WINDOW_MS);
    return Array.from({ length: req.count }, (_, i) => windowAt(first + i, prefix));
  };
}

function params(streamingTaskQueue: string) {
  return {
    ...loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
    historyEventLimit: 8_000,
    streamingTaskQueue,
  };
}

/**
 * A worker that caches no workflow: every workflow task replays the whole history, as after a restart.
 * (With a cache, a worker that stops leaves tasks on its sticky queue, which stops the test server's
 * clock from skipping.)
 */
async function workerFor(taskQueue: string, venue: MockVenue, prefix: string): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    maxCachedWorkflows: 0,
    workflowBundle: { codePath: await workflowBundlePath() },
    activities: {
      ...venue.activities(),
      discoverWindows: discoverWindows(prefix),
      // The market feed ends at once: the test signals books itself.
      streamMarket: async () => ({ endReason: "ended" }),
    },
  });
}

async function sessionState(slug: string) {
  return env.client.workflow.getHandle(workflowIds.session(slug)).query(sessionStateQuery);
}

async function terminate(ids: string[]): Promise<void> {
  await Promise.all(
    ids.map((id) =>
      env.client.workflow
        .getHandle(id)
        .terminate("test over")
        .catch(() => undefined),
    ),
  );
}

it("holds a halt for the sessions started after it, across a worker restart, until resume; cancels every order at the venue", async () => {
  const venue = new MockVenue();
  const taskQueue = "control-halt";
  const prefix = "btc-updown-5m-halt";
  const controlId = workflowIds.control(taskQueue);
  const schedulerId = "scheduler-btc-halt";
  const first = Math.floor((await env.currentTimeMs()) / WINDOW_MS);
  const slug = (i: number) => windowAt(first + i, prefix).slug;
  // Tiny history limit: the control workflow continues as new during the test.
  const ctl = await env.client.workflow.start(control, {
    taskQueue,
    workflowId: controlId,
    args: [{ historyEventLimit: 12 }],
  });

  // Phase 1: the scheduler starts the sessions of this window and the next; the operator halts.
  await (await workerFor(taskQueue, venue, prefix)).runUntil(async () => {
    await env.client.workflow.start(scheduler, {
      taskQueue,
      workflowId: schedulerId,
      args: [{ asset: "BTC", windowMs: WINDOW_MS, params: params(taskQueue) }],
    });
    await until(async () => (await sessionState(slug(1))).slug, "the next window's session");
    expect((await sessionState(slug(0))).halted).toBe(false);

    venue.restingOrders = 3; // e.g. on a window whose session has not started
    const halt = await ctl.executeUpdate(controlHaltUpdate, { args: [{ reason: "maintenance" }] });
    expect(halt).toMatchObject({ halted: true, reason: "maintenance", cancelled: 3, notified: 1 });
    expect(halt.subscribers).toEqual([schedulerId]);
    expect(venue.named("cancelAllOrders")).toHaveLength(1);
    // The sessions already running are told (by their scheduler).
    for (const i of [0, 1])
      await until(
        async () => ((await sessionState(slug(i))).halted ? true : undefined),
        `session ${i} halted`,
      );
  });

  // Phase 2, on a new worker (nothing cached: every workflow replays its history).
  await (await workerFor(taskQueue, venue, prefix)).runUntil(async () => {
    // Sleeps to a point of a window, not by a window's length: where in its window the test began
    // (the server's clock starts at the real time) must not matter.
    const sleepUntil = async (atMs: number) => {
      const now = await env.currentTimeMs();
      if (atMs > now) await env.sleep(atMs - now);
    };
    const w2 = windowAt(first + 2, prefix);
    // Into the next window: the scheduler starts the one after it, halted.
    await sleepUntil(w2.startMs - WINDOW_MS + 10_000);
    await until(async () => (await sessionState(slug(2))).slug, "the session started after the halt");
    expect(await sessionState(slug(2))).toMatchObject({ halted: true, positionsStarted: 0 });
    // Into that window, well before its end: an arbitrage opens nothing.
    await sleepUntil(w2.startMs + 10_000);
    expect(await env.currentTimeMs()).toBeLessThan(w2.endMs - 2 * 60_000);
    await env.client.workflow.getHandle(workflowIds.session(slug(2))).signal(marketBookSignal, ARBITRAGE(1));
    const seen = await until(async () => {
      const s = await sessionState(slug(2));
      return s.lastBookSeq === 1 ? s : undefined;
    }, "the book at the halted session");
    expect(seen).toMatchObject({ halted: true, positionsStarted: 0 });
    expect(venue.named("placeOrderStarted")).toHaveLength(0);
    expect(await ctl.query(controlStateQuery)).toMatchObject({ halted: true, reason: "maintenance" });
    // The control workflow has continued as new meanwhile, keeping its state.
    expect((await ctl.describe()).runId).not.toBe(ctl.firstExecutionRunId);

    const resumed = await ctl.executeUpdate(controlResumeUpdate, { args: [] });
    expect(resumed).toMatchObject({ halted: false, wasHalted: true, notified: 1 });
    await until(async () => ((await sessionState(slug(2))).halted ? undefined : true), "the session resumed");
    await env.client.workflow.getHandle(workflowIds.session(slug(2))).signal(marketBookSignal, ARBITRAGE(2));
    await until(
      async () => (venue.named("placeOrder").length >= 2 ? true : undefined),
      "the resumed session's legs",
      60_000,
    );
    expect((await sessionState(slug(2))).positionsStarted).toBe(1);
    await terminate([
      schedulerId,
      controlId,
      ...[0, 1, 2, 3].flatMap((i) => [workflowIds.session(slug(i)), workflowIds.feed(slug(i))]),
      workflowIds.position(slug(2), 1),
    ]);
  });
  // Uncached workers replay every history on every task: slow on a loaded 2-CPU machine.
}, 240_000);

it("keeps its state when it continues as new: a halt's start time and reason, its subscribers", async () => {
  const venue = new MockVenue();
  const taskQueue = "control-carry";
  const controlId = workflowIds.control(taskQueue);
  await (await workerFor(taskQueue, venue, "btc-updown-5m-carry")).runUntil(async () => {
    const ctl = await env.client.workflow.start(control, {
      taskQueue,
      workflowId: controlId,
      args: [{ historyEventLimit: 10 }],
    });
    // A subscriber (any running workflow takes the state signals).
    const subscriber = "control-carry-subscriber";
    await env.client.workflow.start(systemCheck, {
      taskQueue,
      workflowId: subscriber,
      args: [{ wait: "1 day" }],
    });
    await ctl.signal(controlSubscribeSignal, { workflowId: subscriber, seq: 1 });
    const halted = await ctl.executeUpdate(controlHaltUpdate, { args: [{ reason: "first" }] });
    await env.sleep(1_000);
    for (let i = 0; i < 4; i++)
      await ctl.executeUpdate(controlHaltUpdate, { args: [{ reason: `again ${i}` }] });
    expect((await ctl.describe()).runId).not.toBe(ctl.firstExecutionRunId);
    expect(await ctl.query(controlStateQuery)).toEqual({
      halted: true,
      reason: "again 3",
      sinceMs: halted.sinceMs,
      subscribers: [subscriber],
    });
    expect(venue.named("cancelAllOrders")).toHaveLength(5);
    await terminate([controlId, subscriber]);
  });
}, 120_000);
