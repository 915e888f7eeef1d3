/**
 * VenueEvent → the wire frames of Polymarket's two WebSocket channels, in their current formats
 * and with their quirks: every number is a string; `book` lists bids ascending and asks
 * descending (best last), as real captures do; `price_change` carries `price_changes[]` with
 * `best_bid`/`best_ask`; user-channel `created_at`/`match_time`/`last_update` are seconds while
 * `timestamp` is milliseconds; a killed FOK has a status with the reason glued on and empty
 * `size_matched`/`created_at`/`outcome`. Pure: the server only serializes what this returns.
 */
import { formatMicros, type Micros } from "../../money";
import type { BookSnapshot, RestingOrder, VenueEvent, VenueMarket, VenueTrade } from "../types";

type Frame = Record<string, unknown>;

const dec = (m: Micros): string => formatMicros(m);
const ms = (t: number): string => String(Math.trunc(t));
const seconds = (t: number): string => String(Math.floor(t / 1000));
/** fee_rate_bps as the venue still reports it: the rate in basis points. */
const bps = (rate: Micros): string => String(Math.round(rate / 100));

export function bookFrame(book: BookSnapshot): Frame {
  return {
    event_type: "book",
    asset_id: book.tokenId,
    market: book.market,
    bids: [...book.bids].reverse().map((l) => ({ price: dec(l.price), size: dec(l.size) })),
    asks: [...book.asks].reverse().map((l) => ({ price: dec(l.price), size: dec(l.size) })),
    timestamp: ms(book.timestampMs),
    hash: book.hash,
    tick_size: dec(book.tickSize),
  };
}

export function newMarketFrame(m: VenueMarket, question: string, atMs: number): Frame {
  return {
    event_type: "new_market",
    id: m.conditionId.slice(2, 10),
    question,
    market: m.conditionId,
    slug: m.slug,
    description: question,
    assets_ids: [...m.tokenIds],
    outcomes: ["Up", "Down"],
    event_message: {
      id: m.questionId.slice(2, 10),
      ticker: m.slug,
      slug: m.slug,
      title: question,
      description: question,
    },
    timestamp: ms(atMs),
    tags: ["crypto", "up-or-down"],
    condition_id: m.conditionId,
    active: true,
    clob_token_ids: [...m.tokenIds],
    order_price_min_tick_size: dec(m.tickSize),
  };
}

function orderFrame(order: RestingOrder, type: string, atMs: number, wireStatus?: string): Frame {
  const killed = wireStatus?.startsWith("CANCELED_");
  return {
    asset_id: order.tokenId,
    associate_trades: order.associateTrades.length > 0 ? [...order.associateTrades] : null,
    created_at: killed ? "" : seconds(order.createdAtMs),
    event_type: "order",
    expiration: order.expiresAtMs > 0 ? seconds(order.expiresAtMs) : "0",
    id: order.id,
    maker_address: order.account,
    market: order.market,
    order_owner: order.owner,
    order_type: order.type,
    original_size: dec(order.size),
    outcome: killed ? "" : order.outcome,
    owner: order.owner,
    price: dec(order.price),
    side: order.side,
    size_matched: killed ? "" : dec(order.sizeMatched),
    status: wireStatus ?? order.status,
    timestamp: ms(atMs),
    type,
  };
}

/**
 * The `trade` frame as one participant sees it. `owner`/`trade_owner` is the recipient;
 * `trader_side` says whether the recipient was the taker or one of the makers.
 */
export function tradeFrame(trade: VenueTrade, recipient: string, atMs: number): Frame {
  const isTaker = trade.takerOwner === recipient;
  return {
    asset_id: trade.tokenId,
    bucket_index: 0,
    event_type: "trade",
    fee_rate_bps: bps(trade.feeRate),
    id: trade.id,
    last_update: seconds(trade.lastUpdateMs),
    maker_address: isTaker
      ? trade.takerAccount
      : (trade.makers.find((m) => m.owner === recipient)?.account ?? ""),
    maker_orders: trade.makers.map((m) => ({
      asset_id: m.tokenId,
      fee_rate_bps: "0",
      maker_address: m.account,
      matched_amount: dec(m.matchedAmount),
      order_id: m.orderId,
      outcome: m.outcome,
      owner: m.owner,
      price: dec(m.price),
      side: m.side,
    })),
    market: trade.market,
    match_time: seconds(trade.matchTimeMs),
    outcome: trade.outcome,
    owner: recipient,
    price: dec(trade.price),
    side: trade.side,
    size: dec(trade.size),
    status: trade.status,
    taker_order_id: trade.takerOrderId,
    timestamp: ms(atMs),
    trade_owner: recipient,
    trader_side: isTaker ? "TAKER" : "MAKER",
    transaction_hash: trade.transactionHash,
    type: "TRADE",
  };
}

/** Owners who must hear about a trade: the taker and every maker. */
export function tradeRecipients(trade: VenueTrade): string[] {
  return [...new Set([trade.takerOwner, ...trade.makers.map((m) => m.owner)])];
}

export interface MarketFrame {
  /** Token ids the frame concerns (subscribers of any of them receive it). */
  assetIds: string[];
  /** Only for subscribers that enabled custom features (best_bid_ask, new_market, market_resolved). */
  customFeature: boolean;
  frame: Frame;
}

export interface UserFrame {
  owner: string;
  market: string;
  frame: Frame;
}

/**
 * Market-channel frames for one event. A level change yields its price_change and, when custom
 * features are on, a best_bid_ask.
 */
export interface MarketDirectory {
  market(conditionId: string): VenueMarket | undefined;
  question(market: VenueMarket): string;
}

export function marketFrames(e: VenueEvent, markets: MarketDirectory): MarketFrame[] {
  switch (e.kind) {
    case "level_changed": {
      const best = {
        best_bid: e.bestBid === null ? "0" : dec(e.bestBid),
        best_ask: e.bestAsk === null ? "1" : dec(e.bestAsk),
      };
      const frames: MarketFrame[] = [
        {
          assetIds: [e.tokenId],
          customFeature: false,
          frame: {
            event_type: "price_change",
            market: e.market,
            price_changes: [
              {
                asset_id: e.tokenId,
                price: dec(e.price),
                size: dec(e.size),
                side: e.side,
                hash: `${e.seq.toString(16).padStart(8, "0")}`,
                ...best,
              },
            ],
            timestamp: ms(e.atMs),
          },
        },
      ];
      if (e.bestBid !== null && e.bestAsk !== null) {
        frames.push({
          assetIds: [e.tokenId],
          customFeature: true,
          frame: {
            event_type: "best_bid_ask",
            market: e.market,
            asset_id: e.tokenId,
            ...best,
            spread: dec(e.bestAsk - e.bestBid),
            timestamp: ms(e.atMs),
          },
        });
      }
      return frames;
    }
    case "last_trade":
      return [
        {
          assetIds: [e.tokenId],
          customFeature: false,
          frame: {
            asset_id: e.tokenId,
            event_type: "last_trade_price",
            fee_rate_bps: bps(e.feeRate),
            market: e.market,
            price: dec(e.price),
            side: e.side,
            size: dec(e.size),
            timestamp: ms(e.atMs),
          },
        },
      ];
    case "tick_size_changed":
      return [
        {
          assetIds: [e.tokenId],
          customFeature: false,
          frame: {
            event_type: "tick_size_change",
            asset_id: e.tokenId,
            market: e.market,
            old_tick_size: dec(e.oldTick),
            new_tick_size: dec(e.newTick),
            timestamp: ms(e.atMs),
          },
        },
      ];
    case "market_listed":
      return [
        {
          assetIds: [...e.market.tokenIds],
          customFeature: true,
          frame: newMarketFrame(e.market, markets.question(e.market), e.atMs),
        },
      ];
    case "market_resolved": {
      const tokenIds = [...(markets.market(e.market)?.tokenIds ?? [])];
      return [
        {
          assetIds: tokenIds,
          customFeature: true,
          frame: {
            event_type: "market_resolved",
            id: e.market.slice(2, 10),
            market: e.market,
            assets_ids: tokenIds,
            winning_asset_id: e.winningTokenId,
            winning_outcome: e.winningOutcome,
            timestamp: ms(e.atMs),
            tags: ["crypto", "up-or-down"],
          },
        },
      ];
    }
    default:
      return [];
  }
}

/** User-channel frames for one event, one per owner concerned. */
export function userFrames(e: VenueEvent): UserFrame[] {
  switch (e.kind) {
    case "order":
      return [
        {
          owner: e.order.owner,
          market: e.order.market,
          frame: orderFrame(e.order, e.type, e.atMs, e.wireStatus),
        },
      ];
    case "trade":
      return tradeRecipients(e.trade).map((owner) => ({
        owner,
        market: e.trade.market,
        frame: tradeFrame(e.trade, owner, e.atMs),
      }));
    default:
      return [];
  }
}
