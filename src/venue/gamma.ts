/**
 * Gamma API payloads for the simulator's up/down markets, in the venue's real shapes.
 *
 * The field set and types follow a real Gamma market (btc-updown-15m-1767200400, see
 * shared/samples/polymarket/sebislaw_gamma_market_btc_updown_15m.json): `outcomes`,
 * `outcomePrices`, `clobTokenIds` and `umaResolutionStatuses` are JSON-ENCODED STRINGS; `volume`
 * and `liquidity` are decimal strings while `volumeNum`, `bestBid`, `spread`, … are numbers;
 * timestamps are ISO strings in UTC.
 *
 * Simulator assumptions (documented, not copied from the sample, which predates fees):
 * - Fees: `feesEnabled: true`, `feeType: "crypto_fees_v2"`, `makerBaseFee`/`takerBaseFee` 1000 and
 *   `feeSchedule: { exponent, rate, takerOnly: true, rebateRate: 0.2 }` with rate/exponent taken
 *   from the market (0.07 / 1) and the rebate share of src/fees.ts (20%). This is the shape newer
 *   Gamma responses carry for fee-charging crypto markets.
 * - Lifecycle: "listed" and "open" accept orders; "closed" (window over, awaiting the oracle)
 *   stops accepting orders but keeps `closed: false`, as the venue does until resolution;
 *   "resolved" sets `closed: true`, `closedTime`, and outcomePrices ["1","0"] / ["0","1"].
 *   `active` stays true throughout (the venue leaves it true on closed markets).
 * - Ids: market ids are numeric strings that grow with the window start
 *   (minutes since epoch × 64 + asset/window slot), event ids likewise with a different slot;
 *   series ids are the venue's for the 15m/5m series we know, else derived from the slug. Tag ids
 *   are the simulator's own.
 * - `createdAt`, `startDate` and `acceptingOrdersTimestamp` are the listing time; `eventStartTime`
 *   is the window start; `updatedAt` is `nowMs`.
 * - Extra fields beyond the sample: the fee fields above, `events` (a short event stub, as /markets
 *   returns) and, once resolved, `closedTime`.
 *
 * Prices in {@link GammaState} are micros (src/money.ts); the payload carries them as the venue
 * does (numbers / decimal strings).
 */
import { createHash } from "node:crypto";
import { DEFAULT_MAKER_REBATE_SHARE } from "../fees";
import { formatMicros, type Micros, ONE, toUnits } from "../money";
import { windowLabel } from "./markets";
import type { Asset, MarketStatus, VenueMarket } from "./types";

export interface GammaState {
  nowMs: number;
  status: MarketStatus;
  /** Displayed price of Up (the model's fair value or the book's mid), micros. Down is 1 − it. */
  upPrice: Micros;
  /** Up token's best bid / best ask / last trade, micros (null or absent: none). */
  bestBid?: Micros | null;
  bestAsk?: Micros | null;
  lastTradePrice?: Micros | null;
  /** Set once resolved. */
  winner?: "Up" | "Down";
  /** When it resolved (closedTime); defaults to nowMs. */
  resolvedAtMs?: number;
  /** pUSD traded so far and resting liquidity, micros (default 0). */
  volume?: Micros;
  liquidity?: Micros;
}

export interface GammaFeeSchedule {
  exponent: number;
  rate: number;
  takerOnly: boolean;
  rebateRate: number;
}

export interface GammaEventStub {
  id: string;
  ticker: string;
  slug: string;
  title: string;
  description: string;
  startDate: string;
  endDate: string;
  active: boolean;
  closed: boolean;
  seriesSlug: string;
}

export interface GammaMarket {
  id: string;
  question: string;
  conditionId: string;
  slug: string;
  resolutionSource: string;
  endDate: string;
  liquidity: string;
  startDate: string;
  image: string;
  icon: string;
  description: string;
  /** JSON-encoded string: '["Up", "Down"]'. */
  outcomes: string;
  /** JSON-encoded string: '["0.585", "0.415"]'. */
  outcomePrices: string;
  volume: string;
  active: boolean;
  closed: boolean;
  marketMakerAddress: string;
  createdAt: string;
  updatedAt: string;
  new: boolean;
  featured: boolean;
  archived: boolean;
  restricted: boolean;
  groupItemThreshold: string;
  questionID: string;
  enableOrderBook: boolean;
  orderPriceMinTickSize: number;
  orderMinSize: number;
  volumeNum: number;
  liquidityNum: number;
  endDateIso: string;
  startDateIso: string;
  hasReviewedDates: boolean;
  volume24hr: number;
  volume1wk: number;
  volume1mo: number;
  volume1yr: number;
  /** JSON-encoded string of the two token ids, index 0 = Up. */
  clobTokenIds: string;
  volume24hrClob: number;
  volume1wkClob: number;
  volume1moClob: number;
  volume1yrClob: number;
  volumeClob: number;
  liquidityClob: number;
  acceptingOrders: boolean;
  negRisk: boolean;
  ready: boolean;
  funded: boolean;
  acceptingOrdersTimestamp: string;
  cyom: boolean;
  competitive: number;
  pagerDutyNotificationEnabled: boolean;
  approved: boolean;
  rewardsMinSize: number;
  rewardsMaxSpread: number;
  spread: number;
  lastTradePrice: number;
  bestBid: number;
  bestAsk: number;
  automaticallyActive: boolean;
  clearBookOnStart: boolean;
  showGmpSeries: boolean;
  showGmpOutcome: boolean;
  manualActivation: boolean;
  negRiskOther: boolean;
  /** JSON-encoded string, '[]'. */
  umaResolutionStatuses: string;
  pendingDeployment: boolean;
  deploying: boolean;
  rfqEnabled: boolean;
  eventStartTime: string;
  holdingRewardsEnabled: boolean;
  feesEnabled: boolean;
  requiresTranslation: boolean;
  feeType: string;
  feeSchedule: GammaFeeSchedule;
  makerBaseFee: number;
  takerBaseFee: number;
  closedTime?: string;
  events?: GammaEventStub[];
}

export interface GammaSeries {
  id: string;
  ticker: string;
  slug: string;
  title: string;
  seriesType: string;
  recurrence: string;
  image: string;
  icon: string;
  active: boolean;
  closed: boolean;
  archived: boolean;
  new: boolean;
  featured: boolean;
  restricted: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface GammaTag {
  id: string;
  label: string;
  slug: string;
}

export interface GammaEvent {
  id: string;
  ticker: string;
  slug: string;
  title: string;
  description: string;
  resolutionSource: string;
  startDate: string;
  creationDate: string;
  endDate: string;
  image: string;
  icon: string;
  active: boolean;
  closed: boolean;
  archived: boolean;
  new: boolean;
  featured: boolean;
  restricted: boolean;
  liquidity: number;
  volume: number;
  openInterest: number;
  createdAt: string;
  updatedAt: string;
  competitive: number;
  volume24hr: number;
  volume1wk: number;
  volume1mo: number;
  volume1yr: number;
  enableOrderBook: boolean;
  liquidityClob: number;
  negRisk: boolean;
  commentCount: number;
  cyom: boolean;
  showAllOutcomes: boolean;
  showMarketImages: boolean;
  enableNegRisk: boolean;
  automaticallyActive: boolean;
  startTime: string;
  eventStartTime: string;
  seriesSlug: string;
  negRiskAugmented: boolean;
  pendingDeployment: boolean;
  deploying: boolean;
  requiresTranslation: boolean;
  closedTime?: string;
  markets: GammaMarket[];
  series: GammaSeries[];
  tags: GammaTag[];
}

const ASSET_NAMES: Readonly<Record<Asset, string>> = {
  BTC: "Bitcoin",
  ETH: "Ethereum",
  SOL: "Solana",
  XRP: "XRP",
};

const ASSET_SLUG_NAMES: Readonly<Record<Asset, string>> = {
  BTC: "bitcoin",
  ETH: "ethereum",
  SOL: "solana",
  XRP: "xrp",
};

/** The venue's series ids for the recurring series we know (15m and 5m). */
const KNOWN_SERIES_IDS: Readonly<Record<string, string>> = {
  "btc-up-or-down-15m": "10192",
  "eth-up-or-down-15m": "10191",
  "sol-up-or-down-15m": "10423",
  "xrp-up-or-down-15m": "10422",
  "btc-up-or-down-5m": "10684",
  "eth-up-or-down-5m": "10683",
};

const WINDOW_CODES = [60_000, 120_000, 300_000, 900_000, 1_800_000, 3_600_000, 14_400_000, 86_400_000];
const ASSET_CODES: readonly Asset[] = ["BTC", "ETH", "SOL", "XRP"];

function windowCode(windowMs: number): number {
  const i = WINDOW_CODES.indexOf(windowMs);
  return i >= 0 ? i : windowMs % 8;
}

function slot(market: VenueMarket): number {
  return ASSET_CODES.indexOf(market.asset) * 8 + windowCode(market.endMs - market.startMs);
}

/** Numeric-string Gamma id of the market: grows with the window start, unique per asset/window. */
export function gammaMarketId(market: VenueMarket): string {
  return String(Math.floor(market.startMs / 60_000) * 64 + slot(market));
}

export function gammaEventId(market: VenueMarket): string {
  return String(Math.floor(market.startMs / 60_000) * 64 + 32 + slot(market));
}

/** ISO 8601 UTC without milliseconds when they are zero: "2025-12-31T17:15:00Z". */
export function isoTime(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith(".000Z") ? `${s.slice(0, -5)}Z` : s;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Gamma's closedTime format: "2025-12-31 17:15:30+00". */
function closedTimeFormat(ms: number): string {
  const s = new Date(ms).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 19)}+00`;
}

const ET_FORMAT = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  month: "long",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
  hour12: true,
});

interface EtParts {
  month: string;
  day: string;
  hour: string;
  minute: string;
  period: string;
}

function etParts(ms: number): EtParts {
  const parts: Record<string, string> = {};
  for (const p of ET_FORMAT.formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    month: parts.month ?? "",
    day: parts.day ?? "",
    hour: parts.hour ?? "",
    minute: parts.minute ?? "",
    period: (parts.dayPeriod ?? "").toUpperCase(),
  };
}

/**
 * "Bitcoin Up or Down - December 31, 12:00PM-12:15PM ET" (the date is the window start's, in
 * New York time); hourly windows read "Bitcoin Up or Down - December 31, 12PM ET" as on the venue.
 */
export function questionFor(market: VenueMarket): string {
  const name = ASSET_NAMES[market.asset];
  const s = etParts(market.startMs);
  if (market.endMs - market.startMs === 3_600_000 && s.minute === "00") {
    return `${name} Up or Down - ${s.month} ${s.day}, ${s.hour}${s.period} ET`;
  }
  const e = etParts(market.endMs);
  return `${name} Up or Down - ${s.month} ${s.day}, ${s.hour}:${s.minute}${s.period}-${e.hour}:${e.minute}${e.period} ET`;
}

export function resolutionSourceFor(asset: Asset): string {
  return `https://data.chain.link/streams/${asset.toLowerCase()}-usd`;
}

export function descriptionFor(asset: Asset): string {
  const name = ASSET_NAMES[asset];
  const pair = `${asset}/USD`;
  return (
    `This market will resolve to "Up" if the ${name} price at the end of the time range specified in the title ` +
    `is greater than or equal to the price at the beginning of that range. Otherwise, it will resolve to "Down".\n` +
    `The resolution source for this market is information from Chainlink, specifically the ${pair} data stream ` +
    `available at ${resolutionSourceFor(asset)}.\n` +
    `Please note that this market is about the price according to Chainlink data stream ${pair}, ` +
    `not according to other sources or spot markets.`
  );
}

function imageFor(asset: Asset): string {
  return `https://polymarket-upload.s3.us-east-2.amazonaws.com/${asset}+fullsize.png`;
}

/** "btc-up-or-down-15m" (hourly: "btc-up-or-down-hourly", the venue's name for that series). */
export function seriesSlugFor(market: VenueMarket): string {
  const label = windowLabel(market.endMs - market.startMs);
  return `${market.asset.toLowerCase()}-up-or-down-${label === "1h" ? "hourly" : label}`;
}

function seriesIdFor(seriesSlug: string): string {
  const known = KNOWN_SERIES_IDS[seriesSlug];
  if (known) return known;
  const h = createHash("sha256").update(`ballast-series|${seriesSlug}`).digest();
  return String(20_000 + (h.readUInt32BE(0) % 10_000));
}

function clampPrice(p: Micros): Micros {
  return Math.min(ONE, Math.max(0, p));
}

function outcomePricesFor(state: GammaState): [string, string] {
  if (state.status === "resolved" && state.winner) {
    return state.winner === "Up" ? ["1", "0"] : ["0", "1"];
  }
  const up = clampPrice(state.upPrice);
  return [formatMicros(up), formatMicros(ONE - up)];
}

export interface GammaMarketOptions {
  /** Include the `events` stub (as /markets does); gammaEvent leaves it out of nested markets. */
  withEvents?: boolean;
}

function eventStub(market: VenueMarket, state: GammaState): GammaEventStub {
  const resolved = state.status === "resolved";
  const title = questionFor(market);
  return {
    id: gammaEventId(market),
    ticker: market.slug,
    slug: market.slug,
    title,
    description: descriptionFor(market.asset),
    startDate: isoTime(market.listedMs),
    endDate: isoTime(market.endMs),
    active: true,
    closed: resolved,
    seriesSlug: seriesSlugFor(market),
  };
}

/** The /markets object for one market in a given state. */
export function gammaMarket(
  market: VenueMarket,
  state: GammaState,
  opts: GammaMarketOptions = {},
): GammaMarket {
  const resolved = state.status === "resolved";
  const accepting = state.status === "listed" || state.status === "open";
  const volume = state.volume ?? 0;
  const liquidity = state.liquidity ?? 0;
  const bestBid = state.bestBid ?? 0;
  const bestAsk = state.bestAsk ?? ONE;
  const spread = Math.max(0, bestAsk - bestBid);
  const volumeNum = toUnits(volume);
  const out: GammaMarket = {
    id: gammaMarketId(market),
    question: questionFor(market),
    conditionId: market.conditionId,
    slug: market.slug,
    resolutionSource: resolutionSourceFor(market.asset),
    endDate: isoTime(market.endMs),
    liquidity: formatMicros(liquidity),
    startDate: isoTime(market.listedMs),
    image: imageFor(market.asset),
    icon: imageFor(market.asset),
    description: descriptionFor(market.asset),
    outcomes: JSON.stringify(["Up", "Down"]).replace(",", ", "),
    outcomePrices: JSON.stringify(outcomePricesFor(state)).replace(",", ", "),
    volume: formatMicros(volume),
    active: true,
    closed: resolved,
    marketMakerAddress: "",
    createdAt: isoTime(market.listedMs),
    updatedAt: isoTime(state.nowMs),
    new: false,
    featured: false,
    archived: false,
    restricted: true,
    groupItemThreshold: "0",
    questionID: market.questionId,
    enableOrderBook: true,
    orderPriceMinTickSize: toUnits(market.tickSize),
    orderMinSize: toUnits(market.minOrderSize),
    volumeNum,
    liquidityNum: toUnits(liquidity),
    endDateIso: isoDate(market.endMs),
    startDateIso: isoDate(market.listedMs),
    hasReviewedDates: true,
    volume24hr: volumeNum,
    volume1wk: volumeNum,
    volume1mo: volumeNum,
    volume1yr: volumeNum,
    clobTokenIds: JSON.stringify([market.tokenIds[0], market.tokenIds[1]]).replace(",", ", "),
    volume24hrClob: volumeNum,
    volume1wkClob: volumeNum,
    volume1moClob: volumeNum,
    volume1yrClob: volumeNum,
    volumeClob: volumeNum,
    liquidityClob: toUnits(liquidity),
    acceptingOrders: accepting,
    negRisk: false,
    ready: false,
    funded: false,
    acceptingOrdersTimestamp: isoTime(market.listedMs),
    cyom: false,
    competitive: Math.max(0, 1 - toUnits(spread)),
    pagerDutyNotificationEnabled: false,
    approved: true,
    rewardsMinSize: 0,
    rewardsMaxSpread: 0,
    spread: toUnits(spread),
    lastTradePrice: toUnits(state.lastTradePrice ?? 0),
    bestBid: toUnits(bestBid),
    bestAsk: toUnits(bestAsk),
    automaticallyActive: true,
    clearBookOnStart: false,
    showGmpSeries: false,
    showGmpOutcome: false,
    manualActivation: false,
    negRiskOther: false,
    umaResolutionStatuses: "[]",
    pendingDeployment: false,
    deploying: false,
    rfqEnabled: false,
    eventStartTime: isoTime(market.startMs),
    holdingRewardsEnabled: false,
    feesEnabled: true,
    requiresTranslation: false,
    feeType: "crypto_fees_v2",
    feeSchedule: {
      exponent: market.feeExponent,
      rate: toUnits(market.feeRate),
      takerOnly: true,
      rebateRate: toUnits(DEFAULT_MAKER_REBATE_SHARE),
    },
    makerBaseFee: 1000,
    takerBaseFee: 1000,
  };
  if (resolved) out.closedTime = closedTimeFormat(state.resolvedAtMs ?? state.nowMs);
  if (opts.withEvents ?? true) out.events = [eventStub(market, state)];
  return out;
}

/** The /events object (one market per event, as the up/down events have). */
export function gammaEvent(market: VenueMarket, state: GammaState): GammaEvent {
  const m = gammaMarket(market, state, { withEvents: false });
  const resolved = state.status === "resolved";
  const seriesSlug = seriesSlugFor(market);
  const label = windowLabel(market.endMs - market.startMs);
  const listed = isoTime(market.listedMs);
  const event: GammaEvent = {
    id: gammaEventId(market),
    ticker: market.slug,
    slug: market.slug,
    title: m.question,
    description: m.description,
    resolutionSource: m.resolutionSource,
    startDate: listed,
    creationDate: listed,
    endDate: m.endDate,
    image: m.image,
    icon: m.icon,
    active: true,
    closed: resolved,
    archived: false,
    new: false,
    featured: false,
    restricted: true,
    liquidity: m.liquidityNum,
    volume: m.volumeNum,
    openInterest: 0,
    createdAt: listed,
    updatedAt: m.updatedAt,
    competitive: m.competitive,
    volume24hr: m.volume24hr,
    volume1wk: m.volume1wk,
    volume1mo: m.volume1mo,
    volume1yr: m.volume1yr,
    enableOrderBook: true,
    liquidityClob: m.liquidityClob,
    negRisk: false,
    commentCount: 0,
    cyom: false,
    showAllOutcomes: true,
    showMarketImages: false,
    enableNegRisk: false,
    automaticallyActive: true,
    startTime: m.eventStartTime,
    eventStartTime: m.eventStartTime,
    seriesSlug,
    negRiskAugmented: false,
    pendingDeployment: false,
    deploying: false,
    requiresTranslation: false,
    markets: [m],
    series: [
      {
        id: seriesIdFor(seriesSlug),
        ticker: seriesSlug,
        slug: seriesSlug,
        title: `${market.asset} Up or Down ${label === "1h" ? "Hourly" : label}`,
        seriesType: "single",
        recurrence: label === "1h" ? "hourly" : label,
        image: m.image,
        icon: m.icon,
        active: true,
        closed: false,
        archived: false,
        new: false,
        featured: false,
        restricted: true,
        createdAt: "2025-01-01T00:00:00Z",
        updatedAt: m.updatedAt,
      },
    ],
    tags: [
      { id: "21", label: "Crypto", slug: "crypto" },
      { id: "1312", label: "Crypto Prices", slug: "crypto-prices" },
      { id: "102127", label: "Up or Down", slug: "up-or-down" },
      {
        id: String(100_000 + ASSET_CODES.indexOf(market.asset)),
        label: ASSET_NAMES[market.asset],
        slug: ASSET_SLUG_NAMES[market.asset],
      },
      {
        id: String(101_000 + windowCode(market.endMs - market.startMs)),
        label: label.toUpperCase(),
        slug: label.toUpperCase(),
      },
    ],
  };
  if (m.closedTime) event.closedTime = m.closedTime;
  return event;
}

/** The item with this slug (markets and events both carry `slug`). */
export function findBySlug<T extends { slug: string }>(items: Iterable<T>, slug: string): T | undefined {
  for (const item of items) if (item.slug === slug) return item;
  return undefined;
}

/** Gamma list-query parameters the simulator understands (both /markets and /events). */
export interface GammaQuery {
  ids: string[];
  slugs: string[];
  conditionIds: string[];
  clobTokenIds: string[];
  active?: boolean;
  closed?: boolean;
  archived?: boolean;
  seriesSlug?: string;
  tagSlug?: string;
  startDateMin?: number;
  startDateMax?: number;
  endDateMin?: number;
  endDateMax?: number;
  limit?: number;
  offset: number;
}

function multi(params: URLSearchParams, key: string): string[] {
  // Gamma accepts repeated keys (?slug=a&slug=b) and comma lists for the id-like ones.
  return params
    .getAll(key)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

function bool(params: URLSearchParams, key: string): boolean | undefined {
  const v = params.get(key);
  if (v === null) return undefined;
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  return undefined;
}

function time(params: URLSearchParams, key: string): number | undefined {
  const v = params.get(key);
  if (v === null || v === "") return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

function nonNegInt(params: URLSearchParams, key: string): number | undefined {
  const v = params.get(key);
  if (v === null || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Parses a Gamma query string (`?slug=…&closed=false&limit=20`). Unknown keys are ignored. */
export function parseGammaQuery(query: string | URLSearchParams): GammaQuery {
  const params = typeof query === "string" ? new URLSearchParams(query.replace(/^\?/, "")) : query;
  const q: GammaQuery = {
    ids: multi(params, "id"),
    slugs: multi(params, "slug"),
    conditionIds: multi(params, "condition_ids").map((c) => c.toLowerCase()),
    clobTokenIds: multi(params, "clob_token_ids"),
    offset: nonNegInt(params, "offset") ?? 0,
  };
  const set = <K extends keyof GammaQuery>(k: K, v: GammaQuery[K] | undefined) => {
    if (v !== undefined) q[k] = v;
  };
  set("active", bool(params, "active"));
  set("closed", bool(params, "closed"));
  set("archived", bool(params, "archived"));
  set("seriesSlug", params.get("series_slug") ?? undefined);
  set("tagSlug", params.get("tag_slug") ?? undefined);
  set("startDateMin", time(params, "start_date_min"));
  set("startDateMax", time(params, "start_date_max"));
  set("endDateMin", time(params, "end_date_min"));
  set("endDateMax", time(params, "end_date_max"));
  set("limit", nonNegInt(params, "limit"));
  return q;
}

function marketsOf(item: GammaMarket | GammaEvent): GammaMarket[] {
  return "markets" in item ? item.markets : [item];
}

function tokenIdsOf(m: GammaMarket): string[] {
  return JSON.parse(m.clobTokenIds) as string[];
}

/** Applies a parsed query to markets or events (filters, then offset/limit). */
export function filterGamma<T extends GammaMarket | GammaEvent>(items: readonly T[], q: GammaQuery): T[] {
  const out = items.filter((item) => {
    const ms = marketsOf(item);
    if (q.ids.length > 0 && !q.ids.includes(item.id)) return false;
    if (q.slugs.length > 0 && !q.slugs.includes(item.slug)) return false;
    if (q.conditionIds.length > 0 && !ms.some((m) => q.conditionIds.includes(m.conditionId.toLowerCase()))) {
      return false;
    }
    if (q.clobTokenIds.length > 0 && !ms.some((m) => tokenIdsOf(m).some((t) => q.clobTokenIds.includes(t)))) {
      return false;
    }
    if (q.active !== undefined && item.active !== q.active) return false;
    if (q.closed !== undefined && item.closed !== q.closed) return false;
    if (q.archived !== undefined && item.archived !== q.archived) return false;
    if (q.seriesSlug !== undefined && !("seriesSlug" in item && item.seriesSlug === q.seriesSlug)) {
      if (!ms.some((m) => m.events?.some((e) => e.seriesSlug === q.seriesSlug))) return false;
    }
    if (q.tagSlug !== undefined && "tags" in item && !item.tags.some((t) => t.slug === q.tagSlug))
      return false;
    const start = Date.parse(item.startDate);
    const end = Date.parse(item.endDate);
    if (q.startDateMin !== undefined && start < q.startDateMin) return false;
    if (q.startDateMax !== undefined && start > q.startDateMax) return false;
    if (q.endDateMin !== undefined && end < q.endDateMin) return false;
    if (q.endDateMax !== undefined && end > q.endDateMax) return false;
    return true;
  });
  const from = out.slice(q.offset);
  return q.limit === undefined ? from : from.slice(0, q.limit);
}
