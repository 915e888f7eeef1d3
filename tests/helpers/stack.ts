/**
 * Helpers of the full-stack test: polling for observable facts, the venue's admin endpoints (the
 * journal of submitted orders and order holds), and the activities a workflow history records.
 */
import type { temporal } from "@temporalio/proto";
import type { RunningVenue } from "../../src/venue/server/app";
import type { Hold, Submission } from "../../src/venue/server/submissions";

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
