/**
 * Exchange activities: placing and cancelling orders, reading fills back. Thin adapters over the
 * venue client's Exchange (src/polymarket/exchange.ts), created by a factory that receives it.
 *
 * Idempotency: the workflow fixes each order's intent — including the salt and the timestamp the
 * signature covers — so a retried activity signs the very same order, gets the same hash, and the
 * venue answers "Duplicated" instead of taking a second order. An unknown outcome (timeout, 5xx)
 * is settled by reading the order back by its hash.
 *
 * Refusals are outcomes, not failures: an order the venue refuses for good, or that is refused locally
 * before anything is sent (an intent off the tick, a bad size, a marketable BUY under $1, …), comes back
 * as a PlacedOrder with `accepted: false` and a typed `rejection`, never as a thrown error that Temporal
 * would retry to no avail.
 */
import { ApplicationFailure } from "@temporalio/activity";
import {
  type ExchangeOperation,
  recordCancels,
  recordExchangeFailure,
  recordPlacement,
  recordPlacementFailure,
} from "../../src/metrics/record";
import type { Micros } from "../../src/money";
import { ourFillsOfRestTrades } from "../../src/polymarket/conversions";
import { UnknownOutcome, VenueError } from "../../src/polymarket/errors";
import type { Exchange } from "../../src/polymarket/exchange";
import type { OrderIntent, SignedVenueOrder } from "../../src/polymarket/types";
import type { OrderType } from "../../src/protocol/vocabulary";
import type { OurFill } from "../../src/session/messages";
import { toApplicationFailure } from "./failures";

export interface PlaceOrderRequest {
  intent: OrderIntent;
  orderType: OrderType;
  postOnly?: boolean;
  /** The venue condition id, to read fills back. */
  market: string;
}

/**
 * Why an order was refused for good (`PlacedOrder.rejection.kind`): no order of that hash is working at the
 * venue. `insufficient-balance` and `unfilled` depend on the moment (balances, the book) and the same order
 * may pass later; the others are verdicts on the order itself.
 *
 * - `insufficient-balance`: the venue's `not enough balance / allowance`: not enough pUSD (BUY) or shares
 *   (SELL) available — e.g. shares bought in a trade not MINED yet, which are not sellable until it is. Not a
 *   verdict on the order itself: the same order may pass later.
 * - `unfilled`: a FAK that found nothing to match, or a FOK that could not be filled entirely (killed).
 * - `below-minimum-size`: a size under the market's minimum, or a marketable BUY spending under $1.
 * - `off-tick`: a price off the market's tick or outside [tick, 1 − tick] (the tick may have just changed).
 * - `invalid-amounts`: amounts with more decimals than the venue accepts (src/protocol/amounts.ts).
 * - `post-only-would-cross`: a post-only order that would have taken liquidity.
 * - `unauthorized`: the venue refused the credentials.
 * - `rejected`: anything else (a malformed intent, an unknown tick, another venue refusal).
 */
export type RejectionKind =
  | "insufficient-balance"
  | "unfilled"
  | "below-minimum-size"
  | "off-tick"
  | "invalid-amounts"
  | "post-only-would-cross"
  | "unauthorized"
  | "rejected";

export interface PlacedOrder {
  /**
   * The order's hash (its venue id). Empty when the intent was refused locally (`rejection.local`): then
   * no order was signed nor sent.
   */
  orderId: string;
  /** The venue accepted it (live/matched/delayed), or it was refused for good (see `rejection`). */
  accepted: boolean;
  /** The venue's status when accepted; "rejected" otherwise. */
  status: string;
  /**
   * Why it was refused: `kind` is a RejectionKind, `message` the venue's text (or the local check's), and
   * `local` is true when it was refused before anything was sent.
   */
  rejection?: { kind: string; message: string; local?: boolean };
  /** When the request left, and when the venue answered (ms since epoch, this machine's clock). */
  sentAtMs: number;
  answeredAtMs: number;
  /** Fills of this order known when the activity returned. */
  fills: OurFill[];
}

/** Reads one of our orders back: by its id, or (its id unknown) by the intent that was signed. */
export interface ReadOrderRequest {
  market: string;
  orderType: OrderType;
  orderId?: string;
  intent?: OrderIntent;
}

/** What the venue knows of an order, read back over REST. */
export interface OrderReadBack {
  /** False when the venue has no order with that hash (it never arrived). */
  found: boolean;
  orderId: string;
  /** The venue's status (LIVE, DELAYED, MATCHED, CANCELED, …), "" when not found. */
  status: string;
  /** True when the order can match no more (its fills are all known). */
  final: boolean;
  sizeMatched: Micros;
  fills: OurFill[];
}

export interface ExchangeActivityDeps {
  exchange: () => Promise<Exchange>;
  now?: () => number;
}

/** The rejection kind of a venue error that refuses an order for good. */
export function rejectionKindOf(error: VenueError): RejectionKind {
  switch (error.kind) {
    case "InsufficientBalance":
      return "insufficient-balance";
    case "BelowMinimumSize":
      return "below-minimum-size";
    case "OffTick":
      return "off-tick";
    case "PostOnlyWouldCross":
      return "post-only-would-cross";
    case "Unauthorized":
      return "unauthorized";
    default:
      if (/no orders found to match|couldn't be fully filled/i.test(error.venueMessage)) return "unfilled";
      if (/invalid amounts/i.test(error.venueMessage)) return "invalid-amounts";
      return "rejected";
  }
}

export function createExchangeActivities(deps: ExchangeActivityDeps) {
  const now = deps.now ?? Date.now;

  /** Our fills of `orderIds`, from the trades named (when known) or else every trade of the market. */
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
    return ourFillsOfRestTrades(trades, () => ids).fills;
  }

  const activities = {
    /**
     * Signs and sends one order. A refusal — local (the intent breaks a venue rule: nothing is sent) or the
     * venue's — is returned as `accepted: false` with a typed rejection. Throws only when the outcome is
     * unknown or the venue is unavailable (retryable), or for a non-venue error.
     */
    async placeOrder(req: PlaceOrderRequest): Promise<PlacedOrder> {
      const exchange = await deps.exchange();
      let signed: SignedVenueOrder;
      try {
        signed = await exchange.buildSignedOrder(req.intent, req.orderType);
      } catch (err) {
        if (!(err instanceof VenueError)) throw err;
        const at = now();
        return {
          orderId: "",
          accepted: false,
          status: "rejected",
          rejection: { kind: rejectionKindOf(err), message: err.message, local: true },
          sentAtMs: at,
          answeredAtMs: at,
          fills: [],
        };
      }
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
            rejection: { kind: rejectionKindOf(err), message: err.message },
            sentAtMs,
            answeredAtMs: now(),
            fills: [],
          };
        }
        throw err;
      }
    },

    /**
     * Reads an order back by its id, or by the hash of the signed intent when a placement's outcome is
     * unknown (the same intent signs to the same hash). Not found means the venue never took it.
     */
    async readOrder(req: ReadOrderRequest): Promise<OrderReadBack> {
      const exchange = await deps.exchange();
      try {
        const orderId =
          req.orderId ??
          (req.intent ? (await exchange.buildSignedOrder(req.intent, req.orderType)).orderHash : "");
        if (!orderId)
          throw ApplicationFailure.nonRetryable("readOrder needs an order id or an intent", "Rejected");
        const known = await exchange.getOrder(orderId);
        if (!known) return { found: false, orderId, status: "", final: true, sizeMatched: 0, fills: [] };
        const status = known.status.toUpperCase();
        return {
          found: true,
          orderId,
          status,
          final: status !== "LIVE" && status !== "DELAYED",
          sizeMatched: known.sizeMatched,
          fills: await readFills(exchange, req.market, [orderId], known.tradeIds),
        };
      } catch (err) {
        if (err instanceof VenueError) throw toApplicationFailure(err);
        throw err;
      }
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

    /**
     * Cancels every open order of our key at the venue, in every market (DELETE /cancel-all): also the
     * orders resting on markets that have no session. Returns how many the venue cancelled.
     */
    async cancelAllOrders(): Promise<number> {
      const exchange = await deps.exchange();
      try {
        return (await exchange.cancelAll()).canceled.length;
      } catch (err) {
        if (err instanceof VenueError) throw toApplicationFailure(err);
        throw err;
      }
    },
  };
  return withMetrics(activities);
}

/**
 * The activities, counted (src/metrics): placements by result, rejections by reason, the round trip of
 * each order sent, orders cancelled, and failed attempts by operation. Labels: the asset of the calling
 * workflow's market, the side, the order type; never an order id.
 */
function withMetrics<
  A extends {
    placeOrder(req: PlaceOrderRequest): Promise<PlacedOrder>;
    readOrder(req: ReadOrderRequest): Promise<OrderReadBack>;
    cancelMarketOrders(input: { market: string }): Promise<number>;
    cancelAllOrders(): Promise<number>;
  },
>(a: A): A {
  const counted = async <T>(operation: ExchangeOperation, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      recordExchangeFailure(operation, err);
      throw err;
    }
  };
  return {
    ...a,
    async placeOrder(req: PlaceOrderRequest): Promise<PlacedOrder> {
      const order = { side: req.intent.side, orderType: req.orderType };
      let placed: PlacedOrder;
      try {
        placed = await a.placeOrder(req);
      } catch (err) {
        recordPlacementFailure(order, err);
        throw err;
      }
      recordPlacement(order, placed);
      return placed;
    },
    readOrder: (req: ReadOrderRequest) => counted("read", () => a.readOrder(req)),
    cancelMarketOrders: (input: { market: string }) =>
      counted("cancel_market", async () => {
        const n = await a.cancelMarketOrders(input);
        recordCancels("market", n);
        return n;
      }),
    cancelAllOrders: () =>
      counted("cancel_all", async () => {
        const n = await a.cancelAllOrders();
        recordCancels("all", n);
        return n;
      }),
  };
}

export type ExchangeActivities = ReturnType<typeof createExchangeActivities>;
