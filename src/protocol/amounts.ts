/**
 * The venue's order-size and amount rules (Polymarket CLOB V2), as pure constants and functions,
 * shared by the exchange adapter, the strategies and the venue simulator. Workflow-safe: no I/O,
 * no node: imports. All amounts are integer micros (1e-6).
 *
 * A signed order carries no price and no size: only `makerAmount` (what it gives) and `takerAmount`
 * (what it wants), in 6-decimal base units. A BUY gives pUSD for shares, a SELL shares for pUSD; the
 * implied price is pUSD / shares. The venue refuses amounts with more decimals than it supports, and
 * the limits depend on the side and on whether the order is marketable (FAK/FOK) or a limit order
 * (GTC/GTD). What is known of the real venue, and where from:
 *
 * | order | makerAmount | takerAmount | refusal |
 * | --- | --- | --- | --- |
 * | marketable BUY | pUSD, 2 decimals | shares, 4 decimals | `invalid amounts, the market buy orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals` |
 * | limit BUY | pUSD, A decimals | shares, 2 decimals | `invalid amounts, the buy orders maker amount supports a max accuracy of A decimals, taker amount a max of 2 decimals` |
 * | marketable SELL | shares, 2 decimals | pUSD, 4 decimals | `invalid amounts, the sell orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals` |
 * | limit SELL | shares, 2 decimals | pUSD, A decimals | `invalid amounts, the sell orders maker amount supports a max accuracy of 2 decimals, taker amount a max of A decimals` |
 *
 * A = the tick's price decimals + 2 (4 at tick 0.01, 5 at tick 0.001): the `amount` of the client's
 * ROUNDING_CONFIG (node_modules/@polymarket/clob-client-v2/dist/order-builder/helpers/roundingConfig.cjs).
 * Sources, all venue answers quoted in public issues:
 * - marketable BUY: Polymarket/rs-clob-client#114 (FAK BUY), Polymarket/rs-clob-client-v2#59 (V2, maker
 *   1.999422 refused), Polymarket/py-clob-client-v2#99 (tick 0.001: "the exchange caps market-order takers
 *   at a flat 4 decimals whatever the tick", while the client signs 5 there);
 * - limit BUY: Polymarket/py-clob-client#305 ("max accuracy of 4 decimals", 1 share at 0.962 refused) and
 *   Polymarket/clob-client#124 ("max accuracy of 5 decimals, taker amount a max of 2 decimals", a taker of
 *   6.66666 shares refused), so A follows the tick;
 * - SELL: a V2 integrator's notes (2026-04: a FOK SELL whose share amount had 4 decimals refused with the
 *   "sell orders" sentence above) and Polymarket/py-clob-client#121 (the V1 venue, same sentence). Neither
 *   shows a limit SELL at tick 0.001: its A = 5 decimals of pUSD is inferred from the limit BUY's rule.
 *
 * And, checked before the precision (a bot whose 5-decimal amount was under $1 got this answer first, and
 * the precision one only once above $1): a marketable BUY spending less than $1 is refused with
 * `invalid amount for a marketable BUY order ($0.95), min size: $1`, the amount printed without trailing
 * zeros — quoted from the venue in public trading bots' code and logs ("($0.7)", "($0.03)", "($0.996)";
 * PolyApiException texts). Some 2026 quotes read `min size: 1` without the dollar sign; Ballast's
 * classifier (src/polymarket/errors.ts) takes both.
 *
 * Tick: a limit order's implied price must be a multiple of the tick, within [tick, 1 − tick]
 * (`… breaks minimum tick size rule: 0.01`). A marketable order's implied price is not held to the tick
 * (the venue checks its amounts' precision instead): it is the order's limit.
 */
import { formatMicros, type Micros, ONE } from "../money";
import type { Side } from "./vocabulary";

/** Order sizes carry two decimals: every order size is a multiple of 0.01 share. */
export const SHARE_LOT: Micros = 10_000;

/** The venue refuses a marketable (FAK/FOK) BUY that spends less than $1. */
export const MIN_MARKETABLE_BUY_AMOUNT: Micros = 1_000_000;

/** pUSD amounts of marketable BUYs carry two decimals: a multiple of one cent. */
export const CENT: Micros = 10_000;

/** A marketable order's taker amount (shares of a BUY, pUSD of a SELL) carries four decimals, whatever the tick. */
export const MARKETABLE_TAKER_STEP: Micros = 100;

/** The ticks the official client can round for (the keys of its ROUNDING_CONFIG). */
export const TICK_SIZES: ReadonlySet<Micros> = new Set([100_000, 10_000, 5_000, 2_500, 1_000, 100]);

/** FAK and FOK take liquidity on arrival and never rest: the venue calls them market orders. */
export function isMarketable(orderType: string): boolean {
  return orderType === "FAK" || orderType === "FOK";
}

/**
 * The pUSD a marketable (FAK/FOK) BUY of `shares` at limit `price` commits: shares × price rounded UP
 * to the cent, so that the order still buys at least `shares` at that limit. The most it can spend.
 */
export function marketableBuyAmount(shares: Micros, price: Micros): Micros {
  const exact = BigInt(shares) * BigInt(price);
  const cent = BigInt(CENT) * 1_000_000n;
  return Number(((exact + cent - 1n) / cent) * BigInt(CENT));
}

/** The decimals of a tick (0.01 → 2, 0.001 → 3, 0.0025 → 4). */
function tickDecimals(tickSize: Micros): number {
  let decimals = 6;
  for (let t = tickSize; decimals > 0 && t % 10 === 0; t /= 10) decimals -= 1;
  return decimals;
}

/** Most decimals of a limit order's pUSD amount at a tick: the tick's decimals + 2 (4 at 0.01, 5 at 0.001). */
export function limitAmountDecimals(tickSize: Micros): number {
  return tickDecimals(tickSize) + 2;
}

/** What an order decides: side, limit price, shares, the market's tick, and whether it takes liquidity now. */
export interface OrderDecision {
  side: Side;
  /** The limit price in micros: a multiple of `tickSize` within [tick, 1 − tick]. */
  price: Micros;
  /** Shares wanted (BUY) or offered (SELL), a positive multiple of SHARE_LOT. */
  shares: Micros;
  /** The market's tick, one of TICK_SIZES. */
  tickSize: Micros;
  /** FAK/FOK (see isMarketable) rather than GTC/GTD. */
  marketable: boolean;
}

/** A signed order's amounts in micros: BUY gives pUSD and takes shares, SELL gives shares and takes pUSD. */
export interface OrderAmounts {
  makerAmount: Micros;
  takerAmount: Micros;
}

/** Why a decision has no valid amounts. */
export type OrderAmountsProblem = "tick" | "price" | "size";

/** A decision that cannot become an order: an unknown tick, a price off the tick or out of range, a bad size. */
export class OrderAmountsError extends Error {
  constructor(
    readonly problem: OrderAmountsProblem,
    message: string,
  ) {
    super(message);
    this.name = "OrderAmountsError";
  }
}

function floorTo(value: bigint, step: bigint): bigint {
  return (value / step) * step;
}

/**
 * The amounts of an order that obey the venue's precision rules (table above) and trade at its limit:
 *
 * - limit BUY / SELL: pUSD = shares × price exactly. Shares have 2 decimals and an on-tick price the
 *   tick's decimals, so the product has at most A = tick decimals + 2 decimals, which is exactly what
 *   the venue allows at that tick (e.g. 10.01 × 0.123 = 1.23123, 5 decimals, fine at tick 0.001; at
 *   tick 0.01 the product has at most 4). There is never anything to round: the implied price is the
 *   limit exactly, as the tick rule requires.
 * - marketable BUY: pUSD = marketableBuyAmount (shares × price rounded UP to the cent) and shares =
 *   pUSD ÷ price rounded DOWN to 4 decimals. So it buys at least `shares`, and its implied price
 *   pUSD ÷ shares' is ≥ the limit (it can match an ask at the limit) and above it by less than
 *   price × 0.0001 ÷ shares' < 0.0001, short of the next tick even at 0.001 (10.63 @ 0.47 → 5.00 pUSD
 *   for 10.6382 shares, implied 0.4700043…).
 * - marketable SELL: shares as given and pUSD = shares × price rounded DOWN to 4 decimals: the implied
 *   price is ≤ the limit (it can match a bid at the limit) and below it by less than 0.0001 ÷ shares.
 *
 * Throws OrderAmountsError for a tick the client does not know, a price off the tick or outside
 * [tick, 1 − tick], or a size that is not a positive multiple of SHARE_LOT. It does not check the venue's
 * acceptance rules ($1 minimum, minimum size): see amountRuleViolation.
 */
export function orderAmounts(decision: OrderDecision): OrderAmounts {
  const { side, price, shares, tickSize, marketable } = decision;
  if (!TICK_SIZES.has(tickSize)) {
    throw new OrderAmountsError("tick", `unsupported tick size ${tickSize} micros`);
  }
  if (!Number.isSafeInteger(price) || price % tickSize !== 0) {
    throw new OrderAmountsError(
      "price",
      `price ${price} micros is not on the ${formatMicros(tickSize)} tick (${tickSize} micros)`,
    );
  }
  if (price < tickSize || price > ONE - tickSize) {
    throw new OrderAmountsError(
      "price",
      `price ${formatMicros(price)} is outside [${formatMicros(tickSize)}, ${formatMicros(ONE - tickSize)}]`,
    );
  }
  if (!Number.isSafeInteger(shares) || shares <= 0 || shares % SHARE_LOT !== 0) {
    throw new OrderAmountsError("size", `size ${shares} micros must be a positive multiple of 0.01 shares`);
  }
  const s = BigInt(shares);
  const p = BigInt(price);
  const unit = BigInt(ONE);
  if (!marketable) {
    // Exact: shares (2 decimals) × an on-tick price (≤ 4 decimals) is a whole number of micros.
    const pusd = Number((s * p) / unit);
    return side === "BUY"
      ? { makerAmount: pusd, takerAmount: shares }
      : { makerAmount: shares, takerAmount: pusd };
  }
  const step = BigInt(MARKETABLE_TAKER_STEP);
  if (side === "BUY") {
    const pusd = marketableBuyAmount(shares, price);
    return { makerAmount: pusd, takerAmount: Number(floorTo((BigInt(pusd) * unit) / p, step)) };
  }
  return { makerAmount: shares, takerAmount: Number(floorTo((s * p) / unit, step)) };
}

/** A signed order's amounts as the venue receives them (wire amounts may exceed 2^53: bigint accepted). */
export interface SignedAmounts {
  side: Side;
  makerAmount: Micros | bigint;
  takerAmount: Micros | bigint;
  /** The market's tick when the order arrives. */
  tickSize: Micros;
  /** Posted as FAK/FOK. */
  marketable: boolean;
}

/** Has `amount` (micros) at most `decimals` decimals? */
function withinDecimals(amount: bigint, decimals: number): boolean {
  return decimals >= 6 || amount % 10n ** BigInt(6 - decimals) === 0n;
}

/**
 * The venue's refusal of an order's amounts, verbatim, or undefined when they are acceptable: first the $1
 * minimum of a marketable BUY, then the precision of both amounts (table in the module comment). The
 * simulator answers with it; the exchange adapter checks its own orders with it before sending.
 */
export function amountRuleViolation(order: SignedAmounts): string | undefined {
  const maker = BigInt(order.makerAmount);
  const taker = BigInt(order.takerAmount);
  const amountDecimals = limitAmountDecimals(order.tickSize);
  if (order.side === "BUY") {
    if (order.marketable) {
      if (maker < BigInt(MIN_MARKETABLE_BUY_AMOUNT)) {
        const spent = maker <= BigInt(Number.MAX_SAFE_INTEGER) ? formatMicros(Number(maker)) : String(maker);
        return `invalid amount for a marketable BUY order ($${spent}), min size: $1`;
      }
      if (!withinDecimals(maker, 2) || !withinDecimals(taker, 4)) {
        return "invalid amounts, the market buy orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals";
      }
      return undefined;
    }
    if (!withinDecimals(maker, amountDecimals) || !withinDecimals(taker, 2)) {
      return `invalid amounts, the buy orders maker amount supports a max accuracy of ${amountDecimals} decimals, taker amount a max of 2 decimals`;
    }
    return undefined;
  }
  const takerDecimals = order.marketable ? 4 : amountDecimals;
  if (!withinDecimals(maker, 2) || !withinDecimals(taker, takerDecimals)) {
    return `invalid amounts, the sell orders maker amount supports a max accuracy of 2 decimals, taker amount a max of ${takerDecimals} decimals`;
  }
  return undefined;
}

/**
 * The limit price, in micros, that a signed order trades at. A limit order's implied price pUSD ÷ shares
 * must be a whole number of micros (every tick is), else undefined: it is off any tick. A marketable
 * order's limit is its implied price, on no grid: a BUY takes asks at or below it, i.e. at or below
 * it rounded DOWN to the micro; a SELL takes bids at or above it rounded UP. Undefined for no shares.
 */
export function impliedLimitPrice(order: Omit<SignedAmounts, "tickSize">): Micros | undefined {
  const maker = BigInt(order.makerAmount);
  const taker = BigInt(order.takerAmount);
  const [pusd, shares] = order.side === "BUY" ? [maker, taker] : [taker, maker];
  if (shares <= 0n || pusd < 0n) return undefined;
  const numerator = pusd * BigInt(ONE);
  const down = numerator / shares;
  const exact = numerator % shares === 0n;
  let price: bigint;
  if (exact) price = down;
  else if (!order.marketable) return undefined;
  else price = order.side === "BUY" ? down : down + 1n;
  return price <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(price) : undefined;
}
