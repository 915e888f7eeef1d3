/** What the state queries of the workflows answer (plain JSON). */
import type { Micros } from "../src/money";

export type PositionPhase = "EXECUTING" | "BALANCED" | "IMBALANCED" | "RESOLVING" | "RESOLVED" | "ABANDONED";

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
  bestAsks?: { up: Micros | null; down: Micros | null };
  runsSoFar: number;
}
