/**
 * Reconnect backoff for the venue WebSocket channels.
 *
 * "Full jitter" (Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog): the delay
 * before attempt n is uniform in [0, min(cap, base * 2^n)). Spreading reconnects over the whole
 * window matters here because a venue-side restart drops every client at once; without jitter
 * they would all come back in lock-step.
 */

export interface BackoffPolicy {
  /** Upper bound of the first window (attempt 0), in ms. */
  readonly baseMs: number;
  /** No window ever exceeds this, in ms. */
  readonly capMs: number;
}

/** A source of uniform numbers in [0, 1), like Math.random; injectable so tests are deterministic. */
export type RandomSource = () => number;

/**
 * Delay in whole ms before the reconnect attempt with the given 0-based index: an integer in
 * [0, min(capMs, baseMs * 2^attempt)).
 */
export function fullJitterBackoffMs(attempt: number, policy: BackoffPolicy, random: RandomSource): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`backoff attempt must be a non-negative integer, got ${attempt}`);
  }
  assertBackoffPolicy(policy);
  // 2 ** attempt overflows to Infinity for large attempts; min() then yields the cap.
  const window = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * window);
}

/** Throws unless 0 < baseMs <= capMs (both finite). */
export function assertBackoffPolicy(policy: BackoffPolicy): void {
  const { baseMs, capMs } = policy;
  if (!(baseMs > 0) || !(capMs >= baseMs) || !Number.isFinite(capMs)) {
    throw new RangeError(`backoff needs 0 < baseMs <= capMs < Infinity, got ${baseMs} and ${capMs}`);
  }
}
