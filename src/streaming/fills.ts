/**
 * Our fills, order updates and reconcile snapshots as the workflows take them (src/session/messages.ts),
 * from the user channel's events or from the REST reads of a reconcile. Pure.
 *
 * The user channel only carries the API key's own trades, but a trade names every order in the match: ours
 * are the taker order when `trader_side` is TAKER, and the maker orders whose `owner` is our API key. A
 * maker leg may sit on the other outcome's token (a BUY matched against a BUY of the complement), at that
 * token's price. REST trades (GET /data/trades) have the same shape and are read the same way.
 */
import type { Micros } from "../money";
import { type MakerOrder, ourFillsFromTrade, TRADE_STATUSES, type TradeEvent } from "../protocol/user";
import type { OurFill, ReconcileSnapshot, Side, TradeStatus } from "../session/messages";

/** fee_rate_bps → fee rate in micros (700 bps = 0.07 = 70_000). */
export const MICROS_PER_BPS = 100;

/** The order ids of a trade that are ours, by the rules above. */
export function ourOrderIdsOf(
  trade: Pick<TradeEvent, "takerOrderId" | "traderSide"> & {
    makerOrders: readonly Pick<MakerOrder, "orderId" | "owner">[];
  },
  apiKey: string,
): Set<string> {
  const ours = new Set<string>();
  for (const maker of trade.makerOrders) if (maker.owner === apiKey) ours.add(maker.orderId);
  // Without trader_side (older payloads) a trade with no maker leg of ours can only be ours as the taker.
  if (trade.traderSide === "TAKER" || (trade.traderSide === undefined && ours.size === 0)) {
    ours.add(trade.takerOrderId);
  }
  return ours;
}

/** When a fill happened: the match time (seconds on the wire, on both channels), else the event time. */
function fillTime(trade: TradeEvent): number {
  return trade.matchTimeMs ?? trade.timestampMs;
}

/** Our legs of a user-channel trade. Makers pay no fee: their rate is what the venue reports, else 0. */
export function fillsFromTradeEvent(trade: TradeEvent, apiKey: string): OurFill[] {
  return ourFillsFromTrade(trade, ourOrderIdsOf(trade, apiKey)).map((leg) => ({
    tradeId: leg.tradeId,
    orderId: leg.orderId,
    tokenId: leg.assetId,
    side: leg.side,
    role: leg.role,
    price: leg.price,
    size: leg.size,
    feeRate: (leg.feeRateBps ?? 0) * MICROS_PER_BPS,
    status: trade.status,
    atMs: fillTime(trade),
  }));
}

/** Key under which a fill is delivered once per status: the venue repeats a trade at each status change. */
export function fillKey(fill: Pick<OurFill, "tradeId" | "orderId" | "status">): string {
  return `${fill.tradeId}|${fill.orderId}|${fill.status}`;
}

// ---------------------------------------------------------------------------------------------------------
// REST (the shapes activities/exchange's VenueOrderState and VenueTrade satisfy)

export interface RestOpenOrder {
  id: string;
  market: string;
  tokenId: string;
  side: Side;
  price: Micros;
  originalSize: Micros;
  sizeMatched: Micros;
}

export interface RestMakerFill {
  orderId: string;
  owner: string;
  matchedAmount: Micros;
  price: Micros;
  tokenId: string;
  side: Side | undefined;
  feeRateBps: number;
}

export interface RestTrade {
  id: string;
  takerOrderId: string;
  market: string;
  tokenId: string;
  side: Side;
  size: Micros;
  price: Micros;
  feeRateBps: number;
  status: string;
  /** Unix seconds. */
  matchTime: number;
  /** Unix seconds. */
  lastUpdate: number;
  traderSide: "TAKER" | "MAKER" | undefined;
  owner: string;
  makerOrders: RestMakerFill[];
}

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

export interface ReconcileBuild {
  snapshot: ReconcileSnapshot;
  /** Trade ids left out because their status is unknown. */
  skippedTrades: string[];
}

/** The truth over REST for one market: its open orders and our legs of its trades. */
export function buildReconcileSnapshot(
  atMs: number,
  conditionId: string,
  apiKey: string,
  orders: readonly RestOpenOrder[],
  trades: readonly RestTrade[],
): ReconcileBuild {
  const skippedTrades: string[] = [];
  const fills: OurFill[] = [];
  const seen = new Set<string>();
  for (const trade of trades) {
    if (trade.market !== conditionId) continue;
    const event = tradeEventFromRest(trade);
    if (!event) {
      skippedTrades.push(trade.id);
      continue;
    }
    for (const fill of fillsFromTradeEvent(event, apiKey)) {
      const key = `${fill.tradeId}|${fill.orderId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      fills.push(fill);
    }
  }
  const openOrders = orders
    .filter((order) => order.market === conditionId)
    .map((order) => ({
      orderId: order.id,
      tokenId: order.tokenId,
      side: order.side,
      price: order.price,
      size: order.originalSize,
      sizeMatched: order.sizeMatched,
    }));
  return { snapshot: { atMs, openOrders, fills }, skippedTrades };
}
