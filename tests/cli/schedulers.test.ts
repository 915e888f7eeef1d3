/**
 * ensureSchedulers on the dev server (no worker: only what is started, and with which input, matters):
 * settings given at start reach the schedulers. A scheduler running with other settings is restarted
 * with the new ones and the change is logged; the same settings leave it alone; a scheduler of an asset
 * no longer configured is stopped; the control workflow runs.
 */
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { ensureSchedulers, runningInput } from "../../src/cli/schedulers";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import { workflowIds } from "../../src/session/messages";
import { devServer } from "../helpers/temporal";

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServer();
});
afterAll(async () => {
  await env?.teardown();
});

const TASK_QUEUE = "schedulers-cli";

function configWith(vars: Record<string, string>) {
  return loadConfig({
    env: { TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: TASK_QUEUE, ASSETS: "BTC,ETH", ...vars },
  });
}

/** A logger whose lines (parsed) the test reads. */
function capturingLogger() {
  const lines: { level: number; msg: string; changes?: string[] }[] = [];
  const logger = createLogger({
    level: "info",
    destination: { write: (line: string) => lines.push(JSON.parse(line)) } as never,
  });
  return { logger, warnings: () => lines.filter((l) => l.level === 40) };
}

async function describeRun(workflowId: string) {
  return env.client.workflow.getHandle(workflowId).describe();
}

it("restarts a scheduler whose settings changed (window, MIN_SPREAD), says what changed, and keeps one whose settings did not", async () => {
  const btc = workflowIds.scheduler("BTC");
  const eth = workflowIds.scheduler("ETH");

  const first = capturingLogger();
  await ensureSchedulers(configWith({ WINDOW_MS: "120000" }), first.logger);
  const firstRun = (await describeRun(btc)).runId;
  expect(await runningInput(env.client, btc)).toMatchObject({ asset: "BTC", windowMs: 120_000 });
  expect((await describeRun(workflowIds.control(TASK_QUEUE))).status.name).toBe("RUNNING");
  expect(first.warnings()).toEqual([]);

  // The same settings again: nothing restarts, nothing is said.
  const same = capturingLogger();
  await ensureSchedulers(configWith({ WINDOW_MS: "120000" }), same.logger);
  expect((await describeRun(btc)).runId).toBe(firstRun);
  expect(same.warnings()).toEqual([]);

  // `npm start -- --window 5m` and another MIN_SPREAD after a 2m run.
  const changed = capturingLogger();
  await ensureSchedulers(configWith({ WINDOW_MS: "300000", MIN_SPREAD: "0.03" }), changed.logger);
  const now = await describeRun(btc);
  expect(now.runId).not.toBe(firstRun);
  expect(now.status.name).toBe("RUNNING");
  expect((await env.client.workflow.getHandle(btc, firstRun).describe()).status.name).toBe("TERMINATED");
  expect(await runningInput(env.client, btc)).toMatchObject({
    asset: "BTC",
    windowMs: 300_000,
    params: { arbitrage: { minSpread: 30_000 } },
  });
  const defaults = loadConfig({ env: {} }).arbitrage;
  const expectedChanges = [
    "window 120000 ms → 300000 ms",
    `minSpread (MIN_SPREAD) ${defaults.minSpread} → 30000`,
  ];
  expect(changed.warnings().map((w) => w.changes)).toEqual([expectedChanges, expectedChanges]);
  expect(changed.warnings()[0]?.msg).toContain(`settings changed since ${btc} started: restarting it`);

  // ETH is no longer traded: its scheduler stops.
  const fewer = capturingLogger();
  await ensureSchedulers(
    configWith({ WINDOW_MS: "300000", MIN_SPREAD: "0.03", ASSETS: "BTC" }),
    fewer.logger,
  );
  expect((await describeRun(eth)).status.name).toBe("TERMINATED");
  expect((await describeRun(btc)).runId).toBe(now.runId);
  expect(fewer.warnings().map((w) => w.msg)).toEqual([
    `${eth} is not among the configured assets (ASSETS): stopping it`,
  ]);
  await env.client.workflow.getHandle(btc).terminate("test over");
  await env.client.workflow.getHandle(workflowIds.control(TASK_QUEUE)).terminate("test over");
});
