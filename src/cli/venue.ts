/**
 * `ballast venue`: the local Polymarket CLOB V2 + Gamma + WebSocket simulator. It keeps its state in
 * `<data dir>/venue/` (the stack's data directory: BALLAST_DATA_DIR, default .data) unless told
 * otherwise, so a restarted venue finds its orders, balances and markets as they were.
 */
import path from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { loadConfig } from "../config/load";
import { createLogger } from "../log";
import { parseMicros } from "../money";
import { ASSETS, parseWindowLabel } from "../venue/markets";
import { startVenue, VENUE_DEFAULTS } from "../venue/server/app";
import type { Asset } from "../venue/types";

function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number between ${min} and ${max}`);
    }
    return n;
  };
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError("must be between 0 and 1");
  return n;
}

function windowLength(value: string): number {
  const ms = parseWindowLabel(value);
  if (ms === undefined) throw new InvalidArgumentError("must look like 15m, 5m, 2m or 1h");
  return ms;
}

function assets(value: string): Asset[] {
  const list = value.split(",").map((a) => a.trim().toUpperCase());
  const bad = list.filter((a) => !(ASSETS as readonly string[]).includes(a));
  if (bad.length > 0 || list.length === 0)
    throw new InvalidArgumentError(`must be among ${ASSETS.join(",")}`);
  return list as Asset[];
}

function usd(value: string): number {
  try {
    return parseMicros(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Where the venue keeps its state by default: `venue/` in the configured data directory. */
export function defaultVenueDataDir(): string {
  return path.join(loadConfig().database.dataDir, "venue");
}

function statuses(value: string): (500 | 425 | 429 | 503)[] {
  const list = value.split(",").map((s) => Number(s.trim()));
  if (list.some((s) => ![500, 425, 429, 503].includes(s)))
    throw new InvalidArgumentError("must be among 500,425,429,503");
  return list as (500 | 425 | 429 | 503)[];
}

export function addVenueCommand(program: Command): void {
  program
    .command("venue")
    .description("run the local Polymarket CLOB V2 venue simulator (REST, Gamma, WebSocket channels, admin)")
    .option("-p, --port <port>", "port on 127.0.0.1 (0 = any free port)", int(0, 65535), VENUE_DEFAULTS.port)
    .option("-s, --seed <n>", "seed of every random choice", int(0), VENUE_DEFAULTS.seed)
    .addOption(
      new Option("-w, --window <length>", "market window length")
        .argParser(windowLength)
        .default(VENUE_DEFAULTS.windowMs, "15m"),
    )
    .addOption(
      new Option("-a, --assets <list>", "assets with up/down markets")
        .argParser(assets)
        .default([...VENUE_DEFAULTS.assets], VENUE_DEFAULTS.assets.join(",")),
    )
    .addOption(
      new Option("--balance <pUSD>", "starting pUSD of each new account")
        .argParser(usd)
        .default(VENUE_DEFAULTS.startingBalance, "1000"),
    )
    .option("--step-ms <ms>", "simulation step", int(10, 10_000), VENUE_DEFAULTS.stepMs)
    .option(
      "--heartbeat-timeout-ms <ms>",
      "cancel a key's orders when its heartbeats stop this long",
      int(1000),
      VENUE_DEFAULTS.heartbeatTimeoutMs,
    )
    .option(
      "--taker-delay-ms <ms>",
      "matching delay of marketable orders (status 'delayed')",
      int(0, 60_000),
      0,
    )
    .option("--trade-failure-rate <p>", "probability that a trade goes MATCHED → FAILED", rate, 0)
    .addOption(
      new Option("--latency-ms <ms>", "fault: latency added to each CLOB request")
        .argParser(int(0, 60_000))
        .default(0),
    )
    .addOption(
      new Option("--error-rate <p>", "fault: share of CLOB requests answered with an error")
        .argParser(rate)
        .default(0),
    )
    .addOption(
      new Option("--error-statuses <list>", "fault: statuses of injected errors")
        .argParser(statuses)
        .default([503]),
    )
    .addOption(
      new Option("--retry-after <s>", "fault: Retry-After of injected 429s")
        .argParser(int(0, 3600))
        .default(1),
    )
    .addOption(
      new Option("--drop-ws-every-ms <ms>", "fault: drop every WebSocket connection this often")
        .argParser(int(0))
        .default(0),
    )
    .addOption(new Option("--stall-feed", "fault: market channel goes silent").default(false))
    .option(
      "--mirrored",
      "one mirrored book per market with mint and merge matching, as the real venue (experimental: the market model's dislocations merge at once)",
    )
    .addOption(
      new Option("--duplicate-rate <p>", "fault: share of WebSocket frames sent twice")
        .argParser(rate)
        .default(0),
    )
    .addOption(
      new Option("--reorder-rate <p>", "fault: share of WebSocket frames swapped with the next")
        .argParser(rate)
        .default(0),
    )
    .option(
      "--data-dir <dir>",
      "keep the venue's state here (a journal replayed at start); default: venue/ in the data directory (BALLAST_DATA_DIR, .data)",
    )
    .option("--no-persist", "keep no state: start afresh, forget everything at exit")
    .option("--log-level <level>", "log level", "info")
    .action(async (opts) => {
      const logger = createLogger({ level: opts.logLevel, name: "venue" });
      const dataDir: string | undefined =
        opts.persist === false ? undefined : (opts.dataDir ?? defaultVenueDataDir());
      const venue = await startVenue({
        ...(dataDir !== undefined ? { dataDir } : {}),
        port: opts.port,
        seed: opts.seed,
        windowMs: opts.window,
        assets: opts.assets,
        startingBalance: opts.balance,
        stepMs: opts.stepMs,
        heartbeatTimeoutMs: opts.heartbeatTimeoutMs,
        takerDelayMs: opts.takerDelayMs,
        tradeFailureRate: opts.tradeFailureRate,
        ...(opts.mirrored ? { mirrored: true } : {}),
        faults: {
          latencyMs: opts.latencyMs,
          httpErrorRate: opts.errorRate,
          httpErrorStatuses: opts.errorStatuses,
          retryAfterSec: opts.retryAfter,
          dropWsEveryMs: opts.dropWsEveryMs,
          stallFeed: opts.stallFeed,
          duplicateFrameRate: opts.duplicateRate,
          reorderFrameRate: opts.reorderRate,
        },
        logger,
      });
      const u = venue.urls;
      process.stdout.write(
        `venue ready clob=${u.clob} gamma=${u.gamma} ws=${u.wsMarket},${u.wsUser} admin=${u.admin} seed=${opts.seed} window=${opts.window / 60_000}m assets=${opts.assets.join(",")} state=${venue.journalFile ?? "none"}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await venue.close();
      logger.info("venue stopped");
    });
}
