/**
 * The end of a position: what it pays at resolution, and telemetry helpers. Pure.
 */
import type { Micros } from "../../money";
import type { Outcome } from "../../session/messages";
import { hedgeRatio, leg, netCost, type PositionLedger } from "./position";

export interface Resolution {
  winner: Outcome;
  /** 1 pUSD per winning share held (micros). */
  payout: Micros;
  /** payout − (cost − proceeds), net of every fee paid. */
  pnl: Micros;
  finalUpShares: Micros;
  finalDownShares: Micros;
  /** min/max of the final net shares, a float for display. */
  finalHedgeRatio: number;
}

/** Settles the ledger as if `winner` won: each winning share redeems for 1 pUSD, losing shares for 0. */
export function resolvePosition(ledger: PositionLedger, winner: Outcome): Resolution {
  const payout = Math.max(0, leg(ledger, winner).netShares);
  return {
    winner,
    payout,
    pnl: payout - netCost(ledger),
    finalUpShares: ledger.up.netShares,
    finalDownShares: ledger.down.netShares,
    finalHedgeRatio: hedgeRatio(ledger),
  };
}

/**
 * Milliseconds from one telemetry timestamp (ms since epoch) to another, or undefined when either is
 * missing (the step has not happened). Negative when the clocks disagree; the caller decides.
 */
export function latencyMs(
  fromMs: number | undefined | null,
  toMs: number | undefined | null,
): number | undefined {
  if (fromMs === undefined || fromMs === null || toMs === undefined || toMs === null) return undefined;
  return toMs - fromMs;
}
