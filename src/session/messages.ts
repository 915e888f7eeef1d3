/**
 * What flows into the arbitrage workflows as signals, and the names of those signals and queries.
 * Plain data (micros, ms since epoch): the streaming worker builds these from the venue's channels,
 * the workflows consume them. Kept free of Temporal imports so activities and workflows share it.
 */
import type { Micros } from "../money";
import type { PriceLevel } from "../protocol/market";
import type { TradeStatus } from "../protocol/trade-status";
import type { Side } from "../protocol/vocabulary";

/** The venue's order side, declared once in src/protocol/vocabulary.ts (a type: erased, workflow-safe). */
export type { Side };
export type Outcome = "UP" | "DOWN";
/**
 * A book's price level and a trade's status, declared once in src/protocol/market.ts and
 * src/protocol/trade-status.ts (types: erased, workflow-safe).
 */
export type { PriceLevel, TradeStatus };

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
  reconcile: "reconcile",
  /** Operator controls. */
  halt: "halt",
  resume: "resume",
  rebalanceNow: "rebalanceNow",
} as const;

export const QUERIES = {
  sessionState: "sessionState",
  positionState: "positionState",
  controlState: "controlState",
} as const;

/**
 * Update names. `halt` and `resume`: of the `control` workflow (the operator's halt/resume of the whole
 * deployment, results HaltResult / ResumeResult) and of a `marketSession` (one market window, results
 * SessionHaltResult / SessionResumeResult). Updates and signals have separate name spaces: the
 * session's and position's `halt`, `resume` and `rebalanceNow` signals stay (schedulers and recorded
 * histories use them).
 */
export const UPDATES = {
  halt: "halt",
  resume: "resume",
  /** Streaming worker → an armed position: this book shows an arbitrage, execute it. */
  execute: "execute",
  /** Operator → a position: evaluate rebalancing now (RebalanceNowResult). */
  rebalanceNow: "rebalanceNow",
} as const;

/**
 * The hot path's trigger (ARB_ENTRY_PATH=armed): the streaming worker saw an arbitrage on this book.
 * The armed position re-validates it with the same pure code; a rejected request writes no history.
 */
export interface ExecuteRequest {
  book: MarketBookSnapshot;
  /** When the streaming worker detected it (epoch ms, its clock): the telemetry's detection time. */
  detectedAtMs: number;
}

export interface ExecuteResult {
  positionId: string;
  /** The legs' sizes and limit prices as decided (micros). */
  upShares: Micros;
  downShares: Micros;
  upLimitPrice: Micros;
  downLimitPrice: Micros;
}

/** The deployment's operator state, held by its `control` workflow (`ballast status` shows it). */
export interface ControlView {
  halted: boolean;
  /** Why it was halted (the last halt's reason). */
  reason?: string;
  /** When the current state began: the first halt of a halt, or the resume. */
  sinceMs?: number;
  /** Workflows told of every change (the schedulers). */
  subscribers: string[];
}

/** What a global halt did. */
export interface HaltResult extends ControlView {
  /** Open orders of our key that the venue cancelled; undefined when cancelling failed (`cancelError`). */
  cancelled?: number;
  cancelError?: string;
  /** Subscribers (schedulers) told of the halt; they tell their sessions. */
  notified: number;
}

export interface ResumeResult extends ControlView {
  /** It was halted before this resume. */
  wasHalted: boolean;
  notified: number;
}

/** What halting one market window (a session's `halt` Update) did. */
export interface SessionHaltResult {
  sessionId: string;
  slug: string;
  /** The session was halted already (by an earlier halt of it, or of all trading). */
  alreadyHalted: boolean;
  /** The session's open positions, and how many of them were told of the halt (a position that has ended is not). */
  openPositions: number;
  positionsTold: number;
  /** Open orders in the market that the venue cancelled; undefined when cancelling failed (`cancelError`). */
  cancelled?: number;
  cancelError?: string;
}

/** What resuming one market window (a session's `resume` Update) did. */
export interface SessionResumeResult {
  sessionId: string;
  slug: string;
  /** It was halted before this resume. */
  wasHalted: boolean;
  openPositions: number;
  positionsTold: number;
}

/** The rebalancing order a `rebalanceNow` Update sent, as far as its outcome is known when it answers. */
export interface RebalanceNowOrder {
  /** SELL_YES, SELL_NO, BUY_YES or BUY_NO (the seed's names). */
  action: string;
  outcome: Outcome;
  side: Side;
  /** Gross shares ordered, and the order's limit price (a FAK). */
  shares: Micros;
  price: Micros;
  /** Gross shares it matched (FAILED trades excluded). */
  filledShares: Micros;
  /**
   * SUCCESS, PARTIAL or FAILED (no fill) as rebalance_trades records it; OPEN while its outcome is not final
   * (delayed at the venue, or unknown: it is read back); REFUSED when the venue refused it for balance (not
   * counted as an attempt).
   */
  status: "SUCCESS" | "PARTIAL" | "FAILED" | "OPEN" | "REFUSED";
  /** The venue's words when it refused the order. */
  refusal?: string;
}

/** What a position's `rebalanceNow` Update did, and the position after it. */
export interface RebalanceNowResult {
  positionId: string;
  /** A rebalancing order was sent. */
  attempted: boolean;
  /**
   * Why none was sent: the rule that held it (balanced, frozen, max-trades, no-option, not-profitable),
   * sell-not-yet-sellable, halted, order-open, or monitoring-ended.
   */
  reason?: string;
  order?: RebalanceNowOrder;
  /** Seq of the book the decision was made on. */
  bookSeq: number;
  /** The position after it (phase as in PositionView). */
  phase: string;
  upShares: Micros;
  downShares: Micros;
  hedgeRatio: number;
  guaranteedPnl: Micros;
}

/** Workflow ids, derived from the market slug so that a window has exactly one session. */
export const workflowIds = {
  session: (slug: string) => `session-${slug}`,
  feed: (slug: string) => `feed-${slug}`,
  position: (slug: string, n: number) => `position-${slug}-${n}`,
  scheduler: (asset: string) => `scheduler-${asset.toLowerCase()}`,
  /** One control workflow per deployment (its task queue). */
  control: (taskQueue: string) => `control-${taskQueue}`,
};
