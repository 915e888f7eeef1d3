/**
 * The operator commands, run as the `ballast` command against a dev server: what they cannot do (no such
 * market session, no such position, an Update its validator refuses) fails with a one-line error and a
 * non-zero exit; a global halt is held by the control workflow (reported with the orders it cancelled,
 * shown by `status`) until `resume`; `halt --slug`, `resume --slug` and `rebalance` are Updates whose
 * answer is printed, one line per workflow, and a refused one leaves the workflow's history as it was.
 * Each command is a process of its own (tsx compiles on start): the tests allow two minutes.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import { workflowIds } from "../../src/session/messages";
import { installTemporalRuntime } from "../../workers/runtime";
import { marketSession } from "../../workflows";
import { sessionStateQuery } from "../../workflows/definitions";
import { devServer, workflowBundlePath } from "../helpers/temporal";
import { MARKET, MockVenue, snapshot, top } from "../workflows/harness";

const BIN = path.resolve(__dirname, "../../bin/ballast.cjs");

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  installTemporalRuntime(createLogger({ level: "warn" }));
  env = await devServer();
});
afterAll(async () => {
  await env?.teardown();
});

/** Runs `ballast …` against the test server (asynchronously: a worker may run in this process). */
function ballast(
  taskQueue: string,
  ...args: string[]
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: env.namespace ?? "default",
        TEMPORAL_TASK_QUEUE: taskQueue,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Polls a probe until it yields (waits for what the server did; no fixed sleep). */
async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A one-line error on stderr, nothing on stdout, a non-zero exit. */
function expectOneLineError(
  r: { status: number | null; stdout: string; stderr: string },
  message: RegExp,
): void {
  expect(r.status).not.toBe(0);
  expect(r.status).not.toBeNull();
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(message);
}

it("halt --slug, resume --slug and rebalance of what does not exist or is not a running position exit non-zero with a one-line error", async () => {
  const q = "cli-errors";
  const [halt, resume, rebalance] = await Promise.all([
    ballast(q, "halt", "--slug", "nope"),
    ballast(q, "resume", "--slug", "nope"),
    ballast(q, "rebalance", "nope"),
  ]);
  expectOneLineError(halt, /^ballast: no running session for market "nope"/);
  expectOneLineError(resume, /^ballast: no running session for market "nope"/);
  expectOneLineError(rebalance, /^ballast: no position "nope"/);

  // A running workflow that is not a position, and a position that has ended (no worker: they only exist).
  await env.client.workflow.start("marketSession", {
    taskQueue: "nobody",
    workflowId: "session-x",
    args: [{}],
  });
  const ended = await env.client.workflow.start("position", {
    taskQueue: "nobody",
    workflowId: "position-x-1",
    args: [{}],
  });
  await ended.terminate("test");
  const [notPosition, notRunning] = await Promise.all([
    ballast(q, "rebalance", "session-x"),
    ballast(q, "rebalance", "position-x-1"),
  ]);
  expectOneLineError(notPosition, /^ballast: session-x is not a position \(it is a marketSession workflow\)/);
  expectOneLineError(notRunning, /^ballast: position position-x-1 is not running \(TERMINATED\)/);
  await env.client.workflow.getHandle("session-x").terminate("test over");
}, 120_000);

it("halts all trading until resume: reports the orders cancelled at the venue, shows in status, refuses a one-market resume meanwhile", async () => {
  const q = "cli-halt";
  const venue = new MockVenue();
  venue.restingOrders = 2;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: q,
    workflowBundle: { codePath: await workflowBundlePath() },
    activities: { ...venue.activities(), streamMarket: async () => ({ endReason: "ended" }) },
  });
  const slug = "btc-updown-15m-cli";
  await worker.runUntil(async () => {
    const now = Date.now();
    const params = {
      ...loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
      historyEventLimit: 8_000,
      streamingTaskQueue: q,
    };
    const session = await env.client.workflow.start(marketSession, {
      taskQueue: q,
      workflowId: workflowIds.session(slug),
      args: [{ market: { ...MARKET, slug, startMs: now, endMs: now + 10 * 60_000 }, params }],
    });
    // Listed by its market (the commands find sessions by MarketSlug).
    await until(async () => {
      for await (const wf of env.client.workflow.list({ query: `MarketSlug = '${slug}'` })) return wf;
      return undefined;
    }, "the session listed by its market");

    const halted = await ballast(q, "halt", "--reason", "drill");
    expect(halted.stderr).toBe("");
    expect(halted.status).toBe(0);
    expect(halted.stdout).toMatch(
      /^halted all trading since \S+ \(reason: drill\) until `ballast resume`: 1 running session\(s\) halted, 2 open order\(s\) cancelled at the venue\n$/,
    );
    expect(venue.named("cancelAllOrders")).toHaveLength(1);
    await until(
      async () => ((await session.query(sessionStateQuery)).halted ? true : undefined),
      "the session halted",
    );

    const status = await ballast(q, "status");
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/^trading: HALTED since \S+ \(reason: drill\)/);
    expect(status.stdout).toMatch(new RegExp(`${slug}.*HALTED`));

    expectOneLineError(
      await ballast(q, "resume", "--slug", slug),
      /^ballast: all trading is halted \(since \S+, reason: drill\)/,
    );
    expect((await session.query(sessionStateQuery)).halted).toBe(true);

    const resumed = await ballast(q, "resume");
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toBe("resumed all trading: 1 running session(s) resumed\n");
    await until(
      async () => ((await session.query(sessionStateQuery)).halted ? undefined : true),
      "the session resumed",
    );
    expect((await ballast(q, "status")).stdout).toMatch(/^trading: on \(not halted\)/);

    // One market only.
    const one = await ballast(q, "halt", "--slug", slug);
    expect(one.stderr).toBe("");
    expect(one.status).toBe(0);
    expect(one.stdout).toBe(
      `halted ${workflowIds.session(slug)}: 0 open orders in its market cancelled at the venue, 0 of 0 open positions told; \`ballast resume --slug ${slug}\` resumes it\n`,
    );
    expect((await session.query(sessionStateQuery)).halted).toBe(true);
    expect((await ballast(q, "status")).stdout).toMatch(/^trading: on \(not halted\)/);
    const oneResumed = await ballast(q, "resume", "--slug", slug);
    expect(oneResumed.status).toBe(0);
    expect(oneResumed.stdout).toBe(`resumed ${workflowIds.session(slug)}: 0 of 0 open positions told\n`);
    expect((await session.query(sessionStateQuery)).halted).toBe(false);
    await session.terminate("test over");
    await env.client.workflow
      .getHandle(workflowIds.feed(slug))
      .terminate("test over")
      .catch(() => undefined);
    await env.client.workflow.getHandle(workflowIds.control(q)).terminate("test over");
  });
}, 120_000);

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

it("halt --slug, resume --slug and rebalance print what their Update did; a refused rebalance exits non-zero and writes no history", async () => {
  const q = "cli-updates";
  // The opening Down leg fills 60%: the position is imbalanced. Everything else fills in full.
  const venue = new MockVenue((req, k) => (k <= 2 && req.intent.tokenId === MARKET.downTokenId ? 0.6 : 1));
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: q,
    workflowBundle: { codePath: await workflowBundlePath() },
    activities: {
      ...venue.activities(),
      // Two orders of ours rest in the market when it is halted.
      cancelMarketOrders: async (...args: unknown[]) => {
        await venue.activities().cancelMarketOrders(...args);
        return 2;
      },
      streamMarket: async () => ({ endReason: "ended" }),
    },
  });
  const slug = "btc-updown-15m-cli-updates";
  const sessionId = workflowIds.session(slug);
  const positionId = workflowIds.position(slug, 1);
  await worker.runUntil(async () => {
    const now = Date.now();
    const params = {
      ...loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage,
      budgetPerTrade: 20_000_000,
      // No periodic check meanwhile: the position's history moves only when told something.
      rebalanceCheckIntervalMs: 10 * 60_000,
      historyEventLimit: 8_000,
      streamingTaskQueue: q,
    };
    const session = await env.client.workflow.start(marketSession, {
      taskQueue: q,
      workflowId: sessionId,
      args: [{ market: { ...MARKET, slug, startMs: now, endMs: now + 10 * 60_000 }, params }],
    });
    await until(async () => {
      for await (const wf of env.client.workflow.list({ query: `MarketSlug = '${slug}'` })) return wf;
      return undefined;
    }, "the session listed by its market");
    await session.signal(
      "marketBook",
      snapshot(1, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]])),
    );
    await until(
      async () =>
        venue.named("upsertTelemetry").length > 0 &&
        (await session.query(sessionStateQuery)).openPositions.includes(positionId)
          ? true
          : undefined,
      "the position executed",
    );

    // Imbalanced: rebalanced now, on the book it has, and the order and the position after it printed.
    const rebalanced = await ballast(q, "rebalance", positionId);
    expect(rebalanced.stderr).toBe("");
    expect(rebalanced.status).toBe(0);
    expect(rebalanced.stdout).toMatch(
      new RegExp(
        `^${positionId}: (BUY|SELL)_(YES|NO) (BUY|SELL) \\d+\\.\\d\\d (Up|Down) @ \\$0\\.\\d+ limit: SUCCESS, \\d+\\.\\d\\d filled; now Up \\d+\\.\\d\\d / Down \\d+\\.\\d\\d, hedge \\d\\.\\d\\d, guaranteed P&L -?\\$\\d+\\.\\d\\d \\(BALANCED\\)\\n$`,
      ),
    );
    expect(venue.named("recordRebalanceTrade")).toHaveLength(1);

    // Balanced now: refused by the Update's validator, nothing written to the position's history.
    const before = await settledLength(positionId);
    const refused = await ballast(q, "rebalance", positionId);
    expectOneLineError(
      refused,
      new RegExp(
        `^ballast: rebalance refused by ${positionId}: balanced \\(hedge ratio \\d\\.\\d\\d\\): nothing to rebalance`,
      ),
    );
    expect(await historyLength(positionId)).toBe(before);
    expect(venue.named("placeOrderStarted")).toHaveLength(3);

    const halted = await ballast(q, "halt", "--slug", slug, "--reason", "drill");
    expect(halted.stderr).toBe("");
    expect(halted.status).toBe(0);
    expect(halted.stdout).toBe(
      `halted ${sessionId}: 2 open orders in its market cancelled at the venue, 1 of 1 open position told; \`ballast resume --slug ${slug}\` resumes it\n`,
    );
    expect(venue.named("cancelMarketOrders")).toHaveLength(1);

    const resumed = await ballast(q, "resume", "--slug", slug);
    expect(resumed.stderr).toBe("");
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toBe(`resumed ${sessionId}: 1 of 1 open position told\n`);

    for (const id of [sessionId, positionId, workflowIds.feed(slug)])
      await env.client.workflow
        .getHandle(id)
        .terminate("test over")
        .catch(() => undefined);
  });
}, 120_000);
