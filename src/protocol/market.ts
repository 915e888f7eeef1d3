/**
 * Polymarket CLOB V2 market channel (wss://ws-subscriptions-clob.polymarket.com/ws/market).
 *
 * Each schema validates one event as the venue sends it and transforms it into Ballast's normalized form:
 * camelCase fields, prices and sizes as integer micros (money.ts), epoch milliseconds. So for every schema,
 * `z.input<typeof schema>` is the wire shape and `z.output<typeof schema>` the normalized event. Fields we do
 * not use are ignored (zod strips them); fields we use are required and validated, so a rejection names the
 * exact field. Classifying a message (by `event_type`, or by shape when the venue omits it) is frames.ts's job.
 *
 * This module also holds the wire primitives that the user channel (user.ts) shares.
 */
import { z } from "zod";
import { DecimalError, type Micros, parseMicros } from "../money";
import { SIDES, type Side } from "./vocabulary";

// ---------------------------------------------------------------------------------------------------------
// Wire primitives

/** Parses a non-negative venue decimal inside a zod transform, reporting a bad value as an issue. */
export function toMicros(text: string, ctx: z.core.$RefinementCtx): Micros {
  try {
    const value = parseMicros(text);
    if (value >= 0) return value;
    ctx.addIssue({ code: "custom", message: `negative amount ${JSON.stringify(text)}` });
  } catch (error) {
    if (!(error instanceof DecimalError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message });
  }
  return z.NEVER;
}

/** A non-negative venue decimal string ("0.51", "150.0", "3300"), parsed exactly into micros. */
export const microsString = z.string().transform(toMicros);

/** Like microsString, but "", null or an absent field (the venue's "no value") become undefined. */
export const optionalMicrosString = z
  .string()
  .nullish()
  .transform((text, ctx) => (text ? toMicros(text, ctx) : undefined));

/** Token (asset) ids, condition ids, order ids: opaque non-empty strings. */
export const idString = z.string().min(1);

/** Epoch time as a string of digits (the venue never sends it as a JSON number on the websocket). */
export const epochString = z.string().regex(/^\d{1,15}$/, "expected an epoch time as a string of digits");

/** A side on the wire ("BUY" or "SELL"): {@link Side}. */
export const sideSchema = z.enum(SIDES);

/** Fee rates arrive as whole basis points in a string ("0"). */
export const bpsString = z
  .string()
  .regex(/^\d{1,5}$/, "expected whole basis points")
  .transform(Number);

/** Epoch values below this are seconds, not milliseconds (1e12 ms is 2001-09-09; 1e12 s is year 33658). */
const SECONDS_BELOW = 1e12;

/**
 * Epoch milliseconds from an epoch string of either unit. The market channel sends milliseconds. The user
 * channel mixes units: `timestamp` is milliseconds in captures but seconds in the official docs examples, and
 * `created_at`, `match_time`, `last_update` and `expiration` are seconds. Any value below 1e12 is therefore
 * read as seconds; this cannot misread a real timestamp of either unit from this century.
 */
export function epochMs(raw: string): number {
  const value = Number(raw);
  return value < SECONDS_BELOW ? value * 1000 : value;
}

/** An optional epoch: "", "0", null or absent mean "not set" (e.g. `expiration` of a GTC order). */
export const optionalEpochString = z
  .string()
  .regex(/^\d{0,15}$/, 'expected an epoch time as a string of digits, or ""')
  .nullish()
  .transform((raw) => (raw && Number(raw) > 0 ? epochMs(raw) : undefined));

/** Every normalized event carries its event time in ms, and the venue's raw value (its unit varies). */
export interface Stamped {
  timestampMs: number;
  timestampRaw: string;
}

export function stamped(raw: string): Stamped {
  return { timestampMs: epochMs(raw), timestampRaw: raw };
}

/** Free-text fields that the venue sends as "" when unset become undefined. */
export function nonEmpty(text: string | null | undefined): string | undefined {
  return text ? text : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// book

export interface PriceLevel {
  price: Micros;
  /** Total size resting at this price, in shares. */
  size: Micros;
}

const priceLevelSchema = z.object({ price: microsString, size: microsString });

/** Full aggregated snapshot of one token's book, sent on subscribe and after trades. */
export interface BookEvent extends Stamped {
  type: "book";
  market: string;
  assetId: string;
  /** In the venue's order, which is NOT best-first: real captures list bids ascending and asks descending. */
  bids: PriceLevel[];
  asks: PriceLevel[];
  hash: string | undefined;
}

export const bookSchema = z
  .object({
    event_type: z.literal("book").optional(),
    market: idString,
    asset_id: idString,
    bids: z.array(priceLevelSchema),
    asks: z.array(priceLevelSchema),
    hash: z.string().optional(),
    timestamp: epochString,
  })
  .transform(
    (m): BookEvent => ({
      type: "book",
      market: m.market,
      assetId: m.asset_id,
      bids: m.bids,
      asks: m.asks,
      hash: m.hash,
      ...stamped(m.timestamp),
    }),
  );
export type BookMessage = z.input<typeof bookSchema>;

// ---------------------------------------------------------------------------------------------------------
// price_change

/** One price level's new state. */
export interface LevelChange {
  assetId: string;
  /** BUY changes a bid level, SELL an ask level. */
  side: Side;
  price: Micros;
  /** The new total size at this price (not a delta); 0 removes the level. */
  size: Micros;
  /** The token's best bid/ask after the change, as the venue reports them (current form only). */
  bestBid: Micros | undefined;
  bestAsk: Micros | undefined;
  /** Current form: hash of the order that caused the change. Legacy form: the message's hash. */
  hash: string | undefined;
}

export interface PriceChangeEvent extends Stamped {
  type: "price_change";
  market: string;
  /** In wire order; one message can touch both tokens of a market. */
  changes: LevelChange[];
}

const priceChangeEntrySchema = z.object({
  asset_id: idString,
  price: microsString,
  size: microsString,
  side: sideSchema,
  hash: z.string().optional(),
  best_bid: optionalMicrosString,
  best_ask: optionalMicrosString,
});

/**
 * Current form (since 15 Sep 2025): `price_changes[]`, each entry naming its own token. Seen with and
 * without `event_type`.
 */
export const priceChangeSchema = z
  .object({
    event_type: z.literal("price_change").optional(),
    market: idString,
    price_changes: z.array(priceChangeEntrySchema),
    timestamp: epochString,
  })
  .transform(
    (m): PriceChangeEvent => ({
      type: "price_change",
      market: m.market,
      changes: m.price_changes.map((c) => ({
        assetId: c.asset_id,
        side: c.side,
        price: c.price,
        size: c.size,
        bestBid: c.best_bid,
        bestAsk: c.best_ask,
        hash: c.hash,
      })),
      ...stamped(m.timestamp),
    }),
  );
export type PriceChangeMessage = z.input<typeof priceChangeSchema>;

/** Legacy form (Oct 2024 – 15 Sep 2025): one token per message (top-level `asset_id`), `changes[]`. */
export const legacyPriceChangeSchema = z
  .object({
    event_type: z.literal("price_change").optional(),
    market: idString,
    asset_id: idString,
    changes: z.array(z.object({ price: microsString, side: sideSchema, size: microsString })),
    hash: z.string().optional(),
    timestamp: epochString,
  })
  .transform(
    (m): PriceChangeEvent => ({
      type: "price_change",
      market: m.market,
      changes: m.changes.map((c) => ({
        assetId: m.asset_id,
        side: c.side,
        price: c.price,
        size: c.size,
        bestBid: undefined,
        bestAsk: undefined,
        hash: m.hash,
      })),
      ...stamped(m.timestamp),
    }),
  );
export type LegacyPriceChangeMessage = z.input<typeof legacyPriceChangeSchema>;

// ---------------------------------------------------------------------------------------------------------
// best_bid_ask (needs custom_feature_enabled)

export interface BestBidAskEvent extends Stamped {
  type: "best_bid_ask";
  market: string;
  assetId: string;
  bestBid: Micros | undefined;
  bestAsk: Micros | undefined;
  spread: Micros | undefined;
}

export const bestBidAskSchema = z
  .object({
    event_type: z.literal("best_bid_ask").optional(),
    market: idString,
    asset_id: idString,
    best_bid: optionalMicrosString,
    best_ask: optionalMicrosString,
    spread: optionalMicrosString,
    timestamp: epochString,
  })
  .transform(
    (m): BestBidAskEvent => ({
      type: "best_bid_ask",
      market: m.market,
      assetId: m.asset_id,
      bestBid: m.best_bid,
      bestAsk: m.best_ask,
      spread: m.spread,
      ...stamped(m.timestamp),
    }),
  );
export type BestBidAskMessage = z.input<typeof bestBidAskSchema>;

// ---------------------------------------------------------------------------------------------------------
// last_trade_price

export interface LastTradePriceEvent extends Stamped {
  type: "last_trade_price";
  market: string;
  assetId: string;
  price: Micros;
  size: Micros;
  /** The taker's side. */
  side: Side;
  feeRateBps: number | undefined;
  transactionHash: string | undefined;
}

export const lastTradePriceSchema = z
  .object({
    event_type: z.literal("last_trade_price").optional(),
    market: idString,
    asset_id: idString,
    price: microsString,
    size: microsString,
    side: sideSchema,
    fee_rate_bps: bpsString.optional(),
    transaction_hash: z.string().optional(),
    timestamp: epochString,
  })
  .transform(
    (m): LastTradePriceEvent => ({
      type: "last_trade_price",
      market: m.market,
      assetId: m.asset_id,
      price: m.price,
      size: m.size,
      side: m.side,
      feeRateBps: m.fee_rate_bps,
      transactionHash: nonEmpty(m.transaction_hash),
      ...stamped(m.timestamp),
    }),
  );
export type LastTradePriceMessage = z.input<typeof lastTradePriceSchema>;

// ---------------------------------------------------------------------------------------------------------
// tick_size_change

/**
 * The venue changes a token's tick when its price nears 0 or 1. Levels quoted before and after the change sit
 * on different grids, so a book must be dropped and rebuilt from the next snapshot (see OrderBook).
 */
export interface TickSizeChangeEvent extends Stamped {
  type: "tick_size_change";
  market: string;
  assetId: string;
  oldTickSize: Micros;
  newTickSize: Micros;
}

export const tickSizeChangeSchema = z
  .object({
    event_type: z.literal("tick_size_change").optional(),
    market: idString,
    asset_id: idString,
    old_tick_size: microsString,
    new_tick_size: microsString,
    timestamp: epochString,
  })
  .transform(
    (m): TickSizeChangeEvent => ({
      type: "tick_size_change",
      market: m.market,
      assetId: m.asset_id,
      oldTickSize: m.old_tick_size,
      newTickSize: m.new_tick_size,
      ...stamped(m.timestamp),
    }),
  );
export type TickSizeChangeMessage = z.input<typeof tickSizeChangeSchema>;

// ---------------------------------------------------------------------------------------------------------
// new_market and market_resolved (need custom_feature_enabled)

export interface NewMarketEvent extends Stamped {
  type: "new_market";
  /** Gamma's numeric market id ("1031769"); `market` is the condition id. */
  marketId: string;
  market: string;
  question: string;
  slug: string;
  /** Token ids, index-aligned with `outcomes`. */
  assetIds: string[];
  outcomes: string[];
  tickSize: Micros | undefined;
  active: boolean | undefined;
}

export const newMarketSchema = z
  .object({
    event_type: z.literal("new_market").optional(),
    id: idString,
    market: idString,
    question: z.string(),
    slug: z.string(),
    assets_ids: z.array(idString),
    outcomes: z.array(z.string()),
    order_price_min_tick_size: optionalMicrosString,
    active: z.boolean().optional(),
    timestamp: epochString,
  })
  .transform(
    (m): NewMarketEvent => ({
      type: "new_market",
      marketId: m.id,
      market: m.market,
      question: m.question,
      slug: m.slug,
      assetIds: m.assets_ids,
      outcomes: m.outcomes,
      tickSize: m.order_price_min_tick_size,
      active: m.active,
      ...stamped(m.timestamp),
    }),
  );
export type NewMarketMessage = z.input<typeof newMarketSchema>;

export interface MarketResolvedEvent extends Stamped {
  type: "market_resolved";
  marketId: string;
  market: string;
  assetIds: string[];
  winningAssetId: string;
  winningOutcome: string;
}

export const marketResolvedSchema = z
  .object({
    event_type: z.literal("market_resolved").optional(),
    id: idString,
    market: idString,
    assets_ids: z.array(idString),
    winning_asset_id: idString,
    winning_outcome: z.string(),
    timestamp: epochString,
  })
  .transform(
    (m): MarketResolvedEvent => ({
      type: "market_resolved",
      marketId: m.id,
      market: m.market,
      assetIds: m.assets_ids,
      winningAssetId: m.winning_asset_id,
      winningOutcome: m.winning_outcome,
      ...stamped(m.timestamp),
    }),
  );
export type MarketResolvedMessage = z.input<typeof marketResolvedSchema>;

export type MarketEvent =
  | BookEvent
  | PriceChangeEvent
  | BestBidAskEvent
  | LastTradePriceEvent
  | TickSizeChangeEvent
  | NewMarketEvent
  | MarketResolvedEvent;
