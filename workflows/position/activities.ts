/** The activities a position calls, with their options, and the timing constants of its waits. */
import { proxyActivities } from "@temporalio/workflow";
import type { DatabaseActivities } from "../../activities/database";
import type { ExchangeActivities } from "../../activities/exchange/activities";
import type { MarketDataActivities } from "../../activities/market-data";

export const exchange = proxyActivities<ExchangeActivities>({
  startToCloseTimeout: "20 seconds",
  retry: {
    initialInterval: "200 milliseconds",
    backoffCoefficient: 2,
    maximumInterval: "5 seconds",
    maximumAttempts: 8,
  },
});
export const db = proxyActivities<DatabaseActivities>({
  startToCloseTimeout: "15 seconds",
  retry: { initialInterval: "500 milliseconds", maximumInterval: "10 seconds" },
});
export const marketData = proxyActivities<MarketDataActivities>({
  startToCloseTimeout: "15 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "10 seconds" },
});

/** Resolution reads that fail for good (both sources down) count as "not yet": the deadline still bites. */
export const resolutionReads = proxyActivities<MarketDataActivities>({
  startToCloseTimeout: "15 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "10 seconds", maximumAttempts: 6 },
});
/**
 * How long after its market's end a position waits for the market's resolution before it is marked
 * UNRESOLVED with an alert. Polymarket's crypto up/down windows resolve from the Chainlink price within
 * minutes of their end; an hour leaves room for a slow oracle and still ends the workflow.
 */
export const RESOLUTION_DEADLINE_MS = 60 * 60_000;
/** Resolution polls back off from 5 s to this (about 20 polls in the hour: bounded history). */
export const RESOLUTION_POLL_MAX_MS = 5 * 60_000;

/** While an order's outcome is open (delayed at the venue, or unknown after a failed call): re-read it this often. */
export const ORDER_POLL_MS = 1_000;
