/**
 * Risk and circuit breaker of quoting: a pure state machine. `riskStep(state, event, now)` returns the new
 * state, the actions to take (as data: cancel orders, report a change) and when to call it again if
 * nothing else happens (`wakeAtMs`: a stale-feed deadline or a recovery step).
 *
 * ## States and limit multipliers
 *
 *   NORMAL 100 % → WARNING 50 % → HALTED 0 % → RECOVERING 25 % → NORMAL
 *
 * The multiplier scales the inventory limits (inventory.ts quoteLimits). HALTED quotes nothing at all
 * (the quote engine checks the state, not only the limits, because inventory-reducing orders would pass
 * 0 % limits) and entering it emits a `cancelAll` action for its scope.
 *
 * ## Two scopes
 *
 * The global scope (the account) and one scope per market. A market quotes with the worse of its own
 * state and the global one ({@link effectiveState}; worse = lower multiplier, so RECOVERING is worse than
 * WARNING); one market's halt leaves the others quoting.
 *
 * ## Causes
 *
 * Halting (HALTED while present):
 * - market: drawdown of its P&L (realized + unrealized, inventory.ts markToMarketPnl) from its peak ≥
 *   MAX_DRAWDOWN_PER_MARKET_USDC — latched: it stays until an operator `reset` (the seed: "stop quoting
 *   that market");
 * - market: MAX_CONSECUTIVE_ERRORS order errors in a row (a success resets the count) — momentary: the
 *   count restarts and the halt's cause is cleared at once, so recovery starts from the halt;
 * - global: the user channel down (our fills and order states unconfirmable: "user channel disconnect =
 *   cancel all") until it is connected again;
 * - global: drawdown of the sum over all markets (closed ones included) ≥ MAX_DRAWDOWN_GLOBAL_USDC —
 *   latched (the kill switch).
 * Warning (WARNING while present, from NORMAL):
 * - market: its market channel down;
 * - market: stale feed = no market event for STALE_FEED_MS AND our order state not confirmed (a
 *   user-channel event or a REST read of our orders) for as long. A quiet market whose orders we can
 *   still confirm is not stale (the seed: "not just a timer").
 *
 * ## Recovery
 *
 * HALTED stays HALTED while a halting cause is present. Once none is, it stays HALTED for
 * CIRCUIT_BREAKER_RECOVERY_MS more, then RECOVERING (25 %) for as long again, then NORMAL; if a warning
 * cause is present by then, it stays RECOVERING until the cause clears. A halting cause during
 * RECOVERING halts again. Only HALTED recovers through RECOVERING; WARNING returns to NORMAL as soon as its
 * causes clear.
 *
 * The state is plain JSON. Create it with {@link emptyRisk} once the user channel is connected and its
 * reconcile is done; a market is added by its first event.
 */
import type { Micros } from "../../money";
import type { QuotingParams } from "./params";

export type BreakerState = "NORMAL" | "WARNING" | "HALTED" | "RECOVERING";

/** The limit multiplier of each state, percent. */
export const LIMIT_MULTIPLIER_PERCENT: Readonly<Record<BreakerState, number>> = Object.freeze({
  NORMAL: 100,
  WARNING: 50,
  HALTED: 0,
  RECOVERING: 25,
});

export type RiskParams = Pick<
  QuotingParams,
  | "maxDrawdownPerMarket"
  | "maxDrawdownGlobal"
  | "staleFeedMs"
  | "maxConsecutiveErrors"
  | "circuitBreakerRecoveryMs"
>;

interface ScopeStatus {
  state: BreakerState;
  /** Why the scope is in its state (its causes, or the recovery step). */
  reason: string;
  sinceMs: number;
  /** HALTED with no cause left: when the last one cleared (recovery counts from there). */
  haltClearedAtMs?: number;
  /** RECOVERING: when it began. */
  recoveringSinceMs?: number;
}

export interface MarketRisk extends ScopeStatus {
  feedConnected: boolean;
  lastFeedEventAtMs: number;
  lastOrderConfirmAtMs: number;
  consecutiveErrors: number;
  /** Realized + unrealized P&L, last reported. */
  pnl: Micros;
  /** Highest P&L seen (at least 0): drawdown = peak − pnl. */
  peakPnl: Micros;
  drawdownLatched: boolean;
}

export interface GlobalRisk extends ScopeStatus {
  userFeedConnected: boolean;
  drawdownLatched: boolean;
  peakPnl: Micros;
  /** P&L of the markets already closed (still part of the global drawdown). */
  closedPnl: Micros;
}

export interface RiskState {
  global: GlobalRisk;
  markets: Record<string, MarketRisk>;
}

export type RiskEvent =
  /** Any event of the market's channel for this market (book, price change, trade, tick change). */
  | { type: "marketFeedEvent"; market: string }
  /** The market channel dropped / came back; without `market`, for every market. */
  | { type: "marketFeedDisconnected"; market?: string }
  | { type: "marketFeedConnected"; market?: string }
  | { type: "userFeedDisconnected" }
  /** Send after the reconnect's reconcile: our order state is known again. */
  | { type: "userFeedConnected" }
  /** Our order state confirmed (user-channel event, REST read); without `market`, for every market. */
  | { type: "orderStateConfirmed"; market?: string }
  /** The market's realized + unrealized P&L now. */
  | { type: "pnl"; market: string; pnl: Micros }
  | { type: "orderError"; market: string }
  | { type: "orderSuccess"; market: string }
  /** Operator: clear latched drawdown halts (of one market; without `market`, the global one and all). */
  | { type: "reset"; market?: string }
  /** The market ended: forgotten, its P&L kept in the global total. */
  | { type: "marketClosed"; market: string }
  /** Time passed (at `wakeAtMs`). */
  | { type: "tick" };

export type RiskAction =
  /** Cancel every order of the market, or of the account when `market` is absent. */
  | { type: "cancelAll"; market?: string; reason: string }
  | { type: "stateChanged"; market?: string; from: BreakerState; to: BreakerState; reason: string };

export interface RiskStep {
  state: RiskState;
  actions: RiskAction[];
  /** Call again with a `tick` at this time if no other event comes first. */
  wakeAtMs?: number;
}

export function emptyRisk(nowMs: number): RiskState {
  return {
    global: {
      state: "NORMAL",
      reason: "started",
      sinceMs: nowMs,
      userFeedConnected: true,
      drawdownLatched: false,
      peakPnl: 0,
      closedPnl: 0,
    },
    markets: {},
  };
}

function newMarket(nowMs: number): MarketRisk {
  return {
    state: "NORMAL",
    reason: "added",
    sinceMs: nowMs,
    feedConnected: true,
    lastFeedEventAtMs: nowMs,
    lastOrderConfirmAtMs: nowMs,
    consecutiveErrors: 0,
    pnl: 0,
    peakPnl: 0,
    drawdownLatched: false,
  };
}

const SEVERITY: Readonly<Record<BreakerState, number>> = { NORMAL: 0, WARNING: 1, RECOVERING: 2, HALTED: 3 };

/** The worse of two states: the one with the lower multiplier. */
export function worseState(a: BreakerState, b: BreakerState): BreakerState {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/** The state a market quotes under: the worse of its own and the global one (unknown market: global). */
export function effectiveState(state: RiskState, market: string): BreakerState {
  const own = state.markets[market];
  return own ? worseState(own.state, state.global.state) : state.global.state;
}

/** The limit multiplier (percent) a market quotes under. */
export function limitMultiplierPercent(state: RiskState, market: string): number {
  return LIMIT_MULTIPLIER_PERCENT[effectiveState(state, market)];
}

function isStale(m: MarketRisk, nowMs: number, params: RiskParams): boolean {
  return (
    nowMs - m.lastFeedEventAtMs >= params.staleFeedMs && nowMs - m.lastOrderConfirmAtMs >= params.staleFeedMs
  );
}

/** The next state of a scope from its present causes (module notes). */
function advance<S extends ScopeStatus>(
  s: S,
  halting: string[],
  warning: string[],
  momentaryHalt: string | undefined,
  nowMs: number,
  recoveryMs: number,
): S {
  const to = (state: BreakerState, reason: string, extra: Partial<ScopeStatus> = {}): S => {
    const base = { ...s, haltClearedAtMs: undefined, recoveringSinceMs: undefined, ...extra };
    return state === s.state ? { ...base, reason } : { ...base, state, reason, sinceMs: nowMs };
  };
  if (halting.length > 0) return to("HALTED", halting.join(", "));
  if (momentaryHalt !== undefined) return to("HALTED", momentaryHalt, { haltClearedAtMs: nowMs });
  if (s.state === "HALTED") {
    const cleared = s.haltClearedAtMs ?? nowMs;
    if (nowMs - cleared >= recoveryMs) return to("RECOVERING", "recovering", { recoveringSinceMs: nowMs });
    return to("HALTED", s.reason, { haltClearedAtMs: cleared });
  }
  if (s.state === "RECOVERING") {
    const since = s.recoveringSinceMs ?? nowMs;
    if (nowMs - since >= recoveryMs && warning.length === 0) return to("NORMAL", "recovered");
    return to("RECOVERING", warning.length > 0 ? `recovering; ${warning.join(", ")}` : "recovering", {
      recoveringSinceMs: since,
    });
  }
  return warning.length > 0 ? to("WARNING", warning.join(", ")) : to("NORMAL", "ok");
}

function globalPnl(state: RiskState): Micros {
  let total = state.global.closedPnl;
  for (const m of Object.values(state.markets)) total += m.pnl;
  return total;
}

/** Updates the global peak and latches the global drawdown. */
function watchGlobalDrawdown(state: RiskState, params: RiskParams): RiskState {
  const total = globalPnl(state);
  const peak = Math.max(state.global.peakPnl, total);
  const latched = state.global.drawdownLatched || peak - total >= params.maxDrawdownGlobal;
  return { ...state, global: { ...state.global, peakPnl: peak, drawdownLatched: latched } };
}

function forMarkets(
  state: RiskState,
  market: string | undefined,
  nowMs: number,
  f: (m: MarketRisk) => MarketRisk,
): RiskState {
  const markets = { ...state.markets };
  if (market === undefined) {
    for (const [id, m] of Object.entries(markets)) markets[id] = f(m);
  } else {
    markets[market] = f(markets[market] ?? newMarket(nowMs));
  }
  return { ...state, markets };
}

/**
 * One step of the breaker: applies `event` at `nowMs`, re-evaluates every scope (time passing can change
 * any of them) and reports what changed. Markets are added by their first event.
 */
export function riskStep(state: RiskState, event: RiskEvent, nowMs: number, params: RiskParams): RiskStep {
  let s = state;
  const momentary = new Map<string, string>();
  switch (event.type) {
    case "marketFeedEvent":
      s = forMarkets(s, event.market, nowMs, (m) => ({ ...m, lastFeedEventAtMs: nowMs }));
      break;
    case "marketFeedDisconnected":
      s = forMarkets(s, event.market, nowMs, (m) => ({ ...m, feedConnected: false }));
      break;
    case "marketFeedConnected":
      s = forMarkets(s, event.market, nowMs, (m) => ({
        ...m,
        feedConnected: true,
        lastFeedEventAtMs: nowMs,
      }));
      break;
    case "userFeedDisconnected":
      s = { ...s, global: { ...s.global, userFeedConnected: false } };
      break;
    case "userFeedConnected":
      s = { ...s, global: { ...s.global, userFeedConnected: true } };
      s = forMarkets(s, undefined, nowMs, (m) => ({ ...m, lastOrderConfirmAtMs: nowMs }));
      break;
    case "orderStateConfirmed":
      s = forMarkets(s, event.market, nowMs, (m) => ({ ...m, lastOrderConfirmAtMs: nowMs }));
      break;
    case "pnl":
      s = forMarkets(s, event.market, nowMs, (m) => {
        const peakPnl = Math.max(m.peakPnl, event.pnl);
        const drawdownLatched = m.drawdownLatched || peakPnl - event.pnl >= params.maxDrawdownPerMarket;
        return { ...m, pnl: event.pnl, peakPnl, drawdownLatched };
      });
      s = watchGlobalDrawdown(s, params);
      break;
    case "orderError":
      s = forMarkets(s, event.market, nowMs, (m) => {
        const consecutiveErrors = m.consecutiveErrors + 1;
        if (consecutiveErrors < params.maxConsecutiveErrors) return { ...m, consecutiveErrors };
        momentary.set(event.market, `${consecutiveErrors} consecutive order errors`);
        return { ...m, consecutiveErrors: 0 };
      });
      break;
    case "orderSuccess":
      s = forMarkets(s, event.market, nowMs, (m) => ({ ...m, consecutiveErrors: 0 }));
      break;
    case "reset": {
      const clear = (m: MarketRisk): MarketRisk => ({
        ...m,
        drawdownLatched: false,
        peakPnl: Math.max(0, m.pnl),
      });
      if (event.market !== undefined) {
        s = forMarkets(s, event.market, nowMs, clear);
      } else {
        s = forMarkets(s, undefined, nowMs, clear);
        s = { ...s, global: { ...s.global, drawdownLatched: false, peakPnl: Math.max(0, globalPnl(s)) } };
      }
      break;
    }
    case "marketClosed": {
      const closed = s.markets[event.market];
      if (closed) {
        const { [event.market]: _, ...rest } = s.markets;
        s = { global: { ...s.global, closedPnl: s.global.closedPnl + closed.pnl }, markets: rest };
      }
      break;
    }
    case "tick":
      break;
  }

  const actions: RiskAction[] = [];
  const recovery = params.circuitBreakerRecoveryMs;
  const report = (market: string | undefined, before: BreakerState, after: ScopeStatus) => {
    if (before === after.state) return;
    actions.push({
      type: "stateChanged",
      ...(market === undefined ? {} : { market }),
      from: before,
      to: after.state,
      reason: after.reason,
    });
    if (after.state === "HALTED") {
      actions.push({ type: "cancelAll", ...(market === undefined ? {} : { market }), reason: after.reason });
    }
  };

  const g = s.global;
  const globalHalting: string[] = [];
  if (!g.userFeedConnected) globalHalting.push("user channel down");
  if (g.drawdownLatched) globalHalting.push("global drawdown limit");
  const nextGlobal = advance(g, globalHalting, [], undefined, nowMs, recovery);
  report(undefined, g.state, nextGlobal);

  const markets: Record<string, MarketRisk> = {};
  for (const [id, m] of Object.entries(s.markets)) {
    const halting = m.drawdownLatched ? ["market drawdown limit"] : [];
    const warning: string[] = [];
    if (!m.feedConnected) warning.push("market channel down");
    if (isStale(m, nowMs, params)) warning.push("stale feed");
    const next = advance(m, halting, warning, momentary.get(id), nowMs, recovery);
    report(id, m.state, next);
    markets[id] = next;
  }
  const out: RiskState = { global: nextGlobal, markets };
  const wakeAtMs = nextWake(out, nowMs, params);
  return wakeAtMs === undefined ? { state: out, actions } : { state: out, actions, wakeAtMs };
}

/** The earliest future time at which the state can change with no event: a recovery step or a stale deadline. */
function nextWake(state: RiskState, nowMs: number, params: RiskParams): number | undefined {
  const times: number[] = [];
  const scope = (s: ScopeStatus) => {
    if (s.state === "HALTED" && s.haltClearedAtMs !== undefined) {
      times.push(s.haltClearedAtMs + params.circuitBreakerRecoveryMs);
    }
    if (s.state === "RECOVERING" && s.recoveringSinceMs !== undefined) {
      times.push(s.recoveringSinceMs + params.circuitBreakerRecoveryMs);
    }
  };
  scope(state.global);
  for (const m of Object.values(state.markets)) {
    scope(m);
    if (!isStale(m, nowMs, params)) {
      times.push(Math.max(m.lastFeedEventAtMs, m.lastOrderConfirmAtMs) + params.staleFeedMs);
    }
  }
  const future = times.filter((t) => t > nowMs);
  return future.length === 0 ? undefined : Math.min(...future);
}
