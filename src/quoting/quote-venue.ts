/**
 * What a quoter needs of the venue, as one injected interface ({@link QuoteVenue}), and its implementation on
 * the venue client ({@link venueForQuoter}, src/polymarket/exchange.ts). No Temporal, no simulator.
 *
 * Placing is two steps so that the order ids are known before anything is sent: `prepare` signs the
 * placements (an order's id is the hash of its signed struct), `place` posts one batch of at most 15 of them
 * (POST /orders, post-only). The quoter records the ids as its own before `place`, so an order whose batch
 * timed out is still recognised as ours when it shows up later (on the user channel or in a read-back).
 */
import { randomInt } from "node:crypto";
import type { Micros } from "../money";
import type { Exchange } from "../polymarket/exchange";
import type {
  BatchEntry,
  CancelResult,
  OrderIntent,
  RestOpenOrder,
  RestTrade,
  SignedVenueOrder,
} from "../polymarket/types";
import type { Placement } from "../strategy/quoting/reconcile";

/** A placement signed and ready to send; `orderId` is the venue's id of the order (its hash). */
export interface PreparedOrder {
  orderId: string;
  placement: Placement;
  signed: SignedVenueOrder;
}

/**
 * The quoter's executor: REST reads of its market, cancels, and batches of post-only GTC BUYs. Errors are
 * the venue client's taxonomy (src/polymarket/errors.ts): `UnknownOutcome` (timeout, 5xx other than 503, an
 * unreadable answer) means a write may or may not have been applied.
 */
export interface QuoteVenue {
  /** Our key's open orders in the market (GET /data/orders?market=). */
  openOrders(): Promise<readonly RestOpenOrder[]>;
  /** Our key's trades in the market (GET /data/trades?market=). */
  trades(): Promise<readonly RestTrade[]>;
  /** One order by id; undefined when the venue does not know it. */
  getOrder(orderId: string): Promise<RestOpenOrder | undefined>;
  /** DELETE /orders. */
  cancel(orderIds: readonly string[]): Promise<CancelResult>;
  /** Signs the placements (no I/O with the venue). */
  prepare(placements: readonly Placement[]): Promise<PreparedOrder[]>;
  /** One POST /orders of at most 15 prepared orders, post-only; one entry per order, in order. Never retried. */
  place(orders: readonly PreparedOrder[]): Promise<BatchEntry[]>;
}

/** POST /v1/heartbeats: pass the previous beat's id ("" the first time); returns the new one. */
export type HeartbeatFn = (previousId: string) => Promise<string>;

/** The market a venue executor trades. */
export interface QuoteMarket {
  conditionId: string;
  upTokenId: string;
  downTokenId: string;
  /** The venue's minimum order size, shares (micros). */
  minOrderSize: Micros;
  negRisk?: boolean;
}

type ExchangeLike = Pick<
  Exchange,
  "openOrders" | "trades" | "getOrder" | "cancelOrders" | "buildSignedOrder" | "placeBatch" | "heartbeat"
>;

/**
 * A {@link QuoteVenue} and heartbeat on the venue client, for one market. Every order is a GTC BUY of the
 * placement's outcome token, posted with postOnly (reconcile.ts makes only those); the salt is random (a
 * batch is never re-posted, so placement ids need not be reproducible).
 */
export function venueForQuoter(
  exchange: ExchangeLike,
  market: QuoteMarket,
  options: { now?: () => number; salt?: () => number } = {},
): { venue: QuoteVenue; heartbeat: HeartbeatFn } {
  const now = options.now ?? Date.now;
  const salt = options.salt ?? (() => randomInt(0, 2 ** 47));
  const venue: QuoteVenue = {
    openOrders: () => exchange.openOrders({ market: market.conditionId }),
    trades: () => exchange.trades({ market: market.conditionId }),
    getOrder: (orderId) => exchange.getOrder(orderId),
    cancel: (orderIds) => exchange.cancelOrders(orderIds),
    async prepare(placements) {
      const out: PreparedOrder[] = [];
      for (const placement of placements) {
        const intent: OrderIntent = {
          tokenId: placement.outcome === "UP" ? market.upTokenId : market.downTokenId,
          side: "BUY",
          price: placement.price,
          size: placement.shares,
          tickSize: placement.tickSize,
          minOrderSize: market.minOrderSize,
          negRisk: market.negRisk ?? false,
          salt: salt(),
          timestampMs: now(),
        };
        const signed = await exchange.buildSignedOrder(intent, "GTC");
        out.push({ orderId: signed.orderHash, placement, signed });
      }
      return out;
    },
    place: (orders) =>
      exchange.placeBatch(
        orders.map((o) => ({ signed: o.signed, orderType: "GTC" as const })),
        { postOnly: true },
      ),
  };
  return { venue, heartbeat: (previousId) => exchange.heartbeat(previousId) };
}
