/**
 * Recorded histories of both lifecycle workflows (from the full-stack test on the dev server:
 * RECORD_HISTORIES=1 npm test -- tests/integration) replay on today's workflow code without
 * non-determinism errors. The replay runs in a plain Node process (scripts/replay-histories.ts):
 * jest's module sandbox duplicates protobufjs types, which the SDK's history decoding rejects.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "tests", "fixtures", "histories");

function replay(files: string[]) {
  return spawnSync(
    process.execPath,
    ["--require", "tsx/cjs", path.join(ROOT, "scripts", "replay-histories.ts"), ...files],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
}

describe("replay of recorded histories", () => {
  it("replays the position and session histories deterministically", () => {
    const r = replay([
      path.join(FIXTURES, "position.json"),
      path.join(FIXTURES, "session.json"),
      path.join(FIXTURES, "session-v1.json"),
    ]);
    expect(r.stdout).toMatch(/replayed position\.json: \d+ events, deterministic/);
    expect(r.stdout).toMatch(/replayed session\.json: \d+ events, deterministic/);
    expect(r.stdout).toMatch(/replayed session-v1\.json: \d+ events, deterministic/);
    expect(r.status).toBe(0);
  });

  it("detects a history that today's code would not produce", () => {
    // The position's first order activity, renamed: a replay must refuse it.
    const dir = mkdtempSync(path.join(os.tmpdir(), "ballast-replay-"));
    const tampered = path.join(dir, "tampered.json");
    copyFileSync(path.join(FIXTURES, "position.json"), tampered);
    const text = readFileSync(tampered, "utf8").replace('"name": "placeOrder"', '"name": "placeOrderV0"');
    writeFileSync(tampered, text);
    const r = replay([tampered]);
    expect(r.stdout).toMatch(/FAILED tampered\.json/);
    expect(r.status).toBe(1);
  });
});
