/**
 * The whole stack, for real: the Temporal dev server, the venue simulator, PostgreSQL, and the
 * workflow and streaming workers as separate processes. The market is scripted (the simulated
 * traders are switched off) so that the story is the same every run:
 *
 *   1. a dislocation appears: Up and Down asks summing to 0.92 → a position opens, buying both;
 *   2. the moment our first leg trades, a rival takes most of the other leg's liquidity → a
 *      partial fill, an imbalanced position;
 *   3. a bid appears on the excess outcome above its entry → the position sends a SELL of the
 *      excess; the venue holds that POST /order (an admin hold), and while it is in flight both
 *      workers are killed with SIGKILL. The venue then takes the order from a dead client; the
 *      workers are started again, the placeOrder activity times out and is retried, re-sending
 *      the same signed order (the venue answers "Duplicated") → the position learns its fill and
 *      is balanced;
 *   4. the window ends and resolves → P&L recorded.
 *
 * Checked against what the venue itself recorded, not against what the service says about itself:
 * - the venue's journal of every order our API key submitted (GET /admin/orders) holds exactly the
 *   orders of the database's `orders` table — same hashes, tokens, sides, prices and sizes — and
 *   each hash was taken at most once (any re-post was refused as a duplicate);
 * - the `fills` table equals the venue's trades for our key, leg by leg, final status and fee included;
 * - the recorded P&L equals the change of our pUSD balance at the venue from before the first order
 *   to after settlement;
 * - the history shows the retry: the SELL's placeOrder closed on an attempt after a timed-out one.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Wallet } from "ethers";
import { ensureSchedulers } from "../../src/cli/schedulers";
import { loadConfig } from "../../src/config/load";
import type { Config } from "../../src/config/schema";
import type { Database } from "../../src/db/database";
import { createLogger } from "../../src/log";
import { parseMicros } from "../../src/money";
import { orderAmounts } from "../../src/protocol/amounts";
import { QUERIES, workflowIds } from "../../src/session/messages";
import { PROJECT_ROOT, temporalCliPath } from "../../src/temporal/binaries";
import { type RunningVenue, startVenue } from "../../src/venue/server/app";
import type { Submission } from "../../src/venue/server/submissions";
import type { VenueEvent, VenueMarket } from "../../src/venue/types";
import { freshDatabase } from "../helpers/database";
import {
  activityRuns,
  databaseFills,
  eventually,
  holdOrders,
  killHard,
  QUIET_MARKET,
  settledValue,
  spawnBallast,
  submittedOrders,
  venueFills,
} from "../helpers/stack";
import { devServer } from "../helpers/temporal";

const WINDOW_MS = 60_000;
/** How long the venue holds the SELL before handling it: ample time to see it in flight and kill. */
const HOLD_MS = 3_000;
const DUPLICATED = "order is invalid. Duplicated.";

/** Micros of a numeric column (or a decimal string). */
const micros = (v: string | number) => parseMicros(String(v));

describe("the whole stack on the simulator", () => {
  let env: TestWorkflowEnvironment;
  let db: Database;
  let venue: RunningVenue;
  let config: Config;
  const workers: ChildProcess[] = [];
  /** ARB_ENTRY_PATH from the environment (the configuration's default, armed, without it), to run the whole story through the other entry path. */
  const ENTRY_PATH: Record<string, string> = {
    ARB_ENTRY_PATH: process.env.ARB_ENTRY_PATH ?? loadConfig({ env: {} }).arbitrage.entryPath,
  };
  const ourKey = Wallet.createRandom().privateKey;
  const ourAddress = new Wallet(ourKey).address.toLowerCase();

  function spawnWorker(role: "worker" | "streamer"): ChildProcess {
    const child = spawnBallast(role, {
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
      ...ENTRY_PATH,
    });
    workers.push(child);
    return child;
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
        ...ENTRY_PATH,
      },
    });
  });

  afterAll(async () => {
    await Promise.all(workers.map(killHard));
    await venue?.close();
    await env?.teardown();
    await db?.close();
  });

  it("opens, survives SIGKILL of both workers during an in-flight order, rebalances a partial fill and resolves, matching the venue's own records", async () => {
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

    // Our account at the venue before any order: its API key (derived by the workers) and pUSD.
    const ourApiKey = await eventually(
      "our API key at the venue",
      async () => venue.apiKeys.all().find((k) => k.address.toLowerCase() === ourAddress)?.key,
    );
    expect(await submittedOrders(venue, ourApiKey)).toEqual([]);
    const balanceBefore = engine.balance(ourAddress).collateral;
    expect(balanceBefore).toBeGreaterThan(0);

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
    const position = env.client.workflow.getHandle(positionId);
    const executed = await eventually("the legs to execute", async () => {
      // biome-ignore lint/suspicious/noExplicitAny: query result
      const p: any = await position.query(QUERIES.positionState);
      return p.phase === "IMBALANCED" ? p : undefined;
    });
    unsubscribe();
    expect(executed.hedgeRatio).toBeLessThan(0.8);
    const excessIsUp = executed.upShares > executed.downShares;
    const excessToken = excessIsUp ? up : down;

    // The shares bought become sellable once their trades are MINED: wait for that, so the SELL
    // below is not refused for balance.
    await eventually("our entry trades to be MINED", async (seen) => {
      const trades = engine.trades(ourApiKey);
      seen(trades.map((t) => t.status));
      return trades.length > 0 && trades.every((t) => t.status !== "MATCHED") ? true : undefined;
    });

    // 3. The venue will hold our next SELL; the maker pulls its leftover asks and bids for the excess
    // outcome well above its entry: selling the excess is now worth it.
    await holdOrders(venue, { owner: ourApiKey, side: "SELL", count: 1, ms: HOLD_MS });
    engine.cancelAll(maker, Date.now());
    expect(order(maker, excessToken, "BUY", excessIsUp ? 560_000 : 580_000, 40_000_000, "GTC").success).toBe(
      true,
    );

    // The SELL is in flight: received by the venue, not yet handled. Both workers die now.
    const inFlight: Submission = await eventually(
      "our SELL to be in flight at the venue",
      async (seen) => {
        const journal = await submittedOrders(venue, ourApiKey);
        seen(journal);
        return journal.find((s) => s.side === "SELL" && s.outcome === "pending");
      },
      20_000,
    );
    const killStartedAtMs = Date.now();
    await Promise.all(workers.splice(0).map(killHard));
    const killedAtMs = Date.now();
    spawnWorker("worker");
    spawnWorker("streamer");

    // The venue handled the held SELL after its client was dead, and filled it.
    const heldSell = await eventually("the held SELL to be handled", async (seen) => {
      const journal = await submittedOrders(venue, ourApiKey);
      const s = journal.find((e) => e.seq === inFlight.seq);
      seen(s);
      return s && s.outcome !== "pending" ? s : undefined;
    });
    expect(heldSell).toMatchObject({ outcome: "accepted", status: "matched", heldMs: HOLD_MS });
    expect(heldSell.receivedAtMs).toBeLessThan(killStartedAtMs);
    expect(heldSell.decidedAtMs).toBeGreaterThan(killedAtMs);
    const sellHash = heldSell.orderHash as string;
    expect(engine.getOrder(sellHash)).toMatchObject({ owner: ourApiKey, side: "SELL", tokenId: excessToken });

    await eventually(
      "the position to be balanced",
      async (seen) => {
        // biome-ignore lint/suspicious/noExplicitAny: query result
        const p: any = await position.query(QUERIES.positionState);
        // biome-ignore lint/suspicious/noExplicitAny: query result
        const s: any = await env.client.workflow.getHandle(sessionId).query(QUERIES.sessionState);
        seen({
          position: p,
          session: s,
          journal: (await submittedOrders(venue, ourApiKey)).map((e) => [e.seq, e.side, e.outcome, e.error]),
          upBids: engine.levels(up, "BUY", 3),
          downBids: engine.levels(down, "BUY", 3),
        });
        return p.phase === "BALANCED" ? p : undefined;
      },
      45_000,
    );

    // 4. Resolution.
    const result = await position.result();
    expect(result.phase).toBe("RESOLVED");

    // The database tells the whole story.
    const trade = (await db.pool.query("SELECT * FROM trades WHERE id = $1", [positionId])).rows[0];
    expect(trade).toMatchObject({
      status: "RESOLVED",
      market_slug: market.slug,
      rebalance_status: "completed",
    });
    expect(micros(trade.actual_profit)).toBe(result.pnl);
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
    // Rebalancing brought it back: the only way left is selling the excess into the new bid — the
    // SELL that was in flight when the workers died.
    const rebalances = (
      await db.pool.query("SELECT * FROM rebalance_trades WHERE trade_id = $1 ORDER BY attempted_at", [
        positionId,
      ])
    ).rows;
    expect(rebalances.map((r) => [r.action, r.status, r.order_id])).toEqual([
      [excessIsUp ? "SELL_YES" : "SELL_NO", "SUCCESS", sellHash],
    ]);

    // Orders: the venue's journal of everything our key submitted is the database's orders table.
    const journal = await submittedOrders(venue, ourApiKey);
    const dbOrders = (await db.pool.query("SELECT * FROM orders ORDER BY id")).rows;
    const hashes = [...new Set(journal.map((s) => s.orderHash))].sort();
    expect(dbOrders.map((o) => o.id)).toEqual(hashes);
    expect(dbOrders).toHaveLength(2 + rebalances.length);
    for (const o of dbOrders) {
      const sent = journal.filter((s) => s.orderHash === o.id);
      const accepted = sent.filter((s) => s.outcome === "accepted");
      // Each intent reached the book at most once; any other sending of it was a refused duplicate.
      expect({ id: o.id, accepted: accepted.length }).toEqual({
        id: o.id,
        accepted: o.status === "REJECTED" ? 0 : 1,
      });
      for (const s of sent.filter((e) => e.outcome !== "accepted")) {
        expect({ id: o.id, refusal: s.error }).toEqual({
          id: o.id,
          refusal: accepted.length > 0 ? DUPLICATED : expect.any(String),
        });
      }
      for (const s of sent) {
        // What the intent signs to under the venue's amount rules (a marketable BUY spends whole cents,
        // so it signs a few more shares than asked and an implied price a hair above the limit).
        const marketable = o.order_type === "FAK" || o.order_type === "FOK";
        const amounts = orderAmounts({
          side: o.side as "BUY" | "SELL",
          price: micros(o.price),
          shares: micros(o.size),
          tickSize: 10_000,
          marketable,
        });
        const signedShares = o.side === "BUY" ? amounts.takerAmount : amounts.makerAmount;
        const implied = Number(s.price ?? "NaN");
        expect({
          id: o.id,
          token: s.tokenId,
          side: s.side,
          size: micros(s.size ?? ""),
          priceWithinAHairOfLimit: Math.abs(implied - Number(o.price)) < 0.0001,
        }).toEqual({
          id: o.id,
          token: o.token_id,
          side: o.side,
          size: signedShares,
          priceWithinAHairOfLimit: true,
        });
      }
      if (accepted.length > 0) expect(engine.getOrder(o.id)?.owner).toBe(ourApiKey);
    }
    // The SELL was sent twice: the held one (taken, from a client already dead) and the retried
    // activity's re-send of the very same signed order, refused as a duplicate.
    expect(journal.filter((s) => s.orderHash === sellHash).map((s) => [s.outcome, s.error])).toEqual([
      ["accepted", null],
      ["refused", DUPLICATED],
    ]);

    // Fills: the venue's trades for our key, once every trade is final, leg by leg, status and fee
    // included, are the fills table.
    await eventually(
      "our trades to be final at the venue",
      async (seen) => {
        const trades = engine.trades(ourApiKey);
        seen(trades.map((t) => [t.id, t.status]));
        return trades.every((t) => t.status === "CONFIRMED" || t.status === "FAILED") ? true : undefined;
      },
      15_000,
    );
    const fromVenue = venueFills(engine, [ourApiKey]);
    expect(fromVenue.length).toBeGreaterThanOrEqual(3);
    expect(await settledValue(() => databaseFills(db.pool), fromVenue, 10_000)).toEqual(fromVenue);

    // P&L: what the venue says our account gained or lost, from before the first order to after
    // settlement (no shares of this market left), is the P&L recorded.
    const settled = await eventually("our shares to be settled", async (seen) => {
      const b = engine.balance(ourAddress);
      seen({ status: engine.marketStatus(market.conditionId), shares: b.shares });
      return engine.marketStatus(market.conditionId) === "resolved" && !b.shares[up] && !b.shares[down]
        ? b
        : undefined;
    });
    expect({ pnl: result.pnl }).toEqual({ pnl: settled.collateral - balanceBefore });

    // The history tells the same story, and the search attributes are current.
    const history = await position.fetchHistory();
    const runs = activityRuns(history.events ?? []);
    const placements = runs.filter((r) => r.name === "placeOrder");
    expect(placements).toHaveLength(dbOrders.length);
    expect(runs.map((r) => r.name)).toContain("resolvePosition");
    // The SELL's activity: its first attempt died with the worker (start-to-close timeout), a later
    // attempt re-sent the order and completed with its hash.
    const sellRun = placements.find((r) => r.input?.intent?.side === "SELL");
    expect(sellRun).toMatchObject({ closed: "completed", result: { orderId: sellHash } });
    expect(sellRun?.attempt).toBeGreaterThan(1);
    expect(sellRun?.lastFailure?.timeoutFailureInfo).toBeTruthy();
    const described = await position.describe();
    expect(described.searchAttributes.PositionState).toEqual(["RESOLVED"]);
    expect(described.searchAttributes.MarketSlug).toEqual([market.slug]);

    // Keep the histories for the replay test (RECORD_HISTORIES=1 npm test -- tests/integration).
    if (process.env.RECORD_HISTORIES) {
      const dir = path.join(PROJECT_ROOT, "tests", "fixtures", "histories");
      mkdirSync(dir, { recursive: true });
      // The Temporal CLI's JSON export: the format Worker.runReplayHistory reads back.
      // Through the armed entry path (the default) as `*-armed.json`, through the child path without the suffix.
      const armed = ENTRY_PATH.ARB_ENTRY_PATH === "armed";
      const suffix = armed ? "-armed" : "";
      for (const [name, id] of [
        [`position${suffix}`, positionId],
        [`session${suffix}`, sessionId],
        [`feed${suffix}`, workflowIds.feed(market.slug)],
        [`scheduler${suffix}`, workflowIds.scheduler("BTC")],
        [`control${suffix}`, workflowIds.control(config.temporal.taskQueue)],
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
