/**
 * What a trader reads in the Web UI at a glance, on the dev server (it keeps user metadata: static
 * summaries and activity summaries) with the real workers' payload converter and mocked activities:
 * `ballast start`'s schedulers (src/cli/schedulers.ts) start a scheduler, which starts a session, which
 * starts its feed and, on an arbitrage, a position. Each started workflow carries a static summary; the
 * scheduler, session and feed show live current details (the SDK's `__temporal_workflow_metadata` query,
 * which the Web UI reads); the activities carry summaries that read like the lifecycle; and the memo of a
 * position's start shows money as decimals.
 */
import { defaultPayloadConverter } from "@temporalio/common";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { ensureSchedulers } from "../../src/cli/schedulers";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import type { MarketRef } from "../../src/session/market";
import { workflowIds } from "../../src/session/messages";
import { installTemporalRuntime } from "../../workers/runtime";
import { scheduler } from "../../workflows";
import { haltSignal, marketBookSignal } from "../../workflows/definitions";
import { ballastWorkerCode, devServer } from "../helpers/temporal";
import { MARKET, MockVenue, snapshot, top } from "./harness";

/** Up ask 0.45, Down ask 0.47: an arbitrage the session opens a position on. */
const ARBITRAGE = (seq: number) =>
  snapshot(seq, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]]));

const TASK_QUEUE = "web-ui-view";
/** The scheduler's window setting (what its summary and details name). */
const WINDOW_MS = 5 * 60_000;
/** The windows the mocked Gamma lists: ten minutes each, the first one open since the minute began. */
const LISTED_MS = 10 * 60_000;

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const venue = new MockVenue();
let windows: MarketRef[];

/** "HH:MM" in UTC, written out here rather than by the code under test. */
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** Polls a probe until it yields (waits for what a workflow did; no fixed sleep). */
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function staticSummary(workflowId: string): Promise<string | undefined> {
  return (await env.client.workflow.getHandle(workflowId).describe()).staticSummary();
}

/** A workflow's current details, as the Web UI reads them (the SDK's built-in metadata query). */
async function currentDetails(workflowId: string): Promise<string> {
  const metadata = await env.client.workflow
    .getHandle(workflowId)
    .query<{ currentDetails?: string }>("__temporal_workflow_metadata");
  return metadata.currentDetails ?? "";
}

/** Waits until a workflow's current details contain every piece; returns them. */
function detailsWith(workflowId: string, pieces: string[]): Promise<string> {
  let last = "";
  return until(
    async () => {
      last = await currentDetails(workflowId);
      return pieces.every((p) => last.includes(p)) ? last : undefined;
    },
    `${workflowId}'s details to show ${JSON.stringify(pieces)} (last: ${JSON.stringify(last)})`,
  );
}

/** The summaries of the activities a workflow scheduled, with the activity type. */
async function activitySummaries(workflowId: string): Promise<{ type: string; summary?: string }[]> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (!scheduled) return [];
    const payload = event.userMetadata?.summary;
    return [
      {
        type: scheduled.activityType?.name ?? "",
        ...(payload ? { summary: defaultPayloadConverter.fromPayload<string>(payload as never) } : {}),
      },
    ];
  });
}

beforeAll(async () => {
  installTemporalRuntime(createLogger({ level: "warn" }));
  env = await devServer();
  const first = Math.floor(Date.now() / 60_000) * 60_000;
  windows = [0, 1].map((i) => {
    const startMs = first + i * LISTED_MS;
    return { ...MARKET, slug: `btc-updown-10m-${startMs / 1000}`, startMs, endMs: startMs + LISTED_MS };
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    ...(await ballastWorkerCode()),
    activities: {
      ...venue.activities(),
      discoverWindows: async () => windows,
      // The feed ends at once: the test signals books itself.
      streamMarket: async () => ({ endReason: "ended" }),
    },
  });
  running = worker.run();
  const config = loadConfig({
    env: {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      TEMPORAL_STREAMING_TASK_QUEUE: TASK_QUEUE,
      ASSETS: "BTC",
      WINDOW_MS: String(WINDOW_MS),
      // The child entry path: the session starts its position on the book it is signalled.
      ARB_ENTRY_PATH: "child",
    },
  });
  await ensureSchedulers(config, createLogger({ level: "error" }));
  // The session of the open window, on an arbitrage: its first position executes both legs.
  const session = env.client.workflow.getHandle(workflowIds.session(windows[0]!.slug));
  await until(async () => (await session.describe()).status.name === "RUNNING" || undefined, "the session");
  await session.signal(marketBookSignal, ARBITRAGE(1));
  await venue.waitFor("upsertTelemetry");
}, 120_000);

afterAll(async () => {
  if (env) {
    for await (const wf of env.client.workflow.list({ query: "ExecutionStatus = 'Running'" }))
      await env.client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .terminate("test over")
        .catch(() => undefined);
  }
  if (worker) {
    worker.shutdown();
    await running;
  }
  await env?.teardown();
});

describe("static summaries", () => {
  it("name the scheduler (from ballast start), its sessions (from the scheduler) and their feeds (from the session)", async () => {
    const [open, next] = windows as [MarketRef, MarketRef];
    const window = (m: MarketRef) => `${hhmm(m.startMs)}–${hhmm(m.endMs)} UTC`;
    expect(await staticSummary(workflowIds.scheduler("BTC"))).toBe(
      "BTC scheduler: an arbitrage session for every 5m window",
    );
    expect(await staticSummary(workflowIds.session(open.slug))).toBe(
      `BTC arbitrage session, ${open.slug}, ${window(open)}`,
    );
    expect(await staticSummary(workflowIds.session(next.slug))).toBe(
      `BTC arbitrage session, ${next.slug}, ${window(next)}`,
    );
    expect(await staticSummary(workflowIds.feed(open.slug))).toBe(
      `BTC market feed, ${open.slug}, ${window(open)}`,
    );
  });
});

describe("current details", () => {
  it("of a session: its state, positions, best asks in dollars, last book and end", async () => {
    const open = windows[0]!;
    const id = workflowIds.session(open.slug);
    const details = await detailsWith(id, ["1 position started, 1 open"]);
    expect(details).toBe(
      `**trading** ${open.slug}: 1 position started, 1 open · best asks Up \\$0.45 / Down \\$0.47 · book #1 · window ends ${hhmm(open.endMs)} UTC`,
    );
    await env.client.workflow.getHandle(id).signal(haltSignal, { reason: "test" });
    expect(await detailsWith(id, ["**HALTED**"])).toMatch(/^\*\*HALTED\*\* \(opens no position\) /);
  });

  it("of the scheduler: trading or halted, asset and window, the latest session started", async () => {
    const next = windows[1]!;
    const details = await detailsWith(workflowIds.scheduler("BTC"), ["next look"]);
    expect(details).toMatch(
      new RegExp(
        `^\\*\\*trading\\*\\* BTC, 5m windows · session started for ${next.slug} \\(${hhmm(next.startMs)}–${hhmm(next.endMs)} UTC\\) · 2 live sessions · next look \\d\\d:\\d\\d UTC$`,
      ),
    );
  });

  it("of a feed: which market it streams, to which session", async () => {
    const open = windows[0]!;
    expect(await currentDetails(workflowIds.feed(open.slug))).toBe(
      `**streaming** ${open.slug} (${hhmm(open.startMs)}–${hhmm(open.endMs)} UTC) to ${workflowIds.session(open.slug)}, on task queue \`${TASK_QUEUE}\``,
    );
  });
});

describe("activity summaries", () => {
  it("read like a position's lifecycle: the legs with sizes and limits, then what is recorded", async () => {
    const positionId = workflowIds.position(windows[0]!.slug, 1);
    const activities = await activitySummaries(positionId);
    expect(activities.filter((a) => a.summary === undefined)).toEqual([]);
    const legs = activities.filter((a) => a.type === "placeOrder").map((a) => a.summary);
    const placed = venue.placed();
    const shares = (tokenId: string) =>
      (placed.find((r) => r.intent.tokenId === tokenId)!.intent.size / 1_000_000).toFixed(2);
    expect(legs.sort()).toEqual([
      `buy Down leg ${shares(MARKET.downTokenId)} @ \\$0.47`,
      `buy Up leg ${shares(MARKET.upTokenId)} @ \\$0.45`,
    ]);
    const of = (type: string) => activities.filter((a) => a.type === type).map((a) => a.summary);
    expect(of("upsertOrder")).toContain(
      `record order #1, buy Up leg: MATCHED, ${shares(MARKET.upTokenId)} matched`,
    );
    expect(of("upsertFill")).toContain(`record fill: buy Up ${shares(MARKET.upTokenId)} @ \\$0.45, MINED`);
    expect(of("upsertPosition")[0]).toMatch(
      /^record position: BALANCED, Up \d+\.\d\d \/ Down \d+\.\d\d, cost \\\$\d+\.\d\d$/,
    );
    expect(of("upsertTelemetry")).toEqual(["record timing telemetry"]);
  });

  it("name the feed's stream, the scheduler's discovery and a halted session's cancel", async () => {
    const open = windows[0]!;
    expect(await activitySummaries(workflowIds.feed(open.slug))).toEqual([
      {
        type: "streamMarket",
        summary: `stream ${open.slug}'s books and our fills to its session until ${hhmm(open.endMs)} UTC`,
      },
    ]);
    expect((await activitySummaries(workflowIds.scheduler("BTC")))[0]).toEqual({
      type: "discoverWindows",
      summary: "find BTC's current and next 5m windows (Gamma)",
    });
    // Halted (again, if the session's details test ran): its open orders are cancelled.
    await env.client.workflow
      .getHandle(workflowIds.session(open.slug))
      .signal(haltSignal, { reason: "test" });
    await venue.waitFor("cancelMarketOrders");
    const cancels = await until(async () => {
      const found = (await activitySummaries(workflowIds.session(open.slug))).filter(
        (a) => a.type === "cancelMarketOrders",
      );
      return found.length > 0 ? found : undefined;
    }, "the halted session's cancel");
    expect(cancels[0]?.summary).toBe(`cancel every open order in ${open.slug} (halt)`);
  });
});

describe("a position's start memo", () => {
  it("shows its opportunity's money as decimals, and reads back as exact micros", async () => {
    const described = await env.client.workflow
      .getHandle(workflowIds.position(windows[0]!.slug, 1))
      .describe();
    const fields = described.raw.workflowExecutionInfo?.memo?.fields ?? {};
    const text = (name: string) => Buffer.from(fields[name]?.data ?? []).toString("utf8");
    // Up ask 0.45 + Down ask 0.47: a spread of 0.08.
    expect(JSON.parse(text("opportunity"))).toMatchObject({
      spread: "0.080000",
      pairCost: expect.stringMatching(/^0\.\d{6}$/),
      expectedProfit: expect.stringMatching(/^\d+\.\d{6}$/),
    });
    expect(Number.isSafeInteger(JSON.parse(text("detectedAtMs")))).toBe(true);
    // A client with Ballast's converter reads the micros back.
    expect(described.memo).toMatchObject({ opportunity: { spread: 80_000 } });
  });
});

it("a scheduler that finds no control workflow starts it with its summary", async () => {
  const taskQueue = "web-ui-view-control";
  const other = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    ...(await ballastWorkerCode()),
    activities: { ...venue.activities(), discoverWindows: async () => [] },
  });
  await other.runUntil(async () => {
    await env.client.workflow.start(scheduler, {
      taskQueue,
      workflowId: "scheduler-control-summary",
      args: [
        {
          asset: "ETH",
          windowMs: WINDOW_MS,
          params: {
            arbitrage: loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
            historyEventLimit: 8_000,
            streamingTaskQueue: taskQueue,
          },
        },
      ],
    });
    const summary = await until(
      () => staticSummary(workflowIds.control(taskQueue)),
      "the control workflow the scheduler started",
    );
    expect(summary).toBe("Operator control: `ballast halt` / `ballast resume` of all trading");
    await env.client.workflow.getHandle("scheduler-control-summary").terminate("test over");
    await env.client.workflow.getHandle(workflowIds.control(taskQueue)).terminate("test over");
  });
});
