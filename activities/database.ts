/**
 * Database activities: thin adapters over the pg Pool, created by a factory that receives it.
 * Arguments and results are plain JSON data (micros, epoch ms); every write is an idempotent upsert
 * (src/db/positions.ts), so Temporal may retry any of them.
 *
 * Positions, fills and resolutions that are written also feed the metrics (src/metrics: positions by
 * state, hedge ratios, guaranteed and realized P&L, fills): workflows cannot, activities report for them.
 *
 * A write the database refuses for what it is (no such position, a value outside a column's domain)
 * fails non-retryably: retrying it cannot succeed. Connection and other errors stay retryable.
 */
import { ApplicationFailure } from "@temporalio/common";
import type { Pool } from "pg";
import {
  type FillRecord,
  type FillUpsertResult,
  type OrderRecord,
  PositionNotFoundError,
  type PositionRecord,
  type RebalanceTradeRecord,
  type ResolutionRecord,
  recordRebalanceTrade,
  resolvePosition,
  type TelemetryRecord,
  upsertFill,
  upsertOrder,
  upsertPosition,
  upsertTelemetry,
} from "../src/db/positions";
import { recordFill, recordPositionWrite, recordResolution } from "../src/metrics/record";
import { DecimalError } from "../src/money";

export interface DatabaseActivityDeps {
  pool: Pool;
}

export interface DatabaseStatus {
  serverVersion: string;
  serverTime: string;
  schemaVersion: string | null;
}

/** SQLSTATE classes that no retry can fix: 22 data exception, 23 integrity constraint violation. */
function isPermanent(err: unknown): boolean {
  if (err instanceof PositionNotFoundError || err instanceof DecimalError || err instanceof RangeError) {
    return true;
  }
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23"));
}

async function write<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isPermanent(err)) throw err;
    const e = err as Error & { code?: string };
    throw ApplicationFailure.create({
      message: `${what}: ${e.message}`,
      type: e instanceof PositionNotFoundError ? "PositionNotFound" : "LedgerRejected",
      nonRetryable: true,
      details: e.code ? [{ sqlstate: e.code }] : [],
      cause: e,
    });
  }
}

export function createDatabaseActivities({ pool }: DatabaseActivityDeps) {
  return {
    /** Reports the server and the newest applied migration: a liveness check of the whole path. */
    async checkDatabase(): Promise<DatabaseStatus> {
      const { rows } = await pool.query<{ version: string; now: Date }>("SELECT version(), now()");
      const migration = await pool.query<{ name: string }>(
        "SELECT name FROM pgmigrations ORDER BY run_on DESC, id DESC LIMIT 1",
      );
      const row = rows[0];
      if (!row) throw new Error("SELECT version() returned no row");
      return {
        serverVersion: row.version,
        serverTime: row.now.toISOString(),
        schemaVersion: migration.rows[0]?.name ?? null,
      };
    },

    /** Writes a position's current state (a RESOLVED position is left as it is). */
    async upsertPosition(position: PositionRecord): Promise<void> {
      await write(`upsertPosition ${position.id}`, () => upsertPosition(pool, position));
      recordPositionWrite(position);
    },

    /** Merges telemetry into the position's record: nulls keep stored values. */
    async upsertTelemetry(telemetry: TelemetryRecord): Promise<void> {
      await write(`upsertTelemetry ${telemetry.positionId}`, () => upsertTelemetry(pool, telemetry));
    },

    /** Records one rebalancing attempt (keyed by position, attempt time and action); returns its row id. */
    async recordRebalanceTrade(trade: RebalanceTradeRecord): Promise<number> {
      return write(`recordRebalanceTrade ${trade.positionId}`, () => recordRebalanceTrade(pool, trade));
    },

    /** Writes one of our orders (id = order hash); a stale status never replaces a newer one. */
    async upsertOrder(order: OrderRecord): Promise<void> {
      await write(`upsertOrder ${order.id}`, () => upsertOrder(pool, order));
    },

    /** Writes one of our fills; its status only moves forward. Returns the status now stored. */
    async upsertFill(fill: FillRecord): Promise<FillUpsertResult> {
      const result = await write(`upsertFill ${fill.tradeId}/${fill.orderId}`, () => upsertFill(pool, fill));
      if (result.changed) recordFill(fill, result.status);
      return result;
    },

    /** Marks a position RESOLVED and records its outcome in the position and its telemetry. */
    async resolvePosition(resolution: ResolutionRecord): Promise<void> {
      await write(`resolvePosition ${resolution.positionId}`, () => resolvePosition(pool, resolution));
      recordResolution(resolution);
    },
  };
}

export type DatabaseActivities = ReturnType<typeof createDatabaseActivities>;
