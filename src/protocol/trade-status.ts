/**
 * The venue's trade statuses, and the one rule of which status may replace which — used by the position
 * ledger (src/strategy/arbitrage/position.ts applyFill) and, as generated SQL, by the fills table
 * (src/db/positions.ts upsertFill). Pure and workflow-safe: no I/O, no node: imports.
 *
 * The venue's lifecycle of a trade (Polymarket CLOB, "Trades overview", statuses):
 *   MATCHED → (RETRYING) → MINED → CONFIRMED, or → FAILED
 * - MATCHED: matched and sent to the executor, which submits it on chain (not terminal);
 * - RETRYING: its transaction failed (revert or reorg) and is being resubmitted (not terminal);
 * - MINED: mined into the chain, no finality yet (not terminal); the venue releases bought shares here;
 * - CONFIRMED: final and successful (terminal);
 * - FAILED: failed and not retried (terminal).
 *
 * The rule. A status replaces the one recorded only if it is further along: MATCHED < RETRYING < MINED <
 * {CONFIRMED, FAILED}; CONFIRMED and FAILED are both terminal, so nothing replaces either (a CONFIRMED trade
 * is never reversed by a later FAILED, nor a FAILED one resurrected). Statuses arrive more than once and out
 * of order (the user channel repeats a trade at every change, a reconcile replays what REST says), so the
 * rule has to make the result independent of arrival order: any set of sightings of one real lifecycle
 * ends on the same status (its terminal status if seen, else the most advanced one). A reorg after MINED
 * (MINED → RETRYING → MINED) is therefore not tracked: the trade stays MINED until CONFIRMED or FAILED.
 */

/** Every trade status, in lifecycle order (the one list: the user channel's schema validates with it too). */
export const TRADE_STATUSES = ["MATCHED", "RETRYING", "MINED", "CONFIRMED", "FAILED"] as const;
/** The venue's trade status, declared once (src/session/messages.ts and the simulator re-export it). */
export type TradeStatus = (typeof TRADE_STATUSES)[number];

const PROGRESS: Readonly<Record<TradeStatus, number>> = {
  MATCHED: 0,
  RETRYING: 1,
  MINED: 2,
  CONFIRMED: 3,
  FAILED: 3,
};

/** CONFIRMED and FAILED: no further change is expected. */
export function isTerminalTradeStatus(status: TradeStatus): boolean {
  return status === "CONFIRMED" || status === "FAILED";
}

/** Whether a sighting with status `next` replaces the recorded status `current` (see the module notes). */
export function tradeStatusReplaces(next: TradeStatus, current: TradeStatus): boolean {
  return PROGRESS[next] > PROGRESS[current];
}

/** Every (current, next) pair for which `next` replaces `current`: the rule as data (for SQL). */
export function tradeStatusTransitions(): [current: TradeStatus, next: TradeStatus][] {
  const out: [TradeStatus, TradeStatus][] = [];
  for (const current of TRADE_STATUSES) {
    for (const next of TRADE_STATUSES) if (tradeStatusReplaces(next, current)) out.push([current, next]);
  }
  return out;
}

/** Whether the shares a BUY received in a trade with this status are released to the buyer (sellable). */
export function tradeReleasesShares(status: TradeStatus): boolean {
  return status === "MINED" || status === "CONFIRMED";
}
