/**
 * The arbitrage strategy as a market session's hook (src/session/strategy.ts): the detection the session
 * ran inline before, unchanged — the same gates in the same order, the same pure detection.
 */
import type { SessionArbitrageParams } from "../../session/params";
import type { SessionStrategy } from "../../session/strategy";
import { detectOpportunity, type Opportunity } from "./opportunity";

/** What the arbitrage strategy answers on a book: the opportunity a position is started on. */
export interface ArbitrageEntry {
  opportunity: Opportunity;
}

export const ARBITRAGE = "arbitrage";

export function arbitrageSessionStrategy(params: SessionArbitrageParams): SessionStrategy<ArbitrageEntry> {
  const armed = params.entryPath === "armed";
  return {
    name: ARBITRAGE,
    entry: armed ? "armed" : "book",
    feedDetection: () =>
      armed
        ? {
            minSpread: params.minSpread,
            budgetPerTrade: params.budgetPerTrade,
            rebalanceFreezeMs: params.rebalanceFreezeMs,
          }
        : undefined,
    onBook(facts, book) {
      const { market, nowMs } = facts;
      if (facts.halted || facts.executing) return undefined;
      if (nowMs < market.startMs || nowMs >= market.endMs - params.rebalanceFreezeMs) return undefined;
      if (facts.positionsStarted >= params.maxPositionsPerWindow) return undefined;
      const opportunity = detectOpportunity(
        book,
        {
          tickSize: book.tickSize || market.tickSize,
          minOrderSize: market.minOrderSize,
          feeRate: market.feeRate,
          feeExponent: market.feeExponent,
        },
        params,
      );
      return opportunity ? { opportunity } : undefined;
    },
    armDue: (facts) =>
      armed &&
      facts.armedId === undefined &&
      !facts.executing &&
      facts.positionsStarted < params.maxPositionsPerWindow &&
      facts.nowMs < facts.market.endMs - params.rebalanceFreezeMs,
  };
}
