/**
 * Recorded histories of every workflow type (from the full-stack and versioning tests on the dev server:
 * RECORD_HISTORIES=1 npm test -- tests/integration) replay on today's workflow code without
 * non-determinism errors. CI runs this on every change: code that has run changes only behind
 * `patched()` (docs/deploying.md). The replay runs in a plain Node process (scripts/replay-histories.ts):
 * jest's module sandbox duplicates protobufjs types, which the SDK's history decoding rejects.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as workflows from "../../workflows";
import { VERSIONING_BEHAVIORS } from "../../workflows/versioning";

const ROOT = path.join(__dirname, "..", "..");
const FIXTURES = path.join(ROOT, "tests", "fixtures", "histories");

/**
 * Every recorded history and the workflow type it records. `<name>.json`: today's recordings of every
 * workflow type the workers host; `-armed`: through the armed entry path; `-v1`, `-v2`, `-v3`: recorded
 * by earlier releases (before later patches and the state-class refactors), which must keep replaying. A new recording goes here
 * (the directory and this list must agree).
 */
const HISTORIES: Record<string, string> = {
  "position.json": "position",
  "position-armed.json": "position",
  "position-armed-v1.json": "position",
  "position-v3.json": "position",
  "position-v2.json": "position",
  "session.json": "marketSession",
  "session-armed.json": "marketSession",
  "session-armed-v1.json": "marketSession",
  "session-v3.json": "marketSession",
  "session-v2.json": "marketSession",
  "session-v1.json": "marketSession",
  "feed.json": "marketFeed",
  "feed-armed.json": "marketFeed",
  "feed-v1.json": "marketFeed",
  "feed-armed-v1.json": "marketFeed",
  "scheduler.json": "scheduler",
  "scheduler-armed.json": "scheduler",
  "scheduler-v1.json": "scheduler",
  "control.json": "control",
  "control-armed.json": "control",
  "control-v1.json": "control",
  "system-check.json": "systemCheck",
};

/** The workflow types the workers host: every function workflows/index.ts exports. */
const WORKFLOW_TYPES = Object.entries(workflows)
  .filter(([, v]) => typeof v === "function")
  .map(([name]) => name)
  .sort();

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

/** The type named by a history's first event (WorkflowExecutionStarted), as the CLI's JSON export has it. */
function recordedType(file: string): string | undefined {
  const history = JSON.parse(readFileSync(path.join(FIXTURES, file), "utf8")) as {
    events?: {
      eventType?: string;
      workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } };
    }[];
  };
  const first = history.events?.[0];
  if (first?.eventType !== "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED") return undefined;
  return first.workflowExecutionStartedEventAttributes?.workflowType?.name;
}

describe("the recorded histories", () => {
  it("are all listed", () => {
    const recorded = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
    expect(recorded.sort()).toEqual(Object.keys(HISTORIES).sort());
  });

  it("cover every workflow type the workers host", () => {
    expect(WORKFLOW_TYPES.length).toBeGreaterThan(0);
    const covered = new Set(Object.values(HISTORIES));
    expect(WORKFLOW_TYPES.filter((t) => !covered.has(t))).toEqual([]);
  });

  it("are each of the workflow type their name says", () => {
    const recorded = Object.fromEntries(Object.keys(HISTORIES).map((f) => [f, recordedType(f)]));
    expect(recorded).toEqual(HISTORIES);
  });
});

describe("versioning behaviours (docs/deploying.md)", () => {
  it("are chosen for every workflow type: PINNED for the runs that end, AUTO_UPGRADE for the endless", () => {
    expect(VERSIONING_BEHAVIORS).toEqual({
      control: "AUTO_UPGRADE",
      marketFeed: "PINNED",
      marketSession: "PINNED",
      position: "PINNED",
      scheduler: "AUTO_UPGRADE",
      systemCheck: "PINNED",
    });
    expect(Object.keys(VERSIONING_BEHAVIORS).sort()).toEqual(WORKFLOW_TYPES);
    // Annotated (a getter, evaluated in the workflow: see workflows/versioning.ts).
    for (const type of WORKFLOW_TYPES)
      expect(
        typeof (workflows as Record<string, { workflowDefinitionOptions?: unknown }>)[type]
          ?.workflowDefinitionOptions,
      ).toBe("function");
  });
});

describe("replay of recorded histories", () => {
  it("replays the recorded histories of every workflow type deterministically", () => {
    const files = Object.keys(HISTORIES);
    const r = replay(files.map((f) => path.join(FIXTURES, f)));
    for (const f of files) {
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
