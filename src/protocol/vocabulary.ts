/**
 * The venue's words, declared once for every layer: the protocol schemas, the venue client
 * (src/polymarket), the streaming worker, the strategies, the workflows and the simulator all spell a
 * side, a trader side and an order type with these.
 *
 * Pure and workflow-safe: no imports at all, so a workflow (or src/session/messages.ts, which workflows
 * import) may take its types from here. Trade statuses and their lifecycle rule are in trade-status.ts;
 * the 0.01-share lot and the other amount rules in amounts.ts (SHARE_LOT).
 */

export const SIDES = ["BUY", "SELL"] as const;
/** Order side; on a book, BUY is the bid side and SELL the ask side. */
export type Side = (typeof SIDES)[number];

/** The other side: what the counterparty of a plain cross did. */
export function oppositeSide(side: Side): Side {
  return side === "BUY" ? "SELL" : "BUY";
}

/** Whether an account was the taker of a trade or one of its makers. */
export type TraderSide = "TAKER" | "MAKER";

/** GTC and GTD rest on the book (limit orders); FOK and FAK take on arrival and never rest. */
export const ORDER_TYPES = ["GTC", "GTD", "FOK", "FAK"] as const;
/** The venue's order type (time in force). */
export type OrderType = (typeof ORDER_TYPES)[number];
