/**
 * The venue client: Polymarket CLOB V2 through the official @polymarket/clob-client-v2 (1.1.0), with
 * exact amounts (micros in, micros out) and every failure thrown as a taxonomy error (errors.ts).
 * docs/clob-client-v2.md describes the client's wire behaviour in detail. Not an activity: the
 * activities (activities/exchange, activities/market-data.ts, the streaming worker's feed) are thin
 * wrappers around it.
 *
 * Its seams: types.ts (what goes in and out), transport.ts (timeouts and what the wire said, for
 * classification), conversions.ts (the client's answers into those types), intents.ts (checking and
 * signing an order deterministically, so that a retried placement re-posts the same order), credentials.ts
 * (signer, chain, API keys), errors.ts (the failure taxonomy). channel-client.ts is the WebSocket side.
 *
 * Secrets: the API secret, passphrase and private key live only inside the client and the signer,
 * behind private fields; nothing here logs, and errors carry venue texts and statuses only.
 */
import { OrderType as ClientOrderType, type ClobClient, type OpenOrder } from "@polymarket/clob-client-v2";
import { Wallet } from "ethers";
import { type Micros, parseMicros } from "../money";
import type { OrderType } from "../protocol/vocabulary";
import {
  alreadyPlaced,
  placementOf,
  toCancelResult,
  toFeeParams,
  toMarketWinner,
  toOrderBook,
  toRestOpenOrder,
  toRestTrade,
} from "./conversions";
import { clobClient, obtainApiCredentials, signatureTypeOf } from "./credentials";
import { type ClassifiedVenueError, Rejected, UnknownOutcome } from "./errors";
import { assertPlaceable, signOrder } from "./intents";
import { DEFAULT_REQUEST_TIMEOUT_MS, venueCall } from "./transport";
import {
  type BatchEntry,
  type BatchOrder,
  type CancelResult,
  type ExchangeConfig,
  type ExchangeConnection,
  type ExchangeOptions,
  type FeeParams,
  MAX_BATCH_ORDERS,
  type OrderBook,
  type OrderFilter,
  type OrderIntent,
  type Placement,
  type PlaceOptions,
  type RestOpenOrder,
  type RestTrade,
  type SignatureType,
  type SignedVenueOrder,
  type TradeFilter,
  type TypedDataSigner,
} from "./types";

const DEFAULT_FEE_PARAMS_TTL_MS = 300_000;

export class Exchange {
  readonly #client: ClobClient;
  readonly #signer: TypedDataSigner;
  readonly #chainId: number;
  readonly #signatureType: SignatureType;
  readonly #funderAddress: string | undefined;
  readonly #now: () => number;
  readonly #feeParamsTtlMs: number;
  readonly #requestTimeoutMs: number;
  readonly #feeParams = new Map<string, { expiresAt: number; params: Promise<FeeParams> }>();
  #signerAddress: Promise<string> | undefined;

  constructor(connection: ExchangeConnection, options: ExchangeOptions = {}) {
    const signatureType = signatureTypeOf(connection);
    this.#chainId = connection.chainId;
    this.#signer = connection.signer;
    this.#signatureType = signatureType;
    this.#funderAddress = connection.funderAddress;
    this.#now = options.now ?? Date.now;
    this.#feeParamsTtlMs = options.feeParamsTtlMs ?? DEFAULT_FEE_PARAMS_TTL_MS;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#client = clobClient(connection.host, connection.chainId, connection.signer, {
      creds: { ...connection.creds },
      signatureType,
      funderAddress: connection.funderAddress,
    });
  }

  #call<T>(run: (client: ClobClient) => Promise<T>, batch = false): Promise<T> {
    return venueCall(() => run(this.#client), { timeoutMs: this.#requestTimeoutMs, now: this.#now, batch });
  }

  #address(): Promise<string> {
    this.#signerAddress ??= this.#signer.getAddress();
    return this.#signerAddress;
  }

  /** Signs an order from its intent, deterministically: intents.ts {@link signOrder}. */
  buildSignedOrder(intent: OrderIntent, orderType: OrderType): Promise<SignedVenueOrder> {
    return signOrder(intent, orderType, {
      signer: this.#signer,
      signerAddress: () => this.#address(),
      funderAddress: this.#funderAddress,
      chainId: this.#chainId,
      signatureType: this.#signatureType,
    });
  }

  /**
   * Posts one signed order (POST /order) with deferExec, so the client returns at once instead of
   * polling trades for up to 30 s. Re-posting the same signed order is safe: when the venue already
   * has it, the result is `already-placed` (look the order up to learn its state).
   */
  async placeOrder(signed: SignedVenueOrder, options: PlaceOptions): Promise<Placement> {
    const postOnly = options.postOnly ?? false;
    assertPlaceable(signed, options.orderType, postOnly, false);
    let placement: Placement | { outcome: "failed"; error: ClassifiedVenueError };
    try {
      placement = await this.#call(async (client) =>
        placementOf(
          signed,
          await client.postOrder(signed.order, ClientOrderType[options.orderType], postOnly, true),
          false,
        ),
      );
    } catch (error) {
      // A duplicate usually comes back as an HTTP 400 rather than as a 200 entry.
      const duplicate = alreadyPlaced(error, signed);
      if (duplicate) return duplicate;
      throw error;
    }
    if (placement.outcome === "failed") throw placement.error;
    return placement;
  }

  /**
   * Posts up to 15 signed orders in one request (POST /orders). The venue applies one postOnly flag
   * to the whole batch. Returns one entry per order, in request order (the venue answers in that
   * order). A batch is never retried: every error thrown from here, and every per-order failure,
   * is marked non-retryable.
   */
  async placeBatch(
    orders: readonly BatchOrder[],
    options: { postOnly?: boolean } = {},
  ): Promise<BatchEntry[]> {
    if (orders.length > MAX_BATCH_ORDERS) {
      throw new Rejected(
        `Too many orders in payload: ${orders.length} > ${MAX_BATCH_ORDERS}, nothing was sent`,
        {
          batch: true,
        },
      );
    }
    if (orders.length === 0) return [];
    const postOnly = options.postOnly ?? false;
    for (const { signed, orderType } of orders) assertPlaceable(signed, orderType, postOnly, true);
    const args = orders.map(({ signed, orderType }) => ({
      order: signed.order,
      orderType: ClientOrderType[orderType],
    }));
    const responses: unknown = await this.#call((client) => client.postOrders(args, postOnly, true), true);
    if (!Array.isArray(responses) || responses.length !== orders.length) {
      throw new UnknownOutcome(`batch answer does not list the ${orders.length} orders sent`, {
        batch: true,
      });
    }
    return orders.map(({ signed }, index): BatchEntry => {
      const placement = placementOf(signed, responses[index], true);
      return placement.outcome === "failed"
        ? { orderHash: signed.orderHash, outcome: "failed", error: placement.error.toJSON() }
        : { orderHash: signed.orderHash, ...placement };
    });
  }

  /** DELETE /order. */
  cancelOrder(orderId: string): Promise<CancelResult> {
    return this.#call(async (client) => toCancelResult(await client.cancelOrder({ orderID: orderId })));
  }

  /** DELETE /orders. */
  cancelOrders(orderIds: readonly string[]): Promise<CancelResult> {
    return this.#call(async (client) => toCancelResult(await client.cancelOrders([...orderIds])));
  }

  /** DELETE /cancel-market-orders: every order of a market (condition id) or of one token. */
  cancelMarket(scope: { market?: string; tokenId?: string }): Promise<CancelResult> {
    if (scope.market === undefined && scope.tokenId === undefined) {
      return Promise.reject(new Rejected("cancelMarket needs a market or a token id"));
    }
    return this.#call(async (client) =>
      toCancelResult(await client.cancelMarketOrders({ market: scope.market, asset_id: scope.tokenId })),
    );
  }

  /** DELETE /cancel-all. */
  cancelAll(): Promise<CancelResult> {
    return this.#call(async (client) => toCancelResult(await client.cancelAll()));
  }

  /** GET /data/orders, every page. */
  openOrders(filter: OrderFilter = {}): Promise<RestOpenOrder[]> {
    return this.#call(async (client) => {
      const orders = await client.getOpenOrders({
        id: filter.id,
        market: filter.market,
        asset_id: filter.tokenId,
      });
      return orders.map(toRestOpenOrder);
    });
  }

  /** GET /data/trades, every page. */
  trades(filter: TradeFilter = {}): Promise<RestTrade[]> {
    return this.#call(async (client) => {
      const trades = await client.getTrades({
        id: filter.id,
        market: filter.market,
        asset_id: filter.tokenId,
        maker_address: filter.makerAddress,
        before: filter.before === undefined ? undefined : String(filter.before),
        after: filter.after === undefined ? undefined : String(filter.after),
      });
      return trades.map(toRestTrade);
    });
  }

  /** GET /data/order/{id}; undefined when the venue does not know the order (empty body or 404). */
  async getOrder(orderId: string): Promise<RestOpenOrder | undefined> {
    try {
      return await this.#call(async (client) => {
        const order: OpenOrder | null | "" = await client.getOrder(orderId);
        return order ? toRestOpenOrder(order) : undefined;
      });
    } catch (error) {
      if (error instanceof Rejected && error.status === 404) return undefined;
      throw error;
    }
  }

  /** GET /book, levels sorted best first. */
  orderBook(tokenId: string): Promise<OrderBook> {
    return this.#call(async (client) => toOrderBook(await client.getOrderBook(tokenId)));
  }

  /**
   * The token's current tick size, always asked of the venue. The client caches ticks forever,
   * while the venue narrows the tick when the price nears 0 or 1, so its cache entry is dropped.
   */
  tickSize(tokenId: string): Promise<Micros> {
    return this.#call(async (client) => {
      Reflect.deleteProperty(client.tickSizes, tokenId);
      return parseMicros(await client.getTickSize(tokenId));
    });
  }

  /**
   * A market's fee parameters (GET /clob-markets/{conditionId}, fields fd.r and fd.e), reused for
   * `feeParamsTtlMs` by the injected clock. Concurrent callers share one request; a failure is not
   * cached.
   */
  feeParams(conditionId: string): Promise<FeeParams> {
    const now = this.#now();
    const cached = this.#feeParams.get(conditionId);
    if (cached && now < cached.expiresAt) return cached.params;
    const params = this.#call(async (client) => toFeeParams(await client.getClobMarketInfo(conditionId)));
    const entry = { expiresAt: now + this.#feeParamsTtlMs, params };
    this.#feeParams.set(conditionId, entry);
    params.catch(() => {
      if (this.#feeParams.get(conditionId) === entry) this.#feeParams.delete(conditionId);
    });
    return params;
  }

  /** The market's winner as the CLOB shows it (GET /markets/{conditionId}); undefined before resolution. */
  marketWinner(conditionId: string): Promise<"UP" | "DOWN" | undefined> {
    return this.#call(async (client) => toMarketWinner(await client.getMarket(conditionId)));
  }

  /**
   * POST /v1/heartbeats. Pass "" the first time and then the id returned by the previous beat;
   * once beating, the venue cancels the account's orders if the beats stop.
   */
  heartbeat(heartbeatId = ""): Promise<string> {
    return this.#call(async (client) => {
      const response = await client.postHeartbeat(heartbeatId);
      if (response.error_msg) throw new Rejected(response.error_msg);
      return response.heartbeat_id;
    });
  }
}

/** An Exchange for a private key, deriving (or creating) its API credentials when none are given. */
export async function createExchange(
  config: ExchangeConfig,
  options: ExchangeOptions = {},
): Promise<Exchange> {
  const signer = new Wallet(config.privateKey);
  const creds = config.apiCreds ?? (await obtainApiCredentials(config, signer, options));
  return new Exchange(
    {
      host: config.clobUrl,
      chainId: config.chainId,
      signer,
      creds,
      signatureType: config.signatureType,
      funderAddress: config.funderAddress,
    },
    options,
  );
}
