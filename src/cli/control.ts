/**
 * Operator controls over running workflows: halt, resume, rebalance-now and status.
 *
 * A global `halt` is held by the deployment's control workflow (workflows/control.ts) until `resume`:
 * sessions running now are halted, sessions started later start halted, and every open order of our
 * key is cancelled at the venue. `--slug` halts or resumes one running session and `rebalance` asks one
 * position to rebalance now, each by a Workflow Update that answers what it did (printed, one line per
 * workflow). A command that cannot do what it was asked (no such session or position, an Update its
 * validator refused) fails with a one-line error and a non-zero exit.
 */
import {
  type Client,
  type WorkflowHandle,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from "@temporalio/client";
import type { Command } from "commander";
import { loadConfig } from "../config/load";
import type { Config } from "../config/schema";
import { formatRounded, formatUsd } from "../money";
import {
  type ControlView,
  type HaltResult,
  QUERIES,
  type RebalanceNowResult,
  type ResumeResult,
  type SessionHaltResult,
  type SessionResumeResult,
  SIGNALS,
  UPDATES,
  workflowIds,
} from "../session/messages";
import { formatHedgeRatio, formatPrice } from "../strategy/arbitrage/summary";
import { connectClient } from "../temporal/client";
import { ensureControl } from "./schedulers";
import { formatTable } from "./table";

const running = (type: string, slug?: string) =>
  `WorkflowType = '${type}' AND ExecutionStatus = 'Running'${slug ? ` AND MarketSlug = '${slug.replace(/'/g, "")}'` : ""}`;

async function ids(client: Client, query: string): Promise<string[]> {
  const found: string[] = [];
  for await (const wf of client.workflow.list({ query })) found.push(wf.workflowId);
  return found;
}

async function withClient<T>(fn: (client: Client, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { client, close } = await connectClient(config);
  try {
    return await fn(client, config);
  } finally {
    await close();
  }
}

const usd = (m: number | undefined) => (m === undefined ? "" : formatUsd(m));
const shares = (m: number) => formatRounded(m, 2);
const at = (ms: number | undefined) => (ms === undefined ? "?" : new Date(ms).toISOString());

/** The running sessions of one market; none is an error (the operator named a market that isn't trading). */
async function sessionsOf(client: Client, slug: string): Promise<string[]> {
  const sessions = await ids(client, running("marketSession", slug));
  if (sessions.length === 0)
    throw new Error(`no running session for market ${JSON.stringify(slug)} (\`ballast status\` lists them)`);
  return sessions;
}

/** The control workflow's state; undefined when it has never been started (nothing is halted then). */
async function controlState(client: Client, taskQueue: string): Promise<ControlView | undefined> {
  const handle = client.workflow.getHandle(workflowIds.control(taskQueue));
  try {
    const description = await handle.describe();
    if (description.status.name !== "RUNNING") return undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  return handle.query<ControlView>(QUERIES.controlState);
}

/** How long an Update (`halt`, `resume`, `rebalance`) waits for its workflow's answer (it needs a running workflow worker). */
const CONTROL_ANSWER_MS = 120_000;

/** Runs an Update of one workflow; its refusal or silence becomes a one-line error naming the workflow. */
async function updateControl<R>(
  client: Client,
  workflowId: string,
  name: string,
  update: (handle: WorkflowHandle) => Promise<R>,
): Promise<R> {
  try {
    return await client.withDeadline(Date.now() + CONTROL_ANSWER_MS, () =>
      update(client.workflow.getHandle(workflowId)),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new Error(`${name} refused by ${workflowId}: ${err.cause?.message ?? err.message}`);
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
      throw new Error(
        `no answer from ${workflowId} within ${CONTROL_ANSWER_MS / 1000} s (is a workflow worker running?); \`ballast status\` shows whether the ${name} took effect`,
      );
    if (err instanceof WorkflowNotFoundError) throw new Error(`${workflowId} is not running any more`);
    throw err;
  }
}

/** Runs one Update per workflow; every answer is printed, then the first refusal (if any) fails the command. */
async function updateEach<R>(
  client: Client,
  workflowIds: string[],
  name: string,
  update: (handle: WorkflowHandle) => Promise<R>,
  line: (result: R) => string,
): Promise<R[]> {
  const outcomes = await Promise.allSettled(workflowIds.map((id) => updateControl(client, id, name, update)));
  const results: R[] = [];
  for (const o of outcomes) {
    if (o.status === "fulfilled") {
      results.push(o.value);
      process.stdout.write(`${line(o.value)}\n`);
    }
  }
  const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (refused) throw refused.reason;
  return results;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line for what halting one market window did. */
export function sessionHaltLine(r: SessionHaltResult): string {
  const cancelled =
    r.cancelled !== undefined
      ? `${plural(r.cancelled, "open order")} in its market cancelled at the venue`
      : `open orders NOT cancelled (${r.cancelError ?? "unknown error"})`;
  return `halted ${r.sessionId}${r.alreadyHalted ? " (it was halted already)" : ""}: ${cancelled}, ${r.positionsTold} of ${plural(r.openPositions, "open position")} told; \`ballast resume --slug ${r.slug}\` resumes it`;
}

/** One line for what resuming one market window did. */
export function sessionResumeLine(r: SessionResumeResult): string {
  return `${r.wasHalted ? "resumed" : "not halted, nothing to resume:"} ${r.sessionId}: ${r.positionsTold} of ${plural(r.openPositions, "open position")} told`;
}

const outcomeName = (o: string) => (o === "UP" ? "Up" : o === "DOWN" ? "Down" : o);

/** One line for what a position's rebalance-now did (shares to 2 decimals, money as dollars). */
export function rebalanceLine(r: RebalanceNowResult): string {
  const after = `Up ${shares(r.upShares)} / Down ${shares(r.downShares)}, hedge ${formatHedgeRatio(r.hedgeRatio)}, guaranteed P&L ${formatUsd(r.guaranteedPnl)} (${r.phase})`;
  const o = r.order;
  if (!r.attempted || !o)
    return `${r.positionId}: no rebalancing order (${r.reason ?? "no reason given"}); ${after}`;
  const refusal = o.refusal ? `: ${o.refusal}` : "";
  return `${r.positionId}: ${o.action} ${o.side} ${shares(o.shares)} ${outcomeName(o.outcome)} @ ${formatPrice(o.price)} limit: ${o.status}${refusal}, ${shares(o.filledShares)} filled; now ${after}`;
}

export function addControlCommands(program: Command): void {
  program
    .command("halt")
    .description(
      "stop opening positions and cancel open orders: everywhere until `resume` (also for sessions started later), or in one running market",
    )
    .option("--slug <slug>", "only this running market window")
    .option("--reason <text>", "why (kept in the workflow history)")
    .action(async (opts: { slug?: string; reason?: string }) => {
      await withClient(async (client, config) => {
        const reason = opts.reason ?? "operator";
        if (opts.slug !== undefined) {
          const sessions = await sessionsOf(client, opts.slug);
          const results = await updateEach(
            client,
            sessions,
            "halt",
            (h) =>
              h.executeUpdate<SessionHaltResult, [{ reason: string }]>(UPDATES.halt, { args: [{ reason }] }),
            sessionHaltLine,
          );
          const failed = results.find((r) => r.cancelError !== undefined);
          if (failed)
            throw new Error(
              `halted, but cancelling ${failed.slug}'s open orders at the venue failed: ${failed.cancelError}`,
            );
          return;
        }
        const controlId = await ensureControl(client, config.temporal.taskQueue);
        const result = await updateControl(client, controlId, "halt", (h) =>
          h.executeUpdate<HaltResult, [{ reason: string }]>(UPDATES.halt, { args: [{ reason }] }),
        );
        // The schedulers tell the sessions they started; this reaches any other running session too.
        const sessions = await ids(client, running("marketSession"));
        await Promise.all(
          sessions.map((id) =>
            client.workflow
              .getHandle(id)
              .signal(SIGNALS.halt, { reason })
              .catch(() => undefined),
          ),
        );
        const cancelled =
          result.cancelled !== undefined
            ? `${result.cancelled} open order(s) cancelled at the venue`
            : "open orders NOT cancelled";
        process.stdout.write(
          `halted all trading since ${at(result.sinceMs)} (reason: ${result.reason}) until \`ballast resume\`: ${sessions.length} running session(s) halted, ${cancelled}\n`,
        );
        if (result.cancelError !== undefined)
          throw new Error(
            `halted, but cancelling the open orders at the venue failed: ${result.cancelError}`,
          );
      });
    });

  program
    .command("resume")
    .description("lift a halt: everywhere, or for one running market (not while everything is halted)")
    .option("--slug <slug>", "only this running market window")
    .action(async (opts: { slug?: string }) => {
      await withClient(async (client, config) => {
        if (opts.slug !== undefined) {
          const sessions = await sessionsOf(client, opts.slug);
          const control = await controlState(client, config.temporal.taskQueue);
          if (control?.halted)
            throw new Error(
              `all trading is halted (since ${at(control.sinceMs)}, reason: ${control.reason}); \`ballast resume\` without --slug lifts that`,
            );
          await updateEach(
            client,
            sessions,
            "resume",
            (h) => h.executeUpdate<SessionResumeResult, []>(UPDATES.resume),
            sessionResumeLine,
          );
          return;
        }
        const controlId = await ensureControl(client, config.temporal.taskQueue);
        const result = await updateControl(client, controlId, "resume", (h) =>
          h.executeUpdate<ResumeResult, []>(UPDATES.resume),
        );
        const sessions = await ids(client, running("marketSession"));
        await Promise.all(
          sessions.map((id) =>
            client.workflow
              .getHandle(id)
              .signal(SIGNALS.resume)
              .catch(() => undefined),
          ),
        );
        process.stdout.write(
          `${result.wasHalted ? "resumed all trading" : "trading was not halted"}: ${sessions.length} running session(s) resumed\n`,
        );
      });
    });

  program
    .command("rebalance <positionId>")
    .description(
      "evaluate rebalancing of one running, imbalanced position now and print what it did (the usual rules still apply)",
    )
    .action(async (positionId: string) => {
      await withClient(async (client) => {
        const handle = client.workflow.getHandle(positionId);
        let description: Awaited<ReturnType<typeof handle.describe>>;
        try {
          description = await handle.describe();
        } catch (err) {
          if (err instanceof WorkflowNotFoundError)
            throw new Error(
              `no position ${JSON.stringify(positionId)} (\`ballast status\` lists the running ones)`,
            );
          throw err;
        }
        if (description.type !== "position")
          throw new Error(`${positionId} is not a position (it is a ${description.type} workflow)`);
        if (description.status.name !== "RUNNING")
          throw new Error(`position ${positionId} is not running (${description.status.name})`);
        const result = await updateControl(client, positionId, "rebalance", (h) =>
          h.executeUpdate<RebalanceNowResult, []>(UPDATES.rebalanceNow),
        );
        process.stdout.write(`${rebalanceLine(result)}\n`);
      });
    });

  program
    .command("status")
    .description("whether trading is halted, and the state of the running sessions and positions")
    .action(async () => {
      await withClient(async (client, config) => {
        const control = await controlState(client, config.temporal.taskQueue);
        process.stdout.write(
          control?.halted
            ? `trading: HALTED since ${at(control.sinceMs)} (reason: ${control.reason}); \`ballast resume\` lifts it\n\n`
            : "trading: on (not halted)\n\n",
        );
        const sessions = await ids(client, running("marketSession"));
        const sessionRows = await Promise.all(
          sessions.map(async (id) => {
            // biome-ignore lint/suspicious/noExplicitAny: query results are plain JSON
            const s: any = await client.workflow.getHandle(id).query(QUERIES.sessionState);
            return [
              s.slug,
              new Date(s.startMs).toISOString().slice(11, 16),
              new Date(s.endMs).toISOString().slice(11, 16),
              s.halted ? "HALTED" : "trading",
              s.positionsStarted,
              s.openPositions.length,
            ];
          }),
        );
        process.stdout.write(
          `${formatTable(["market", "opens", "ends", "state", "positions", "open"], sessionRows)}\n\n`,
        );
        const positions = await ids(client, running("position"));
        const positionRows = await Promise.all(
          positions.map(async (id) => {
            // biome-ignore lint/suspicious/noExplicitAny: query results are plain JSON
            const p: any = await client.workflow.getHandle(id).query(QUERIES.positionState);
            return [
              id,
              p.phase,
              shares(p.upShares),
              shares(p.downShares),
              p.hedgeRatio.toFixed(2),
              usd(p.netCost),
              usd(p.guaranteedPnl),
              p.rebalanceTrades,
            ];
          }),
        );
        process.stdout.write(
          `${formatTable(["position", "phase", "up", "down", "hedge", "cost", "guaranteed", "rebalances"], positionRows)}\n`,
        );
      });
    });
}
