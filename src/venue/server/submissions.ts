/**
 * The venue's journal of order submissions: every order entry of every authenticated POST /order
 * and POST /orders request the venue received, in arrival order, with what the venue answered
 * (accepted with a status, or refused with the venue's text). A re-post of an order the venue
 * already has appears twice: accepted once, refused as "Duplicated" the other time. Read it with
 * `GET /admin/orders[?owner=<API key or address>]`.
 *
 * It also holds order requests on demand (`POST /admin/hold-orders`): the next matching requests
 * are journalled as `pending` and handled only after a delay, so a test can see an order in flight
 * at the venue (received, not yet handled) and act in that window, e.g. kill the client. An entry
 * still pending when the venue stops is refused when it starts again ("not handled: the venue
 * stopped first"): its request was never answered.
 *
 * Requests refused before the order intake (authentication, injected faults, a malformed batch)
 * carry no order the venue looked at and are not journalled.
 */
import { z } from "zod";
import { formatMicros, ONE } from "../../money";
import { orderDigest } from "../../protocol/order-signing";
import { SIDES } from "../../protocol/vocabulary";
import type { Side, SubmitResult } from "../types";

export type SubmissionRoute = "POST /order" | "POST /orders";

export interface Submission {
  /** Arrival order, from 1. */
  seq: number;
  route: SubmissionRoute;
  /** The order's EIP-712 hash (its id at the venue); null when the payload cannot be hashed. */
  orderHash: string | null;
  /** The API key the request was authenticated with, and that key's address (lower-case). */
  owner: string;
  address: string;
  /** The order's maker (funder) address, lower-case. */
  maker: string | null;
  tokenId: string | null;
  side: Side | null;
  /** Decimal pUSD per share, from the signed amounts (more than 6 decimals when off the micro grid). */
  price: string | null;
  /** Decimal shares. */
  size: string | null;
  orderType: string;
  postOnly: boolean;
  /** `pending` while received and not yet handled (held), then `accepted` or `refused`. */
  outcome: "pending" | "accepted" | "refused";
  /** The venue's status for an accepted order: live, matched, delayed or unmatched. */
  status: string | null;
  /** The venue's refusal text. */
  error: string | null;
  /** How long the request was held before it was handled (ms); 0 when not held. */
  heldMs: number;
  receivedAtMs: number;
  decidedAtMs: number | null;
}

export const HoldSchema = z
  .object({
    /** How long each held request waits before it is handled (ms). */
    ms: z.number().int().min(1).max(60_000),
    /** How many requests to hold. */
    count: z.number().int().min(1).default(1),
    /** Only requests of this API key or address. */
    owner: z.string().min(1).optional(),
    /** Only requests with an order on this side. */
    side: z.enum(SIDES).optional(),
  })
  .strict();

export type Hold = z.infer<typeof HoldSchema>;

interface Caller {
  key: string;
  address: string;
}

interface WireEntry {
  order?: Record<string, unknown>;
  orderType?: unknown;
  postOnly?: unknown;
}

const UINT = /^\d+$/;
/** The oldest entries are dropped past this many (a long benchmark must not grow the heap forever). */
const MAX_ENTRIES = 50_000;

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** The hash the venue gives the order (as `verifyOrder` computes it), or null if it cannot be built. */
function hashOf(order: Record<string, unknown>, chainId: number): string | null {
  try {
    const salt = typeof order.salt === "number" ? order.salt : Number(order.salt);
    if (!Number.isSafeInteger(salt) || salt < 0) return null;
    if (order.side !== "BUY" && order.side !== "SELL") return null;
    return orderDigest(chainId, false, {
      salt: String(salt),
      maker: String(order.maker),
      signer: String(order.signer),
      tokenId: String(order.tokenId),
      makerAmount: String(order.makerAmount),
      takerAmount: String(order.takerAmount),
      side: order.side === "BUY" ? 0 : 1,
      signatureType: Number(order.signatureType),
      timestamp: String(order.timestamp),
      metadata: String(order.metadata),
      builder: String(order.builder),
    });
  } catch {
    return null;
  }
}

/** Price and size from the signed amounts: a BUY gives pUSD for shares, a SELL shares for pUSD. */
function priceAndSize(order: Record<string, unknown>): { price: string | null; size: string | null } {
  const maker = String(order.makerAmount);
  const taker = String(order.takerAmount);
  if (!UINT.test(maker) || !UINT.test(taker) || (order.side !== "BUY" && order.side !== "SELL")) {
    return { price: null, size: null };
  }
  const [pusd, shares] =
    order.side === "BUY" ? [BigInt(maker), BigInt(taker)] : [BigInt(taker), BigInt(maker)];
  if (shares <= 0n || shares > BigInt(Number.MAX_SAFE_INTEGER)) return { price: null, size: null };
  const num = pusd * BigInt(ONE);
  const price =
    num % shares === 0n && num / shares <= BigInt(Number.MAX_SAFE_INTEGER)
      ? formatMicros(Number(num / shares))
      : String(Number(pusd) / Number(shares));
  return { price, size: formatMicros(Number(shares)) };
}

/** The answer recorded for an entry still pending when the venue stopped. */
export const NOT_HANDLED = "not handled: the venue stopped first";

export class SubmissionJournal {
  readonly #entries: Submission[] = [];
  /** The wire order of each entry not yet decided: its hash is computed only when the venue's answer lacks it. */
  readonly #wire = new WeakMap<Submission, Record<string, unknown>>();
  /** Entries received and not yet decided, by seq, with their request body. */
  readonly #pending = new Map<number, { entry: Submission; body: unknown }>();
  #seq = 0;
  #holds: Hold[] = [];

  constructor(private readonly chainId: number) {}

  /**
   * Journals the order entries of one authenticated request as received at `now`, `pending` until
   * decided; `heldMs` is how long the request is held first (see holdFor).
   */
  record(
    caller: Caller,
    route: SubmissionRoute,
    bodies: readonly unknown[],
    now: number,
    heldMs = 0,
  ): Submission[] {
    const entries = bodies.map((body) => this.#entry(caller, route, body, now));
    entries.forEach((e, i) => {
      this.#entries.push(e);
      this.#pending.set(e.seq, { entry: e, body: bodies[i] });
      if (heldMs > 0) {
        e.heldMs = heldMs;
        this.#hash(e);
      }
    });
    if (this.#entries.length > MAX_ENTRIES) this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
    return entries;
  }

  /** A received entry not yet decided, with its request body. */
  pending(seq: number): { entry: Submission; body: unknown } | undefined {
    return this.#pending.get(seq);
  }

  /** Refuses every entry still pending (its request was never answered), as decided at `now`. */
  abandonPending(now: number): void {
    const refuse = (): SubmitResult => {
      throw new Error(NOT_HANDLED);
    };
    for (const { entry } of [...this.#pending.values()]) {
      try {
        this.decide(entry, refuse, now);
      } catch {
        // Recorded as refused: nobody is waiting for the answer.
      }
    }
  }

  /**
   * Runs the venue's handling of one journalled entry at `now` and records its answer (or the refusal it
   * throws).
   */
  decide(entry: Submission | undefined, place: () => SubmitResult, now: number): SubmitResult {
    try {
      const result = place();
      if (entry) {
        entry.outcome = result.success ? "accepted" : "refused";
        entry.status = result.success ? (result.status ?? null) : null;
        entry.error = result.success ? null : (result.errorMsg ?? "order rejected");
        if (result.orderId) entry.orderHash = result.orderId;
      }
      return result;
    } catch (err) {
      if (entry) {
        entry.outcome = "refused";
        entry.error = err instanceof Error ? err.message : String(err);
      }
      throw err;
    } finally {
      if (entry) {
        entry.decidedAtMs = now;
        this.#hash(entry);
        this.#wire.delete(entry);
        this.#pending.delete(entry.seq);
      }
    }
  }

  /** Fills in an entry's hash from its wire order, if not known yet. */
  #hash(entry: Submission): void {
    const order = this.#wire.get(entry);
    if (entry.orderHash === null && order) entry.orderHash = hashOf(order, this.chainId);
  }

  /** Every journalled entry, oldest first; only those of an API key or address when `owner` is given. */
  list(owner?: string): Submission[] {
    const o = owner?.toLowerCase();
    const mine = (e: Submission) =>
      o === undefined || e.owner.toLowerCase() === o || e.address === o || e.maker === o;
    return this.#entries.filter(mine).map((e) => ({ ...e }));
  }

  /** Arms a hold (validated with HoldSchema); returns the holds now armed. */
  hold(input: unknown): Hold[] {
    this.#holds.push(HoldSchema.parse(input ?? {}));
    return this.holds();
  }

  holds(): Hold[] {
    return this.#holds.map((h) => ({ ...h }));
  }

  clearHolds(): void {
    this.#holds = [];
  }

  #entry(caller: Caller, route: SubmissionRoute, body: unknown, now: number): Submission {
    const b = (body ?? {}) as WireEntry;
    const order = b.order && typeof b.order === "object" ? b.order : undefined;
    const side = order?.side === "BUY" || order?.side === "SELL" ? order.side : null;
    const { price, size } = order ? priceAndSize(order) : { price: null, size: null };
    this.#seq += 1;
    const entry: Submission = {
      seq: this.#seq,
      route,
      orderHash: null,
      owner: caller.key,
      address: caller.address.toLowerCase(),
      maker: str(order?.maker)?.toLowerCase() ?? null,
      tokenId: str(order?.tokenId),
      side,
      price,
      size,
      orderType: typeof b.orderType === "string" ? b.orderType : "GTC",
      postOnly: b.postOnly === true,
      outcome: "pending",
      status: null,
      error: null,
      heldMs: 0,
      receivedAtMs: now,
      decidedAtMs: null,
    };
    if (order) this.#wire.set(entry, order);
    return entry;
  }

  /**
   * The hold time for a request with these order entries: the first armed hold that matches it (its count
   * is used up); 0 when none does.
   */
  holdFor(caller: Caller, bodies: readonly unknown[]): number {
    const sides = bodies.map((b) => ((b ?? {}) as WireEntry).order?.side);
    const i = this.#holds.findIndex(
      (h) =>
        (h.owner === undefined ||
          h.owner === caller.key ||
          h.owner.toLowerCase() === caller.address.toLowerCase()) &&
        (h.side === undefined || sides.some((s) => s === h.side)),
    );
    const h = this.#holds[i];
    if (!h) return 0;
    h.count -= 1;
    if (h.count <= 0) this.#holds.splice(i, 1);
    return h.ms;
  }
}
