/**
 * Process entry points: `ballast worker`, `ballast streamer`, `ballast scheduler`, and `ballast
 * start` (npm start), the whole embedded stack in one command.
 */
import path from "node:path";
import { type Command, Option } from "commander";
import { installTemporalRuntime } from "../../workers/runtime";
import { runWorkerProcess } from "../../workers/shutdown";
import { startStreamingWorker } from "../../workers/streaming-worker";
import { paperWalletKey } from "../../workers/wallet";
import { startWorkflowWorker } from "../../workers/workflow-worker";
import { loadConfig, secretValues } from "../config/load";
import type { Config } from "../config/schema";
import { type Database, openDatabase } from "../db/database";
import { chooseLogFormat, createLogger, jsonRecord, LOG_FORMATS, type LogFormat, type Logger } from "../log";
import { childMetricsPort, type MetricsServer, startProcessMetrics } from "../metrics";
import { QUERIES } from "../session/messages";
import { PROJECT_ROOT } from "../temporal/binaries";
import { connectClient } from "../temporal/client";
import { DEV_SERVER_DYNAMIC_CONFIG, startDevServer } from "../temporal/dev-server";
import { parseWindowLabel, windowLabel } from "../venue/markets";
import { startVenue } from "../venue/server/app";
import { errorText, preflight } from "./preflight";
import { acquireEmbeddedLock, type EmbeddedLock } from "./report";
import { ensureSchedulers } from "./schedulers";
import { forwardChildLines, type MarketStatus, Screen, statusFields, statusText } from "./screen";
import { setStdoutErrorHandler } from "./stdout-closed";
import {
  describeExit,
  dieWithParentPrefix,
  killTrackedChildren,
  OrderedShutdown,
  type RestartPolicy,
  type Supervisable,
  SupervisedProcess,
  type SupervisorEvent,
  spawnChild,
  trackChild,
} from "./supervisor";
import { WINDOW_ROWS_SQL, type WindowRow, windowsToAnnounce } from "./window-summary";

function processLogger(config: Config, name: string, format: LogFormat): Logger {
  return createLogger({ level: config.log.level, secrets: secretValues(config), name, format });
}

/** `--log-format`, on every command that logs. */
function logFormatOption(): Option {
  return new Option(
    "--log-format <format>",
    "log lines as pretty text or JSON (default: LOG_FORMAT, else pretty on a terminal, JSON otherwise)",
  ).choices(LOG_FORMATS);
}

/** The format chosen by `--log-format`, LOG_FORMAT (the config) or whether stdout is a terminal. */
function logFormatOf(opts: { logFormat?: string }, config: Config): LogFormat {
  return chooseLogFormat({
    flag: opts.logFormat,
    configured: config.log.format,
    isTTY: process.stdout.isTTY,
  });
}

function tradingKey(config: Config, paper: boolean): string {
  if (config.secrets.privateKey) return config.secrets.privateKey;
  if (paper && config.environment === "production")
    throw new Error("--paper trades on the simulator: it does not run with BALLAST_ENV=production");
  if (paper) return paperWalletKey(config.database.dataDir);
  throw new Error(
    "POLY_PRIVATE_KEY is not set (use --paper to trade on the simulator with a generated wallet)",
  );
}

/**
 * The process's /metrics on METRICS_PORT (src/metrics, docs/metrics.md). With `temporal`, the Temporal
 * Runtime is installed here, exporting the SDK's own metrics on a loopback port that /metrics appends:
 * before any worker.
 */
function serveMetrics(
  config: Config,
  logger: Logger,
  options: { temporal: boolean },
): Promise<MetricsServer> {
  return startProcessMetrics({
    port: config.metrics.port,
    logger,
    ...(options.temporal
      ? {
          installRuntime: (metricsBindAddress: string) =>
            installTemporalRuntime(logger, { metricsBindAddress }),
        }
      : {}),
  });
}

export function addWorkerCommands(program: Command): void {
  program
    .command("worker")
    .description("run the workflow worker (workflows + exchange, database and market-data activities)")
    .option("--paper", "without POLY_PRIVATE_KEY, trade with a generated wallet kept in the data directory")
    .addOption(logFormatOption())
    .action(async (opts: { paper?: boolean; logFormat?: string }) => {
      const config = loadConfig();
      const logger = processLogger(config, "worker", logFormatOf(opts, config));
      const key = tradingKey(config, Boolean(opts.paper));
      const metrics = await serveMetrics(config, logger, { temporal: true });
      try {
        await runWorkerProcess(await startWorkflowWorker(config, key, logger));
      } finally {
        await metrics.close();
      }
    });

  program
    .command("streamer")
    .description("run the streaming worker (market and user channels feeding the workflows)")
    .option("--paper", "without POLY_PRIVATE_KEY, use the generated paper wallet")
    .addOption(logFormatOption())
    .action(async (opts: { paper?: boolean; logFormat?: string }) => {
      const config = loadConfig();
      const logger = processLogger(config, "streamer", logFormatOf(opts, config));
      const key = tradingKey(config, Boolean(opts.paper));
      const metrics = await serveMetrics(config, logger, { temporal: true });
      try {
        await runWorkerProcess(await startStreamingWorker(config, key, logger));
      } finally {
        await metrics.close();
      }
    });

  program
    .command("scheduler")
    .description("make sure a scheduler workflow runs for every configured asset")
    .addOption(logFormatOption())
    .action(async (opts: { logFormat?: string }) => {
      const config = loadConfig();
      const logger = processLogger(config, "scheduler", logFormatOf(opts, config));
      // Served while it runs (seconds: nothing scrapes it); no Temporal worker here, so no SDK metrics.
      const metrics = await serveMetrics(config, logger, { temporal: false });
      try {
        await ensureSchedulers(config, logger);
      } finally {
        await metrics.close();
      }
    });

  program
    .command("start")
    .description(
      "run the whole embedded stack: Temporal dev server (at TEMPORAL_ADDRESS, Web UI :8233), venue simulator, Postgres, workers, schedulers",
    )
    .option("-w, --window <length>", "market window of the simulator (15m, 5m, 2m)", "15m")
    .option("-s, --seed <n>", "simulator seed", "1")
    .option("--ui-port <port>", "port of the Temporal Web UI (default: the Temporal port + 1000)")
    .addOption(logFormatOption())
    .action(async (opts: { window: string; seed: string; uiPort?: string; logFormat?: string }) => {
      const windowMs = parseWindowLabel(opts.window);
      if (windowMs === undefined)
        throw new Error(`--window must look like 15m, 5m or 2m, got ${opts.window}`);
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed) || seed < 0)
        throw new Error(`--seed must be a whole number, got ${opts.seed}`);
      const uiPort = opts.uiPort === undefined ? undefined : Number(opts.uiPort);
      if (uiPort !== undefined && !(Number.isInteger(uiPort) && uiPort > 0 && uiPort < 65536))
        throw new Error(`--ui-port must be a port number, got ${opts.uiPort}`);
      const config = loadConfig({ env: { ...process.env, WINDOW_MS: String(windowMs) } });
      if (config.environment === "production")
        throw new Error(
          "ballast start runs the embedded stack on the venue simulator: it does not run with BALLAST_ENV=production (run ballast worker, streamer and scheduler)",
        );
      process.exitCode = await runEmbeddedStack(config, seed, {
        uiPort,
        logFormat: logFormatOf(opts, config),
      });
    });
}

// ---------------------------------------------------------------------------------------------------------
// `ballast start`

/**
 * The stack stops in this order: the display, then the workers drain (the scheduler workflows are
 * Temporal workflows the workflow worker runs, so they pause with it and resume on the next start),
 * then the venue (which the draining workers may still call), the database, and Temporal last.
 */
const STOP_ORDER = ["display", "workers", "venue", "database", "temporal"] as const;
type StopPhase = (typeof STOP_ORDER)[number];

/** A worker that dies is restarted after 1 s, 2 s, 4 s …; more than 5 deaths in 10 minutes stop Ballast. */
export const WORKER_RESTARTS: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxDeaths: 5,
  periodMs: 10 * 60_000,
};
/** The Temporal dev server likewise, at most 3 times in 10 minutes. */
export const TEMPORAL_RESTARTS: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 10_000,
  maxDeaths: 3,
  periodMs: 10 * 60_000,
};
/** How long a worker may take to drain before it is killed (much less once Temporal is gone). */
const WORKER_DRAIN_MS = 15_000;
const WORKER_DRAIN_WITHOUT_TEMPORAL_MS = 3_000;
/** A second Ctrl-C at least this long after the first kills the processes at once. */
const FORCE_AFTER_MS = 1_000;

/** metricsPort: a child's METRICS_PORT is this process's + this (docs/metrics.md). */
const WORKER_ROLES = [
  { role: "worker", name: "workflow worker", metricsPort: 1 },
  { role: "streamer", name: "streaming worker", metricsPort: 2 },
] as const;

function hostAndPort(address: string, fallbackPort: number): { host: string; port: number } {
  const u = new URL(`tcp://${address}`);
  return { host: u.hostname.replace(/^\[(.*)\]$/, "$1"), port: u.port ? Number(u.port) : fallbackPort };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function lastLine(text: string): string | undefined {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .pop()
    ?.slice(0, 300);
}

function describeEvent(e: SupervisorEvent, suffix = ""): string | undefined {
  switch (e.type) {
    case "died":
      return `ballast: the ${e.name} (pid ${e.pid}) ${describeExit(e.exit)}; restarting it in ${seconds(e.restartInMs)}${suffix}`;
    case "start-failed":
      return `ballast: the ${e.name} could not start (${lastLine(e.error.message) ?? e.error.name}); trying again in ${seconds(e.restartInMs)}`;
    case "restarted":
      return `ballast: the ${e.name} is running again (pid ${e.pid})`;
    case "gave-up":
      // The stop that follows says why.
      return undefined;
  }
}

type StopRequest = { reason: string; exitCode: number };

/**
 * Runs the whole stack until a signal (SIGINT, SIGTERM, SIGHUP), a closed stdout, or a part that
 * keeps dying; stops it in order (STOP_ORDER) on every one of these paths; returns the exit code.
 */
async function runEmbeddedStack(
  config: Config,
  seed: number,
  options: { uiPort?: number | undefined; logFormat: LogFormat },
): Promise<number> {
  const screen = new Screen({ logFormat: options.logFormat });
  const notice = (line: string | undefined) => line !== undefined && screen.notice(line);
  // Our own log lines go through the screen too (JSON after redaction and scrubbing; the screen
  // renders them), so that none is written over the live area.
  const logger = createLogger({
    level: config.log.level,
    secrets: secretValues(config),
    name: "ballast",
    destination: { write: (line: string) => screen.log(line) },
  });
  const dataDir = path.resolve(config.database.dataDir);

  // Every way to stop ends in the same ordered shutdown.
  let stop: StopRequest | undefined;
  let resolveStop!: (s: StopRequest) => void;
  const stopRequested = new Promise<StopRequest>((resolve) => {
    resolveStop = resolve;
  });
  const supervisors: SupervisedProcess[] = [];
  const requestStop = (reason: string, exitCode: number) => {
    if (stop) return;
    stop = { reason, exitCode };
    for (const s of supervisors) s.noMoreRestarts();
    screen.endLive();
    screen.notice(`ballast: stopping (${reason})…`);
    resolveStop(stop);
  };
  let forced = false;
  let firstSignalAt = 0;
  // Our own listeners stay installed until the process ends: without one, log-update's signal-exit
  // would re-raise the signal and kill this process before anything is stopped.
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop) {
      firstSignalAt = Date.now();
      requestStop(signal, 0);
    } else if (!forced && Date.now() - firstSignalAt >= FORCE_AFTER_MS) {
      forced = true;
      screen.notice(`ballast: ${signal} again: killing the stack's processes now`);
      killTrackedChildren("SIGKILL");
    }
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  // A closed stdout (`npm start | head`) stops the stack like a signal does.
  setStdoutErrorHandler((err) => screen.stdoutClosed(err));
  screen.onStdoutClosed((err) =>
    requestStop(`stdout closed: ${(err as NodeJS.ErrnoException).code ?? err.message}`, 0),
  );
  let lock: EmbeddedLock | undefined;
  // The last resort of every exit path (process.exit anywhere, an uncaught error): no child outlives us.
  process.on("exit", () => {
    killTrackedChildren("SIGKILL");
    lock?.release();
  });
  process.on("uncaughtException", (err) => {
    // Not through the logger: its stream may be what failed.
    screen.notice(`ballast: unexpected error: ${(err as Error).stack ?? errorText(err)}`);
    requestStop(`unexpected error: ${errorText(err)}`, 1);
    setTimeout(() => process.exit(1), 30_000).unref();
  });

  const temporalAt = hostAndPort(config.temporal.address, 7233);
  const uiPort = options.uiPort ?? temporalAt.port + 1000;
  const venueUrl = new URL(config.venue.clobUrl);
  const venuePort = Number(venueUrl.port || 7788);
  // Nothing starts unless everything it needs is there.
  await preflight({
    dataDir,
    listen: [
      { host: temporalAt.host, port: temporalAt.port, what: "Temporal, TEMPORAL_ADDRESS" },
      { host: temporalAt.host, port: uiPort, what: "Temporal Web UI, --ui-port" },
      { host: "127.0.0.1", port: venuePort, what: "venue simulator, CLOB_URL" },
    ],
    databaseUrl: config.database.url,
  });
  // The embedded database is this process's: the lock tells `ballast report` where to read it.
  lock = config.database.url ? undefined : acquireEmbeddedLock(config.database.dataDir);

  const shutdown = new OrderedShutdown<StopPhase>(STOP_ORDER, {
    stopped: (step, ms) => {
      if (step.phase !== "display") screen.notice(`ballast: stopped ${step.label} (${seconds(ms)})`);
    },
    failed: (step, err) => screen.notice(`ballast: stopping ${step.label} failed: ${errorText(err)}`),
  });
  // A part that keeps dying stops everything, with a non-zero exit.
  const supervise = (s: SupervisedProcess) => {
    supervisors.push(s);
    void s.failed.then((gaveUp) => requestStop(gaveUp.message, 1));
  };
  const stopIfRequested = () => {
    if (stop) throw new StackStopping();
  };
  let failure: unknown;
  try {
    stopIfRequested();
    // This process's own /metrics (Node.js process metrics only: it runs no Temporal worker).
    const metrics = await startProcessMetrics({ port: config.metrics.port, logger });
    shutdown.add("display", "the metrics endpoint", () => metrics.close());
    // Temporal: restarted when it dies (its SQLite file keeps every workflow).
    const temporalDb = path.join(dataDir, "temporal.db");
    const temporal = new SupervisedProcess({
      name: "Temporal dev server",
      policy: TEMPORAL_RESTARTS,
      onEvent: (e) => notice(describeEvent(e, ` (its history is kept in ${temporalDb})`)),
      start: async (signal): Promise<Supervisable> => {
        const server = await startDevServer({
          // Tuned for the hot path (README, "The hot path").
          dynamicConfig: DEV_SERVER_DYNAMIC_CONFIG,
          dataDir,
          ip: temporalAt.host,
          port: temporalAt.port,
          uiPort,
          logger,
          detached: true,
          commandPrefix: dieWithParentPrefix(),
          onSpawn: (child) => trackChild(child, { group: true }),
          signal,
        });
        return {
          pid: server.pid,
          kill: server.kill,
          exited: server.exited.then((exit) => ({
            ...exit,
            detail: exit.code ? lastLine(server.recentOutput()) : undefined,
          })),
        };
      },
    });
    supervise(temporal);
    shutdown.add("temporal", "the Temporal dev server", async () => {
      await temporal.stop({ timeoutMs: 10_000 });
    });
    await temporal.start();
    const temporalAddress = `${temporalAt.host.includes(":") ? `[${temporalAt.host}]` : temporalAt.host}:${temporalAt.port}`;
    const stackConfig: Config = { ...config, temporal: { ...config.temporal, address: temporalAddress } };
    stopIfRequested();

    const venue = await startVenue({
      port: venuePort,
      seed,
      windowMs: config.venue.windowMs,
      assets: config.venue.assets,
      logger: logger.child({ component: "venue" }),
      // The venue keeps its state across restarts, as a real venue outlives its clients; another
      // window or seed is another simulated world, kept apart.
      dataDir: path.join(dataDir, "venue", `${windowLabel(config.venue.windowMs)}-seed${seed}`),
    });
    shutdown.add("venue", "the venue simulator", () => venue.close());
    stopIfRequested();

    let db: Database | undefined;
    if (lock) {
      const held = lock;
      shutdown.add("database", "the embedded database", async () => {
        try {
          await db?.close();
        } finally {
          held.release();
        }
      });
      db = await openDatabase({ dataDir: config.database.dataDir, logger, port: 0 });
      held.publish(db.url);
    }
    stopIfRequested();

    const databaseUrl = config.database.url ?? db?.url;
    const paperKey = tradingKey(config, true);
    const env = {
      // The workers' own logs would drown the progress display: warnings and errors only.
      LOG_LEVEL: "warn",
      ...process.env,
      // JSON, whatever this process shows: the lines are parsed here and shown in our format.
      LOG_FORMAT: "json",
      DATABASE_URL: databaseUrl,
      POLY_PRIVATE_KEY: paperKey,
      TEMPORAL_ADDRESS: temporalAddress,
      WINDOW_MS: String(config.venue.windowMs),
    };
    const bin = path.join(PROJECT_ROOT, "bin", "ballast.cjs");
    const childSecrets = [...secretValues(config), paperKey];
    for (const { role, name, metricsPort } of WORKER_ROLES) {
      const onLine = forwardChildLines(screen, role, childSecrets);
      const worker = new SupervisedProcess({
        name,
        policy: WORKER_RESTARTS,
        onEvent: (e) => notice(describeEvent(e)),
        start: async () =>
          spawnChild(process.execPath, [bin, role], {
            env: { ...env, METRICS_PORT: String(childMetricsPort(config.metrics.port, metricsPort)) },
            ipc: true,
            onLine,
          }),
      });
      supervise(worker);
      shutdown.add("workers", `the ${name}`, async () => {
        const drainMs = temporal.current ? WORKER_DRAIN_MS : WORKER_DRAIN_WITHOUT_TEMPORAL_MS;
        const exit = await worker.stop({ timeoutMs: drainMs });
        // SIGTERM itself may end a worker that is still starting: nothing to drain then.
        if (exit?.signal === "SIGKILL")
          throw new Error(
            forced ? "it was killed" : `it did not drain within ${seconds(drainMs)} and was killed`,
          );
        if (exit?.code) throw new Error(`it ${describeExit(exit)}`);
      });
      await worker.start();
    }
    stopIfRequested();

    await ensureSchedulers(stackConfig, logger);
    stopIfRequested();

    const uiUrl = `http://${temporalAt.host}:${uiPort}`;
    const running = `Ballast running: Temporal Web UI ${uiUrl}  venue ${venue.urls.clob}  seed ${seed}  window ${config.venue.windowMs / 60_000}m  (Ctrl-C stops)`;
    screen.output(running, () =>
      jsonRecord(
        "Ballast running",
        { temporalUi: uiUrl, venue: venue.urls.clob, seed, windowMs: config.venue.windowMs },
        { name: "ballast" },
      ),
    );
    // With JSON on stdout, the operator still reads that it runs and how to stop it, on stderr.
    if (screen.format === "json") screen.notice(running);
    const progress = startProgress(stackConfig, databaseUrl, logger, screen);
    shutdown.add("display", "the display", progress.stop);
    await stopRequested;
  } catch (err) {
    if (!stop) {
      failure = err;
      requestStop(`could not start: ${lastLine(errorText(err))}`, 1);
    }
  } finally {
    await shutdown.run();
    screen.notice("ballast: stopped");
  }
  // Nothing of ours should keep the event loop alive now; should something, it must not keep us.
  setTimeout(() => process.exit(), 5_000).unref();
  if (failure) throw failure;
  return forced ? 1 : (stop?.exitCode ?? 0);
}

/** Thrown inside the start sequence once a stop has been requested. */
class StackStopping extends Error {}

/** A live line per market (window, open positions, hedge ratios, P&L) and a summary per resolved window. */
function startProgress(config: Config, databaseUrl: string | undefined, logger: Logger, screen: Screen) {
  const announced = new Set<string>();
  let firstLook = true;
  let stopped = false;
  let running: Promise<void> | undefined;
  const tick = async () => {
    try {
      const { client, close } = await connectClient(config);
      try {
        const markets: MarketStatus[] = [];
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
          markets.push({ session: s, positions: positions.filter(Boolean) });
        }
        if (!stopped)
          screen.live(statusText(markets), () =>
            jsonRecord("status", statusFields(markets), { name: "ballast" }),
          );
      } finally {
        await close();
      }
    } catch (err) {
      logger.debug({ err: (err as Error).message }, "progress refresh failed");
    }
    try {
      if (databaseUrl && !stopped) {
        // The first look only remembers the windows an earlier run completed (and summarised).
        await announceResolved(databaseUrl, announced, screen, firstLook);
        firstLook = false;
      }
    } catch (err) {
      logger.debug({ err: (err as Error).message }, "resolution summary failed");
    }
  };
  const timer = setInterval(() => {
    running ??= tick().finally(() => {
      running = undefined;
    });
  }, 1_000);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      // A refresh in flight may wait on an unreachable Temporal: not for long.
      await Promise.race([running, new Promise((r) => setTimeout(r, 3_000).unref())]);
      screen.endLive();
    },
  };
}

async function announceResolved(
  databaseUrl: string,
  announced: Set<string>,
  screen: Screen,
  silent: boolean,
): Promise<void> {
  const db = await openDatabase({ url: databaseUrl, migrate: false, poolSize: 1 });
  try {
    const { rows } = await db.pool.query<WindowRow>(WINDOW_ROWS_SQL);
    for (const row of rows) {
      // One row at a time, to have the row of each line (for its JSON form).
      for (const line of windowsToAnnounce([row], announced, silent))
        screen.output(line, () =>
          jsonRecord(
            "window resolved",
            {
              slug: row.slug,
              winner: row.winner === "YES" ? "UP" : row.winner === "NO" ? "DOWN" : null,
              positions: row.positions,
              resolved: row.resolved,
              unresolved: row.unresolved,
              pnl: row.pnl,
              summary: line,
            },
            { name: "ballast" },
          ),
        );
    }
  } finally {
    await db.close();
  }
}
