/**
 * Helpers of the `ballast start` tests: free ports, a temp data directory, the stack as a child
 * process with its output kept line by line, and the process table (/proc) to find every process
 * that belongs to a stack — by its environment, which every process it starts inherits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "../../src/temporal/binaries";

export const BIN = path.join(PROJECT_ROOT, "bin", "ballast.cjs");

/** Terminal control sequences (ESC [ … letter). */
const ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, "g");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface StackPlace {
  dataDir: string;
  temporalPort: number;
  uiPort: number;
  venuePort: number;
  env: NodeJS.ProcessEnv;
  args: string[];
}

/** A temp data dir and free ports, so that a test stack clashes with no other stack on this machine. */
export async function stackPlace(extraEnv: NodeJS.ProcessEnv = {}): Promise<StackPlace> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ballast-start-"));
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [temporalPort, uiPort, venuePort] = [...ports] as [number, number, number];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    BALLAST_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    CLOB_URL: `http://127.0.0.1:${venuePort}`,
    GAMMA_URL: `http://127.0.0.1:${venuePort}/gamma`,
    WS_URL: `ws://127.0.0.1:${venuePort}/ws`,
    ASSETS: "BTC",
    ...extraEnv,
  };
  for (const k of ["TEMPORAL_CLI_PATH", "NODE_OPTIONS"]) if (process.env[k]) env[k] = process.env[k];
  return {
    dataDir,
    temporalPort,
    uiPort,
    venuePort,
    env,
    args: ["start", "--window", "2m", "--ui-port", String(uiPort)],
  };
}

/** A running process with its output kept as lines, and waits on them. */
export class Watched {
  readonly lines: { stream: "stdout" | "stderr"; text: string; at: number }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => this.wake());
    for (const stream of ["stdout", "stderr"] as const) {
      const readable = child[stream];
      if (!readable) continue;
      createInterface({ input: readable, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
        // A terminal's output: drop the live display's escape sequences, carriage returns, the echoed ^C.
        const text = line.replace(ESCAPES, "").replace(/\r/g, "").replace(/^\^C/, "");
        this.lines.push({ stream, text, at: Date.now() });
        this.wake();
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  text(stream?: "stdout" | "stderr"): string[] {
    return this.lines.filter((l) => !stream || l.stream === stream).map((l) => l.text);
  }

  /** The first line (from index `from`) matching `re`; fails after `timeoutMs` showing the output. */
  async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    for (;;) {
      for (const l of this.lines.slice(from)) {
        const m = l.text.match(re);
        if (m) return m;
      }
      if (exited || Date.now() > deadline) {
        throw new Error(
          `${exited ? "the process ended" : `${timeoutMs} ms passed`} without a line matching ${re}; output:\n${this.text().slice(-60).join("\n")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with how it ended, or fails after `timeoutMs`. */
  async ended(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`still running after ${timeoutMs} ms; output:\n${this.text().slice(-60).join("\n")}`),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `node bin/ballast.cjs start …` in the place; stdout "pipe" unless told. */
export function startStack(place: StackPlace, stdout: "pipe" | "ignore" = "pipe"): Watched {
  return new Watched(
    spawn(process.execPath, [BIN, ...place.args], {
      cwd: PROJECT_ROOT,
      env: place.env,
      stdio: ["ignore", stdout, "pipe"],
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// The process table

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Process group. */
  pgrp: number;
  /** Start time in clock ticks since boot: with the pid, names one process even if the pid is reused. */
  start: string;
  cmd: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { pid, ppid: Number(fields[1]), pgrp: Number(fields[2]), start: fields[19] ?? "", cmd };
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** Every process that descends from `pid` (not `pid` itself). */
export function descendants(pid: number): ProcInfo[] {
  const procs = allPids()
    .map(readProc)
    .filter((p): p is ProcInfo => p !== undefined);
  const found: ProcInfo[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * Every live process whose environment or command line mentions `marker` (a stack's temp data
 * directory): the stack's processes wherever they are now, orphans reparented to init included.
 */
export function processesMentioning(marker: string): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    let environ = "";
    try {
      environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      // gone, or not ours to read
    }
    const info = readProc(pid);
    if (!info || info.ppid === 2 || info.pid === 2) continue; // kernel threads
    if (environ.includes(marker) || info.cmd.includes(marker)) found.push(info);
  }
  return found;
}

/** Whether that very process (pid and start time) still runs (zombies count as ended). */
export function stillRuns(p: ProcInfo): boolean {
  const now = readProc(p.pid);
  if (!now || now.start !== p.start) return false;
  try {
    const state = readFileSync(`/proc/${p.pid}/stat`, "utf8");
    return state.slice(state.lastIndexOf(")") + 2, state.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Watches a stack: every process seen under it so far (checked every 200 ms), to prove at the end
 * that none of them outlived it.
 */
export function recordDescendants(root: number): { seen: Map<string, ProcInfo>; stop(): void } {
  const seen = new Map<string, ProcInfo>();
  const look = () => {
    for (const p of descendants(root)) {
      // An ending process (a zombie) has no command line any more: keep the one seen before.
      const key = `${p.pid}/${p.start}`;
      if (p.cmd || !seen.has(key)) seen.set(key, p);
    }
  };
  look();
  const timer = setInterval(look, 200);
  return {
    seen,
    stop: () => clearInterval(timer),
  };
}
