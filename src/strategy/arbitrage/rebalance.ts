/**
 * Rebalancing an arbitrage position whose legs ended up unequal (a partial fill), on ONE footing: the
 * guaranteed P&L of the position at resolution, net of fees — min(Up shares, Down shares) − (cost −
 * proceeds), the payout if the worse outcome for us wins less what was spent.
 *
 * ## The rule
 *
 * Options (at most one SELL and one BUY, each a FAK at the worst level it uses):
 * - SELL the excess (the larger leg) into its bids, best first, at most the gap, and only at levels whose
 *   price net of the taker fee is above the leg's average entry (cost per share received, buy fees
 *   included) — selling below entry would trade the upside for a loss. The excess pays nothing in the
 *   worse outcome, so selling x of it raises the guaranteed P&L by its net proceeds.
 * - BUY the deficit (the smaller leg) from its asks, best first: the gross size whose shares NET of the fee
 *   in shares close the gap; only while the position stays within budget (cost − proceeds + size × limit
 *   ≤ maxPositionCost, the most the order can spend) and only if the completed hedge locks in a profit:
 *   guaranteedPnlAfter > 0 for a full-size BUY; for a partial one, the guaranteed P&L once the rest of the
 *   gap is bought at the same limit price (`completedPnl`) > 0. Buying towards a hedge that locks in a
 *   loss would trade the position's upside for a certain loss.
 * - On both sides a level is used only if it improves the guaranteed P&L (a BUY level only while a net
 *   share costs less than the 1 pUSD it pays). Levels are walked best first, so the improvement per share
 *   only falls along the walk: any part of the order a FAK fills earns at least the option's average.
 * - When depth, budget or those price limits allow less than the full gap, the smaller (partial) size is
 *   offered only if allowPartialRebalance; the full size is offered whenever it is available. Sizes are
 *   multiples of 0.01 share and at least the venue's minimum order size.
 *
 * Choice ({@link chooseRebalance}): an option is eligible when it improves the guaranteed P&L by at least
 * minRebalanceProfitPerShare per share traded (improvement ≥ min × shares, exactly, and > 0). Among the
 * eligible: if preferSellOverBuy and an eligible SELL leaves the position profitable at resolution
 * (guaranteedPnlAfter ≥ 0 — the seed prefers selling "when both options are profitable"), the SELL with the
 * highest guaranteedPnlAfter; otherwise the option with the highest guaranteedPnlAfter, ties going to the SELL.
 *
 * Gates ({@link rebalanceDecision}), in order: balanced (hedge ratio ≥ rebalanceThreshold, exactly),
 * frozen (less than rebalanceFreezeMs before the market ends), max-trades (maxRebalanceTrades rebalancing
 * orders already sent), no-option, not-profitable (no option eligible).
 *
 * ## What the seed got wrong
 *
 * - Its walkthrough picks "Buy NO (higher final profit)" although PREFER_SELL_OVER_BUY is True and the SELL
 *   is eligible ($0.16 / 4 shares = $0.04 ≥ $0.02): its own selection code returns the SELL.
 * - It compares unlike numbers: the SELL's "profit" ($0.16) is the gain on 4 shares over their entry, the
 *   BUY's ($0.42) the guaranteed profit of the whole position. On one footing (no fees, as the seed) the
 *   SELL leaves 6 − (7.74 − 2.08) = $0.34 guaranteed and the BUY 10 − 9.58 = $0.42. So the BUY is indeed
 *   better on guaranteed P&L; the preference for selling decides only between profitable options.
 * - Its BUY ignores fees (a BUY fee is withheld in shares, so 4 gross shares do not close a 4-share gap) and,
 *   in the checklist version, the budget; its SELL ignores the sell fee.
 * - Its execution assumes full fills (shares += option.shares on "MATCHED"). Here a decision is only an
 *   order; the position changes by the fills the venue reports (position.ts), partial or not.
 *
 * With fees, in the seed's scenario (taker fills of 10 Up @ 0.48 and 6 Down @ 0.49 at rate 0.07, then Up
 * bid 0.52 and Down ask 0.46), the SELL of 3.85 Up leaves −$0.019460 guaranteed and the BUY of 4.01 Down
 * +$0.051400: both are eligible, but the SELL would lock in a loss, so even with preferSellOverBuy the BUY
 * is chosen: preferring it would take a locked-in loss of 2 cents over a locked-in gain of 5, only to free
 * $1.93 of capital instead of spending $1.84 more.
 */
import { netSharesAfterBuy, proceedsAfterSell } from "../../fees";
import { type Micros, mulMicros } from "../../money";
import type { MarketBookSnapshot, Outcome, PriceLevel, Side } from "../../session/messages";
import { averageEntry, leg, needsRebalancing, netCost, type PositionLedger } from "./position";
import {
  type ArbitrageParams,
  acceptedPrefix,
  atLeastPerShare,
  averagePrice,
  buyCost,
  depthOf,
  fillPlan,
  floorShares,
  ladder,
  limitOf,
  type MarketRules,
  perShare,
  SHARE_STEP,
} from "./types";

export type RebalanceAction = "SELL_YES" | "SELL_NO" | "BUY_YES" | "BUY_NO";

export interface RebalanceOption {
  action: RebalanceAction;
  outcome: Outcome;
  side: Side;
  /** Gross order size: a multiple of 0.01 share, ≥ the minimum order size. */
  shares: Micros;
  /** The worst level used: the order is a FAK at this limit. */
  limitPrice: Micros;
  /** Average price of the fill against the book as seen. */
  expectedFillPrice: Micros;
  guaranteedPnlBefore: Micros;
  guaranteedPnlAfter: Micros;
  /** guaranteedPnlAfter − guaranteedPnlBefore. */
  improvement: Micros;
  /** improvement per share traded, micros, rounded down. */
  improvementPerShare: Micros;
  /** True when the option closes the gap (to within an order step on a SELL). */
  balancesFully: boolean;
  /**
   * Guaranteed P&L if the rest of the gap were then traded at this same limit price (fees included): the
   * hedge this option is a step towards. Equals guaranteedPnlAfter when balancesFully.
   */
  completedPnl: Micros;
  /** Change of the leg's net shares if it fills as seen (−shares on a SELL, + net shares on a BUY). */
  sharesDelta: Micros;
  /** pUSD in (+, SELL proceeds net of fees) or out (−, BUY cost) if it fills as seen. */
  cashFlow: Micros;
}

export type RebalanceParams = Pick<ArbitrageParams, "maxPositionCost" | "allowPartialRebalance">;
export type ChoiceParams = Pick<ArbitrageParams, "minRebalanceProfitPerShare" | "preferSellOverBuy">;
export type DecisionParams = RebalanceParams &
  ChoiceParams &
  Pick<ArbitrageParams, "rebalanceThreshold" | "rebalanceFreezeMs" | "maxRebalanceTrades">;

/** A reference lot for per-level price tests: 100 shares keeps the fee rounding below 0.1 micro a share. */
const LOT: Micros = 100_000_000;

function other(outcome: Outcome): Outcome {
  return outcome === "UP" ? "DOWN" : "UP";
}

function actionOf(side: Side, outcome: Outcome): RebalanceAction {
  return `${side}_${outcome === "UP" ? "YES" : "NO"}` as RebalanceAction;
}

/** Smallest k in [1, hi] with pred(k), given pred is monotone (false … true); undefined if !pred(hi). */
function lowest(hi: number, pred: (k: number) => boolean): number | undefined {
  if (hi < 1 || !pred(hi)) return undefined;
  let lo = 0; // pred(lo) false or lo = 0
  let h = hi;
  while (h - lo > 1) {
    const mid = lo + Math.floor((h - lo) / 2);
    if (pred(mid)) h = mid;
    else lo = mid;
  }
  return h;
}

/** Largest k in [0, hi] with pred(k), given pred is monotone (true … false) and pred(0). */
function highest(hi: number, pred: (k: number) => boolean): number {
  if (hi < 1) return 0;
  if (pred(hi)) return hi;
  let lo = 0;
  let h = hi; // pred(h) false
  while (h - lo > 1) {
    const mid = lo + Math.floor((h - lo) / 2);
    if (pred(mid)) lo = mid;
    else h = mid;
  }
  return lo;
}

interface Resulting {
  up: Micros;
  down: Micros;
  netCost: Micros;
}

function guaranteedOf(r: Resulting): Micros {
  return Math.min(r.up, r.down) - r.netCost;
}

function buildOption(
  side: Side,
  outcome: Outcome,
  shares: Micros,
  slices: readonly PriceLevel[],
  before: Micros,
  after: Micros,
  balancesFully: boolean,
  completedPnl: Micros,
  sharesDelta: Micros,
  cashFlow: Micros,
): RebalanceOption {
  const improvement = after - before;
  return {
    action: actionOf(side, outcome),
    outcome,
    side,
    shares,
    limitPrice: limitOf(slices),
    expectedFillPrice: averagePrice(slices),
    guaranteedPnlBefore: before,
    guaranteedPnlAfter: after,
    improvement,
    improvementPerShare: perShare(improvement, shares),
    balancesFully,
    completedPnl,
    sharesDelta,
    cashFlow,
  };
}

function sellOption(
  ledger: PositionLedger,
  book: MarketBookSnapshot,
  rules: MarketRules,
  params: RebalanceParams,
  excess: Outcome,
): RebalanceOption | undefined {
  const entry = averageEntry(ledger, excess);
  if (entry === undefined) return undefined;
  const held = leg(ledger, excess).netShares;
  const gap = held - leg(ledger, other(excess)).netShares;
  const cap = floorShares(Math.min(gap, held));
  if (cap <= 0) return undefined;

  const bids = ladder((excess === "UP" ? book.up : book.down).bids, "bids");
  const usable = acceptedPrefix(
    bids,
    (price) => proceedsAfterSell(LOT, price, rules.feeRate, rules.feeExponent) > mulMicros(LOT, entry, "up"),
  );
  const shares = floorShares(Math.min(cap, depthOf(usable)));
  if (shares <= 0 || shares < rules.minOrderSize) return undefined;
  const balancesFully = gap - shares < SHARE_STEP;
  if (!balancesFully && !params.allowPartialRebalance) return undefined;

  const slices = fillPlan(usable, shares);
  let proceeds = 0;
  for (const s of slices) proceeds += proceedsAfterSell(s.size, s.price, rules.feeRate, rules.feeExponent);
  const now: Resulting = { up: ledger.up.netShares, down: ledger.down.netShares, netCost: netCost(ledger) };
  const next: Resulting = {
    up: excess === "UP" ? now.up - shares : now.up,
    down: excess === "DOWN" ? now.down - shares : now.down,
    netCost: now.netCost - proceeds,
  };
  // The rest of the sellable excess at the same limit.
  const rest = floorShares(cap - shares);
  const restProceeds =
    rest > 0 ? Math.max(0, proceedsAfterSell(rest, limitOf(slices), rules.feeRate, rules.feeExponent)) : 0;
  const completed: Resulting = {
    up: excess === "UP" ? next.up - rest : next.up,
    down: excess === "DOWN" ? next.down - rest : next.down,
    netCost: next.netCost - restProceeds,
  };
  return buildOption(
    "SELL",
    excess,
    shares,
    slices,
    guaranteedOf(now),
    guaranteedOf(next),
    balancesFully,
    guaranteedOf(completed),
    -shares,
    proceeds,
  );
}

/**
 * Guaranteed P&L of `from` after buying, at `price`, the least gross multiple of 0.01 share that nets
 * `rest` more shares of `deficit`; undefined if no size can (the fee eats the purchase).
 */
function completeAtLimit(
  from: Resulting,
  deficit: Outcome,
  rest: Micros,
  price: Micros,
  rules: MarketRules,
): Micros | undefined {
  if (rest <= 0) return guaranteedOf(from);
  const net = (k: number) => netSharesAfterBuy(k * SHARE_STEP, price, rules.feeRate, rules.feeExponent);
  let hi = Math.max(1, Math.ceil(rest / SHARE_STEP));
  for (let i = 0; i < 64 && net(hi) < rest; i++) hi *= 2;
  const k = lowest(hi, (x) => net(x) >= rest);
  if (k === undefined) return undefined;
  const bought = net(k);
  return guaranteedOf({
    up: deficit === "UP" ? from.up + bought : from.up,
    down: deficit === "DOWN" ? from.down + bought : from.down,
    netCost: from.netCost + mulMicros(k * SHARE_STEP, price, "up"),
  });
}

function buyOption(
  ledger: PositionLedger,
  book: MarketBookSnapshot,
  rules: MarketRules,
  params: RebalanceParams,
  deficit: Outcome,
): RebalanceOption | undefined {
  const gap = leg(ledger, other(deficit)).netShares - leg(ledger, deficit).netShares;
  if (gap <= 0) return undefined;
  const asks = ladder((deficit === "UP" ? book.up : book.down).asks, "asks");
  const usable = acceptedPrefix(
    asks,
    (price) => netSharesAfterBuy(LOT, price, rules.feeRate, rules.feeExponent) > mulMicros(LOT, price, "up"),
  );

  const plan = (shares: Micros) => {
    const slices = fillPlan(usable, shares);
    let net = 0;
    for (const s of slices) net += netSharesAfterBuy(s.size, s.price, rules.feeRate, rules.feeExponent);
    return { slices, net, cost: buyCost(slices), limit: limitOf(slices) };
  };

  const steps = Math.floor(floorShares(depthOf(usable)) / SHARE_STEP);
  const room = params.maxPositionCost - netCost(ledger);
  // Gross steps whose net shares close the gap, and the most the budget allows at the resulting limit.
  const full = lowest(steps, (k) => plan(k * SHARE_STEP).net >= gap);
  const affordable =
    room < 0
      ? 0
      : highest(steps, (k) => {
          const p = plan(k * SHARE_STEP);
          return mulMicros(k * SHARE_STEP, p.limit, "up") <= room;
        });
  const balancesFully = full !== undefined && full <= affordable;
  if (!balancesFully && !params.allowPartialRebalance) return undefined;
  const shares = (balancesFully ? full : affordable) * SHARE_STEP;
  if (shares <= 0 || shares < rules.minOrderSize) return undefined;

  const p = plan(shares);
  const now: Resulting = { up: ledger.up.netShares, down: ledger.down.netShares, netCost: netCost(ledger) };
  const next: Resulting = {
    up: deficit === "UP" ? now.up + p.net : now.up,
    down: deficit === "DOWN" ? now.down + p.net : now.down,
    netCost: now.netCost + p.cost,
  };
  const after = guaranteedOf(next);
  // Buy only towards a hedge that locks in a profit once complete: the full option's own result, or for
  // a partial one the result of buying the rest of the gap at the same limit price.
  const completed = balancesFully ? after : completeAtLimit(next, deficit, gap - p.net, p.limit, rules);
  if (completed === undefined || completed <= 0) return undefined;
  return buildOption(
    "BUY",
    deficit,
    shares,
    p.slices,
    guaranteedOf(now),
    after,
    balancesFully,
    completed,
    p.net,
    -p.cost,
  );
}

/**
 * The rebalancing orders the book allows now for this position: SELL the excess and/or BUY the deficit
 * (see the module notes). Empty when the legs are equal. Does not look at the threshold, the clock or
 * the trade count: {@link rebalanceDecision} does.
 */
export function rebalancingOptions(
  ledger: PositionLedger,
  book: MarketBookSnapshot,
  rules: MarketRules,
  params: RebalanceParams,
): RebalanceOption[] {
  const up = ledger.up.netShares;
  const down = ledger.down.netShares;
  if (up === down) return [];
  const excess: Outcome = up > down ? "UP" : "DOWN";
  const options: RebalanceOption[] = [];
  const sell = sellOption(ledger, book, rules, params, excess);
  if (sell) options.push(sell);
  const buy = buyOption(ledger, book, rules, params, other(excess));
  if (buy) options.push(buy);
  return options;
}

function eligible(o: RebalanceOption, params: ChoiceParams): boolean {
  return (
    o.shares > 0 &&
    o.improvement > 0 &&
    atLeastPerShare(o.improvement, o.shares, params.minRebalanceProfitPerShare)
  );
}

/** Highest guaranteedPnlAfter; ties to the SELL, then to the earlier option. */
function best(options: readonly RebalanceOption[]): RebalanceOption | undefined {
  let chosen: RebalanceOption | undefined;
  for (const o of options) {
    if (
      !chosen ||
      o.guaranteedPnlAfter > chosen.guaranteedPnlAfter ||
      (o.guaranteedPnlAfter === chosen.guaranteedPnlAfter && o.side === "SELL" && chosen.side !== "SELL")
    ) {
      chosen = o;
    }
  }
  return chosen;
}

/** The option to execute, or undefined when none is eligible (see the module notes for the rule). */
export function chooseRebalance(
  options: readonly RebalanceOption[],
  params: ChoiceParams,
): RebalanceOption | undefined {
  const ok = options.filter((o) => eligible(o, params));
  if (params.preferSellOverBuy) {
    // The seed prefers selling "when both options are profitable": a SELL that would lock in a loss
    // at resolution is not preferred over a BUY that locks in a gain.
    const sells = ok.filter((o) => o.side === "SELL" && o.guaranteedPnlAfter >= 0);
    if (sells.length > 0) return best(sells);
  }
  return best(ok);
}

export interface RebalanceState {
  ledger: PositionLedger;
  /** Rebalancing orders already sent for this position. */
  rebalanceTrades: number;
  nowMs: number;
  /** When the market ends. */
  endMs: number;
}

export type RebalanceDecision =
  | { kind: "none"; reason: "balanced" | "frozen" | "max-trades" | "no-option" | "not-profitable" }
  | { kind: "rebalance"; option: RebalanceOption };

/** Whether to rebalance now, and how. Pure: the caller supplies the time (workflow time). */
export function rebalanceDecision(
  state: RebalanceState,
  book: MarketBookSnapshot,
  rules: MarketRules,
  params: DecisionParams,
): RebalanceDecision {
  if (!needsRebalancing(state.ledger, params.rebalanceThreshold)) return { kind: "none", reason: "balanced" };
  if (state.endMs - state.nowMs < params.rebalanceFreezeMs) return { kind: "none", reason: "frozen" };
  if (state.rebalanceTrades >= params.maxRebalanceTrades) return { kind: "none", reason: "max-trades" };
  const options = rebalancingOptions(state.ledger, book, rules, params);
  if (options.length === 0) return { kind: "none", reason: "no-option" };
  const option = chooseRebalance(options, params);
  if (!option) return { kind: "none", reason: "not-profitable" };
  return { kind: "rebalance", option };
}
