/**
 * Exchange activities: placing and cancelling orders, reading fills back. Thin adapters over the
 * Exchange (activities/exchange/exchange.ts), created by a factory that receives it.
 *
 * Idempotency: the workflow fixes each order's intent — including the salt and the timestamp the
 * signature covers — so a retried activity signs the very same order, gets the same hash, and the
 * venue answers "Duplicated" instead of taking a second order. An unknown outcome (timeout, 5xx)
 * is settled by reading the order back by its hash.
 */
import { ApplicationFailure } from "@temporalio/activity";
import type { Micros } from "../../src/money";
import type { OurFill, Side } from "../../src/session/messages";
import { toApplicationFailure, UnknownOutcome, VenueError } from "./errors";
import type { Exchange, OrderIntent, TimeInForce, VenueTrade } from "./exchange";

export interface PlaceOrderRequest {
  intent: OrderIntent;
  orderType: TimeInForce;
  postOnly?: boolean;
  /** The venue condition id, to read fills back. */
  market: string;
}

export interface PlacedOrder {
  orderId: string;
  /** The venue accepted it (live/matched/delayed), or refused it for good. */
  accepted: boolean;
  status: string;
  /** The venue's reason when refused (e.g. FAK with nothing to match). */
  rejection?: { kind: string; message: string };
  /** When the request left, and when the venue answered (ms since epoch, this machine's clock). */
  sentAtMs: number;
  answeredAtMs: number;
  /** Fills of this order known when the activity returned. */
  fills: OurFill[];
}

/** Our legs of a venue trade that belong to `orderIds`. */
export function fillsOfTrade(trade: VenueTrade, orderIds: ReadonlySet<string>, ownerKey?: string): OurFill[] {
  const atMs = trade.matchTime * 1000;
  const status = trade.status.toUpperCase() as OurFill["status"];
  const fills: OurFill[] = [];
  if (orderIds.has(trade.takerOrderId)) {
    fills.push({
      tradeId: trade.id,
      orderId: trade.takerOrderId,
      tokenId: trade.tokenId,
      side: trade.side,
      role: "TAKER",
      price: trade.price,
      size: trade.size,
      feeRate: trade.feeRateBps * 100,
      status,
      atMs,
    });
  }
  for (const m of trade.makerOrders) {
    if (!orderIds.has(m.orderId) || (ownerKey && m.owner && m.owner !== ownerKey)) continue;
    const side: Side =
      m.side ?? (m.tokenId === trade.tokenId ? (trade.side === "BUY" ? "SELL" : "BUY") : trade.side);
    fills.push({
      tradeId: trade.id,
      orderId: m.orderId,
      tokenId: m.tokenId,
      side,
      role: "MAKER",
      price: m.price,
      size: m.matchedAmount,
      feeRate: 0,
      status,
      atMs,
    });
  }
  return fills;
}

export interface ExchangeActivityDeps {
  exchange: () => Promise<Exchange>;
  now?: () => number;
}

export function createExchangeActivities(deps: ExchangeActivityDeps) {
  const now = deps.now ?? Date.now;

  async function readFills(
    exchange: Exchange,
    market: string,
    orderIds: string[],
    tradeIds?: string[],
  ): Promise<OurFill[]> {
    const ids = new Set(orderIds);
    const trades =
      tradeIds && tradeIds.length > 0
        ? (await Promise.all(tradeIds.map((id) => exchange.trades({ id })))).flat()
        : await exchange.trades({ market });
    const seen = new Set<string>();
    return trades
      .flatMap((t) => fillsOfTrade(t, ids))
      .filter((f) => {
        const key = `${f.tradeId}:${f.orderId}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  }

  return {
    async placeOrder(req: PlaceOrderRequest): Promise<PlacedOrder> {
      const exchange = await deps.exchange();
      const signed = await exchange.buildSignedOrder(req.intent);
      const orderId = signed.orderHash;
      const sentAtMs = now();
      try {
        const placement = await exchange.placeOrder(signed, {
          orderType: req.orderType,
          ...(req.postOnly ? { postOnly: true } : {}),
        });
        const answeredAtMs = now();
        const tradeIds = placement.outcome === "placed" ? placement.tradeIds : undefined;
        const known = placement.outcome === "already-placed" ? await exchange.getOrder(orderId) : undefined;
        const fills = await readFills(exchange, req.market, [orderId], tradeIds ?? known?.tradeIds);
        return {
          orderId,
          accepted: true,
          status:
            placement.outcome === "placed" ? placement.status : (known?.status ?? "unknown").toLowerCase(),
          sentAtMs,
          answeredAtMs,
          fills,
        };
      } catch (err) {
        if (err instanceof UnknownOutcome) {
          // The order may or may not exist: its hash tells.
          const known = await exchange.getOrder(orderId).catch(() => undefined);
          if (known) {
            return {
              orderId,
              accepted: true,
              status: known.status.toLowerCase(),
              sentAtMs,
              answeredAtMs: now(),
              fills: await readFills(exchange, req.market, [orderId], known.tradeIds),
            };
          }
          throw toApplicationFailure(err);
        }
        if (err instanceof VenueError) {
          if (err.retryable) throw toApplicationFailure(err);
          return {
            orderId,
            accepted: false,
            status: "rejected",
            rejection: { kind: err.kind, message: err.message },
            sentAtMs,
            answeredAtMs: now(),
            fills: [],
          };
        }
        throw err;
      }
    },

    /** Fills of the given orders, read over REST (reconciliation). */
    async readFills(input: { market: string; orderIds: string[] }): Promise<OurFill[]> {
      return readFills(await deps.exchange(), input.market, input.orderIds);
    },

    /** Cancels every open order of ours in a market; returns how many. */
    async cancelMarketOrders(input: { market: string }): Promise<number> {
      const exchange = await deps.exchange();
      try {
        return (await exchange.cancelMarket({ market: input.market })).canceled.length;
      } catch (err) {
        if (err instanceof VenueError) throw toApplicationFailure(err);
        throw err;
      }
    },
  };
}

export type ExchangeActivities = ReturnType<typeof createExchangeActivities>;
/** Re-exported for workflow-side typing of amounts. */
export type { Micros };
export { ApplicationFailure };
