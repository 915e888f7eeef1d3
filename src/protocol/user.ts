/**
 * Polymarket CLOB V2 user channel (wss://ws-subscriptions-clob.polymarket.com/ws/user): our `order` and
 * `trade` events. Same conventions as market.ts: each schema's input is the wire shape and its output the
 * normalized event (camelCase, micros, epoch ms).
 */
import { z } from "zod";
import type { Micros } from "../money";
import {
  bpsString,
  epochString,
  idString,
  microsString,
  nonEmpty,
  optionalEpochString,
  type Stamped,
  sideSchema,
  stamped,
  toMicros,
} from "./market";
import { TRADE_STATUSES, type TradeStatus } from "./trade-status";
import { ORDER_TYPES, type OrderType, type Side, type TraderSide } from "./vocabulary";

// ---------------------------------------------------------------------------------------------------------
// order

/** Longest first, so that "CANCELED_MARKET_RESOLVED" is not read as "CANCELED" with a reason. */
const ORDER_STATUSES = [
  "CANCELED_MARKET_RESOLVED",
  "CANCELED",
  "UNMATCHED",
  "MATCHED",
  "DELAYED",
  "LIVE",
  "INVALID",
] as const;
/**
 * LIVE resting; DELAYED marketable but held by the matching delay; MATCHED fully filled; UNMATCHED a delayed
 * order that could not be placed; CANCELED by us or the venue (a killed FOK too); CANCELED_MARKET_RESOLVED
 * by market resolution; INVALID cancelled by the venue as invalid (arrives as a CANCELLATION).
 */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface ParsedOrderStatus {
  status: OrderStatus;
  statusReason: string | undefined;
}

/**
 * The venue may append `_<free text>` to a status: a killed FOK arrives as
 * "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.".
 */
export function parseOrderStatus(raw: string): ParsedOrderStatus | undefined {
  for (const status of ORDER_STATUSES) {
    if (raw === status) return { status, statusReason: undefined };
    if (raw.startsWith(`${status}_`)) return { status, statusReason: raw.slice(status.length + 1) };
  }
  return undefined;
}

const orderStatusSchema = z.string().transform((raw, ctx): ParsedOrderStatus => {
  const parsed = parseOrderStatus(raw);
  if (parsed) return parsed;
  ctx.addIssue({ code: "custom", message: `unknown order status ${JSON.stringify(raw)}` });
  return z.NEVER;
});

/** A killed FOK reports `size_matched: ""`; it matched nothing. */
const sizeMatchedSchema = z.string().transform((text, ctx) => (text === "" ? 0 : toMicros(text, ctx)));

export const ORDER_UPDATE_TYPES = ["PLACEMENT", "UPDATE", "CANCELLATION"] as const;
export type OrderUpdateType = (typeof ORDER_UPDATE_TYPES)[number];

export interface OrderEvent extends Stamped {
  type: "order";
  orderId: string;
  /** What happened: placed, matched (partially or fully), or cancelled. */
  updateType: OrderUpdateType;
  status: OrderStatus;
  /** Free text the venue appended to the status, e.g. why a FOK was killed. */
  statusReason: string | undefined;
  market: string;
  assetId: string;
  side: Side;
  price: Micros;
  originalSize: Micros;
  sizeMatched: Micros;
  /** "" on a killed FOK, so undefined there. */
  outcome: string | undefined;
  orderType: OrderType | undefined;
  /** API key of the order's owner. */
  owner: string;
  makerAddress: string | undefined;
  /** Trade ids this order matched in; the venue sends null for none. */
  associateTrades: string[];
  /** Seconds on the wire in captures (ms in some fixtures); "" on a killed FOK. */
  createdAtMs: number | undefined;
  /** Undefined when the venue sends null or "0" (no expiry). */
  expirationMs: number | undefined;
}

/**
 * Some captures omit `event_type`; frames.ts then recognizes an order by its `original_size`. The
 * `type` field is the update type, not the event type.
 */
export const orderSchema = z
  .object({
    event_type: z.literal("order").optional(),
    type: z.enum(ORDER_UPDATE_TYPES),
    id: idString,
    owner: z.string(),
    market: idString,
    asset_id: idString,
    side: sideSchema,
    price: microsString,
    original_size: microsString,
    size_matched: sizeMatchedSchema,
    status: orderStatusSchema,
    outcome: z.string().optional(),
    order_type: z.enum(ORDER_TYPES).optional(),
    maker_address: z.string().optional(),
    associate_trades: z.array(z.string()).nullish(),
    created_at: optionalEpochString,
    expiration: optionalEpochString,
    timestamp: epochString,
  })
  .transform(
    (m): OrderEvent => ({
      type: "order",
      orderId: m.id,
      updateType: m.type,
      ...m.status,
      market: m.market,
      assetId: m.asset_id,
      side: m.side,
      price: m.price,
      originalSize: m.original_size,
      sizeMatched: m.size_matched,
      outcome: nonEmpty(m.outcome),
      orderType: m.order_type,
      owner: m.owner,
      makerAddress: m.maker_address,
      associateTrades: m.associate_trades ?? [],
      createdAtMs: m.created_at,
      expirationMs: m.expiration,
      ...stamped(m.timestamp),
    }),
  );
export type OrderMessage = z.input<typeof orderSchema>;

// ---------------------------------------------------------------------------------------------------------
// trade

// Statuses: MATCHED → MINED → CONFIRMED on the happy path; RETRYING while the operator resubmits; FAILED is
// final (trade-status.ts).

/** A resting order the taker matched against. */
export interface MakerOrder {
  orderId: string;
  owner: string | undefined;
  makerAddress: string | undefined;
  /** May be the complementary token of the trade's `assetId` (a mint or merge match). */
  assetId: string;
  outcome: string | undefined;
  /** Sent by newer venue versions only; see makerSide() in fills.ts. */
  side: Side | undefined;
  /** This maker order's own price, on its own token. */
  price: Micros;
  matchedAmount: Micros;
  feeRateBps: number | undefined;
}

export interface TradeEvent extends Stamped {
  type: "trade";
  tradeId: string;
  takerOrderId: string;
  market: string;
  /** The taker's token, side, price and size. */
  assetId: string;
  side: Side;
  price: Micros;
  size: Micros;
  feeRateBps: number | undefined;
  status: TradeStatus;
  /** Whether the receiving account was the taker or a maker. */
  traderSide: TraderSide | undefined;
  outcome: string | undefined;
  /** API key of the taker. */
  owner: string;
  makerOrders: MakerOrder[];
  /** `match_time` and `last_update` are epoch seconds on the wire. */
  matchTimeMs: number | undefined;
  lastUpdateMs: number | undefined;
  /** Undefined until the venue has one (it sends "" while MATCHED). */
  transactionHash: string | undefined;
  bucketIndex: number | undefined;
}

const makerOrderSchema = z
  .object({
    order_id: idString,
    owner: z.string().optional(),
    maker_address: z.string().optional(),
    asset_id: idString,
    outcome: z.string().optional(),
    side: sideSchema.optional(),
    price: microsString,
    matched_amount: microsString,
    fee_rate_bps: bpsString.optional(),
  })
  .transform(
    (m): MakerOrder => ({
      orderId: m.order_id,
      owner: m.owner,
      makerAddress: m.maker_address,
      assetId: m.asset_id,
      outcome: nonEmpty(m.outcome),
      side: m.side,
      price: m.price,
      matchedAmount: m.matched_amount,
      feeRateBps: m.fee_rate_bps,
    }),
  );

export const tradeSchema = z
  .object({
    event_type: z.literal("trade").optional(),
    type: z.literal("TRADE").optional(),
    id: idString,
    taker_order_id: idString,
    market: idString,
    asset_id: idString,
    side: sideSchema,
    price: microsString,
    size: microsString,
    fee_rate_bps: bpsString.optional(),
    status: z.enum(TRADE_STATUSES),
    trader_side: z.enum(["TAKER", "MAKER"]).optional(),
    outcome: z.string().optional(),
    owner: z.string(),
    maker_orders: z.array(makerOrderSchema),
    match_time: optionalEpochString,
    last_update: optionalEpochString,
    transaction_hash: z.string().optional(),
    bucket_index: z.number().int().optional(),
    timestamp: epochString,
  })
  .transform(
    (m): TradeEvent => ({
      type: "trade",
      tradeId: m.id,
      takerOrderId: m.taker_order_id,
      market: m.market,
      assetId: m.asset_id,
      side: m.side,
      price: m.price,
      size: m.size,
      feeRateBps: m.fee_rate_bps,
      status: m.status,
      traderSide: m.trader_side,
      outcome: nonEmpty(m.outcome),
      owner: m.owner,
      makerOrders: m.maker_orders,
      matchTimeMs: m.match_time,
      lastUpdateMs: m.last_update,
      transactionHash: nonEmpty(m.transaction_hash),
      bucketIndex: m.bucket_index,
      ...stamped(m.timestamp),
    }),
  );
export type TradeMessage = z.input<typeof tradeSchema>;

export type UserEvent = OrderEvent | TradeEvent;
