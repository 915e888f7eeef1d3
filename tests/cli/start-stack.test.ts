/**
 * `ballast start` (npm start) as an operator runs it: the real command, the real Temporal dev
 * server, venue, embedded Postgres and workers, on free ports with a temp data directory. Each way
 * the stack can be hit — a killed worker, a killed Temporal server, Ctrl-C on a terminal, a closed
 * stdout, a bad DATABASE_URL — and that afterwards no process of it is left (checked in /proc,
 * by the temp directory every one of its processes has in its environment).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { Connection } from "@temporalio/client";
import { PROJECT_ROOT } from "../../src/temporal/binaries";
import {
  BIN,
  descendants,
  type ProcInfo,
  processesMentioning,
  recordDescendants,
  stackPlace,
  startStack,
  stillRuns,
  Watched,
} from "./stack-process";

/** Long enough for the stack to come up on a busy 2-CPU machine. */
const UP_MS = 60_000;
/** From a stop request to the last process gone. */
const DOWN_MS = 40_000;

/** The shutdown's lines, in the order they must come: workers (either first), venue, database, Temporal. */
function expectOrderedShutdown(lines: string[], reason: RegExp): void {
  expect(lines.filter((l) => /^ballast: stopping \(/.test(l))).toEqual([expect.stringMatching(reason)]);
  const from = lines.findIndex((l) => /^ballast: stopping \(/.test(l));
  const stopped = lines
    .slice(from)
    .filter((l) => /^ballast: stopped/.test(l))
    .map((l) => l.replace(/ \(\d+\.\d s\)$/, ""));
  expect(stopped.slice(0, 2).sort()).toEqual([
    "ballast: stopped the streaming worker",
    "ballast: stopped the workflow worker",
  ]);
  expect(stopped.slice(2)).toEqual([
    "ballast: stopped the venue simulator",
    "ballast: stopped the embedded database",
    "ballast: stopped the Temporal dev server",
    "ballast: stopped",
  ]);
}

function expectNothingLeft(dataDir: string, seen: Iterable<ProcInfo>): void {
  const alive = [...seen].filter(stillRuns).map((p) => `${p.pid} ${p.cmd}`);
  expect(alive).toEqual([]);
  expect(processesMentioning(dataDir).map((p) => `${p.pid} ${p.cmd}`)).toEqual([]);
  // The embedded database's lock went with it.
  expect(existsSync(path.join(dataDir, "pglite.lock"))).toBe(false);
}

const isRole = (p: ProcInfo, role: string) => p.cmd.endsWith(`bin/ballast.cjs ${role}`);
const isTemporal = (p: ProcInfo) => p.cmd.includes("server start-dev");

/** Kills every process of a stack that a failed test left behind. */
function cleanUp(dataDir: string | undefined): void {
  if (!dataDir) return;
  for (const p of processesMentioning(dataDir)) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

describe("ballast start: the embedded stack is supervised", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) {
      cleanUp(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a bad DATABASE_URL: one line and a non-zero exit before anything starts", async () => {
    const place = await stackPlace({ DATABASE_URL: "postgres://ballast:hunter22@127.0.0.1:1/ballast" });
    dirs.push(place.dataDir);
    const stack = startStack(place);
    const end = await stack.ended(20_000);
    expect(end.code).not.toBe(0);
    expect(end.code).not.toBeNull();
    expect(stack.text("stdout")).toEqual([]);
    const err = stack.text("stderr");
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      /^ballast: cannot start: DATABASE_URL postgres:\/\/ballast:\*\*\*@127\.0\.0\.1:1\/ballast is not usable: .*ECONNREFUSED/,
    );
    // Nothing was started: no Temporal history, no embedded database, no wallet.
    expect(readdirSync(place.dataDir)).toEqual([]);
    expect(processesMentioning(place.dataDir)).toEqual([]);
  });

  it("restarts a killed worker and a killed Temporal server (one line each), then stops in order on SIGINT, leaving no process", async () => {
    const place = await stackPlace();
    dirs.push(place.dataDir);
    const stack = startStack(place);
    const parent = stack.child.pid!;
    const watch = recordDescendants(parent);
    try {
      await stack.waitFor(/^Ballast running/, UP_MS);

      // A worker killed with SIGKILL (no exit code): named, restarted.
      const worker = descendants(parent).find((p) => isRole(p, "worker"));
      expect(worker).toBeDefined();
      let mark = stack.lines.length;
      process.kill(worker!.pid, "SIGKILL");
      await stack.waitFor(
        new RegExp(
          `^ballast: the workflow worker \\(pid ${worker!.pid}\\) was killed by SIGKILL; restarting it in`,
        ),
        10_000,
        mark,
      );
      const [, again] = await stack.waitFor(
        /^ballast: the workflow worker is running again \(pid (\d+)\)/,
        15_000,
        mark,
      );
      expect(
        descendants(parent)
          .filter((p) => isRole(p, "worker"))
          .map((p) => p.pid),
      ).toEqual([Number(again)]);

      // The Temporal server killed: one clear line, then it runs again on the same port, history kept.
      const temporal = descendants(parent).find(isTemporal);
      expect(temporal).toBeDefined();
      mark = stack.lines.length;
      process.kill(temporal!.pid, "SIGKILL");
      const [, back] = await stack.waitFor(
        /^ballast: the Temporal dev server is running again \(pid (\d+)\)/,
        30_000,
        mark,
      );
      const about = stack
        .text()
        .slice(mark)
        .filter((l) => /Temporal dev server/.test(l) && !/msg/.test(l));
      expect(about).toEqual([
        expect.stringMatching(
          new RegExp(
            `^ballast: the Temporal dev server \\(pid ${temporal!.pid}\\) was killed by SIGKILL; restarting it in .*temporal\\.db`,
          ),
        ),
        `ballast: the Temporal dev server is running again (pid ${back})`,
      ]);
      expect(
        descendants(parent)
          .filter(isTemporal)
          .map((p) => p.pid),
      ).toEqual([Number(back)]);
      const connection = await Connection.connect({ address: `127.0.0.1:${place.temporalPort}` });
      try {
        const { workflowExecutionInfo } = await connection.workflowService.describeWorkflowExecution({
          namespace: "default",
          execution: { workflowId: "scheduler-btc" },
        });
        // The scheduler started before the crash is still there: the SQLite file kept the history.
        expect(workflowExecutionInfo?.type?.name).toBe("scheduler");
      } finally {
        await connection.close();
      }

      // SIGINT: the workers drain, then the venue, the database and Temporal stop; exit 0.
      process.kill(parent, "SIGINT");
      const end = await stack.ended(DOWN_MS);
      expect(end).toEqual({ code: 0, signal: null });
      expectOrderedShutdown(stack.text("stderr"), /^ballast: stopping \(SIGINT\)/);
      watch.stop();
      // Seen under it: both Temporal servers and all three workers (at least).
      expect(
        [...watch.seen.values()].filter((p) => isTemporal(p) || isRole(p, "worker") || isRole(p, "streamer"))
          .length,
      ).toBeGreaterThanOrEqual(5);
      expectNothingLeft(place.dataDir, watch.seen.values());
    } finally {
      watch.stop();
      cleanUp(place.dataDir);
    }
  });

  it("Ctrl-C on a terminal stops everything in order, leaving no process", async () => {
    const place = await stackPlace();
    dirs.push(place.dataDir);
    // A pseudo-terminal: Ctrl-C typed into it sends SIGINT to its foreground process group.
    const ptyScript =
      "import os, pty, sys\ns = pty.spawn(sys.argv[1:])\nc = os.waitstatus_to_exitcode(s)\nsys.exit(c if c >= 0 else 128 - c)\n";
    const tty = new Watched(
      spawn("python3", ["-c", ptyScript, process.execPath, BIN, ...place.args], {
        cwd: PROJECT_ROOT,
        env: { ...place.env, TERM: "xterm", COLUMNS: "200", LINES: "50" },
        stdio: ["pipe", "pipe", "pipe"],
      }),
    );
    const watch = recordDescendants(tty.child.pid!);
    try {
      await tty.waitFor(/^Ballast running/, UP_MS);
      // The live display is drawn (log-update, with its signal-exit hooks) before the Ctrl-C.
      await tty.waitFor(/waiting for the first market window|BTC +btc-updown/, 15_000);
      // Ctrl-C reaches ballast alone: every process it started is in a process group of its own, so
      // that ballast can stop them in order (tsx's esbuild helper, which ends with its stdin, aside).
      const ballast = descendants(tty.child.pid!).find((p) => p.cmd.includes(`${BIN} start`));
      expect(ballast).toBeDefined();
      const started = descendants(ballast!.pid).filter((p) => !p.cmd.includes("esbuild"));
      expect(started.length).toBeGreaterThanOrEqual(3);
      expect(started.filter((p) => p.pgrp === ballast!.pgrp).map((p) => p.cmd)).toEqual([]);
      tty.child.stdin?.write("\x03");
      const end = await tty.ended(DOWN_MS);
      expect(end).toEqual({ code: 0, signal: null });
      expectOrderedShutdown(tty.text(), /^ballast: stopping \(SIGINT\)/);
      watch.stop();
      expectNothingLeft(place.dataDir, watch.seen.values());
    } finally {
      watch.stop();
      tty.child.stdin?.end();
      cleanUp(place.dataDir);
    }
  });

  it("a closed stdout (npm start | head) stops everything in order, leaving no process", async () => {
    const place = await stackPlace();
    dirs.push(place.dataDir);
    const stack = startStack(place);
    // The reader is gone before the first line: writing "Ballast running" fails with EPIPE.
    stack.child.stdout?.destroy();
    const watch = recordDescendants(stack.child.pid!);
    try {
      const end = await stack.ended(UP_MS + DOWN_MS);
      expect(end).toEqual({ code: 0, signal: null });
      expectOrderedShutdown(stack.text("stderr"), /^ballast: stopping \(stdout closed: EPIPE\)/);
      watch.stop();
      expectNothingLeft(place.dataDir, watch.seen.values());
    } finally {
      watch.stop();
      cleanUp(place.dataDir);
    }
  });

  it("ballast itself killed (SIGKILL): its children stop on their own", async () => {
    const place = await stackPlace();
    dirs.push(place.dataDir);
    const stack = startStack(place);
    try {
      await stack.waitFor(/^Ballast running/, UP_MS);
      const parent = stack.child.pid!;
      const children = descendants(parent).filter(
        (p) => isTemporal(p) || isRole(p, "worker") || isRole(p, "streamer"),
      );
      expect(children).toHaveLength(3);
      process.kill(parent, "SIGKILL");
      await stack.ended(5_000);
      // The workers see their IPC channel close; the kernel sends Temporal SIGTERM (parent-death signal).
      const deadline = Date.now() + DOWN_MS;
      while (processesMentioning(place.dataDir).length > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(processesMentioning(place.dataDir).map((p) => `${p.pid} ${p.cmd}`)).toEqual([]);
    } finally {
      cleanUp(place.dataDir);
    }
  });
});
