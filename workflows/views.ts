/**
 * What the state queries of the workflows answer (plain JSON), and what a trader reads of them in the Web
 * UI at a glance: the static summaries their starters give the sessions, feeds, schedulers and control,
 * their live current details, and the summaries of the activities they call (the timeline).
 *
 * Pure text from exact micros (the helpers of src/strategy/arbitrage/summary.ts: dollars to the cent,
 * shares to two decimals, prices as exact as their tick); times in UTC. Workflow-safe: no I/O, and the
 * only clock is the one handed in. For display only: never parse these strings back. All of it is
 * Markdown, with `$` escaped as the position's summary has it (two `$` would open a formula).
 */
import { formatUsd, type Micros } from "../src/money";
import type { MarketRef } from "../src/session/market";
import type { Outcome, Side } from "../src/session/messages";
import type { PositionPhase } from "../src/strategy/arbitrage/records";
import { formatPrice, formatShares, markdown } from "../src/strategy/arbitrage/summary";

/** A position's phase, defined with the pure code that maps it to the seed's tables. */
export type { PositionPhase };

export interface PositionView {
  positionId: string;
  slug: string;
  asset: string;
  phase: PositionPhase;
  halted: boolean;
  upShares: Micros;
  downShares: Micros;
  netCost: Micros;
  hedgeRatio: number;
  guaranteedPnl: Micros;
  rebalanceTrades: number;
  orders: number;
  /** Orders whose outcome is not final yet (in flight, delayed at the venue, or unknown). */
  openOrders: number;
  /** Fills held back because they may belong to an order whose id is not known yet. */
  bufferedFills: number;
  pnl?: Micros;
  winner?: "UP" | "DOWN";
}

export interface SessionView {
  slug: string;
  asset: string;
  startMs: number;
  endMs: number;
  halted: boolean;
  positionsStarted: number;
  openPositions: string[];
  lastBookSeq: number;
  /** The position waiting for the streaming worker's `execute` (ARB_ENTRY_PATH=armed), if any. */
  armedPositionId?: string;
  bestAsks?: { up: Micros | null; down: Micros | null };
  runsSoFar: number;
}

/** A time of day in UTC, to the minute (1764789300000 → "19:15"). */
export function utcTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/** A market window in UTC ("19:15–19:30 UTC"). */
export function windowText(market: Pick<MarketRef, "startMs" | "endMs">): string {
  return `${utcTime(market.startMs)}–${utcTime(market.endMs)} UTC`;
}

/** A window length for a person (900_000 → "15m", 3_600_000 → "1h", 90_000 → "90s"). */
export function durationText(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

type WindowRef = Pick<MarketRef, "asset" | "slug" | "startMs" | "endMs">;

/** A session's static summary (`BTC arbitrage session, btc-updown-15m-1764789300, 19:15–19:30 UTC`). */
export function sessionSummary(market: WindowRef, startedHalted = false): string {
  return markdown(
    `${market.asset} arbitrage session, ${market.slug}, ${windowText(market)}${startedHalted ? ", started halted" : ""}`,
  );
}

/** A session's current details: its state, positions, the armed one, the best asks, the last book, the end. */
export function sessionDetails(v: SessionView, ended = false): string {
  const state = ended ? "**ended**" : v.halted ? "**HALTED** (opens no position)" : "**trading**";
  const positions = `${v.positionsStarted} position${v.positionsStarted === 1 ? "" : "s"} started, ${v.openPositions.length} open`;
  const armed = v.armedPositionId ? ` · armed ${v.armedPositionId}` : "";
  const ask = (p: Micros | null) => (p === null ? "none" : formatPrice(p));
  const asks = v.bestAsks
    ? `best asks Up ${ask(v.bestAsks.up)} / Down ${ask(v.bestAsks.down)} · book #${v.lastBookSeq}`
    : "no book yet";
  return markdown(
    `${state} ${v.slug}: ${positions}${armed} · ${asks} · window ${ended ? "ended" : "ends"} ${utcTime(v.endMs)} UTC`,
  );
}

/** A market feed's static summary (`BTC market feed, btc-updown-15m-1764789300, 19:15–19:30 UTC`). */
export function feedSummary(market: WindowRef): string {
  return markdown(`${market.asset} market feed, ${market.slug}, ${windowText(market)}`);
}

/** A market feed's details (set once: it only runs its streamMarket activity). */
export function feedDetails(
  market: WindowRef,
  feed: { taskQueue: string; sessionWorkflowId: string; armedDetection: boolean },
): string {
  const armed = feed.armedDetection ? " · detects on every book and triggers the armed position" : "";
  return markdown(
    `**streaming** ${market.slug} (${windowText(market)}) to ${feed.sessionWorkflowId}, on task queue \`${feed.taskQueue}\`${armed}`,
  );
}

/** A scheduler's static summary (`BTC scheduler: an arbitrage session for every 15m window`). */
export function schedulerSummary(asset: string, windowMs: number): string {
  return markdown(`${asset} scheduler: an arbitrage session for every ${durationText(windowMs)} window`);
}

/** What a scheduler's current details show. */
export interface SchedulerDetailsView {
  asset: string;
  windowMs: number;
  /** The control state as last heard; undefined: not known (yet, or a run from before control). */
  control?: { halted: boolean; reason?: string };
  /** The latest window whose session is started. */
  latest?: Pick<MarketRef, "slug" | "startMs" | "endMs">;
  /** Sessions told of every halt and resume (window not over). */
  liveSessions: number;
  /** When it looks for windows next. */
  nextLookMs?: number;
}

/** A scheduler's current details: halted or not, its asset and window, the latest session started. */
export function schedulerDetails(v: SchedulerDetailsView): string {
  const state =
    v.control === undefined
      ? "**trading** (control state not known)"
      : v.control.halted
        ? `**HALTED**: ${v.control.reason ?? ""} (sessions start halted)`
        : "**trading**";
  const latest = v.latest
    ? ` · session started for ${v.latest.slug} (${windowText(v.latest)})`
    : " · no session started yet";
  const next = v.nextLookMs !== undefined ? ` · next look ${utcTime(v.nextLookMs)} UTC` : "";
  return markdown(
    `${state} ${v.asset}, ${durationText(v.windowMs)} windows${latest} · ${v.liveSessions} live session${v.liveSessions === 1 ? "" : "s"}${next}`,
  );
}

/** The control workflow's static summary, wherever it is started (the CLI, or a scheduler that misses it). */
export const CONTROL_SUMMARY = "Operator control: `ballast halt` / `ballast resume` of all trading";

// ---------------------------------------------------------------- activity summaries (the timeline)

const OUTCOME_TEXT: Record<Outcome, string> = { UP: "Up", DOWN: "Down" };

/** What an order does, in the lifecycle's words ("buy Up leg", "sell excess Down", "buy deficit Up"). */
export function orderLabel(purpose: "entry" | "rebalance", outcome: Outcome, side: Side): string {
  const o = OUTCOME_TEXT[outcome];
  if (purpose === "entry") return `${side === "BUY" ? "buy" : "sell"} ${o} leg`;
  return side === "SELL" ? `sell excess ${o}` : `buy deficit ${o}`;
}

/** placeOrder's summary ("buy Up leg 10.00 @ $0.45": gross shares at the FAK's limit). */
export function placeOrderSummary(
  purpose: "entry" | "rebalance",
  outcome: Outcome,
  side: Side,
  shares: Micros,
  price: Micros,
): string {
  return markdown(`${orderLabel(purpose, outcome, side)} ${formatShares(shares)} @ ${formatPrice(price)}`);
}

/** readOrder's summary ("read back order #2, buy Down leg"). */
export function readOrderSummary(seq: number, label: string): string {
  return markdown(`read back order #${seq}, ${label}`);
}

/** upsertOrder's summary ("record order #2, buy Down leg: MATCHED, 10.00 matched"). */
export function recordOrderSummary(seq: number, label: string, status: string, matched: Micros): string {
  return markdown(`record order #${seq}, ${label}: ${status}, ${formatShares(matched)} matched`);
}

/** upsertFill's summary ("record fill: buy Up 10.00 @ $0.45, MINED"). */
export function recordFillSummary(
  outcome: Outcome | undefined,
  side: Side,
  size: Micros,
  price: Micros,
  status: string,
): string {
  const o = outcome ? ` ${OUTCOME_TEXT[outcome]}` : "";
  return markdown(
    `record fill: ${side === "BUY" ? "buy" : "sell"}${o} ${formatShares(size)} @ ${formatPrice(price)}, ${status}`,
  );
}

/** upsertPosition's summary ("record position: IMBALANCED, Up 10.00 / Down 6.00, cost $7.45"). */
export function recordPositionSummary(status: string, up: Micros, down: Micros, cost: Micros): string {
  return markdown(
    `record position: ${status}, Up ${formatShares(up)} / Down ${formatShares(down)}, cost ${formatUsd(cost)}`,
  );
}

/** recordRebalanceTrade's summary ("record rebalance: sell excess Down 3.00, SUCCESS, 3.00 filled"). */
export function recordRebalanceSummary(
  label: string,
  shares: Micros,
  status: string,
  filled: Micros,
): string {
  return markdown(
    `record rebalance: ${label} ${formatShares(shares)}, ${status}, ${formatShares(filled)} filled`,
  );
}

/** resolvePosition's summary ("record resolution: Up won, P&L $0.22"). */
export function recordResolutionSummary(winner: Outcome, pnl: Micros): string {
  return markdown(`record resolution: ${OUTCOME_TEXT[winner]} won, P&L ${formatUsd(pnl)}`);
}
