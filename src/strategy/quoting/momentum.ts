/**
 * Momentum detector of one market: adverse-selection protection for the quotes.
 *
 * Three triggers, all on the Up axis (book.ts: a Down trade at q is an Up trade at 1 − q — mixing the
 * two tokens' raw prices would read every alternation between them as a jump of |1 − 2q|):
 *
 * - trade move: a last-trade price at least MOMENTUM_THRESHOLD_TICKS ticks (the market's current tick)
 *   away from any last-trade price of the previous MOMENTUM_WINDOW_MS (inclusive: a trade exactly that
 *   old still counts);
 * - sweep: one side of the others' book losing at least SWEEP_DEPTH_THRESHOLD of its depth near the top
 *   from one book to the next (the next within the window). Depth is the size within
 *   sweepDepthBandTicks of the earlier best price, measured at the same prices in both books, so a level
 *   taken out counts as removed even though the new best is lower;
 * - one-sided thinning: a side's depth (within the band of its own best) at most (1 − threshold) × its
 *   peak over the window, while the other side holds more than (1 − threshold) × its own peak. Gradual
 *   thinning that no single update shows as a sweep; a withdrawal of both sides is not momentum (the
 *   spread widens and the quotes follow it).
 *
 * A trigger starts (or extends) a cooldown of COOLDOWN_MS; momentum is active while it runs
 * ({@link momentumActive}). What active momentum does to the quotes is the quote engine's business:
 * nothing quoted when CANCEL_ON_MOMENTUM, else quotes widened to MAX_SPREAD_TICKS.
 *
 * Pure data in, new state and the trigger (if any) out; the state is plain JSON. Events are expected in
 * time order; the window is measured back from each event's own time.
 */
import type { Micros } from "../../money";
import { ONE } from "../../money";
import type { Outcome } from "../../session/messages";
import { depthNear, toUpAxis, type UpAxisBook } from "./book";
import type { QuotingParams } from "./params";

export type MomentumParams = Pick<
  QuotingParams,
  "momentumThresholdTicks" | "momentumWindowMs" | "cooldownMs" | "sweepDepthThreshold" | "sweepDepthBandTicks"
>;

/** Why momentum was triggered. Prices are on the Up axis, depths in shares (micros). */
export type MomentumTrigger =
  | { kind: "trade"; atMs: number; fromPrice: Micros; toPrice: Micros; ticks: number }
  | { kind: "sweep"; atMs: number; side: "bids" | "asks"; before: Micros; after: Micros }
  | { kind: "thinning"; atMs: number; side: "bids" | "asks"; peak: Micros; now: Micros };

interface DepthSample {
  atMs: number;
  bestBid: Micros | undefined;
  bestAsk: Micros | undefined;
  bids: Micros;
  asks: Micros;
}

export interface MomentumState {
  /** Last-trade prices on the Up axis within the window, oldest first. */
  trades: { atMs: number; price: Micros }[];
  /** Depth near the top of each side within the window, oldest first. */
  depths: DepthSample[];
  /** Momentum is active before this time (ms); 0 when it never was. */
  cooldownUntilMs: number;
  lastTrigger?: MomentumTrigger;
}

export interface MomentumStep {
  state: MomentumState;
  /** Set when this event triggered (or extended) the cooldown. */
  trigger?: MomentumTrigger;
}

export function emptyMomentum(): MomentumState {
  return { trades: [], depths: [], cooldownUntilMs: 0 };
}

/** Is momentum active at `nowMs`: before the end of the last cooldown. */
export function momentumActive(state: MomentumState, nowMs: number): boolean {
  return nowMs < state.cooldownUntilMs;
}

function triggered(state: MomentumState, trigger: MomentumTrigger, params: MomentumParams): MomentumStep {
  return {
    state: {
      ...state,
      cooldownUntilMs: Math.max(state.cooldownUntilMs, trigger.atMs + params.cooldownMs),
      lastTrigger: trigger,
    },
    trigger,
  };
}

/** depth ≤ (1 − threshold) × reference, exactly (the threshold taken to 6 decimals). */
function lostShare(depth: Micros, reference: Micros, threshold: number): boolean {
  const keep = BigInt(ONE - Math.round(threshold * ONE));
  return reference > 0 && BigInt(depth) * BigInt(ONE) <= BigInt(reference) * keep;
}

/** A last-trade price of `outcome`'s token (the market channel's last_trade_price). */
export function onTrade(
  state: MomentumState,
  trade: { outcome: Outcome; price: Micros; atMs: number },
  tick: Micros,
  params: MomentumParams,
): MomentumStep {
  const price = toUpAxis(trade.outcome, trade.price);
  const recent = state.trades.filter((t) => trade.atMs - t.atMs <= params.momentumWindowMs);
  let from: Micros | undefined;
  for (const t of recent) {
    if (from === undefined || Math.abs(price - t.price) > Math.abs(price - from)) from = t.price;
  }
  const next: MomentumState = { ...state, trades: [...recent, { atMs: trade.atMs, price }] };
  if (from !== undefined && Math.abs(price - from) >= params.momentumThresholdTicks * tick) {
    const ticks = Math.floor(Math.abs(price - from) / tick);
    return triggered(
      next,
      { kind: "trade", atMs: trade.atMs, fromPrice: from, toPrice: price, ticks },
      params,
    );
  }
  return { state: next };
}

/** A new book of the market (the others' liquidity on the Up axis, book.ts upAxisBook). */
export function onBook(
  state: MomentumState,
  book: UpAxisBook,
  atMs: number,
  params: MomentumParams,
): MomentumStep {
  const band = params.sweepDepthBandTicks;
  const bestBid = book.bids[0]?.price;
  const bestAsk = book.asks[0]?.price;
  const sample: DepthSample = {
    atMs,
    bestBid,
    bestAsk,
    bids: bestBid === undefined ? 0 : depthNear(book.bids, "bids", bestBid, band, book.tick),
    asks: bestAsk === undefined ? 0 : depthNear(book.asks, "asks", bestAsk, band, book.tick),
  };
  const recent = state.depths.filter((d) => atMs - d.atMs <= params.momentumWindowMs);
  const next: MomentumState = { ...state, depths: [...recent, sample] };
  const threshold = params.sweepDepthThreshold;

  const prev = recent[recent.length - 1];
  if (prev) {
    for (const side of ["bids", "asks"] as const) {
      const prevBest = side === "bids" ? prev.bestBid : prev.bestAsk;
      if (prevBest === undefined) continue;
      const before = prev[side];
      const after = depthNear(book[side], side, prevBest, band, book.tick);
      if (lostShare(after, before, threshold)) {
        return triggered(next, { kind: "sweep", atMs, side, before, after }, params);
      }
    }
  }

  const peak = (side: "bids" | "asks") => Math.max(...next.depths.map((d) => d[side]));
  for (const side of ["bids", "asks"] as const) {
    const other = side === "bids" ? "asks" : "bids";
    if (lostShare(sample[side], peak(side), threshold) && !lostShare(sample[other], peak(other), threshold)) {
      return triggered(next, { kind: "thinning", atMs, side, peak: peak(side), now: sample[side] }, params);
    }
  }
  return { state: next };
}
