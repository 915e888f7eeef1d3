/**
 * npm run bench:update-floor — the floor of the armed entry path on this machine: a trivial workflow
 * (bench/update-floor-workflow.ts) whose Update handler only schedules an activity, eagerly dispatched
 * back to the same worker, timed from the client's Update call to the activity's start. The same run
 * measures it on a dev server in memory (as bench:latency's) and on a SQLite file (as `npm start`'s),
 * both with `npm start`'s dynamic config: 200 samples each after 30 warm-up. What the position workflow
 * adds on top of this is Ballast's; this much is Temporal's on this machine. Keeps the result in
 * bench/update-floor.last.json.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Client, Connection, WorkflowUpdateStage } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { temporalCliPath } from "../src/temporal/binaries";
import { DEV_SERVER_DYNAMIC_CONFIG } from "../src/temporal/dev-server";
import { freePort } from "./chaos/temporal-server";

const WARMUP = 30;
const SAMPLES = 200;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Figures {
  p50: number;
  p90: number;
  p99: number;
}

async function measure(onFile: boolean): Promise<Figures> {
  const [port, ui] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), "update-floor-"));
  const server = spawn(
    temporalCliPath(),
    [
      "server",
      "start-dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--ui-port",
      String(ui),
      ...(onFile ? ["--db-filename", path.join(dir, "temporal.db")] : []),
      "--log-level",
      "error",
      ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((c) => ["--dynamic-config-value", c]),
    ],
    { stdio: "ignore" },
  );
  try {
    const address = `127.0.0.1:${port}`;
    let connection: Connection | undefined;
    for (let i = 0; i < 100 && !connection; i++) {
      connection = await Connection.connect({ address }).catch(() => undefined);
      if (!connection) await sleep(300);
    }
    if (!connection) throw new Error("the dev server did not answer");
    const client = new Client({ connection });
    const starts = new Map<number, number>();
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue: "update-floor",
      workflowsPath: require.resolve("./update-floor-workflow"),
      activities: {
        async mark(i: number) {
          starts.set(i, now());
        },
      },
    });
    const running = worker.run();
    const handle = await client.workflow.start("armed", {
      taskQueue: "update-floor",
      workflowId: `update-floor-${Date.now()}`,
    });
    const latencies: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const t0 = now();
      void handle.startUpdate("go", { args: [i], waitForStage: WorkflowUpdateStage.ACCEPTED });
      while (!starts.has(i)) await new Promise((r) => setImmediate(r));
      if (i >= WARMUP) latencies.push((starts.get(i) ?? t0) - t0);
      await sleep(30);
    }
    worker.shutdown();
    await running;
    await connection.close();
    latencies.sort((a, b) => a - b);
    const q = (p: number) => Math.round((latencies[Math.floor(p * (latencies.length - 1))] ?? 0) * 10) / 10;
    return { p50: q(0.5), p90: q(0.9), p99: q(0.99) };
  } finally {
    server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const load = os.loadavg()[0] ?? 0;
  console.log(
    `update floor: Update call → eager activity start, ${SAMPLES} samples each, ${os.cpus().length} cores`,
  );
  const memory = await measure(false);
  console.log(`  dev server in memory:  p50 ${memory.p50} ms, p90 ${memory.p90} ms, p99 ${memory.p99} ms`);
  const file = await measure(true);
  console.log(`  dev server on a file:  p50 ${file.p50} ms, p90 ${file.p90} ms, p99 ${file.p99} ms`);
  console.log(`  file / memory p50: ${Math.round((file.p50 / memory.p50) * 100) / 100}×`);
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, loadAverage1m: Math.round(load * 100) / 100, node: process.version },
    serverConfig: DEV_SERVER_DYNAMIC_CONFIG,
    samples: SAMPLES,
    warmup: WARMUP,
    inMemoryMs: memory,
    onFileMs: file,
  };
  writeFileSync(path.join(__dirname, "update-floor.last.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log("  saved bench/update-floor.last.json");
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
