/**
 * Database activities: thin adapters over the pg Pool, created by a factory that receives it.
 */
import type { Pool } from "pg";

export interface DatabaseActivityDeps {
  pool: Pool;
}

export interface DatabaseStatus {
  serverVersion: string;
  serverTime: string;
  schemaVersion: string | null;
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
  };
}

export type DatabaseActivities = ReturnType<typeof createDatabaseActivities>;
