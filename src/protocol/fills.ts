/**
 * Our fills: the one conversion of a venue trade into the fills of our orders, and the one identity of a
 * fill. Pure and workflow-safe (type imports only), so the strategy ledger and the workflows use the same
 * key as the activities and the streaming worker.
 *
 * A trade comes from the user channel (protocol/user.ts `tradeSchema`) or from a REST read
 * (GET /data/trades, src/polymarket `tradeEventFromRest`); both are first turned into one internal shape,
 * the {@link TradeEvent}, and {@link ourFills} is the only place where a TradeEvent becomes OurFills. Which
 * orders are ours is the caller's knowledge: the order ids it placed (activities), or the ones the API key
 * owns in that trade (src/streaming/fills.ts `ourOrderIdsOf`).
 *
 * Identity. The venue repeats a trade at each status change (MATCHED → MINED → CONFIRMED, or FAILED), and a
 * reconcile replays fills read over REST, so one fill is sighted many times. {@link fillKey} names the fill
 * itself, (tradeId, orderId), whatever its status: the position ledger keys its fills by it (a status only
 * moves an applied fill along its lifecycle), and REST read-backs dedupe by it. The streaming worker also
 * needs to know which *sightings* it already forwarded — one per status — and uses
 * src/streaming/fills.ts `fillSightingKey` (the fill key plus the status) for that: a different concept,
 * hence a different name.
 */
import type { Micros } from "../money";
import type { OurFill } from "../session/messages";
import type { MakerOrder, TradeEvent } from "./user";
import { oppositeSide, type Side, type TraderSide } from "./vocabulary";

/** fee_rate_bps → fee rate in micros (700 bps = 0.07 = 70_000). */
export const MICROS_PER_BPS = 100;

/**
 * The identity of one fill — one order's share of one trade — across all its statuses:
 * `${tradeId}:${orderId}`. Keys the position ledger (workflow state: the format must not change).
 */
export function fillKey(fill: Pick<OurFill, "tradeId" | "orderId">): string {
  return `${fill.tradeId}:${fill.orderId}`;
}

/**
 * A maker order's side. Older payloads omit it; it then follows from the match type. On the taker's token
 * the maker took the other side (a plain cross). On the complementary token the maker did the same as the
 * taker: two BUYs of YES and NO mint a pair, two SELLs merge one.
 */
export function makerSide(trade: Pick<TradeEvent, "assetId" | "side">, maker: MakerOrder): Side {
  if (maker.side) return maker.side;
  return maker.assetId === trade.assetId ? oppositeSide(trade.side) : trade.side;
}

/**
 * Our legs of a trade: the taker leg when the taker order is ours (the trade's own token, side, price, size
 * and fee rate), and every maker leg whose order is ours (that maker order's token, price, matched amount and
 * reported fee rate, else 0 — makers pay no fee; the token may be the other outcome's, and the price is then
 * on that token, not the trade's). Both kinds are returned when we are on both sides of a match. Every leg
 * carries the trade's status and its time: the match time, else the event time.
 */
export function ourFills(trade: TradeEvent, ourOrderIds: ReadonlySet<string>): OurFill[] {
  const leg = (
    orderId: string,
    role: TraderSide,
    tokenId: string,
    side: Side,
    price: Micros,
    size: Micros,
    feeRateBps: number | undefined,
  ): OurFill => ({
    tradeId: trade.tradeId,
    orderId,
    tokenId,
    side,
    role,
    price,
    size,
    feeRate: (feeRateBps ?? 0) * MICROS_PER_BPS,
    status: trade.status,
    atMs: trade.matchTimeMs ?? trade.timestampMs,
  });
  const fills: OurFill[] = [];
  if (ourOrderIds.has(trade.takerOrderId)) {
    fills.push(
      leg(trade.takerOrderId, "TAKER", trade.assetId, trade.side, trade.price, trade.size, trade.feeRateBps),
    );
  }
  for (const maker of trade.makerOrders) {
    if (!ourOrderIds.has(maker.orderId)) continue;
    const side = makerSide(trade, maker);
    fills.push(
      leg(maker.orderId, "MAKER", maker.assetId, side, maker.price, maker.matchedAmount, maker.feeRateBps),
    );
  }
  return fills;
}
