/**
 * Operator controls over running workflows: halt, resume, rebalance-now and status.
 */
import type { Client } from "@temporalio/client";
import type { Command } from "commander";
import { loadConfig } from "../config/load";
import { formatMicros } from "../money";
import { QUERIES, SIGNALS } from "../session/messages";
import { connectClient } from "../temporal/client";
import { formatTable } from "./table";

const running = (type: string, slug?: string) =>
  `WorkflowType = '${type}' AND ExecutionStatus = 'Running'${slug ? ` AND MarketSlug = '${slug.replace(/'/g, "")}'` : ""}`;

async function ids(client: Client, query: string): Promise<string[]> {
  const found: string[] = [];
  for await (const wf of client.workflow.list({ query })) found.push(wf.workflowId);
  return found;
}

async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(loadConfig());
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

const usd = (m: number | undefined) => (m === undefined ? "" : `$${formatMicros(m, 2)}`);
const shares = (m: number) => formatMicros(m, 2);

export function addControlCommands(program: Command): void {
  program
    .command("halt")
    .description("stop opening positions and cancel open orders (all sessions, or one market)")
    .option("--slug <slug>", "only this market window")
    .option("--reason <text>", "why (kept in the workflow history)")
    .action(async (opts: { slug?: string; reason?: string }) => {
      await withClient(async (client) => {
        const sessions = await ids(client, running("marketSession", opts.slug));
        await Promise.all(
          sessions.map((id) =>
            client.workflow.getHandle(id).signal(SIGNALS.halt, { reason: opts.reason ?? "operator" }),
          ),
        );
        process.stdout.write(
          `halted ${sessions.length} session(s)${sessions.length ? `: ${sessions.join(", ")}` : ""}\n`,
        );
      });
    });

  program
    .command("resume")
    .description("resume opening positions (all sessions, or one market)")
    .option("--slug <slug>", "only this market window")
    .action(async (opts: { slug?: string }) => {
      await withClient(async (client) => {
        const sessions = await ids(client, running("marketSession", opts.slug));
        await Promise.all(sessions.map((id) => client.workflow.getHandle(id).signal(SIGNALS.resume)));
        process.stdout.write(`resumed ${sessions.length} session(s)\n`);
      });
    });

  program
    .command("rebalance <positionId>")
    .description("evaluate rebalancing of one position now (the usual rules still apply)")
    .action(async (positionId: string) => {
      await withClient(async (client) => {
        await client.workflow.getHandle(positionId).signal(SIGNALS.rebalanceNow);
        process.stdout.write(`rebalance requested for ${positionId}\n`);
      });
    });

  program
    .command("status")
    .description("state of the running sessions and positions")
    .action(async () => {
      await withClient(async (client) => {
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
