import type { Micros } from "../money";

/** One up/down window as the workflows know it. Index 0 of the venue's tokens is Up. */
export interface MarketRef {
  slug: string;
  asset: string;
  conditionId: string;
  upTokenId: string;
  downTokenId: string;
  startMs: number;
  endMs: number;
  tickSize: Micros;
  minOrderSize: Micros;
  /** Taker fee parameters from market info (fd.r, fd.e). */
  feeRate: Micros;
  feeExponent: number;
}

export type Winner = "UP" | "DOWN";
