import { ApplicationFailure } from "@temporalio/common";
import { createDatabaseActivities } from "../../activities/database";
import type { Database } from "../../src/db/database";
import {
  type FillRecord,
  getFill,
  getOrder,
  getPosition,
  getTelemetry,
  listRebalanceTrades,
  type OrderRecord,
  PositionNotFoundError,
  type PositionRecord,
  recordRebalanceTrade,
  resolvePosition,
  upsertFill,
  upsertOrder,
  upsertPosition,
  upsertTelemetry,
} from "../../src/db/positions";
import { freshDatabase } from "../helpers/database";
import { STATUS_REPLACES } from "../strategy/trade-status-cases";

const T0 = Date.parse("2025-12-31T17:01:00.000Z");
const END = Date.parse("2025-12-31T17:15:00.000Z");

function position(id: string, over: Partial<PositionRecord> = {}): PositionRecord {
  return {
    id,
    marketSlug: "btc-updown-15m-1767200400",
    conditionId: "0xcond",
    asset: "BTC",
    yesTokenId: "up-token",
    noTokenId: "down-token",
    marketEndAtMs: END,
    status: "IMBALANCED",
    spread: 30_000,
    yesPrice: 480_000,
    noPrice: 490_000,
    yesShares: 10_000_000,
    noShares: 6_000_000,
    totalCost: 7_740_000,
    feesPaid: 0,
    createdAtMs: T0,
    ...over,
  };
}

async function count(db: Database, table: string): Promise<number> {
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

describe("position ledger repository", () => {
  let db: Database & { label: string };

  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("stores a position with exact money and reads it back as micros", async () => {
    await upsertPosition(db.pool, position("p-exact"));
    const { rows } = await db.pool.query(
      "SELECT yes_price, no_price, total_cost, spread, yes_shares, market_end_at, status, strategy, rebalance_status FROM trades WHERE id = 'p-exact'",
    );
    expect(rows[0]).toMatchObject({
      yes_price: "0.480000",
      no_price: "0.490000",
      total_cost: "7.740000",
      spread: "0.030000",
      yes_shares: "10.000000",
      status: "IMBALANCED",
      strategy: "arbitrage",
      rebalance_status: "not_needed",
    });
    expect((rows[0].market_end_at as Date).toISOString()).toBe("2025-12-31T17:15:00.000Z");
    const stored = await getPosition(db.pool, "p-exact");
    expect(stored).toMatchObject({
      yesPrice: 480_000,
      noPrice: 490_000,
      totalCost: 7_740_000,
      yesShares: 10_000_000,
      noShares: 6_000_000,
      marketEndAtMs: END,
      createdAtMs: T0,
      resolvedAtMs: null,
      finalHedgeRatio: null,
    });
    // 1e-6 precision survives: no float anywhere on the way.
    await upsertPosition(db.pool, position("p-exact", { totalCost: 123_456_789_012_345 }));
    expect((await getPosition(db.pool, "p-exact"))?.totalCost).toBe(123_456_789_012_345);
  });

  it("upserts a position idempotently and keeps what an update does not know", async () => {
    const rebalanced = position("p-upd", {
      status: "BALANCED",
      noShares: 10_000_000,
      totalCost: 9_580_000,
      rebalanceStatus: "completed",
      rebalanceAction: "BUY_NO",
      rebalanceShares: 4_000_000,
      rebalancePrice: 460_000,
      rebalanceProfit: 420_000,
      rebalancedAtMs: T0 + 121_000,
    });
    await upsertPosition(db.pool, position("p-upd"));
    await upsertPosition(db.pool, rebalanced);
    const first = await getPosition(db.pool, "p-upd");
    await upsertPosition(db.pool, rebalanced);
    expect(await getPosition(db.pool, "p-upd")).toEqual(first);
    expect(first).toMatchObject({
      status: "BALANCED",
      noShares: 10_000_000,
      rebalanceAction: "BUY_NO",
      rebalanceProfit: 420_000,
      rebalancedAtMs: T0 + 121_000,
    });
    // A later state without the rebalance fields (and a different createdAt) keeps them.
    await upsertPosition(
      db.pool,
      position("p-upd", { status: "BALANCED", noShares: 10_000_000, createdAtMs: T0 + 5 }),
    );
    expect(await getPosition(db.pool, "p-upd")).toMatchObject({
      rebalanceStatus: "completed",
      rebalanceAction: "BUY_NO",
      rebalancePrice: 460_000,
      totalCost: 7_740_000,
      createdAtMs: T0,
    });
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM trades WHERE id = 'p-upd'");
    expect(rows[0].n).toBe(1);
  });

  it("accumulates telemetry, derives latencies and hedge ratios, and never lowers the attempt count", async () => {
    await upsertPosition(db.pool, position("p-tel"));
    await upsertTelemetry(db.pool, {
      positionId: "p-tel",
      opportunityDetectedAtMs: T0,
      opportunitySpread: 30_000,
      opportunityYesPrice: 480_000,
      opportunityNoPrice: 490_000,
    });
    const filled = {
      positionId: "p-tel",
      orderPlacedAtMs: T0 + 42,
      orderFilledAtMs: T0 + 1_042,
      initialYesShares: 10_000_000,
      initialNoShares: 6_000_000,
      initialCost: 7_740_000,
      rebalanceStartedAtMs: T0 + 1_042,
      rebalanceAttempts: 2,
    };
    await upsertTelemetry(db.pool, filled);
    const first = await getTelemetry(db.pool, "p-tel");
    expect(first).toEqual({
      positionId: "p-tel",
      opportunityDetectedAtMs: T0,
      opportunitySpread: 30_000,
      opportunityYesPrice: 480_000,
      opportunityNoPrice: 490_000,
      orderPlacedAtMs: T0 + 42,
      orderFilledAtMs: T0 + 1_042,
      executionLatencyMs: 42,
      fillLatencyMs: 1_000,
      initialYesShares: 10_000_000,
      initialNoShares: 6_000_000,
      initialHedgeRatio: 600_000,
      initialCost: 7_740_000,
      rebalanceStartedAtMs: T0 + 1_042,
      rebalanceAttempts: 2,
      positionBalancedAtMs: null,
      resolvedAtMs: null,
      finalYesShares: null,
      finalNoShares: null,
      finalHedgeRatio: null,
      actualProfit: null,
    });
    const { rows } = await db.pool.query(
      "SELECT initial_hedge_ratio, initial_cost FROM trade_telemetry WHERE trade_id = 'p-tel'",
    );
    expect(rows[0]).toEqual({ initial_hedge_ratio: "0.600000", initial_cost: "7.740000" });
    // Repeats change nothing; a stale attempt count does not go back.
    await upsertTelemetry(db.pool, filled);
    await upsertTelemetry(db.pool, { positionId: "p-tel", rebalanceAttempts: 1 });
    expect(await getTelemetry(db.pool, "p-tel")).toEqual(first);
    await upsertTelemetry(db.pool, {
      positionId: "p-tel",
      rebalanceAttempts: 3,
      positionBalancedAtMs: T0 + 121_042,
    });
    expect(await getTelemetry(db.pool, "p-tel")).toMatchObject({
      rebalanceAttempts: 3,
      positionBalancedAtMs: T0 + 121_042,
      executionLatencyMs: 42,
    });
    expect(await count(db, "trade_telemetry WHERE trade_id = 'p-tel'")).toBe(1);
  });

  it("records each rebalancing attempt once, with its latest result", async () => {
    await upsertPosition(db.pool, position("p-reb"));
    const attempt = {
      positionId: "p-reb",
      attemptedAtMs: T0 + 120_000,
      action: "BUY_NO" as const,
      shares: 4_000_000,
      price: 460_000,
      status: "PARTIAL" as const,
      filledShares: 1_000_000,
    };
    const id = await recordRebalanceTrade(db.pool, attempt);
    expect(await recordRebalanceTrade(db.pool, attempt)).toBe(id);
    const done = {
      ...attempt,
      status: "SUCCESS" as const,
      filledShares: 4_000_000,
      profit: 420_000,
      orderId: "0xo",
    };
    expect(await recordRebalanceTrade(db.pool, done)).toBe(id);
    expect(await recordRebalanceTrade(db.pool, done)).toBe(id);
    // Same time, other action: another attempt.
    const other = await recordRebalanceTrade(db.pool, {
      ...attempt,
      action: "SELL_YES",
      status: "FAILED",
      filledShares: 0,
    });
    expect(other).not.toBe(id);
    expect(await listRebalanceTrades(db.pool, "p-reb")).toEqual([
      { id, ...done },
      {
        id: other,
        ...attempt,
        action: "SELL_YES",
        status: "FAILED",
        filledShares: 0,
        profit: null,
        orderId: null,
      },
    ]);
    const { rows } = await db.pool.query("SELECT price, profit FROM rebalance_trades WHERE id = $1", [id]);
    expect(rows[0]).toEqual({ price: "0.460000", profit: "0.420000" });
  });

  it("upserts orders by hash: the newest status wins, a final one is not reopened, matched size only grows", async () => {
    const order: OrderRecord = {
      id: "0xorder",
      market: "0xcond",
      tokenId: "up-token",
      side: "BUY",
      price: 480_000,
      size: 10_000_000,
      orderType: "GTC",
      status: "LIVE",
      sizeMatched: 0,
      workflowId: "wf-1",
      positionId: "p-exact",
      createdAtMs: T0,
      updatedAtMs: T0,
    };
    await upsertOrder(db.pool, order);
    await upsertOrder(db.pool, order);
    expect(await count(db, "orders WHERE id = '0xorder'")).toBe(1);
    expect(await getOrder(db.pool, "0xorder")).toEqual({
      ...order,
      postOnly: false,
      error: null,
      expiresAtMs: null,
    });
    await upsertOrder(db.pool, { ...order, status: "LIVE", sizeMatched: 4_000_000, updatedAtMs: T0 + 10 });
    await upsertOrder(db.pool, {
      ...order,
      status: "MATCHED",
      sizeMatched: 10_000_000,
      updatedAtMs: T0 + 20,
    });
    // Stale (older) and reopening (newer but not final) updates do not change the status.
    await upsertOrder(db.pool, { ...order, status: "LIVE", sizeMatched: 4_000_000, updatedAtMs: T0 + 10 });
    await upsertOrder(db.pool, { ...order, status: "LIVE", sizeMatched: 0, updatedAtMs: T0 + 30 });
    expect(await getOrder(db.pool, "0xorder")).toMatchObject({
      status: "MATCHED",
      sizeMatched: 10_000_000,
      updatedAtMs: T0 + 30,
      workflowId: "wf-1",
    });
    const { rows } = await db.pool.query("SELECT price, size_matched FROM orders WHERE id = '0xorder'");
    expect(rows[0]).toEqual({ price: "0.480000", size_matched: "10.000000" });
  });

  it("moves a fill's status forward only", async () => {
    const fill: FillRecord = {
      tradeId: "venue-trade-1",
      orderId: "0xorder",
      market: "0xcond",
      tokenId: "up-token",
      side: "BUY",
      role: "TAKER",
      price: 480_000,
      size: 10_000_000,
      fee: 123_456,
      status: "MATCHED",
      matchedAtMs: T0,
      updatedAtMs: T0,
    };
    const at = (status: FillRecord["status"], dt: number) => ({ ...fill, status, updatedAtMs: T0 + dt });
    expect(await upsertFill(db.pool, fill)).toEqual({ status: "MATCHED", changed: true });
    expect(await upsertFill(db.pool, fill)).toEqual({ status: "MATCHED", changed: false });
    expect(await upsertFill(db.pool, at("RETRYING", 1))).toEqual({ status: "RETRYING", changed: true });
    expect(await upsertFill(db.pool, at("MATCHED", 2))).toEqual({ status: "RETRYING", changed: false });
    expect(await upsertFill(db.pool, at("MINED", 3))).toEqual({ status: "MINED", changed: true });
    expect(await upsertFill(db.pool, at("RETRYING", 4))).toEqual({ status: "MINED", changed: false });
    expect(await upsertFill(db.pool, at("MATCHED", 5))).toEqual({ status: "MINED", changed: false });
    expect(await upsertFill(db.pool, at("CONFIRMED", 6))).toEqual({ status: "CONFIRMED", changed: true });
    expect(await upsertFill(db.pool, at("FAILED", 7))).toEqual({ status: "CONFIRMED", changed: false });
    expect(await upsertFill(db.pool, at("MINED", 8))).toEqual({ status: "CONFIRMED", changed: false });
    expect(await getFill(db.pool, "venue-trade-1", "0xorder")).toEqual({
      ...fill,
      status: "CONFIRMED",
      updatedAtMs: T0 + 6,
    });
    const { rows } = await db.pool.query("SELECT fee, price FROM fills WHERE trade_id = 'venue-trade-1'");
    expect(rows).toEqual([{ fee: "0.123456", price: "0.480000" }]);

    // FAILED is final as well.
    const other = { ...fill, tradeId: "venue-trade-2" };
    await upsertFill(db.pool, other);
    expect(await upsertFill(db.pool, { ...other, status: "FAILED" })).toEqual({
      status: "FAILED",
      changed: true,
    });
    expect(await upsertFill(db.pool, { ...other, status: "CONFIRMED" })).toEqual({
      status: "FAILED",
      changed: false,
    });
    expect(await upsertFill(db.pool, { ...other, status: "MATCHED" })).toEqual({
      status: "FAILED",
      changed: false,
    });
    expect(await count(db, "fills WHERE order_id = '0xorder'")).toBe(2);
  });

  it("changes a fill's status exactly as the position ledger does (the shared expectations)", async () => {
    let n = 0;
    for (const [current, next, replaces] of STATUS_REPLACES) {
      n += 1;
      const fill: FillRecord = {
        tradeId: `status-case-${n}`,
        orderId: "0xstatus",
        market: "0xcond",
        tokenId: "up-token",
        side: "BUY",
        role: "TAKER",
        price: 480_000,
        size: 10_000_000,
        fee: 364_000,
        status: current,
        matchedAtMs: T0,
        updatedAtMs: T0,
      };
      expect(await upsertFill(db.pool, fill)).toEqual({ status: current, changed: true });
      const result = await upsertFill(db.pool, { ...fill, status: next, updatedAtMs: T0 + 1 });
      expect([current, next, result]).toEqual([
        current,
        next,
        { status: replaces ? next : current, changed: replaces },
      ]);
      expect((await getFill(db.pool, fill.tradeId, fill.orderId))?.status).toBe(replaces ? next : current);
    }
  });

  it("stores a position that ended UNRESOLVED (no resolution by its deadline)", async () => {
    await upsertPosition(db.pool, position("p-unresolved", { status: "UNRESOLVED" }));
    expect((await getPosition(db.pool, "p-unresolved"))?.status).toBe("UNRESOLVED");
  });

  it("resolves a position and its telemetry, idempotently and finally", async () => {
    await upsertPosition(
      db.pool,
      position("p-res", { status: "BALANCED", noShares: 10_000_000, totalCost: 9_580_000 }),
    );
    await upsertTelemetry(db.pool, {
      positionId: "p-res",
      initialYesShares: 10_000_000,
      initialNoShares: 6_000_000,
    });
    const resolution = {
      positionId: "p-res",
      resolvedAtMs: END + 60_000,
      winningOutcome: "NO" as const,
      payout: 10_000_000,
      actualProfit: 420_000,
      finalYesShares: 10_000_000,
      finalNoShares: 10_000_000,
    };
    await resolvePosition(db.pool, resolution);
    const first = await getPosition(db.pool, "p-res");
    const firstTelemetry = await getTelemetry(db.pool, "p-res");
    await resolvePosition(db.pool, resolution);
    expect(await getPosition(db.pool, "p-res")).toEqual(first);
    expect(await getTelemetry(db.pool, "p-res")).toEqual(firstTelemetry);
    expect(first).toMatchObject({
      status: "RESOLVED",
      resolvedAtMs: END + 60_000,
      winningOutcome: "NO",
      payout: 10_000_000,
      actualProfit: 420_000,
      finalYesShares: 10_000_000,
      finalNoShares: 10_000_000,
      finalHedgeRatio: 1_000_000,
    });
    expect(firstTelemetry).toMatchObject({
      resolvedAtMs: END + 60_000,
      finalYesShares: 10_000_000,
      finalNoShares: 10_000_000,
      finalHedgeRatio: 1_000_000,
      actualProfit: 420_000,
      initialHedgeRatio: 600_000,
    });
    const { rows } = await db.pool.query(
      "SELECT t.actual_profit, t.final_hedge_ratio, tt.actual_profit AS tel_profit FROM trades t JOIN trade_telemetry tt ON tt.trade_id = t.id WHERE t.id = 'p-res'",
    );
    expect(rows[0]).toEqual({
      actual_profit: "0.420000",
      final_hedge_ratio: "1.000000",
      tel_profit: "0.420000",
    });
    // A late state write (e.g. a retried activity from before resolution) leaves the resolved position alone.
    await upsertPosition(db.pool, position("p-res", { status: "BALANCED", yesShares: 1 }));
    expect(await getPosition(db.pool, "p-res")).toEqual(first);
    // Telemetry without a row yet is created by the resolution.
    await upsertPosition(db.pool, position("p-res-2"));
    await resolvePosition(db.pool, { ...resolution, positionId: "p-res-2", finalNoShares: 6_000_000 });
    expect(await getTelemetry(db.pool, "p-res-2")).toMatchObject({
      finalHedgeRatio: 600_000,
      rebalanceAttempts: 0,
    });
    await expect(resolvePosition(db.pool, { ...resolution, positionId: "nope" })).rejects.toThrow(
      PositionNotFoundError,
    );
  });

  describe("activities", () => {
    it("wrap the repository with JSON data in and out", async () => {
      const acts = createDatabaseActivities({ pool: db.pool });
      const p = position("p-act");
      await acts.upsertPosition(JSON.parse(JSON.stringify(p)));
      await acts.upsertTelemetry({
        positionId: "p-act",
        initialYesShares: 10_000_000,
        initialNoShares: 6_000_000,
      });
      const id = await acts.recordRebalanceTrade({
        positionId: "p-act",
        attemptedAtMs: T0,
        action: "SELL_YES",
        shares: 4_000_000,
        price: 520_000,
        status: "SUCCESS",
        filledShares: 4_000_000,
        profit: 160_000,
      });
      expect(typeof id).toBe("number");
      await acts.upsertOrder({
        id: "0xact",
        market: "0xcond",
        tokenId: "up-token",
        side: "SELL",
        price: 520_000,
        size: 4_000_000,
        orderType: "FAK",
        status: "MATCHED",
        sizeMatched: 4_000_000,
      });
      const fill = await acts.upsertFill({
        tradeId: "venue-trade-act",
        orderId: "0xact",
        market: "0xcond",
        tokenId: "up-token",
        side: "SELL",
        role: "TAKER",
        price: 520_000,
        size: 4_000_000,
        fee: 0,
        status: "MATCHED",
        matchedAtMs: T0,
      });
      expect(JSON.parse(JSON.stringify(fill))).toEqual({ status: "MATCHED", changed: true });
      await acts.resolvePosition({
        positionId: "p-act",
        resolvedAtMs: END,
        winningOutcome: "YES",
        payout: 6_000_000,
        actualProfit: 420_000,
        finalYesShares: 6_000_000,
        finalNoShares: 6_000_000,
      });
      expect((await getPosition(db.pool, "p-act"))?.status).toBe("RESOLVED");
      expect((await acts.checkDatabase()).schemaVersion).toBe("1764000000000_unresolved-status");
    });

    it("fail non-retryably when the ledger refuses a write, retryably otherwise", async () => {
      const acts = createDatabaseActivities({ pool: db.pool });
      const resolution = {
        positionId: "missing",
        resolvedAtMs: END,
        winningOutcome: "YES" as const,
        payout: 0,
        actualProfit: 0,
        finalYesShares: 0,
        finalNoShares: 0,
      };
      const notFound = await acts.resolvePosition(resolution).catch((e: unknown) => e);
      expect(notFound).toBeInstanceOf(ApplicationFailure);
      expect(notFound).toMatchObject({ type: "PositionNotFound", nonRetryable: true });
      // Telemetry for a position that does not exist: a foreign key violation.
      const fk = await acts.upsertTelemetry({ positionId: "missing" }).catch((e: unknown) => e);
      expect(fk).toMatchObject({ type: "LedgerRejected", nonRetryable: true });
      // A value outside a column's domain.
      const bad = await acts
        .upsertPosition({ ...position("p-bad"), status: "HALF" as "OPEN" })
        .catch((e: unknown) => e);
      expect(bad).toMatchObject({ type: "LedgerRejected", nonRetryable: true });
      // A connection problem is left to Temporal's retry policy.
      const broken = createDatabaseActivities({
        pool: {
          query: () => Promise.reject(Object.assign(new Error("connection reset"), { code: "ECONNRESET" })),
        },
      } as never);
      const transient = await broken.upsertPosition(position("p-x")).catch((e: unknown) => e);
      expect(transient).not.toBeInstanceOf(ApplicationFailure);
      expect((transient as Error).message).toBe("connection reset");
    });
  });
});
