/**
 * The simulator's entry points refuse a production deployment: `ballast start` (the embedded stack on
 * the venue simulator) and `--paper` (a generated wallet for the simulator) with BALLAST_ENV=production.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PROJECT_ROOT } from "../../src/temporal/binaries";

const BIN = path.join(PROJECT_ROOT, "bin", "ballast.cjs");
const PRODUCTION = {
  PATH: process.env.PATH,
  BALLAST_ENV: "production",
  CLOB_URL: "https://clob.polymarket.com",
  GAMMA_URL: "https://gamma-api.polymarket.com",
  WS_URL: "wss://ws-subscriptions-clob.polymarket.com/ws",
};

function ballast(args: string[], dataDir: string) {
  return spawnSync(process.execPath, [BIN, ...args], {
    env: { ...PRODUCTION, BALLAST_DATA_DIR: dataDir },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("a production deployment", () => {
  it("is refused by ballast start, with one line, before anything starts", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ballast-prod-"));
    const r = ballast(["start", "--window", "2m"], dataDir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([
      "ballast: ballast start runs the embedded stack on the venue simulator: it does not run with BALLAST_ENV=production (run ballast worker, streamer and scheduler)",
    ]);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it("is refused by a worker asked to trade with a generated paper wallet", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ballast-prod-"));
    const r = ballast(["worker", "--paper"], dataDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--paper trades on the simulator: it does not run with BALLAST_ENV=production/);
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
