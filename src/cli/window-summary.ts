/**
 * The per-window summary `ballast start` prints: a window is announced once, when every position of it
 * is final (RESOLVED, ABANDONED or UNRESOLVED) and at least one resolved, with all of them counted;
 * windows already complete when the stack starts are not printed again.
 */

/** One market window's positions as the trades table has them. */
export interface WindowRow {
  slug: string;
  positions: number;
  resolved: number;
  unresolved: number;
  /** Positions not final yet (open, balanced, imbalanced). */
  pending: number;
  /** Sum of actual_profit over the resolved positions, pUSD as a decimal string. */
  pnl: string;
  /** YES (Up) or NO (Down), from a resolved position; null if none resolved. */
  winner: string | null;
}

/** Final statuses: a position in one of them changes no more. */
export const FINAL_STATUSES = ["RESOLVED", "ABANDONED", "UNRESOLVED"] as const;

/** The summary's SQL: one row per market window (the slug), in the order they last changed. */
export const WINDOW_ROWS_SQL = `SELECT market_slug AS slug,
    count(*)::int AS positions,
    (count(*) FILTER (WHERE status = 'RESOLVED'))::int AS resolved,
    (count(*) FILTER (WHERE status = 'UNRESOLVED'))::int AS unresolved,
    (count(*) FILTER (WHERE status NOT IN ('RESOLVED', 'ABANDONED', 'UNRESOLVED')))::int AS pending,
    coalesce(sum(actual_profit) FILTER (WHERE status = 'RESOLVED'), 0)::text AS pnl,
    max(winning_outcome) AS winner
  FROM trades GROUP BY market_slug ORDER BY max(coalesce(resolved_at, created_at))`;

export function windowComplete(row: WindowRow): boolean {
  return row.pending === 0 && row.resolved + row.unresolved > 0;
}

/** The line for a complete window. */
export function windowLine(row: WindowRow): string {
  const winner = row.winner === "YES" ? "Up won" : row.winner === "NO" ? "Down won" : "no winner known";
  const extra = row.unresolved > 0 ? `, ${row.unresolved} UNRESOLVED` : "";
  const pnl = Number(row.pnl);
  const money = `${pnl < 0 ? "-" : ""}$${Math.abs(pnl).toFixed(2)}`;
  return `resolved ${row.slug}: ${winner}, ${row.positions} position(s)${extra}, P&L ${money}`;
}

/**
 * The lines to print now, adding their windows to `announced`. With `silent` (the first look after a
 * start), complete windows are only remembered: they were summarised by an earlier run.
 */
export function windowsToAnnounce(
  rows: readonly WindowRow[],
  announced: Set<string>,
  silent: boolean,
): string[] {
  const lines: string[] = [];
  for (const row of rows) {
    if (announced.has(row.slug) || !windowComplete(row)) continue;
    announced.add(row.slug);
    if (!silent) lines.push(windowLine(row));
  }
  return lines;
}
