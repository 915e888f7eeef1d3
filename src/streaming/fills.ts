/**
 * Our fills and reconcile snapshots as the workflows take them (src/session/messages.ts), from the user
 * channel's events or from the REST reads of a reconcile. Pure.
 *
 * The user channel only carries the API key's own trades, but a trade names every order in the match: ours
 * are the taker order when `trader_side` is TAKER, and the maker orders whose `owner` is our API key. A
 * maker leg may sit on the other outcome's token (a BUY matched against a BUY of the complement), at that
 * token's price. REST trades (GET /data/trades) are first turned into the same TradeEvent shape
 * (src/polymarket/conversions.ts) and read the same way; the one conversion of a trade into our fills is
 * src/protocol/fills.ts `ourFills`.
 */
import { ourFillsOfRestTrades } from "../polymarket/conversions";
import type { RestOpenOrder, RestTrade } from "../polymarket/types";
import { fillKey, ourFills } from "../protocol/fills";
import type { MakerOrder, TradeEvent } from "../protocol/user";
import type { OurFill, ReconcileSnapshot } from "../session/messages";

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

/** Our legs of a user-channel trade: {@link ourFills} of the orders our API key has in it. */
export function fillsFromTradeEvent(trade: TradeEvent, apiKey: string): OurFill[] {
  return ourFills(trade, ourOrderIdsOf(trade, apiKey));
}

/**
 * One sighting of a fill: its identity ({@link fillKey}) at one status. The venue repeats a trade at each
 * status change, and the feed forwards each status of a fill once — so its dedupe, unlike the ledger's,
 * must tell MATCHED from CONFIRMED of the same fill.
 */
export function fillSightingKey(fill: Pick<OurFill, "tradeId" | "orderId" | "status">): string {
  return `${fillKey(fill)}|${fill.status}`;
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
  orders: readonly Pick<
    RestOpenOrder,
    "id" | "market" | "tokenId" | "side" | "price" | "originalSize" | "sizeMatched"
  >[],
  trades: readonly RestTrade[],
): ReconcileBuild {
  const { fills, skippedTrades } = ourFillsOfRestTrades(
    trades.filter((trade) => trade.market === conditionId),
    (trade) => ourOrderIdsOf(trade, apiKey),
  );
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
