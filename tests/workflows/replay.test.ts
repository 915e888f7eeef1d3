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
  // Today's recordings of every workflow type the stack test runs, and earlier ones (-v1, -v2: recorded
  // before later patches) that must keep replaying through their patched() branches.
  const HISTORIES = [
    "position.json",
    "position-v2.json",
    "session.json",
    "session-v2.json",
    "session-v1.json",
    "scheduler.json",
    "control.json",
    "feed.json",
  ];

  it("replays the recorded histories of every workflow type deterministically", () => {
    const r = replay(HISTORIES.map((f) => path.join(FIXTURES, f)));
    for (const f of HISTORIES) {
      expect(r.stdout).toMatch(new RegExp(`replayed ${f.replace(".", "\\.")}: \\d+ events, deterministic`));
    }
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
