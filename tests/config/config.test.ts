import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "../../src/config/load";

const BIN = path.resolve(__dirname, "../../bin/ballast.cjs");
const KEY = `0x${"ab".repeat(32)}`;

function configError(env: NodeJS.ProcessEnv, file?: string): ConfigError {
  try {
    loadConfig({ env, ...(file ? { file } : {}) });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  it("defaults to both seeds' parameters", () => {
    const c = loadConfig({ env: {} });
    expect(c.arbitrage).toEqual({
      minSpread: 20_000,
      budgetPerTrade: 25_000_000,
      maxPositionCost: 40_000_000,
      rebalanceThreshold: 0.8,
      minRebalanceProfitPerShare: 20_000,
      rebalanceFreezeMs: 60_000,
      rebalanceCheckIntervalMs: 5_000,
      preferSellOverBuy: true,
      allowPartialRebalance: true,
      maxRebalanceTrades: 5,
      maxPositionsPerWindow: 5,
      entryPath: "armed",
    });
    expect(c.quoting).toMatchObject({
      quoteOffsetTicks: 0,
      improveWhenSpreadTicks: 4,
      maxSpreadTicks: 10,
      refreshThresholdTicks: 2,
      minRefreshIntervalMs: 500,
      globalRefreshCapPerSec: 10,
      momentumThresholdTicks: 3,
      momentumWindowMs: 500,
      cooldownMs: 2_000,
      sweepDepthThreshold: 0.5,
      maxPositionPerMarket: 100,
      maxLiabilityPerMarket: 50_000_000,
      maxTotalLiability: 500_000_000,
      inventorySkewCoefficient: 0.1,
      maxDrawdownPerMarket: 20_000_000,
      maxDrawdownGlobal: 100_000_000,
      maxConsecutiveErrors: 5,
      circuitBreakerRecoveryMs: 60_000,
      orderSize: 10_000_000,
      batchSize: 15,
      cancelOnMomentum: true,
      postOnly: true,
      markoutHorizonsMs: [1_000, 5_000, 15_000, 30_000, 60_000],
    });
    expect(c.feeCacheTtlMs).toBe(300_000);
    expect(c.venue).toMatchObject({
      clobUrl: "http://127.0.0.1:7788",
      gammaUrl: "http://127.0.0.1:7788/gamma",
      wsUrl: "ws://127.0.0.1:7788/ws",
      assets: ["BTC", "ETH", "SOL", "XRP"],
      windowMs: 900_000,
    });
    expect(c.database.url).toBeUndefined();
  });

  it("reads the environment, with money parsed exactly", () => {
    const c = loadConfig({
      env: {
        MIN_SPREAD: "0.015",
        MAX_POSITION_COST: "25.000001",
        PREFER_SELL_OVER_BUY: "false",
        ASSETS: "btc, eth",
        MARKOUT_HORIZONS_MS: "1000,5000",
        DATABASE_URL: "postgres://u:p@db:5432/ballast",
        POLY_PRIVATE_KEY: KEY,
      },
    });
    expect(c.arbitrage.minSpread).toBe(15_000);
    expect(c.arbitrage.maxPositionCost).toBe(25_000_001);
    expect(c.arbitrage.preferSellOverBuy).toBe(false);
    expect(c.venue.assets).toEqual(["BTC", "ETH"]);
    expect(c.quoting.markoutHorizonsMs).toEqual([1000, 5000]);
    expect(c.database.url).toBe("postgres://u:p@db:5432/ballast");
    expect(c.secrets.privateKey).toBe(KEY);
  });

  it("layers defaults < file < environment", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "ballast-config-"));
    const file = path.join(dir, "ballast.json");
    writeFileSync(
      file,
      JSON.stringify({ arbitrage: { maxRebalanceTrades: 3, minSpread: "0.03" }, log: { level: "debug" } }),
    );
    const c = loadConfig({ env: { MAX_REBALANCE_TRADES: "7" }, file });
    expect(c.arbitrage.maxRebalanceTrades).toBe(7);
    expect(c.arbitrage.minSpread).toBe(30_000);
    expect(c.log.level).toBe("debug");
  });

  it("names every bad field at once, with the reason", () => {
    const err = configError({
      REBALANCE_THRESHOLD: "1.5",
      MAX_REBALANCE_TRADES: "five",
      CLOB_URL: "not a url",
      BATCH_SIZE: "16",
      MIN_SPREAD: "0.0000001",
      ASSETS: "BTC,DOGE",
      DATABASE_URL: "mysql://x",
    });
    const fields = err.issues.map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "REBALANCE_THRESHOLD",
        "MAX_REBALANCE_TRADES",
        "CLOB_URL",
        "BATCH_SIZE",
        "MIN_SPREAD",
        "ASSETS",
        "DATABASE_URL",
      ]),
    );
    expect(err.message).toMatch(
      /REBALANCE_THRESHOLD \(arbitrage\.rebalanceThreshold\): must be between 0 and 1, got "1\.5"/,
    );
    expect(err.message).toMatch(/BATCH_SIZE .*at most 15/);
    expect(err.message).toMatch(/MIN_SPREAD .*more than 6 decimals/);
  });

  it("reads the metrics port (9464 unless set), and refuses one that is not a port", () => {
    expect(loadConfig({ env: {} }).metrics.port).toBe(9464);
    expect(loadConfig({ env: { METRICS_PORT: "9500" } }).metrics.port).toBe(9500);
    expect(configError({ METRICS_PORT: "70000" }).message).toMatch(
      /METRICS_PORT \(metrics\.port\): must be a port number, got "70000"/,
    );
    // 0: an ephemeral port (tests, several processes on one machine).
    expect(loadConfig({ env: { METRICS_PORT: "0" } }).metrics.port).toBe(0);
    expect(configError({ METRICS_PORT: "-1" }).message).toMatch(/METRICS_PORT .*must be a port number/);
  });

  it("never echoes a secret back in an error", () => {
    const err = configError({ POLY_PRIVATE_KEY: "0xnot-a-key-but-still-secret" });
    expect(err.message).toMatch(/POLY_PRIVATE_KEY .*must be 0x followed by 64 hex digits/);
    expect(err.message).not.toContain("not-a-key-but-still-secret");
  });

  it("reports an unreadable or invalid config file", () => {
    expect(configError({}, "/nonexistent/ballast.json").message).toMatch(
      /cannot read \/nonexistent\/ballast\.json: ENOENT/,
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), "ballast-config-"));
    const file = path.join(dir, "bad.json");
    writeFileSync(file, "{ nope");
    expect(configError({}, file).message).toMatch(/is not valid JSON/);
  });

  it("makes the command exit non-zero with one message and no stack trace", () => {
    const r = spawnSync(process.execPath, [BIN, "config"], {
      env: { PATH: process.env.PATH, REBALANCE_THRESHOLD: "2", WS_URL: "http://wrong", POLY_API_SECRET: "" },
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^ballast: invalid configuration:\n/);
    expect(r.stderr).toMatch(/REBALANCE_THRESHOLD/);
    expect(r.stderr).toMatch(/WS_URL/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("prints a valid configuration with secrets redacted", () => {
    const r = spawnSync(process.execPath, [BIN, "config"], {
      env: { PATH: process.env.PATH, POLY_PRIVATE_KEY: KEY, POLY_API_SECRET: "s3cr3t-value" },
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain(KEY);
    expect(r.stdout).not.toContain("s3cr3t-value");
    expect(JSON.parse(r.stdout).secrets).toEqual({
      privateKey: "[REDACTED]",
      apiKey: null,
      apiSecret: "[REDACTED]",
      passphrase: null,
    });
  });
});
