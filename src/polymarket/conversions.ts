/**
 * Conversions at the boundary of the venue client: the client's answers (snake_case, decimal strings) into
 * the client's own types (micros, unix seconds, the shared vocabulary), placement answers into Placements,
 * and REST trades into the internal trade shape (TradeEvent) from which our fills are derived
 * (src/protocol/fills.ts `ourFills`).
 */
import type {
  MarketDetails,
  OpenOrder,
  OrderBookSummary,
  OrderResponse,
  Trade,
} from "@polymarket/clob-client-v2";
import { parseMicros, parseOptionalMicros } from "../money";
import { fillKey, ourFills } from "../protocol/fills";
import type { PriceLevel } from "../protocol/market";
import { TRADE_STATUSES, type TradeStatus } from "../protocol/trade-status";
import type { TradeEvent } from "../protocol/user";
import type { Side } from "../protocol/vocabulary";
import type { OurFill } from "../session/messages";
import {
  type ClassifiedVenueError,
  classifyOrderEntry,
  isDuplicateOrderMessage,
  Rejected,
  UnknownOutcome,
} from "./errors";
import type {
  CancelResult,
  FeeParams,
  OrderAlreadyPlaced,
  OrderBook,
  Placement,
  RestOpenOrder,
  RestTrade,
  SignedVenueOrder,
} from "./types";

function toSide(value: string): Side {
  const side = value.toUpperCase();
  if (side !== "BUY" && side !== "SELL") throw new Error(`unexpected side ${JSON.stringify(value)}`);
  return side;
}

function toNumber(value: string | number | undefined, field: string): number {
  const n = typeof value === "number" ? value : Number(value ?? Number.NaN);
  if (!Number.isFinite(n)) throw new Error(`unexpected ${field} ${JSON.stringify(value)}`);
  return n;
}

export function toRestOpenOrder(order: OpenOrder): RestOpenOrder {
  return {
    id: order.id,
    status: order.status,
    market: order.market,
    tokenId: order.asset_id,
    side: toSide(order.side),
    price: parseMicros(order.price),
    originalSize: parseMicros(order.original_size),
    sizeMatched: parseOptionalMicros(order.size_matched) ?? 0,
    outcome: order.outcome,
    owner: order.owner,
    makerAddress: order.maker_address,
    createdAt: toNumber(order.created_at, "created_at"),
    expiration: toNumber(order.expiration || 0, "expiration"),
    orderType: order.order_type,
    tradeIds: order.associate_trades ?? [],
  };
}

export function toRestTrade(trade: Trade): RestTrade {
  return {
    id: trade.id,
    takerOrderId: trade.taker_order_id,
    market: trade.market,
    tokenId: trade.asset_id,
    side: toSide(trade.side),
    size: parseMicros(trade.size),
    price: parseMicros(trade.price),
    feeRateBps: toNumber(trade.fee_rate_bps || 0, "fee_rate_bps"),
    status: trade.status,
    matchTime: toNumber(trade.match_time, "match_time"),
    lastUpdate: toNumber(trade.last_update, "last_update"),
    outcome: trade.outcome,
    owner: trade.owner,
    makerAddress: trade.maker_address,
    traderSide: trade.trader_side,
    transactionHash: trade.transaction_hash || undefined,
    bucketIndex: trade.bucket_index,
    makerOrders: (trade.maker_orders ?? []).map((fill) => ({
      orderId: fill.order_id,
      owner: fill.owner,
      makerAddress: fill.maker_address,
      matchedAmount: parseMicros(fill.matched_amount),
      price: parseMicros(fill.price),
      tokenId: fill.asset_id,
      outcome: fill.outcome,
      side: fill.side === undefined ? undefined : toSide(fill.side),
      feeRateBps: toNumber(fill.fee_rate_bps || 0, "fee_rate_bps"),
    })),
  };
}

function toLevels(levels: OrderBookSummary["bids"] | undefined, best: "highest" | "lowest"): PriceLevel[] {
  const parsed = (levels ?? []).map((level) => ({
    price: parseMicros(level.price),
    size: parseMicros(level.size),
  }));
  return parsed.sort((a, b) => (best === "highest" ? b.price - a.price : a.price - b.price));
}

export function toOrderBook(book: OrderBookSummary): OrderBook {
  return {
    market: book.market,
    tokenId: book.asset_id,
    timestamp: toNumber(book.timestamp, "timestamp"),
    bids: toLevels(book.bids, "highest"),
    asks: toLevels(book.asks, "lowest"),
    minOrderSize: parseMicros(book.min_order_size),
    tickSize: parseMicros(book.tick_size),
    negRisk: book.neg_risk,
    hash: book.hash,
    lastTradePrice: parseOptionalMicros(book.last_trade_price),
  };
}

export function toFeeParams(info: MarketDetails): FeeParams {
  return { rate: parseMicros(info.fd?.r ?? 0), exponent: info.fd?.e ?? 0 };
}

/**
 * The winner a CLOB market (GET /markets/{conditionId}) shows: the token marked `winner`, by its outcome
 * name (Up/Down); undefined while none is, or when the answer has no such tokens.
 */
export function toMarketWinner(market: unknown): "UP" | "DOWN" | undefined {
  const tokens = (market as { tokens?: unknown })?.tokens;
  if (!Array.isArray(tokens)) return undefined;
  for (const t of tokens as { outcome?: unknown; winner?: unknown }[]) {
    if (t?.winner !== true || typeof t.outcome !== "string") continue;
    const outcome = t.outcome.toLowerCase();
    if (outcome === "up") return "UP";
    if (outcome === "down") return "DOWN";
  }
  return undefined;
}

export function toCancelResult(response: unknown): CancelResult {
  const body = (response ?? {}) as { canceled?: string[]; not_canceled?: Record<string, string> };
  return { canceled: body.canceled ?? [], notCanceled: body.not_canceled ?? {} };
}

function isPlacementEntry(entry: unknown): entry is OrderResponse {
  return entry !== null && typeof entry === "object" && typeof (entry as OrderResponse).success === "boolean";
}

/**
 * What one POST /order(s) entry says about one signed order: placed, already placed (the venue's
 * "Duplicated" rejection of an order hash it has), or failed.
 */
export function placementOf(
  signed: SignedVenueOrder,
  entry: unknown,
  batch: boolean,
): Placement | { outcome: "failed"; error: ClassifiedVenueError } {
  if (!isPlacementEntry(entry)) {
    const error = new UnknownOutcome(`unreadable placement answer ${JSON.stringify(entry)}`, { batch });
    return { outcome: "failed", error };
  }
  const failure = classifyOrderEntry(entry, { batch });
  if (failure) return alreadyPlaced(failure, signed) ?? { outcome: "failed", error: failure };
  try {
    return {
      outcome: "placed",
      orderId: entry.orderID || signed.orderHash,
      status: entry.status,
      makingAmount: parseOptionalMicros(entry.makingAmount) ?? 0,
      takingAmount: parseOptionalMicros(entry.takingAmount) ?? 0,
      tradeIds: entry.tradeIDs ?? [],
      transactionHashes: entry.transactionsHashes ?? [],
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      outcome: "failed",
      error: new UnknownOutcome(`unreadable placement answer (${reason})`, { batch }),
    };
  }
}

export function alreadyPlaced(error: unknown, signed: SignedVenueOrder): OrderAlreadyPlaced | undefined {
  if (!(error instanceof Rejected) || !isDuplicateOrderMessage(error.venueMessage)) return undefined;
  return { outcome: "already-placed", orderId: signed.orderHash, venueMessage: error.venueMessage };
}

// ---------------------------------------------------------------------------------------------
// REST trades → the internal trade shape → our fills

function isTradeStatus(status: string): status is TradeStatus {
  return (TRADE_STATUSES as readonly string[]).includes(status);
}

/** A REST trade as the user channel would have sent it; undefined for a status we do not know. */
export function tradeEventFromRest(trade: RestTrade): TradeEvent | undefined {
  const status = trade.status.toUpperCase();
  if (!isTradeStatus(status)) return undefined;
  const lastUpdateMs = trade.lastUpdate > 0 ? trade.lastUpdate * 1000 : undefined;
  const matchTimeMs = trade.matchTime > 0 ? trade.matchTime * 1000 : undefined;
  const timestampMs = lastUpdateMs ?? matchTimeMs ?? 0;
  return {
    type: "trade",
    tradeId: trade.id,
    takerOrderId: trade.takerOrderId,
    market: trade.market,
    assetId: trade.tokenId,
    side: trade.side,
    price: trade.price,
    size: trade.size,
    feeRateBps: trade.feeRateBps,
    status,
    traderSide: trade.traderSide,
    outcome: undefined,
    owner: trade.owner,
    makerOrders: trade.makerOrders.map((maker) => ({
      orderId: maker.orderId,
      owner: maker.owner,
      makerAddress: undefined,
      assetId: maker.tokenId,
      outcome: undefined,
      side: maker.side,
      price: maker.price,
      matchedAmount: maker.matchedAmount,
      feeRateBps: maker.feeRateBps,
    })),
    matchTimeMs,
    lastUpdateMs,
    transactionHash: undefined,
    bucketIndex: undefined,
    timestampMs,
    timestampRaw: String(timestampMs),
  };
}

/** Our fills in REST trades, each fill once ({@link fillKey}); trades of an unknown status are skipped. */
export interface RestFills {
  fills: OurFill[];
  /** Ids of the trades left out because their status is unknown. */
  skippedTrades: string[];
}

/**
 * Our fills in trades read over REST: each trade becomes a TradeEvent, whose fills of the orders `oursOf`
 * names are ours; a fill listed twice (the same trade read twice) is kept once, the first time.
 */
export function ourFillsOfRestTrades(
  trades: readonly RestTrade[],
  oursOf: (trade: TradeEvent) => ReadonlySet<string>,
): RestFills {
  const fills: OurFill[] = [];
  const skippedTrades: string[] = [];
  const seen = new Set<string>();
  for (const trade of trades) {
    const event = tradeEventFromRest(trade);
    if (!event) {
      skippedTrades.push(trade.id);
      continue;
    }
    for (const fill of ourFills(event, oursOf(event))) {
      const key = fillKey(fill);
      if (seen.has(key)) continue;
      seen.add(key);
      fills.push(fill);
    }
  }
  return { fills, skippedTrades };
}
