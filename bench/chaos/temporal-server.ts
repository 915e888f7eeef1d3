/**
 * The Temporal dev server of the chaos harness: a child process keeping its history in a SQLite file, so
 * that it can be killed with SIGKILL and started again on the same file and port — the workflows, their
 * timers and task queues survive, as they would on a real cluster's database.
 *
 * The harness gives each trial its own namespace (workflow ids such as `scheduler-btc` or
 * `session-{slug}` are per namespace, so trials cannot meet), registered at run time with Ballast's
 * search attributes.
 *
 * Extra dynamic config is passed at every start: the harness lowers
 * `limit.historyCount.suggestContinueAsNew` so that sessions continue as new within a short window
 * (the server suggests it once a history reaches that many events; sessions obey the suggestion).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { Connection } from "@temporalio/client";
import { SearchAttributeType } from "@temporalio/common";
import { msToTs } from "@temporalio/common/lib/time";
import { temporal } from "@temporalio/proto";
import { temporalCliPath } from "../../src/temporal/binaries";
import { devServerSearchAttributeArgs, SEARCH_ATTRIBUTES } from "../../src/temporal/search-attributes";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface TemporalServerOptions {
  /** Holds temporal.db and server.log. */
  dir: string;
  /** `KEY=VALUE` dynamic config values. */
  dynamicConfig?: readonly string[];
  readyTimeoutMs?: number;
}

export class RestartableTemporal {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #connection: Connection | undefined;
  /** Starts so far (the first included). */
  starts = 0;
  /** Set when the server ended without being asked to. */
  unexpectedExit: string | undefined;
  #stopping = false;

  private constructor(
    readonly options: TemporalServerOptions,
    readonly port: number,
  ) {}

  static async start(options: TemporalServerOptions): Promise<RestartableTemporal> {
    const server = new RestartableTemporal(options, await freePort());
    await server.start();
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get dbFile(): string {
    return path.join(this.options.dir, "temporal.db");
  }

  /** The server process is alive (it may still be starting). */
  get running(): boolean {
    const c = this.#child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  /** The harness's own connection (it reconnects by itself after a restart). */
  async connection(): Promise<Connection> {
    this.#connection ??= await Connection.connect({ address: this.address });
    return this.#connection;
  }

  /** Starts the server on the same file and port; resolves once it answers. */
  async start(): Promise<void> {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null)
      throw new Error("the Temporal server is already running");
    const log = openSync(path.join(this.options.dir, "server.log"), "a");
    const args = [
      "server",
      "start-dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(this.port),
      "--headless",
      "--db-filename",
      this.dbFile,
      "--log-level",
      "error",
      ...devServerSearchAttributeArgs(),
      ...(this.options.dynamicConfig ?? []).flatMap((kv) => ["--dynamic-config-value", kv]),
    ];
    const child = spawn(temporalCliPath(), args, { stdio: ["ignore", log, log] });
    closeSync(log);
    this.#child = child;
    this.starts += 1;
    this.#stopping = false;
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        if (!this.#stopping) this.unexpectedExit = `the Temporal server exited (${signal ?? code})`;
        resolve();
      });
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `the Temporal server exited while starting; see ${path.join(this.options.dir, "server.log")}`,
        );
      try {
        const c = await Connection.connect({ address: this.address, connectTimeout: "1 second" });
        try {
          await c.workflowService.getSystemInfo({});
        } finally {
          await c.close();
        }
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          await this.kill();
          throw new Error(`the Temporal server did not answer at ${this.address}: ${(err as Error).message}`);
        }
        await sleep(100);
      }
    }
  }

  /** SIGKILL; resolves once the process has ended. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.#stopping = true;
    child.kill("SIGKILL");
    await this.#exited;
  }

  /** SIGTERM (SIGKILL after 10 s), and closes the harness's connection. */
  async stop(): Promise<void> {
    await this.#connection?.close().catch(() => undefined);
    this.#connection = undefined;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.#stopping = true;
    const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.kill("SIGTERM");
    await this.#exited;
    clearTimeout(force);
  }

  /** Registers a namespace with Ballast's search attributes; resolves once workflows can start in it. */
  async registerNamespace(namespace: string): Promise<void> {
    const connection = await this.connection();
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs("1 day"),
    });
    const searchAttributes = Object.fromEntries(
      SEARCH_ATTRIBUTES.map((k) => [
        k.name,
        k.type === SearchAttributeType.DOUBLE
          ? temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE
          : temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        if (SEARCH_ATTRIBUTES.every((k) => listed.customAttributes?.[k.name] !== undefined)) return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`namespace ${namespace} did not become usable: ${(err as Error).message}`);
      }
      await sleep(250);
    }
  }
}
