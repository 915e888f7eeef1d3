/**
 * The seed's analysis queries (000, "Analysis Queries"), ported to PostgreSQL: julianday()
 * arithmetic becomes EXTRACT(EPOCH FROM interval), and averages stay exact numerics until display.
 *
 * And the seed's "Success Metrics" over the ledger, with a summary, as printable report sections
 * (runReport). Definitions:
 * - a partial fill is a position whose initial hedge ratio (min/max of the initial shares) was below the
 *   rebalance threshold, with something filled; it was rebalanced when position_balanced_at is set;
 * - Rebalancing Rate: rebalanced partial fills / partial fills;
 * - Avg Time to Rebalance: order_filled_at → position_balanced_at over rebalanced partial fills;
 * - Rebalancing Profit: rebalance_trades.profit of the SUCCESS and PARTIAL attempts, which is the profit as
 *   the seed means it (and as the position workflow records it from the fills obtained), summed apart for
 *   the two kinds because they are different quantities: a SELL's gain over the leg's average entry, net of
 *   fees (shares × (net price − entry)); a BUY's guaranteed P&L that the position locks in after it (the
 *   position's whole locked-in P&L, not an increment: not the improvement of the guaranteed P&L, which is
 *   about $0.50 a share whenever a gap closes);
 * - Avoided Losses: over rebalanced, resolved partial fills, actual profit minus what the ORIGINAL
 *   position would have made under the actual winner (winning side's initial shares × $1 − initial cost):
 *   the loss it would have had minus the loss it had. Net: negative when rebalancing gave up more upside
 *   than it saved;
 * - Fill Rate: rebalancing attempts that filled at all (SUCCESS or PARTIAL) / all attempts;
 * - Summary: positions, open, resolved, total P&L (Σ actual profit of resolved positions), win rate, and
 *   the resolved positions that were guaranteed positive (min(final YES, final NO) × $1 > total cost) with
 *   their win rate (which should be 100%).
 */
import type { Pool } from "pg";
import { formatMicros, parseMicros } from "../money";

export interface AnalysisQuery {
  title: string;
  sql: string;
}

export const ANALYSIS_QUERIES: readonly AnalysisQuery[] = [
  {
    title: "Execution latency",
    sql: `SELECT
    round(AVG(execution_latency_ms)::numeric, 1) AS avg_latency_ms,
    round(MIN(execution_latency_ms)::numeric, 1) AS min_latency_ms,
    round(MAX(execution_latency_ms)::numeric, 1) AS max_latency_ms,
    COUNT(*) AS total_trades
FROM trade_telemetry
WHERE order_placed_at IS NOT NULL`,
  },
  {
    title: "Trades that required rebalancing",
    sql: `SELECT
    COUNT(*) AS total_needing_rebalance,
    COUNT(*) FILTER (WHERE position_balanced_at IS NOT NULL) AS successfully_balanced,
    round(AVG(rebalance_attempts), 2) AS avg_attempts
FROM trade_telemetry
WHERE rebalance_started_at IS NOT NULL`,
  },
  {
    title: "Time to balance",
    sql: `SELECT time_bucket, COUNT(*) AS count
FROM (
    SELECT CASE
        WHEN EXTRACT(EPOCH FROM (position_balanced_at - order_filled_at)) < 60 THEN '< 1 min'
        WHEN EXTRACT(EPOCH FROM (position_balanced_at - order_filled_at)) < 300 THEN '1-5 min'
        ELSE '> 5 min'
    END AS time_bucket
    FROM trade_telemetry
    WHERE position_balanced_at IS NOT NULL
) buckets
GROUP BY time_bucket
ORDER BY min(CASE time_bucket WHEN '< 1 min' THEN 1 WHEN '1-5 min' THEN 2 ELSE 3 END)`,
  },
];

export interface AnalysisResult {
  title: string;
  rows: Record<string, unknown>[];
}

export async function runAnalysis(pool: Pool): Promise<AnalysisResult[]> {
  const results: AnalysisResult[] = [];
  for (const q of ANALYSIS_QUERIES) {
    const { rows } = await pool.query(q.sql);
    results.push({ title: q.title, rows });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------
// Report

export interface ReportSection {
  title: string;
  /** What the numbers mean, when the title alone would mislead. */
  note?: string;
  columns: string[];
  /** Display strings, one per column; empty when there is nothing to report yet. */
  rows: string[][];
}

export interface ReportOptions {
  /** The hedge ratio under which a fill counts as partial (arbitrage.rebalanceThreshold); default 0.8. */
  rebalanceThreshold?: number;
}

type Format = "int" | "money" | "pct" | "num";

interface MetricQuery {
  title: string;
  note?: string;
  sql: string;
  /** [column label, result field, format] */
  columns: readonly (readonly [string, string, Format])[];
  /** The field whose value 0 (or an empty result) means "no data". */
  population: string;
  usesThreshold?: boolean;
}

const PARTIAL_FILLS = `partial AS (
    SELECT tt.*
    FROM trade_telemetry tt
    WHERE GREATEST(tt.initial_yes_shares, tt.initial_no_shares) > 0
      AND COALESCE(tt.initial_hedge_ratio,
                   LEAST(tt.initial_yes_shares, tt.initial_no_shares)
                   / GREATEST(tt.initial_yes_shares, tt.initial_no_shares)) < $1::numeric
)`;

export const REPORT_QUERIES: readonly MetricQuery[] = [
  {
    title: "Summary",
    population: "positions",
    columns: [
      ["positions", "positions", "int"],
      ["open", "open", "int"],
      ["resolved", "resolved", "int"],
      ["unresolved", "unresolved", "int"],
      ["total P&L", "total_pnl", "money"],
      ["win rate %", "win_rate_pct", "pct"],
      ["guaranteed positive", "guaranteed", "int"],
      ["their win rate %", "guaranteed_win_rate_pct", "pct"],
    ],
    sql: `SELECT
    count(*) AS positions,
    count(*) FILTER (WHERE status NOT IN ('RESOLVED', 'ABANDONED', 'UNRESOLVED')) AS open,
    count(*) FILTER (WHERE status = 'RESOLVED') AS resolved,
    count(*) FILTER (WHERE status = 'UNRESOLVED') AS unresolved,
    COALESCE(sum(actual_profit) FILTER (WHERE status = 'RESOLVED'), 0) AS total_pnl,
    round(100.0 * count(*) FILTER (WHERE status = 'RESOLVED' AND actual_profit > 0)
          / NULLIF(count(*) FILTER (WHERE status = 'RESOLVED'), 0), 1) AS win_rate_pct,
    count(*) FILTER (WHERE g) AS guaranteed,
    round(100.0 * count(*) FILTER (WHERE g AND actual_profit > 0) / NULLIF(count(*) FILTER (WHERE g), 0), 1)
        AS guaranteed_win_rate_pct
FROM (
    SELECT *, (status = 'RESOLVED' AND LEAST(final_yes_shares, final_no_shares) > total_cost) IS TRUE AS g
    FROM trades
) t`,
  },
  {
    title: "Rebalancing rate",
    population: "partial_fills",
    usesThreshold: true,
    columns: [
      ["partial fills", "partial_fills", "int"],
      ["rebalanced", "rebalanced", "int"],
      ["rebalancing rate %", "rate_pct", "pct"],
    ],
    sql: `WITH ${PARTIAL_FILLS}
SELECT
    count(*) AS partial_fills,
    count(*) FILTER (WHERE position_balanced_at IS NOT NULL) AS rebalanced,
    round(100.0 * count(*) FILTER (WHERE position_balanced_at IS NOT NULL) / NULLIF(count(*), 0), 1) AS rate_pct
FROM partial`,
  },
  {
    title: "Time to rebalance",
    population: "rebalanced",
    usesThreshold: true,
    columns: [
      ["rebalanced", "rebalanced", "int"],
      ["avg s", "avg_s", "num"],
      ["min s", "min_s", "num"],
      ["max s", "max_s", "num"],
    ],
    sql: `WITH ${PARTIAL_FILLS}, timed AS (
    SELECT EXTRACT(EPOCH FROM (position_balanced_at - order_filled_at)) AS s
    FROM partial
    WHERE position_balanced_at IS NOT NULL AND order_filled_at IS NOT NULL
)
SELECT count(*) AS rebalanced, round(avg(s), 1) AS avg_s, round(min(s), 1) AS min_s, round(max(s), 1) AS max_s
FROM timed`,
  },
  {
    title: "Rebalancing profit",
    note:
      "the seed's profit of each filled rebalancing trade: a SELL's gain over the leg's average entry, net " +
      "of fees; a BUY's guaranteed P&L that the position locks in after it (the whole position's, not an increment)",
    population: "filled_trades",
    columns: [
      ["filled rebalancing trades", "filled_trades", "int"],
      ["positions", "positions", "int"],
      ["SELL gain over entry", "sell_gain", "money"],
      ["BUY locked-in P&L", "buy_locked_in", "money"],
    ],
    sql: `SELECT
    count(*) AS filled_trades,
    count(DISTINCT trade_id) AS positions,
    COALESCE(sum(profit) FILTER (WHERE action LIKE 'SELL%'), 0) AS sell_gain,
    COALESCE(sum(profit) FILTER (WHERE action LIKE 'BUY%'), 0) AS buy_locked_in
FROM rebalance_trades
WHERE status IN ('SUCCESS', 'PARTIAL')`,
  },
  {
    title: "Avoided losses",
    population: "positions",
    usesThreshold: true,
    columns: [
      ["rebalanced & resolved", "positions", "int"],
      ["would have lost", "would_have_lost", "int"],
      ["original P&L", "original_pnl", "money"],
      ["actual P&L", "actual_pnl", "money"],
      ["avoided losses", "avoided", "money"],
    ],
    sql: `WITH ${PARTIAL_FILLS}, compared AS (
    SELECT t.actual_profit AS actual,
           CASE t.winning_outcome WHEN 'YES' THEN p.initial_yes_shares ELSE p.initial_no_shares END
               - p.initial_cost AS original
    FROM partial p JOIN trades t ON t.id = p.trade_id
    WHERE p.position_balanced_at IS NOT NULL
      AND t.status = 'RESOLVED' AND t.winning_outcome IS NOT NULL AND t.actual_profit IS NOT NULL
      AND p.initial_cost IS NOT NULL
)
SELECT
    count(*) AS positions,
    count(*) FILTER (WHERE original < 0) AS would_have_lost,
    COALESCE(sum(original), 0) AS original_pnl,
    COALESCE(sum(actual), 0) AS actual_pnl,
    COALESCE(sum(actual - original), 0) AS avoided
FROM compared`,
  },
  {
    title: "Rebalancing fill rate",
    population: "attempts",
    columns: [
      ["attempts", "attempts", "int"],
      ["filled", "filled", "int"],
      ["partial", "partial", "int"],
      ["failed", "failed", "int"],
      ["fill rate %", "fill_rate_pct", "pct"],
      ["shares asked", "shares", "money"],
      ["shares filled", "filled_shares", "money"],
    ],
    sql: `SELECT
    count(*) AS attempts,
    count(*) FILTER (WHERE status = 'SUCCESS') AS filled,
    count(*) FILTER (WHERE status = 'PARTIAL') AS partial,
    count(*) FILTER (WHERE status = 'FAILED') AS failed,
    round(100.0 * count(*) FILTER (WHERE status IN ('SUCCESS', 'PARTIAL')) / NULLIF(count(*), 0), 1)
        AS fill_rate_pct,
    COALESCE(sum(shares), 0) AS shares,
    COALESCE(sum(filled_shares), 0) AS filled_shares
FROM rebalance_trades`,
  },
  {
    title: "Execution latency",
    population: "total_trades",
    columns: [
      ["trades", "total_trades", "int"],
      ["avg ms", "avg_latency_ms", "num"],
      ["min ms", "min_latency_ms", "num"],
      ["max ms", "max_latency_ms", "num"],
    ],
    sql: ANALYSIS_QUERIES[0]!.sql,
  },
  {
    title: "Trades that required rebalancing",
    population: "total_needing_rebalance",
    columns: [
      ["needing rebalance", "total_needing_rebalance", "int"],
      ["balanced", "successfully_balanced", "int"],
      ["avg attempts", "avg_attempts", "num"],
    ],
    sql: ANALYSIS_QUERIES[1]!.sql,
  },
  {
    title: "Time to balance",
    population: "count",
    columns: [
      ["time to balance", "time_bucket", "num"],
      ["positions", "count", "int"],
    ],
    sql: ANALYSIS_QUERIES[2]!.sql,
  },
];

function display(value: unknown, format: Format): string {
  if (value === null || value === undefined) return "-";
  if (format === "money") return formatMicros(parseMicros(String(value)), 2);
  return String(value);
}

/** Every report section, in order; a section with nothing to report has no rows. */
export async function runReport(pool: Pool, options: ReportOptions = {}): Promise<ReportSection[]> {
  const threshold = options.rebalanceThreshold ?? 0.8;
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`rebalance threshold must be in [0, 1]`);
  const sections: ReportSection[] = [];
  for (const q of REPORT_QUERIES) {
    const { rows } = await pool.query(q.sql, q.usesThreshold ? [String(threshold)] : []);
    const populated = rows.filter((r) => Number(r[q.population] ?? 0) > 0);
    sections.push({
      title: q.title,
      ...(q.note ? { note: q.note } : {}),
      columns: q.columns.map(([label]) => label),
      rows: populated.map((r) => q.columns.map(([, field, format]) => display(r[field], format))),
    });
  }
  return sections;
}
