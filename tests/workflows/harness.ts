/**
 * Mocked activities for workflow tests: a scripted venue for orders, a recorder for every call,
 * and waits on calls (so tests wait for what the workflow did, never for wall-clock time).
 */
import type { PlacedOrder, PlaceOrderRequest } from "../../activities/exchange/activities";
import type { Micros } from "../../src/money";
import type { MarketRef } from "../../src/session/market";
import type { BookTop, MarketBookSnapshot, OurFill } from "../../src/session/messages";

export interface Call {
  name: string;
  args: unknown[];
}

export const MARKET: Omit<MarketRef, "startMs" | "endMs"> = {
  slug: "btc-updown-15m-test",
  asset: "BTC",
  conditionId: "0xcondition",
  upTokenId: "111",
  downTokenId: "222",
  tickSize: 10_000,
  minOrderSize: 5_000_000,
  feeRate: 70_000,
  feeExponent: 1,
};

export const u = (units: number): Micros => Math.round(units * 1_000_000);

/** A one-level-per-price book from [price, size] pairs, best first. */
export function top(bids: [number, number][], asks: [number, number][]): BookTop {
  return {
    bids: bids.map(([p, s]) => ({ price: u(p), size: u(s) })),
    asks: asks.map(([p, s]) => ({ price: u(p), size: u(s) })),
  };
}

export function snapshot(seq: number, up: BookTop, down: BookTop): MarketBookSnapshot {
  return { seq, venueAtMs: 0, receivedAtMs: 0, up, down, tickSize: 10_000 };
}

/** Decides how much of an order fills: a fraction of its size (default all). */
export type FillRule = (req: PlaceOrderRequest, n: number) => number;

export class MockVenue {
  readonly calls: Call[] = [];
  private waiters: { predicate: (c: Call) => boolean; resolve: (c: Call) => void }[] = [];
  private orders = 0;
  winner: "UP" | "DOWN" = "UP";

  constructor(private fillRule: FillRule = () => 1) {}

  setFillRule(rule: FillRule): void {
    this.fillRule = rule;
  }

  private record(name: string, args: unknown[]): void {
    const call = { name, args };
    this.calls.push(call);
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate(call)) return true;
      w.resolve(call);
      return false;
    });
  }

  /** Resolves at the first call (past or future) that matches. */
  waitFor(name: string, predicate: (args: unknown[]) => boolean = () => true): Promise<Call> {
    const match = (c: Call) => c.name === name && predicate(c.args);
    const past = this.calls.find(match);
    if (past) return Promise.resolve(past);
    return new Promise((resolve) => this.waiters.push({ predicate: match, resolve }));
  }

  /** Resolves when the n-th matching call has happened. */
  async waitForCount(name: string, n: number): Promise<void> {
    while (this.named(name).length < n) {
      const seen = this.named(name).length;
      await new Promise<void>((resolve) =>
        this.waiters.push({
          predicate: (c) => c.name === name && this.named(name).length > seen,
          resolve: () => resolve(),
        }),
      );
    }
  }

  named(name: string): Call[] {
    return this.calls.filter((c) => c.name === name);
  }

  placed(): PlaceOrderRequest[] {
    return this.named("placeOrder").map((c) => c.args[0] as PlaceOrderRequest);
  }

  activities() {
    const recorder =
      (name: string) =>
      async (...args: unknown[]) => {
        this.record(name, args);
      };
    return {
      placeOrder: async (req: PlaceOrderRequest): Promise<PlacedOrder> => {
        this.orders += 1;
        const n = this.orders;
        const fraction = this.fillRule(req, n);
        const size = Math.floor((req.intent.size * fraction) / 10_000) * 10_000;
        const orderId = `0xorder${n}`;
        const fills: OurFill[] =
          size > 0
            ? [
                {
                  tradeId: `trade-${n}`,
                  orderId,
                  tokenId: req.intent.tokenId,
                  side: req.intent.side,
                  role: "TAKER",
                  price: req.intent.price,
                  size,
                  feeRate: 70_000,
                  status: "MATCHED",
                  atMs: 0,
                },
              ]
            : [];
        const result: PlacedOrder = {
          orderId,
          accepted: size > 0,
          status: size > 0 ? "matched" : "rejected",
          ...(size > 0
            ? {}
            : { rejection: { kind: "Rejected", message: "no orders found to match with FAK order" } }),
          sentAtMs: Date.now(),
          answeredAtMs: Date.now() + 5,
          fills,
        };
        this.record("placeOrder", [req, result]);
        return result;
      },
      readFills: async () => [],
      cancelMarketOrders: async (...args: unknown[]) => {
        this.record("cancelMarketOrders", args);
        return 0;
      },
      marketResolution: async () => this.winner,
      discoverWindows: async () => [],
      upsertPosition: recorder("upsertPosition"),
      upsertTelemetry: recorder("upsertTelemetry"),
      recordRebalanceTrade: recorder("recordRebalanceTrade"),
      upsertOrder: recorder("upsertOrder"),
      upsertFill: recorder("upsertFill"),
      resolvePosition: recorder("resolvePosition"),
      checkDatabase: async () => ({ serverVersion: "mock", serverTime: "", schemaVersion: null }),
    };
  }
}
