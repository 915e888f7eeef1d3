/**
 * Refresh rate limits of quoting: MIN_REFRESH_INTERVAL_MS per market and GLOBAL_REFRESH_CAP_PER_SEC
 * across markets. A refresh is one market's round of placements (new quotes or replacements, one side
 * or both); cancels are never limited (reconcile.ts sends the cancels that protect us whatever the
 * limiter says).
 *
 * The global cap is a sliding window: with cap c, at most n = max(1, floor(c)) refreshes in any window of
 * round(1000 × n ÷ c) ms — at most 10 in any second for the default 10, one per 2 s for 0.5.
 *
 * Plain JSON state; pure functions of it and the caller's time.
 */
import type { QuotingParams } from "./params";

export type RefreshParams = Pick<QuotingParams, "minRefreshIntervalMs" | "globalRefreshCapPerSec">;

export interface RefreshLimiter {
  /** Last refresh time of each market (ms). */
  lastRefreshAtMs: Record<string, number>;
  /** Times of the refreshes within the global window, oldest first. */
  recentMs: number[];
}

export function emptyRefreshLimiter(): RefreshLimiter {
  return { lastRefreshAtMs: {}, recentMs: [] };
}

/** The global window: n refreshes per windowMs. */
export function globalWindow(params: RefreshParams): { n: number; windowMs: number } {
  const n = Math.max(1, Math.floor(params.globalRefreshCapPerSec));
  return { n, windowMs: Math.round((1_000 * n) / params.globalRefreshCapPerSec) };
}

/** May `market` refresh at `nowMs`: its own interval has passed and the global window has room. */
export function mayRefresh(
  limiter: RefreshLimiter,
  market: string,
  nowMs: number,
  params: RefreshParams,
): boolean {
  const last = limiter.lastRefreshAtMs[market];
  if (last !== undefined && nowMs - last < params.minRefreshIntervalMs) return false;
  const { n, windowMs } = globalWindow(params);
  return limiter.recentMs.filter((t) => nowMs - t < windowMs).length < n;
}

/** Records a refresh of `market` at `nowMs`. */
export function recordRefresh(
  limiter: RefreshLimiter,
  market: string,
  nowMs: number,
  params: RefreshParams,
): RefreshLimiter {
  const { windowMs } = globalWindow(params);
  return {
    lastRefreshAtMs: { ...limiter.lastRefreshAtMs, [market]: nowMs },
    recentMs: [...limiter.recentMs.filter((t) => nowMs - t < windowMs), nowMs],
  };
}
