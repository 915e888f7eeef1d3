/**
 * The session keeps everything its handlers received across continue-as-new. Each test forces a
 * continue-as-new after every pass of the session's loop (historyEventLimit 1) and makes something
 * arrive while the session is busy in that pass — it is held in the cancelMarketOrders of a halt —
 * so that it is still unprocessed when the session continues as new. The next run must act on it.
 *
 * On the dev server: the time-skipping test server loses track of its clock when a run continues as
 * new while signals are arriving (a window's end then takes real minutes). Each window is short, and
 * its end bounds every wait: what the next run must do is awaited in a race with the session's end.
 */
import { defaultPayloadConverter } from "@temporalio/common";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import type { MarketBookSnapshot, OurFill, ReconcileSnapshot } from "../../src/session/messages";
import { workflowIds } from "../../src/session/messages";
import { installTemporalRuntime } from "../../workers/runtime";
import { marketSession } from "../../workflows";
import {
  fillsSignal,
  haltSignal,
  marketBookSignal,
  reconcileSignal,
  resumeSignal,
  sessionStateQuery,
} from "../../workflows/definitions";
import { devServer, workflowBundlePath } from "../helpers/temporal";
import { MARKET, MockVenue, snapshot, top } from "./harness";

const ARBITRAGE = (seq: number) =>
  snapshot(seq, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]]));

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  installTemporalRuntime(createLogger({ level: "warn" }));
  env = await devServer();
});
afterAll(async () => {
  await env?.teardown();
});

/** cancelMarketOrders whose first call waits until the test releases it (then the mock venue records it). */
function heldCancel(venue: MockVenue) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  let first = true;
  const cancelMarketOrders = async (...args: unknown[]) => {
    if (first) {
      first = false;
      markStarted();
      await released;
    }
    return venue.activities().cancelMarketOrders(...args);
  };
  return { cancelMarketOrders, started, release };
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

/** How many runs a workflow has had, following continue-as-new from its first run. */
/** The books a position received from its session: seq and when (server time). */
async function booksAt(positionId: string): Promise<{ seq: number; atMs: number }[]> {
  const history = await env.client.workflow.getHandle(positionId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const attributes = event.workflowExecutionSignaledEventAttributes;
    const payload = attributes?.input?.payloads?.[0];
    if (attributes?.signalName !== "marketBook" || !payload) return [];
    const time = event.eventTime!;
    return [
      {
        seq: (defaultPayloadConverter.fromPayload(payload as never) as MarketBookSnapshot).seq,
        atMs: Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6),
      },
    ];
  });
}

/** Polls a probe until it yields (waits for what a workflow did; no fixed sleep). */
async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (const deadline = Date.now() + WINDOW_MS; ; ) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function runsOf(workflowId: string, firstRunId: string): Promise<number> {
  let runs = 0;
  for (let runId: string | undefined = firstRunId; runId; runs++) {
    const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    runId =
      history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

/** The window of each session: its end bounds the waits (the old code never does what they await). */
const WINDOW_MS = 30_000;

interface Scenario {
  /** Drives the session: `signal` sends it a signal. */
  drive(ctx: {
    venue: MockVenue;
    held: ReturnType<typeof heldCancel>;
    signal: (def: { name: string }, ...args: unknown[]) => Promise<void>;
  }): Promise<void>;
  /** Resolves once the session did what the test expects of it. */
  expected(venue: MockVenue): Promise<unknown>;
}

/**
 * Runs a session that continues as new after every pass, on a market of its own, through `scenario`;
 * waits for what is expected of it or for the end of its window, whichever comes first.
 */
async function withSession(
  slug: string,
  scenario: Scenario,
  venue = new MockVenue(),
): Promise<{ venue: MockVenue; runs: number; positionsStarted: number }> {
  const held = heldCancel(venue);
  const taskQueue = `carry-${slug}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: await workflowBundlePath() },
    activities: {
      ...venue.activities(),
      cancelMarketOrders: held.cancelMarketOrders,
      streamMarket: async () => ({ endReason: "ended" }),
    },
  });
  const sessionId = workflowIds.session(slug);
  let runs = 0;
  let positionsStarted = 0;
  await worker.runUntil(async () => {
    const now = Date.now();
    const params = {
      arbitrage: {
        ...loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
        // Positions may open until the end of the (short) window.
        rebalanceFreezeMs: 0,
      },
      // Every pass of the loop ends in continue-as-new.
      historyEventLimit: 1,
      streamingTaskQueue: taskQueue,
    };
    const h = await env.client.workflow.start(marketSession, {
      taskQueue,
      workflowId: sessionId,
      args: [{ market: { ...MARKET, slug, startMs: now, endMs: now + WINDOW_MS }, params }],
    });
    await scenario.drive({ venue, held, signal: (def, ...args) => h.signal(def.name, ...args) });
    await Promise.race([scenario.expected(venue), h.result()]);
    positionsStarted = (await h.query(sessionStateQuery)).positionsStarted;
    runs = await runsOf(sessionId, h.firstExecutionRunId);
    await h.terminate("test over").catch(() => undefined);
    for (let n = 1; n <= positionsStarted; n++) {
      await env.client.workflow
        .getHandle(workflowIds.position(slug, n))
        .terminate("test over")
        .catch(() => undefined);
    }
  });
  return { venue, runs, positionsStarted };
}

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

/** Opens one position, then halts: the session is held in the halt's cancelMarketOrders. */
async function openThenHold(
  venue: MockVenue,
  held: ReturnType<typeof heldCancel>,
  signal: (def: { name: string }, ...args: unknown[]) => Promise<void>,
): Promise<void> {
  await signal(marketBookSignal, ARBITRAGE(1));
  await venue.waitForCount("placeOrder", 2);
  await signal(haltSignal, { reason: "busy session" });
  await held.started;
}

const upsertedFill = (venue: MockVenue, tradeId: string) =>
  venue.waitFor("upsertFill", (args) => (args[0] as { tradeId: string }).tradeId === tradeId);

it("forwards a fill queued when the session continued as new to its positions", async () => {
  const slug = "btc-carry-fill";
  const { runs } = await withSession(slug, {
    async drive({ venue, held, signal }) {
      await openThenHold(venue, held, signal);
      // Received while the session waits for the cancel: still queued when it continues as new.
      await signal(fillsSignal, [fillOf("trade-late", venue.orderId(1), MARKET.upTokenId)]);
      held.release();
    },
    expected: (venue) => upsertedFill(venue, "trade-late"),
  });
  // Started, opened the position, halted, …: each pass continued as new.
  expect(runs).toBeGreaterThan(2);
  const fills = (await signalsIn(workflowIds.position(slug, 1), "fills")) as OurFill[][];
  expect(fills.flat().map((f) => f.tradeId)).toEqual(["trade-late"]);
});

it("forwards a reconcile pending when the session continued as new to its positions", async () => {
  const slug = "btc-carry-reconcile";
  const reconcile: ReconcileSnapshot = {
    atMs: 1,
    openOrders: [],
    fills: [fillOf("trade-reconciled", "0xorder2", MARKET.downTokenId)],
  };
  await withSession(slug, {
    async drive({ venue, held, signal }) {
      await openThenHold(venue, held, signal);
      await signal(reconcileSignal, reconcile);
      held.release();
    },
    expected: (venue) => upsertedFill(venue, "trade-reconciled"),
  });
  expect(await signalsIn(workflowIds.position(slug, 1), "reconcile")).toEqual([reconcile]);
});

it("propagates a halt not yet propagated when the session continued as new: positions told, orders cancelled", async () => {
  const slug = "btc-carry-halt";
  const { venue } = await withSession(slug, {
    async drive({ venue, held, signal }) {
      await openThenHold(venue, held, signal);
      // The operator resumes and halts again while the first halt's cancel is under way.
      await signal(resumeSignal);
      await signal(haltSignal, { reason: "again" });
      held.release();
    },
    expected: (venue) => venue.waitForCount("cancelMarketOrders", 2),
  });
  // Both halts cancelled the market's orders, and the position heard of the second one too.
  expect(venue.named("cancelMarketOrders")).toHaveLength(2);
  const positionId = workflowIds.position(slug, 1);
  expect(await signalsIn(positionId, "halt")).toHaveLength(2);
  expect(await signalsIn(positionId, "resume")).toHaveLength(0);
});

it("examines the newest book, received just before the session continued as new, in the next run", async () => {
  const { venue, positionsStarted } = await withSession("btc-carry-book", {
    async drive({ held, signal }) {
      await signal(haltSignal, { reason: "busy session" });
      await held.started;
      await signal(resumeSignal);
      // The opportunity arrives while the session is still busy with the halt.
      await signal(marketBookSignal, ARBITRAGE(1));
      held.release();
    },
    expected: (venue) => venue.waitForCount("placeOrder", 2),
  });
  expect(positionsStarted).toBe(1);
  expect(venue.named("placeOrder")).toHaveLength(2);
});

it("keeps the book-forwarding interval across runs, and sends a held-back book in the next run", async () => {
  const slug = "btc-carry-throttle";
  const positionId = workflowIds.position(slug, 1);
  const quiet = (seq: number, upAsk: number) =>
    snapshot(seq, top([[0.3, 50]], [[upAsk, 50]]), top([[0.3, 50]], [[0.6, 50]]));
  const at = (seq: number) => async () => (await booksAt(positionId)).find((b) => b.seq === seq);
  let arrivedAtMs = 0;
  await withSession(
    slug,
    {
      async drive({ venue, signal }) {
        await signal(marketBookSignal, ARBITRAGE(1));
        await venue.waitForCount("placeOrder", 2);
        // The position is imbalanced: it gets the next book as soon as the session knows it wants books.
        await signal(marketBookSignal, quiet(2, 0.61));
        await until(at(2), "the first book at the position");
        // Within the interval, in another run (every pass continues as new), and nothing after it.
        await signal(marketBookSignal, quiet(3, 0.62));
        arrivedAtMs = Date.now();
      },
      expected: () => until(at(3), "the held-back book at the position"),
    },
    // The Up leg fills, the Down leg half: the position is imbalanced and wants books.
    new MockVenue((_req, n) => (n === 1 ? 1 : n === 2 ? 0.5 : 0)),
  );
  const books = await booksAt(positionId);
  expect(books.map((b) => b.seq)).toEqual([2, 3]);
  const [first, second] = books;
  expect(second!.atMs - first!.atMs).toBeGreaterThanOrEqual(950);
  expect(second!.atMs - arrivedAtMs).toBeLessThan(1_500);
});
