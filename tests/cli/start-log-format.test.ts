/**
 * `ballast start` (npm start) end to end, as issue 11 has it: on a terminal, pretty log lines (ours
 * and the workers') and the live status; with stdout piped (`npm start | cat`), JSON lines only on
 * stdout and JSON log lines on stderr. The real stack, on free ports with a temp data directory.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { PROJECT_ROOT } from "../../src/temporal/binaries";
import { BIN, processesMentioning, stackPlace, startStack, Watched } from "./stack-process";

/** Long enough for the stack to come up on a busy 2-CPU machine. */
const UP_MS = 90_000;
const DOWN_MS = 40_000;
/** Each test: up, a few lines, down. */
const TEST_MS = UP_MS + 60_000 + DOWN_MS;

/** A pino-pretty line: `[10:00:00.250] INFO (worker): …`. */
const PRETTY = /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) \(/;

function cleanUp(dataDir: string): void {
  for (const p of processesMentioning(dataDir)) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

function parsesAsJson(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === "object" && !Array.isArray(value);
  } catch {
    return false;
  }
}

describe("ballast start: logs a person can read, JSON for a pipe", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) {
      cleanUp(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    "with stdout piped, every stdout line is a JSON object and log lines are JSON",
    async () => {
      // The workers' info lines too (they log warnings only by default), to see them forwarded.
      const place = await stackPlace({ LOG_LEVEL: "info" });
      dirs.push(place.dataDir);
      const stack = startStack(place);
      try {
        await stack.waitFor(/"msg":"Ballast running"/, UP_MS);
        // The dashboard, once, as a JSON record (a pipe gets it at most every 30 s).
        await stack.waitFor(/"msg":"status"/, 30_000);
        await stack.waitFor(/"name":"worker".*"msg":"workflow worker running"/, 30_000);
        process.kill(stack.child.pid!, "SIGINT");
        const end = await stack.ended(DOWN_MS);
        expect(end).toEqual({ code: 0, signal: null });

        const out = stack.text("stdout");
        expect(out.filter((l) => !parsesAsJson(l))).toEqual([]);
        const records = out.map((l) => JSON.parse(l));
        expect(records[0]).toMatchObject({ level: 30, name: "ballast", msg: "Ballast running", seed: 1 });
        expect(records.find((r) => r.msg === "status")).toMatchObject({ markets: expect.any(Array) });

        const err = stack.text("stderr");
        // Log lines stay JSON: ours, and the workers' as they wrote them.
        expect(err).toContainEqual(
          expect.stringMatching(/^\{.*"name":"ballast".*"msg":"Temporal dev server running"/),
        );
        expect(err).toContainEqual(
          expect.stringMatching(/^\{.*"name":"worker".*"msg":"workflow worker running"/),
        );
        expect(err).toContainEqual(
          expect.stringMatching(/^\{.*"name":"streamer".*"msg":"streaming worker running"/),
        );
        expect(err.filter((l) => PRETTY.test(l))).toEqual([]);
      } finally {
        cleanUp(place.dataDir);
      }
    },
    TEST_MS,
  );

  it(
    "on a terminal, log lines are pretty (ours and the workers', with their names) and none is JSON",
    async () => {
      const place = await stackPlace({ LOG_LEVEL: "info" });
      dirs.push(place.dataDir);
      const ptyScript =
        "import os, pty, sys\ns = pty.spawn(sys.argv[1:])\nc = os.waitstatus_to_exitcode(s)\nsys.exit(c if c >= 0 else 128 - c)\n";
      const tty = new Watched(
        spawn("python3", ["-c", ptyScript, process.execPath, BIN, ...place.args], {
          cwd: PROJECT_ROOT,
          env: { ...place.env, TERM: "xterm", COLUMNS: "200", LINES: "50" },
          stdio: ["pipe", "pipe", "pipe"],
        }),
      );
      try {
        await tty.waitFor(/^Ballast running/, UP_MS);
        await tty.waitFor(/waiting for the first market window|BTC +btc-updown/, 15_000);
        await tty.waitFor(/ INFO \(worker\): workflow worker running/, 30_000);
        await tty.waitFor(/ INFO \(streamer\): streaming worker running/, 30_000);
        tty.child.stdin?.write("\x03");
        const end = await tty.ended(DOWN_MS);
        expect(end).toEqual({ code: 0, signal: null });

        const lines = tty.text();
        expect(lines).toContainEqual(
          expect.stringMatching(/ INFO \(ballast\): Temporal dev server running /),
        );
        // No raw pino line reached the terminal.
        expect(lines.filter((l) => /^\s*\{"level"/.test(l) || /"msg":/.test(l))).toEqual([]);
      } finally {
        tty.child.stdin?.end();
        cleanUp(place.dataDir);
      }
    },
    TEST_MS,
  );
});
