/**
 * Builders shared by the quoting tests: books written as the venue sends them (each token's own levels,
 * decimal strings), maker fills, and a QuoteInput with the venue's real limits (5-share minimum).
 */
import { type Micros, parseMicros } from "../../../src/money";
import type { MarketBookSnapshot, OurFill, Outcome, PriceLevel } from "../../../src/session/messages";
import {
  applyFill,
  DEFAULT_QUOTING_PARAMS,
  emptyLedger,
  type LiveOrder,
  type PositionLedger,
  type QuoteInput,
  type QuotingParams,
} from "../../../src/strategy/quoting";

export const m = parseMicros;
export const CENT_TICK = m("0.01");
export const FINE_TICK = m("0.001");
export const MIN_SIZE = m("5");
export const RATE = m("0.07");

export const P: QuotingParams = {
  ...DEFAULT_QUOTING_PARAMS,
  markoutHorizonsMs: [...DEFAULT_QUOTING_PARAMS.markoutHorizonsMs],
};

/** "0.48x100" → a level at 0.48 of 100 shares. */
export function lv(spec: string): PriceLevel {
  const [price, size] = spec.split("x");
  return { price: m(price!), size: m(size!) };
}

export interface BookSpec {
  upBids?: string[];
  upAsks?: string[];
  downBids?: string[];
  downAsks?: string[];
  tick?: Micros;
}

export function book(spec: BookSpec): MarketBookSnapshot {
  return {
    seq: 1,
    venueAtMs: 0,
    receivedAtMs: 0,
    tickSize: spec.tick ?? CENT_TICK,
    up: { bids: (spec.upBids ?? []).map(lv), asks: (spec.upAsks ?? []).map(lv) },
    down: { bids: (spec.downBids ?? []).map(lv), asks: (spec.downAsks ?? []).map(lv) },
  };
}

let fillCounter = 0;

/** A maker BUY fill (what a post-only quote gets), CONFIRMED. */
export function makerBuy(
  outcome: Outcome,
  price: string,
  size: string,
  atMs = 0,
): { fill: OurFill; outcome: Outcome } {
  fillCounter += 1;
  return {
    outcome,
    fill: {
      tradeId: `t${fillCounter}`,
      orderId: `o${fillCounter}`,
      tokenId: outcome,
      side: "BUY",
      role: "MAKER",
      price: m(price),
      size: m(size),
      feeRate: RATE,
      status: "CONFIRMED",
      atMs,
    },
  };
}

export function ledgerOf(...fills: { fill: OurFill; outcome: Outcome }[]): PositionLedger {
  return fills.reduce((l, f) => applyFill(l, f.fill, f.outcome, { feeExponent: 1 }), emptyLedger());
}

export function order(
  orderId: string,
  outcome: Outcome,
  price: string,
  size: string,
  matched = "0",
  side: "BUY" | "SELL" = "BUY",
): LiveOrder {
  return { orderId, outcome, side, price: m(price), size: m(size), sizeMatched: m(matched) };
}

export function input(over: Partial<QuoteInput> & { book: MarketBookSnapshot }): QuoteInput {
  return {
    minOrderSize: MIN_SIZE,
    ownOrders: [],
    inventory: emptyLedger(),
    momentumActive: false,
    breaker: "NORMAL",
    liabilityElsewhere: 0,
    ...over,
  };
}
