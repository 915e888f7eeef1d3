/**
 * Fee-aware detection of a complete-set arbitrage: buy Up and Down shares for less than the 1 pUSD each
 * complete pair redeems for.
 *
 * ## Fees
 *
 * A BUY fee is withheld in shares, so a complete NET pair (one Up and one Down share held after fees) costs
 * more than the sum of the asks: {@link pairCostWithFees}. At p ≈ 0.5 with the crypto rate 0.07 the fee adds
 * about 3.5 cents to a pair, so asks summing to 0.98 (0.49 + 0.49, pair cost ≈ 1.0163) are a loss, not a
 * 2-cent arbitrage; even the seed's own example (0.48 + 0.49) costs ≈ 1.0063 per net pair.
 *
 * ## Sizing: equal NET shares on both legs
 *
 * The fee in shares is a price-dependent fraction of the size (r(1 − p) at e = 1: the cheaper leg loses
 * more). Equal GROSS sizes would leave the cheaper leg short: only min(net Up, net Down) pairs are hedged and
 * the rest of the dearer leg is paid for and left unhedged. At asks 0.30 / 0.64 a net pair costs 0.972 (a
 * 2.8-cent edge), but 10 gross shares of each net 9.51 Up and 9.748 Down for 9.40: 1.16 cents per hedged
 * pair. So each leg buys the least gross size (a multiple of 0.01 share) whose shares NET of the fee reach
 * the same target N: the net shares then differ by less than one lot, the legs hedge each other, and a
 * hedged pair costs what pairCostWithFees prices. (The alternative, equal gross sizes under a stricter test,
 * would refuse real arbitrages at lopsided prices and still buy an unhedged surplus.) Hence two gross sizes,
 * `upShares` and `downShares`.
 *
 * ## The criterion: locked-in profit per hedged pair, at the most the orders can spend
 *
 *   worstCaseProfit = pairs − maxCost ≥ minSpread × pairs
 *
 * where pairs = min(upNetShares, downNetShares) against the book as seen, and maxCost is what the two FAK
 * BUYs commit, marketableBuyAmount(size, limit) per leg (size × limit rounded up to the cent): whatever the
 * book does before they arrive, they cannot spend more. (The seed-era test — pair cost at the limits ≤
 * 1 − minSpread and a positive expected profit against the walked cost — let the equal-gross surplus and the
 * spend above the walked cost eat the margin.) `pairCost`, the cost of one net pair at the two limit prices,
 * is reported for telemetry; at e = 1 the criterion implies it is within 1 − minSpread, up to rounding.
 *
 * Also: maxCost ≤ budgetPerTrade, and every leg meets the venue's minima: size ≥ minOrderSize and
 * size × limit ≥ $1 (MIN_MARKETABLE_BUY_AMOUNT, the least a marketable BUY may spend).
 *
 * ## Search
 *
 * Levels whose marginal pair with the other leg's best ask costs more than 1 − minSpread (plus a 0.1-cent
 * slack, {@link PRUNE_SLACK}) cannot be part of a passing size and are dropped first: when the best asks
 * are no arbitrage, that is all the work done. Depth and budget are monotone in N, so the largest N they
 * allow is found by bisection. The criterion is not monotone: every share of a leg is priced at its limit,
 * so reaching a worse level raises the cost of the whole leg. Within one pair of limit prices the largest N
 * is the best (up to a cent of rounding in what the orders commit, which is not searched), so the
 * candidates are the largest N of each pair of limits from there down (the ends of the levels), tried
 * largest first; the first that passes the criterion and the venue's minima is the opportunity. Each leg is
 * a FAK BUY at the worst level its size reaches.
 *
 * The snapshot lists each token's own orders; a BUY may also match the other token's bids (a mint), which
 * can only fill at prices at or below the limit. Ignoring that liquidity is conservative.
 */
import { netSharesAfterBuy, pairCostWithFees } from "../../fees";
import { DecimalError, type Micros, ONE } from "../../money";
import { MIN_MARKETABLE_BUY_AMOUNT, marketableBuyAmount, SHARE_LOT } from "../../protocol/amounts";
import type { MarketBookSnapshot, PriceLevel } from "../../session/messages";
import {
  type ArbitrageParams,
  acceptedPrefix,
  atLeastPerShare,
  buyCost,
  fillPlan,
  floorShares,
  ladder,
  type MarketRules,
  notionalAtLeast,
} from "./types";

export interface Opportunity {
  /** FAK limit of the Up leg: the worst ask level its size reaches. */
  upLimitPrice: Micros;
  /** FAK limit of the Down leg. */
  downLimitPrice: Micros;
  upBestAsk: Micros;
  downBestAsk: Micros;
  /**
   * Gross shares the Up leg buys: the least multiple of 0.01 share whose shares net of the fee reach the
   * target number of pairs; ≥ the minimum order size, and × upLimitPrice ≥ $1.
   */
  upShares: Micros;
  /** Gross shares the Down leg buys (same rules). */
  downShares: Micros;
  /** 1 − upBestAsk − downBestAsk, before fees (for telemetry). */
  spread: Micros;
  /** Cost of one complete net pair at the two limit prices, fees included (for telemetry). */
  pairCost: Micros;
  /** Complete net pairs if both legs fill fully against the book as seen: min(upNetShares, downNetShares). */
  pairs: Micros;
  /** pairs − grossCost: the guaranteed P&L if both legs fill fully against the book as seen. */
  expectedProfit: Micros;
  /** pairs − maxCost: the guaranteed P&L if they also spend all they commit; ≥ minSpread × pairs. */
  worstCaseProfit: Micros;
  /** pUSD both legs pay if they fill against the book as seen (each leg's notional rounded up to a micro). */
  grossCost: Micros;
  /** What the two FAK orders commit, the most they can spend: Σ marketableBuyAmount(size, limit) ≤ budget. */
  maxCost: Micros;
  /** Shares held after the fee in shares, per leg, if both fill fully against the book as seen. */
  upNetShares: Micros;
  downNetShares: Micros;
}

export type OpportunityParams = Pick<ArbitrageParams, "minSpread" | "budgetPerTrade">;

/**
 * Slack of the pruning bound: a level whose marginal pair (with the other leg's best ask) costs more than
 * 1 − minSpread + 0.001 is never bought. At e = 1 every share of a leg is priced at its limit and a lower
 * walked price only raises the fee fraction, so passing the criterion implies a pair cost at the limits
 * within 1 − minSpread up to rounding (micros a pair, far below the 0.1 cent of slack).
 */
const PRUNE_SLACK: Micros = 1_000;

/** One leg's usable ask ladder with prefix sums, to price any gross size in O(log levels). */
interface Leg {
  levels: PriceLevel[];
  /** Gross shares of the levels before level k. */
  depthBefore: Micros[];
  /** Net shares (after the fee in shares) of the levels before level k, each bought whole. */
  netBefore: Micros[];
  /** The largest gross size the ladder can fill: its depth, down to a multiple of 0.01 share. */
  maxGross: Micros;
}

interface LegPlan {
  gross: Micros;
  net: Micros;
  limit: Micros;
  /** marketableBuyAmount(gross, limit). */
  commit: Micros;
}

function legOf(levels: PriceLevel[], rules: MarketRules): Leg {
  const depthBefore: Micros[] = [];
  const netBefore: Micros[] = [];
  let depth = 0;
  let net = 0;
  for (const l of levels) {
    depthBefore.push(depth);
    netBefore.push(net);
    depth += l.size;
    net += netSharesAfterBuy(l.size, l.price, rules.feeRate, rules.feeExponent);
  }
  return { levels, depthBefore, netBefore, maxGross: floorShares(depth) };
}

/** The level a gross size ends in (0 < gross ≤ depth). */
function levelIndex(leg: Leg, gross: Micros): number {
  let lo = 0;
  let hi = leg.levels.length - 1;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (leg.depthBefore[mid]! < gross) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Net shares of a BUY of `gross` walking the ladder (fee per level, as in fillPlan). */
function netOf(leg: Leg, gross: Micros, rules: MarketRules): Micros {
  if (gross <= 0) return 0;
  const k = levelIndex(leg, gross);
  const l = leg.levels[k]!;
  return (
    leg.netBefore[k]! +
    netSharesAfterBuy(gross - leg.depthBefore[k]!, l.price, rules.feeRate, rules.feeExponent)
  );
}

/** The least gross multiple of 0.01 share netting at least `target`, or undefined beyond the depth. */
function planFor(leg: Leg, target: Micros, rules: MarketRules): LegPlan | undefined {
  const maxLots = leg.maxGross / SHARE_LOT;
  if (target <= 0 || maxLots < 1 || netOf(leg, leg.maxGross, rules) < target) return undefined;
  let lo = 0; // nets less than target (0 nets 0)
  let hi = maxLots; // nets at least target
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (netOf(leg, mid * SHARE_LOT, rules) >= target) hi = mid;
    else lo = mid;
  }
  const gross = hi * SHARE_LOT;
  const limit = leg.levels[levelIndex(leg, gross)]!.price;
  return { gross, net: netOf(leg, gross, rules), limit, commit: marketableBuyAmount(gross, limit) };
}

function pairCostOrUndefined(up: Micros, down: Micros, rules: MarketRules): Micros | undefined {
  try {
    return pairCostWithFees(up, down, rules.feeRate, rules.feeExponent);
  } catch (err) {
    if (err instanceof DecimalError) return undefined;
    throw err;
  }
}

/** The venue's minima for one marketable BUY leg. */
function legTradable(p: LegPlan, rules: MarketRules): boolean {
  return p.gross >= rules.minOrderSize && notionalAtLeast(p.gross, p.limit, MIN_MARKETABLE_BUY_AMOUNT);
}

/**
 * The arbitrage the book offers now, sized to depth and budget, or undefined. Pure and deterministic.
 */
export function detectOpportunity(
  book: MarketBookSnapshot,
  rules: MarketRules,
  params: OpportunityParams,
): Opportunity | undefined {
  const upAsks = ladder(book.up.asks, "asks");
  const downAsks = ladder(book.down.asks, "asks");
  const bestUp = upAsks[0];
  const bestDown = downAsks[0];
  if (!bestUp || !bestDown) return undefined;
  // Only levels that can be part of a passing size (see PRUNE_SLACK): the cheap exit of the hot path.
  const bound = ONE - params.minSpread + PRUNE_SLACK;
  const usable = (price: Micros, otherBest: Micros, upSide: boolean) => {
    const cost = upSide
      ? pairCostOrUndefined(price, otherBest, rules)
      : pairCostOrUndefined(otherBest, price, rules);
    return cost !== undefined && cost <= bound;
  };
  const up = legOf(
    acceptedPrefix(upAsks, (p) => usable(p, bestDown.price, true)),
    rules,
  );
  const down = legOf(
    acceptedPrefix(downAsks, (p) => usable(p, bestUp.price, false)),
    rules,
  );
  if (up.levels.length === 0 || down.levels.length === 0) return undefined;

  const plans = (target: Micros) => {
    const u = planFor(up, target, rules);
    const d = u && planFor(down, target, rules);
    return u && d ? { u, d } : undefined;
  };
  const fits = (target: Micros) => {
    const p = plans(target);
    return p !== undefined && p.u.commit + p.d.commit <= params.budgetPerTrade;
  };

  // The largest target number of pairs within depth and budget (both monotone in it).
  let lo = 0;
  let hi = Math.min(netOf(up, up.maxGross, rules), netOf(down, down.maxGross, rules));
  if (hi <= 0) return undefined;
  if (!fits(hi)) {
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    hi = lo;
  }
  if (hi <= 0) return undefined;

  // Candidates: that target, and the largest target of each pair of limit prices below it.
  const candidates = new Set<Micros>([hi]);
  for (const leg of [up, down]) {
    leg.levels.forEach((l, k) => {
      const end = netOf(leg, floorShares(leg.depthBefore[k]! + l.size), rules);
      if (end > 0 && end < hi) candidates.add(end);
    });
  }
  for (const target of [...candidates].sort((a, b) => b - a)) {
    const p = plans(target)!;
    // The venue's minima only grow harder as the target shrinks.
    if (!legTradable(p.u, rules) || !legTradable(p.d, rules)) return undefined;
    const pairs = Math.min(p.u.net, p.d.net);
    const maxCost = p.u.commit + p.d.commit;
    if (!atLeastPerShare(pairs - maxCost, pairs, params.minSpread)) continue;
    // Defined: each limit passed `usable`, which priced it in a pair.
    const pairCost = pairCostWithFees(p.u.limit, p.d.limit, rules.feeRate, rules.feeExponent);
    const grossCost = buyCost(fillPlan(up.levels, p.u.gross)) + buyCost(fillPlan(down.levels, p.d.gross));
    return {
      upLimitPrice: p.u.limit,
      downLimitPrice: p.d.limit,
      upBestAsk: bestUp.price,
      downBestAsk: bestDown.price,
      upShares: p.u.gross,
      downShares: p.d.gross,
      spread: ONE - bestUp.price - bestDown.price,
      pairCost,
      pairs,
      expectedProfit: pairs - grossCost,
      worstCaseProfit: pairs - maxCost,
      grossCost,
      maxCost,
      upNetShares: p.u.net,
      downNetShares: p.d.net,
    };
  }
  return undefined;
}
