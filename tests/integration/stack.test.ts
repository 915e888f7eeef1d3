/**
 * The whole stack, for real: the Temporal dev server, the venue simulator, PostgreSQL, and the
 * workflow and streaming workers as separate processes. The market is scripted (the simulated
 * traders are switched off) so that the story is the same every run:
 *
 *   1. a dislocation appears: Up and Down asks summing to 0.92 → a position opens, buying both;
 *   2. the moment our first leg trades, a rival takes most of the other leg's liquidity → a
 *      partial fill, an imbalanced position;
 *   3. both workers are killed with SIGKILL and started again, mid-position;
 *   4. a bid appears on the excess outcome above its entry → the position sells the excess and is
 *      balanced;
 *   5. the window ends and resolves → P&L recorded.
 *
 * Asserted from the database, the venue's own records and the workflow histories: one order per
 * intent (no duplicates after the kill) and exactly the fills the venue recorded.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Wallet } from "ethers";
import { ensureSchedulers } from "../../src/cli/workers";
import { loadConfig } from "../../src/config/load";
import type { Config } from "../../src/config/schema";
import type { Database } from "../../src/db/database";
import { createLogger } from "../../src/log";
import { QUERIES, workflowIds } from "../../src/session/messages";
import { PROJECT_ROOT, temporalCliPath } from "../../src/temporal/binaries";
import { type RunningVenue, startVenue } from "../../src/venue/server/app";
import type { VenueEvent, VenueMarket } from "../../src/venue/types";
import { freshDatabase } from "../helpers/database";
import { devServer } from "../helpers/temporal";

const WINDOW_MS = 60_000;
const BIN = path.join(PROJECT_ROOT, "bin", "ballast.cjs");
/** No simulated traders at all: the books hold only what the test posts. */
const QUIET_MARKET = {
  lp: { levels: 0 },
  noise: { ratePerSec: 0 },
  informed: { ratePerSec: 0 },
  sweep: { ratePerMin: 0 },
  dislocation: { ratePerMin: 0 },
  rival: { probability: 0 },
};

/**
 * Resolves when `check` returns a value (checked every 200 ms), or fails after `timeoutMs` saying
 * what it last saw (`check` may report it through `seen`).
 */
async function eventually<T>(
  what: string,
  check: (seen: (state: unknown) => void) => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await check((s) => {
      last = s;
    }).catch((err) => {
      last = String(err);
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("the whole stack on the simulator", () => {
  let env: TestWorkflowEnvironment;
  let db: Database;
  let venue: RunningVenue;
  let config: Config;
  const workers: ChildProcess[] = [];
  const ourKey = Wallet.createRandom().privateKey;
  const ourAddress = new Wallet(ourKey).address.toLowerCase();

  function spawnWorker(role: "worker" | "streamer"): ChildProcess {
    const child = spawn(process.execPath, [BIN, role], {
      env: {
        PATH: process.env.PATH,
        CLOB_URL: config.venue.clobUrl,
        GAMMA_URL: config.venue.gammaUrl,
        WS_URL: config.venue.wsUrl,
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: config.temporal.address,
        TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
        TEMPORAL_STREAMING_TASK_QUEUE: config.temporal.streamingTaskQueue,
        WINDOW_MS: String(WINDOW_MS),
        ASSETS: "BTC",
        POLY_PRIVATE_KEY: ourKey,
        BUDGET_PER_TRADE: "25",
        MAX_REBALANCE_WAIT_MS: "10000",
        MAX_POSITIONS_PER_WINDOW: "1",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    workers.push(child);
    return child;
  }

  function kill(child: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  beforeAll(async () => {
    env = await devServer();
    db = await freshDatabase();
    venue = await startVenue({ port: 0, seed: 5, assets: ["BTC"], windowMs: WINDOW_MS, model: QUIET_MARKET });
    config = loadConfig({
      env: {
        CLOB_URL: venue.urls.clob,
        GAMMA_URL: venue.urls.gamma,
        WS_URL: venue.urls.ws,
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_TASK_QUEUE: "stack",
        TEMPORAL_STREAMING_TASK_QUEUE: "stack-streaming",
        WINDOW_MS: String(WINDOW_MS),
        ASSETS: "BTC",
        BUDGET_PER_TRADE: "25",
        MAX_REBALANCE_WAIT_MS: "10000",
        MAX_POSITIONS_PER_WINDOW: "1",
      },
    });
  });

  afterAll(async () => {
    await Promise.all(workers.map(kill));
    await venue?.close();
    await env?.teardown();
    await db?.close();
  });

  it("opens, survives SIGKILL of both workers, rebalances a partial fill and resolves, with no duplicate orders and every fill", async () => {
    spawnWorker("worker");
    spawnWorker("streamer");
    const engine = venue.simulation.engine;

    // A window with at least 45 s to go, so the whole story fits before the freeze.
    const market: VenueMarket = await eventually(
      "a fresh window",
      async () =>
        venue.simulation.markets().find((m) => m.startMs <= Date.now() && m.endMs - Date.now() > 45_000),
      WINDOW_MS + 10_000,
    );
    await ensureSchedulers(config, createLogger({ level: "warn" }));
    const sessionId = workflowIds.session(market.slug);
    // The session runs and its feed has delivered the (empty) books.
    await eventually("the session's first book", async () => {
      // biome-ignore lint/suspicious/noExplicitAny: query result
      const s: any = await env.client.workflow.getHandle(sessionId).query(QUERIES.sessionState);
      return s.lastBookSeq > 0 ? s : undefined;
    });

    // 1–2. The dislocation, and a rival who strikes the moment our first leg trades.
    const [up, down] = market.tokenIds;
    const maker = "0x00000000000000000000000000000000000000a1";
    const rival = "0x00000000000000000000000000000000000000a2";
    engine.credit(maker, 10_000_000_000);
    engine.credit(rival, 10_000_000_000);
    engine.split(maker, market.conditionId, 200_000_000, Date.now());
    let seq = 0;
    const order = (
      account: string,
      tokenId: string,
      side: "BUY" | "SELL",
      price: number,
      size: number,
      type: "GTC" | "FAK",
    ) =>
      engine.submit(
        {
          id: `0xscript${++seq}`,
          owner: account,
          account,
          tokenId,
          side,
          price,
          size,
          type,
          postOnly: type === "GTC",
          expiresAtMs: 0,
        },
        Date.now(),
      );
    let firstLeg: string | undefined;
    const unsubscribe = engine.subscribe((e: VenueEvent) => {
      if (e.kind !== "trade" || e.trade.takerAccount !== ourAddress || firstLeg) return;
      firstLeg = e.trade.tokenId;
      const other = firstLeg === up ? down : up;
      order(rival, other, "BUY", 1_000_000 - 10_000, 28_000_000, "FAK"); // leaves 12 of 40 shares
    });
    expect(order(maker, up, "SELL", 450_000, 40_000_000, "GTC").success).toBe(true);
    expect(order(maker, down, "SELL", 470_000, 40_000_000, "GTC").success).toBe(true);

    const positionId = workflowIds.position(market.slug, 1);
    const executed = await eventually("the legs to execute", async () => {
      // biome-ignore lint/suspicious/noExplicitAny: query result
      const p: any = await env.client.workflow.getHandle(positionId).query(QUERIES.positionState);
      return p.phase === "IMBALANCED" ? p : undefined;
    });
    unsubscribe();
    expect(executed.hedgeRatio).toBeLessThan(0.8);
    const excessIsUp = executed.upShares > executed.downShares;

    // 3. Both workers die mid-position, and come back.
    await Promise.all(workers.splice(0).map(kill));
    spawnWorker("worker");
    spawnWorker("streamer");

    // 4. The maker pulls its leftover asks and bids for the excess outcome, well above its entry:
    // selling the excess is now worth it.
    engine.cancelAll(maker, Date.now());
    expect(
      order(maker, excessIsUp ? up : down, "BUY", excessIsUp ? 560_000 : 580_000, 40_000_000, "GTC").success,
    ).toBe(true);
    await eventually(
      "the position to be balanced",
      async (seen) => {
        // biome-ignore lint/suspicious/noExplicitAny: query result
        const p: any = await env.client.workflow.getHandle(positionId).query(QUERIES.positionState);
        // biome-ignore lint/suspicious/noExplicitAny: query result
        const s: any = await env.client.workflow.getHandle(sessionId).query(QUERIES.sessionState);
        seen({
          position: p,
          session: s,
          upBids: engine.levels(up, "BUY", 3),
          downBids: engine.levels(down, "BUY", 3),
        });
        return p.phase === "BALANCED" ? p : undefined;
      },
      40_000,
    );

    // 5. Resolution.
    const result = await env.client.workflow.getHandle(positionId).result();
    expect(result.phase).toBe("RESOLVED");

    // The database tells the whole story.
    const trade = (await db.pool.query("SELECT * FROM trades WHERE id = $1", [positionId])).rows[0];
    expect(trade).toMatchObject({
      status: "RESOLVED",
      market_slug: market.slug,
      rebalance_status: "completed",
    });
    expect(Number(trade.actual_profit)).toBeCloseTo(Number(result.pnl) / 1e6, 6);
    const telemetry = (await db.pool.query("SELECT * FROM trade_telemetry WHERE trade_id = $1", [positionId]))
      .rows[0];
    for (const field of [
      "opportunity_detected_at",
      "order_placed_at",
      "order_filled_at",
      "rebalance_started_at",
      "position_balanced_at",
      "resolved_at",
    ]) {
      expect({ field, value: telemetry[field] }).toEqual({ field, value: expect.any(Date) });
    }
    expect(Number(telemetry.initial_hedge_ratio)).toBeLessThan(0.8);
    // Rebalancing brought it back: the only way left is selling the excess into the new bid.
    const rebalances = (
      await db.pool.query("SELECT * FROM rebalance_trades WHERE trade_id = $1 ORDER BY attempted_at", [
        positionId,
      ])
    ).rows;
    expect(rebalances.map((r) => [r.action, r.status])).toEqual([
      [excessIsUp ? "SELL_YES" : "SELL_NO", "SUCCESS"],
    ]);

    // No duplicate orders: the venue holds exactly the orders we recorded, once each (2 legs + rebalances).
    const ourApiKey = venue.apiKeys.all().find((k) => k.address.toLowerCase() === ourAddress)?.key;
    expect(ourApiKey).toBeDefined();
    const venueTrades = engine.trades(ourApiKey as string);
    const ourOrders = (
      await db.pool.query("SELECT id FROM orders WHERE position_id = $1 ORDER BY id", [positionId])
    ).rows.map((r) => r.id);
    expect(ourOrders).toHaveLength(2 + rebalances.length);
    for (const id of ourOrders) expect(engine.getOrder(id)).toBeDefined();
    // Exactly the fills the venue recorded: one row per (trade, our order), none missing, none extra.
    const venueFills = venueTrades
      .flatMap((t) => (ourOrders.includes(t.takerOrderId) ? [`${t.id}:${t.takerOrderId}`] : []))
      .sort();
    const storedFills = (
      await db.pool.query(
        "SELECT trade_id || ':' || order_id AS key FROM fills WHERE order_id = ANY($1) ORDER BY 1",
        [ourOrders],
      )
    ).rows.map((r) => r.key);
    expect(storedFills).toEqual([...new Set(venueFills)]);

    // The history tells the same story, and the search attributes are current.
    const handle = env.client.workflow.getHandle(positionId);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    expect(scheduled.filter((n) => n === "placeOrder")).toHaveLength(ourOrders.length);
    expect(scheduled).toContain("resolvePosition");
    const described = await handle.describe();
    expect(described.searchAttributes.PositionState).toEqual(["RESOLVED"]);
    expect(described.searchAttributes.MarketSlug).toEqual([market.slug]);

    // Keep the histories for the replay test (RECORD_HISTORIES=1 npm test -- tests/integration).
    if (process.env.RECORD_HISTORIES) {
      const dir = path.join(PROJECT_ROOT, "tests", "fixtures", "histories");
      mkdirSync(dir, { recursive: true });
      // The Temporal CLI's JSON export: the format Worker.runReplayHistory reads back.
      for (const [name, id] of [
        ["position", positionId],
        ["session", sessionId],
      ]) {
        const shown = spawnSync(
          temporalCliPath(),
          ["workflow", "show", "--address", env.address, "--workflow-id", id as string, "--output", "json"],
          { encoding: "utf8" },
        );
        expect(shown.status).toBe(0);
        writeFileSync(path.join(dir, `${name}.json`), shown.stdout);
      }
    }
  }, 240_000);
});
