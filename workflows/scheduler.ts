/**
 * One long-running scheduler per asset: discovers upcoming windows through Gamma and starts each
 * window's session before it opens. Continues as new every so often, carrying what it started.
 */
import {
  continueAsNew,
  log,
  ParentClosePolicy,
  proxyActivities,
  sleep,
  startChild,
  WorkflowIdReusePolicy,
} from "@temporalio/workflow";
import type { MarketDataActivities } from "../activities/market-data";
import { workflowIds } from "../src/session/messages";
import { marketSession, type SessionParams } from "./session";

export interface SchedulerInput {
  asset: string;
  windowMs: number;
  params: SessionParams;
  /** Slugs whose session this scheduler already started (recent ones only). */
  started?: string[];
  iterations?: number;
}

const { discoverWindows } = proxyActivities<MarketDataActivities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "30 seconds" },
});

const ITERATIONS_PER_RUN = 100;

export async function scheduler(input: SchedulerInput): Promise<void> {
  const started = new Set(input.started ?? []);
  for (let i = input.iterations ?? 0; i < ITERATIONS_PER_RUN; i++) {
    const windows = await discoverWindows({
      asset: input.asset,
      windowMs: input.windowMs,
      fromMs: Date.now(),
      count: 2,
    });
    for (const market of windows) {
      if (started.has(market.slug) || market.endMs <= Date.now()) continue;
      try {
        await startChild(marketSession, {
          workflowId: workflowIds.session(market.slug),
          args: [{ market, params: input.params }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        log.info("session scheduled", { slug: market.slug });
      } catch (err) {
        if (!(err instanceof Error && err.name === "WorkflowExecutionAlreadyStartedError")) throw err;
      }
      started.add(market.slug);
    }
    // Wake shortly after the next window starts (the one after it is listed by then).
    const next = (Math.floor(Date.now() / input.windowMs) + 1) * input.windowMs;
    await sleep(Math.max(1_000, next - Date.now() + 1_000));
  }
  await continueAsNew<typeof scheduler>({ ...input, started: [...started].slice(-16), iterations: 0 });
}
