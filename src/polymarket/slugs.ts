/**
 * Polymarket's names of the rolling up/down windows: `btc-updown-15m-1767200400` is BTC's 15-minute
 * window starting at unix second 1767200400. Pure; shared by the market-data activities (finding the
 * windows on Gamma) and the simulator (listing them), which is why it lives here and not in either.
 */

const UNITS: readonly [number, string][] = [
  [86_400_000, "d"],
  [3_600_000, "h"],
  [60_000, "m"],
  [1_000, "s"],
];

/** "15m" for 900000, "5m", "2m", "1h", "4h", "1d", "30s". Throws for a non-whole-second window. */
export function windowLabel(windowMs: number): string {
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new RangeError(`window must be a positive integer of ms, got ${windowMs}`);
  }
  for (const [unit, suffix] of UNITS) {
    if (windowMs % unit === 0) return `${windowMs / unit}${suffix}`;
  }
  throw new RangeError(`window must be whole seconds, got ${windowMs} ms`);
}

/** Inverse of {@link windowLabel}: "15m" → 900000; undefined if not a label. */
export function parseWindowLabel(label: string): number | undefined {
  const m = /^(\d+)([smhd])$/.exec(label);
  if (!m) return undefined;
  const unit = UNITS.find(([, s]) => s === m[2]);
  const n = Number(m[1]);
  if (!unit || n <= 0) return undefined;
  return n * unit[0];
}

/** Polymarket's slug of an up/down window: `{asset}-updown-{15m|5m|1h…}-{unix start}`. */
export function windowSlug(asset: string, windowMs: number, startMs: number): string {
  return `${asset.toLowerCase()}-updown-${windowLabel(windowMs)}-${Math.floor(startMs / 1000)}`;
}
