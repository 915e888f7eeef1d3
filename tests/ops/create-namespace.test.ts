/**
 * ops/temporal/create-namespace.sh, the step of docker-compose.yml that prepares Temporal for Ballast
 * (service temporal-create-namespace), run as that service runs it (`sh`, with the `temporal` CLI on
 * PATH) against a real Temporal server: the CLI's dev server, started without Ballast's search
 * attributes, so that the script has to create them.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { temporal } from "@temporalio/proto";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import { temporalCliPath } from "../../src/temporal/binaries";
import { SEARCH_ATTRIBUTES } from "../../src/temporal/search-attributes";

const SCRIPT = path.resolve(__dirname, "../../ops/temporal/create-namespace.sh");
const NAMESPACE = "ballast-ops";
const { INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_DOUBLE } = temporal.api.enums.v1.IndexedValueType;

let env: TestWorkflowEnvironment;
let binDir: string;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: "existing-path", path: temporalCliPath() }, ip: "127.0.0.1" },
  });
  // As in temporalio/admin-tools: the CLI is `temporal` on PATH.
  binDir = mkdtempSync(path.join(os.tmpdir(), "ballast-ops-bin-"));
  symlinkSync(temporalCliPath(), path.join(binDir, "temporal"));
});

afterAll(async () => {
  await env?.teardown();
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});

async function runScript(): Promise<string[]> {
  const { stdout } = await promisify(execFile)("sh", [SCRIPT], {
    env: {
      PATH: `${binDir}:${process.env.PATH}`,
      TEMPORAL_ADDRESS: env.address,
      NAMESPACE,
      NAMESPACE_RETENTION: "7d",
      ATTEMPTS: "15",
    },
    timeout: 60_000,
  });
  return stdout.split("\n").filter((l) => l.startsWith("create-namespace:"));
}

async function customSearchAttributes(): Promise<Record<string, unknown>> {
  const { customAttributes } = await env.connection.operatorService.listSearchAttributes({
    namespace: NAMESPACE,
  });
  return { ...customAttributes };
}

describe("ops/temporal/create-namespace.sh", () => {
  it("creates Ballast's namespace and search attributes, and leaves them alone the second time", async () => {
    expect(await runScript()).toEqual([
      `create-namespace: namespace ${NAMESPACE} created (retention 7d)`,
      "create-namespace: search attribute MarketSlug (Keyword) created",
      "create-namespace: search attribute Asset (Keyword) created",
      "create-namespace: search attribute Strategy (Keyword) created",
      "create-namespace: search attribute PositionState (Keyword) created",
      "create-namespace: search attribute HedgeRatio (Double) created",
    ]);
    const described = await env.connection.workflowService.describeNamespace({ namespace: NAMESPACE });
    expect(Number(described.config?.workflowExecutionRetentionTtl?.seconds)).toBe(7 * 24 * 3600);
    expect(await customSearchAttributes()).toEqual({
      MarketSlug: INDEXED_VALUE_TYPE_KEYWORD,
      Asset: INDEXED_VALUE_TYPE_KEYWORD,
      Strategy: INDEXED_VALUE_TYPE_KEYWORD,
      PositionState: INDEXED_VALUE_TYPE_KEYWORD,
      HedgeRatio: INDEXED_VALUE_TYPE_DOUBLE,
    });
    expect(Object.keys(await customSearchAttributes()).sort()).toEqual(
      SEARCH_ATTRIBUTES.map((k) => k.name).sort(),
    );

    expect(await runScript()).toEqual([
      `create-namespace: namespace ${NAMESPACE} exists`,
      ...SEARCH_ATTRIBUTES.map((k) => `create-namespace: search attribute ${k.name} exists`),
    ]);
  });
});
