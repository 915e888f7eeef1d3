import { runAnalysis } from "../../src/db/analysis";
import type { Database } from "../../src/db/database";
import { migrateUp } from "../../src/db/migrate";
import { freshDatabase } from "../helpers/database";

async function insertPosition(
  db: Database,
  id: string,
  t: { balancedAfterSec?: number; needsRebalance: boolean; latencyMs: number },
) {
  await db.pool.query(
    `INSERT INTO trades (id, market_slug, condition_id, asset, yes_token_id, no_token_id, market_end_at,
                         yes_price, no_price, yes_shares, no_shares, total_cost, spread)
     VALUES ($1, 'btc-updown-15m-1767200400', '0xcond', 'BTC', 'up-token', 'down-token', '2025-12-31T17:15:00Z',
             '0.48', '0.49', '10', '6', '7.74', '0.03')`,
    [id],
  );
  await db.pool.query(
    `INSERT INTO trade_telemetry (trade_id, opportunity_detected_at, order_placed_at, order_filled_at,
        execution_latency_ms, rebalance_started_at, rebalance_attempts, position_balanced_at)
     VALUES ($1, '2025-12-31T17:01:00Z', '2025-12-31T17:01:00Z'::timestamptz + make_interval(secs => $2::double precision / 1000),
             '2025-12-31T17:01:01Z', $2::double precision, $3::timestamptz, $4::int,
             '2025-12-31T17:01:01Z'::timestamptz + make_interval(secs => $5::double precision))`,
    [
      id,
      t.latencyMs,
      t.needsRebalance ? "2025-12-31T17:01:01Z" : null,
      t.needsRebalance ? 2 : 0,
      t.balancedAfterSec ?? null,
    ],
  );
}

describe("database schema and the seed's analysis queries", () => {
  let db: Database & { label: string };

  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("migrates once and is idempotent", async () => {
    expect(await migrateUp(db.pool)).toEqual([]);
    const { rows } = await db.pool.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(["fills", "orders", "rebalance_trades", "trade_telemetry", "trades"]),
    );
  });

  it("stores money exactly as numeric and times as timestamptz", async () => {
    await insertPosition(db, "pos-exact", { needsRebalance: false, latencyMs: 12.5 });
    const { rows } = await db.pool.query(
      "SELECT yes_price, total_cost, yes_price + no_price AS pair, market_end_at FROM trades WHERE id = 'pos-exact'",
    );
    expect(rows[0]).toMatchObject({ yes_price: "0.480000", total_cost: "7.740000", pair: "0.970000" });
    expect(rows[0].market_end_at).toBeInstanceOf(Date);
    expect((rows[0].market_end_at as Date).toISOString()).toBe("2025-12-31T17:15:00.000Z");
  });

  it("rejects values outside the domain", async () => {
    await expect(
      db.pool.query(
        "INSERT INTO orders (id, market, token_id, side, price, size, order_type, status) VALUES ('0x1', 'm', 't', 'HOLD', 0.5, 5, 'GTC', 'LIVE')",
      ),
    ).rejects.toThrow(/check constraint/);
    await expect(
      db.pool.query(
        "INSERT INTO rebalance_trades (trade_id, attempted_at, action, shares, price, status) VALUES ('nope', now(), 'SELL_YES', 1, 0.5, 'SUCCESS')",
      ),
    ).rejects.toThrow(/foreign key/);
  });

  it("keeps one fill per (venue trade, our order) and one order per hash", async () => {
    const fill = `INSERT INTO fills (trade_id, order_id, market, token_id, side, role, price, size, fee, status, matched_at)
                  VALUES ('t-1', '0xabc', 'm', 'up', 'BUY', 'TAKER', 0.48, 10, 0.12, 'MATCHED', now())
                  ON CONFLICT (trade_id, order_id) DO UPDATE SET status = EXCLUDED.status`;
    await db.pool.query(fill);
    await db.pool.query(fill);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM fills WHERE trade_id = 't-1'");
    expect(rows[0].n).toBe(1);
  });

  it("answers the seed's analysis queries", async () => {
    await insertPosition(db, "pos-fast", { needsRebalance: true, balancedAfterSec: 30, latencyMs: 20 });
    await insertPosition(db, "pos-slow", { needsRebalance: true, balancedAfterSec: 400, latencyMs: 40 });
    await insertPosition(db, "pos-never", { needsRebalance: true, latencyMs: 60 });
    await db.pool.query(
      "UPDATE trade_telemetry SET position_balanced_at = NULL WHERE trade_id = 'pos-never'",
    );
    const [latency, rebalancing, buckets] = await runAnalysis(db.pool);
    expect(latency?.rows[0]).toMatchObject({
      total_trades: "4",
      min_latency_ms: "12.5",
      max_latency_ms: "60.0",
    });
    expect(latency?.rows[0]?.avg_latency_ms).toBe("33.1");
    expect(rebalancing?.rows[0]).toMatchObject({
      total_needing_rebalance: "3",
      successfully_balanced: "2",
      avg_attempts: "2.00",
    });
    expect(buckets?.rows).toEqual([
      { time_bucket: "< 1 min", count: "1" },
      { time_bucket: "> 5 min", count: "1" },
    ]);
  });
});
