import { log, proxyActivities, sleep } from "@temporalio/workflow";
import type { DatabaseActivities, DatabaseStatus } from "../activities/database";

const { checkDatabase } = proxyActivities<DatabaseActivities>({
  startToCloseTimeout: "30 seconds",
  retry: { maximumAttempts: 3 },
});

export interface SystemCheckInput {
  /** How long to wait before checking, e.g. "15 minutes" (a market window). */
  wait: string | number;
}

export interface SystemCheckResult {
  waitedMs: number;
  database: DatabaseStatus;
}

/**
 * Waits a given time on Temporal's clock, then checks the database through an activity.
 * Used to prove the toolchain end to end: durable timers (time-skipped in tests) and a real
 * activity on a real worker.
 */
export async function systemCheck(input: SystemCheckInput): Promise<SystemCheckResult> {
  const startedAt = Date.now();
  log.info("system check waiting", { wait: input.wait });
  await sleep(input.wait);
  const database = await checkDatabase();
  log.info("system check done", { schemaVersion: database.schemaVersion });
  return { waitedMs: Date.now() - startedAt, database };
}
