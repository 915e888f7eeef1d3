/**
 * Rebalancing an arbitrage position whose legs ended up unequal (a partial fill). Options are compared on
 * ONE footing: the guaranteed P&L of the position at resolution, net of fees — min(Up shares, Down shares)
 * − (cost − proceeds), the payout if the worse outcome for us wins less what was spent. The seed's minimum
 * profit (MIN_REBALANCE_PROFIT) applies to the seed's own quantities (below).
 *
 * ## The options
 *
 * At most one SELL and one BUY, each a FAK at the worst level it uses:
 * - SELL the excess (the larger leg) into its bids, best first, at most the gap and at most the leg's
 *   sellable shares ({@link sellableShares}: bought shares the venue has released, at MINED), only at
 *   levels whose price net of the taker fee beats the leg's average entry (cost per share received, buy
 *   fees included) by more than 0 and by at least minRebalanceProfitPerShare — the seed's "bid above entry"
 *   with its minimum. The excess pays nothing in the worse outcome, so selling x of it raises the
 *   guaranteed P&L by its net proceeds.
 * - BUY the deficit (the smaller leg) from its asks, best first: the gross size whose shares NET of the fee
 *   in shares close the gap; only while the position stays within budget (cost − proceeds + what the FAK
 *   commits, marketableBuyAmount(size, limit), ≤ maxPositionCost) and only if the completed hedge locks in a
 *   profit: guaranteedPnlAfter > 0 for a full-size BUY; for a partial one, the guaranteed P&L once the rest
 *   of the gap is bought at the same limit price (`completedPnl`) > 0. A BUY level is used only while a net
 *   share costs less than the 1 pUSD it pays.
 * - Sizes are multiples of 0.01 share and meet the venue's minima: ≥ minOrderSize, and on a BUY size × limit
 *   ≥ $1 (a marketable BUY spending less is refused). When depth, budget, sellable shares or the price
 *   limits allow less than the gap, the smaller (partial) size is offered only if allowPartialRebalance.
 * - Overshoot. When the whole gap is below the venue's minimum (a 3-share gap, a 5-share minimum: typical of
 *   a partial fill on a small budget), the only order that can trade is a minimum-size one, bigger than the
 *   gap: selling 5 of a 3-share excess makes the other leg the larger by 2; buying 5 gross into a 3-share
 *   deficit makes this leg the larger by about 1.8. Such an order is offered (`overshoots`) only if it
 *   improves BOTH the hedge ratio and the guaranteed P&L (and it is not "partial": it is the closest the
 *   venue allows).
 *
 * ## The choice ({@link chooseRebalance})
 *
 * An option is eligible when it improves the guaranteed P&L (improvement > 0) and meets the seed's minimum
 * profit, MIN_REBALANCE_PROFIT (minRebalanceProfitPerShare), on the seed's quantities:
 * - SELL: (net price − entry) per share sold ≥ min, i.e. seedProfit = proceeds after fees − shares × average
 *   entry ≥ min × shares;
 * - BUY: the locked-in P&L per complete pair ≥ min, i.e. seedProfit = the guaranteed P&L once the hedge is
 *   complete ≥ min × completedPairs.
 * (Comparing the minimum with the change of the guaranteed P&L per share, as before, never bound: closing a
 * gap moves it by about $0.50 a share.) Among the eligible: if preferSellOverBuy and an eligible SELL leaves
 * the position profitable at resolution (guaranteedPnlAfter ≥ 0 — the seed prefers selling "when both
 * options are profitable"), the SELL with the highest guaranteedPnlAfter; otherwise the option with the
 * highest guaranteedPnlAfter, ties going to the SELL.
 *
 * Gates ({@link rebalanceDecision}), in order: balanced (hedge ratio ≥ rebalanceThreshold, exactly),
 * frozen (less than rebalanceFreezeMs before the market ends), max-trades (maxRebalanceTrades rebalancing
 * orders already sent), no-option, not-profitable (no option eligible).
 *
 * ## The seed's "profit" ({@link RebalanceOption.seedProfit}, {@link realizedRebalanceProfit})
 *
 * What the seed records as a rebalancing trade's profit: for a SELL, shares × (net price − entry); for a BUY,
 * the guaranteed P&L the position locks in after it. Not the improvement of the guaranteed P&L, which for a
 * BUY that closes a gap is about $0.50 a share whatever the position ends up locking in.
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
 *   in the checklist version, the budget; its SELL ignores the sell fee; neither knows the venue's minimum
 *   order (5 shares, and $1 for a marketable BUY): its own 4-share example cannot be traded.
 * - Its execution assumes full fills (shares += option.shares on "MATCHED"), and sells shares as soon as they
 *   are matched. Here a decision is only an order; the position changes by the fills the venue reports
 *   (position.ts), partial or not, and only released (MINED) shares are sold.
 *
 * With fees, in the seed's scenario (taker fills of 10 Up @ 0.48 and 6 Down @ 0.49 at rate 0.07, then Up bid
 * 0.52 and Down ask 0.46) the gap is 3.85 shares, below the 5-share minimum: the minimum SELL (5 Up) gains
 * only 0.44 cents a share over entry and the minimum BUY (5 Down) would lock in a loss (−$0.40), so the
 * position is held. At twice the size (20 Up @ 0.48, 12 Down @ 0.49: a 7.70-share gap) the SELL of 7.70 Up
 * leaves −$0.03893 guaranteed and gains the same 0.44 cents a share over entry; the BUY of 8.01 Down locks
 * in $0.1074, 0.56 cents a pair: neither reaches the 2-cent minimum. Without a minimum both are eligible
 * and the BUY is chosen even with preferSellOverBuy, because the SELL would lock in a loss.
 */
import { netSharesAfterBuy, proceedsAfterSell } from "../../fees";
import { type Micros, mulMicros } from "../../money";
import { MIN_MARKETABLE_BUY_AMOUNT, marketableBuyAmount, SHARE_LOT } from "../../protocol/amounts";
import type { MarketBookSnapshot, Outcome, PriceLevel, Side } from "../../session/messages";
import {
  averageEntry,
  guaranteedPnl,
  leg,
  needsRebalancing,
  netCost,
  type PositionLedger,
  sellableShares,
} from "./position";
import {
  type ArbitrageParams,
  acceptedPrefix,
  atLeastPerShare,
  averagePrice,
  buyCost,
  ceilShares,
  depthOf,
  fillPlan,
  floorShares,
  ladder,
  limitOf,
  type MarketRules,
  notionalAtLeast,
  perShare,
} from "./types";

export type RebalanceAction = "SELL_YES" | "SELL_NO" | "BUY_YES" | "BUY_NO";

export interface RebalanceOption {
  action: RebalanceAction;
  outcome: Outcome;
  side: Side;
  /** Gross order size: a multiple of 0.01 share, ≥ the minimum order size (and × limitPrice ≥ $1 on a BUY). */
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
   * True for a minimum-size order bigger than the gap (the gap is below the venue's minimum order): the
   * other leg becomes the larger one. Offered only when it improves both the hedge ratio and the guaranteed
   * P&L.
   */
  overshoots: boolean;
  /**
   * Guaranteed P&L if the rest of the gap were then traded at this same limit price (fees included): the
   * hedge this option is a step towards. Equals guaranteedPnlAfter when balancesFully or overshoots.
   */
  completedPnl: Micros;
  /** min(Up, Down) net shares of that completed position: the complete pairs completedPnl is locked in on. */
  completedPairs: Micros;
  /**
   * The profit as the seed means it, what MIN_REBALANCE_PROFIT applies to and what rebalance_trades.profit
   * records (from the actual fills: {@link realizedRebalanceProfit}):
   * - SELL: shares × (net price − entry) = proceeds after the fee − shares × the leg's average entry
   *   (cost per share received, buy fees included), if it fills as seen;
   * - BUY: the guaranteed P&L the position locks in once the hedge is complete (= completedPnl).
   */
  seedProfit: Micros;
  /** Change of the leg's net shares if it fills as seen (−shares on a SELL, + net shares on a BUY). */
  sharesDelta: Micros;
  /** pUSD in (+, SELL proceeds net of fees) or out (−, BUY cost) if it fills as seen. */
  cashFlow: Micros;
}

export type RebalanceParams = Pick<
  ArbitrageParams,
  "maxPositionCost" | "allowPartialRebalance" | "minRebalanceProfitPerShare"
>;
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

function resultingOf(ledger: PositionLedger): Resulting {
  return { up: ledger.up.netShares, down: ledger.down.netShares, netCost: netCost(ledger) };
}

function guaranteedOf(r: Resulting): Micros {
  return Math.min(r.up, r.down) - r.netCost;
}

function pairsOf(r: Resulting): Micros {
  return Math.max(0, Math.min(r.up, r.down));
}

function shifted(r: Resulting, outcome: Outcome, shares: Micros, cash: Micros): Resulting {
  return {
    up: outcome === "UP" ? r.up + shares : r.up,
    down: outcome === "DOWN" ? r.down + shares : r.down,
    netCost: r.netCost - cash,
  };
}

/** Exactly: the hedge ratio (min/max of the net shares) of `after` is above that of `before`. */
function hedgeImproves(before: Resulting, after: Resulting): boolean {
  const ratio = (r: Resulting) => {
    const up = BigInt(Math.max(0, r.up));
    const down = BigInt(Math.max(0, r.down));
    return { min: up < down ? up : down, max: up > down ? up : down };
  };
  const b = ratio(before);
  const a = ratio(after);
  if (a.max === 0n) return false;
  if (b.max === 0n) return true;
  return a.min * b.max > b.min * a.max;
}

function buildOption(
  side: Side,
  outcome: Outcome,
  shares: Micros,
  slices: readonly PriceLevel[],
  now: Resulting,
  next: Resulting,
  completed: Resulting,
  flags: { balancesFully: boolean; overshoots: boolean },
  seedProfit: Micros,
  sharesDelta: Micros,
  cashFlow: Micros,
): RebalanceOption {
  const before = guaranteedOf(now);
  const after = guaranteedOf(next);
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
    balancesFully: flags.balancesFully,
    overshoots: flags.overshoots,
    completedPnl: guaranteedOf(completed),
    completedPairs: pairsOf(completed),
    seedProfit,
    sharesDelta,
    cashFlow,
  };
}

/** The smallest order the venue takes, in shares: the minimum order size on a 0.01 lot (at least one lot). */
function minimumSize(rules: MarketRules): Micros {
  return Math.max(SHARE_LOT, ceilShares(rules.minOrderSize));
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
  const gap = leg(ledger, excess).netShares - leg(ledger, other(excess)).netShares;
  const bids = ladder((excess === "UP" ? book.up : book.down).bids, "bids");
  // Levels whose net price beats the entry by more than 0 and by at least the minimum, per share.
  const usable = acceptedPrefix(bids, (price) => {
    const gain =
      proceedsAfterSell(LOT, price, rules.feeRate, rules.feeExponent) - mulMicros(LOT, entry, "up");
    return gain > 0 && atLeastPerShare(gain, LOT, params.minRebalanceProfitPerShare);
  });
  const available = Math.min(sellableShares(ledger, excess), depthOf(usable));
  const minSize = minimumSize(rules);

  let shares: Micros;
  let balancesFully = false;
  let overshoots = false;
  if (floorShares(gap) >= minSize) {
    shares = floorShares(Math.min(gap, available));
    if (shares < minSize) return undefined;
    balancesFully = gap - shares < SHARE_LOT;
    if (!balancesFully && !params.allowPartialRebalance) return undefined;
  } else {
    // The whole gap is below the minimum order: only a minimum-size SELL can trade, and it overshoots.
    shares = minSize;
    if (available < shares) return undefined;
    overshoots = true;
  }

  const slices = fillPlan(usable, shares);
  let proceeds = 0;
  for (const s of slices) proceeds += proceedsAfterSell(s.size, s.price, rules.feeRate, rules.feeExponent);
  const now = resultingOf(ledger);
  const next = shifted(now, excess, -shares, proceeds);
  if (overshoots && !(guaranteedOf(next) > guaranteedOf(now) && hedgeImproves(now, next))) return undefined;
  // A partial SELL is a step towards selling the rest of the gap at the same limit.
  const rest = balancesFully || overshoots ? 0 : floorShares(gap - shares);
  const restProceeds =
    rest > 0 ? Math.max(0, proceedsAfterSell(rest, limitOf(slices), rules.feeRate, rules.feeExponent)) : 0;
  const completed = shifted(next, excess, -rest, restProceeds);
  return buildOption(
    "SELL",
    excess,
    shares,
    slices,
    now,
    next,
    completed,
    { balancesFully, overshoots },
    proceeds - mulMicros(shares, entry, "up"),
    -shares,
    proceeds,
  );
}

/**
 * `from` after buying, at `price`, the least gross multiple of 0.01 share that nets `rest` more shares of
 * `deficit`; undefined if no size can (the fee eats the purchase).
 */
function completeAtLimit(
  from: Resulting,
  deficit: Outcome,
  rest: Micros,
  price: Micros,
  rules: MarketRules,
): Resulting | undefined {
  if (rest <= 0) return from;
  const net = (k: number) => netSharesAfterBuy(k * SHARE_LOT, price, rules.feeRate, rules.feeExponent);
  let hi = Math.max(1, Math.ceil(rest / SHARE_LOT));
  for (let i = 0; i < 64 && net(hi) < rest; i++) hi *= 2;
  const k = lowest(hi, (x) => net(x) >= rest);
  if (k === undefined) return undefined;
  return shifted(from, deficit, net(k), -mulMicros(k * SHARE_LOT, price, "up"));
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

  const plan = (lots: number) => {
    const shares = lots * SHARE_LOT;
    const slices = fillPlan(usable, shares);
    let net = 0;
    for (const s of slices) net += netSharesAfterBuy(s.size, s.price, rules.feeRate, rules.feeExponent);
    const limit = limitOf(slices);
    return { shares, slices, net, cost: buyCost(slices), limit, commit: marketableBuyAmount(shares, limit) };
  };

  const steps = Math.floor(floorShares(depthOf(usable)) / SHARE_LOT);
  const room = params.maxPositionCost - netCost(ledger);
  // Gross lots whose net shares close the gap; the most the budget allows at the resulting limit; the
  // fewest the venue takes (≥ the minimum size, and ≥ $1 at the limit). All three are monotone in the size.
  const full = lowest(steps, (k) => plan(k).net >= gap);
  const affordable = room < 0 ? 0 : highest(steps, (k) => plan(k).commit <= room);
  const tradable = (k: number) => {
    const p = plan(k);
    return p.shares >= rules.minOrderSize && notionalAtLeast(p.shares, p.limit, MIN_MARKETABLE_BUY_AMOUNT);
  };
  const fewest = lowest(steps, tradable);

  let lots: number;
  let balancesFully = false;
  let overshoots = false;
  if (full !== undefined && (fewest === undefined || full < fewest)) {
    // The whole gap is below what the venue takes: only a minimum-size BUY can trade, and it overshoots.
    if (fewest === undefined || fewest > affordable) return undefined;
    lots = fewest;
    overshoots = true;
  } else {
    balancesFully = full !== undefined && full <= affordable;
    if (!balancesFully && !params.allowPartialRebalance) return undefined;
    lots = balancesFully ? full! : affordable;
    if (lots < 1 || !tradable(lots)) return undefined;
  }

  const p = plan(lots);
  const now = resultingOf(ledger);
  const next = shifted(now, deficit, p.net, -p.cost);
  if (overshoots && !(guaranteedOf(next) > guaranteedOf(now) && hedgeImproves(now, next))) return undefined;
  // Buy only towards a hedge that locks in a profit once complete: the option's own result when it closes
  // (or crosses) the gap; for a partial one, the result of buying the rest of the gap at the same limit.
  const completed =
    balancesFully || overshoots ? next : completeAtLimit(next, deficit, gap - p.net, p.limit, rules);
  if (completed === undefined || guaranteedOf(completed) <= 0) return undefined;
  return buildOption(
    "BUY",
    deficit,
    p.shares,
    p.slices,
    now,
    next,
    completed,
    { balancesFully, overshoots },
    guaranteedOf(completed),
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

/** Improves the guaranteed P&L, and meets MIN_REBALANCE_PROFIT on the seed's quantity (module notes). */
function eligible(o: RebalanceOption, params: ChoiceParams): boolean {
  if (o.improvement <= 0) return false;
  return o.side === "SELL"
    ? atLeastPerShare(o.seedProfit, o.shares, params.minRebalanceProfitPerShare)
    : atLeastPerShare(o.seedProfit, o.completedPairs, params.minRebalanceProfitPerShare);
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

/**
 * The seed's profit of one rebalancing order from the fills it actually got (what rebalance_trades.profit
 * records): `before` is the ledger just before the order, `after` the ledger with its fills applied. The
 * order's fills are the ones whose key is new in `after`, on the action's outcome and side, not FAILED.
 * - SELL: their proceeds after fees − their shares × the leg's average entry before the order;
 * - BUY: the guaranteed P&L the position locks in after them (guaranteedPnl(after)).
 * 0 when the order got no fill.
 */
export function realizedRebalanceProfit(
  before: PositionLedger,
  after: PositionLedger,
  action: RebalanceAction,
): Micros {
  const side: Side = action.startsWith("SELL") ? "SELL" : "BUY";
  const outcome: Outcome = action.endsWith("YES") ? "UP" : "DOWN";
  let filled = false;
  let sold = 0;
  let proceeds = 0;
  for (const [key, f] of Object.entries(after.fills)) {
    if (before.fills[key] !== undefined || f.outcome !== outcome || f.side !== side || f.status === "FAILED")
      continue;
    filled = true;
    sold += f.effect.soldShares;
    proceeds += f.effect.proceeds;
  }
  if (!filled) return 0;
  if (side === "BUY") return guaranteedPnl(after);
  const entry = averageEntry(before, outcome) ?? 0;
  return proceeds - mulMicros(sold, entry, "up");
}
