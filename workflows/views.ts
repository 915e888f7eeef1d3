/** What the state queries of the workflows answer (plain JSON). */
import type { Micros } from "../src/money";

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

export interface PositionView {
  positionId: string;
  slug: string;
  asset: string;
  phase: PositionPhase;
  halted: boolean;
  upShares: Micros;
  downShares: Micros;
  netCost: Micros;
  hedgeRatio: number;
  guaranteedPnl: Micros;
  rebalanceTrades: number;
  orders: number;
  /** Orders whose outcome is not final yet (in flight, delayed at the venue, or unknown). */
  openOrders: number;
  /** Fills held back because they may belong to an order whose id is not known yet. */
  bufferedFills: number;
  pnl?: Micros;
  winner?: "UP" | "DOWN";
}

export interface SessionView {
  slug: string;
  asset: string;
  startMs: number;
  endMs: number;
  halted: boolean;
  positionsStarted: number;
  openPositions: string[];
  lastBookSeq: number;
  /** The position waiting for the streaming worker's `execute` (ARB_ENTRY_PATH=armed), if any. */
  armedPositionId?: string;
  bestAsks?: { up: Micros | null; down: Micros | null };
  runsSoFar: number;
}
