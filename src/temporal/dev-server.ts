/**
 * The Temporal CLI dev server as a child process (for `npm start`): history in a SQLite file under
 * the data directory so that a restart keeps every workflow, the Web UI on its own port, and
 * Ballast's search attributes registered.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Connection } from "@temporalio/client";
import type { Logger } from "../log";
import { temporalCliPath } from "./binaries";
import { devServerSearchAttributeArgs } from "./search-attributes";

export interface DevServerOptions {
  dataDir: string;
  ip?: string;
  port?: number;
  uiPort?: number;
  namespace?: string;
  logger?: Logger;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const ip = options.ip ?? "127.0.0.1";
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  mkdirSync(options.dataDir, { recursive: true });
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
  ];
  const child = spawn(temporalCliPath(), args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => {
    output += String(d);
  });
  child.stderr?.on("data", (d) => {
    output += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const address = `${ip}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const failed = await Promise.race([exited.then((code) => ({ code })), Promise.resolve(undefined)]);
    if (failed) throw new Error(`the Temporal dev server exited (${failed.code}):\n${output.slice(-2000)}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: "1 second" });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(
          `the Temporal dev server did not answer at ${address} within 60 s: ${(err as Error).message}`,
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
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
