import { spawnSync } from "node:child_process";
import path from "node:path";
import { SIMULATOR_PORT } from "../../src/config/deployment";
import { ConfigError, loadConfig } from "../../src/config/load";
import { ENV_VARS } from "../../src/config/schema";
import { VENUE_DEFAULTS } from "../../src/venue/server/app";

const BIN = path.resolve(__dirname, "../../bin/ballast.cjs");
const LIVE_KEY = `0x${"cd".repeat(32)}`;
/** Polymarket's production endpoints, as an operator sets them. */
const POLYMARKET = {
  CLOB_URL: "https://clob.polymarket.com",
  GAMMA_URL: "https://gamma-api.polymarket.com",
  WS_URL: "wss://ws-subscriptions-clob.polymarket.com/ws",
};

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig({ env });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("BALLAST_ENV: production refuses the simulator, the simulator refuses production", () => {
  it("defaults to simulator, takes production, and refuses anything else", () => {
    expect(loadConfig({ env: {} }).environment).toBe("simulator");
    expect(loadConfig({ env: { BALLAST_ENV: "production", ...POLYMARKET } }).environment).toBe("production");
    const err = configError({ BALLAST_ENV: "prod" });
    expect(err.issues).toEqual([
      expect.objectContaining({
        field: "BALLAST_ENV",
        message: 'must be simulator or production, got "prod"',
      }),
    ]);
  });

  it("refuses production left on the default venue (the simulator), naming each URL in one line", () => {
    const err = configError({ BALLAST_ENV: "production", POLY_PRIVATE_KEY: LIVE_KEY });
    expect(err.issues).toHaveLength(1);
    const [issue] = err.issues;
    expect(issue?.field).toBe("BALLAST_ENV");
    expect(issue?.message).not.toContain("\n");
    expect(issue?.message).toBe(
      "production, but the venue is the simulator: CLOB_URL http://127.0.0.1:7788 (loopback host 127.0.0.1), " +
        "GAMMA_URL http://127.0.0.1:7788/gamma (loopback host 127.0.0.1), " +
        "WS_URL ws://127.0.0.1:7788/ws (loopback host 127.0.0.1); set the real venue's URLs, or BALLAST_ENV=simulator",
    );
    expect(err.message).not.toContain(LIVE_KEY);
  });

  // One venue URL at a time is the simulator's; the others are the real venue's.
  it.each([
    ["CLOB_URL", "http://localhost:8080", "loopback host localhost"],
    ["CLOB_URL", "http://LOCALHOST.:8080", "loopback host localhost"],
    ["CLOB_URL", "http://127.0.0.53", "loopback host 127.0.0.53"],
    ["CLOB_URL", "http://2130706433", "loopback host 127.0.0.1"],
    ["GAMMA_URL", "http://[::1]:7000/gamma", "loopback host ::1"],
    ["GAMMA_URL", "http://[::ffff:127.0.0.1]/gamma", "loopback host ::ffff:7f00:1"],
    ["WS_URL", "ws://0.0.0.0/ws", "loopback host 0.0.0.0"],
    ["WS_URL", "ws://venue.internal:7788/ws", "the simulator's port 7788"],
    ["CLOB_URL", "https://sim.example.org:7788", "the simulator's port 7788"],
  ])("refuses production with %s=%s (%s)", (name, url, why) => {
    const err = configError({ BALLAST_ENV: "production", ...POLYMARKET, [name]: url });
    expect(err.issues).toEqual([
      {
        field: "BALLAST_ENV",
        path: "environment",
        message: `production, but the venue is the simulator: ${name} ${url} (${why}); set the real venue's URLs, or BALLAST_ENV=simulator`,
      },
    ]);
  });

  it("takes production with the real venue's URLs and a live key", () => {
    const c = loadConfig({ env: { BALLAST_ENV: "production", ...POLYMARKET, POLY_PRIVATE_KEY: LIVE_KEY } });
    expect(c.venue.clobUrl).toBe(POLYMARKET.CLOB_URL);
    expect(c.secrets.privateKey).toBe(LIVE_KEY);
    // Another host on another port (a proxy in front of the venue) is not the simulator.
    expect(
      loadConfig({
        env: { BALLAST_ENV: "production", ...POLYMARKET, CLOB_URL: "https://clob-proxy.internal:8443" },
      }).venue.clobUrl,
    ).toBe("https://clob-proxy.internal:8443");
  });

  it("takes a live key against the simulator", () => {
    for (const env of [
      { POLY_PRIVATE_KEY: LIVE_KEY },
      { BALLAST_ENV: "simulator", POLY_PRIVATE_KEY: LIVE_KEY },
    ]) {
      const c = loadConfig({ env });
      expect(c.environment).toBe("simulator");
      expect(c.venue.clobUrl).toBe("http://127.0.0.1:7788");
      expect(c.secrets.privateKey).toBe(LIVE_KEY);
    }
  });

  it("refuses the simulator environment (also the default) pointed at Polymarket's venue", () => {
    expect(configError({ ...POLYMARKET }).issues).toEqual([
      {
        field: "BALLAST_ENV",
        path: "environment",
        message:
          "simulator (the default), but CLOB_URL https://clob.polymarket.com, GAMMA_URL https://gamma-api.polymarket.com, " +
          "WS_URL wss://ws-subscriptions-clob.polymarket.com/ws are Polymarket's production venue; set BALLAST_ENV=production to trade there",
      },
    ]);
    expect(
      configError({ BALLAST_ENV: "simulator", CLOB_URL: "https://CLOB.Polymarket.com." }).issues,
    ).toEqual([
      expect.objectContaining({
        field: "BALLAST_ENV",
        message:
          "simulator (the default), but CLOB_URL https://CLOB.Polymarket.com. is Polymarket's production venue; set BALLAST_ENV=production to trade there",
      }),
    ]);
    // A look-alike host is not Polymarket's.
    expect(loadConfig({ env: { CLOB_URL: "https://notpolymarket.com" } }).venue.clobUrl).toBe(
      "https://notpolymarket.com",
    );
  });

  it("names the mismatch alongside every other bad field", () => {
    const err = configError({ BALLAST_ENV: "production", MAX_REBALANCE_TRADES: "five" });
    expect(err.issues.map((i) => i.field)).toEqual(["MAX_REBALANCE_TRADES", "BALLAST_ENV"]);
  });

  it("knows the simulator's port and the venue variables it reads", () => {
    expect(SIMULATOR_PORT).toBe(VENUE_DEFAULTS.port);
    expect(ENV_VARS.BALLAST_ENV).toEqual(["environment"]);
    expect([ENV_VARS.CLOB_URL, ENV_VARS.GAMMA_URL, ENV_VARS.WS_URL]).toEqual([
      ["venue", "clobUrl"],
      ["venue", "gammaUrl"],
      ["venue", "wsUrl"],
    ]);
  });

  it("stops a production worker on the simulator before it starts, exit code 2, one line", () => {
    const r = spawnSync(process.execPath, [BIN, "worker"], {
      env: { PATH: process.env.PATH, BALLAST_ENV: "production", POLY_PRIVATE_KEY: LIVE_KEY },
      encoding: "utf8",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^ballast: invalid configuration:\n {2}- BALLAST_ENV \(environment\): production, but the venue is the simulator: CLOB_URL http:\/\/127\.0\.0\.1:7788 \(loopback host 127\.0\.0\.1\), [^\n]*\n$/,
    );
    expect(r.stderr).not.toContain(LIVE_KEY);
  });
});
