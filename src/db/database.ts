/**
 * Ballast's one data-access path: a `pg` Pool.
 *
 * - DATABASE_URL set: that PostgreSQL server.
 * - Unset: the embedded default. PGlite (real Postgres compiled to WASM) persisted under
 *   `<dataDir>/pglite`, served over the Postgres wire protocol on a loopback port by
 *   @electric-sql/pglite-socket, so the very same `pg` code talks to it.
 *
 * Either way the schema is brought up to date by the migrations in ./migrations.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Pool } from "pg";
import type { Logger } from "../log";
import { migrateUp } from "./migrate";

export interface Database {
  pool: Pool;
  kind: "postgres" | "embedded";
  /** The connection URL other processes can use (the embedded server's loopback URL). */
  url: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A postgres:// URL; absent means the embedded database. */
  url?: string | undefined;
  /** Where the embedded database lives; "memory://" keeps it in memory (tests). */
  dataDir?: string;
  /** Port for the embedded server; 0 picks a free one. */
  port?: number;
  migrate?: boolean;
  logger?: Logger;
  poolSize?: number;
}

export class DatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseError";
  }
}

/** The URL with any password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable database URL)";
  }
}

async function startEmbedded(dataDir: string, port: number, logger?: Logger) {
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const location = dataDir === "memory://" ? undefined : path.resolve(dataDir, "pglite");
  if (location) mkdirSync(location, { recursive: true });
  const db = await PGlite.create(location ? { dataDir: location } : {});
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 16 });
  await server.start();
  const address = server.getServerConn();
  const url = `postgres://postgres@${address}/postgres?sslmode=disable`;
  logger?.info({ dataDir: location ?? "memory", url }, "embedded Postgres (PGlite) listening");
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const { logger } = options;
  let embedded: Awaited<ReturnType<typeof startEmbedded>> | undefined;
  let url = options.url;
  if (!url) {
    embedded = await startEmbedded(options.dataDir ?? ".data", options.port ?? 0, logger);
    url = embedded.url;
  }
  const pool = new Pool({
    connectionString: url,
    // PGlite is one backend behind a multiplexer; a small pool avoids queueing surprises.
    max: options.poolSize ?? (embedded ? 4 : 10),
    connectionTimeoutMillis: 10_000,
  });
  pool.on("error", (err) => logger?.error({ err }, "idle database connection failed"));
  const close = async () => {
    await pool.end();
    await embedded?.stop();
  };
  try {
    await pool.query("SELECT 1");
    if (options.migrate !== false) await migrateUp(pool, logger);
  } catch (err) {
    await close().catch(() => undefined);
    throw new DatabaseError(`cannot use the database at ${redactUrl(url)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { pool, kind: embedded ? "embedded" : "postgres", url, close };
}
