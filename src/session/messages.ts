/**
 * What flows into the arbitrage workflows as signals, and the names of those signals and queries.
 * Plain data (micros, ms since epoch): the streaming worker builds these from the venue's channels,
 * the workflows consume them. Kept free of Temporal imports so activities and workflows share it.
 */
import type { Micros } from "../money";

export type Side = "BUY" | "SELL";
export type Outcome = "UP" | "DOWN";
export type TradeStatus = "MATCHED" | "MINED" | "CONFIRMED" | "RETRYING" | "FAILED";

export interface PriceLevel {
  price: Micros;
  size: Micros;
}

/** Top of one token's book, best level first on each side. */
export interface BookTop {
  bids: PriceLevel[];
  asks: PriceLevel[];
}

/** A conflated view of one market's two books: the latest wins. */
export interface MarketBookSnapshot {
  /** Increases with every snapshot the feed sends for this market. */
  seq: number;
  /** When the venue stamped the newest change in it. */
  venueAtMs: number;
  /** When the streaming worker received that change (tick-to-order latency starts here). */
  receivedAtMs: number;
  up: BookTop;
  down: BookTop;
  /** Current tick of the market (it becomes 0.001 near 0 and 1). */
  tickSize: Micros;
}

/** One of our fills, from the user channel or read back over REST. Keyed by (tradeId, orderId). */
export interface OurFill {
  tradeId: string;
  orderId: string;
  tokenId: string;
  side: Side;
  role: "TAKER" | "MAKER";
  price: Micros;
  /** Gross shares matched (a BUY holds this less the fee in shares). */
  size: Micros;
  /** Fee rate of the trade, micros (0.07 = 70_000); makers pay none. */
  feeRate: Micros;
  status: TradeStatus;
  atMs: number;
}

export interface OrderUpdate {
  orderId: string;
  /** LIVE, MATCHED, CANCELED, INVALID, … (the venue's status, reason suffix stripped). */
  status: string;
  sizeMatched: Micros;
  atMs: number;
}

/** After a user-channel reconnect: the truth over REST, to correct any drift. */
export interface ReconcileSnapshot {
  atMs: number;
  openOrders: {
    orderId: string;
    tokenId: string;
    side: Side;
    price: Micros;
    size: Micros;
    sizeMatched: Micros;
  }[];
  fills: OurFill[];
}

export const SIGNALS = {
  /** Session: latest books of its market. Position: forwarded by its session. */
  marketBook: "marketBook",
  /** Session → positions: fills of the market (each position keeps its own orders'). */
  fills: "fills",
  orderUpdates: "orderUpdates",
  reconcile: "reconcile",
  /** Operator controls. */
  halt: "halt",
  resume: "resume",
  rebalanceNow: "rebalanceNow",
} as const;

export const QUERIES = {
  sessionState: "sessionState",
  positionState: "positionState",
} as const;

/** Workflow ids, derived from the market slug so that a window has exactly one session. */
export const workflowIds = {
  session: (slug: string) => `session-${slug}`,
  feed: (slug: string) => `feed-${slug}`,
  position: (slug: string, n: number) => `position-${slug}-${n}`,
  scheduler: (asset: string) => `scheduler-${asset.toLowerCase()}`,
};
