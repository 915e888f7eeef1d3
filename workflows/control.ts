/**
 * The deployment's operator control: one long-running `control` workflow per task queue (id
 * `control-{taskQueue}`, see workflowIds) holds whether trading is halted, from `ballast halt` until
 * `ballast resume`. Its state is its history, so it survives restarts of workers and servers; it
 * continues as new carrying the whole state.
 *
 * - Updates `halt` and `resume` (the CLI gets their result). A halt tells every subscriber — the
 *   schedulers, which tell the sessions they started and start every new session halted — and then
 *   cancels every open order of our key at the venue, in every market (also markets without a session),
 *   and returns how many.
 * - Signal `controlSubscribe` {workflowId, seq}: a scheduler asks for the state, which it gets back as a
 *   `controlState` signal carrying its seq, and to be told of every change (seq 0).
 * - Query `controlState`. The Web UI shows the state as the workflow's current details.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from "@temporalio/workflow";
import type { ExchangeActivities } from "../activities/exchange/activities";
import type { ControlView, HaltResult, ResumeResult } from "../src/session/messages";
import {
  type ControlStateMessage,
  controlHaltUpdate,
  controlResumeUpdate,
  controlStateQuery,
  controlStateSignal,
  controlSubscribeSignal,
} from "./definitions";

/** The whole state, handed as is to the next run on continue-as-new. */
export interface ControlState {
  halted: boolean;
  /** The last halt's reason, while halted. */
  reason?: string;
  /** When the current state began (the first halt of a halt, or the resume). */
  sinceMs?: number;
  /** Workflows told of every change (the schedulers). */
  subscribers: string[];
  /** Runs before this one (continue-as-new count). */
  runs: number;
}

export interface ControlInput {
  /** The previous run's whole state (continue-as-new). */
  state?: ControlState;
  /** Events after which the workflow continues as new (default 2,000). */
  historyEventLimit?: number;
}

export const MAX_REASON_LENGTH = 500;

const exchange = proxyActivities<ExchangeActivities>({
  startToCloseTimeout: "20 seconds",
  retry: { initialInterval: "500 milliseconds", maximumInterval: "5 seconds", maximumAttempts: 5 },
});

/** The message of an activity failure (its cause's: the venue's words), or of any error. */
function messageOf(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof Error && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

export async function control(input: ControlInput = {}): Promise<void> {
  const state: ControlState = input.state ?? { halted: false, subscribers: [], runs: 0 };
  const historyEventLimit = input.historyEventLimit ?? 2_000;

  const view = (): ControlView => ({
    halted: state.halted,
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    ...(state.sinceMs !== undefined ? { sinceMs: state.sinceMs } : {}),
    subscribers: [...state.subscribers],
  });
  const message = (seq: number): ControlStateMessage => ({
    halted: state.halted,
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    ...(state.sinceMs !== undefined ? { sinceMs: state.sinceMs } : {}),
    seq,
  });
  function showDetails(): void {
    const since = state.sinceMs !== undefined ? ` since ${new Date(state.sinceMs).toISOString()}` : "";
    // Shown live in the Web UI (no history event).
    setCurrentDetails(
      state.halted
        ? `**HALTED**${since}: ${state.reason ?? ""} — no session opens positions until \`ballast resume\``
        : `**trading**${since} (not halted)`,
    );
  }

  /** Tells one subscriber the state; one that no longer exists is dropped. */
  async function tell(workflowId: string, seq: number): Promise<boolean> {
    try {
      await getExternalWorkflowHandle(workflowId).signal(controlStateSignal, message(seq));
      return true;
    } catch (err) {
      log.warn("subscriber not reachable: dropped", { workflowId, err: messageOf(err) });
      state.subscribers = state.subscribers.filter((id) => id !== workflowId);
      return false;
    }
  }
  async function tellAll(): Promise<number> {
    const told = await Promise.all([...state.subscribers].map((id) => tell(id, 0)));
    return told.filter(Boolean).length;
  }

  setHandler(
    controlHaltUpdate,
    async (req): Promise<HaltResult> => {
      const reason = req?.reason?.trim() || "operator";
      if (!state.halted) {
        state.halted = true;
        state.sinceMs = Date.now();
      }
      state.reason = reason;
      log.info("trading halted", { reason });
      showDetails();
      // First stop new positions (schedulers tell their sessions), then cancel what rests at the venue.
      const notified = await tellAll();
      try {
        const cancelled = await exchange.cancelAllOrders.executeWithOptions(
          { summary: "cancel every open order of our key, in every market (halt)" },
          [],
        );
        log.info("open orders cancelled on halt", { cancelled });
        return { ...view(), notified, cancelled };
      } catch (err) {
        const cancelError = messageOf(err);
        log.error("cancelling open orders on halt failed", { err: cancelError });
        return { ...view(), notified, cancelError };
      }
    },
    {
      validator: (req) => {
        const reason: unknown = req?.reason;
        if (reason !== undefined && typeof reason !== "string")
          throw new Error("the halt reason must be text");
        if (typeof reason === "string" && reason.length > MAX_REASON_LENGTH)
          throw new Error(`the halt reason must be at most ${MAX_REASON_LENGTH} characters`);
      },
    },
  );
  setHandler(controlResumeUpdate, async (): Promise<ResumeResult> => {
    const wasHalted = state.halted;
    if (wasHalted) {
      state.halted = false;
      state.sinceMs = Date.now();
      delete state.reason;
      log.info("trading resumed");
    }
    showDetails();
    const notified = await tellAll();
    return { ...view(), wasHalted, notified };
  });
  setHandler(controlSubscribeSignal, async ({ workflowId, seq }) => {
    if (!state.subscribers.includes(workflowId)) state.subscribers.push(workflowId);
    await tell(workflowId, seq);
  });
  setHandler(controlStateQuery, view);

  showDetails();
  await condition(() => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > historyEventLimit;
  });
  // Whatever is being handled finishes first; then the whole state goes to the next run.
  await condition(allHandlersFinished);
  state.runs += 1;
  await continueAsNew<typeof control>({
    state,
    ...(input.historyEventLimit !== undefined ? { historyEventLimit } : {}),
  });
}
