/**
 * Ballast's Prometheus metrics: one prom-client Registry per process, every metric defined here and
 * only here. The process's `/metrics` (./server.ts) serves this registry followed by the Temporal SDK's
 * own metrics (`temporal_…`).
 *
 * Naming: `ballast_` then what is measured, the unit last (`_seconds`, `_pusd`, `_shares`, `_ratio`,
 * `_ticks`), counters ending in `_total`. Labels are bounded: `asset` (BTC, ETH, …), `market` (a window's
 * slug: only on gauges of live markets, whose series end with the market), `side` (BUY/SELL), `reason`,
 * `state`, `channel`, `signal`, … — never an order, trade or position id.
 *
 * Who feeds what:
 * - the streaming worker: WebSocket frames and reconnects (src/polymarket/channel-client.ts), signals to
 *   the workflows (workers/streaming-worker.ts);
 * - the workflow worker: orders (activities/exchange/activities.ts), fills and positions
 *   (activities/database.ts, through ./positions.ts). Workflows never touch metrics: they are
 *   deterministic sandboxed code; what they decide reaches the metrics through the activities they call.
 *
 * Quoting: the quote refreshes, breaker state, inventory, liability and markout metrics are defined so
 * that the dashboard has them, but NOTHING FEEDS THEM until the quoter exists (src/strategy/quoting is
 * pure logic with no process running it yet): they are exported with no series until then.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { positionBook } from "./positions";

export const registry = new Registry();

let processMetrics = false;

/** The Node.js process metrics (`process_…`, `nodejs_…`): turned on by the process that serves /metrics. */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
}

const registers = [registry];

// ------------------------------------------------------------------------------------------- streaming

export const wsFramesReceived = new Counter({
  name: "ballast_ws_frames_received_total",
  help: "Data frames received on the venue's WebSocket channels (PONGs excluded); channel=market is the book feed.",
  labelNames: ["channel"] as const,
  registers,
});

export const wsReconnects = new Counter({
  name: "ballast_ws_reconnects_total",
  help: "Reconnections of the venue's WebSocket channels after a dropped connection.",
  labelNames: ["channel"] as const,
  registers,
});

export const signalsSent = new Counter({
  name: "ballast_signals_sent_total",
  help: "Signals the market feeds sent to the session workflows (marketBook, fills, reconcile).",
  labelNames: ["signal", "asset"] as const,
  registers,
});

export const signalFailures = new Counter({
  name: "ballast_signal_failures_total",
  help: "Signals to the session workflows that failed (each attempt counts).",
  labelNames: ["signal", "asset"] as const,
  registers,
});

// ---------------------------------------------------------------------------------------------- orders

export const orderPlacements = new Counter({
  name: "ballast_order_placements_total",
  help: "placeOrder activities by result: accepted by the venue, rejected for good (locally or by the venue), or failed (retryable or unknown outcome).",
  labelNames: ["asset", "side", "order_type", "result"] as const,
  registers,
});

export const orderRejections = new Counter({
  name: "ballast_order_rejections_total",
  help: "Orders refused for good, by reason (activities/exchange RejectionKind) and origin (local: refused before sending; venue).",
  labelNames: ["asset", "side", "reason", "origin"] as const,
  registers,
});

export const orderCancels = new Counter({
  name: "ballast_order_cancels_total",
  help: "Orders the venue cancelled at our request, by scope (market: one market's orders; all: every order of our key).",
  labelNames: ["asset", "scope"] as const,
  registers,
});

export const orderFailures = new Counter({
  name: "ballast_order_failures_total",
  help: "Exchange activity attempts that failed (thrown to Temporal, usually retried), by operation and error type.",
  labelNames: ["asset", "operation", "error"] as const,
  registers,
});

export const orderRoundTrip = new Histogram({
  name: "ballast_order_round_trip_seconds",
  help: "From sending an order to the venue's answer (placeOrder; refusals before sending excluded).",
  labelNames: ["order_type"] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers,
});

// ----------------------------------------------------------------------------------------------- fills

export const fills = new Counter({
  name: "ballast_fills_total",
  help: 'Our fills written to the ledger, once per status each reaches (MATCHED, MINED, CONFIRMED, RETRYING, FAILED): new fills are status="MATCHED".',
  labelNames: ["asset", "side", "role", "status"] as const,
  registers,
});

export const filledShares = new Counter({
  name: "ballast_filled_shares_total",
  help: "Shares of our fills written to the ledger, once per status each fill reaches (as ballast_fills_total).",
  labelNames: ["asset", "side", "role", "status"] as const,
  registers,
});

// ------------------------------------------------------------------------------------------- positions
// The gauges are computed at each scrape from the positions this process has written (./positions.ts).

export const positions = new Gauge({
  name: "ballast_positions",
  help: "Live positions (OPEN, BALANCED, IMBALANCED) by state, as last written to the ledger by this process.",
  labelNames: ["asset", "state"] as const,
  registers,
  collect() {
    this.reset();
    for (const { asset, state, count } of positionBook.byState()) this.set({ asset, state }, count);
  },
});

export const positionStateChanges = new Counter({
  name: "ballast_position_state_changes_total",
  help: "Positions entering a state (their first write counts): OPEN, BALANCED, IMBALANCED, ABANDONED, UNRESOLVED, RESOLVED.",
  labelNames: ["asset", "state"] as const,
  registers,
});

export const positionHedgeRatio = new Gauge({
  name: "ballast_position_hedge_ratio",
  help: "The lowest hedge ratio (min/max of net Up and Down shares) among the market's live positions.",
  labelNames: ["market", "asset"] as const,
  registers,
  collect() {
    this.reset();
    for (const m of positionBook.byMarket()) this.set({ market: m.market, asset: m.asset }, m.minHedgeRatio);
  },
});

export const positionFinalHedgeRatio = new Histogram({
  name: "ballast_position_final_hedge_ratio",
  help: "Hedge ratio of positions at resolution (final shares).",
  labelNames: ["asset"] as const,
  buckets: [0.1, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1],
  registers,
});

export const pnlGuaranteed = new Gauge({
  name: "ballast_pnl_guaranteed_pusd",
  help: "Guaranteed P&L of the market's live positions: min(Up, Down) net shares × 1 pUSD less their net cost, summed.",
  labelNames: ["market", "asset"] as const,
  registers,
  collect() {
    this.reset();
    for (const m of positionBook.byMarket()) this.set({ market: m.market, asset: m.asset }, m.guaranteedPnl);
  },
});

export const positionCost = new Gauge({
  name: "ballast_position_cost_pusd",
  help: "Net pUSD at risk in the market's live positions (buys and fees less sell proceeds), summed.",
  labelNames: ["market", "asset"] as const,
  registers,
  collect() {
    this.reset();
    for (const m of positionBook.byMarket()) this.set({ market: m.market, asset: m.asset }, m.cost);
  },
});

export const pnlRealizedProfit = new Counter({
  name: "ballast_pnl_realized_profit_pusd_total",
  help: "Realized profit of resolved positions that made money (actual profit > 0). Realized P&L = this less ballast_pnl_realized_loss_pusd_total.",
  labelNames: ["asset"] as const,
  registers,
});

export const pnlRealizedLoss = new Counter({
  name: "ballast_pnl_realized_loss_pusd_total",
  help: "Realized loss of resolved positions that lost money (the loss, a positive number).",
  labelNames: ["asset"] as const,
  registers,
});

// --------------------------------------------------------------------------------------------- quoting
// Defined for the dashboard; nothing feeds these until the quoter exists (module notes).

export const quoteRefreshes = new Counter({
  name: "ballast_quote_refreshes_total",
  help: "Quote replacements (cancel and re-post) by side and reason. Not fed until the quoter exists.",
  labelNames: ["asset", "side", "reason"] as const,
  registers,
});

/** The breaker's states (src/strategy/quoting/risk.ts BreakerState). */
export const BREAKER_STATES = ["NORMAL", "WARNING", "HALTED", "RECOVERING"] as const;

export const breakerState = new Gauge({
  name: "ballast_breaker_state",
  help: "The quoting circuit breaker of each market: 1 for its current state, 0 for the others. Not fed until the quoter exists.",
  labelNames: ["market", "asset", "state"] as const,
  registers,
});

export const inventoryShares = new Gauge({
  name: "ballast_inventory_shares",
  help: "Quoting inventory: net shares held per market and outcome (UP, DOWN). Not fed until the quoter exists.",
  labelNames: ["market", "asset", "outcome"] as const,
  registers,
});

export const liability = new Gauge({
  name: "ballast_liability_pusd",
  help: "Quoting liability per market: pUSD lost if the worse outcome wins. Not fed until the quoter exists.",
  labelNames: ["market", "asset"] as const,
  registers,
});

export const markouts = new Histogram({
  name: "ballast_markout_ticks",
  help: "Markout per share of quote fills in ticks, signed by side, by horizon (1s, 5s, 15s, 30s, 60s, resolution). Not fed until the quoter exists.",
  labelNames: ["asset", "horizon"] as const,
  buckets: [-10, -5, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 5, 10],
  registers,
});

/** Sets the breaker gauge of a market: 1 for `state`, 0 for the others. For the quoter. */
export function setBreakerState(labels: { market: string; asset: string }, state: string): void {
  for (const s of BREAKER_STATES) breakerState.set({ ...labels, state: s }, s === state ? 1 : 0);
}
