/**
 * Ballast's metrics where they are fed and served (src/metrics): the activities' counts (exchange and
 * database activities run as Temporal activities of a market's workflow, so that their labels are that
 * market's), the position gauges, the streaming worker's signals and the channel client's frames and
 * reconnects, and the /metrics endpoint (Ballast's registry plus the SDK's text; its port scheme).
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { MockActivityEnvironment } from "@temporalio/testing";
import type { Pool } from "pg";
import { Registry } from "prom-client";
import { WebSocketServer } from "ws";
import { createDatabaseActivities } from "../../activities/database";
import { createExchangeActivities, type PlaceOrderRequest } from "../../activities/exchange/activities";
import type { PositionRecord } from "../../src/db/positions";
import { childMetricsPort } from "../../src/metrics";
import { assetOfSlug, marketOfWorkflowId } from "../../src/metrics/labels";
import { FORGET_AFTER_END_MS, PositionBook } from "../../src/metrics/positions";
import { countedSignals } from "../../src/metrics/record";
import { registry, setBreakerState } from "../../src/metrics/registry";
import { startMetricsServer } from "../../src/metrics/server";
import { freeLoopbackPort, withSdkMetricsAddress } from "../../src/metrics/temporal";
import { parseMicros } from "../../src/money";
import { ChannelClient } from "../../src/polymarket/channel-client";
import { InsufficientBalance, OffTick, VenueUnavailable } from "../../src/polymarket/errors";
import type { Exchange } from "../../src/polymarket/exchange";
import { workflowIds } from "../../src/session/messages";

const m = parseMicros;
const SLUG = "btc-updown-15m-1767200400";
const POSITION_ID = workflowIds.position(SLUG, 2);

/** The value of one series of a metric (undefined when the series does not exist). */
async function value(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const match = values.find((v) =>
    Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  );
  return match?.value;
}

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Runs `fn` as an activity of `workflowId`, as the worker would. */
function asActivityOf<R>(workflowId: string, fn: () => Promise<R>): Promise<R> {
  return new MockActivityEnvironment(
    { workflowExecution: { workflowId, runId: "run" } },
    { logger: silent },
  ).run(fn);
}

beforeEach(() => registry.resetMetrics());

describe("labels", () => {
  it("names a market by its slug and asset, from the workflow that called the activity", () => {
    expect(assetOfSlug(SLUG)).toBe("BTC");
    expect(assetOfSlug("will-it-rain")).toBe("unknown");
    for (const id of [workflowIds.position(SLUG, 12), workflowIds.session(SLUG), workflowIds.feed(SLUG)])
      expect([id, marketOfWorkflowId(id)]).toEqual([id, { market: SLUG, asset: "BTC" }]);
    expect(marketOfWorkflowId(workflowIds.control("ballast"))).toBeUndefined();
    expect(marketOfWorkflowId(workflowIds.scheduler("ETH"))).toBeUndefined();
  });
});

describe("the exchange activities", () => {
  function exchangeWith(place: () => Promise<unknown>): Exchange {
    return {
      buildSignedOrder: async (intent: { price: number }) => {
        if (intent.price === m("0.475")) throw new OffTick("price off the tick");
        return { orderHash: "0xhash" };
      },
      placeOrder: place,
      getOrder: async () => undefined,
      trades: async () => [],
      cancelMarket: async () => ({ canceled: ["a", "b"], notCanceled: {} }),
      cancelAll: async () => ({ canceled: ["a", "b", "c"], notCanceled: {} }),
    } as unknown as Exchange;
  }
  const request = (price: number, side: "BUY" | "SELL" = "BUY"): PlaceOrderRequest => ({
    market: `0x${"c0".repeat(32)}`,
    orderType: "GTC",
    intent: {
      tokenId: "1",
      side,
      price,
      size: m("10"),
      tickSize: m("0.01"),
      negRisk: false,
      salt: 1,
      timestampMs: 1,
    },
  });
  /** A clock that moves 250 ms at each read: the round trip of an order sent and answered is 0.25 s. */
  const ticking = () => {
    let t = 1_000;
    return () => (t += 250);
  };

  it("count placements by result, rejections by reason and origin, and each order's round trip", async () => {
    let answer: () => Promise<unknown> = async () => ({ outcome: "placed", status: "live", tradeIds: [] });
    const activities = createExchangeActivities({
      exchange: async () => exchangeWith(() => answer()),
      now: ticking(),
    });
    const place = (r: PlaceOrderRequest) => asActivityOf(POSITION_ID, () => activities.placeOrder(r));

    expect((await place(request(m("0.47")))).accepted).toBe(true);
    expect((await place(request(m("0.475"), "SELL"))).rejection).toMatchObject({
      kind: "off-tick",
      local: true,
    });
    answer = async () => {
      throw new InsufficientBalance("not enough balance / allowance");
    };
    expect((await place(request(m("0.47")))).rejection).toMatchObject({ kind: "insufficient-balance" });
    answer = async () => {
      throw new VenueUnavailable("503");
    };
    await expect(place(request(m("0.47")))).rejects.toThrow("503");

    const placed = (side: string, result: string) =>
      value("ballast_order_placements_total", { asset: "BTC", side, order_type: "GTC", result });
    expect(await placed("BUY", "accepted")).toBe(1);
    expect(await placed("SELL", "rejected")).toBe(1);
    expect(await placed("BUY", "rejected")).toBe(1);
    expect(await placed("BUY", "failed")).toBe(1);
    const rejected = (side: string, reason: string, origin: string) =>
      value("ballast_order_rejections_total", { asset: "BTC", side, reason, origin });
    expect(await rejected("SELL", "off-tick", "local")).toBe(1);
    expect(await rejected("BUY", "insufficient-balance", "venue")).toBe(1);
    expect(
      await value("ballast_order_failures_total", {
        asset: "BTC",
        operation: "place",
        error: "VenueUnavailable",
      }),
    ).toBe(1);
    // Two orders were sent and answered (the accepted one and the venue's refusal), 0.25 s each; the local
    // refusal sent nothing.
    expect(await value("ballast_order_round_trip_seconds", { order_type: "GTC", le: "0.25" })).toBe(2);
    expect(await value("ballast_order_round_trip_seconds", { order_type: "GTC", le: "0.1" })).toBe(0);
  });

  it("count the orders cancelled, per market or all, and failed reads", async () => {
    const activities = createExchangeActivities({
      exchange: async () => exchangeWith(async () => undefined),
    });
    expect(
      await asActivityOf(workflowIds.session(SLUG), () => activities.cancelMarketOrders({ market: "0x1" })),
    ).toBe(2);
    expect(await asActivityOf(workflowIds.control("ballast"), () => activities.cancelAllOrders())).toBe(3);
    await expect(
      asActivityOf(POSITION_ID, () => activities.readOrder({ market: "0x1", orderType: "GTC" })),
    ).rejects.toThrow("readOrder needs an order id or an intent");
    expect(await value("ballast_order_cancels_total", { asset: "BTC", scope: "market" })).toBe(2);
    expect(await value("ballast_order_cancels_total", { asset: "all", scope: "all" })).toBe(3);
    expect(
      await value("ballast_order_failures_total", { asset: "BTC", operation: "read", error: "Rejected" }),
    ).toBe(1);
  });
});

describe("the database activities", () => {
  /** A pool that answers the ledger's statements as a database would, without one. */
  function fakePool(fillStored: { status: string } | undefined) {
    return {
      query: async (sql: string) => {
        if (sql.includes("INSERT INTO fills")) return { rows: fillStored ? [fillStored] : [] };
        if (sql.startsWith("SELECT status FROM fills")) return { rows: [{ status: "CONFIRMED" }] };
        if (sql.includes("UPDATE trades SET")) return { rows: [{ trade_id: POSITION_ID }] };
        return { rows: [] };
      },
    } as unknown as Pool;
  }
  const position = (
    status: PositionRecord["status"],
    yes: number,
    no: number,
    cost: number,
  ): PositionRecord => ({
    id: POSITION_ID,
    marketSlug: SLUG,
    conditionId: "0x1",
    asset: "BTC",
    yesTokenId: "1",
    noTokenId: "2",
    marketEndAtMs: Date.now() + 60_000,
    status,
    yesShares: m(String(yes)),
    noShares: m(String(no)),
    totalCost: m(String(cost)),
    feesPaid: 0,
  });
  const fill = {
    tradeId: "t1",
    orderId: "o1",
    market: "0x1",
    tokenId: "1",
    side: "BUY" as const,
    role: "TAKER" as const,
    price: m("0.47"),
    size: m("10"),
    fee: 0,
    status: "MATCHED" as const,
    matchedAtMs: 1,
  };

  it("feed positions by state, hedge ratio, guaranteed P&L, cost, and at resolution realized P&L", async () => {
    const db = createDatabaseActivities({ pool: fakePool(undefined) });
    await asActivityOf(POSITION_ID, () => db.upsertPosition(position("OPEN", 10, 0, 4.7)));
    expect(await value("ballast_positions", { asset: "BTC", state: "OPEN" })).toBe(1);
    expect(await value("ballast_position_hedge_ratio", { market: SLUG, asset: "BTC" })).toBe(0);

    await asActivityOf(POSITION_ID, () => db.upsertPosition(position("IMBALANCED", 10, 8, 9.2)));
    expect(await value("ballast_positions", { asset: "BTC", state: "OPEN" })).toBeUndefined();
    expect(await value("ballast_positions", { asset: "BTC", state: "IMBALANCED" })).toBe(1);
    expect(await value("ballast_position_hedge_ratio", { market: SLUG, asset: "BTC" })).toBeCloseTo(0.8);
    // min(10, 8) shares pay 1 pUSD each; 9.2 pUSD paid.
    expect(await value("ballast_pnl_guaranteed_pusd", { market: SLUG, asset: "BTC" })).toBeCloseTo(-1.2);
    expect(await value("ballast_position_cost_pusd", { market: SLUG, asset: "BTC" })).toBeCloseTo(9.2);

    const resolution = {
      positionId: POSITION_ID,
      resolvedAtMs: 2,
      winningOutcome: "YES" as const,
      payout: m("10"),
      actualProfit: m("0.8"),
      finalYesShares: m("10"),
      finalNoShares: m("8"),
    };
    await asActivityOf(POSITION_ID, () => db.resolvePosition(resolution));
    // A retried resolution is not counted twice.
    await asActivityOf(POSITION_ID, () => db.resolvePosition(resolution));
    expect(await value("ballast_positions", { asset: "BTC", state: "IMBALANCED" })).toBeUndefined();
    expect(await value("ballast_position_hedge_ratio", { market: SLUG, asset: "BTC" })).toBeUndefined();
    expect(await value("ballast_pnl_realized_profit_pusd_total", { asset: "BTC" })).toBeCloseTo(0.8);
    expect(await value("ballast_pnl_realized_loss_pusd_total", { asset: "BTC" })).toBeUndefined();
    expect(await value("ballast_position_final_hedge_ratio", { asset: "BTC", le: "0.8" })).toBe(1);
    for (const [state, n] of [
      ["OPEN", 1],
      ["IMBALANCED", 1],
      ["RESOLVED", 1],
    ] as const)
      expect([state, await value("ballast_position_state_changes_total", { asset: "BTC", state })]).toEqual([
        state,
        n,
      ]);
  });

  it("count the fills the ledger takes, once per status, and not a write that changed nothing", async () => {
    await asActivityOf(POSITION_ID, () =>
      createDatabaseActivities({ pool: fakePool({ status: "MATCHED" }) }).upsertFill(fill),
    );
    await asActivityOf(POSITION_ID, () =>
      createDatabaseActivities({ pool: fakePool(undefined) }).upsertFill(fill),
    );
    const labels = { asset: "BTC", side: "BUY", role: "TAKER", status: "MATCHED" };
    expect(await value("ballast_fills_total", labels)).toBe(1);
    expect(await value("ballast_filled_shares_total", labels)).toBe(10);
  });
});

describe("the position book", () => {
  it("forgets a live position a day after its market ended, and counts an abandoned one as finished", () => {
    let now = 0;
    const book = new PositionBook(() => now);
    const write = {
      id: POSITION_ID,
      marketSlug: SLUG,
      asset: "BTC",
      marketEndAtMs: 1_000,
      yesShares: 0,
      noShares: 0,
      totalCost: 0,
    };
    expect(book.upserted({ ...write, status: "OPEN" }).entered).toBe("OPEN");
    expect(book.upserted({ ...write, status: "OPEN" }).entered).toBeUndefined();
    expect(book.byState()).toEqual([{ asset: "BTC", state: "OPEN", count: 1 }]);
    now = 1_000 + FORGET_AFTER_END_MS + 1;
    expect(book.byState()).toEqual([]);
    expect(book.upserted({ ...write, id: "position-x-1", status: "ABANDONED" }).entered).toBe("ABANDONED");
    expect(book.byMarket()).toEqual([]);
  });

  it("sets a market's breaker gauge to 1 for its state and 0 for the others (for the quoter)", async () => {
    setBreakerState({ market: SLUG, asset: "BTC" }, "HALTED");
    expect(await value("ballast_breaker_state", { market: SLUG, state: "HALTED" })).toBe(1);
    expect(await value("ballast_breaker_state", { market: SLUG, state: "NORMAL" })).toBe(0);
  });
});

describe("the streaming worker's counts", () => {
  it("counts signals sent and failed, per signal and asset", async () => {
    let fail = false;
    const signal = countedSignals(async () => {
      if (fail) throw new Error("unavailable");
    });
    await signal(workflowIds.session(SLUG), "marketBook", {});
    await signal(workflowIds.session(SLUG), "marketBook", {});
    fail = true;
    await expect(signal(workflowIds.session(SLUG), "fills", {})).rejects.toThrow("unavailable");
    expect(await value("ballast_signals_sent_total", { signal: "marketBook", asset: "BTC" })).toBe(2);
    expect(await value("ballast_signal_failures_total", { signal: "fills", asset: "BTC" })).toBe(1);
    expect(await value("ballast_signals_sent_total", { signal: "fills", asset: "BTC" })).toBeUndefined();
  });

  it("counts the frames of a channel and its reconnects", async () => {
    const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    await new Promise((resolve) => wss.once("listening", resolve));
    let connections = 0;
    wss.on("connection", (socket) => {
      connections += 1;
      socket.send('[{"event_type":"book"}]');
      socket.send("PONG");
      // The first connection drops after its frames.
      if (connections === 1) setTimeout(() => socket.terminate(), 20);
    });
    const { port } = wss.address() as { port: number };
    const client = new ChannelClient({
      channel: "market",
      url: `ws://127.0.0.1:${port}`,
      assetIds: ["1"],
      backoff: { baseMs: 1, capMs: 5 },
    });
    try {
      const reconnected = new Promise((resolve) => client.once("reconnected", resolve));
      client.start();
      await reconnected;
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await value("ballast_ws_reconnects_total", { channel: "market" })).toBe(1);
      // One data frame per connection; the PONGs are not frames.
      expect(await value("ballast_ws_frames_received_total", { channel: "market" })).toBe(2);
    } finally {
      await client.close();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});

describe("the /metrics endpoint", () => {
  let sdk: Server;
  let sdkUrl: string;
  beforeAll(async () => {
    sdk = createHttpServer((_, res) =>
      res.end('# TYPE temporal_num_pollers gauge\ntemporal_num_pollers{poller_type="activity_task"} 5\n'),
    );
    await new Promise<void>((resolve) => sdk.listen(0, "127.0.0.1", resolve));
    sdkUrl = `http://127.0.0.1:${(sdk.address() as { port: number }).port}/metrics`;
  });
  afterAll(() => new Promise((resolve) => sdk.close(resolve)));

  it("serves Ballast's registry followed by the Temporal SDK's metrics, on a free port with METRICS_PORT=0", async () => {
    const server = await startMetricsServer({ port: 0, sdkMetricsUrl: sdkUrl });
    try {
      expect(server.port).toBeGreaterThan(0);
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      expect(text).toContain("# TYPE ballast_order_placements_total counter");
      expect(text).toMatch(/^process_cpu_seconds_total /m);
      expect(text).toMatch(/\ntemporal_num_pollers\{poller_type="activity_task"\} 5\n$/);
      expect((await fetch(server.url.replace("/metrics", "/"))).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("still serves Ballast's metrics when the SDK's exporter does not answer, and says so", async () => {
    const deadUrl = `http://127.0.0.1:${await freeLoopbackPort()}/metrics`;
    const server = await startMetricsServer({ port: 0, sdkMetricsUrl: deadUrl, registry: new Registry() });
    try {
      const text = await (await fetch(server.url)).text();
      expect(text).toMatch(/^# Temporal SDK metrics unavailable: /m);
    } finally {
      await server.close();
    }
  });

  it("moves to a free port, with a warning, when METRICS_PORT is taken", async () => {
    const taken = createTcpServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    const port = (taken.address() as { port: number }).port;
    const warnings: string[] = [];
    const logger = { info() {}, warn: (_: object, message: string) => warnings.push(message) };
    const server = await startMetricsServer({ port, logger, registry: new Registry() });
    try {
      expect(server.port).not.toBe(port);
      expect(warnings).toEqual([
        `METRICS_PORT ${port} is in use: serving /metrics on port ${server.port} instead`,
      ]);
      expect((await fetch(server.url)).status).toBe(200);
    } finally {
      await server.close();
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("gives the SDK's exporter another loopback port while the one tried is taken", async () => {
    const tried: string[] = [];
    const { installed, url } = await withSdkMetricsAddress((address) => {
      tried.push(address);
      if (tried.length < 3)
        throw new Error("Failed to start prometheus metrics exporter: Address already in use (os error 98)");
      return "runtime";
    });
    expect(installed).toBe("runtime");
    expect(tried).toHaveLength(3);
    expect(tried.every((a) => /^127\.0\.0\.1:\d+$/.test(a))).toBe(true);
    expect(url).toBe(`http://${tried[2]}/metrics`);
    await expect(
      withSdkMetricsAddress(() => {
        throw new Error("bad options");
      }),
    ).rejects.toThrow("bad options");
  });

  it("gives the workers of `ballast start` the next ports (0 stays 0: each picks a free one)", () => {
    expect([childMetricsPort(9464, 1), childMetricsPort(9464, 2)]).toEqual([9465, 9466]);
    expect(childMetricsPort(0, 2)).toBe(0);
    expect(childMetricsPort(65_535, 1)).toBe(0);
  });
});
