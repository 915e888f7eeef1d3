/**
 * Process entry points: `ballast worker`, `ballast streamer`, `ballast scheduler`, and `ballast
 * start` (npm start), the whole embedded stack in one command.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import type { Command } from "commander";
import logUpdate from "log-update";
import { installTemporalRuntime } from "../../workers/runtime";
import { startStreamingWorker } from "../../workers/streaming-worker";
import { paperWalletKey } from "../../workers/wallet";
import { startWorkflowWorker } from "../../workers/workflow-worker";
import { loadConfig, secretValues } from "../config/load";
import type { Config } from "../config/schema";
import { openDatabase } from "../db/database";
import { createLogger, type Logger } from "../log";
import { formatMicros } from "../money";
import { QUERIES } from "../session/messages";
import { PROJECT_ROOT } from "../temporal/binaries";
import { connectClient } from "../temporal/client";
import { startDevServer } from "../temporal/dev-server";
import { parseWindowLabel } from "../venue/markets";
import { startVenue } from "../venue/server/app";
import { acquireEmbeddedLock } from "./report";
import { ensureSchedulers } from "./schedulers";

function processLogger(config: Config, name: string): Logger {
  return createLogger({ level: config.log.level, secrets: secretValues(config), name });
}

function tradingKey(config: Config, paper: boolean): string {
  if (config.secrets.privateKey) return config.secrets.privateKey;
  if (paper) return paperWalletKey(config.database.dataDir);
  throw new Error(
    "POLY_PRIVATE_KEY is not set (use --paper to trade on the simulator with a generated wallet)",
  );
}

/** Stops on SIGINT/SIGTERM: returns a promise that resolves on the first of them. */
function untilSignalled(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (sig: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(sig);
    };
    const onInt = () => stop("SIGINT");
    const onTerm = () => stop("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
  });
}

export function addWorkerCommands(program: Command): void {
  program
    .command("worker")
    .description("run the workflow worker (workflows + exchange, database and market-data activities)")
    .option("--paper", "without POLY_PRIVATE_KEY, trade with a generated wallet kept in the data directory")
    .action(async (opts: { paper?: boolean }) => {
      const config = loadConfig();
      const logger = processLogger(config, "worker");
      installTemporalRuntime(logger);
      const worker = await startWorkflowWorker(config, tradingKey(config, Boolean(opts.paper)), logger);
      await Promise.race([untilSignalled(), worker.done]);
      await worker.shutdown();
    });

  program
    .command("streamer")
    .description("run the streaming worker (market and user channels feeding the workflows)")
    .option("--paper", "without POLY_PRIVATE_KEY, use the generated paper wallet")
    .action(async (opts: { paper?: boolean }) => {
      const config = loadConfig();
      const logger = processLogger(config, "streamer");
      installTemporalRuntime(logger);
      const worker = await startStreamingWorker(config, tradingKey(config, Boolean(opts.paper)), logger);
      await Promise.race([untilSignalled(), worker.done]);
      await worker.shutdown();
    });

  program
    .command("scheduler")
    .description("make sure a scheduler workflow runs for every configured asset")
    .action(async () => {
      const config = loadConfig();
      await ensureSchedulers(config, processLogger(config, "scheduler"));
    });

  program
    .command("start")
    .description(
      "run the whole embedded stack: Temporal dev server (Web UI :8233), venue simulator, Postgres, workers, schedulers",
    )
    .option("-w, --window <length>", "market window of the simulator (15m, 5m, 2m)", "15m")
    .option("-s, --seed <n>", "simulator seed", "1")
    .action(async (opts: { window: string; seed: string }) => {
      const windowMs = parseWindowLabel(opts.window);
      if (windowMs === undefined)
        throw new Error(`--window must look like 15m, 5m or 2m, got ${opts.window}`);
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed) || seed < 0)
        throw new Error(`--seed must be a whole number, got ${opts.seed}`);
      await runEmbeddedStack(loadConfig({ env: { ...process.env, WINDOW_MS: String(windowMs) } }), seed);
    });
}

async function runEmbeddedStack(config: Config, seed: number): Promise<void> {
  const logger = processLogger(config, "ballast");
  const dataDir = path.resolve(config.database.dataDir);
  const stopping: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stopping.reverse()) await stop().catch((err) => logger.warn({ err }, "stop failed"));
  };
  try {
    const temporal = await startDevServer({ dataDir, logger });
    stopping.push(() => temporal.stop());
    const venuePort = Number(new URL(config.venue.clobUrl).port || 7788);
    const venue = await startVenue({
      port: venuePort,
      seed,
      windowMs: config.venue.windowMs,
      assets: config.venue.assets,
      logger: logger.child({ component: "venue" }),
    });
    stopping.push(() => venue.close());
    // The embedded database is this process's: the lock tells `ballast report` where to read it.
    const lock = config.database.url ? undefined : acquireEmbeddedLock(config.database.dataDir);
    if (lock) stopping.push(async () => lock.release());
    const db = config.database.url
      ? undefined
      : await openDatabase({ dataDir: config.database.dataDir, logger, port: 0 });
    if (db) {
      lock?.publish(db.url);
      stopping.push(() => db.close());
    }
    const databaseUrl = config.database.url ?? db?.url;
    const key = tradingKey(config, true);
    const env = {
      // The workers' own logs would drown the progress display: warnings and errors only.
      LOG_LEVEL: "warn",
      ...process.env,
      DATABASE_URL: databaseUrl,
      POLY_PRIVATE_KEY: key,
      TEMPORAL_ADDRESS: temporal.address,
      WINDOW_MS: String(config.venue.windowMs),
    };
    const children: ChildProcess[] = [];
    for (const role of ["worker", "streamer"]) {
      const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "ballast.cjs"), role], {
        env,
        stdio: ["ignore", "inherit", "inherit"],
      });
      children.push(child);
      stopping.push(
        () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      );
    }
    await ensureSchedulers(
      { ...config, temporal: { ...config.temporal, address: temporal.address } },
      logger,
    );
    process.stdout.write(
      `Ballast running: Temporal Web UI ${temporal.uiUrl}  venue ${venue.urls.clob}  seed ${seed}  window ${config.venue.windowMs / 60_000}m  (Ctrl-C stops)\n`,
    );
    const progress = startProgress(
      { ...config, temporal: { ...config.temporal, address: temporal.address } },
      databaseUrl,
      logger,
    );
    stopping.push(progress.stop);
    const why = await Promise.race([
      untilSignalled(),
      ...children.map(
        (c) => new Promise<string>((r) => c.once("exit", (code) => r(`a worker exited (${code})`))),
      ),
    ]);
    process.stdout.write(`\nstopping (${why})…\n`);
  } finally {
    await stopAll();
  }
}

/** A live line per market (window, open positions, hedge ratios, P&L) and a summary per resolved window. */
function startProgress(config: Config, databaseUrl: string | undefined, logger: Logger) {
  const announced = new Set<string>();
  const tty = process.stdout.isTTY;
  let lastPlain = 0;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const { client, close } = await connectClient(config);
      try {
        const lines: string[] = [];
        for await (const wf of client.workflow.list({
          query: "WorkflowType = 'marketSession' AND ExecutionStatus = 'Running'",
        })) {
          // biome-ignore lint/suspicious/noExplicitAny: query results are plain JSON
          const s: any = await client.workflow
            .getHandle(wf.workflowId)
            .query(QUERIES.sessionState)
            .catch(() => undefined);
          if (!s) continue;
          const positions = await Promise.all(
            (s.openPositions as string[]).map(async (id) => {
              // biome-ignore lint/suspicious/noExplicitAny: query results are plain JSON
              const p: any = await client.workflow
                .getHandle(id)
                .query(QUERIES.positionState)
                .catch(() => undefined);
              return p;
            }),
          );
          const live = positions.filter(Boolean);
          const hedges = live.map((p) => p.hedgeRatio.toFixed(2)).join(" ") || "-";
          const guaranteed = live.reduce((sum, p) => sum + p.guaranteedPnl, 0);
          const window = `${new Date(s.startMs).toISOString().slice(11, 16)}–${new Date(s.endMs).toISOString().slice(11, 16)}`;
          lines.push(
            `${s.asset.padEnd(4)} ${s.slug.padEnd(28)} ${window}  ${s.halted ? "HALTED " : ""}positions ${s.positionsStarted} (open ${live.length})  hedge ${hedges}  guaranteed P&L $${formatMicros(guaranteed, 2)}`,
          );
        }
        const text = lines.sort().join("\n") || "waiting for the first market window…";
        if (tty) logUpdate(text);
        else if (Date.now() - lastPlain > 30_000) {
          lastPlain = Date.now();
          process.stdout.write(`${text}\n`);
        }
      } finally {
        await close();
      }
    } catch (err) {
      logger.debug({ err: (err as Error).message }, "progress refresh failed");
    }
    try {
      if (databaseUrl) await announceResolved(databaseUrl, announced, tty);
    } catch (err) {
      logger.debug({ err: (err as Error).message }, "resolution summary failed");
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(tick, 1_000);
  return {
    async stop() {
      clearInterval(timer);
      if (tty) logUpdate.done();
    },
  };
}

async function announceResolved(databaseUrl: string, announced: Set<string>, tty: boolean): Promise<void> {
  const db = await openDatabase({ url: databaseUrl, migrate: false, poolSize: 1 });
  try {
    const { rows } = await db.pool.query<{ market_slug: string; n: string; pnl: string; winner: string }>(
      `SELECT market_slug, count(*) AS n, coalesce(sum(actual_profit), 0) AS pnl, max(winning_outcome) AS winner
       FROM trades WHERE status = 'RESOLVED' GROUP BY market_slug ORDER BY max(resolved_at)`,
    );
    for (const r of rows) {
      if (announced.has(r.market_slug)) continue;
      announced.add(r.market_slug);
      const line = `resolved ${r.market_slug}: ${r.winner === "YES" ? "Up" : "Down"} won, ${r.n} position(s), P&L $${Number(r.pnl).toFixed(2)}`;
      if (tty) logUpdate.clear();
      process.stdout.write(`${line}\n`);
    }
  } finally {
    await db.close();
  }
}
