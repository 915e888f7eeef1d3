/**
 * Order intents: everything that determines a signed order, checked against the venue's rules before
 * anything is sent, and signed deterministically.
 *
 * Idempotent placement. The client cannot sign an order with a chosen salt or timestamp:
 * `createOrder` stamps `timestamp: Date.now()` (dist/order-builder/helpers/buildOrderCreationArgs.cjs)
 * and the order builder draws `salt = Math.round(Math.random() * Date.now())`
 * (dist/order-utils/utils.cjs, used by dist/order-utils/exchangeOrderBuilderV2.cjs), and the class
 * that would accept a salt generator is not exported (the package's `exports` map only exposes
 * dist/index). So {@link signOrder} signs the V2 EIP-712 order itself, from an intent that carries its
 * salt and timestamp, and the Exchange hands the result to the client's `postOrder`, which posts any
 * V2-shaped signed order as is. The same intent therefore always yields the same order hash (and, ECDSA
 * signing being deterministic, the same signature): a retried activity re-posts the very same order, and
 * the venue's "Duplicated" answer means the first attempt landed.
 */
import { Side as ClientSide } from "@polymarket/clob-client-v2";
import { TypedDataEncoder } from "ethers";
import { formatMicros } from "../money";
import {
  amountRuleViolation,
  isMarketable,
  MIN_MARKETABLE_BUY_AMOUNT,
  type OrderAmounts,
  OrderAmountsError,
  orderAmounts as venueOrderAmounts,
} from "../protocol/amounts";
import {
  exchangeDomain,
  ORDER_TYPES as ORDER_EIP712_TYPES,
  type OrderStruct,
  ZERO_BYTES32,
} from "../protocol/order-signing";
import { ORDER_TYPES, type OrderType } from "../protocol/vocabulary";
import { BelowMinimumSize, OffTick, Rejected } from "./errors";
import type { OrderIntent, SignatureType, SignedVenueOrder, TypedDataSigner } from "./types";

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

const ORDER_TYPE_NAMES: ReadonlySet<string> = new Set<OrderType>(ORDER_TYPES);

/** Order-type rules the venue enforces, checked before anything is sent. */
export function assertPlaceable(
  signed: SignedVenueOrder,
  orderType: OrderType,
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
function orderAmounts(intent: OrderIntent, orderType: OrderType): OrderAmounts {
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

/** Who signs: the signer and its address, the funds' owner, the chain and the signature type. */
export interface OrderSigning {
  signer: TypedDataSigner;
  /** The signer's address (asked once the intent passed its checks). */
  signerAddress: () => Promise<string>;
  /** The proxy or safe holding the funds (signature types 1 and 2): the maker; else the signer is. */
  funderAddress: string | undefined;
  chainId: number;
  signatureType: SignatureType;
}

/**
 * Signs an order with the intent's own salt and timestamp (the client cannot; see the module comment),
 * with the amounts the venue accepts for `orderType` (marketable FAK/FOK or limit GTC/GTD; see
 * `orderAmounts`). Deterministic: the same intent and order type give the same hash and signature.
 * Local checks throw OffTick (price off the tick or out of range), BelowMinimumSize (size under the
 * intent's `minOrderSize`, marketable BUY under $1) or Rejected (unknown tick, bad size or fields).
 */
export async function signOrder(
  intent: OrderIntent,
  orderType: OrderType,
  signing: OrderSigning,
): Promise<SignedVenueOrder> {
  assertIntentFields(intent);
  const { makerAmount, takerAmount } = orderAmounts(intent, orderType);
  const signer = await signing.signerAddress();
  const maker = signing.funderAddress ?? signer;
  const domain = exchangeDomain(signing.chainId, intent.negRisk);
  const message: OrderStruct = {
    salt: String(intent.salt),
    maker,
    signer,
    tokenId: intent.tokenId,
    makerAmount: makerAmount.toString(),
    takerAmount: takerAmount.toString(),
    side: intent.side === "BUY" ? 0 : 1,
    signatureType: signing.signatureType,
    timestamp: String(intent.timestampMs),
    metadata: intent.metadata ?? ZERO_BYTES32,
    builder: intent.builderCode ?? ZERO_BYTES32,
  };
  const signature = await signing.signer.signTypedData(domain, ORDER_EIP712_TYPES, message);
  return {
    orderHash: TypedDataEncoder.hash(domain, ORDER_EIP712_TYPES, message),
    orderType,
    order: {
      ...message,
      side: intent.side === "BUY" ? ClientSide.BUY : ClientSide.SELL,
      expiration: String(intent.expirationSec ?? 0),
      signature,
    },
  };
}
