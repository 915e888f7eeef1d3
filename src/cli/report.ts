/**
 * `ballast report`: the seed's success metrics and analysis queries over the ledger, as aligned tables.
 *
 * Which database: --database-url, else the configuration (DATABASE_URL, else the embedded PGlite under
 * database.dataDir). PGlite has no lock of its own, and two processes opening one data directory would
 * corrupt it, so the embedded path goes by a lock file, `<dataDir>/pglite.lock` ({ pid, url }):
 * - held by a live process that published its server's URL: the report reads through that server;
 * - held without a URL: the report refuses and says who holds it;
 * - free: the report takes the lock for as long as it reads.
 * A process serving the embedded database should hold the same lock (acquireEmbeddedLock, then
 * lock.publish(db.url)), or the report cannot know it is there.
 *
 * The report only reads: it never migrates a database, and says so when one is not at Ballast's schema.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../config/load";
import { runReport as queryReport, type ReportSection } from "../db/analysis";
import { type Database, openDatabase, redactUrl } from "../db/database";
import { MIGRATIONS_DIR } from "../db/migrate";

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportError";
  }
}

// ---------------------------------------------------------------------------------------------------------
// The embedded database's lock file

export interface EmbeddedLockInfo {
  pid: number;
  /** The holder's Postgres wire-protocol URL, once it serves one. */
  url?: string;
  since: string;
}

export interface EmbeddedLock {
  /** Records the URL of the server this process runs on the embedded database. */
  publish(url: string): void;
  release(): void;
}

export class EmbeddedDatabaseBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: EmbeddedLockInfo,
  ) {
    super(
      `the embedded database under ${dataDir} is in use by process ${holder.pid} (since ${holder.since}); ` +
        "PGlite allows one process at a time",
    );
    this.name = "EmbeddedDatabaseBusyError";
  }
}

export function embeddedLockPath(dataDir: string): string {
  return path.resolve(dataDir, "pglite.lock");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The live holder of the embedded database's lock, if any (a stale lock reads as free). */
export function readEmbeddedLock(dataDir: string): EmbeddedLockInfo | undefined {
  let info: EmbeddedLockInfo;
  try {
    info = JSON.parse(readFileSync(embeddedLockPath(dataDir), "utf8")) as EmbeddedLockInfo;
  } catch {
    return undefined;
  }
  return Number.isInteger(info.pid) && info.pid !== process.pid && alive(info.pid) ? info : undefined;
}

/** Takes the embedded database's lock, replacing a stale one; throws EmbeddedDatabaseBusyError if held. */
export function acquireEmbeddedLock(dataDir: string): EmbeddedLock {
  const file = embeddedLockPath(dataDir);
  const info: EmbeddedLockInfo = { pid: process.pid, since: new Date().toISOString() };
  const write = (flag: "wx" | "w") => {
    const fd = openSync(file, flag);
    try {
      writeSync(fd, JSON.stringify(info));
    } finally {
      closeSync(fd);
    }
  };
  for (let attempt = 0; ; attempt++) {
    try {
      write("wx");
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const holder = readEmbeddedLock(dataDir);
      if (holder) throw new EmbeddedDatabaseBusyError(path.resolve(dataDir), holder);
      unlinkSync(file); // stale: its process is gone
    }
  }
  let held = true;
  return {
    publish(url: string) {
      info.url = url;
      if (held) write("w");
    },
    release() {
      if (!held) return;
      held = false;
      try {
        const current = JSON.parse(readFileSync(file, "utf8")) as EmbeddedLockInfo;
        if (current.pid === process.pid) unlinkSync(file);
      } catch {
        // already gone
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Tables

const NUMERIC = /^-?\d+(\.\d+)?$/;

/**
 * Formats one section as an aligned text table: numbers right-aligned, "(no data)" when empty; the
 * section's note, if any, under its title.
 */
export function formatSection(section: ReportSection): string {
  const rows = section.rows.length > 0 ? section.rows : [["(no data)"]];
  const widths = section.columns.map((c, i) =>
    Math.max(c.length, ...section.rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: readonly string[], numericRight: boolean) =>
    cells
      .map((cell, i) => {
        const w = widths[i] ?? cell.length;
        return numericRight && NUMERIC.test(cell) ? cell.padStart(w) : cell.padEnd(w);
      })
      .join("  ")
      .trimEnd();
  return [
    section.title,
    ...(section.note ? [`  (${section.note})`] : []),
    `  ${line(section.columns, false)}`,
    `  ${widths.map((w) => "-".repeat(w)).join("  ")}`,
    ...rows.map((r) => `  ${line(r, section.rows.length > 0)}`),
  ].join("\n");
}

export function formatReport(sections: readonly ReportSection[]): string {
  return `${sections.map(formatSection).join("\n\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// The command

export interface ReportCommandOptions {
  config?: string;
  databaseUrl?: string;
  json?: boolean;
}

export interface ReportIo {
  out(text: string): void;
  /** Notes about where the data comes from. */
  note(text: string): void;
  env?: NodeJS.ProcessEnv;
}

const stdio: ReportIo = {
  out: (text) => process.stdout.write(text),
  note: (text) => process.stderr.write(`${text}\n`),
};

async function openForReport(
  options: ReportCommandOptions,
  io: ReportIo,
): Promise<{ db: Database; threshold: number; done(): Promise<void> }> {
  const config = loadConfig({
    ...(options.config ? { file: options.config } : {}),
    env: io.env ?? process.env,
  });
  const threshold = config.arbitrage.rebalanceThreshold;
  const url = options.databaseUrl ?? config.database.url;
  if (url) {
    const db = await openDatabase({ url, migrate: false, poolSize: 2 });
    return { db, threshold, done: () => db.close() };
  }
  const dataDir = path.resolve(config.database.dataDir);
  const holder = readEmbeddedLock(dataDir);
  if (holder?.url) {
    io.note(
      `ballast report: the embedded database under ${dataDir} is in use by process ${holder.pid}; ` +
        `reading it through that process's server at ${holder.url}`,
    );
    const db = await openDatabase({ url: holder.url, migrate: false, poolSize: 1 });
    return { db, threshold, done: () => db.close() };
  }
  if (holder) {
    throw new ReportError(
      `${new EmbeddedDatabaseBusyError(dataDir, holder).message}, and it publishes no server to read ` +
        "through. Stop it, or point the report at a PostgreSQL server with --database-url or DATABASE_URL.",
    );
  }
  if (!existsSync(path.join(dataDir, "pglite"))) {
    io.note(`ballast report: no embedded database under ${dataDir} yet: nothing has been recorded`);
    const db = await openDatabase({ dataDir: "memory://" });
    return { db, threshold, done: () => db.close() };
  }
  let lock: EmbeddedLock;
  try {
    lock = acquireEmbeddedLock(dataDir);
  } catch (err) {
    if (err instanceof EmbeddedDatabaseBusyError) {
      throw new ReportError(`${err.message}. Try again once it has stopped, or use --database-url.`);
    }
    throw err;
  }
  try {
    const db = await openDatabase({ dataDir, migrate: false });
    return {
      db,
      threshold,
      async done() {
        await db.close();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** The migrations this code knows that the database has not applied. */
export async function pendingMigrations(db: Database): Promise<string[]> {
  const known = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /\.(sql|js|ts)$/.test(f))
    .map((f) => f.replace(/\.(sql|js|ts)$/, ""))
    .sort();
  const { rows } = await db.pool.query<{ exists: boolean }>(
    "SELECT to_regclass('pgmigrations') IS NOT NULL AS exists",
  );
  if (!rows[0]?.exists) return known;
  const applied = await db.pool.query<{ name: string }>("SELECT name FROM pgmigrations");
  const done = new Set(applied.rows.map((r) => r.name));
  return known.filter((name) => !done.has(name));
}

/** Prints the report; resolves once printed. Throws ConfigError, ReportError or DatabaseError. */
export async function runReport(options: ReportCommandOptions = {}, io: ReportIo = stdio): Promise<void> {
  const { db, threshold, done } = await openForReport(options, io);
  try {
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      throw new ReportError(
        `the ${db.kind === "embedded" ? "embedded database" : `database at ${redactUrl(db.url)}`} is not at ` +
          `Ballast's schema (migrations not applied: ${pending.join(", ")}). The report does not change a ` +
          "database; the service applies its migrations when it starts.",
      );
    }
    const sections = await queryReport(db.pool, { rebalanceThreshold: threshold });
    io.out(options.json ? `${JSON.stringify(sections, null, 2)}\n` : formatReport(sections));
  } finally {
    await done();
  }
}

export function addReportCommand(program: Command): void {
  program
    .command("report")
    .description(
      "print the position ledger's summary, the rebalancing success metrics and the seed's analysis queries",
    )
    .option("-c, --config <file>", "JSON config file (default: $BALLAST_CONFIG)")
    .option("--database-url <url>", "read this PostgreSQL database instead of the configured one")
    .option("--json", "print the sections as JSON")
    .action(async (options: ReportCommandOptions) => {
      try {
        await runReport(options);
      } catch (err) {
        if (!(err instanceof ReportError)) throw err;
        process.stderr.write(`ballast report: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
}
