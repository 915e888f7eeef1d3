/**
 * Mocked activities for workflow tests: a scripted venue for orders, a recorder for every call,
 * and waits on calls (so tests wait for what the workflow did, never for wall-clock time).
 */
import { ApplicationFailure } from "@temporalio/common";
import type {
  OrderReadBack,
  PlacedOrder,
  PlaceOrderRequest,
  ReadOrderRequest,
} from "../../activities/exchange/activities";
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

/** Decides how much of an order fills: a fraction of its size (default all), or exact gross shares. */
export type FillRule = (req: PlaceOrderRequest, n: number) => number | { shares: Micros };

/**
 * What happens to the n-th order instead of an immediate fill (undefined: the fill rule decides).
 * - fail: the activity fails for good (non-retryable); `landed` is the fraction that the venue did take
 *   and fill (read back later by the order's hash), or undefined if the order never reached the venue;
 * - reject: the venue refuses it with this rejection kind;
 * - delayed: the venue answers "delayed" with no fills; its outcome (this fraction filled) becomes final
 *   once the test calls release(n); until then readOrder says DELAYED;
 *   (with `hold`, placeOrder itself returns only then; `fillsOnReadBack: false` keeps the fills out of the
 *   read-back, as if REST lagged: only the user channel then tells them);
 * - hold: placeOrder does not return until the test calls release(n) (then the fill rule decides).
 */
export type OrderScript =
  | { kind: "fail"; landed?: number }
  | { kind: "reject"; rejectionKind: string; message: string }
  | { kind: "delayed"; fraction: number; fillsOnReadBack?: boolean; hold?: boolean }
  | { kind: "hold" };

interface MockOrder {
  n: number;
  orderId: string;
  req: PlaceOrderRequest;
  script: OrderScript | undefined;
  fills: OurFill[];
  landed: boolean;
  final: boolean;
}

export class MockVenue {
  readonly calls: Call[] = [];
  private waiters: { predicate: (c: Call) => boolean; resolve: (c: Call) => void }[] = [];
  private orders = 0;
  private readonly byN = new Map<number, MockOrder>();
  private readonly releases = new Map<number, () => void>();
  private script: (req: PlaceOrderRequest, n: number) => OrderScript | undefined = () => undefined;
  /** Positions whose row has been written: telemetry and rebalance rows reference it (a foreign key). */
  private readonly positionRows = new Set<string>();
  /** The market's winner as the resolution sources show it; undefined: never resolved (the market is gone). */
  winner: "UP" | "DOWN" | undefined = "UP";
  /** Open orders of our key resting at the venue, in any market: cancelAllOrders cancels (and counts) them. */
  restingOrders = 0;

  constructor(private fillRule: FillRule = () => 1) {}

  setFillRule(rule: FillRule): void {
    this.fillRule = rule;
  }

  setScript(script: (req: PlaceOrderRequest, n: number) => OrderScript | undefined): void {
    this.script = script;
  }

  /** The fills the venue made for the n-th order (e.g. to signal them as the user channel would). */
  fillsOf(n: number): OurFill[] {
    return this.byN.get(n)?.fills ?? [];
  }

  orderId(n: number): string {
    return `0xorder${n}`;
  }

  private requireRow(what: string, positionId: string): void {
    if (!this.positionRows.has(positionId)) {
      throw ApplicationFailure.nonRetryable(
        `${what} ${positionId}: no position row yet (foreign key violation)`,
        "LedgerRejected",
      );
    }
  }

  /** Lets every held order return (a test that failed must not leave an activity hanging). */
  releaseAll(): void {
    for (const n of [...this.releases.keys()]) this.release(n);
  }

  /** Lets a held order return, or makes a delayed order's outcome final. */
  release(n: number): void {
    const order = this.byN.get(n);
    if (order) order.final = true;
    this.releases.get(n)?.();
  }

  /** Fee rate of the fills the mock venue reports (0 makes net shares equal gross shares). */
  feeRate: Micros = 70_000;
  /**
   * Status of the fills in placement answers: MINED by default (as if read back once mined, so the shares
   * are sellable at once); MATCHED for tests of what may be sold before the venue releases the shares.
   */
  fillStatus: "MATCHED" | "MINED" = "MINED";

  private fillsFor(req: PlaceOrderRequest, n: number, amount: number | { shares: Micros }): OurFill[] {
    const size =
      typeof amount === "number"
        ? Math.floor((req.intent.size * amount) / 10_000) * 10_000
        : Math.min(amount.shares, req.intent.size);
    return size > 0
      ? [
          {
            tradeId: `trade-${n}`,
            orderId: this.orderId(n),
            tokenId: req.intent.tokenId,
            side: req.intent.side,
            role: "TAKER",
            price: req.intent.price,
            size,
            feeRate: this.feeRate,
            status: this.fillStatus,
            atMs: 0,
          },
        ]
      : [];
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

  /** The first order sent for a token (e.g. an entry leg), whatever its outcome. */
  sentFor(tokenId: string): PlaceOrderRequest {
    const call = this.named("placeOrderStarted").find(
      (c) => (c.args[0] as PlaceOrderRequest).intent.tokenId === tokenId,
    );
    if (!call) throw new Error(`no order was sent for token ${tokenId}`);
    return call.args[0] as PlaceOrderRequest;
  }

  /** The mock's number of the first order sent for a token. */
  numberFor(tokenId: string): number {
    const call = this.named("placeOrderStarted").find(
      (c) => (c.args[0] as PlaceOrderRequest).intent.tokenId === tokenId,
    );
    if (!call) throw new Error(`no order was sent for token ${tokenId}`);
    return call.args[1] as number;
  }

  activities() {
    const recorder =
      (name: string) =>
      async (...args: unknown[]) => {
        this.record(name, args);
      };
    return {
      placeOrder: async (req: PlaceOrderRequest): Promise<PlacedOrder> => {
        // A retried activity re-sends the same intent: the venue knows it by its salt.
        const again = [...this.byN.values()].find((o) => o.req.intent.salt === req.intent.salt);
        this.orders += again ? 0 : 1;
        const n = again?.n ?? this.orders;
        const script = this.script(req, n);
        const orderId = this.orderId(n);
        const order: MockOrder = again ?? {
          n,
          orderId,
          req,
          script,
          fills: [],
          landed: true,
          final: script?.kind !== "delayed",
        };
        this.byN.set(n, order);
        if (script?.kind === "delayed") order.fills = this.fillsFor(req, n, script.fraction);
        this.record("placeOrderStarted", [req, n]);
        if (script?.kind === "hold" || (script?.kind === "delayed" && script.hold)) {
          await new Promise<void>((resolve) => this.releases.set(n, resolve));
        }
        if (script?.kind === "fail") {
          order.landed = script.landed !== undefined;
          order.fills = this.fillsFor(req, n, script.landed ?? 0);
          this.record("placeOrderFailed", [req, n]);
          throw ApplicationFailure.nonRetryable("venue unreachable (test)", "UnknownOutcome");
        }
        if (script?.kind === "reject") {
          const result: PlacedOrder = {
            orderId,
            accepted: false,
            status: "rejected",
            rejection: { kind: script.rejectionKind, message: script.message },
            sentAtMs: Date.now(),
            answeredAtMs: Date.now() + 5,
            fills: [],
          };
          this.record("placeOrder", [req, result]);
          return result;
        }
        if (script?.kind === "delayed") {
          const result: PlacedOrder = {
            orderId,
            accepted: true,
            status: "delayed",
            sentAtMs: Date.now(),
            answeredAtMs: Date.now() + 5,
            fills: [],
          };
          this.record("placeOrder", [req, result]);
          return result;
        }
        const fills = this.fillsFor(req, n, this.fillRule(req, n));
        order.fills = fills;
        const result: PlacedOrder = {
          orderId,
          accepted: fills.length > 0,
          status: fills.length > 0 ? "matched" : "rejected",
          ...(fills.length > 0
            ? {}
            : { rejection: { kind: "unfilled", message: "no orders found to match with FAK order" } }),
          sentAtMs: Date.now(),
          answeredAtMs: Date.now() + 5,
          fills,
        };
        this.record("placeOrder", [req, result]);
        return result;
      },
      readOrder: async (req: ReadOrderRequest): Promise<OrderReadBack> => {
        const order = [...this.byN.values()].find((o) =>
          req.orderId !== undefined ? o.orderId === req.orderId : o.req.intent.salt === req.intent?.salt,
        );
        const answer: OrderReadBack = !order?.landed
          ? { found: false, orderId: req.orderId ?? "", status: "", final: true, sizeMatched: 0, fills: [] }
          : {
              found: true,
              orderId: order.orderId,
              status: order.final ? "MATCHED" : "DELAYED",
              final: order.final,
              sizeMatched: order.final ? order.fills.reduce((s, f) => s + f.size, 0) : 0,
              fills:
                order.final && !(order.script?.kind === "delayed" && order.script.fillsOnReadBack === false)
                  ? order.fills
                  : [],
            };
        this.record("readOrder", [req, answer]);
        return answer;
      },
      cancelMarketOrders: async (...args: unknown[]) => {
        this.record("cancelMarketOrders", args);
        return 0;
      },
      cancelAllOrders: async () => {
        const cancelled = this.restingOrders;
        this.restingOrders = 0;
        this.record("cancelAllOrders", [cancelled]);
        return cancelled;
      },
      marketResolution: async (...args: unknown[]) => {
        this.record("marketResolution", args);
        return this.winner;
      },
      discoverWindows: async () => [],
      // The database as the schema has it: a position's row must exist before rows that reference it.
      // Writing the row takes a few milliseconds, as a round trip to a real database does, so a
      // workflow that writes both at once is caught.
      upsertPosition: async (p: { id: string }) => {
        await new Promise((r) => setTimeout(r, 20));
        this.record("upsertPosition", [p]);
        this.positionRows.add(p.id);
      },
      upsertTelemetry: async (t: { positionId: string }) => {
        this.record("upsertTelemetry", [t]);
        this.requireRow("upsertTelemetry", t.positionId);
      },
      recordRebalanceTrade: async (t: { positionId: string }) => {
        this.record("recordRebalanceTrade", [t]);
        this.requireRow("recordRebalanceTrade", t.positionId);
      },
      upsertOrder: recorder("upsertOrder"),
      upsertFill: recorder("upsertFill"),
      resolvePosition: recorder("resolvePosition"),
      checkDatabase: async () => ({ serverVersion: "mock", serverTime: "", schemaVersion: null }),
    };
  }
}
