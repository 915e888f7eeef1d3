/**
 * Helpers of the full-stack test and the chaos harness (bench/chaos): polling for observable facts, the
 * venue's admin endpoints (the journal of submitted orders and order holds), the activities a workflow
 * history records, the worker processes, and our fills as the venue and the database record them.
 */
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import path from "node:path";
import type { temporal } from "@temporalio/proto";
import type { Pool } from "pg";
import { parseMicros } from "../../src/money";
import { PROJECT_ROOT } from "../../src/temporal/binaries";
import type { MatchingEngine } from "../../src/venue/engine/engine";
import type { RunningVenue } from "../../src/venue/server/app";
import type { Hold, Submission } from "../../src/venue/server/submissions";
import type { VenueTrade } from "../../src/venue/types";

/**
 * Resolves when `check` returns a value (checked every 200 ms), or fails after `timeoutMs` saying
 * what it last saw (`check` may report it through `seen`).
 */
export async function eventually<T>(
  what: string,
  check: (seen: (state: unknown) => void) => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await check((s) => {
      last = s;
    }).catch((err) => {
      last = String(err);
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Reads `read()` until it equals `expected` (deep, as JSON) or `timeoutMs` passes; returns the last
 * value read, for the caller's `expect(...).toEqual(expected)` (which then shows the difference).
 */
export async function settledValue<T>(read: () => Promise<T>, expected: T, timeoutMs: number): Promise<T> {
  const want = JSON.stringify(expected);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (JSON.stringify(value) === want || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function admin<T>(venue: RunningVenue, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${venue.urls.admin}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} /admin${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** GET /admin/orders?owner=: every order entry the venue received from an API key or address. */
export async function submittedOrders(venue: RunningVenue, owner: string): Promise<Submission[]> {
  const { orders } = await admin<{ orders: Submission[] }>(
    venue,
    "GET",
    `/orders?owner=${encodeURIComponent(owner)}`,
  );
  return orders;
}

/** POST /admin/hold-orders: the next matching order requests are held this long before being handled. */
export async function holdOrders(venue: RunningVenue, hold: Partial<Hold> & { ms: number }): Promise<Hold[]> {
  const { holds } = await admin<{ holds: Hold[] }>(venue, "POST", "/hold-orders", hold);
  return holds;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One activity of a workflow history: what was asked, the attempt that closed it, how it closed. */
export interface ActivityRun {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: the activity's JSON input
  input: any;
  /** The attempt that was running when the activity closed (1 unless it was retried). */
  attempt?: number;
  /** The failure of the attempt before `attempt`, as Temporal recorded it. */
  lastFailure?: temporal.api.failure.v1.IFailure | null;
  // biome-ignore lint/suspicious/noExplicitAny: the activity's JSON result
  result?: any;
  closed?: "completed" | "failed" | "timed-out" | "canceled";
}

function payloadJson(payloads: temporal.api.common.v1.IPayloads | null | undefined): unknown {
  // A void result is a `binary/null` payload with no data.
  const data = payloads?.payloads?.[0]?.data;
  return data && data.length > 0 ? JSON.parse(Buffer.from(data).toString("utf8")) : undefined;
}

/** Every activity a history scheduled, in order, with its closing attempt and outcome. */
export function activityRuns(events: readonly HistoryEvent[]): ActivityRun[] {
  const byScheduled = new Map<string, ActivityRun>();
  const runs: ActivityRun[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const run: ActivityRun = {
        name: scheduled.activityType?.name ?? "",
        input: payloadJson(scheduled.input),
      };
      byScheduled.set(String(e.eventId), run);
      runs.push(run);
      continue;
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const run = byScheduled.get(String(started.scheduledEventId));
      if (run) {
        run.attempt = started.attempt ?? undefined;
        run.lastFailure = started.lastFailure;
      }
      continue;
    }
    const closes: [string | undefined, ActivityRun["closed"]][] = [
      [e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString(), "completed"],
      [e.activityTaskFailedEventAttributes?.scheduledEventId?.toString(), "failed"],
      [e.activityTaskTimedOutEventAttributes?.scheduledEventId?.toString(), "timed-out"],
      [e.activityTaskCanceledEventAttributes?.scheduledEventId?.toString(), "canceled"],
    ];
    for (const [id, how] of closes) {
      const run = id === undefined ? undefined : byScheduled.get(id);
      if (!run) continue;
      run.closed = how;
      if (how === "completed") run.result = payloadJson(e.activityTaskCompletedEventAttributes?.result);
    }
  }
  return runs;
}

// ------------------------------------------------------------------ the stack's processes and records

/** The `ballast` command (run with node): `worker`, `streamer`, … as deployed. */
export const BALLAST_BIN = path.join(PROJECT_ROOT, "bin", "ballast.cjs");

/** No simulated traders at all: the books hold only what a test posts. */
export const QUIET_MARKET = {
  lp: { levels: 0 },
  noise: { ratePerSec: 0 },
  informed: { ratePerSec: 0 },
  sweep: { ratePerMin: 0 },
  dislocation: { ratePerMin: 0 },
  rival: { probability: 0 },
};

/** Starts `ballast worker` or `ballast streamer` as a child process with exactly this environment. */
export function spawnBallast(
  role: "worker" | "streamer" | "scheduler",
  env: NodeJS.ProcessEnv,
  stdio: StdioOptions = ["ignore", "inherit", "inherit"],
): ChildProcess {
  return spawn(process.execPath, [BALLAST_BIN, role], { env, stdio });
}

/** SIGKILL, resolved once the process has ended (at once if it already had). */
export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

/** One side of a venue trade that is ours: the venue's view and the `fills` table's, compared as equal. */
export interface FillRecord {
  trade: string;
  order: string;
  token: string;
  side: string;
  role: "TAKER" | "MAKER";
  price: number;
  size: number;
  fee: number;
  status: string;
}

const fillOrder = (a: FillRecord, b: FillRecord) =>
  `${a.trade}:${a.order}`.localeCompare(`${b.trade}:${b.order}`);

/**
 * Our legs of every venue trade of these API keys, as the venue recorded them: the taker leg with its fee
 * (shares on a BUY, pUSD on a SELL), maker legs with none, and the trade's current status.
 */
export function venueFills(engine: MatchingEngine, owners: readonly string[]): FillRecord[] {
  const mine = new Set(owners);
  const seen = new Set<string>();
  const fills: FillRecord[] = [];
  for (const owner of owners) {
    for (const t of engine.trades(owner) as VenueTrade[]) {
      if (seen.has(t.id)) continue;
      seen.add(t.id);
      if (mine.has(t.takerOwner)) {
        fills.push({
          trade: t.id,
          order: t.takerOrderId,
          token: t.tokenId,
          side: t.side,
          role: "TAKER",
          price: t.price,
          size: t.size,
          fee: t.fee,
          status: t.status,
        });
      }
      for (const m of t.makers) {
        if (!mine.has(m.owner)) continue;
        fills.push({
          trade: t.id,
          order: m.orderId,
          token: m.tokenId,
          side: m.side,
          role: "MAKER",
          price: m.price,
          size: m.matchedAmount,
          fee: 0,
          status: t.status,
        });
      }
    }
  }
  return fills.sort(fillOrder);
}

/** The `fills` table, in the shape of venueFills. */
export async function databaseFills(pool: Pool): Promise<FillRecord[]> {
  const micros = (v: string | number) => parseMicros(String(v));
  return (await pool.query("SELECT * FROM fills")).rows
    .map((f) => ({
      trade: f.trade_id as string,
      order: f.order_id as string,
      token: f.token_id as string,
      side: f.side as string,
      role: f.role as "TAKER" | "MAKER",
      price: micros(f.price),
      size: micros(f.size),
      fee: micros(f.fee),
      status: f.status as string,
    }))
    .sort(fillOrder);
}

/** POST /admin/faults: changes the venue's faults (a JSON patch of src/venue/server/faults.ts's fields). */
export async function setFaults(venue: RunningVenue, patch: Record<string, unknown>): Promise<unknown> {
  return admin(venue, "POST", "/faults", patch);
}

/** DELETE /admin/faults: no faults. */
export async function clearFaults(venue: RunningVenue): Promise<unknown> {
  return admin(venue, "DELETE", "/faults");
}
