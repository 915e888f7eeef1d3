/**
 * The validators' rules of a position's Updates, as plain functions of its state (no history, no clock but the
 * one handed in): why an armed position refuses an `execute`, why a position refuses a `rebalanceNow`.
 */
import type { MarketRef } from "../../src/session/market";
import type { MarketBookSnapshot } from "../../src/session/messages";
import { detectOpportunity } from "../../src/strategy/arbitrage";
import { formatHedgeRatio } from "../../src/strategy/arbitrage/summary";
import type { ArbitrageParams } from "../position";
import type { PositionPhase } from "../views";

/** The market's rules as of a book: the tick is that book's (it narrows to 0.001 near 0 and 1). */
export function marketRules(market: MarketRef, b: MarketBookSnapshot) {
  return {
    tickSize: b.tickSize || market.tickSize,
    minOrderSize: market.minOrderSize,
    feeRate: market.feeRate,
    feeExponent: market.feeExponent,
  };
}

/** Why an armed position refuses a book (the `execute` Update's validator); undefined: it would execute. */
export function executeRefusal(
  request: { book?: MarketBookSnapshot; detectedAtMs?: number } | undefined,
  state: { executing: boolean; halted: boolean; nowMs: number },
  market: MarketRef,
  params: ArbitrageParams,
): string | undefined {
  if (state.executing) return "already executing: this position is no longer armed";
  if (state.halted) return "halted";
  if (state.nowMs < market.startMs) return "the market window has not opened";
  if (state.nowMs >= market.endMs - params.rebalanceFreezeMs) return "the window's trading time is over";
  const book = request?.book;
  if (
    !book ||
    !Number.isSafeInteger(book.seq) ||
    !Array.isArray(book.up?.asks) ||
    !Array.isArray(book.down?.asks) ||
    !Number.isFinite(request?.detectedAtMs)
  ) {
    return "malformed request: a book (seq, up, down) and detectedAtMs are required";
  }
  if (!detectOpportunity(book, marketRules(market, book), params)) return "no opportunity on this book";
  return undefined;
}

/** Why a position refuses the `rebalanceNow` Update (its validator); undefined: it evaluates now. */
export function rebalanceNowRefusal(state: {
  phase: PositionPhase;
  halted: boolean;
  /** A rebalancing (or entry) order's outcome is still open. */
  orderOpen: boolean;
  /** An earlier rebalanceNow Update has not been answered yet. */
  pending: boolean;
  hedgeRatio: number;
  nowMs: number;
  endMs: number;
}): string | undefined {
  if (state.phase === "ARMED") return "armed: it holds nothing until it executes";
  if (state.phase === "EXECUTING") return "still executing its entry: nothing to rebalance yet";
  if (state.phase !== "BALANCED" && state.phase !== "IMBALANCED")
    return `the position is ${state.phase}: nothing to rebalance`;
  if (state.nowMs >= state.endMs) return "the market window is over";
  if (state.halted) return "halted: it places no order until resumed";
  if (state.pending) return "a rebalance-now is already under way";
  if (state.orderOpen) return "a rebalancing order's outcome is still open (no second one meanwhile)";
  if (state.phase === "BALANCED")
    return `balanced (hedge ratio ${formatHedgeRatio(state.hedgeRatio)}): nothing to rebalance`;
  return undefined;
}
