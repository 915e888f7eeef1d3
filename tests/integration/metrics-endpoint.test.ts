/**
 * `/metrics` of a real `ballast worker` process (node bin/ballast.cjs worker, as deployed) against the
 * Temporal CLI's dev server, the venue simulator and a fresh database: one endpoint serves Ballast's
 * registry (src/metrics/registry.ts) and the Temporal SDK's own metrics (its Rust core's Prometheus
 * exporter on a loopback port, appended by src/metrics/server.ts). METRICS_PORT=0: the worker picks a
 * free port and logs it.
 *
 * The Temporal metrics the dashboard (ops/grafana/dashboards/ballast.json) queries must be ones the SDK
 * really exports under those names: each is looked for in the live output, once the worker has run a
 * workflow task and an activity (a `ballast halt`: the control workflow cancels every order at the venue,
 * which also shows an activity's metric — ballast_order_cancels_total — reaching the endpoint).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Wallet } from "ethers";
import type { Database } from "../../src/db/database";
import { PROJECT_ROOT } from "../../src/temporal/binaries";
import { type RunningVenue, startVenue } from "../../src/venue/server/app";
import { freshDatabase } from "../helpers/database";
import { BALLAST_BIN, eventually, killHard, QUIET_MARKET } from "../helpers/stack";
import { devServer, workflowBundlePath } from "../helpers/temporal";
import { dashboardMetricNames, SDK_METRICS_ONLY_ON_FAILURE } from "../metrics/dashboard";

const TASK_QUEUE = "metrics-endpoint";

describe("/metrics of a ballast worker process", () => {
  let env: TestWorkflowEnvironment;
  let db: Database;
  let venue: RunningVenue;
  let worker: ChildProcess | undefined;
  let childEnv: NodeJS.ProcessEnv;
  let metricsUrl: string;
  const lines: string[] = [];

  beforeAll(async () => {
    // The worker's bundle is built (or found in the cache) here rather than on the worker's clock.
    [env, db, venue] = await Promise.all([
      devServer(),
      freshDatabase(),
      startVenue({ port: 0, seed: 1, assets: ["BTC"], windowMs: 120_000, model: QUIET_MARKET }),
      workflowBundlePath(),
    ]);
    childEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CLOB_URL: venue.urls.clob,
      GAMMA_URL: venue.urls.gamma,
      WS_URL: venue.urls.ws,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? "default",
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      ASSETS: "BTC",
      POLY_PRIVATE_KEY: Wallet.createRandom().privateKey,
      METRICS_PORT: "0",
      LOG_FORMAT: "json",
      LOG_LEVEL: "info",
    };
    for (const k of ["TEMPORAL_CLI_PATH", "NODE_OPTIONS"]) if (process.env[k]) childEnv[k] = process.env[k];
    const child = spawn(process.execPath, [BALLAST_BIN, "worker"], {
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    worker = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (l) =>
        lines.push(l),
      );
    }
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`the worker exited (${code}): ${lines.join("\n")}`))),
    );
    metricsUrl = await Promise.race([
      exited,
      eventually(
        "the worker's metrics endpoint",
        async () => {
          for (const l of lines) {
            const rec = /^\{/.test(l) ? JSON.parse(l) : undefined;
            if (rec?.msg === "metrics endpoint listening") return rec.url as string;
          }
          return undefined;
        },
        45_000,
      ),
    ]);
  }, 90_000);

  afterAll(async () => {
    if (worker) await killHard(worker);
    await venue?.close();
    await env?.teardown();
    await db?.close();
  });

  async function scrape(): Promise<string> {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    return res.text();
  }

  /** Names of the samples in a text exposition (histograms' _bucket/_sum/_count included). */
  function sampleNames(text: string): Set<string> {
    return new Set(
      text
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? ""),
    );
  }

  it("serves Ballast's metrics and the Temporal SDK's on one endpoint", async () => {
    const text = await eventually(
      "the SDK's worker metrics",
      async (seen) => {
        const t = await scrape();
        seen(t.slice(-500));
        return /^temporal_num_pollers\{/m.test(t) ? t : undefined;
      },
      30_000,
    );
    // Ballast's registry: its metrics (defined once, exposed with or without samples) and Node's.
    expect(text).toContain("# TYPE ballast_order_placements_total counter");
    expect(text).toContain("# TYPE ballast_order_round_trip_seconds histogram");
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    // The SDK's, with this worker's task queue.
    expect(text).toMatch(new RegExp(`^temporal_num_pollers\\{[^}]*task_queue="${TASK_QUEUE}"`, "m"));
    // A text exposition Prometheus parses: every sample line is `name{labels} value`.
    const bad = text
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .filter((l) => !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEInfNa]+( \d+)?$/.test(l));
    expect(bad).toEqual([]);
  });

  it("counts an activity the worker runs (ballast halt: cancel every order), and has every SDK metric the dashboard queries", async () => {
    const halt = spawn(process.execPath, [BALLAST_BIN, "halt", "--reason", "metrics test"], {
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    halt.stdout.on("data", (d) => {
      out += d;
    });
    halt.stderr.on("data", (d) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => halt.once("exit", resolve));
    expect([code, out]).toEqual([0, expect.stringMatching(/^halted all trading/)]);

    const text = await eventually(
      "the cancel-all in /metrics",
      async (seen) => {
        const t = await scrape();
        seen(t.split("\n").filter((l) => l.startsWith("ballast_order")));
        return /^ballast_order_cancels_total\{asset="all",scope="all"\} 0$/m.test(t) ? t : undefined;
      },
      20_000,
    );
    const exported = sampleNames(text);
    const dashboard = JSON.parse(
      readFileSync(path.join(PROJECT_ROOT, "ops/grafana/dashboards/ballast.json"), "utf8"),
    );
    const missing = [...dashboardMetricNames(dashboard)]
      .filter((n) => n.startsWith("temporal_") && !SDK_METRICS_ONLY_ON_FAILURE.has(n))
      .filter((n) => !exported.has(n));
    expect(missing).toEqual([]);
  });
});
