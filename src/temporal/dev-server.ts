/**
 * The Temporal CLI dev server as a child process (for `npm start`): history in a SQLite file under
 * the data directory so that a restart keeps every workflow, the Web UI on its own port, and
 * Ballast's search attributes registered.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { Connection } from "@temporalio/client";
import type { Logger } from "../log";
import { temporalCliPath } from "./binaries";
import { devServerSearchAttributeArgs } from "./search-attributes";

/**
 * Dynamic config `npm start` gives its dev server (README, "The hot path", lists each with its reason):
 * - system.enableActivityEagerExecution: an activity scheduled by a workflow task comes back in that
 *   task's completion response to the worker that asked (same task queue, a free slot), instead of going
 *   through the transfer queue and matching — the entry legs of an armed position take this path;
 * - history.transferProcessorMaxPollRPS and history.timerProcessorMaxPollRPS: the dev server's one history
 *   shard reads its transfer and timer queues at most 20 times a second by default; every signal, child
 *   start, non-eager activity and timer of Ballast's workflows waits on them (the child entry path took
 *   four such hops). 1000 reads a second leaves them idle-cheap and removes most of that wait.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: readonly string[] = [
  "system.enableActivityEagerExecution=true",
  "history.transferProcessorMaxPollRPS=1000",
  "history.timerProcessorMaxPollRPS=1000",
];

export interface DevServerOptions {
  /** Dynamic config values (KEY=VALUE), e.g. DEV_SERVER_DYNAMIC_CONFIG. */
  dynamicConfig?: readonly string[];
  dataDir: string;
  ip?: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  logger?: Logger;
  /** Its own process group: a terminal's Ctrl-C then reaches only whoever supervises it. */
  detached?: boolean;
  /** Words run before the CLI (e.g. `setpriv --pdeathsig TERM --`). */
  commandPrefix?: readonly string[];
  /** Called as soon as the process exists (before it is ready). */
  onSpawn?: (child: ChildProcess) => void;
  /** Aborting kills the server if it is still starting (startDevServer then rejects). */
  signal?: AbortSignal;
  /** How long to wait for it to answer; 60 s by default. */
  readyTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  pid: number | undefined;
  /** Settles when the process has ended: its exit code, or the signal that killed it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it wrote (stdout and stderr), for a message when it dies. */
  recentOutput(): string;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `timeoutMs` (10 s by default); resolves when it has ended. */
  stop(timeoutMs?: number): Promise<void>;
}

const OUTPUT_KEPT = 4_000;

/** Rejects when nothing may listen on ip:port (in use, or not an address of this machine). */
export function checkPortFree(ip: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: ip, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const ip = options.ip ?? "127.0.0.1";
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  mkdirSync(options.dataDir, { recursive: true });
  // Another server on the port would answer the readiness probe in this one's stead.
  for (const p of [port, uiPort]) {
    await checkPortFree(ip, p).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`the Temporal dev server cannot listen on ${ip}:${p}: ${err.code ?? err.message}`);
    });
  }
  const args = [
    "server",
    "start-dev",
    "--ip",
    ip,
    "--port",
    String(port),
    "--ui-port",
    String(uiPort),
    "--db-filename",
    path.resolve(options.dataDir, "temporal.db"),
    "--namespace",
    options.namespace ?? "default",
    "--log-level",
    "error",
    "--ui-disable-news-fetch",
    ...devServerSearchAttributeArgs(),
    ...(options.dynamicConfig ?? []).flatMap((kv) => ["--dynamic-config-value", kv]),
  ];
  const [file, ...rest] = [...(options.commandPrefix ?? []), temporalCliPath(), ...args] as [
    string,
    ...string[],
  ];
  const child = spawn(file, rest, { stdio: ["ignore", "pipe", "pipe"], detached: options.detached ?? false });
  options.onSpawn?.(child);
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + String(d)).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.on("error", (err) => {
      if (child.pid !== undefined) return;
      keep(Buffer.from(err.message));
      resolve({ code: null, signal: null });
    });
  });
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const kill = (signal: NodeJS.Signals) => {
    if (ended || child.pid === undefined) return;
    try {
      process.kill(options.detached ? -child.pid : child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
  const address = `${ip}:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (ended) {
      const { code, signal } = await exited;
      throw new Error(
        `the Temporal dev server ${signal ? `was killed by ${signal}` : `exited (${code})`} while starting:\n${output.slice(-2000)}`,
      );
    }
    if (options.signal?.aborted) {
      kill("SIGKILL");
      await exited;
      throw new Error("the Temporal dev server's start was cancelled");
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: "1 second" });
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        kill("SIGKILL");
        await exited;
        throw new Error(
          `the Temporal dev server did not answer at ${address} within ${Math.round((options.readyTimeoutMs ?? 60_000) / 1000)} s: ${(err as Error).message}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  options.logger?.info({ address, ui: `http://${ip}:${uiPort}` }, "Temporal dev server running");
  return {
    address,
    uiUrl: `http://${ip}:${uiPort}`,
    process: child,
    pid: child.pid,
    exited,
    recentOutput: () => output,
    kill,
    async stop(timeoutMs = 10_000) {
      if (ended) return;
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
