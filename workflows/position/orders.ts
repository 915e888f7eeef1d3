/**
 * The orders a position sent (its own small order book): each one from the intent fixed in history to its
 * final outcome, those whose venue id is known, and the fills held back while an order's id is not known.
 */
import type { PlaceOrderRequest } from "../../activities/exchange/activities";
import type { OurFill, Outcome } from "../../src/session/messages";
import type { PositionLedger, RebalanceOption } from "../../src/strategy/arbitrage";

/** At most this many fills of orders not known yet are kept while an order is in flight. */
const MAX_BUFFERED_FILLS = 2_000;

/** Venue statuses of an order that is still working (its fills are not all known). */
export const OPEN_STATUSES = new Set(["live", "delayed", "unknown"]);

/** The rejection kind of a venue balance refusal (e.g. shares bought but not MINED yet). */
export const INSUFFICIENT_BALANCE = "insufficient-balance";

/**
 * One order this position sent, from the intent fixed in history to its final outcome.
 * - in-flight: placeOrder has not returned yet (fills of unknown orders are buffered meanwhile);
 * - open: the venue took it but its outcome is not final (a `delayed` taker order): re-read until final;
 * - unknown: placeOrder failed for good, so whether the venue has it is unknown: read back by its hash;
 * - done: final (filled, partly filled, killed, rejected, or never reached the venue).
 */
export interface OrderRecord {
  seq: number;
  purpose: "entry" | "rebalance";
  request: PlaceOrderRequest;
  outcome: Outcome;
  state: "in-flight" | "open" | "unknown" | "done";
  orderId?: string;
  status?: string;
  rejection?: { kind: string; message: string };
  /** Fill keys (trade, order) of this order's fills, in the order first seen. */
  fillKeys: string[];
  /** When the request left and the venue answered (this machine's clock), once known. */
  sentAtMs?: number;
  answeredAtMs?: number;
  /** For a rebalancing order: the option it executes and when it was sent. */
  rebalance?: { option: RebalanceOption; attemptedAtMs: number; ledgerBefore: PositionLedger };
}

export class OurOrders {
  /** Every order sent, in order. */
  readonly all: OrderRecord[] = [];
  /** Those whose venue id is known, by id. */
  private readonly byId = new Map<string, OrderRecord>();
  /** Fills of orders not known yet (one in flight or unknown may be theirs), until their ids are known. */
  private unknownFills: OurFill[] = [];
  private seq = 0;

  /** The sequence number of the next order (its salt is derived from it). */
  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  add(rec: OrderRecord): void {
    this.all.push(rec);
  }

  get(orderId: string): OrderRecord | undefined {
    return this.byId.get(orderId);
  }

  /** Venue ids of the orders sent, once known, in the order learnt. */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** How many orders have a known venue id. */
  get known(): number {
    return this.byId.size;
  }

  get bufferedFills(): number {
    return this.unknownFills.length;
  }

  /** Some order's id is not known yet (in flight, or unknown after a failed call). */
  awaitingIds(): boolean {
    return this.all.some((o) => o.state === "in-flight" || o.state === "unknown");
  }

  /** Orders to read back: open at the venue, or unknown. */
  unsettled(): OrderRecord[] {
    return this.all.filter((o) => o.state === "open" || o.state === "unknown");
  }

  /** Some order's outcome is not final yet. */
  anyOpen(): boolean {
    return this.all.some((o) => o.state !== "done");
  }

  openCount(): number {
    return this.all.filter((o) => o.state !== "done").length;
  }

  /**
   * Fills that arrived: returns those of known orders; holds those of unknown orders when `hold` (an order's
   * id may still turn out to be theirs), at most MAX_BUFFERED_FILLS (the oldest dropped); drops the rest.
   */
  sort(fills: readonly OurFill[], hold: boolean): OurFill[] {
    const known: OurFill[] = [];
    for (const f of fills) {
      if (this.byId.has(f.orderId)) known.push(f);
      else if (hold) this.unknownFills.push(f);
    }
    if (this.unknownFills.length > MAX_BUFFERED_FILLS)
      this.unknownFills.splice(0, this.unknownFills.length - MAX_BUFFERED_FILLS);
    return known;
  }

  /** Learns an order's venue id; returns the held fills that turn out to be its own. */
  learnOrderId(rec: OrderRecord, orderId: string): OurFill[] {
    rec.orderId = orderId;
    this.byId.set(orderId, rec);
    const own = this.unknownFills.filter((f) => f.orderId === orderId);
    this.unknownFills = this.awaitingIds() ? this.unknownFills.filter((f) => f.orderId !== orderId) : [];
    return own;
  }
}
