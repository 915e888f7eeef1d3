/**
 * The database the tests use: a fresh, empty database on the PostgreSQL server named by
 * DATABASE_URL (CI starts a real one), or the embedded PGlite when DATABASE_URL is unset.
 * CI must not silently fall back to the embedded path.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { type Database, openDatabase } from "../../src/db/database";

export function requireRealPostgresInCi(): void {
  if (process.env.CI && !process.env.DATABASE_URL) {
    throw new Error("CI must run the database tests against a real PostgreSQL: DATABASE_URL is not set");
  }
}

export async function freshDatabase(): Promise<Database & { label: string }> {
  requireRealPostgresInCi();
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const db = await openDatabase({ dataDir: "memory://" });
    return { ...db, label: "embedded PGlite" };
  }
  const name = `ballast_test_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString() });
  return {
    ...db,
    label: "PostgreSQL",
    async close() {
      await db.close();
      const a = new Client({ connectionString: serverUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
