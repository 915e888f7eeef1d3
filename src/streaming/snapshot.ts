/**
 * The market book snapshot a session receives (MarketBookSnapshot), built from the feed's L2 books, and the
 * tick-size bookkeeping it needs. Pure.
 */
import type { BookRegistry } from "../book/orderbook";
import { DecimalError, type Micros, parseMicros } from "../money";
import type { BookTop, MarketBookSnapshot } from "../session/messages";

/** A snapshot before the feed numbers it (seq is assigned when it is actually sent). */
export type UnnumberedSnapshot = Omit<MarketBookSnapshot, "seq">;

export interface MarketTokens {
  up: string;
  down: string;
}

/** The venue's default tick (0.01) until the market says otherwise. */
export const DEFAULT_TICK_SIZE: Micros = 10_000;

function topOf(books: BookRegistry, tokenId: string, depth: number): BookTop | undefined {
  const book = books.get(tokenId);
  if (!book?.isSynced) return undefined;
  return { bids: book.topBids(depth), asks: book.topAsks(depth) };
}

/**
 * Top `depth` levels of both tokens, best first. Undefined while either book is out of sync (no snapshot
 * yet, or dropped after a tick-size change): a half-known market must not look like an empty one.
 */
export function buildBookSnapshot(
  books: BookRegistry,
  tokens: MarketTokens,
  depth: number,
  tickSize: Micros,
  times: { venueAtMs: number; receivedAtMs: number },
): UnnumberedSnapshot | undefined {
  const up = topOf(books, tokens.up, depth);
  const down = topOf(books, tokens.down, depth);
  if (!up || !down) return undefined;
  return { venueAtMs: times.venueAtMs, receivedAtMs: times.receivedAtMs, up, down, tickSize };
}

/**
 * Tick sizes carried by `book` messages in a raw frame (`tick_size`, which the protocol schema does not
 * keep). After a reconnect this is how a tick change that happened while disconnected is learned.
 */
export function bookTickSizes(text: string): Map<string, Micros> {
  const ticks = new Map<string, Micros>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return ticks;
  }
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
    if (typeof message !== "object" || message === null) continue;
    const { asset_id: assetId, tick_size: tick, bids } = message as Record<string, unknown>;
    if (typeof assetId !== "string" || typeof tick !== "string" || !Array.isArray(bids)) continue;
    try {
      const value = parseMicros(tick);
      if (value > 0) ticks.set(assetId, value);
    } catch (error) {
      if (!(error instanceof DecimalError)) throw error;
    }
  }
  return ticks;
}

/** The market's tick for a snapshot: the finer of the two tokens' known ticks, else the fallback. */
export function marketTickSize(
  ticks: ReadonlyMap<string, Micros>,
  tokens: MarketTokens,
  fallback: Micros,
): Micros {
  const known = [ticks.get(tokens.up), ticks.get(tokens.down)].filter((t): t is Micros => t !== undefined);
  return known.length > 0 ? Math.min(...known) : fallback;
}
