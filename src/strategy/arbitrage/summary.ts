/**
 * What a trader reads at a glance in the Web UI: a position's static summary (fixed when its session
 * starts it) and its current details (refreshed as it changes). Pure text from exact micros: dollars to
 * the cent, shares to two decimals, limit prices as exact as their tick. Workflow-safe (no I/O, no clock).
 * For display only: never parse these strings back.
 *
 * Both texts are Markdown (the Web UI renders them so). Its math extension takes two `$` in one text for
 * the ends of a formula ("buy at $0.45 and $0.47" would show as "\(0.45 and \)0.47"): dollar signs are
 * therefore written escaped, `\$`, which the UI shows as a plain `$`.
 */
import { formatMicros, formatRounded, formatUsd, type Micros } from "../../money";

/** Shares for a person: two decimals (27_180_000 → "27.18"). */
export function formatShares(m: Micros): string {
  return formatRounded(m, 2);
}

/** A price per share: at least cents, and every decimal a finer tick has (455_000 → "$0.455"). */
export function formatPrice(m: Micros): string {
  const text = formatMicros(m, 2);
  return text.startsWith("-") ? `-$${text.slice(1)}` : `$${text}`;
}

/**
 * A hedge ratio (min/max of the legs' shares) to two decimals, rounded down: a ratio below the
 * rebalancing threshold (0.8) never reads as the threshold itself (0.7995 → "0.79", 0.8 → "0.80").
 */
export function formatHedgeRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return "–";
  // The guard absorbs float noise of an exact ratio (17.40 / 21.75 = 0.8 may come out as 0.79999…).
  return (Math.floor(ratio * 100 + 1e-9) / 100).toFixed(2);
}

/** Markdown text with every `$` escaped (see above; the Web UI's math extension pairs them). */
export function markdown(text: string): string {
  return text.replace(/\$/g, "\\$");
}

/** The opportunity's sizes and limits, as the session decided them. */
export interface SummaryOpportunity {
  upShares: Micros;
  downShares: Micros;
  upLimitPrice: Micros;
  downLimitPrice: Micros;
  expectedProfit?: Micros;
}

/** A position's static summary (Markdown): what it set out to buy (`BTC arbitrage: buy 27.18 Up ≤ \$0.45 and …`). */
export function positionSummary(asset: string, o: SummaryOpportunity): string {
  const expected = o.expectedProfit !== undefined ? `, expected P&L ${formatUsd(o.expectedProfit)}` : "";
  return markdown(
    `${asset} arbitrage: buy ${formatShares(o.upShares)} Up ≤ ${formatPrice(o.upLimitPrice)} and ${formatShares(o.downShares)} Down ≤ ${formatPrice(o.downLimitPrice)}${expected}`,
  );
}

/** What a position's current details show (the fields of its PositionView it needs). */
export interface DetailsView {
  phase: string;
  slug: string;
  halted: boolean;
  upShares: Micros;
  downShares: Micros;
  netCost: Micros;
  hedgeRatio: number;
  guaranteedPnl: Micros;
  rebalanceTrades: number;
  pnl?: Micros;
  winner?: "UP" | "DOWN";
}

/**
 * A position's current details (Markdown): its state and market, the legs' shares, the hedge ratio, what
 * it cost, the guaranteed P&L, the rebalance trades; once resolved, the winner and the realized P&L.
 */
export function positionDetails(v: DetailsView): string {
  const state = v.halted ? `**${v.phase}** (halted)` : `**${v.phase}**`;
  const trades = `${v.rebalanceTrades} rebalance trade${v.rebalanceTrades === 1 ? "" : "s"}`;
  const resolved = v.pnl !== undefined ? ` · **${v.winner ?? "?"} won: P&L ${formatUsd(v.pnl)}**` : "";
  return markdown(
    `${state} ${v.slug}: Up ${formatShares(v.upShares)} / Down ${formatShares(v.downShares)} shares · hedge ${formatHedgeRatio(v.hedgeRatio)} · cost ${formatUsd(v.netCost)} · guaranteed P&L ${formatUsd(v.guaranteedPnl)} · ${trades}${resolved}`,
  );
}
