/**
 * npm run bench:update-floor — the floor of the armed entry path on this machine: a trivial workflow
 * (bench/update-floor-workflow.ts) whose Update handler only schedules an activity, eagerly dispatched
 * back to the same worker, timed from the client's Update call to the activity's start. The same run
 * measures it on a dev server in memory (as bench:latency's) and on a SQLite file (as `npm start`'s),
 * both with `npm start`'s dynamic config: 200 samples each after 30 warm-up. What the position workflow
 * adds on top of this is Ballast's; this much is Temporal's on this machine.
 *
 * On the same servers it also measures the other design the hot-path issue names, eager start: a
 * client sharing the worker's NativeConnection starts a workflow with `requestEagerStart` (its first
 * task comes back in the start's answer, `system.enableEagerWorkflowStart=true`) whose code runs a
 * local activity at once, timed from the start call to the local activity's start. Keeps the result in
 * bench/update-floor.last.json.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Client, WorkflowUpdateStage } from "@temporalio/client";
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

function figures(latencies: number[]): Figures {
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round((latencies[Math.floor(p * (latencies.length - 1))] ?? 0) * 10) / 10;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

/** Waits (without yielding to timers) until the activity of sample `i` has started; its latency from t0. */
async function started(starts: Map<number, number>, i: number, t0: number): Promise<number> {
  while (!starts.has(i)) await new Promise((r) => setImmediate(r));
  return (starts.get(i) ?? t0) - t0;
}

async function measure(onFile: boolean): Promise<{ update: Figures; eagerStart: Figures }> {
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
      ...[...DEV_SERVER_DYNAMIC_CONFIG, "system.enableEagerWorkflowStart=true"].flatMap((c) => [
        "--dynamic-config-value",
        c,
      ]),
    ],
    { stdio: "ignore" },
  );
  try {
    const address = `127.0.0.1:${port}`;
    let connection: NativeConnection | undefined;
    for (let i = 0; i < 100 && !connection; i++) {
      connection = await NativeConnection.connect({ address }).catch(() => undefined);
      if (!connection) await sleep(300);
    }
    if (!connection) throw new Error("the dev server did not answer");
    // One connection for the client and the worker: eager start needs the worker in reach of the client.
    const client = new Client({ connection });
    const starts = new Map<number, number>();
    const worker = await Worker.create({
      connection,
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
    const update: number[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const t0 = now();
      void handle.startUpdate("go", { args: [i], waitForStage: WorkflowUpdateStage.ACCEPTED });
      const ms = await started(starts, i, t0);
      if (i >= WARMUP) update.push(ms);
      await sleep(30);
    }
    const eager: number[] = [];
    let eagerly = 0;
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const sample = 100_000 + i;
      const t0 = now();
      const eagerHandle = await client.workflow.start("eagerStart", {
        taskQueue: "update-floor",
        workflowId: `eager-start-${Date.now()}-${i}`,
        args: [sample],
        requestEagerStart: true,
      });
      if (eagerHandle.eagerlyStarted) eagerly++;
      const ms = await started(starts, sample, t0);
      if (i >= WARMUP) eager.push(ms);
      await sleep(30);
    }
    if (eagerly < WARMUP + SAMPLES)
      throw new Error(`only ${eagerly} of ${WARMUP + SAMPLES} workflows started eagerly`);
    worker.shutdown();
    await running;
    await connection.close();
    return { update: figures(update), eagerStart: figures(eager) };
  } finally {
    server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const load = os.loadavg()[0] ?? 0;
  console.log(
    `update floor: Update call → eager activity start, and eager workflow start → local activity start; ${SAMPLES} samples each, ${os.cpus().length} cores, load ${load.toFixed(2)}`,
  );
  const show = (f: Figures) => `p50 ${f.p50} ms, p90 ${f.p90} ms, p99 ${f.p99} ms`;
  const memory = await measure(false);
  console.log(`  dev server in memory:  Update ${show(memory.update)}`);
  console.log(`                         eager start ${show(memory.eagerStart)}`);
  const file = await measure(true);
  console.log(`  dev server on a file:  Update ${show(file.update)}`);
  console.log(`                         eager start ${show(file.eagerStart)}`);
  console.log(
    `  file / memory p50 (Update): ${Math.round((file.update.p50 / memory.update.p50) * 100) / 100}×`,
  );
  const result = {
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      // Other work on the machine shows in these figures: keep the load at both ends of the run.
      loadAverage1m: {
        atStart: Math.round(load * 100) / 100,
        atEnd: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
      },
      node: process.version,
    },
    serverConfig: DEV_SERVER_DYNAMIC_CONFIG,
    samples: SAMPLES,
    warmup: WARMUP,
    inMemoryMs: memory.update,
    onFileMs: file.update,
    eagerStart: { inMemoryMs: memory.eagerStart, onFileMs: file.eagerStart },
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
