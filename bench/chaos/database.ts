/**
 * One trial's database: a fresh database on the PostgreSQL server of DATABASE_URL (CI runs a real one),
 * or else a fresh embedded PGlite in its own process (bench/latency-db.ts: PGlite runs on the JavaScript
 * thread of whatever hosts it, and this process hosts the venue, whose clock must not stall). Either way
 * it outlives the trial's workers, as a real database outlives the processes that use it.
 */
import { fork } from "node:child_process";
import path from "node:path";
import { Pool } from "pg";
import { freshDatabase } from "../../tests/helpers/database";

export interface TrialDatabase {
  url: string;
  pool: Pool;
  label: string;
  close(): Promise<void>;
}

export async function trialDatabase(): Promise<TrialDatabase> {
  if (process.env.DATABASE_URL) {
    const db = await freshDatabase();
    return { url: db.url, pool: db.pool, label: db.label, close: () => db.close() };
  }
  const child = fork(path.join(__dirname, "..", "latency-db.ts"), [], {
    execArgv: ["--require", "tsx/cjs"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { url: string }).url));
    child.once("exit", (code) => reject(new Error(`the database process exited (${code})`)));
  });
  const pool = new Pool({ connectionString: url, max: 2 });
  pool.on("error", () => undefined);
  return {
    url,
    pool,
    label: "embedded PGlite (child process)",
    async close() {
      await pool.end().catch(() => undefined);
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
        child.once("exit", () => {
          clearTimeout(force);
          resolve();
        });
        child.kill("SIGTERM");
      });
    },
  };
}
