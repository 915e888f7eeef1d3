/**
 * The venue adapter: Polymarket CLOB V2 through the official @polymarket/clob-client-v2 (1.1.0),
 * with exact amounts (micros in, micros out) and every failure thrown as a taxonomy error
 * (errors.ts). docs/clob-client-v2.md describes the client's wire behaviour in detail.
 *
 * Idempotent placement. The client cannot sign an order with a chosen salt or timestamp:
 * `createOrder` stamps `timestamp: Date.now()` (dist/order-builder/helpers/buildOrderCreationArgs.cjs)
 * and the order builder draws `salt = Math.round(Math.random() * Date.now())`
 * (dist/order-utils/utils.cjs, used by dist/order-utils/exchangeOrderBuilderV2.cjs), and the class
 * that would accept a salt generator is not exported (the package's `exports` map only exposes
 * dist/index). So {@link Exchange.buildSignedOrder} signs the V2 EIP-712 order itself, from an
 * intent that carries its salt and timestamp, and hands the result to the client's `postOrder`,
 * which posts any V2-shaped signed order as is. The same intent therefore always yields the same
 * order hash (and, ECDSA signing being deterministic, the same signature): a retried activity
 * re-posts the very same order, and the venue's "Duplicated" answer means the first attempt landed.
 *
 * Transport. The client drops response headers and has no timeout (plain axios defaults). An axios
 * interceptor, active only inside this adapter's calls (AsyncLocalStorage), sets a timeout and
 * records the status, headers and transport error code of each exchange, so Retry-After and
 * "reset vs refused" survive into classification. axios is the client's own dependency; it is
 * imported here so that the interceptor sits on the very instance the client calls.
 *
 * Secrets: the API secret, passphrase and private key live only inside the client and the signer,
 * behind private fields; nothing here logs, and errors carry venue texts and statuses only.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Chain,
  ClobClient,
  type ClobClientOptions,
  getContractConfig,
  type MarketDetails,
  type OpenOrder,
  type OrderBookSummary,
  type OrderResponse,
  OrderType,
  Side,
  SignatureTypeV2,
  type Trade,
} from "@polymarket/clob-client-v2";
import axios from "axios";
import { type Signer, type TypedDataDomain, TypedDataEncoder, Wallet } from "ethers";
import { formatMicros, type Micros, parseMicros, parseOptionalMicros } from "../../src/money";
import {
  amountRuleViolation,
  isMarketable,
  MIN_MARKETABLE_BUY_AMOUNT,
  type OrderAmounts,
  OrderAmountsError,
  orderAmounts as venueOrderAmounts,
} from "../../src/protocol/amounts";
import {
  exchangeDomain,
  ORDER_TYPES,
  type OrderStruct,
  ZERO_BYTES32,
} from "../../src/protocol/order-signing";
import {
  BelowMinimumSize,
  type ClassifiedVenueError,
  classifyClientError,
  classifyOrderEntry,
  isDuplicateOrderMessage,
  OffTick,
  Rejected,
  type TransportObservation,
  Unauthorized,
  UnknownOutcome,
  type VenueErrorDetails,
} from "./errors";

export type OrderSide = "BUY" | "SELL";
export type TimeInForce = "GTC" | "GTD" | "FOK" | "FAK";

/** L2 credentials. The secret and passphrase are never logged nor put in errors. */
export interface ApiCredentials {
  key: string;
  secret: string;
  passphrase: string;
}

/**
 * Signature types this adapter signs for: 0 EOA (maker = signer), 1 POLY_PROXY and 2
 * POLY_GNOSIS_SAFE (maker = funder, signed by the owning EOA). POLY_1271 (3) uses a nested
 * ERC-7739 envelope and is not supported.
 */
export type SignatureType =
  | SignatureTypeV2.EOA
  | SignatureTypeV2.POLY_PROXY
  | SignatureTypeV2.POLY_GNOSIS_SAFE;

/** Signs EIP-712 data: an ethers v6 Wallet, or anything with these two methods. */
export type TypedDataSigner = Pick<Signer, "getAddress" | "signTypedData">;

export interface ExchangeConnection {
  host: string;
  /** 137 (Polygon) or 80002 (Amoy): the only chains the client knows contract addresses for. */
  chainId: number;
  signer: TypedDataSigner;
  creds: ApiCredentials;
  signatureType?: SignatureType;
  /** The proxy or safe holding the funds, for signature types 1 and 2. */
  funderAddress?: string;
}

export interface ExchangeOptions {
  /** Clock (ms) for the fee-parameter cache and Retry-After dates. */
  now?: () => number;
  /** How long fee parameters of a market are reused. */
  feeParamsTtlMs?: number;
  /** Per HTTP request; the client itself would wait forever. */
  requestTimeoutMs?: number;
}

export interface ExchangeConfig {
  clobUrl: string;
  chainId: number;
  privateKey: string;
  /** Derived from the private key (L1) when absent. */
  apiCreds?: ApiCredentials;
  signatureType?: SignatureType;
  funderAddress?: string;
}

/**
 * Everything that determines a signed order. Keep the intent (with its salt and timestamp) and the
 * order can be signed again bit for bit.
 */
export interface OrderIntent {
  /** The outcome token (decimal uint256). */
  tokenId: string;
  side: OrderSide;
  /** Limit price, a multiple of `tickSize`, within [tick, 1 − tick]. */
  price: Micros;
  /**
   * Shares, a multiple of 0.01 (the client's size precision for every tick size). A marketable BUY
   * signs for at least this many (src/protocol/amounts.ts `orderAmounts`).
   */
  size: Micros;
  /** The market's current tick: 0.1, 0.01, 0.005, 0.0025, 0.001 or 0.0001. */
  tickSize: Micros;
  /** The market's minimum order size in shares, when known: a smaller `size` is refused locally. Not signed. */
  minOrderSize?: Micros;
  /** Neg-risk markets settle on a different exchange contract (another EIP-712 domain). */
  negRisk: boolean;
  /**
   * Order salt: a non-negative safe integer, because the client sends it as a JSON number
   * (`parseInt(order.salt, 10)` in dist/types/ordersV2.cjs) and a larger value would reach the
   * venue altered, breaking the signature. The workflows derive it from the position id and the order's
   * sequence number (src/session/ids.ts `orderSalt`).
   */
  salt: number;
  /** Creation time in milliseconds, as the client stamps it (signed). */
  timestampMs: number;
  /** GTD expiry in unix seconds. Sent with the order but NOT signed in V2. */
  expirationSec?: number;
  /** bytes32, signed; zero when absent. */
  metadata?: string;
  /** bytes32 builder code, signed; zero when absent. */
  builderCode?: string;
}

/**
 * A signed V2 order exactly as the client posts it (dist/types/ordersV2.cjs `orderToJsonV2`).
 * A type alias rather than an interface so it satisfies the client's `SignedOrder`.
 */
export type VenueOrder = {
  readonly salt: string;
  readonly maker: string;
  readonly signer: string;
  readonly tokenId: string;
  readonly makerAmount: string;
  readonly takerAmount: string;
  readonly side: Side;
  readonly signatureType: SignatureTypeV2;
  readonly timestamp: string;
  readonly expiration: string;
  readonly metadata: string;
  readonly builder: string;
  readonly signature: string;
};

export interface SignedVenueOrder {
  /** EIP-712 hash of the order: the venue's order id. */
  orderHash: string;
  /**
   * The order type its amounts were built for: a marketable (FAK/FOK) order's amounts differ from a
   * limit (GTC/GTD) order's, so it may only be posted as a type of the same kind.
   */
  orderType: TimeInForce;
  order: VenueOrder;
}

export interface PlaceOptions {
  orderType: TimeInForce;
  /** Rest only: rejected with PostOnlyWouldCross instead of taking. GTC/GTD only. */
  postOnly?: boolean;
}

/** The venue accepted the order now. */
export interface OrderPlaced {
  outcome: "placed";
  orderId: string;
  /** "live" (resting), "matched", "delayed" (matching deferred by the venue) or "unmatched". */
  status: string;
  /** What the order gave so far: pUSD for a BUY, shares for a SELL. */
  makingAmount: Micros;
  /** What it received so far: shares for a BUY, pUSD for a SELL (before fees). */
  takingAmount: Micros;
  tradeIds: string[];
  transactionHashes: string[];
}

/** The venue already had this exact order (same hash), e.g. from an attempt that timed out. */
export interface OrderAlreadyPlaced {
  outcome: "already-placed";
  orderId: string;
  venueMessage: string;
}

export type Placement = OrderPlaced | OrderAlreadyPlaced;

export interface BatchOrder {
  signed: SignedVenueOrder;
  orderType: TimeInForce;
}

export type BatchEntry = { orderHash: string } & (
  | Placement
  | { outcome: "failed"; error: VenueErrorDetails }
);

export interface CancelResult {
  canceled: string[];
  /** Order id → the venue's reason. */
  notCanceled: Record<string, string>;
}

export interface VenueOrderState {
  id: string;
  status: string;
  market: string;
  tokenId: string;
  side: OrderSide;
  price: Micros;
  originalSize: Micros;
  sizeMatched: Micros;
  outcome: string;
  owner: string;
  makerAddress: string;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds; 0 = none. */
  expiration: number;
  orderType: string;
  tradeIds: string[];
}

export interface VenueMakerFill {
  orderId: string;
  owner: string;
  makerAddress: string;
  matchedAmount: Micros;
  price: Micros;
  tokenId: string;
  outcome: string;
  side: OrderSide | undefined;
  feeRateBps: number;
}

export interface VenueTrade {
  id: string;
  takerOrderId: string;
  market: string;
  tokenId: string;
  side: OrderSide;
  size: Micros;
  price: Micros;
  /** The rate actually applied, post-trade (V2 fees are set at match time). */
  feeRateBps: number;
  /** MATCHED, MINED, CONFIRMED, RETRYING or FAILED. */
  status: string;
  /** Unix seconds. */
  matchTime: number;
  /** Unix seconds. */
  lastUpdate: number;
  outcome: string;
  owner: string;
  makerAddress: string;
  traderSide: "TAKER" | "MAKER";
  transactionHash: string | undefined;
  bucketIndex: number;
  makerOrders: VenueMakerFill[];
}

export interface BookLevel {
  price: Micros;
  size: Micros;
}

export interface OrderBook {
  market: string;
  tokenId: string;
  /** Venue time of the snapshot, in ms. */
  timestamp: number;
  /** Best (highest) first. The venue itself sends bids worst-first. */
  bids: BookLevel[];
  /** Best (lowest) first. The venue itself sends asks worst-first. */
  asks: BookLevel[];
  minOrderSize: Micros;
  tickSize: Micros;
  negRisk: boolean;
  hash: string;
  lastTradePrice: Micros | undefined;
}

/**
 * A market's taker-fee parameters (market info `fd`): rate r in micros and exponent e, for
 * src/fees.ts. Absent fields default as in the client (`fd?.r ?? 0`, `fd?.e ?? 0`).
 */
export interface FeeParams {
  rate: Micros;
  exponent: number;
}

export interface OrderFilter {
  id?: string;
  market?: string;
  tokenId?: string;
}

export interface TradeFilter {
  id?: string;
  market?: string;
  tokenId?: string;
  makerAddress?: string;
  /** Unix seconds. */
  before?: number;
  /** Unix seconds. */
  after?: number;
}

/** The venue refuses batches above this many orders ("Too many orders in payload"). */
export const MAX_BATCH_ORDERS = 15;

const DEFAULT_FEE_PARAMS_TTL_MS = 300_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

const SIGNATURE_TYPES: ReadonlySet<number> = new Set([
  SignatureTypeV2.EOA,
  SignatureTypeV2.POLY_PROXY,
  SignatureTypeV2.POLY_GNOSIS_SAFE,
]);

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

const ORDER_TYPE_NAMES: ReadonlySet<string> = new Set<TimeInForce>(["GTC", "GTD", "FOK", "FAK"]);

// ---------------------------------------------------------------------------------------------
// Transport observation

interface CallContext {
  timeoutMs: number;
  observed?: TransportObservation;
}

const callContext = new AsyncLocalStorage<CallContext>();
let observingTraffic = false;

function plainHeaders(headers: unknown): Record<string, string> {
  const source =
    headers !== null &&
    typeof headers === "object" &&
    "toJSON" in headers &&
    typeof headers.toJSON === "function"
      ? (headers.toJSON() as Record<string, unknown>)
      : ((headers ?? {}) as Record<string, unknown>);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (typeof value === "string") result[name.toLowerCase()] = value;
  }
  return result;
}

/** Installs, once per process, the interceptors that serve calls made inside {@link venueCall}. */
function observeVenueTraffic(): void {
  if (observingTraffic) return;
  observingTraffic = true;
  axios.interceptors.request.use(
    (config) => {
      const context = callContext.getStore();
      if (context) config.timeout = context.timeoutMs;
      return config;
    },
    undefined,
    { synchronous: true },
  );
  axios.interceptors.response.use(
    (response) => {
      const context = callContext.getStore();
      if (context) context.observed = { status: response.status, headers: plainHeaders(response.headers) };
      return response;
    },
    (error: unknown) => {
      const context = callContext.getStore();
      if (context && axios.isAxiosError(error)) {
        context.observed = {
          status: error.response?.status,
          headers: plainHeaders(error.response?.headers),
          code: error.code,
          message: error.message,
        };
      }
      return Promise.reject(error);
    },
  );
}

/** Runs one client call with a timeout, turning any failure into a taxonomy error. */
async function venueCall<T>(
  run: () => Promise<T>,
  settings: { timeoutMs: number; now: () => number; batch?: boolean },
): Promise<T> {
  observeVenueTraffic();
  const context: CallContext = { timeoutMs: settings.timeoutMs };
  try {
    return await callContext.run(context, run);
  } catch (error) {
    throw classifyClientError(error, context.observed, { now: settings.now(), batch: settings.batch });
  }
}

// ---------------------------------------------------------------------------------------------
// Conversions at the boundary

/** The client wants an ethers-v5-style signer (`_signTypedData`); an ethers v6 Wallet has `signTypedData`. */
function toClobSigner(signer: TypedDataSigner): NonNullable<ClobClientOptions["signer"]> {
  return {
    getAddress: () => signer.getAddress(),
    _signTypedData: (domain, types, value) => signer.signTypedData(domain as TypedDataDomain, types, value),
  };
}

function supportedChain(chainId: number): Chain {
  try {
    getContractConfig(chainId);
  } catch {
    throw new Error(`chain ${chainId} is not supported by the CLOB client (137 or 80002)`);
  }
  return chainId as Chain;
}

function toSide(value: string): OrderSide {
  const side = value.toUpperCase();
  if (side !== "BUY" && side !== "SELL") throw new Error(`unexpected side ${JSON.stringify(value)}`);
  return side;
}

function toNumber(value: string | number | undefined, field: string): number {
  const n = typeof value === "number" ? value : Number(value ?? Number.NaN);
  if (!Number.isFinite(n)) throw new Error(`unexpected ${field} ${JSON.stringify(value)}`);
  return n;
}

function toOrderState(order: OpenOrder): VenueOrderState {
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

function toTrade(trade: Trade): VenueTrade {
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

function toLevels(levels: OrderBookSummary["bids"] | undefined, best: "highest" | "lowest"): BookLevel[] {
  const parsed = (levels ?? []).map((level) => ({
    price: parseMicros(level.price),
    size: parseMicros(level.size),
  }));
  return parsed.sort((a, b) => (best === "highest" ? b.price - a.price : a.price - b.price));
}

function toOrderBook(book: OrderBookSummary): OrderBook {
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

function toFeeParams(info: MarketDetails): FeeParams {
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

function toCancelResult(response: unknown): CancelResult {
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
function placementOf(
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

function alreadyPlaced(error: unknown, signed: SignedVenueOrder): OrderAlreadyPlaced | undefined {
  if (!(error instanceof Rejected) || !isDuplicateOrderMessage(error.venueMessage)) return undefined;
  return { outcome: "already-placed", orderId: signed.orderHash, venueMessage: error.venueMessage };
}

/** Order-type rules the venue enforces, checked before anything is sent. */
function assertPlaceable(
  signed: SignedVenueOrder,
  orderType: TimeInForce,
  postOnly: boolean,
  batch: boolean,
): void {
  if (isMarketable(orderType) !== isMarketable(signed.orderType)) {
    throw new Rejected(
      `an order signed as ${signed.orderType} cannot be posted as ${orderType} (marketable and limit orders have different amounts)`,
      { batch },
    );
  }
  if (postOnly && (orderType === "FOK" || orderType === "FAK")) {
    throw new Rejected(`post-only applies to resting orders (GTC/GTD), not ${orderType}`, { batch });
  }
  const expires = signed.order.expiration !== "0";
  if (orderType === "GTD" && !expires) throw new Rejected("a GTD order needs an expiration", { batch });
  if (orderType !== "GTD" && expires)
    throw new Rejected(`a ${orderType} order cannot carry an expiration`, { batch });
}

/**
 * makerAmount / takerAmount in 6-decimal base units, by the venue's precision rules for the order's
 * kind (src/protocol/amounts.ts `orderAmounts`: a limit order's are exactly what the client's
 * `createOrder` signs; a marketable BUY spends pUSD rounded up to the cent for shares rounded down to 4
 * decimals), then held to the venue's acceptance rules so that nothing it would refuse is sent:
 * OffTick for a price off the tick or outside [tick, 1 − tick], Rejected for an unknown tick or a bad
 * size, BelowMinimumSize for a size under the market's minimum (when the intent knows it) or a
 * marketable BUY under $1 (with the venue's own text).
 */
function orderAmounts(intent: OrderIntent, orderType: TimeInForce): OrderAmounts {
  if (!ORDER_TYPE_NAMES.has(orderType)) {
    throw new Rejected(`unknown order type ${JSON.stringify(orderType)} (GTC, GTD, FOK or FAK)`);
  }
  const marketable = isMarketable(orderType);
  let amounts: OrderAmounts;
  try {
    amounts = venueOrderAmounts({
      side: intent.side,
      price: intent.price,
      shares: intent.size,
      tickSize: intent.tickSize,
      marketable,
    });
  } catch (error) {
    if (!(error instanceof OrderAmountsError)) throw error;
    if (error.problem === "price") throw new OffTick(error.message, { tickSize: intent.tickSize });
    throw new Rejected(error.message);
  }
  if (intent.minOrderSize !== undefined && intent.size < intent.minOrderSize) {
    throw new BelowMinimumSize(
      `Size (${formatMicros(intent.size)}) lower than the minimum: ${formatMicros(intent.minOrderSize)}`,
      { minimumSize: intent.minOrderSize },
    );
  }
  const violation = amountRuleViolation({
    side: intent.side,
    ...amounts,
    tickSize: intent.tickSize,
    marketable,
  });
  if (violation !== undefined) {
    if (marketable && intent.side === "BUY" && amounts.makerAmount < MIN_MARKETABLE_BUY_AMOUNT) {
      throw new BelowMinimumSize(violation);
    }
    throw new Rejected(violation);
  }
  return amounts;
}

function assertIntentFields(intent: OrderIntent): void {
  const problems: string[] = [];
  if (!/^\d+$/.test(intent.tokenId)) problems.push("tokenId must be a decimal integer");
  if (!Number.isSafeInteger(intent.salt) || intent.salt < 0)
    problems.push("salt must be a non-negative safe integer");
  if (!Number.isSafeInteger(intent.timestampMs) || intent.timestampMs <= 0)
    problems.push("timestampMs must be positive");
  const expiration = intent.expirationSec ?? 0;
  if (!Number.isSafeInteger(expiration) || expiration < 0)
    problems.push("expirationSec must be a non-negative integer");
  for (const [field, value] of [
    ["metadata", intent.metadata],
    ["builderCode", intent.builderCode],
  ] as const) {
    if (value !== undefined && !BYTES32.test(value)) problems.push(`${field} must be bytes32 hex`);
  }
  if (problems.length > 0) throw new Rejected(`invalid order intent: ${problems.join("; ")}`);
}

// ---------------------------------------------------------------------------------------------

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
    const signatureType = connection.signatureType ?? SignatureTypeV2.EOA;
    if (!SIGNATURE_TYPES.has(signatureType)) {
      throw new Error(
        `signature type ${signatureType} is not supported (0 EOA, 1 POLY_PROXY, 2 POLY_GNOSIS_SAFE)`,
      );
    }
    if (signatureType !== SignatureTypeV2.EOA && connection.funderAddress === undefined) {
      throw new Error(`signature type ${signatureType} needs the funder address`);
    }
    this.#chainId = connection.chainId;
    this.#signer = connection.signer;
    this.#signatureType = signatureType;
    this.#funderAddress = connection.funderAddress;
    this.#now = options.now ?? Date.now;
    this.#feeParamsTtlMs = options.feeParamsTtlMs ?? DEFAULT_FEE_PARAMS_TTL_MS;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#client = new ClobClient({
      host: connection.host,
      chain: supportedChain(connection.chainId),
      signer: toClobSigner(connection.signer),
      creds: { ...connection.creds },
      signatureType,
      funderAddress: connection.funderAddress,
      // Failures must throw (errors.ts), and retries belong to Temporal: the client's own retry
      // re-posts a POST once after 30 ms, which must never happen to a batch.
      throwOnError: true,
      retryOnError: false,
    });
  }

  #call<T>(run: (client: ClobClient) => Promise<T>, batch = false): Promise<T> {
    return venueCall(() => run(this.#client), { timeoutMs: this.#requestTimeoutMs, now: this.#now, batch });
  }

  #address(): Promise<string> {
    this.#signerAddress ??= this.#signer.getAddress();
    return this.#signerAddress;
  }

  /**
   * Signs an order with the intent's own salt and timestamp (the client cannot; see the module
   * comment), with the amounts the venue accepts for `orderType` (marketable FAK/FOK or limit GTC/GTD;
   * see `orderAmounts`). Deterministic: the same intent and order type give the same hash and signature.
   * Local checks throw OffTick (price off the tick or out of range), BelowMinimumSize (size under the
   * intent's `minOrderSize`, marketable BUY under $1) or Rejected (unknown tick, bad size or fields).
   */
  async buildSignedOrder(intent: OrderIntent, orderType: TimeInForce): Promise<SignedVenueOrder> {
    assertIntentFields(intent);
    const { makerAmount, takerAmount } = orderAmounts(intent, orderType);
    const signer = await this.#address();
    const maker = this.#funderAddress ?? signer;
    const domain = exchangeDomain(this.#chainId, intent.negRisk);
    const message: OrderStruct = {
      salt: String(intent.salt),
      maker,
      signer,
      tokenId: intent.tokenId,
      makerAmount: makerAmount.toString(),
      takerAmount: takerAmount.toString(),
      side: intent.side === "BUY" ? 0 : 1,
      signatureType: this.#signatureType,
      timestamp: String(intent.timestampMs),
      metadata: intent.metadata ?? ZERO_BYTES32,
      builder: intent.builderCode ?? ZERO_BYTES32,
    };
    const signature = await this.#signer.signTypedData(domain, ORDER_TYPES, message);
    return {
      orderHash: TypedDataEncoder.hash(domain, ORDER_TYPES, message),
      orderType,
      order: {
        ...message,
        side: intent.side === "BUY" ? Side.BUY : Side.SELL,
        expiration: String(intent.expirationSec ?? 0),
        signature,
      },
    };
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
          await client.postOrder(signed.order, OrderType[options.orderType], postOnly, true),
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
      orderType: OrderType[orderType],
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
  openOrders(filter: OrderFilter = {}): Promise<VenueOrderState[]> {
    return this.#call(async (client) => {
      const orders = await client.getOpenOrders({
        id: filter.id,
        market: filter.market,
        asset_id: filter.tokenId,
      });
      return orders.map(toOrderState);
    });
  }

  /** GET /data/trades, every page. */
  trades(filter: TradeFilter = {}): Promise<VenueTrade[]> {
    return this.#call(async (client) => {
      const trades = await client.getTrades({
        id: filter.id,
        market: filter.market,
        asset_id: filter.tokenId,
        maker_address: filter.makerAddress,
        before: filter.before === undefined ? undefined : String(filter.before),
        after: filter.after === undefined ? undefined : String(filter.after),
      });
      return trades.map(toTrade);
    });
  }

  /** GET /data/order/{id}; undefined when the venue does not know the order (empty body or 404). */
  async getOrder(orderId: string): Promise<VenueOrderState | undefined> {
    try {
      return await this.#call(async (client) => {
        const order: OpenOrder | null | "" = await client.getOrder(orderId);
        return order ? toOrderState(order) : undefined;
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

/**
 * L1 authentication: the wallet's existing API key, or a new one when it has none. Also gives the
 * streaming worker its user-channel credentials.
 */
export async function obtainApiCredentials(
  config: ExchangeConfig,
  signer: TypedDataSigner,
  options: ExchangeOptions,
): Promise<ApiCredentials> {
  const client = new ClobClient({
    host: config.clobUrl,
    chain: supportedChain(config.chainId),
    signer: toClobSigner(signer),
    throwOnError: true,
    retryOnError: false,
  });
  const settings = {
    timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    now: options.now ?? Date.now,
  };
  const complete = (creds: ApiCredentials): boolean => Boolean(creds.key && creds.secret && creds.passphrase);
  try {
    const derived = await venueCall(() => client.deriveApiKey(), settings);
    if (complete(derived)) return derived;
  } catch (error) {
    // No key yet is a 4xx; anything else (auth, outage) would fail the creation too.
    if (!(error instanceof Rejected)) throw error;
  }
  const created = await venueCall(() => client.createApiKey(), settings);
  if (!complete(created)) throw new Unauthorized("the venue returned no API credentials");
  return created;
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
