/**
 * One long-running scheduler per asset: discovers upcoming windows through Gamma and starts each
 * window's session before it opens. Continues as new every so often, carrying what it started.
 *
 * It obeys the deployment's `control` workflow (workflows/control.ts): before starting sessions it
 * asks control for the state (subscribing to its changes), starts every session halted while trading
 * is halted, and tells the sessions it started of every halt and resume — so a halt holds for present
 * and future sessions until resumed. Schedulers that ran before this do so from their next iteration
 * (patched).
 */
import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from "@temporalio/workflow";
import type { MarketDataActivities } from "../activities/market-data";
import type { MarketRef } from "../src/session/market";
import { workflowIds } from "../src/session/messages";
import { type FlatSessionParams, type SessionParams, sessionParamsOf } from "../src/session/params";
import { control } from "./control";
import {
  type ControlStateMessage,
  controlStateSignal,
  controlSubscribeSignal,
  haltSignal,
  resumeSignal,
} from "./definitions";
import { marketSession } from "./session";
import { CONTROL_SUMMARY, durationText, schedulerDetails, sessionSummary } from "./views";

/** The control state as a scheduler last heard it. */
export type KnownControlState = Omit<ControlStateMessage, "seq">;

export interface SchedulerInput {
  asset: string;
  windowMs: number;
  /**
   * What each session is started with: today's shape, or the flat one a scheduler started before it
   * carries (read by `sessionParamsOf`; sessions are started, and the next run carried, with today's).
   */
  params: SessionParams | FlatSessionParams;
  /** Slugs whose session this scheduler already started (recent ones only). */
  started?: string[];
  iterations?: number;
  /** The control state as last heard (carried across continue-as-new). */
  control?: KnownControlState;
  /** Sessions whose window has not ended, slug → end (ms since epoch): told of every halt and resume. */
  live?: Record<string, number>;
  /** Number of the last request for the control state (increases across runs). */
  controlSeq?: number;
}

const marketData = proxyActivities<MarketDataActivities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "30 seconds" },
});

const ITERATIONS_PER_RUN = 100;
/** Schedulers that ran before the control workflow existed adopt it from their next iteration. */
const CONTROL_PATCH = "scheduler-control";

export async function scheduler(input: SchedulerInput): Promise<void> {
  const params = sessionParamsOf(input.params);
  const started = new Set(input.started ?? []);
  const live: Record<string, number> = { ...(input.live ?? {}) };
  let known: KnownControlState | undefined = input.control;
  let requested = input.controlSeq ?? 0;
  let answered = 0;
  /** The control state changed since the live sessions were last told. */
  let changed = false;
  const me = workflowInfo().workflowId;
  const controlId = workflowIds.control(workflowInfo().taskQueue);
  /** The latest window whose session is started, and when the scheduler looks for windows next (details). */
  let latest: MarketRef | undefined;
  let nextLookMs: number | undefined;
  /** The scheduler as the Web UI shows it live (current details: no history event). */
  const showDetails = () =>
    setCurrentDetails(
      schedulerDetails({
        asset: input.asset,
        windowMs: input.windowMs,
        ...(known ? { control: known } : {}),
        ...(latest ? { latest } : {}),
        liveSessions: Object.values(live).filter((endMs) => endMs > Date.now()).length,
        ...(nextLookMs !== undefined ? { nextLookMs } : {}),
      }),
    );

  setHandler(controlStateSignal, ({ seq, ...state }) => {
    answered = Math.max(answered, seq);
    // Unknown until now: only a halt is news to the sessions (they start un-halted).
    if (known === undefined ? state.halted : known.halted !== state.halted) changed = true;
    known = state;
    showDetails();
  });

  /** Asks control for its state (subscribing to changes) and waits for the answer. */
  async function syncControl(): Promise<void> {
    requested += 1;
    const seq = requested;
    for (let attempt = 1; ; attempt++) {
      try {
        await getExternalWorkflowHandle(controlId).signal(controlSubscribeSignal, { workflowId: me, seq });
        break;
      } catch (err) {
        // No control workflow (a deployment older than it, or it was terminated): start it.
        log.warn("control workflow not reachable: starting it", { controlId, err: String(err) });
        try {
          await startChild(control, {
            workflowId: controlId,
            staticSummary: CONTROL_SUMMARY,
            args: [{}],
            parentClosePolicy: ParentClosePolicy.ABANDON,
          });
        } catch (startErr) {
          if (!(startErr instanceof Error && startErr.name === "WorkflowExecutionAlreadyStartedError"))
            log.warn("cannot start the control workflow", { controlId, err: String(startErr) });
          if (attempt > 1) await sleep(10_000);
        }
      }
    }
    // No session starts before the state is known: a halt must hold for new sessions too.
    await condition(() => answered >= seq);
  }

  /** Tells every live session the current state, again whenever it changes meanwhile. */
  async function tellSessions(): Promise<void> {
    while (changed && known) {
      changed = false;
      const state = known;
      const now = Date.now();
      for (const [slug, endMs] of Object.entries(live)) if (endMs <= now) delete live[slug];
      const slugs = Object.keys(live);
      await Promise.all(
        slugs.map((slug) => {
          const session = getExternalWorkflowHandle(workflowIds.session(slug));
          return (
            state.halted ? session.signal(haltSignal, { reason: state.reason }) : session.signal(resumeSignal)
          ).catch(() => undefined);
        }),
      );
      log.info(state.halted ? "sessions halted" : "sessions resumed", { sessions: slugs });
    }
  }

  const later = (a: MarketRef | undefined, b: MarketRef) =>
    a === undefined || b.startMs > a.startMs ? b : a;
  let controlled = false;
  showDetails();
  for (let i = input.iterations ?? 0; i < ITERATIONS_PER_RUN; i++) {
    controlled = patched(CONTROL_PATCH);
    if (controlled) await syncControl();
    const windows = await marketData.discoverWindows.executeWithOptions(
      { summary: `find ${input.asset}'s current and next ${durationText(input.windowMs)} windows (Gamma)` },
      [{ asset: input.asset, windowMs: input.windowMs, fromMs: Date.now(), count: 2 }],
    );
    for (const market of windows) {
      if (started.has(market.slug) || market.endMs <= Date.now()) {
        if (controlled && started.has(market.slug) && market.endMs > Date.now())
          live[market.slug] = market.endMs;
        if (started.has(market.slug)) latest = later(latest, market);
        continue;
      }
      const halted = controlled && known?.halted === true ? { reason: known.reason } : undefined;
      try {
        await startChild(marketSession, {
          workflowId: workflowIds.session(market.slug),
          args: [{ market, params, ...(halted ? { halted } : {}) }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          staticSummary: sessionSummary(market, halted !== undefined),
        });
        log.info("session scheduled", { slug: market.slug, ...(halted ? { halted: true } : {}) });
      } catch (err) {
        if (!(err instanceof Error && err.name === "WorkflowExecutionAlreadyStartedError")) throw err;
        // Started by someone else (e.g. before this scheduler was restarted): it must hold the halt too.
        if (halted)
          await getExternalWorkflowHandle(workflowIds.session(market.slug))
            .signal(haltSignal, halted)
            .catch(() => undefined);
      }
      started.add(market.slug);
      latest = later(latest, market);
      if (controlled) live[market.slug] = market.endMs;
    }
    // Wake shortly after the next window starts (the one after it is listed by then).
    const next = (Math.floor(Date.now() / input.windowMs) + 1) * input.windowMs;
    const waitMs = Math.max(1_000, next - Date.now() + 1_000);
    nextLookMs = Date.now() + waitMs;
    showDetails();
    if (controlled) {
      // Meanwhile, pass every halt and resume on to the live sessions at once.
      const wakeAtMs = Date.now() + waitMs;
      await tellSessions();
      while (await condition(() => changed, Math.max(1, wakeAtMs - Date.now()))) await tellSessions();
    } else {
      await sleep(waitMs);
    }
  }
  await continueAsNew<typeof scheduler>({
    ...input,
    params,
    started: [...started].slice(-16),
    iterations: 0,
    ...(controlled ? { control: known, live, controlSeq: requested } : {}),
  });
}
