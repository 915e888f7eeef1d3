/**
 * The parameters of active two-sided quoting (seed 004), with the seed's defaults, as one typed object.
 *
 * Field names and types follow the `quoting` section of the config schema (src/config/schema.ts), so
 * that wiring is a copy: every money amount is integer micros of pUSD, every duration milliseconds,
 * ratios and coefficients plain numbers that the code turns into exact integers where it computes with
 * them. The only field the config does not have yet is {@link QuotingParams.sweepDepthBandTicks}
 * (Ballast's: the seed never says over which depth a sweep is measured).
 *
 * Pure and workflow-safe: no I/O, no clock, no node: imports.
 */
import type { Micros } from "../../money";

export interface QuotingParams {
  /**
   * QUOTE_OFFSET_TICKS (0): how many ticks behind the best bid / best ask of the others' book a quote
   * sits. 0 joins the best price: the seed's point is that a maker earns rebates at the best price too,
   * so there is no need to step inside the spread.
   */
  quoteOffsetTicks: number;
  /**
   * IMPROVE_WHEN_SPREAD_TICKS (4): step one tick inside the spread (both quotes) only when the others'
   * spread is at least this many ticks. Never below 3 whatever this says: improving both quotes of a
   * 2-tick spread would put our bid and our ask on the same price, which on one mirrored book means our
   * two BUYs cross each other.
   */
  improveWhenSpreadTicks: number;
  /**
   * MAX_SPREAD_TICKS (10): during momentum, when CANCEL_ON_MOMENTUM is false, the quotes are pulled
   * back so that our own spread is at least this many ticks, centred on the others' mid.
   */
  maxSpreadTicks: number;
  /**
   * REFRESH_THRESHOLD_TICKS (2): a live order is kept (not cancelled and replaced) while its price is
   * fewer than this many ticks from the quote wanted now. An order exactly at the target is always kept.
   */
  refreshThresholdTicks: number;
  /** MIN_REFRESH_INTERVAL_MS (500): at most one refresh (placements) per market per this interval. */
  minRefreshIntervalMs: number;
  /**
   * GLOBAL_REFRESH_CAP_PER_SEC (10): at most this many market refreshes per second across all markets
   * (a sliding window; a fractional cap such as 0.5 means one refresh per 2 s).
   */
  globalRefreshCapPerSec: number;
  /** MOMENTUM_THRESHOLD_TICKS (3): a last-trade move of at least this many ticks within the window is momentum. */
  momentumThresholdTicks: number;
  /** MOMENTUM_WINDOW_MS (500): the window of the trade move, of a sweep and of one-sided thinning. */
  momentumWindowMs: number;
  /** COOLDOWN_SECONDS (2 s), in ms: momentum stays active this long after its last trigger. */
  cooldownMs: number;
  /**
   * SWEEP_DEPTH_THRESHOLD (0.5): a side of the book losing at least this share of its depth near the top
   * (suddenly: a sweep; over the window while the other side holds: one-sided thinning) is momentum.
   */
  sweepDepthThreshold: number;
  /**
   * Not in the seed (Ballast's): the depth of a side is the size within this many ticks of its best price
   * (measured from the earlier best, so that a level taken out counts as removed).
   */
  sweepDepthBandTicks: number;
  /**
   * MAX_POSITION_PER_MARKET (100), in shares (a plain number, as in the config): the most the market's
   * net inventory (Up shares − Down shares; complete pairs are riskless) may reach on either side.
   */
  maxPositionPerMarket: number;
  /**
   * MAX_LIABILITY_PER_MARKET_USDC (50 pUSD, micros): the most the market's worst-case loss may reach
   * (see inventory.ts {@link marketLiability}: cost − proceeds − complete pairs, not shares × entry of
   * each side).
   */
  maxLiabilityPerMarket: Micros;
  /** MAX_TOTAL_LIABILITY_USDC (500 pUSD, micros): the same across all markets. */
  maxTotalLiability: Micros;
  /**
   * INVENTORY_SKEW_COEFFICIENT (0.1): ticks of skew per share of net inventory, truncated toward zero
   * (10 shares long Up lowers both quotes by 1 tick).
   */
  inventorySkewCoefficient: number;
  /** MAX_DRAWDOWN_PER_MARKET_USDC (20 pUSD, micros): a market's drawdown from its P&L peak that halts it (latched). */
  maxDrawdownPerMarket: Micros;
  /** MAX_DRAWDOWN_GLOBAL_USDC (100 pUSD, micros): the same for the sum over all markets: halts everything (latched). */
  maxDrawdownGlobal: Micros;
  /**
   * STALE_FEED_LOGIC as a duration (10 s): a market's feed is stale when it has sent no event for this
   * long AND our order state has not been confirmed (user channel or REST) for as long.
   */
  staleFeedMs: number;
  /** MAX_CONSECUTIVE_ERRORS (5): this many order errors in a row on a market halt it. */
  maxConsecutiveErrors: number;
  /**
   * circuit_breaker_recovery_seconds (60 s), in ms: a halt whose cause has cleared stays HALTED this long,
   * then RECOVERING (25 % limits) this long, then NORMAL.
   */
  circuitBreakerRecoveryMs: number;
  /** ORDER_SIZE (10 pUSD per side, micros): each quote buys about this much (shares = size ÷ price, floored). */
  orderSize: Micros;
  /** BATCH_SIZE (15): orders (or cancels) per batch request; the venue's limit is 15. */
  batchSize: number;
  /** CANCEL_ON_MOMENTUM (true): during momentum quote nothing (else widen to maxSpreadTicks). */
  cancelOnMomentum: boolean;
  /** POST_ONLY (true, always): every quote is a post-only GTC order; validateQuotingParams refuses false. */
  postOnly: boolean;
  /** Markout horizons of the fill analytics, ms (1, 5, 15, 30, 60 s; the resolution is always added). */
  markoutHorizonsMs: number[];
}

export const DEFAULT_QUOTING_PARAMS: Readonly<QuotingParams> = Object.freeze({
  quoteOffsetTicks: 0,
  improveWhenSpreadTicks: 4,
  maxSpreadTicks: 10,
  refreshThresholdTicks: 2,
  minRefreshIntervalMs: 500,
  globalRefreshCapPerSec: 10,
  momentumThresholdTicks: 3,
  momentumWindowMs: 500,
  cooldownMs: 2_000,
  sweepDepthThreshold: 0.5,
  sweepDepthBandTicks: 5,
  maxPositionPerMarket: 100,
  maxLiabilityPerMarket: 50_000_000,
  maxTotalLiability: 500_000_000,
  inventorySkewCoefficient: 0.1,
  maxDrawdownPerMarket: 20_000_000,
  maxDrawdownGlobal: 100_000_000,
  staleFeedMs: 10_000,
  maxConsecutiveErrors: 5,
  circuitBreakerRecoveryMs: 60_000,
  orderSize: 10_000_000,
  batchSize: 15,
  cancelOnMomentum: true,
  postOnly: true,
  markoutHorizonsMs: [1_000, 5_000, 15_000, 30_000, 60_000],
});

/** The venue's limit on orders per batch request (POST /orders). */
export const VENUE_MAX_BATCH = 15;

/** Invalid quoting parameters: the message names every bad field, on one line. */
export class QuotingParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QuotingParamsError";
  }
}

/**
 * The parameters, checked: returns them unchanged or throws a QuotingParamsError naming every bad
 * field. Integer counts must be whole and within range, the batch at most the venue's 15, post-only
 * true (quoting earns rebates only as a maker; a quote that takes pays the taker fee instead).
 */
export function validateQuotingParams(p: QuotingParams): QuotingParams {
  const problems: string[] = [];
  const whole = (name: keyof QuotingParams, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = p[name];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
      problems.push(`${name} must be a whole number in [${min}, ${max}], got ${String(v)}`);
    }
  };
  const positive = (name: keyof QuotingParams) => {
    const v = p[name];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      problems.push(`${name} must be a positive number, got ${String(v)}`);
    }
  };
  whole("quoteOffsetTicks", 0);
  whole("improveWhenSpreadTicks", 1);
  whole("maxSpreadTicks", 1);
  whole("refreshThresholdTicks", 0);
  whole("minRefreshIntervalMs", 0);
  positive("globalRefreshCapPerSec");
  whole("momentumThresholdTicks", 1);
  whole("momentumWindowMs", 1);
  whole("cooldownMs", 0);
  if (!(p.sweepDepthThreshold > 0 && p.sweepDepthThreshold <= 1)) {
    problems.push(`sweepDepthThreshold must be in (0, 1], got ${p.sweepDepthThreshold}`);
  }
  whole("sweepDepthBandTicks", 0);
  if (!(Number.isFinite(p.maxPositionPerMarket) && p.maxPositionPerMarket >= 0)) {
    problems.push(`maxPositionPerMarket must be a number of shares >= 0, got ${p.maxPositionPerMarket}`);
  }
  whole("maxLiabilityPerMarket", 0);
  whole("maxTotalLiability", 0);
  if (!(Number.isFinite(p.inventorySkewCoefficient) && p.inventorySkewCoefficient >= 0)) {
    problems.push(`inventorySkewCoefficient must be >= 0, got ${p.inventorySkewCoefficient}`);
  }
  whole("maxDrawdownPerMarket", 0);
  whole("maxDrawdownGlobal", 0);
  whole("staleFeedMs", 1);
  whole("maxConsecutiveErrors", 1);
  whole("circuitBreakerRecoveryMs", 0);
  whole("orderSize", 1);
  whole("batchSize", 1, VENUE_MAX_BATCH);
  if (p.postOnly !== true) problems.push("postOnly must be true: quotes earn rebates only as a maker");
  if (
    !Array.isArray(p.markoutHorizonsMs) ||
    p.markoutHorizonsMs.length === 0 ||
    !p.markoutHorizonsMs.every((h) => Number.isSafeInteger(h) && h > 0)
  ) {
    problems.push("markoutHorizonsMs must be a non-empty list of positive whole milliseconds");
  }
  if (problems.length > 0) throw new QuotingParamsError(`invalid quoting parameters: ${problems.join("; ")}`);
  return p;
}
