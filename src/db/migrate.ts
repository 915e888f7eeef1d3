import path from "node:path";
import { runner } from "node-pg-migrate";
import type { Pool } from "pg";
import type { Logger } from "../log";

export const MIGRATIONS_DIR = path.join(__dirname, "migrations");

/** Applies every pending migration (plain SQL files in ./migrations) under an advisory lock. */
export async function migrateUp(pool: Pool, logger?: Logger): Promise<string[]> {
  const client = await pool.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      direction: "up",
      migrationsTable: "pgmigrations",
      singleTransaction: true,
      checkOrder: true,
      log: (msg: string) => logger?.debug({ migration: true }, msg),
      verbose: false,
    });
    const names = applied.map((m) => m.name);
    if (names.length > 0) logger?.info({ migrations: names }, "database schema migrated");
    return names;
  } finally {
    client.release();
  }
}
