/**
 * The venue's error strings, as Polymarket's CLOB returns them in `errorMsg` (POST /order) and in
 * `not_canceled` (DELETE /order(s)). Kept in one place so the server and the tests use the same text.
 */
import { formatMicros, type Micros } from "../../money";

export const MARKET_NOT_FOUND = "market not found";
/** The simulator's message for a market that is closed or resolved (the real venue has no public text for it). */
export const MARKET_NOT_ACCEPTING_ORDERS = "market is not accepting orders";
export const POST_ONLY_WRONG_TYPE = "invalid post-only order: only GTC and GTD order types are allowed";
export const POST_ONLY_CROSSES = "invalid post-only order: order crosses book";
export const NOT_ENOUGH_BALANCE = "not enough balance / allowance";
export const INVALID_EXPIRATION = "invalid expiration";
export const FOK_NOT_FILLED = "order couldn't be fully filled. FOK orders are fully filled or killed.";
export const FAK_NO_MATCH =
  "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.";
/** The `status` the user channel carries for a killed FOK order (a real-venue quirk). */
export const FOK_KILLED_WIRE_STATUS = `CANCELED_${FOK_NOT_FILLED}`;
/** The `not_canceled` reason for an id that is unknown, not open any more, or not the caller's. */
export const CANCEL_NOT_FOUND = "order can't be found - already canceled or matched";

function decimal(m: Micros): string {
  return Number.isSafeInteger(m) ? formatMicros(m) : String(m / 1_000_000);
}

export function tickSizeError(orderId: string, price: Micros, tick: Micros): string {
  return `order ${orderId} is invalid. Price (${decimal(price)}) breaks minimum tick size rule: ${decimal(tick)}`;
}

export function minSizeError(orderId: string, size: Micros, minimum: Micros): string {
  return `order ${orderId} is invalid. Size (${decimal(size)}) lower than the minimum: ${decimal(minimum)}`;
}
