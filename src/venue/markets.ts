/**
 * The simulator's market schedule: rolling up/down windows per asset, as Polymarket lists them
 * (`btc-updown-15m-1767200400` is BTC's 15-minute window starting at unix second 1767200400).
 *
 * - Window starts are multiples of `windowMs` since the unix epoch (15m windows start at :00, :15,
 *   :30, :45 UTC).
 * - A window is LISTED (exists on Gamma, accepts orders) `listAhead` windows before it opens:
 *   `listedMs = startMs − listAhead × windowMs`. With the default listAhead = 2, at any moment the
 *   current window and the next two are listed, which is exactly what {@link scheduleWindows}
 *   returns. (The real venue lists 15m windows about a day ahead; two windows keeps the simulator
 *   small while still exercising "listed but not open".)
 * - Every id is a pure function of (seed, slug): conditionId and questionId are sha256 digests
 *   ("0x" + 64 hex), token ids are sha256 digests printed as decimal integers (up to 78 digits,
 *   like the venue's ERC-1155 position ids). They are NOT derived the way the CTF contracts derive
 *   them (keccak of oracle/questionId/outcome count); nothing in the simulator needs that.
 *
 * Pure: no clock, no I/O (sha256 from node:crypto is a pure function).
 */
import { createHash } from "node:crypto";
import type { Micros } from "../money";
import { parseWindowLabel, windowLabel, windowSlug } from "../polymarket/slugs";
import type { Seed } from "./model/rng";
import type { Asset, MarketStatus, VenueMarket } from "./types";

export const ASSETS: readonly Asset[] = ["BTC", "ETH", "SOL", "XRP"];

/** Market parameters every simulated up/down market publishes (as the real crypto markets do). */
export const MARKET_PARAMS = {
  /** 0.01 */
  tickSize: 10_000 as Micros,
  /** 5 shares */
  minOrderSize: 5_000_000 as Micros,
  /** fd.r = 0.07 */
  feeRate: 70_000 as Micros,
  /** fd.e = 1 */
  feeExponent: 1,
} as const;

export const DEFAULT_WINDOW_MS = 900_000;
export const DEFAULT_LIST_AHEAD = 2;

/** Window labels are Polymarket's naming, shared with the market-data activities (src/polymarket/slugs.ts). */
export { parseWindowLabel, windowLabel };

/** Start of the window containing `ms`. */
export function windowStartMs(ms: number, windowMs: number): number {
  return Math.floor(ms / windowMs) * windowMs;
}

export interface ParsedSlug {
  asset: Asset;
  windowMs: number;
  startMs: number;
}

/** Parses `btc-updown-15m-1767200400`; undefined for anything else (or a misaligned start). */
export function parseSlug(slug: string): ParsedSlug | undefined {
  const m = /^([a-z]+)-updown-(\d+[smhd])-(\d{1,12})$/.exec(slug);
  if (!m) return undefined;
  const asset = (m[1] ?? "").toUpperCase() as Asset;
  if (!ASSETS.includes(asset)) return undefined;
  const windowMs = parseWindowLabel(m[2] ?? "");
  if (windowMs === undefined) return undefined;
  const startMs = Number(m[3]) * 1000;
  if (startMs % windowMs !== 0) return undefined;
  return { asset, windowMs, startMs };
}

function digest(seed: Seed, kind: string, slug: string): Buffer {
  return createHash("sha256").update(`ballast-venue|${seed}|${kind}|${slug}`).digest();
}

function hexId(seed: Seed, kind: string, slug: string): string {
  return `0x${digest(seed, kind, slug).toString("hex")}`;
}

function tokenId(seed: Seed, outcome: "Up" | "Down", slug: string): string {
  return BigInt(`0x${digest(seed, `token:${outcome}`, slug).toString("hex")}`).toString(10);
}

export interface WindowSpec {
  seed: Seed;
  asset: Asset;
  windowMs: number;
  startMs: number;
  listAhead?: number;
}

/** Recently built markets (hashing is the costly part; the result is a pure function of the key). */
const CACHE = new Map<string, VenueMarket>();
const CACHE_MAX = 512;

/** The market of one window. Deterministic in (seed, asset, windowMs, startMs, listAhead). */
export function venueMarket(spec: WindowSpec): VenueMarket {
  const { seed, asset, windowMs, startMs } = spec;
  const listAhead = spec.listAhead ?? DEFAULT_LIST_AHEAD;
  if (startMs % windowMs !== 0) throw new RangeError(`window start ${startMs} is not aligned to ${windowMs}`);
  const key = `${typeof seed}|${seed}|${asset}|${windowMs}|${startMs}|${listAhead}`;
  const hit = CACHE.get(key);
  if (hit) return { ...hit };
  const market = buildMarket(seed, asset, windowMs, startMs, listAhead);
  if (CACHE.size >= CACHE_MAX) {
    const oldest = CACHE.keys().next();
    if (!oldest.done) CACHE.delete(oldest.value);
  }
  CACHE.set(key, market);
  return { ...market };
}

function buildMarket(
  seed: Seed,
  asset: Asset,
  windowMs: number,
  startMs: number,
  listAhead: number,
): VenueMarket {
  // Whole seconds: venueMarket checked that startMs is a multiple of windowMs, itself whole seconds.
  const slug = windowSlug(asset, windowMs, startMs);
  return {
    asset,
    slug,
    conditionId: hexId(seed, "condition", slug),
    questionId: hexId(seed, "question", slug),
    tokenIds: [tokenId(seed, "Up", slug), tokenId(seed, "Down", slug)],
    startMs,
    endMs: startMs + windowMs,
    listedMs: startMs - listAhead * windowMs,
    tickSize: MARKET_PARAMS.tickSize,
    minOrderSize: MARKET_PARAMS.minOrderSize,
    feeRate: MARKET_PARAMS.feeRate,
    feeExponent: MARKET_PARAMS.feeExponent,
    negRisk: false,
  };
}

/** Rebuilds a market from its slug (e.g. a past window asked for by slug); undefined if not ours. */
export function marketFromSlug(
  seed: Seed,
  slug: string,
  listAhead = DEFAULT_LIST_AHEAD,
): VenueMarket | undefined {
  const parsed = parseSlug(slug);
  return parsed ? venueMarket({ seed, ...parsed, listAhead }) : undefined;
}

export interface ScheduleOptions {
  seed: Seed;
  assets: readonly Asset[];
  windowMs: number;
  nowMs: number;
  /** How many windows ahead of the current one are listed (default 2). */
  listAhead?: number;
}

/**
 * The markets listed at `nowMs`: for each asset, the current window and the next `listAhead`
 * ones — exactly the windows with listedMs ≤ nowMs < endMs. Ordered by start, then by `assets`.
 */
export function scheduleWindows(opts: ScheduleOptions): VenueMarket[] {
  const listAhead = opts.listAhead ?? DEFAULT_LIST_AHEAD;
  if (!Number.isSafeInteger(listAhead) || listAhead < 0) throw new RangeError(`bad listAhead ${listAhead}`);
  const current = windowStartMs(opts.nowMs, opts.windowMs);
  const out: VenueMarket[] = [];
  for (let i = 0; i <= listAhead; i++) {
    const startMs = current + i * opts.windowMs;
    for (const asset of opts.assets) {
      out.push(venueMarket({ seed: opts.seed, asset, windowMs: opts.windowMs, startMs, listAhead }));
    }
  }
  return out;
}

/**
 * Where a market is in its life at `nowMs`, by the clock alone: undefined before listing, then
 * listed → open → closed. "resolved" is the engine's call (after it settles), passed in here.
 */
export function statusAt(market: VenueMarket, nowMs: number, resolved = false): MarketStatus | undefined {
  if (resolved) return "resolved";
  if (nowMs < market.listedMs) return undefined;
  if (nowMs < market.startMs) return "listed";
  if (nowMs < market.endMs) return "open";
  return "closed";
}
