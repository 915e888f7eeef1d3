/**
 * The one configuration schema of Ballast: every parameter of both strategy seeds (with the
 * seeds' defaults), the venue, Temporal, the database and logging.
 *
 * Sources, lowest precedence first: the defaults below, an optional JSON config file (nested
 * like this schema), then environment variables (named in ENV_VARS, mostly the seeds' own
 * names). Money is parsed exactly into micros; durations are milliseconds.
 */
import { z } from "zod";
import { type Micros, parseMicros } from "../money";
import { deploymentMismatch } from "./deployment";

const fromString = (v: unknown): unknown => (typeof v === "string" ? v.trim() : v);

/** A finite number; accepts numeric strings (environment variables). */
const num = () =>
  z.preprocess((v) => {
    const t = fromString(v);
    return typeof t === "string" && t !== "" ? Number(t) : t;
  }, z.number({ error: "must be a number" }).finite());

const int = () => num().pipe(z.number().int("must be a whole number"));

const ratio = () =>
  num().pipe(z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"));

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);
const bool = () =>
  z.preprocess(
    (v) => {
      const t = fromString(v);
      if (typeof t !== "string") return t;
      const l = t.toLowerCase();
      return TRUE.has(l) ? true : FALSE.has(l) ? false : t;
    },
    z.boolean({ error: "must be true or false" }),
  );

/** An amount of pUSD (or a price), exact to 6 decimals, as micros. */
const usd = () =>
  z
    .union([z.string(), z.number()], { error: "must be a decimal amount" })
    .transform((v, ctx): Micros => {
      try {
        return parseMicros(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: `must be a decimal amount (${(err as Error).message})` });
        return z.NEVER;
      }
    })
    .pipe(z.number().min(0, "must not be negative"));

const url = (protocols: RegExp) =>
  z
    .string({ error: "must be a URL" })
    .trim()
    .pipe(z.url({ protocol: protocols, error: "must be a valid URL" }));

const secret = (pattern: RegExp, what: string) =>
  z.string().trim().regex(pattern, `must be ${what}`).optional();

const ConfigFields = z.object({
  /**
   * What this deployment trades on: "simulator" (the default: the local venue simulator, paper or not)
   * or "production" (the real venue). Each refuses the other's venue URLs: see ./deployment.ts.
   */
  environment: z
    .enum(["simulator", "production"], { error: "must be simulator or production" })
    .default("simulator"),
  /** Arbitrage with active position management (seed 000). */
  arbitrage: z
    .object({
      minSpread: usd().default(20_000),
      // Sized for the venue's minimums (5 shares, $1): see the README, "The rebalancing rule". A hedge that
      // locks in a profit costs less than $1 a pair, so completing one fits within 40.
      budgetPerTrade: usd().default(25_000_000),
      maxPositionCost: usd().default(40_000_000),
      rebalanceThreshold: ratio().default(0.8),
      minRebalanceProfitPerShare: usd().default(20_000),
      rebalanceFreezeMs: int().pipe(z.number().min(0)).default(60_000),
      rebalanceCheckIntervalMs: int().pipe(z.number().min(100)).default(5_000),
      preferSellOverBuy: bool().default(true),
      allowPartialRebalance: bool().default(true),
      maxRebalanceTrades: int().pipe(z.number().min(0)).default(5),
      /** New positions per market window at most (not in the seed: a budget guard). */
      maxPositionsPerWindow: int().pipe(z.number().min(0)).default(5),
      /**
       * How an opportunity becomes orders. armed (the default): the session keeps one position started
       * ahead of need, the streaming worker detects on every book and sends that position an `execute`
       * Update (README, "The hot path"). child: the session detects it on a signalled book and starts a
       * position child (four trips through the server's queues: slower).
       */
      entryPath: z.enum(["child", "armed"], { error: "must be child or armed" }).default("armed"),
    })
    .prefault({}),
  /** Active two-sided quoting for maker rebates (seed 004). */
  quoting: z
    .object({
      quoteOffsetTicks: int().pipe(z.number().min(0)).default(0),
      improveWhenSpreadTicks: int().pipe(z.number().min(1)).default(4),
      maxSpreadTicks: int().pipe(z.number().min(1)).default(10),
      refreshThresholdTicks: int().pipe(z.number().min(0)).default(2),
      minRefreshIntervalMs: int().pipe(z.number().min(0)).default(500),
      globalRefreshCapPerSec: num().pipe(z.number().positive()).default(10),
      momentumThresholdTicks: int().pipe(z.number().min(1)).default(3),
      momentumWindowMs: int().pipe(z.number().min(1)).default(500),
      cooldownMs: int().pipe(z.number().min(0)).default(2_000),
      sweepDepthThreshold: ratio().default(0.5),
      maxPositionPerMarket: num().pipe(z.number().positive()).default(100),
      maxLiabilityPerMarket: usd().default(50_000_000),
      maxTotalLiability: usd().default(500_000_000),
      inventorySkewCoefficient: num().pipe(z.number().min(0)).default(0.1),
      maxDrawdownPerMarket: usd().default(20_000_000),
      maxDrawdownGlobal: usd().default(100_000_000),
      staleFeedMs: int().pipe(z.number().min(100)).default(10_000),
      maxConsecutiveErrors: int().pipe(z.number().min(1)).default(5),
      circuitBreakerRecoveryMs: int().pipe(z.number().min(0)).default(60_000),
      orderSize: usd().default(10_000_000),
      batchSize: int()
        .pipe(z.number().min(1).max(15, "must be at most 15 (the venue's batch limit)"))
        .default(15),
      cancelOnMomentum: bool().default(true),
      postOnly: bool().default(true),
      markoutHorizonsMs: z
        .preprocess(
          (v) => (typeof v === "string" ? v.split(",").map((s) => Number(s.trim())) : v),
          z.array(z.number().int().positive("must be positive millisecond horizons")).min(1),
        )
        .default([1_000, 5_000, 15_000, 30_000, 60_000]),
    })
    .prefault({}),
  /** Per-market fee parameters (fd.r, fd.e) are read from the venue and cached this long. */
  feeCacheTtlMs: int().pipe(z.number().min(0)).default(300_000),
  venue: z
    .object({
      clobUrl: url(/^https?$/).default("http://127.0.0.1:7788"),
      gammaUrl: url(/^https?$/).default("http://127.0.0.1:7788/gamma"),
      wsUrl: url(/^wss?$/).default("ws://127.0.0.1:7788/ws"),
      chainId: int().default(137),
      assets: z
        .preprocess(
          (v) => (typeof v === "string" ? v.split(",").map((s) => s.trim().toUpperCase()) : v),
          z.array(z.enum(["BTC", "ETH", "SOL", "XRP"], { error: "must be among BTC, ETH, SOL, XRP" })).min(1),
        )
        .default(["BTC", "ETH", "SOL", "XRP"]),
      windowMs: int().pipe(z.number().min(60_000, "must be at least one minute")).default(900_000),
    })
    .prefault({}),
  /** Credentials. Never logged (see src/log.ts). */
  secrets: z
    .object({
      privateKey: secret(/^0x[0-9a-fA-F]{64}$/, "0x followed by 64 hex digits"),
      apiKey: z.string().trim().min(1).optional(),
      apiSecret: z.string().trim().min(1).optional(),
      passphrase: z.string().trim().min(1).optional(),
    })
    .prefault({}),
  temporal: z
    .object({
      address: z.string().trim().min(1).default("127.0.0.1:7233"),
      namespace: z.string().trim().min(1).default("default"),
      taskQueue: z.string().trim().min(1).default("ballast"),
      streamingTaskQueue: z.string().trim().min(1).default("ballast-streaming"),
      /**
       * Worker versioning (docs/deploying.md): the Worker Deployment the workers belong to, and this
       * build's id in it (e.g. the image tag). Both set: the workers poll as that deployment version and
       * get only the tasks Temporal routes to it. Both unset (the default, and `npm start`): unversioned.
       */
      deploymentName: z.string().trim().min(1).optional(),
      buildId: z.string().trim().min(1).optional(),
    })
    .prefault({}),
  database: z
    .object({
      url: z
        .string()
        .trim()
        .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
        .optional(),
      dataDir: z.string().trim().min(1).default(".data"),
    })
    .prefault({}),
  log: z
    .object({
      level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
      /** pretty or json; unset: pretty on a terminal, JSON elsewhere (`--log-format` overrides it). */
      format: z.enum(["pretty", "json"], { error: "must be pretty or json" }).optional(),
    })
    .prefault({}),
  /**
   * The port of the process's Prometheus `/metrics` endpoint (9464, the OpenTelemetry Prometheus
   * exporter's usual port; src/metrics/server.ts); docker-compose.yml's Prometheus scrapes it on each
   * Ballast service. 0: an ephemeral port, logged at start (tests). `ballast start` serves on it and
   * gives its workflow worker and streaming worker the next two ports (docs/metrics.md).
   */
  metrics: z
    .object({
      port: int()
        .pipe(z.number().min(0, "must be a port number").max(65_535, "must be a port number"))
        .default(9464),
    })
    .prefault({}),
});

/** The settings, and the production/simulator guard across them (./deployment.ts). */
export const ConfigSchema = ConfigFields.superRefine(
  (config, ctx) => {
    const why = deploymentMismatch(config.environment, config.venue);
    // The message already says what BALLAST_ENV is: no ", got …" after it (see load.ts).
    if (why) ctx.addIssue({ code: "custom", path: ["environment"], message: why, params: { echo: false } });
  },
  // Alongside other bad fields (every bad field is named at once), but only on a venue that parsed.
  {
    when: (payload) => !payload.issues.some((i) => i.path?.[0] === "environment" || i.path?.[0] === "venue"),
  },
);

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Environment variable → config path. The strategy names are the seeds' own; the rest follow
 * common practice (DATABASE_URL, LOG_LEVEL, TEMPORAL_ADDRESS).
 */
export const ENV_VARS: Readonly<Record<string, readonly string[]>> = {
  MIN_SPREAD: ["arbitrage", "minSpread"],
  BUDGET_PER_TRADE: ["arbitrage", "budgetPerTrade"],
  MAX_POSITION_COST: ["arbitrage", "maxPositionCost"],
  REBALANCE_THRESHOLD: ["arbitrage", "rebalanceThreshold"],
  MIN_REBALANCE_PROFIT: ["arbitrage", "minRebalanceProfitPerShare"],
  MAX_REBALANCE_WAIT_MS: ["arbitrage", "rebalanceFreezeMs"],
  REBALANCE_CHECK_INTERVAL_MS: ["arbitrage", "rebalanceCheckIntervalMs"],
  PREFER_SELL_OVER_BUY: ["arbitrage", "preferSellOverBuy"],
  ALLOW_PARTIAL_REBALANCE: ["arbitrage", "allowPartialRebalance"],
  MAX_REBALANCE_TRADES: ["arbitrage", "maxRebalanceTrades"],
  MAX_POSITIONS_PER_WINDOW: ["arbitrage", "maxPositionsPerWindow"],
  ARB_ENTRY_PATH: ["arbitrage", "entryPath"],

  QUOTE_OFFSET_TICKS: ["quoting", "quoteOffsetTicks"],
  IMPROVE_WHEN_SPREAD_TICKS: ["quoting", "improveWhenSpreadTicks"],
  MAX_SPREAD_TICKS: ["quoting", "maxSpreadTicks"],
  REFRESH_THRESHOLD_TICKS: ["quoting", "refreshThresholdTicks"],
  MIN_REFRESH_INTERVAL_MS: ["quoting", "minRefreshIntervalMs"],
  GLOBAL_REFRESH_CAP_PER_SEC: ["quoting", "globalRefreshCapPerSec"],
  MOMENTUM_THRESHOLD_TICKS: ["quoting", "momentumThresholdTicks"],
  MOMENTUM_WINDOW_MS: ["quoting", "momentumWindowMs"],
  COOLDOWN_MS: ["quoting", "cooldownMs"],
  SWEEP_DEPTH_THRESHOLD: ["quoting", "sweepDepthThreshold"],
  MAX_POSITION_PER_MARKET: ["quoting", "maxPositionPerMarket"],
  MAX_LIABILITY_PER_MARKET_USDC: ["quoting", "maxLiabilityPerMarket"],
  MAX_TOTAL_LIABILITY_USDC: ["quoting", "maxTotalLiability"],
  INVENTORY_SKEW_COEFFICIENT: ["quoting", "inventorySkewCoefficient"],
  MAX_DRAWDOWN_PER_MARKET_USDC: ["quoting", "maxDrawdownPerMarket"],
  MAX_DRAWDOWN_GLOBAL_USDC: ["quoting", "maxDrawdownGlobal"],
  STALE_FEED_MS: ["quoting", "staleFeedMs"],
  MAX_CONSECUTIVE_ERRORS: ["quoting", "maxConsecutiveErrors"],
  CIRCUIT_BREAKER_RECOVERY_MS: ["quoting", "circuitBreakerRecoveryMs"],
  ORDER_SIZE: ["quoting", "orderSize"],
  BATCH_SIZE: ["quoting", "batchSize"],
  CANCEL_ON_MOMENTUM: ["quoting", "cancelOnMomentum"],
  POST_ONLY: ["quoting", "postOnly"],
  MARKOUT_HORIZONS_MS: ["quoting", "markoutHorizonsMs"],
  FEE_CACHE_TTL_MS: ["feeCacheTtlMs"],

  CLOB_URL: ["venue", "clobUrl"],
  GAMMA_URL: ["venue", "gammaUrl"],
  WS_URL: ["venue", "wsUrl"],
  CHAIN_ID: ["venue", "chainId"],
  ASSETS: ["venue", "assets"],
  WINDOW_MS: ["venue", "windowMs"],

  POLY_PRIVATE_KEY: ["secrets", "privateKey"],
  POLY_API_KEY: ["secrets", "apiKey"],
  POLY_API_SECRET: ["secrets", "apiSecret"],
  POLY_PASSPHRASE: ["secrets", "passphrase"],

  TEMPORAL_ADDRESS: ["temporal", "address"],
  TEMPORAL_NAMESPACE: ["temporal", "namespace"],
  TEMPORAL_TASK_QUEUE: ["temporal", "taskQueue"],
  TEMPORAL_STREAMING_TASK_QUEUE: ["temporal", "streamingTaskQueue"],
  TEMPORAL_DEPLOYMENT_NAME: ["temporal", "deploymentName"],
  TEMPORAL_BUILD_ID: ["temporal", "buildId"],

  BALLAST_ENV: ["environment"],

  DATABASE_URL: ["database", "url"],
  BALLAST_DATA_DIR: ["database", "dataDir"],
  LOG_LEVEL: ["log", "level"],
  LOG_FORMAT: ["log", "format"],
  METRICS_PORT: ["metrics", "port"],
};
