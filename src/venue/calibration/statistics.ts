/**
 * The statistics that compare the simulator's books with the real venue's (`npm run calibrate`):
 * pure code over per-window book observations, the same for the shared data (data.ts) and the
 * simulator (simulated.ts).
 *
 * An observation is one read of both tokens' books at `tMs` after the window's start: best bid and
 * ask (price micros) and the summed size of the 5 best levels on each side (share micros), `null`
 * for a side with no orders. A token's book is "two-sided" when it has both a bid and an ask,
 * "one-sided" when it has exactly one, "empty" when it has neither.
 *
 * - Spread, per token, over its two-sided observations: ask − bid in 0.01 ticks, rounded up (so a
 *   0.009 spread on the 0.001 tick near 0 or 1 counts as 1 tick); a book whose ask is at or below
 *   its bid counts as "crossed" and in no tick bucket.
 * - Top-5 depth, per side (bid, ask), both tokens pooled, over the observations where that side is
 *   present (an absent side counts in the one-sided shares, not as depth 0): mean and median, in
 *   shares; the same split into "earlier" and the last 2 minutes of the window (thinning).
 * - One-sided and empty shares of token observations (Up and Down pooled) by where in the window
 *   they fall: until 3 minutes before the end, 3 to 1 minute before it, the last minute (minutes
 *   0–12, 12–14, 14–15 of a 15-minute window).
 * - The Up price at checkpoints (minutes 5 and 10, and the end): in each window, the latest
 *   observation at or before the checkpoint and at most `checkpointToleranceMs` before it that gives
 *   a price. Its price is, in this order: Up's mid when Up's book is two-sided; else 1 − Down's mid
 *   when Down's is; else the one price Up's book has; else 1 − the one price Down's book has (a book
 *   with only a bid at 0.99 says Up is worth about 1). Over windows: the share within 0.1 of 0 or 1
 *   (price ≤ 0.1 or ≥ 0.9), quartiles (linear interpolation between order statistics), how many
 *   prices came from each rule, and how many windows had none.
 */
import { type Micros, ONE } from "../../money";

/** One token's book: best prices (micros) and the 5 best levels' summed size (micros); null = no side. */
export interface TokenBook {
  bid: Micros | null;
  ask: Micros | null;
  bidDepth5: Micros | null;
  askDepth5: Micros | null;
}

export interface BookObservation {
  /** Since the window's start. */
  tMs: number;
  windowMs: number;
  up: TokenBook;
  down: TokenBook;
}

/** The observations of one whole window, in time order. */
export interface WindowObservations {
  /** E.g. the window's start as ISO text or the market's slug. */
  id: string;
  windowMs: number;
  observations: BookObservation[];
}

/** The 0.01 tick spreads are counted in. */
export const SPREAD_TICK: Micros = 10_000;
/** The end of the window that counts as "the last minutes" for thinning. */
export const LATE_MS = 120_000;
/** Checkpoint prices are looked up at most this long before the checkpoint. */
export const CHECKPOINT_TOLERANCE_MS = 10_000;
/** "Near 0 or 1": a price at most this far from either. */
export const EXTREME_DISTANCE = 0.1;

export interface SpreadDistribution {
  /** Two-sided observations of the token. */
  twoSided: number;
  /** Of those, ask ≤ bid. */
  crossed: number;
  /** Shares of the two-sided observations (null when there are none). */
  oneTick: number | null;
  twoTicks: number | null;
  threePlusTicks: number | null;
}

export interface DepthSummary {
  /** Observations of the side (present). */
  n: number;
  /** Shares; null when n = 0. */
  mean: number | null;
  median: number | null;
}

export interface SideDepth {
  bid: DepthSummary;
  ask: DepthSummary;
}

export interface BucketShares {
  /** [fromMs, toMs) before the window's end, as labelled. */
  label: string;
  /** Token observations (each observation gives two: Up and Down). */
  n: number;
  oneSided: number | null;
  empty: number | null;
}

export type PriceSource = "upMid" | "downMid" | "upOneSided" | "downOneSided";

export interface CheckpointStats {
  label: string;
  /** Since the window's start. */
  atMs: number;
  /** Windows with a price. */
  n: number;
  /** Windows without one (no observation in the tolerance gives a price). */
  missing: number;
  /** Share of n within EXTREME_DISTANCE of 0 or 1. */
  nearZeroOrOne: number | null;
  q1: number | null;
  median: number | null;
  q3: number | null;
  sources: Record<PriceSource, number>;
}

export interface CalibrationStats {
  windows: number;
  observations: number;
  spread: { up: SpreadDistribution; down: SpreadDistribution; both: SpreadDistribution };
  depth: { all: SideDepth; earlier: SideDepth; late: SideDepth };
  /** By where in the window: minutes 0–12, 12–14, 14–15 of a 15-minute window. */
  sidedness: BucketShares[];
  checkpoints: CheckpointStats[];
}

export type BookState = "twoSided" | "oneSided" | "empty";

export function bookState(b: TokenBook): BookState {
  const n = (b.bid === null ? 0 : 1) + (b.ask === null ? 0 : 1);
  return n === 2 ? "twoSided" : n === 1 ? "oneSided" : "empty";
}

/** Spread in 0.01 ticks, rounded up; undefined unless two-sided; 0 or less when crossed or locked. */
export function spreadTicks(b: TokenBook): number | undefined {
  if (b.bid === null || b.ask === null) return undefined;
  const spread = b.ask - b.bid;
  if (spread <= 0) return 0;
  return Math.ceil(spread / SPREAD_TICK);
}

/**
 * The Up price an observation gives (see the file's comment for the order of the rules), as a
 * fraction of 1; undefined when neither token has a price.
 */
export function upPrice(o: BookObservation): { price: number; source: PriceSource } | undefined {
  const mid = (b: TokenBook) => ((b.bid as Micros) + (b.ask as Micros)) / 2 / ONE;
  const only = (b: TokenBook) => ((b.bid ?? b.ask) as Micros) / ONE;
  const up = bookState(o.up);
  const down = bookState(o.down);
  if (up === "twoSided") return { price: mid(o.up), source: "upMid" };
  if (down === "twoSided") return { price: 1 - mid(o.down), source: "downMid" };
  if (up === "oneSided") return { price: only(o.up), source: "upOneSided" };
  if (down === "oneSided") return { price: 1 - only(o.down), source: "downOneSided" };
  return undefined;
}

/** Arithmetic mean; null for none. */
export function mean(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics (position
 * q·(n − 1) in the sorted values, as numpy's default and R's type 7); null for none.
 */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] as number;
  const b = s[hi] as number;
  return a + (b - a) * (pos - lo);
}

const share = (k: number, n: number): number | null => (n === 0 ? null : k / n);

function spreadOf(books: readonly TokenBook[]): SpreadDistribution {
  let twoSided = 0;
  let crossed = 0;
  let one = 0;
  let two = 0;
  let more = 0;
  for (const b of books) {
    const t = spreadTicks(b);
    if (t === undefined) continue;
    twoSided++;
    if (t <= 0) crossed++;
    else if (t === 1) one++;
    else if (t === 2) two++;
    else more++;
  }
  return {
    twoSided,
    crossed,
    oneTick: share(one, twoSided),
    twoTicks: share(two, twoSided),
    threePlusTicks: share(more, twoSided),
  };
}

function depthOf(sizes: readonly Micros[]): DepthSummary {
  const shares = sizes.map((s) => s / ONE);
  return { n: shares.length, mean: mean(shares), median: quantile(shares, 0.5) };
}

function sideDepth(obs: readonly BookObservation[]): SideDepth {
  const bids: Micros[] = [];
  const asks: Micros[] = [];
  for (const o of obs) {
    for (const b of [o.up, o.down]) {
      // A side is present when it has a price; its depth is then what was read (0 if nothing was).
      if (b.bid !== null) bids.push(b.bidDepth5 ?? 0);
      if (b.ask !== null) asks.push(b.askDepth5 ?? 0);
    }
  }
  return { bid: depthOf(bids), ask: depthOf(asks) };
}

/** Buckets by time before the window's end: [more than 3 min), [3 min, 1 min), [last minute]. */
const BUCKETS: readonly { label: string; fromEndMs: number; toEndMs: number }[] = [
  { label: "until 3 min before the end (min 0-12)", fromEndMs: Number.POSITIVE_INFINITY, toEndMs: 180_000 },
  { label: "3 to 1 min before the end (min 12-14)", fromEndMs: 180_000, toEndMs: 60_000 },
  { label: "last minute (min 14-15)", fromEndMs: 60_000, toEndMs: 0 },
];

function sidednessOf(obs: readonly BookObservation[]): BucketShares[] {
  return BUCKETS.map(({ label, fromEndMs, toEndMs }) => {
    let n = 0;
    let one = 0;
    let empty = 0;
    for (const o of obs) {
      const left = o.windowMs - o.tMs;
      if (!(left <= fromEndMs && left > toEndMs)) continue;
      for (const b of [o.up, o.down]) {
        n++;
        const s = bookState(b);
        if (s === "oneSided") one++;
        else if (s === "empty") empty++;
      }
    }
    return { label, n, oneSided: share(one, n), empty: share(empty, n) };
  });
}

/** The checkpoints: minute 5, minute 10, the end (all before the window's end). */
export function checkpointsFor(windowMs: number): { label: string; atMs: number }[] {
  return [
    { label: "minute 5", atMs: Math.min(300_000, windowMs) },
    { label: "minute 10", atMs: Math.min(600_000, windowMs) },
    { label: "end", atMs: windowMs },
  ];
}

/** The Up price a window gives at `atMs` (see CHECKPOINT_TOLERANCE_MS), or undefined. */
export function priceAt(
  w: WindowObservations,
  atMs: number,
  toleranceMs = CHECKPOINT_TOLERANCE_MS,
): { price: number; source: PriceSource; tMs: number } | undefined {
  let best: { price: number; source: PriceSource; tMs: number } | undefined;
  for (const o of w.observations) {
    if (o.tMs > atMs || o.tMs < atMs - toleranceMs) continue;
    // Observations at the end of the window (tMs = windowMs) are not in it.
    if (o.tMs >= w.windowMs) continue;
    const p = upPrice(o);
    if (p && (best === undefined || o.tMs >= best.tMs)) best = { ...p, tMs: o.tMs };
  }
  return best;
}

function checkpointOf(windows: readonly WindowObservations[], label: string, atMs: number): CheckpointStats {
  const prices: number[] = [];
  const sources: Record<PriceSource, number> = { upMid: 0, downMid: 0, upOneSided: 0, downOneSided: 0 };
  let missing = 0;
  for (const w of windows) {
    const p = priceAt(w, Math.min(atMs, w.windowMs));
    if (!p) {
      missing++;
      continue;
    }
    prices.push(p.price);
    sources[p.source]++;
  }
  // Prices are at most 6 decimals: compare on a 1e-9 guard so 0.1 and 0.9 themselves count.
  const near = prices.filter((p) => p <= EXTREME_DISTANCE + 1e-9 || p >= 1 - EXTREME_DISTANCE - 1e-9).length;
  return {
    label,
    atMs,
    n: prices.length,
    missing,
    nearZeroOrOne: share(near, prices.length),
    q1: quantile(prices, 0.25),
    median: quantile(prices, 0.5),
    q3: quantile(prices, 0.75),
    sources,
  };
}

/** Every statistic over the given whole windows (all of one window length). */
export function computeStatistics(windows: readonly WindowObservations[]): CalibrationStats {
  const obs: BookObservation[] = [];
  for (const w of windows) for (const o of w.observations) obs.push(o);
  const windowMs = windows[0]?.windowMs ?? 900_000;
  if (windows.some((w) => w.windowMs !== windowMs))
    throw new RangeError("computeStatistics: windows of different lengths");
  const late = obs.filter((o) => o.windowMs - o.tMs <= LATE_MS);
  const earlier = obs.filter((o) => o.windowMs - o.tMs > LATE_MS);
  return {
    windows: windows.length,
    observations: obs.length,
    spread: {
      up: spreadOf(obs.map((o) => o.up)),
      down: spreadOf(obs.map((o) => o.down)),
      both: spreadOf(obs.flatMap((o) => [o.up, o.down])),
    },
    depth: { all: sideDepth(obs), earlier: sideDepth(earlier), late: sideDepth(late) },
    sidedness: sidednessOf(obs),
    checkpoints: checkpointsFor(windowMs).map((c) => checkpointOf(windows, c.label, c.atMs)),
  };
}
