/**
 * Worker versioning on the Temporal CLI dev server (docs/deploying.md), through the production entry
 * points (workers/workflow-worker.ts and workers/streaming-worker.ts, configured by
 * TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_BUILD_ID):
 *
 *   0. before versioning, an unversioned worker begins a run (no versioning behaviour sent); once build A
 *      is current the run moves to A, with the versioned workers' default (AUTO_UPGRADE);
 *   1. workers of build A (workflow worker and streaming worker); A made current (`temporal worker deployment set-current-version`, as an
 *      operator would); a `systemCheck` (PINNED) and the `control` workflow (AUTO_UPGRADE) start on A;
 *   2. workers of build B beside them, polling the same task queues; B made current: a new run goes to B, the PINNED run started on
 *      A finishes on A (every workflow task of its history completed by A), the AUTO_UPGRADE one moves
 *      to B at its next workflow task;
 *   3. rollback: A current again: new runs go to A, the run pinned to B stays on B.
 *
 * With RECORD_HISTORIES=1 it also records the systemCheck history the replay test replays
 * (tests/fixtures/histories/system-check.json; tests/workflows/replay.test.ts).
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { WorkflowHandle } from "@temporalio/client";
import { temporal } from "@temporalio/proto";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { DefaultLogger, Runtime } from "@temporalio/worker";
import { Wallet } from "ethers";
import { loadConfig } from "../../src/config/load";
import type { Database } from "../../src/db/database";
import { createLogger } from "../../src/log";
import { workflowIds } from "../../src/session/messages";
import { PROJECT_ROOT, temporalCliPath } from "../../src/temporal/binaries";
import { type RunningVenue, startVenue } from "../../src/venue/server/app";
import type { RunningWorker } from "../../workers/shutdown";
import { startStreamingWorker } from "../../workers/streaming-worker";
import { startWorkflowWorker } from "../../workers/workflow-worker";
import { control, systemCheck } from "../../workflows";
import { controlResumeUpdate } from "../../workflows/definitions";
import { freshDatabase } from "../helpers/database";
import { eventually, QUIET_MARKET } from "../helpers/stack";
import { devServer } from "../helpers/temporal";

const run = promisify(execFile);
const DEPLOYMENT = "ballast-versioning-test";
const TASK_QUEUE = "versioning";
const STREAMING_TASK_QUEUE = "versioning-streaming";
const { VersioningBehavior } = temporal.api.enums.v1;
const { EventType } = temporal.api.enums.v1;

describe("worker versioning on the dev server", () => {
  let env: TestWorkflowEnvironment;
  let db: Database;
  let venue: RunningVenue;
  const workers: RunningWorker[] = [];
  const key = Wallet.createRandom().privateKey;
  const logger = createLogger({ level: "warn" });

  /** The settings of build `buildId`'s workers (undefined: unversioned, as before versioning). */
  function configOf(buildId: string | undefined) {
    return loadConfig({
      env: {
        DATABASE_URL: db.url,
        CLOB_URL: venue.urls.clob,
        GAMMA_URL: venue.urls.gamma,
        WS_URL: venue.urls.ws,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_TASK_QUEUE: TASK_QUEUE,
        TEMPORAL_STREAMING_TASK_QUEUE: STREAMING_TASK_QUEUE,
        ...(buildId ? { TEMPORAL_DEPLOYMENT_NAME: DEPLOYMENT, TEMPORAL_BUILD_ID: buildId } : {}),
      },
    });
  }

  /** Build `buildId`'s workflow worker (`ballast worker`) or streaming worker (`ballast streamer`). */
  async function workerOf(
    buildId: string | undefined,
    role: "worker" | "streamer" = "worker",
  ): Promise<RunningWorker> {
    const start = role === "worker" ? startWorkflowWorker : startStreamingWorker;
    const worker = await start(configOf(buildId), key, logger);
    workers.push(worker);
    return worker;
  }

  /** The operator's step, with the CLI. A version exists once its workers have polled: retried until then. */
  async function setCurrent(buildId: string): Promise<void> {
    await eventually(
      `build ${buildId} to become current`,
      async (seen) => {
        const r = await run(temporalCliPath(), [
          ...["worker", "deployment", "set-current-version", "--address", env.address],
          ...["--deployment-name", DEPLOYMENT, "--build-id", buildId, "--yes"],
        ]).catch((err: { stderr?: string; message: string }) => {
          seen(err.stderr || err.message);
          return undefined;
        });
        return r ? true : undefined;
      },
      30_000,
    );
  }

  /** The task queues (name and type) build `buildId`'s workers have polled, as the CLI shows them. */
  async function taskQueuesOf(buildId: string): Promise<string[]> {
    return eventually(`build ${buildId}'s task queues`, async (seen) => {
      const { stdout } = await run(temporalCliPath(), [
        ...["worker", "deployment", "describe-version", "--address", env.address],
        ...["--deployment-name", DEPLOYMENT, "--build-id", buildId, "--output", "json"],
      ]);
      const described = JSON.parse(stdout) as { taskQueuesInfos?: { name: string; type: string }[] };
      const queues = (described.taskQueuesInfos ?? []).map((q) => `${q.name} ${q.type}`).sort();
      seen(described);
      return queues.length === 3 ? queues : undefined;
    });
  }

  /** The run's versioning info: its behaviour and the build its workflow tasks go to. */
  async function versioningOf(handle: WorkflowHandle) {
    const { raw } = await handle.describe();
    const info = raw.workflowExecutionInfo?.versioningInfo;
    return {
      behavior: info?.behavior ? VersioningBehavior[info.behavior] : undefined,
      buildId: info?.deploymentVersion?.buildId ?? undefined,
    };
  }

  /** The builds that have completed the run's workflow tasks so far, in order. */
  async function taskBuildsSoFar(handle: WorkflowHandle): Promise<string[]> {
    const { events } = await handle.fetchHistory();
    return (events ?? [])
      .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
      .map((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId || "unversioned");
  }

  /** The builds that completed the run's workflow tasks (a systemCheck has three: start, timer, activity). */
  async function taskBuilds(handle: WorkflowHandle): Promise<string[]> {
    const builds = await taskBuildsSoFar(handle);
    expect(builds).toHaveLength(3);
    return [...new Set(builds)];
  }

  /** Waits until the run's first workflow task has been completed (the run is then on its version). */
  function settledOn(handle: WorkflowHandle, buildId: string) {
    return eventually(`${handle.workflowId} to run on ${buildId}`, async (seen) => {
      const v = await versioningOf(handle);
      seen(v);
      return v.buildId === buildId ? v : undefined;
    });
  }

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger("WARN") });
    env = await devServer();
    db = await freshDatabase();
    venue = await startVenue({ port: 0, seed: 3, assets: ["BTC"], windowMs: 60_000, model: QUIET_MARKET });
  });

  afterAll(async () => {
    for (const w of workers) await w.shutdown().catch(() => undefined);
    await env?.teardown();
    await venue?.close();
    await db?.close();
  });

  it("keeps a pinned run on the build it started on while new runs go to the current build", async () => {
    const start = (id: string, wait: string) =>
      env.client.workflow.start(systemCheck, {
        taskQueue: TASK_QUEUE,
        workflowId: `${id}-${Date.now()}`,
        args: [{ wait }],
      });

    // 0. Before versioning: an unversioned worker (as `npm start`'s) runs a workflow; no behaviour is sent.
    const unversioned = await workerOf(undefined);
    const older = await start("begun-unversioned", "10 seconds");
    expect(
      await eventually("the unversioned run's first task", async () => (await taskBuildsSoFar(older))[0]),
    ).toBe("unversioned");
    expect((await versioningOf(older)).behavior).toBeUndefined();

    // 1. Build A, current.
    await workerOf("A");
    await workerOf("A", "streamer");
    await setCurrent("A");
    const onA = await start("pinned-on-a", "25 seconds");
    await unversioned.shutdown();
    const controlRun = await env.client.workflow.start(control, {
      taskQueue: TASK_QUEUE,
      workflowId: workflowIds.control(TASK_QUEUE),
      args: [{}],
    });
    // The behaviours come from the annotations (workflows/versioning.ts), sent by the versioned worker.
    expect(await settledOn(onA, "A")).toEqual({ behavior: "VERSIONING_BEHAVIOR_PINNED", buildId: "A" });
    expect(await settledOn(controlRun, "A")).toEqual({
      behavior: "VERSIONING_BEHAVIOR_AUTO_UPGRADE",
      buildId: "A",
    });

    // 2. Build B beside A, then current.
    await workerOf("B");
    await workerOf("B", "streamer");
    // The operator's check before making it current: B's workers poll all of A's task queues. (The server
    // refuses a version missing one only while that queue has a backlog or recent traffic, so B made current
    // without its streaming worker would have been accepted here: docs/deploying.md, step 4.)
    expect(await taskQueuesOf("B")).toEqual(await taskQueuesOf("A"));
    expect(await taskQueuesOf("B")).toEqual([
      `${TASK_QUEUE} activity`,
      `${TASK_QUEUE} workflow`,
      `${STREAMING_TASK_QUEUE} activity`,
    ]);
    await setCurrent("B");
    const onB = await start("new-on-b", "1 second");
    await onB.result();
    expect(await taskBuilds(onB)).toEqual(["B"]);
    // The run pinned to A is still running, and stays on A.
    expect((await onA.describe()).status.name).toBe("RUNNING");
    expect(await versioningOf(onA)).toEqual({ behavior: "VERSIONING_BEHAVIOR_PINNED", buildId: "A" });
    // What an operator lists while A drains (docs/deploying.md, step 6).
    const query = `TemporalWorkerDeploymentVersion='${DEPLOYMENT}:A' AND ExecutionStatus='Running'`;
    await eventually(`${onA.workflowId} listed by ${query}`, async (seen) => {
      const ids: string[] = [];
      for await (const w of env.client.workflow.list({ query })) ids.push(w.workflowId);
      seen(ids);
      return ids.includes(onA.workflowId) ? ids : undefined;
    });
    // The AUTO_UPGRADE run moves to B at its next workflow task (here: an update).
    await controlRun.executeUpdate(controlResumeUpdate);
    expect(await versioningOf(controlRun)).toEqual({
      behavior: "VERSIONING_BEHAVIOR_AUTO_UPGRADE",
      buildId: "B",
    });

    // 3. Rollback: A current again. New runs go to A; a run pinned to B stays on B.
    const pinnedToB = await start("pinned-on-b", "8 seconds");
    await settledOn(pinnedToB, "B");
    await setCurrent("A");
    expect((await pinnedToB.describe()).status.name).toBe("RUNNING");
    const afterRollback = await start("after-rollback", "1 second");
    await afterRollback.result();
    expect(await taskBuilds(afterRollback)).toEqual(["A"]);
    await pinnedToB.result();
    expect(await taskBuilds(pinnedToB)).toEqual(["B"]);

    // The run begun unversioned moved to A once A was current, with the workers' default, AUTO_UPGRADE.
    await older.result();
    expect(await taskBuilds(older)).toEqual(["unversioned", "A"]);
    expect(await versioningOf(older)).toEqual({ behavior: "VERSIONING_BEHAVIOR_AUTO_UPGRADE", buildId: "A" });

    // The run started on A before B existed ends on A: its timer fired after B became current.
    const result = await onA.result();
    expect(result.database.serverVersion).toMatch(/PostgreSQL/);
    expect(await taskBuilds(onA)).toEqual(["A"]);

    if (process.env.RECORD_HISTORIES) {
      // The Temporal CLI's JSON export, as tests/integration/stack.test.ts records the others.
      const dir = path.join(PROJECT_ROOT, "tests", "fixtures", "histories");
      mkdirSync(dir, { recursive: true });
      const shown = await run(temporalCliPath(), [
        ...["workflow", "show", "--address", env.address, "--workflow-id", onA.workflowId],
        ...["--output", "json"],
      ]);
      writeFileSync(path.join(dir, "system-check.json"), shown.stdout);
    }
    await controlRun.terminate("test over");
  }, 90_000);
});
