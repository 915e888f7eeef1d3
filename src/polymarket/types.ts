/**
 * The venue client's types: how to connect, what an order intent and a signed order are, and what the
 * venue answers — placements, cancels, orders and trades read back over REST, books, fee parameters — in
 * exact amounts (micros) and the shared venue vocabulary (src/protocol/vocabulary.ts). Types only, plus
 * the batch limit.
 */
import type { Side as ClientSide, SignatureTypeV2 } from "@polymarket/clob-client-v2";
import type { Signer } from "ethers";
import type { Micros } from "../money";
import type { PriceLevel } from "../protocol/market";
import type { OrderType, Side, TraderSide } from "../protocol/vocabulary";
import type { VenueErrorDetails } from "./errors";

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
  side: Side;
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
  readonly side: ClientSide;
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
  orderType: OrderType;
  order: VenueOrder;
}

export interface PlaceOptions {
  orderType: OrderType;
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
  orderType: OrderType;
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

/** An order read back over REST (GET /data/order/{id}, GET /data/orders): the client's `OpenOrder`. */
export interface RestOpenOrder {
  id: string;
  status: string;
  market: string;
  tokenId: string;
  side: Side;
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

/** A maker order of a REST trade. */
export interface RestMakerFill {
  orderId: string;
  owner: string;
  makerAddress: string;
  matchedAmount: Micros;
  price: Micros;
  tokenId: string;
  outcome: string;
  side: Side | undefined;
  feeRateBps: number;
}

/**
 * A trade read back over REST (GET /data/trades), amounts in micros and times in unix seconds. Turned into
 * the internal trade shape (protocol/user.ts TradeEvent) by conversions.ts `tradeEventFromRest` before any
 * fill is derived from it.
 */
export interface RestTrade {
  id: string;
  takerOrderId: string;
  market: string;
  tokenId: string;
  side: Side;
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
  /** Whether the reading account was the taker or a maker; older payloads omit it. */
  traderSide: TraderSide | undefined;
  transactionHash: string | undefined;
  bucketIndex: number;
  makerOrders: RestMakerFill[];
}

export interface OrderBook {
  market: string;
  tokenId: string;
  /** Venue time of the snapshot, in ms. */
  timestamp: number;
  /** Best (highest) first. The venue itself sends bids worst-first. */
  bids: PriceLevel[];
  /** Best (lowest) first. The venue itself sends asks worst-first. */
  asks: PriceLevel[];
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
