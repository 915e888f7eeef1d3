/**
 * What a position writes to the seed's tables, from its state: the `trades` row (status, costs, the latest
 * rebalance), `trade_telemetry` (timings and the initial position), `orders`, `fills`, `rebalance_trades`
 * and the resolution. Pure and deterministic (the workflow hands in every clock reading): the position
 * workflow (workflows/position/executing.ts) passes these records to its database activities as they are.
 *
 * The rows are src/db/positions.ts's record types, imported as types only (erased when compiled: nothing of
 * the database reaches the workflow sandbox).
 */
import type {
  FillRecord,
  OrderRecord,
  PositionRecord,
  RebalanceState,
  RebalanceTradeRecord,
  RebalanceTradeStatus,
  ResolutionRecord,
  TelemetryRecord,
} from "../../db/positions";
import type { Micros } from "../../money";
import { SHARE_LOT } from "../../protocol/amounts";
import type { OurFill, Outcome, Side } from "../../session/messages";
import type { Opportunity } from "./opportunity";
import { averageEntry, fillEffect, hedgeRatio, netCost, type PositionLedger } from "./position";
import type { RebalanceAction, RebalanceOption } from "./rebalance";
import type { Resolution } from "./resolution";
import type { MarketRules } from "./types";

/** The market as the rows name it. */
export interface RecordMarket {
  slug: string;
  asset: string;
  conditionId: string;
  upTokenId: string;
  downTokenId: string;
  endMs: number;
}

/** The trades row's status that a position writes (RESOLVED is the resolution's). */
export type PositionRowStatus = PositionRecord["status"];
/** trades.rebalance_status as a position writes it (the seed's values; never "failed"). */
export type RebalanceProgress = Exclude<RebalanceState, "failed">;
export type { RebalanceTradeStatus };

/** The rows are the ledger's records (src/db/positions.ts), which the database activities take as they are. */
export type PositionRow = PositionRecord;
export type TelemetryRow = TelemetryRecord;
export type FillRow = FillRecord;
export type OrderRow = OrderRecord;
export type RebalanceTradeRow = RebalanceTradeRecord;
export type ResolutionRow = ResolutionRecord;

/** A position's phase: what its state query and Web UI show (workflows/views.ts re-exports it). */
export type PositionPhase =
  /** Started ahead of need (ARB_ENTRY_PATH=armed): waits for the streaming worker's `execute`. */
  | "ARMED"
  /** Armed, never executed: the window's trading time ended (or the session ended) first. No row, no order. */
  | "UNUSED"
  | "EXECUTING"
  | "BALANCED"
  | "IMBALANCED"
  | "RESOLVING"
  | "RESOLVED"
  | "ABANDONED"
  /** No resolution by the deadline (RESOLUTION_DEADLINE_MS after the market's end): an operator's case. */
  | "UNRESOLVED";

/** The timings and the initial position a position collects for trade_telemetry (and its row's rebalance status). */
export interface PositionTelemetry {
  /** The first entry leg's request left (this machine's clock). */
  orderPlacedAtMs?: number;
  /** The last entry leg with fills was answered. */
  orderFilledAtMs?: number;
  /** The position first found itself imbalanced. */
  rebalanceStartedAtMs?: number;
  /** Balanced again after that. */
  positionBalancedAtMs?: number;
  initialUp?: Micros;
  initialDown?: Micros;
  initialCost?: Micros;
  /** Hedge ratio in micros (0.6 = 600_000). */
  initialHedge?: Micros;
}

/** The latest rebalancing order that filled anything, as the trades row shows it. */
export interface LastRebalance {
  action: RebalanceAction;
  filled: Micros;
  price: Micros;
  profit: Micros;
  atMs: number;
}

/**
 * The trades row's status: EXECUTING is OPEN; BALANCED, ABANDONED and UNRESOLVED are themselves; any other
 * phase (IMBALANCED, RESOLVING, RESOLVED…) is BALANCED or IMBALANCED by the ledger as it is now (`balanced`).
 */
export function positionRowStatus(phase: PositionPhase, balanced: boolean): PositionRowStatus {
  if (phase === "BALANCED") return "BALANCED";
  if (phase === "ABANDONED" || phase === "UNRESOLVED") return phase;
  if (phase === "EXECUTING") return "OPEN";
  return balanced ? "BALANCED" : "IMBALANCED";
}

/** trades.rebalance_status: never imbalanced → not_needed; balanced again since → completed; else pending. */
export function rebalanceProgress(
  t: Pick<PositionTelemetry, "rebalanceStartedAtMs" | "positionBalancedAtMs">,
): RebalanceProgress {
  if (t.rebalanceStartedAtMs === undefined) return "not_needed";
  return t.positionBalancedAtMs !== undefined ? "completed" : "pending";
}

/** The position's trades row as of now. */
export function positionRecord(p: {
  positionId: string;
  market: RecordMarket;
  phase: PositionPhase;
  /** The ledger is balanced (hedge ratio at or above the threshold, or nothing held). */
  balanced: boolean;
  spread: Micros;
  ledger: PositionLedger;
  telemetry: PositionTelemetry;
  lastRebalance?: LastRebalance;
}): PositionRow {
  const { market, ledger, lastRebalance } = p;
  return {
    id: p.positionId,
    marketSlug: market.slug,
    conditionId: market.conditionId,
    asset: market.asset,
    yesTokenId: market.upTokenId,
    noTokenId: market.downTokenId,
    marketEndAtMs: market.endMs,
    status: positionRowStatus(p.phase, p.balanced),
    spread: p.spread,
    yesPrice: averageEntry(ledger, "UP") ?? null,
    noPrice: averageEntry(ledger, "DOWN") ?? null,
    yesShares: ledger.up.netShares,
    noShares: ledger.down.netShares,
    totalCost: netCost(ledger),
    feesPaid: ledger.up.fees + ledger.down.fees,
    rebalanceStatus: rebalanceProgress(p.telemetry),
    ...(lastRebalance
      ? {
          rebalanceAction: lastRebalance.action,
          rebalanceShares: lastRebalance.filled,
          rebalancePrice: lastRebalance.price,
          rebalanceProfit: lastRebalance.profit,
          rebalancedAtMs: lastRebalance.atMs,
        }
      : {}),
  };
}

/** The position's trade_telemetry row as of now; latencies are null until both of their ends are known. */
export function telemetryRecord(p: {
  positionId: string;
  detectedAtMs: number;
  opportunity: Pick<Opportunity, "spread" | "upBestAsk" | "downBestAsk">;
  telemetry: PositionTelemetry;
  rebalanceAttempts: number;
}): TelemetryRow {
  const { telemetry, opportunity } = p;
  const placed = telemetry.orderPlacedAtMs;
  const filled = telemetry.orderFilledAtMs;
  return {
    positionId: p.positionId,
    opportunityDetectedAtMs: p.detectedAtMs,
    opportunitySpread: opportunity.spread,
    opportunityYesPrice: opportunity.upBestAsk,
    opportunityNoPrice: opportunity.downBestAsk,
    orderPlacedAtMs: placed,
    orderFilledAtMs: filled,
    executionLatencyMs: placed === undefined ? null : placed - p.detectedAtMs,
    fillLatencyMs: placed === undefined || filled === undefined ? null : filled - placed,
    initialYesShares: telemetry.initialUp,
    initialHedgeRatio: telemetry.initialHedge,
    initialNoShares: telemetry.initialDown,
    initialCost: telemetry.initialCost,
    rebalanceStartedAtMs: telemetry.rebalanceStartedAtMs,
    rebalanceAttempts: p.rebalanceAttempts,
    positionBalancedAtMs: telemetry.positionBalancedAtMs,
  };
}

/** One entry leg as the telemetry needs it: when it left, when it was answered, whether it filled. */
export interface EntryLegTimes {
  sentAtMs?: number;
  answeredAtMs?: number;
  filled: boolean;
}

/**
 * The telemetry fixed once both entry legs' outcomes are final: placed = the earliest leg sent, filled = the
 * latest answer of a leg with fills (`nowMs` for one whose answer time is unknown), and the initial position.
 * A time with no leg to give it is absent (the telemetry keeps what it had).
 */
export function entryTelemetry(
  legs: readonly EntryLegTimes[],
  ledger: PositionLedger,
  nowMs: number,
): PositionTelemetry {
  const sent = legs.flatMap((leg) => (leg.sentAtMs === undefined ? [] : [leg.sentAtMs]));
  const filledLegs = legs.filter((leg) => leg.filled);
  return {
    ...(sent.length > 0 ? { orderPlacedAtMs: Math.min(...sent) } : {}),
    ...(filledLegs.length > 0
      ? { orderFilledAtMs: Math.max(...filledLegs.map((leg) => leg.answeredAtMs ?? nowMs)) }
      : {}),
    initialUp: ledger.up.netShares,
    initialDown: ledger.down.netShares,
    initialCost: netCost(ledger),
    initialHedge: Math.round(hedgeRatio(ledger) * 1_000_000),
  };
}

/**
 * The rebalancing timings after a change of the ledger: the first time it is imbalanced starts the
 * rebalancing; the first time it is balanced after that ends it. Returns the telemetry unchanged or a copy.
 */
export function balanceTimings(t: PositionTelemetry, balanced: boolean, nowMs: number): PositionTelemetry {
  if (!balanced && t.rebalanceStartedAtMs === undefined) return { ...t, rebalanceStartedAtMs: nowMs };
  if (balanced && t.rebalanceStartedAtMs !== undefined && t.positionBalancedAtMs === undefined)
    return { ...t, positionBalancedAtMs: nowMs };
  return t;
}

/** The fee of one of our fills as the fills table stores it: shares withheld on a BUY, pUSD on a SELL; makers pay none. */
export function fillFee(f: OurFill, rules: Pick<MarketRules, "feeExponent">): Micros {
  if (f.role === "MAKER") return 0;
  const effect = fillEffect(f, rules);
  return f.side === "BUY" ? effect.feeShares : effect.fees;
}

/** One of our fills as a fills row. */
export function fillRecord(
  f: OurFill,
  conditionId: string,
  rules: Pick<MarketRules, "feeExponent">,
): FillRow {
  return {
    tradeId: f.tradeId,
    orderId: f.orderId,
    market: conditionId,
    tokenId: f.tokenId,
    side: f.side,
    role: f.role,
    price: f.price,
    size: f.size,
    fee: fillFee(f, rules),
    status: f.status,
    matchedAtMs: f.atMs,
  };
}

/** One of our orders as an orders row: its request (the intent fixed in history) and what is known of it now. */
export function orderRecord(p: {
  orderId: string;
  request: {
    market: string;
    orderType: OrderRecord["orderType"];
    intent: { tokenId: string; side: Side; price: Micros; size: Micros };
  };
  status: string;
  sizeMatched: Micros;
  workflowId: string;
  positionId: string;
  error: string | null;
  updatedAtMs: number;
}): OrderRow {
  const { intent, orderType } = p.request;
  return {
    id: p.orderId,
    market: p.request.market,
    tokenId: intent.tokenId,
    side: intent.side,
    price: intent.price,
    size: intent.size,
    orderType,
    postOnly: false,
    status: p.status,
    sizeMatched: p.sizeMatched,
    workflowId: p.workflowId,
    positionId: p.positionId,
    error: p.error,
    updatedAtMs: p.updatedAtMs,
  };
}

/** Gross shares an order matched, by the ledger's fills of its keys, FAILED trades excluded (what it filled). */
export function filledShares(ledger: PositionLedger, fillKeys: readonly string[]): Micros {
  let total = 0;
  for (const key of fillKeys) {
    const f = ledger.fills[key];
    if (f && f.status !== "FAILED") total += f.size;
  }
  return total;
}

/**
 * Gross shares an order matched as its orders row's size_matched follows later fills: every fill the ledger
 * holds for it, FAILED ones included (size_matched never decreases).
 */
export function matchedShares(ledger: PositionLedger, fillKeys: readonly string[]): Micros {
  return fillKeys.reduce((sum, k) => sum + (ledger.fills[k]?.size ?? 0), 0);
}

/** A rebalancing order's result as rebalance_trades records it, from the gross shares it matched. */
export function rebalanceStatus(filled: Micros, ordered: Micros): RebalanceTradeStatus {
  return filled === 0 ? "FAILED" : filled + SHARE_LOT <= ordered ? "PARTIAL" : "SUCCESS";
}

/** One rebalancing attempt as a rebalance_trades row. */
export function rebalanceTradeRecord(p: {
  positionId: string;
  attemptedAtMs: number;
  option: Pick<RebalanceOption, "action" | "shares" | "limitPrice">;
  status: RebalanceTradeStatus;
  filled: Micros;
  profit: Micros;
  orderId: string | undefined;
}): RebalanceTradeRow {
  return {
    positionId: p.positionId,
    attemptedAtMs: p.attemptedAtMs,
    action: p.option.action,
    shares: p.option.shares,
    price: p.option.limitPrice,
    status: p.status,
    filledShares: p.filled,
    profit: p.profit,
    orderId: p.orderId ?? null,
  };
}

/** The resolution of a position as resolvePosition records it (YES is Up). */
export function resolutionRecord(
  positionId: string,
  resolvedAtMs: number,
  winner: Outcome,
  resolution: Pick<Resolution, "payout" | "pnl" | "finalUpShares" | "finalDownShares">,
): ResolutionRow {
  return {
    positionId,
    resolvedAtMs,
    winningOutcome: winner === "UP" ? "YES" : "NO",
    payout: resolution.payout,
    actualProfit: resolution.pnl,
    finalYesShares: resolution.finalUpShares,
    finalNoShares: resolution.finalDownShares,
  };
}
