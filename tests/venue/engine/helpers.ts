import type { Micros } from "../../../src/money";
import { MatchingEngine, type MatchingEngineOptions } from "../../../src/venue/engine";
import type { OrderRequest, VenueEvent, VenueMarket } from "../../../src/venue/types";

export const T0 = 1_767_200_400_000;
export const UP = "71321045679252212594626385532706912750332728571942532289631379312455583992563";
export const DOWN = "52114319501245915516055106046884209969926127482827954674443846427813813222426";
export const CID = `0x${"ab".repeat(32)}`;

/** Whole units to micros, for readable tests. */
export const u = (units: number): Micros => Math.round(units * 1_000_000);

export function makeMarket(over: Partial<VenueMarket> = {}): VenueMarket {
  return {
    asset: "BTC",
    slug: "btc-updown-15m-1767200400",
    conditionId: CID,
    questionId: `0x${"cd".repeat(32)}`,
    tokenIds: [UP, DOWN],
    startMs: T0,
    endMs: T0 + 900_000,
    listedMs: T0 - 60_000,
    tickSize: u(0.01),
    minOrderSize: u(5),
    feeRate: u(0.07),
    feeExponent: 1,
    negRisk: false,
    ...over,
  };
}

let counter = 0;

/** A fresh order id shaped like an order hash. */
export function nextId(): string {
  counter += 1;
  return `0x${counter.toString(16).padStart(64, "0")}`;
}

export function order(over: Partial<OrderRequest> = {}): OrderRequest {
  return {
    id: nextId(),
    owner: "key-a",
    account: "0xaaa",
    tokenId: UP,
    side: "BUY",
    price: u(0.5),
    size: u(10),
    type: "GTC",
    postOnly: false,
    expiresAtMs: 0,
    ...over,
  };
}

export interface Harness {
  engine: MatchingEngine;
  events: VenueEvent[];
  /** Events of one kind, in order. */
  of<K extends VenueEvent["kind"]>(kind: K): Extract<VenueEvent, { kind: K }>[];
  clear(): void;
}

/** An engine with one market listed at T0 and every event recorded. */
export function harness(options: MatchingEngineOptions = {}, market: VenueMarket = makeMarket()): Harness {
  const engine = new MatchingEngine(options);
  const events: VenueEvent[] = [];
  engine.subscribe((e) => events.push(e));
  engine.listMarket(market, T0);
  events.length = 0;
  return {
    engine,
    events,
    of: <K extends VenueEvent["kind"]>(kind: K) =>
      events.filter((e): e is Extract<VenueEvent, { kind: K }> => e.kind === kind),
    clear: () => {
      events.length = 0;
    },
  };
}
