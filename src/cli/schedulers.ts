/**
 * The schedulers — one long-running workflow per configured asset that starts each window's session —
 * and the deployment's `control` workflow (the operator's halt/resume, workflows/control.ts).
 *
 * Settings given at start reach the schedulers: a scheduler already running with other settings (the
 * window length, any session parameter such as MIN_SPREAD) is restarted with the new ones, and what
 * changed is logged. Sessions already running keep theirs (they are ABANDON children; the new scheduler
 * adopts them). A scheduler of an asset no longer configured is stopped.
 */
import { type Client, WorkflowNotFoundError } from "@temporalio/client";
import { WorkflowIdConflictPolicy } from "@temporalio/common";
import { CONTROL_SUMMARY, schedulerSummary } from "../../workflows/views";
import type { Config } from "../config/schema";
import { ENV_VARS } from "../config/schema";
import type { Logger } from "../log";
import { workflowIds } from "../session/messages";
import {
  type FlatSessionParams,
  type SessionParams,
  sessionParams,
  sessionParamsOf,
} from "../session/params";
import { connectClient } from "../temporal/client";

/** What a scheduler is started with (workflows/scheduler.ts SchedulerInput, without its carried state). */
export interface SchedulerSettings {
  asset: string;
  windowMs: number;
  params: SessionParams;
}

/** Starts the deployment's control workflow unless it runs; returns its id. */
export async function ensureControl(client: Client, taskQueue: string): Promise<string> {
  const workflowId = workflowIds.control(taskQueue);
  await client.workflow.start("control", {
    workflowId,
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: CONTROL_SUMMARY,
  });
  return workflowId;
}

/** The input the running execution of a workflow started with; undefined when none runs. */
export async function runningInput(client: Client, workflowId: string): Promise<unknown> {
  let runId: string;
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    if (description.status.name !== "RUNNING") return undefined;
    runId = description.runId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? client.options.loadedDataConverter.payloadConverter.fromPayload(payload) : null;
}

/** The variable of each setting, by its name in {@link settingsOf}. */
const PARAM_ENV = new Map(
  Object.entries(ENV_VARS)
    .filter(([, path]) => path[0] === "arbitrage" || path[0] === "quoting")
    .map(([env, path]) => [path[0] === "arbitrage" ? path[1] : `quoting.${path[1]}`, env]),
);

/**
 * Session parameters of either shape as one flat record of settings: the arbitrage section's by their
 * own names (as in the flat shape, so a scheduler running with that shape compares equal to the same
 * settings in today's), the quoting section's as `quoting.<name>`, the session's own by their names.
 */
function settingsOf(params: SessionParams | FlatSessionParams): Record<string, unknown> {
  const { arbitrage, quoting, ...own } = sessionParamsOf(params);
  return {
    ...arbitrage,
    ...Object.fromEntries(Object.entries(quoting ?? {}).map(([k, v]) => [`quoting.${k}`, v])),
    ...own,
  };
}

/** What differs between a running scheduler's settings and the wanted ones, one phrase each. */
export function settingsChanges(running: unknown, wanted: SchedulerSettings): string[] {
  const was = running as Partial<SchedulerSettings> | null | undefined;
  if (!was || typeof was !== "object" || typeof was.params !== "object" || was.params === null)
    return ["settings unreadable"];
  const changes: string[] = [];
  if (was.windowMs !== wanted.windowMs) changes.push(`window ${was.windowMs} ms → ${wanted.windowMs} ms`);
  const before = settingsOf(was.params as SessionParams | FlatSessionParams);
  const after = settingsOf(wanted.params);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const key of keys) {
    const a = JSON.stringify(before[key]);
    const b = JSON.stringify(after[key]);
    if (a === b) continue;
    const env = PARAM_ENV.get(key);
    changes.push(`${key}${env ? ` (${env})` : ""} ${a ?? "unset"} → ${b ?? "unset"}`);
  }
  return changes;
}

async function runningSchedulers(client: Client, taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `WorkflowType = 'scheduler' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/'/g, "")}'`;
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

export async function ensureSchedulers(config: Config, logger: Logger): Promise<string[]> {
  const { client, close } = await connectClient(config);
  const taskQueue = config.temporal.taskQueue;
  try {
    const control = await ensureControl(client, taskQueue);
    const ids: string[] = [];
    for (const asset of config.venue.assets) {
      const workflowId = workflowIds.scheduler(asset);
      const wanted: SchedulerSettings = {
        asset,
        windowMs: config.venue.windowMs,
        params: sessionParams(config),
      };
      const running = await runningInput(client, workflowId);
      let restart = false;
      if (running !== undefined) {
        const changes = settingsChanges(running, wanted);
        if (changes.length > 0) {
          restart = true;
          logger.warn(
            { scheduler: workflowId, changes },
            `settings changed since ${workflowId} started: restarting it with the new ones (${changes.join("; ")}); running sessions keep theirs`,
          );
          await client.workflow
            .getHandle(workflowId)
            .terminate(`restarted with new settings: ${changes.join("; ")}`)
            .catch((err) => {
              if (!(err instanceof WorkflowNotFoundError)) throw err;
            });
        }
      }
      await client.workflow.start("scheduler", {
        workflowId,
        taskQueue,
        args: [wanted],
        staticSummary: schedulerSummary(asset, wanted.windowMs),
        workflowIdConflictPolicy: restart
          ? WorkflowIdConflictPolicy.TERMINATE_EXISTING
          : WorkflowIdConflictPolicy.USE_EXISTING,
      });
      ids.push(workflowId);
    }
    const others = await runningSchedulers(client, taskQueue).catch((err) => {
      logger.warn(
        { err: (err as Error).message },
        "cannot list the running schedulers (those of assets no longer configured keep running)",
      );
      return [];
    });
    for (const stale of others) {
      if (ids.includes(stale)) continue;
      logger.warn({ scheduler: stale }, `${stale} is not among the configured assets (ASSETS): stopping it`);
      await client.workflow
        .getHandle(stale)
        .terminate("its asset is no longer configured (ASSETS)")
        .catch((err) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    }
    logger.info({ schedulers: ids, control }, "schedulers running");
    return ids;
  } finally {
    await close();
  }
}
