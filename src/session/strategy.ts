/**
 * The strategy hook of a market session: the session (workflows/session.ts) asks its strategy what to do
 * and does it (starting positions, the feed, the search attributes); the strategy decides, from what it
 * is shown, and changes nothing. Decisions are pure and deterministic (workflow code): no I/O, no clock
 * (the session passes its own `nowMs`), no randomness.
 *
 * The arbitrage strategy's implementation: src/strategy/arbitrage/session-strategy.ts.
 */
import type { Micros } from "../money";
import type { MarketRef } from "./market";
import type { MarketBookSnapshot } from "./messages";

/** What a strategy is shown of its session when it decides. */
export interface SessionFacts {
  market: MarketRef;
  /** The session's time now (workflow time). */
  nowMs: number;
  /** Trading is halted (all of it, or this window). */
  halted: boolean;
  /** A position of this session is executing its entry. */
  executing: boolean;
  /** Positions this session has started (armed ones included). */
  positionsStarted: number;
  /** The position started ahead of need and not triggered yet, if any. */
  armedId?: string;
}

/** What the market feed detects on, for a strategy whose entry the streaming worker triggers. */
export interface FeedDetectionParams {
  minSpread: Micros;
  budgetPerTrade: Micros;
  rebalanceFreezeMs: number;
}

export interface SessionStrategy<Entry> {
  /** The strategy's name: the `Strategy` search attribute of the session and of what it starts. */
  readonly name: string;
  /**
   * How positions are entered: `book`, the session asks `onBook` on each new book and starts a position
   * on the entry it answers; `armed`, the session starts one ahead of need whenever `armDue` says so, and
   * the streaming worker triggers it.
   */
  readonly entry: "book" | "armed";
  /** What the market feed detects on (an `armed` entry), or undefined: the feed only streams. */
  feedDetection(): FeedDetectionParams | undefined;
  /** A new book (entry `book`): the position to start on it, or undefined. */
  onBook(facts: SessionFacts, book: MarketBookSnapshot): Entry | undefined;
  /** Entry `armed`: a position is to be started ahead of need now. */
  armDue(facts: SessionFacts): boolean;
}
