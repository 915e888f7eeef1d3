/**
 * The seed's analysis queries (000, "Analysis Queries"), ported to PostgreSQL: julianday()
 * arithmetic becomes EXTRACT(EPOCH FROM interval), and averages stay exact numerics until display.
 */
import type { Pool } from "pg";

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
