/**
 * Runs the market's long-lived feed activity on the streaming task queue until the window is over.
 * A separate (ABANDON) child of the session, so that the session can continue as new without
 * interrupting the feed. If the streaming worker dies, Temporal retries the activity on another
 * one after the heartbeat timeout, and it resumes from its heartbeat details.
 */
import { proxyActivities, setCurrentDetails, workflowInfo } from "@temporalio/workflow";
import type { FeedDetection, StreamingActivities } from "../activities/streaming/market-feed";
import type { MarketRef } from "../src/session/market";
import { feedDetails, utcTime } from "./views";

export interface MarketFeedInput {
  market: MarketRef;
  sessionWorkflowId: string;
  /** Task queue of the streaming workers. */
  taskQueue?: string;
  /** Armed entry (ARB_ENTRY_PATH=armed): the feed detects on every book and triggers the armed position. */
  detection?: FeedDetection;
}

export async function marketFeed(input: MarketFeedInput): Promise<void> {
  const { market } = input;
  const lifetimeMs = Math.max(60_000, market.endMs - Date.now() + 120_000);
  const taskQueue = input.taskQueue ?? `${workflowInfo().taskQueue}-streaming`;
  const { streamMarket } = proxyActivities<StreamingActivities>({
    taskQueue,
    startToCloseTimeout: lifetimeMs,
    heartbeatTimeout: "10 seconds",
    retry: { initialInterval: "1 second", maximumInterval: "10 seconds", backoffCoefficient: 2 },
  });
  // Shown in the Web UI (no history event); the feed does nothing else worth showing.
  setCurrentDetails(
    feedDetails(market, {
      taskQueue,
      sessionWorkflowId: input.sessionWorkflowId,
      armedDetection: input.detection !== undefined,
    }),
  );
  const summary = `stream ${market.slug}'s books and our fills to its session until ${utcTime(market.endMs)} UTC${input.detection ? ", detecting for the armed position" : ""}`;
  await streamMarket.executeWithOptions({ summary }, [
    {
      slug: market.slug,
      conditionId: market.conditionId,
      upTokenId: market.upTokenId,
      downTokenId: market.downTokenId,
      endMs: market.endMs,
      sessionWorkflowId: input.sessionWorkflowId,
      ...(input.detection
        ? {
            detection: {
              ...input.detection,
              startMs: market.startMs,
              tickSize: market.tickSize,
              minOrderSize: market.minOrderSize,
              feeRate: market.feeRate,
              feeExponent: market.feeExponent,
            },
          }
        : {}),
    },
  ]);
}
