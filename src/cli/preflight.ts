/**
 * The checks `ballast start` makes before it starts anything: what it needs is there (the Temporal
 * CLI, a writable data directory, a reachable DATABASE_URL) and its ports are free. Every problem is
 * found at once and reported on one line.
 */
import { accessSync, constants, mkdirSync } from "node:fs";
import { Client } from "pg";
import { redactUrl } from "../db/database";
import { temporalCliPath } from "../temporal/binaries";
import { checkPortFree } from "../temporal/dev-server";

export class PreflightError extends Error {
  constructor(readonly problems: string[]) {
    super(`cannot start: ${problems.join("; ")}`);
    this.name = "PreflightError";
  }
}

/** An error's text, also for errors whose message is empty (an AggregateError of every address tried). */
export function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { errors?: unknown[] };
  if (e?.message) return e.message;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return e.errors.map(errorText).join(", ");
  return e?.code ?? String(err);
}

/** Connects to the database and runs `SELECT 1`, within `timeoutMs`. */
export async function checkDatabase(url: string, timeoutMs = 5_000): Promise<void> {
  let client: Client;
  try {
    client = new Client({
      connectionString: url,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });
  } catch (err) {
    throw new Error(`DATABASE_URL ${redactUrl(url)} is not usable: ${errorText(err)}`);
  }
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    throw new Error(`DATABASE_URL ${redactUrl(url)} is not usable: ${errorText(err)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface StackNeeds {
  dataDir: string;
  /** host:port the parts listen on, with what they are for the message. */
  listen: { host: string; port: number; what: string }[];
  databaseUrl?: string | undefined;
}

/** Runs every check; throws one PreflightError naming every problem. */
export async function preflight(needs: StackNeeds): Promise<void> {
  const byPort = new Map<string, string>();
  const clashes: string[] = [];
  for (const { host, port, what } of needs.listen) {
    const other = byPort.get(`${host}:${port}`);
    if (other) clashes.push(`${what} and ${other} are both set to ${host}:${port}`);
    else byPort.set(`${host}:${port}`, what);
  }
  if (clashes.length > 0) throw new PreflightError(clashes);
  const checks: Promise<void>[] = [
    (async () => {
      temporalCliPath();
    })(),
    (async () => {
      try {
        mkdirSync(needs.dataDir, { recursive: true });
        accessSync(needs.dataDir, constants.W_OK);
      } catch (err) {
        throw new Error(`the data directory ${needs.dataDir} is not writable: ${errorText(err)}`);
      }
    })(),
    ...needs.listen.map(({ host, port, what }) =>
      checkPortFree(host, port).catch((err: NodeJS.ErrnoException) => {
        throw new Error(
          `${host}:${port} (${what}) ${err.code === "EADDRINUSE" ? "is in use" : `cannot be listened on: ${errorText(err)}`}`,
        );
      }),
    ),
    ...(needs.databaseUrl ? [checkDatabase(needs.databaseUrl)] : []),
  ];
  const results = await Promise.allSettled(checks);
  const problems = results.flatMap((r) => (r.status === "rejected" ? [errorText(r.reason)] : []));
  if (problems.length > 0) throw new PreflightError(problems);
}
