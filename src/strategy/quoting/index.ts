/**
 * Active two-sided quoting for maker rebates (seed 004, issue 9): the pure core. Deterministic functions
 * of plain data returning decisions as data — no I/O, no clock (times are arguments), no randomness, no
 * node: imports — so Temporal workflows can call them. All amounts are integer micros (src/money.ts).
 *
 * | module | what | main functions |
 * | --- | --- | --- |
 * | params.ts | every parameter, the seed's defaults | DEFAULT_QUOTING_PARAMS, validateQuotingParams |
 * | book.ts | one mirrored book on the Up axis, ours taken out; tick and lot grid | upAxisBook, quoteLot, toUpAxis |
 * | inventory.ts | position from fills, worst-case liability, sizing within limits | marketLiability, maxBuyShares, skewTicks |
 * | momentum.ts | trade moves, sweeps, one-sided thinning, cooldown | onTrade, onBook, momentumActive |
 * | engine.ts | the quote engine: desired quotes from state | activeQuotes, quotePrices, sizedQuote |
 * | baselines.ts | "Only 50" (the seed's current strategy) and a join-best quoter | only50Quotes, joinBestQuotes |
 * | refresh.ts | MIN_REFRESH_INTERVAL_MS per market, GLOBAL_REFRESH_CAP_PER_SEC | mayRefresh, recordRefresh |
 * | reconcile.ts | desired vs live → cancels then placements, batches ≤ 15 | planOrders |
 * | risk.ts | drawdowns, stale feed, errors, disconnects; NORMAL/WARNING/HALTED/RECOVERING | riskStep, effectiveState |
 * | analytics.ts | markouts, toxicity, rebates, P&L attribution | markouts, toxicity, attribute |
 *
 * One cycle for a market: the feed's book → momentum (onBook/onTrade) and risk (riskStep) → a strategy
 * (activeQuotes, or a baseline) → planOrders over all markets → the executor sends the steps (cancels,
 * then placements), never blindly retrying a batch.
 *
 * What the seed got wrong, corrected here (details in each module):
 * - fees: V2 orders carry no feeRateBps (fees are set at match time, taker-only); makers pay none and
 *   earn a share of a 20 % pool (analytics.ts, src/fees.ts). Nothing here fetches or signs a fee rate;
 * - the ask is not a SELL: Up and Down are one mirrored book, the ask is a BUY of Down at 1 − ask
 *   (engine.ts), and "Only 50"'s two 0.50 BUYs cross each other on that book (baselines.ts);
 * - quotes are priced from the others' liquidity, not a book containing our own quote (book.ts);
 * - liability counts complete pairs as hedged (inventory.ts);
 * - momentum compares prices on one axis (momentum.ts); sizes obey the venue's grid and 5-share
 *   minimum (book.ts, reconcile.ts); hysteresis is per order, not both-or-nothing (reconcile.ts);
 * - exact integer ticks and micros instead of float comparisons (engine.ts).
 */
export {
  type AnalysedFill,
  type Attribution,
  attribute,
  fillFee,
  fillRebate,
  type Horizon,
  type Markout,
  type MidSample,
  markout,
  markouts,
  midAt,
  TOXICITY_HORIZON_MS,
  toxicity,
} from "./analytics";
export { joinBestQuotes, ONLY_50_PRICE, only50Quotes } from "./baselines";
export {
  ceilToTick,
  depthNear,
  floorToLot,
  floorToTick,
  fromUpAxis,
  isValidQuotePrice,
  LIMIT_AMOUNT_STEP,
  type LiveOrder,
  quoteLot,
  remainingShares,
  toUpAxis,
  type UpAxisBook,
  upAxisBook,
  upAxisSide,
  upMid,
} from "./book";
export {
  activeQuotes,
  type DesiredQuotes,
  MIN_IMPROVABLE_SPREAD_TICKS,
  type QuoteInput,
  type QuotePrices,
  type QuoteStrategy,
  quotePrices,
  type SideQuote,
  sizedQuote,
} from "./engine";
export {
  applyFill,
  committedLiability,
  emptyLedger,
  marketLiability,
  markToMarketPnl,
  maxBuyShares,
  netInventory,
  type PositionLedger,
  type QuoteLimits,
  quoteLimits,
  restingLiability,
  skewTicks,
} from "./inventory";
export {
  emptyMomentum,
  type MomentumParams,
  type MomentumState,
  type MomentumStep,
  type MomentumTrigger,
  momentumActive,
  onBook,
  onTrade,
} from "./momentum";
export {
  DEFAULT_QUOTING_PARAMS,
  type QuotingParams,
  QuotingParamsError,
  VENUE_MAX_BATCH,
  validateQuotingParams,
} from "./params";
export {
  type Cancel,
  type MarketOrders,
  type MarketPlan,
  type OrderPlan,
  type Placement,
  type PlanParams,
  type PlanStep,
  planOrders,
} from "./reconcile";
export {
  emptyRefreshLimiter,
  globalWindow,
  mayRefresh,
  type RefreshLimiter,
  type RefreshParams,
  recordRefresh,
} from "./refresh";
export {
  type BreakerState,
  effectiveState,
  emptyRisk,
  type GlobalRisk,
  LIMIT_MULTIPLIER_PERCENT,
  limitMultiplierPercent,
  type MarketRisk,
  type RiskAction,
  type RiskEvent,
  type RiskParams,
  type RiskState,
  type RiskStep,
  riskStep,
  worseState,
} from "./risk";
