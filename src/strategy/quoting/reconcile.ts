/**
 * The order diff of quoting: desired quotes (engine.ts) against our live orders → a plan of cancels and
 * placements, as data, with no I/O — the controller pattern of hummingbot's and poly-maker's market
 * makers: compare what is wanted with what exists and emit the difference.
 *
 * ## Per market and side (Up = our bid, Down = our ask)
 *
 * - No quote wanted: every live order of the side is cancelled.
 * - `keep` (the fire-and-forget baseline): live orders are left alone, nothing is placed.
 * - A quote: a live BUY of the side is KEPT when its price is fewer than the refresh threshold's ticks
 *   from the quote (or exactly on it), its remaining size is within what the limits allow (`maxShares`;
 *   not the quote's own size, which moves with the price) and at least the venue's minimum order size
 *   (a partial fill's tiny remainder is replaced with a full quote). The closest such order is kept and
 *   any other live order of the side cancelled. With none to keep, the side is refreshed: its orders
 *   are cancelled and the quote placed. This is per order: one side kept does not make the other side's
 *   refresh replace it too (the seed refreshed both unless both were within the threshold).
 * - SELL orders are not quotes (quotes are BUYs, engine.ts) and are cancelled.
 * - Our two sides must never cross each other: a BUY of Up at u and a BUY of Down at d with u + d ≥ 1
 *   would match. A kept order that would cross the other side's new quote is refreshed too; a quote
 *   that would cross a `keep` order, or the quote of the other side, is refused (the Down side yields).
 *
 * ## Rate limits (refresh.ts)
 *
 * Placements of a market are one refresh, allowed only when its interval and the global cap allow. A
 * refused refresh sends nothing for the sides that needed it (`deferred`): the orders they would have
 * replaced stay live until next time (one per side; extra ones are cancelled). Cancels that protect us
 * are never held back: a side no longer wanted (momentum, halt, limits), a size over what the limits
 * allow, duplicates, SELLs.
 *
 * ## Steps and batches
 *
 * `steps` lists every cancel first, then every placement, in batches of at most BATCH_SIZE (≤ 15, the
 * venue's limit), so a cancel never waits behind a placement (cancel-before-place). The executor sends a
 * place step only once the cancel steps are answered, and drops a placement whose `replaces` orders were
 * not all cancelled (one filled meanwhile: the inventory changed and the next plan will know). A batch is
 * never blindly retried: after an unknown outcome (a timeout) the next plan, made from the venue's live
 * orders once they are read back, is the retry — a resend could double a quote.
 *
 * Every placement is a post-only GTC BUY whose price is on the market's tick within [tick, 1 − tick]
 * and whose size is a multiple of the quote lot (book.ts quoteLot) of at least the minimum order size;
 * a desired quote that is not is refused with a reason (and its side treated as not wanted).
 */
import type { Micros } from "../../money";
import { ONE } from "../../money";
import type { Outcome } from "../../session/messages";
import { isValidQuotePrice, type LiveOrder, quoteLot, remainingShares } from "./book";
import type { DesiredQuotes, SideQuote } from "./engine";
import { type QuotingParams, VENUE_MAX_BATCH } from "./params";
import { mayRefresh, type RefreshLimiter, recordRefresh } from "./refresh";

export type PlanParams = Pick<QuotingParams, "batchSize" | "minRefreshIntervalMs" | "globalRefreshCapPerSec">;

/** One market's desired quotes and live orders. */
export interface MarketOrders {
  market: string;
  /** The market's current tick. */
  tick: Micros;
  /** The venue's minimum order size, shares (micros). */
  minOrderSize: Micros;
  desired: DesiredQuotes;
  /** Our live orders in the market. */
  live: readonly LiveOrder[];
}

/** A post-only GTC BUY to place. */
export interface Placement {
  market: string;
  outcome: Outcome;
  side: "BUY";
  price: Micros;
  shares: Micros;
  tickSize: Micros;
  orderType: "GTC";
  postOnly: true;
  /** Orders of the same side cancelled for this one: place it only once all of them are cancelled. */
  replaces: string[];
}

export interface Cancel {
  market: string;
  orderId: string;
  reason: string;
}

export type PlanStep = { kind: "cancel"; cancels: Cancel[] } | { kind: "place"; orders: Placement[] };

export interface MarketPlan {
  market: string;
  /** Live orders left as they are. */
  keep: string[];
  cancels: Cancel[];
  placements: Placement[];
  /** Sides that needed a refresh the rate limits did not allow now. */
  deferred: Outcome[];
  /** Desired quotes not placed, and why. */
  refused: { outcome: Outcome; reason: string }[];
}

export interface OrderPlan {
  /** Cancel batches first, then placement batches; each at most batchSize long. */
  steps: PlanStep[];
  markets: MarketPlan[];
  /** The rate limiter after this plan's refreshes. */
  limiter: RefreshLimiter;
}

type Quote = Extract<SideQuote, { kind: "quote" }>;

interface SidePlan {
  outcome: Outcome;
  target?: Quote;
  keepAll: boolean;
  kept: LiveOrder[];
  /** Orders a refresh replaces (cancelled only when the refresh is allowed). */
  stale: LiveOrder[];
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function validQuote(q: Quote, m: MarketOrders): string | undefined {
  if (!isValidQuotePrice(q.price, m.tick)) {
    return `price ${q.price} is not on the tick within [tick, 1 − tick]`;
  }
  if (!Number.isSafeInteger(q.shares) || q.shares % quoteLot(m.tick) !== 0) {
    return `size ${q.shares} is not a multiple of the quote lot ${quoteLot(m.tick)}`;
  }
  if (q.shares < m.minOrderSize) return `size ${q.shares} is below the minimum ${m.minOrderSize}`;
  if (!(q.maxShares >= q.shares)) return `size ${q.shares} is over the limits' ${q.maxShares}`;
  return undefined;
}

/**
 * May this live order stay as it is under the quote's limits? Its remaining size at most what the limits
 * allow (maxShares), and its pUSD at risk (remaining × its own price) at most what they allow at the
 * quote's price: the liability limit allows fewer shares at a higher price.
 */
function withinLimits(o: LiveOrder, q: Quote): boolean {
  const rest = remainingShares(o);
  return rest <= q.maxShares && BigInt(rest) * BigInt(o.price) <= BigInt(q.maxShares) * BigInt(q.price);
}

/**
 * Is this live order to be kept for the quote: within the refresh threshold of its price (or exactly on
 * it), within the limits, and resting with at least the minimum order size? Its size may differ from the
 * quote's: ORDER_SIZE buys a few shares more or less a tick away, which is no reason to lose the queue.
 */
function keepable(o: LiveOrder, q: Quote, m: MarketOrders, thresholdTicks: number): boolean {
  const diff = Math.abs(o.price - q.price);
  return (
    (diff === 0 || diff < thresholdTicks * m.tick) &&
    withinLimits(o, q) &&
    remainingShares(o) >= m.minOrderSize
  );
}

/** Closest price first, then the larger remainder, then the order id. */
function byCloseness(q: Quote) {
  return (a: LiveOrder, b: LiveOrder) =>
    Math.abs(a.price - q.price) - Math.abs(b.price - q.price) ||
    remainingShares(b) - remainingShares(a) ||
    (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0);
}

function planMarket(
  m: MarketOrders,
  limiter: RefreshLimiter,
  nowMs: number,
  params: PlanParams,
): { plan: MarketPlan; limiter: RefreshLimiter } {
  const plan: MarketPlan = {
    market: m.market,
    keep: [],
    cancels: [],
    placements: [],
    deferred: [],
    refused: [],
  };
  const cancel = (o: LiveOrder, reason: string) =>
    plan.cancels.push({ market: m.market, orderId: o.orderId, reason });
  const live = m.live.filter((o) => remainingShares(o) > 0);
  for (const o of live) if (o.side !== "BUY") cancel(o, "a SELL is not a quote");

  const sides: Record<Outcome, SidePlan> = {
    UP: { outcome: "UP", keepAll: false, kept: [], stale: [] },
    DOWN: { outcome: "DOWN", keepAll: false, kept: [], stale: [] },
  };
  for (const outcome of ["UP", "DOWN"] as const) {
    const s = sides[outcome];
    const wanted = outcome === "UP" ? m.desired.up : m.desired.down;
    const orders = live.filter((o) => o.side === "BUY" && o.outcome === outcome);
    if (wanted?.kind === "keep") {
      s.keepAll = true;
      s.kept = orders;
      continue;
    }
    const problem = wanted && validQuote(wanted, m);
    if (wanted && problem) plan.refused.push({ outcome, reason: problem });
    if (!wanted || problem) {
      for (const o of orders) cancel(o, "no quote wanted");
      continue;
    }
    s.target = wanted;
    const sorted = [...orders].sort(byCloseness(wanted));
    const keep = sorted.find((o) => keepable(o, wanted, m, m.desired.refreshThresholdTicks));
    for (const o of sorted) {
      if (o === keep) s.kept.push(o);
      else if (keep) cancel(o, "duplicate");
      else if (!withinLimits(o, wanted)) cancel(o, "size over what the limits allow");
      else s.stale.push(o);
    }
  }

  // Our two sides must not cross: u + d < 1 for every pair of (kept or new) BUY prices.
  const crosses = (u: Micros, d: Micros) => u + d >= ONE;
  const up = sides.UP;
  const down = sides.DOWN;
  if (up.target && down.target && crosses(up.target.price, down.target.price)) {
    plan.refused.push({ outcome: "DOWN", reason: "would cross our own BUY of Up" });
    for (const o of [...down.kept, ...down.stale]) cancel(o, "no quote wanted");
    down.target = undefined;
    down.kept = [];
    down.stale = [];
  }
  for (const [s, other] of [
    [up, down],
    [down, up],
  ] as const) {
    // Only a side about to place a new quote can cross: kept orders rest together, so they do not.
    const target = s.target;
    if (!target || s.kept.length > 0) continue;
    if (other.keepAll) {
      if (other.kept.some((o) => crosses(o.price, target.price))) {
        plan.refused.push({ outcome: s.outcome, reason: "would cross our own order kept on the other side" });
        for (const o of s.stale) cancel(o, "no quote wanted");
        s.target = undefined;
        s.stale = [];
      }
    } else if (other.target) {
      // A kept order of the other side that would cross this side's new quote is refreshed too.
      const crossing = other.kept.filter((o) => crosses(o.price, target.price));
      other.kept = other.kept.filter((o) => !crossing.includes(o));
      other.stale.push(...crossing);
    }
  }

  const sideOf = new Map(live.map((o) => [o.orderId, o]));
  const needs = [up, down].filter((s) => s.target && s.kept.length === 0);
  let next = limiter;
  const allowed = needs.length > 0 && mayRefresh(limiter, m.market, nowMs, params);
  for (const s of [up, down]) {
    plan.keep.push(...s.kept.map((o) => o.orderId));
    if (!needs.includes(s)) continue;
    if (allowed) {
      for (const o of s.stale) cancel(o, "refresh");
      const target = s.target!;
      plan.placements.push({
        market: m.market,
        outcome: s.outcome,
        side: "BUY",
        price: target.price,
        shares: target.shares,
        tickSize: m.tick,
        orderType: "GTC",
        postOnly: true,
        replaces: plan.cancels
          .filter(
            (c) => sideOf.get(c.orderId)?.outcome === s.outcome && sideOf.get(c.orderId)?.side === "BUY",
          )
          .map((c) => c.orderId),
      });
    } else {
      plan.deferred.push(s.outcome);
      const [stay, ...extra] = [...s.stale].sort(byCloseness(s.target!));
      if (stay) plan.keep.push(stay.orderId);
      for (const o of extra) cancel(o, "duplicate");
    }
  }
  if (allowed) next = recordRefresh(limiter, m.market, nowMs, params);
  return { plan, limiter: next };
}

/**
 * The plan for all markets at `nowMs` (module notes). Markets are planned in the order given; the rate
 * limiter's room goes to the first ones.
 */
export function planOrders(
  markets: readonly MarketOrders[],
  limiter: RefreshLimiter,
  nowMs: number,
  params: PlanParams,
): OrderPlan {
  if (!Number.isSafeInteger(params.batchSize) || params.batchSize < 1 || params.batchSize > VENUE_MAX_BATCH) {
    throw new RangeError(
      `batchSize must be a whole number in [1, ${VENUE_MAX_BATCH}], got ${params.batchSize}`,
    );
  }
  let current = limiter;
  const plans: MarketPlan[] = [];
  for (const m of markets) {
    const r = planMarket(m, current, nowMs, params);
    plans.push(r.plan);
    current = r.limiter;
  }
  const cancels = plans.flatMap((p) => p.cancels);
  const placements = plans.flatMap((p) => p.placements);
  const steps: PlanStep[] = [
    ...chunk(cancels, params.batchSize).map((c): PlanStep => ({ kind: "cancel", cancels: c })),
    ...chunk(placements, params.batchSize).map((o): PlanStep => ({ kind: "place", orders: o })),
  ];
  return { steps, markets: plans, limiter: current };
}
