/**
 * The venue's trade-status lifecycle as expectations, written out by hand (Polymarket CLOB "Trades
 * overview": MATCHED → (RETRYING) → MINED → CONFIRMED, or → FAILED; CONFIRMED and FAILED are terminal).
 * Shared by the position ledger's tests (tests/strategy) and the fills table's (tests/db), so both sides
 * of the one rule (src/protocol/trade-status.ts) are held to the same table.
 */
import type { TradeStatus } from "../../src/session/messages";

/** [recorded status, status seen next, whether the next one replaces the recorded one] */
export const STATUS_REPLACES: readonly (readonly [TradeStatus, TradeStatus, boolean])[] = [
  ["MATCHED", "MATCHED", false],
  ["MATCHED", "RETRYING", true],
  ["MATCHED", "MINED", true],
  ["MATCHED", "CONFIRMED", true],
  ["MATCHED", "FAILED", true],
  ["RETRYING", "MATCHED", false],
  ["RETRYING", "RETRYING", false],
  ["RETRYING", "MINED", true],
  ["RETRYING", "CONFIRMED", true],
  ["RETRYING", "FAILED", true],
  ["MINED", "MATCHED", false],
  ["MINED", "RETRYING", false],
  ["MINED", "MINED", false],
  ["MINED", "CONFIRMED", true],
  ["MINED", "FAILED", true],
  // Terminal: a CONFIRMED trade is never reversed, a FAILED one never comes back.
  ["CONFIRMED", "MATCHED", false],
  ["CONFIRMED", "RETRYING", false],
  ["CONFIRMED", "MINED", false],
  ["CONFIRMED", "CONFIRMED", false],
  ["CONFIRMED", "FAILED", false],
  ["FAILED", "MATCHED", false],
  ["FAILED", "RETRYING", false],
  ["FAILED", "MINED", false],
  ["FAILED", "CONFIRMED", false],
  ["FAILED", "FAILED", false],
];
