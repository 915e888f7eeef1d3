/**
 * The venue's state and everything that changes it: the simulation, API keys, funded addresses,
 * heartbeats and the journal of order submissions. The HTTP server (app.ts) authenticates and
 * translates; every change of state goes through here, as one journal entry (journal.ts) applied the
 * same way live and on replay, so a venue started on the journal of another finds its state as it was.
 *
 * Time. The venue's time is its clock, never going back. The simulation steps on a grid: at every
 * multiple of `stepMs`, in order, however late the timer fires; each request first runs the steps due
 * by its time, then takes effect at that time. So the state after a request is a function of the
 * entries before it and their times, which is what replay needs. Two exceptions, both journalled: when
 * the simulation has fallen more than MAX_CATCH_UP_MS behind (a suspended process), and when a venue
 * starts, it takes one step to the current time (`jump`, `start`) instead of simulating the gap step
 * by step: markets that ended in the gap resolve then, the windows wholly inside it are never listed,
 * and keys whose heartbeats lapsed have their orders cancelled, as a venue that was unreachable would.
 * The journal marks how far the simulation has stepped every MARK_EVERY_MS and at close, so a replay
 * steps the market on to where the venue stopped (a crash loses at most the last second of it).
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../../log";
import { formatMicros, type Micros } from "../../money";
import { amountRuleViolation, impliedLimitPrice, isMarketable } from "../../protocol/amounts";
import type { ModelConfigInput } from "../model/agents";
import { Simulation } from "../simulation";
import type { Asset, OrderType, SubmitResult } from "../types";
import { type ApiKey, ApiKeyRegistry, OrderRejected, verifyOrder, type WireOrder } from "./auth";
import type { JournalEntry, JournalWriter } from "./journal";
import { type Submission, SubmissionJournal, type SubmissionRoute } from "./submissions";

/** Beyond this gap the simulation takes one step instead of catching up step by step (journalled). */
export const MAX_CATCH_UP_MS = 60_000;
/** How often (in simulated time) the journal records how far the simulation has stepped. */
export const MARK_EVERY_MS = 1_000;

const ORDER_TYPES: ReadonlySet<string> = new Set(["GTC", "GTD", "FOK", "FAK"]);

export interface VenueCoreOptions {
  seed: number;
  assets: readonly Asset[];
  windowMs: number;
  stepMs: number;
  chainId: number;
  /** pUSD credited to an address the first time it gets API credentials (micros). */
  startingBalance: Micros;
  heartbeatTimeoutMs: number;
  takerDelayMs: number;
  /** Probability (0–1) that a trade goes MATCHED → FAILED. */
  tradeFailureRate: number;
  /** One mirrored book per market, with mint and merge matching (the engine's `mirrored`; off by default). */
  mirrored?: boolean;
  model?: ModelConfigInput;
  resolvedRetentionMs?: number;
  clock: () => number;
  logger?: Logger;
}

/** A change of state asked of a venue that is shutting down. */
export class VenueClosed extends Error {
  constructor() {
    super("the venue is shutting down");
    this.name = "VenueClosed";
  }
}

export class VenueCore {
  readonly simulation: Simulation;
  readonly apiKeys: ApiKeyRegistry;
  readonly submissions: SubmissionJournal;
  readonly #o: VenueCoreOptions;
  readonly #funded = new Set<string>();
  readonly #heartbeats = new Map<string, { id: string; lastMs: number }>();
  /** The grid time of the last simulation step, and of the last mark journalled. */
  #stepped = Number.NEGATIVE_INFINITY;
  #marked = Number.NEGATIVE_INFINITY;
  #time = Number.NEGATIVE_INFINITY;
  #writer: JournalWriter | undefined;
  #replaying = false;
  #closed = false;

  constructor(options: VenueCoreOptions) {
    this.#o = options;
    this.simulation = new Simulation({
      seed: options.seed,
      assets: options.assets,
      windowMs: options.windowMs,
      engine: {
        takerDelayMs: options.takerDelayMs,
        tradeFailureRate: Math.round(options.tradeFailureRate * 1_000_000),
        ...(options.mirrored ? { mirrored: true } : {}),
      },
      ...(options.model ? { model: options.model } : {}),
      ...(options.resolvedRetentionMs !== undefined
        ? { resolvedRetentionMs: options.resolvedRetentionMs }
        : {}),
    });
    this.apiKeys = new ApiKeyRegistry(options.seed);
    this.submissions = new SubmissionJournal(options.chainId);
  }

  get engine() {
    return this.simulation.engine;
  }

  /** The venue's time: the clock, never earlier than a time already used. */
  now(): number {
    this.#time = Math.max(this.#time, this.#o.clock());
    return this.#time;
  }

  /** The time of the latest entry applied (replayed or live); -Infinity before any. */
  get lastTime(): number {
    return this.#time;
  }

  // ------------------------------------------------------------------ replay and lifecycle

  /** Applies journalled entries, oldest first, as they were applied live. */
  replay(entries: readonly JournalEntry[]): void {
    this.#replaying = true;
    try {
      for (const e of entries) {
        this.#time = Math.max(this.#time, e.t);
        if (e.op !== "start" && e.op !== "jump") this.#stepTo(e.t);
        try {
          this.#apply(e);
        } catch {
          // The live venue answered this request with the same error.
        }
      }
    } finally {
      this.#replaying = false;
    }
  }

  /** From now on every change is written to `writer` before it takes effect. */
  attach(writer: JournalWriter): void {
    this.#writer = writer;
  }

  /** The venue starts (journalled): one simulation step to now. */
  start(): void {
    this.#commit({ op: "start", t: this.now() });
  }

  /** Runs the simulation steps due by now. */
  tick(): void {
    if (this.#closed) return;
    this.#catchUp(this.now());
  }

  /** Refuses every later change and closes the journal (marked as far as the simulation went, flushed). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const writer = this.#writer;
    if (!writer) return;
    try {
      if (this.#stepped > this.#marked) writer.append({ op: "mark", t: this.#stepped });
    } finally {
      writer.close();
    }
  }

  // ------------------------------------------------------------------ changes (live)

  issueKey(address: string, nonce: string): ApiKey {
    return this.#commit({ op: "key", t: this.#begin(), address, nonce }) as ApiKey;
  }

  /** Journals the order entries of one POST /order(s) as received (held `heldMs` before being placed). */
  receive(key: ApiKey, route: SubmissionRoute, bodies: unknown[], heldMs: number): Submission[] {
    const t = this.#begin();
    return this.#commit({ op: "recv", t, owner: key.key, route, bodies, heldMs }) as Submission[];
  }

  /** Handles one received order entry; throws OrderRejected for what the venue refuses before matching. */
  place(entry: Submission): SubmitResult {
    return this.#commit({ op: "place", t: this.#begin(), seq: entry.seq }) as SubmitResult;
  }

  cancel(owner: string, ids: string[]) {
    return this.#commit({ op: "cancel", t: this.#begin(), owner, ids }) as ReturnType<
      Simulation["engine"]["cancel"]
    >;
  }

  cancelAll(owner: string) {
    return this.#commit({ op: "cancel-all", t: this.#begin(), owner }) as ReturnType<
      Simulation["engine"]["cancel"]
    >;
  }

  cancelMarket(owner: string, filter: { market?: string; assetId?: string }) {
    return this.#commit({ op: "cancel-market", t: this.#begin(), owner, ...filter }) as ReturnType<
      Simulation["engine"]["cancel"]
    >;
  }

  /** Records a heartbeat of the key; returns its id. */
  heartbeat(owner: string): string {
    return this.#commit({ op: "heartbeat", t: this.#begin(), owner }) as string;
  }

  /** How many of the next trades fail at the MINED step (0 clears); returns it. */
  setFailNextTrades(count: number): number {
    return this.#commit({ op: "fail-next-trades", t: this.#begin(), count }) as number;
  }

  fund(address: string, amount: Micros): void {
    this.#commit({ op: "fund", t: this.#begin(), address: address.toLowerCase(), amount });
  }

  // ------------------------------------------------------------------ internals

  /** The time of a new change, after running the steps due by then. */
  #begin(): number {
    if (this.#closed) throw new VenueClosed();
    const t = this.now();
    this.#catchUp(t);
    return t;
  }

  #commit(e: JournalEntry): unknown {
    if (this.#closed) throw new VenueClosed();
    this.#writer?.append(e);
    return this.#apply(e);
  }

  #grid(t: number): number {
    return Math.floor(t / this.#o.stepMs) * this.#o.stepMs;
  }

  /** Live: the steps due by `t`, or one journalled jump when too far behind. */
  #catchUp(t: number): void {
    const target = this.#grid(t);
    if (target <= this.#stepped) return;
    if (target - this.#stepped > MAX_CATCH_UP_MS) this.#commit({ op: "jump", t: target });
    else this.#stepTo(t);
    if (this.#stepped - this.#marked >= MARK_EVERY_MS) this.#commit({ op: "mark", t: this.#stepped });
  }

  /** Every grid step after the last one up to `t`. */
  #stepTo(t: number): void {
    const target = this.#grid(t);
    if (!Number.isFinite(this.#stepped)) {
      this.#step(target);
      return;
    }
    for (let g = this.#stepped + this.#o.stepMs; g <= target; g += this.#o.stepMs) this.#step(g);
  }

  /** One step at `t` (a start or a jump). */
  #jumpTo(t: number): void {
    const target = this.#grid(t);
    if (target > this.#stepped) this.#step(target);
  }

  #step(g: number): void {
    this.#stepped = g;
    try {
      for (const [owner, hb] of this.#heartbeats) {
        if (g - hb.lastMs > this.#o.heartbeatTimeoutMs) {
          this.#heartbeats.delete(owner);
          const { canceled } = this.engine.cancelAllForOwner(owner, g);
          if (!this.#replaying)
            this.#o.logger?.info({ owner, canceled: canceled.length }, "heartbeats lapsed: orders cancelled");
        }
      }
      this.simulation.tick(g);
    } catch (err) {
      // Live and on replay alike: the step is over (the next one goes on from it).
      if (!this.#replaying) this.#o.logger?.error({ err }, "simulation step failed");
    }
  }

  #apply(e: JournalEntry): unknown {
    const engine = this.engine;
    switch (e.op) {
      case "start":
        this.submissions.abandonPending(e.t);
        this.#jumpTo(e.t);
        return undefined;
      case "jump":
        this.#jumpTo(e.t);
        return undefined;
      case "mark":
        this.#marked = e.t;
        this.#stepTo(e.t);
        return undefined;
      case "key": {
        const key = this.apiKeys.issue(e.address, e.nonce);
        const account = key.address.toLowerCase();
        if (!this.#funded.has(account)) {
          this.#funded.add(account);
          engine.credit(account, this.#o.startingBalance);
        }
        return key;
      }
      case "recv": {
        const key = this.#key(e.owner);
        return this.submissions.record(key, e.route, e.bodies, e.t, e.heldMs);
      }
      case "place": {
        const p = this.submissions.pending(e.seq);
        if (!p) throw new Error(`order entry ${e.seq} is not pending`);
        const key = this.#key(p.entry.owner);
        return this.submissions.decide(p.entry, () => this.#placeOne(p.body, key, e.t), e.t);
      }
      case "cancel":
        return engine.cancel(e.owner, e.ids, e.t);
      case "cancel-all":
        return engine.cancelAll(e.owner, e.t);
      case "cancel-market":
        return engine.cancelMarket(
          e.owner,
          {
            ...(e.market !== undefined ? { market: e.market } : {}),
            ...(e.assetId !== undefined ? { assetId: e.assetId } : {}),
          },
          e.t,
        );
      case "heartbeat": {
        const id = randomUUID();
        this.#heartbeats.set(e.owner, { id, lastMs: e.t });
        return id;
      }
      case "fail-next-trades":
        engine.setFailNextTrades(e.count);
        return engine.pendingTradeFailures();
      case "fund":
        engine.credit(e.address, e.amount);
        return undefined;
    }
  }

  #key(owner: string): ApiKey {
    const key = this.apiKeys.get(owner);
    if (!key) throw new Error(`unknown API key ${owner}`);
    return key;
  }

  #placeOne(body: unknown, key: ApiKey, t: number): SubmitResult {
    const engine = this.engine;
    const b = (body ?? {}) as {
      order?: WireOrder;
      owner?: string;
      orderType?: string;
      postOnly?: boolean;
    };
    if (!b.order || typeof b.order !== "object") throw new OrderRejected("invalid order payload");
    if (b.owner !== key.key) throw new OrderRejected("the order owner has to be the owner of the API KEY");
    const orderType = b.orderType ?? "GTC";
    if (!ORDER_TYPES.has(orderType)) throw new OrderRejected(`invalid order type: ${orderType}`);
    const v = verifyOrder(b.order, this.#o.chainId, key);
    if (engine.getOrder(v.id)) throw new OrderRejected("order is invalid. Duplicated.");
    // The real venue holds the amounts to its precision rules (and a marketable BUY to $1) and takes a
    // marketable order's implied price as its limit, on no tick; a limit order's must be on the tick
    // (src/protocol/amounts.ts). An unknown token is left to the engine ("market not found").
    const marketable = isMarketable(orderType);
    const signed = { side: v.side, makerAmount: v.makerAmount, takerAmount: v.takerAmount, marketable };
    const tick = engine.tickSize(v.tokenId);
    const violation = tick === undefined ? undefined : amountRuleViolation({ ...signed, tickSize: tick });
    if (violation !== undefined) throw new OrderRejected(violation);
    const price = impliedLimitPrice(signed);
    if (price === undefined) {
      const approx = Number(v.makerAmount) / Number(v.takerAmount);
      const p = v.side === "BUY" ? approx : 1 / approx;
      throw new OrderRejected(
        `order ${v.id} is invalid. Price (${p}) breaks minimum tick size rule: ${formatMicros(tick ?? 10_000)}`,
      );
    }
    return engine.submit(
      {
        id: v.id,
        owner: key.key,
        account: v.account,
        tokenId: v.tokenId,
        side: v.side,
        price,
        size: v.size,
        type: orderType as OrderType,
        postOnly: b.postOnly ?? false,
        expiresAtMs: orderType === "GTD" ? v.expirationSec * 1000 : 0,
      },
      t,
    );
  }
}
