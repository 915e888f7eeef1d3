/**
 * What the activities and the streaming worker report, in their terms; the metric names and labels stay
 * in ./registry.ts. Every function is cheap and never throws into the caller's path.
 */
import type { Micros } from "../money";
import { activityMarket, marketOfWorkflowId, UNKNOWN } from "./labels";
import { type PositionWrite, positionBook } from "./positions";
import {
  filledShares,
  fills,
  orderCancels,
  orderFailures,
  orderPlacements,
  orderRejections,
  orderRoundTrip,
  pnlRealizedLoss,
  pnlRealizedProfit,
  positionFinalHedgeRatio,
  positionStateChanges,
  signalFailures,
  signalsSent,
} from "./registry";

const PUSD = 1_000_000;

/** The error label of a failure: an ApplicationFailure's type (a venue error kind), else the error's class. */
export function errorType(err: unknown): string {
  const e = err as { type?: unknown; name?: unknown } | undefined;
  if (typeof e?.type === "string" && e.type) return e.type;
  if (typeof e?.name === "string" && e.name) return e.name;
  return "Error";
}

// ---------------------------------------------------------------------------------------------- orders

/** What a placeOrder activity returned (activities/exchange PlacedOrder). */
export interface PlacementOutcome {
  accepted: boolean;
  rejection?: { kind: string; local?: boolean } | undefined;
  sentAtMs: number;
  answeredAtMs: number;
}

export function recordPlacement(order: { side: string; orderType: string }, placed: PlacementOutcome): void {
  const { asset } = activityMarket();
  const side = order.side;
  orderPlacements.inc({
    asset,
    side,
    order_type: order.orderType,
    result: placed.accepted ? "accepted" : "rejected",
  });
  if (!placed.accepted) {
    orderRejections.inc({
      asset,
      side,
      reason: placed.rejection?.kind ?? "rejected",
      origin: placed.rejection?.local ? "local" : "venue",
    });
  }
  if (!placed.rejection?.local && placed.answeredAtMs >= placed.sentAtMs) {
    orderRoundTrip.observe({ order_type: order.orderType }, (placed.answeredAtMs - placed.sentAtMs) / 1000);
  }
}

export function recordPlacementFailure(order: { side: string; orderType: string }, err: unknown): void {
  const { asset } = activityMarket();
  orderPlacements.inc({ asset, side: order.side, order_type: order.orderType, result: "failed" });
  orderFailures.inc({ asset, operation: "place", error: errorType(err) });
}

export type ExchangeOperation = "read" | "cancel_market" | "cancel_all";

export function recordExchangeFailure(operation: ExchangeOperation, err: unknown): void {
  orderFailures.inc({ asset: activityMarket().asset, operation, error: errorType(err) });
}

export function recordCancels(scope: "market" | "all", cancelled: number): void {
  orderCancels.inc({ asset: scope === "all" ? "all" : activityMarket().asset, scope }, cancelled);
}

// ----------------------------------------------------------------------------------- fills, positions

/** A fill the ledger took (upsertFill changed it: new, or a later status). */
export function recordFill(fill: { side: string; role: string; size: Micros }, status: string): void {
  const labels = { asset: activityMarket().asset, side: fill.side, role: fill.role, status };
  fills.inc(labels);
  filledShares.inc(labels, Math.max(0, fill.size) / PUSD);
}

export function recordPositionWrite(position: PositionWrite): void {
  const change = positionBook.upserted(position);
  if (change.entered) positionStateChanges.inc({ asset: change.asset, state: change.entered });
}

export function recordResolution(resolution: {
  positionId: string;
  actualProfit: Micros;
  finalYesShares: Micros;
  finalNoShares: Micros;
}): void {
  const change = positionBook.resolved(resolution.positionId);
  if (!change.entered) return;
  const asset = change.asset;
  positionStateChanges.inc({ asset, state: "RESOLVED" });
  const up = Math.max(0, resolution.finalYesShares);
  const down = Math.max(0, resolution.finalNoShares);
  const max = Math.max(up, down);
  positionFinalHedgeRatio.observe({ asset }, max === 0 ? 0 : Math.min(up, down) / max);
  if (resolution.actualProfit > 0) pnlRealizedProfit.inc({ asset }, resolution.actualProfit / PUSD);
  else if (resolution.actualProfit < 0) pnlRealizedLoss.inc({ asset }, -resolution.actualProfit / PUSD);
}

// ------------------------------------------------------------------------------------------- streaming

type SignalFn = (workflowId: string, signalName: string, payload: unknown) => Promise<void>;

/** The market feeds' `signal` dependency, counting each signal sent and each that failed. */
export function countedSignals<F extends SignalFn>(signal: F): SignalFn {
  return async (workflowId, signalName, payload) => {
    const asset = marketOfWorkflowId(workflowId)?.asset ?? UNKNOWN;
    try {
      await signal(workflowId, signalName, payload);
    } catch (err) {
      signalFailures.inc({ signal: signalName, asset });
      throw err;
    }
    signalsSent.inc({ signal: signalName, asset });
  };
}
