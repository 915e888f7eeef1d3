/**
 * The quoter of one market: the data plane of two-sided quoting (seed 004, issue 9). No Temporal here: every
 * dependency is injected (the process's market data hub, the venue, the heartbeat, the fill report, the clock
 * and timers), so an activity can wrap it later and tests drive it against the venue simulator.
 *
 * ## What it does
 *
 * 1. Start: subscribes to the hub for its market, then RECONCILES over REST: reads our key's open orders and
 *    trades in the market, cancels every open order it does not own (owned = the order ids of its resume
 *    details, and what it places itself), rebuilds the inventory from the trades (src/streaming/fills.ts
 *    `buildReconcileSnapshot`, i.e. the one conversion src/protocol/fills.ts `ourFills`; on top of the resume
 *    details' inventory, idempotently per fill), and sends its first venue heartbeat (chained from the resume
 *    details' last id).
 * 2. Every applied book frame: momentum (last trades and the others' book), the breaker (risk.ts, fed with
 *    feed events, order errors and P&L), a strategy (the quote engine, "Only 50" or join-best) → desired
 *    quotes → `planOrders` against its live orders → the plan sent: every cancel batch first, then placement
 *    batches of at most 15. A placement whose `replaces` were not all cancelled is dropped.
 * 3. Refreshes obey MIN_REFRESH_INTERVAL_MS per market and GLOBAL_REFRESH_CAP_PER_SEC across the process:
 *    the limiter lives in a {@link RefreshBudget} shared by every quoter of the process.
 * 4. Momentum with CANCEL_ON_MOMENTUM: the quote engine wants nothing, so the next cycle (run at once) cancels
 *    every quote; cancels are never rate-limited. A cycle runs again when the cooldown ends.
 * 5. Venue heartbeats every `heartbeatIntervalMs` (default 5 s) with chained ids: the dead-man switch. If the
 *    process dies the beats stop and the venue cancels the key's orders.
 * 6. Fills (user channel, reconcile read-backs) are reported through `report(batch)`, each sighting (a fill
 *    at one status) once, in batches at most once per `reportIntervalMs` (default 1 s), with the inventory
 *    and a P&L snapshot.
 * 7. `stop()` cancels all its orders and releases the hub lease. A user-channel disconnect
 *    ({@link Quoter.onUserClose}) halts quoting and cancels everything over REST; the next user-channel
 *    opening reconciles and quoting resumes.
 *
 * ## Which orders, and why all are BUYs
 *
 * Both sides of the quote are post-only GTC BUYs: the bid is a BUY of Up at b; the ask is a BUY of Down at
 * 1 − a. Up and Down are one mirrored book, so a BUY of Down at q is an offer of Up at 1 − q — "selling Up"
 * without holding Up shares (a SELL of Up would need shares released to us, MINED, and would lock them). Two
 * fills make complete pairs that redeem for 1 (engine.ts module notes).
 *
 * ## Never a blind retry
 *
 * Order ids are known before a batch is sent (src/quoting/venue.ts `prepare`) and recorded as ours. When a
 * batch's outcome is unknown (timeout, 5xx), its orders are IN DOUBT: nothing more is placed until each is
 * settled — found in a read-back of our open orders, known to the venue by id, seen on the user channel, or
 * `inDoubtTimeoutMs` passed (then they stay ours: should one show up later, the plan treats it as a live
 * order of ours). The next plan, made from what the venue says, is the retry.
 *
 * Money is integer micros throughout.
 */
import type { Micros } from "../money";
import type { ChannelLogger } from "../polymarket/channel-client";
import { UnknownOutcome, VenueError } from "../polymarket/errors";
import type { RestOpenOrder } from "../polymarket/types";
import type { OrderEvent } from "../protocol/user";
import type { MarketBookSnapshot, OurFill, Outcome } from "../session/messages";
import { guaranteedPnl } from "../strategy/arbitrage/position";
import { joinBestQuotes, only50Quotes } from "../strategy/quoting/baselines";
import { type LiveOrder, upAxisBook, upMid } from "../strategy/quoting/book";
import { activeQuotes, type QuoteStrategy } from "../strategy/quoting/engine";
import {
  applyFill,
  emptyLedger,
  marketLiability,
  markToMarketPnl,
  netInventory,
  type PositionLedger,
} from "../strategy/quoting/inventory";
import {
  emptyMomentum,
  type MomentumState,
  momentumActive,
  onBook,
  onTrade,
} from "../strategy/quoting/momentum";
import type { QuotingParams } from "../strategy/quoting/params";
import { type OrderPlan, type Placement, planOrders } from "../strategy/quoting/reconcile";
import { emptyRefreshLimiter, type RefreshLimiter } from "../strategy/quoting/refresh";
import {
  effectiveState,
  emptyRisk,
  type RiskEvent,
  type RiskState,
  riskStep,
} from "../strategy/quoting/risk";
import { buildReconcileSnapshot, fillSightingKey } from "../streaming/fills";
import type {
  MarketDataConsumer,
  MarketDataLease,
  MarketDataRef,
  MarketFrameUpdate,
  UserFrameUpdate,
} from "../streaming/market-data";
import { buildBookSnapshot, DEFAULT_TICK_SIZE, marketTickSize } from "../streaming/snapshot";
import type { HeartbeatFn, PreparedOrder, QuoteVenue } from "./quote-venue";

/** The strategies a quoter can run: the quote engine and the two baselines of baselines.ts. */
export type QuoterStrategyName = "quoting" | "only50" | "joinBest";

const STRATEGIES: Readonly<Record<QuoterStrategyName, QuoteStrategy>> = {
  quoting: activeQuotes,
  only50: only50Quotes,
  joinBest: joinBestQuotes,
};

/**
 * The process's refresh limiter (MIN_REFRESH_INTERVAL_MS per market, GLOBAL_REFRESH_CAP_PER_SEC across
 * markets), shared by every quoter of the process. Plans are made synchronously, one at a time (one event
 * loop), so taking and storing the limiter around `planOrders` needs no lock.
 */
export class RefreshBudget {
  limiter: RefreshLimiter = emptyRefreshLimiter();
}

/** What a quoter heartbeats (to Temporal, later) and resumes from: plain JSON. */
export interface QuoterDetails {
  /** Order ids of ours that may still rest at the venue (live, or in doubt). */
  ownOrderIds: string[];
  /** The market's inventory from our fills. */
  inventory: PositionLedger;
  /** The last venue heartbeat id ("" before the first). */
  lastHeartbeatId: string;
}

/** One report of fills: the new sightings since the last report, and the market's state after them. */
export interface FillReport {
  market: string;
  /** Each fill sighting (a fill at one status) once, in arrival order. */
  fills: OurFill[];
  inventory: PositionLedger;
  /** Up shares − Down shares (micros). */
  netShares: Micros;
  /** Worst-case loss of the fills (inventory.ts marketLiability). */
  liability: Micros;
  /** What the fills are sure to make whichever outcome wins (negative: at risk). */
  guaranteedPnl: Micros;
  /** Realized + unrealized P&L at the others' mid; undefined while no two-sided book is known. */
  markToMarketPnl: Micros | undefined;
  atMs: number;
}

/** setTimeout / clearTimeout, injectable. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The hub's side the quoter uses (src/streaming/market-data.ts MarketDataHub). */
export interface QuoterHub {
  acquire(market: MarketDataRef, consumer: MarketDataConsumer): MarketDataLease;
}

export interface QuoterMarket extends MarketDataRef {
  /** The venue's minimum order size, shares (micros). */
  minOrderSize: Micros;
  /** The market's fee exponent (fd.e), for taker fills in the inventory. Default 1. */
  feeExponent?: number;
}

export interface QuoterDeps {
  market: QuoterMarket;
  params: QuotingParams;
  strategy?: QuoterStrategyName;
  hub: QuoterHub;
  venue: QuoteVenue;
  heartbeat: HeartbeatFn;
  /** Receives fill batches; a throw or rejection is logged and the batch is not resent. */
  report: (batch: FillReport) => void | Promise<void>;
  /** Our API key: which legs of a trade are ours (a maker leg is ours when its owner is this key). */
  apiKey: string;
  /** The process's shared refresh limiter. */
  refreshBudget: RefreshBudget;
  /** A previous attempt's details (after a crash or a retry on another worker). */
  resume?: QuoterDetails;
  /** Worst-case loss committed by the other markets (against MAX_TOTAL_LIABILITY_USDC). Default 0. */
  liabilityElsewhere?: () => Micros;
  now?: () => number;
  timers?: Timers;
  logger?: ChannelLogger;
  /** Default 5 000 ms. */
  heartbeatIntervalMs?: number;
  /** Default 1 000 ms. */
  reportIntervalMs?: number;
  /** How long orders of a batch with an unknown outcome may stay unsettled before quoting goes on. Default 30 s. */
  inDoubtTimeoutMs?: number;
  /** While orders are in doubt, how often they are read back again. Default 250 ms. */
  settleRetryMs?: number;
  /** Levels per side read from the books. Default 20. */
  depth?: number;
}

export type QuoterState = "idle" | "starting" | "running" | "halted" | "stopped";

/** Terminal order states: the order no longer rests. */
const CLOSED_STATUSES: ReadonlySet<string> = new Set([
  "MATCHED",
  "CANCELED",
  "CANCELED_MARKET_RESOLVED",
  "INVALID",
  "UNMATCHED",
]);

const silentLogger: ChannelLogger = { debug() {}, info() {}, warn() {}, error() {} };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An order whose write may or may not have been applied. */
function isUnknownOutcome(error: unknown): boolean {
  return error instanceof UnknownOutcome || !(error instanceof VenueError);
}

export class Quoter implements MarketDataConsumer {
  readonly name: string;

  private readonly market: QuoterMarket;
  private readonly params: QuotingParams;
  private readonly strategy: QuoteStrategy;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly log: ChannelLogger;
  private readonly heartbeatIntervalMs: number;
  private readonly reportIntervalMs: number;
  private readonly inDoubtTimeoutMs: number;
  private readonly settleRetryMs: number;
  private readonly depth: number;
  private readonly feeRules: { feeExponent: number };

  private state: QuoterState = "idle";
  private lease: MarketDataLease | undefined;

  /** Every order id we placed or resumed: ours. */
  private readonly owned = new Set<string>();
  /** Our orders resting at the venue, as far as we know. */
  private readonly live = new Map<string, LiveOrder>();
  /** Orders known to rest no more (never made live again by a late answer). */
  private readonly closed = new Set<string>();
  /** Orders of a batch whose outcome is unknown, since when (our clock). */
  private readonly inDoubt = new Map<string, number>();

  private inventory: PositionLedger;
  private momentum: MomentumState = emptyMomentum();
  private risk: RiskState;
  private book: MarketBookSnapshot | undefined;

  /** Venue-touching work runs one piece at a time, in order. */
  private work: Promise<void> = Promise.resolve();
  private cycleQueued = false;
  private reconcileQueued = false;
  private userDown = false;

  private heartbeatId: string;
  private heartbeatTimer: unknown;

  private readonly reportedSightings = new Set<string>();
  private pendingFills: OurFill[] = [];
  private reportTimer: unknown;
  private reportCoolingDown = false;
  private reporting: Promise<void> = Promise.resolve();

  private readonly wakeTimers = new Set<unknown>();

  /** Counters, for tests and logs. */
  readonly stats = {
    marketFrames: 0,
    cycles: 0,
    batchesSent: 0,
    cancelsSent: 0,
    reconciles: 0,
    unknownOutcomes: 0,
    heartbeats: 0,
    reports: 0,
  };

  constructor(private readonly deps: QuoterDeps) {
    this.market = deps.market;
    this.params = deps.params;
    this.strategy = STRATEGIES[deps.strategy ?? "quoting"];
    this.now = deps.now ?? Date.now;
    this.timers = deps.timers ?? realTimers;
    this.log = deps.logger ?? silentLogger;
    this.heartbeatIntervalMs = deps.heartbeatIntervalMs ?? 5_000;
    this.reportIntervalMs = deps.reportIntervalMs ?? 1_000;
    this.inDoubtTimeoutMs = deps.inDoubtTimeoutMs ?? 30_000;
    this.settleRetryMs = deps.settleRetryMs ?? 250;
    this.depth = deps.depth ?? 20;
    this.feeRules = { feeExponent: deps.market.feeExponent ?? 1 };
    this.name = `quoter ${deps.market.slug}`;
    this.inventory = deps.resume?.inventory ?? emptyLedger();
    this.heartbeatId = deps.resume?.lastHeartbeatId ?? "";
    for (const id of deps.resume?.ownOrderIds ?? []) this.owned.add(id);
    this.risk = emptyRisk(this.now());
  }

  get status(): QuoterState {
    return this.state;
  }

  /** What to heartbeat (and resume from): own order ids, inventory, last venue heartbeat id. */
  details(): QuoterDetails {
    return {
      ownOrderIds: [...new Set([...this.live.keys(), ...this.inDoubt.keys()])],
      inventory: this.inventory,
      lastHeartbeatId: this.heartbeatId,
    };
  }

  /** Our live orders as the quoter knows them. */
  liveOrders(): LiveOrder[] {
    return [...this.live.values()];
  }

  /**
   * Subscribes, reconciles (cancelling the orders it does not own), sends the first heartbeat and starts
   * quoting. Resolves once the first reconcile is done.
   */
  async start(): Promise<void> {
    if (this.state !== "idle") throw new Error(`${this.name} cannot start: ${this.state}`);
    this.state = "starting";
    // Subscribed before the REST reads, so nothing that happens in between is missed.
    this.lease = this.deps.hub.acquire(this.market, this);
    await this.beat();
    await this.enqueue(() => this.reconcile());
    if (this.state !== "starting") return;
    this.state = "running";
    this.requestCycle();
  }

  /** Cancels every order of ours, reports what is pending and releases the hub lease. */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.clearTimers();
    await this.enqueue(() => this.cancelEverything("stopped"));
    this.flushReport();
    await this.reporting;
    await this.lease?.release();
  }

  /**
   * Drops the quoter without touching the venue — no cancel, no more heartbeats — which is what a process
   * death leaves behind (the venue's dead-man switch then cancels the orders). For crash simulations.
   */
  async abandon(): Promise<void> {
    this.state = "stopped";
    this.clearTimers();
    await this.lease?.release();
  }

  // ------------------------------------------------------------------------------ market data consumer

  onMarketFrame(update: MarketFrameUpdate): void {
    if (this.state === "stopped" || !this.lease) return;
    const stream = this.lease.stream;
    this.stats.marketFrames += 1;
    const nowMs = this.now();
    this.applyRisk({ type: "marketFeedEvent", market: this.market.conditionId }, nowMs);
    const tick = this.tick();
    let triggered = false;
    for (const event of update.decoded.events) {
      if (event.type !== "last_trade_price") continue;
      const outcome = this.outcomeOf(event.assetId);
      if (!outcome) continue;
      const step = onTrade(
        this.momentum,
        { outcome, price: event.price, atMs: event.timestampMs },
        tick,
        this.params,
      );
      this.momentum = step.state;
      if (step.trigger) triggered = true;
    }
    if (update.changed) {
      const snapshot = buildBookSnapshot(
        stream.books,
        { up: this.market.upTokenId, down: this.market.downTokenId },
        this.depth,
        tick,
        { venueAtMs: update.venueAtMs, receivedAtMs: update.receivedAtMs },
      );
      if (snapshot) {
        this.book = { seq: 0, ...snapshot };
        const step = onBook(this.momentum, upAxisBook(this.book, this.liveOrders()), nowMs, this.params);
        this.momentum = step.state;
        if (step.trigger) triggered = true;
        this.watchPnl(nowMs);
      }
    }
    if (triggered) {
      this.log.info({ trigger: this.momentum.lastTrigger }, "momentum");
      // Quoting resumes when the cooldown ends (nothing else may happen by then).
      this.wakeAt(this.momentum.cooldownUntilMs);
    }
    if (update.changed || triggered) this.requestCycle();
  }

  onUserFrame(update: UserFrameUpdate): void {
    if (this.state === "stopped") return;
    let changed = false;
    for (const event of update.orders) changed = this.applyOrderEvent(event) || changed;
    if (update.orders.length > 0 || update.fills.length > 0) {
      this.applyRisk({ type: "orderStateConfirmed", market: this.market.conditionId }, this.now());
    }
    if (update.fills.length > 0) {
      this.applyFills(update.fills);
      changed = true;
    }
    if (changed) this.requestCycle();
  }

  /** The user channel is open (at subscribe, and after every reconnect): reconcile, then quote again. */
  onUserOpen(): void {
    if (this.state === "stopped" || this.state === "idle") return;
    // The start's own reconcile follows the subscription; only later openings need another one.
    if (this.state === "starting" && !this.userDown) return;
    this.requestReconcile();
  }

  /**
   * The user channel dropped: our fills and order states cannot be confirmed, so quoting halts and every
   * order of ours is cancelled over REST ("user channel disconnect = cancel all"). The next opening
   * reconciles and resumes. (The hub must call this on the user connection's close.)
   */
  onUserClose(): void {
    if (this.state === "stopped" || this.state === "idle") return;
    this.userDown = true;
    if (this.state === "running") this.state = "halted";
    this.applyRisk({ type: "userFeedDisconnected" }, this.now());
    void this.enqueue(() => this.cancelEverything("user channel down"));
  }

  // ------------------------------------------------------------------------------------------ queue

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.work.then(task).catch((error: unknown) => {
      this.log.error({ err: errorMessage(error) }, `${this.name}: ${errorMessage(error)}`);
    });
    this.work = run;
    return run;
  }

  private requestCycle(): void {
    if (this.cycleQueued || this.state !== "running") return;
    this.cycleQueued = true;
    void this.enqueue(async () => {
      this.cycleQueued = false;
      await this.cycle();
    });
  }

  private requestReconcile(): void {
    if (this.reconcileQueued) return;
    this.reconcileQueued = true;
    void this.enqueue(async () => {
      this.reconcileQueued = false;
      await this.reconcile();
      if (this.userDown && this.state !== "stopped") {
        this.userDown = false;
        this.applyRisk({ type: "userFeedConnected" }, this.now());
        if (this.state === "halted") this.state = "running";
      }
      this.requestCycle();
    });
  }

  private wakeAt(atMs: number): void {
    const delay = Math.max(10, atMs - this.now());
    const handle = this.timers.setTimeout(() => {
      this.wakeTimers.delete(handle);
      this.applyRisk({ type: "tick" }, this.now());
      this.requestCycle();
    }, delay);
    this.wakeTimers.add(handle);
  }

  private clearTimers(): void {
    for (const handle of this.wakeTimers) this.timers.clearTimeout(handle);
    this.wakeTimers.clear();
    if (this.heartbeatTimer !== undefined) this.timers.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    if (this.reportTimer !== undefined) this.timers.clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    this.reportCoolingDown = false;
  }

  // -------------------------------------------------------------------------------------- reconcile

  /** Open orders and trades over REST: orders we do not own cancelled, ours adopted, inventory rebuilt. */
  private async reconcile(): Promise<void> {
    if (this.state === "stopped") return;
    this.stats.reconciles += 1;
    const [open, trades] = await Promise.all([this.deps.venue.openOrders(), this.deps.venue.trades()]);
    const nowMs = this.now();
    const { snapshot, skippedTrades } = buildReconcileSnapshot(
      nowMs,
      this.market.conditionId,
      this.deps.apiKey,
      [],
      trades,
    );
    if (skippedTrades.length > 0) this.log.warn({ skippedTrades }, "trades of unknown status left out");
    this.applyFills(snapshot.fills);

    const ours = open.filter((o) => o.market === this.market.conditionId);
    const foreign = ours.filter((o) => !this.owned.has(o.id)).map((o) => o.id);
    const seen = new Set(ours.map((o) => o.id));
    for (const o of ours) if (this.owned.has(o.id)) this.adopt(o);
    // An order we thought live that the venue no longer lists is gone (cancelled or filled meanwhile).
    for (const id of [...this.live.keys()]) {
      if (!seen.has(id)) {
        this.live.delete(id);
        this.closed.add(id);
      }
    }
    for (const id of [...this.inDoubt.keys()]) if (seen.has(id)) this.inDoubt.delete(id);
    this.applyRisk({ type: "orderStateConfirmed", market: this.market.conditionId }, nowMs);
    if (foreign.length > 0) {
      this.log.warn({ orderIds: foreign }, "cancelling open orders of our key that this quoter does not own");
      await this.cancelIds(foreign, "not ours");
    }
  }

  /** Makes a REST order of ours live (unless it is known to be closed). */
  private adopt(o: RestOpenOrder): void {
    if (this.closed.has(o.id)) return;
    const outcome = this.outcomeOf(o.tokenId);
    if (!outcome) return;
    const status = o.status.toUpperCase();
    if (CLOSED_STATUSES.has(status) || o.sizeMatched >= o.originalSize) {
      this.live.delete(o.id);
      this.closed.add(o.id);
      return;
    }
    this.live.set(o.id, {
      orderId: o.id,
      outcome,
      side: o.side,
      price: o.price,
      size: o.originalSize,
      sizeMatched: o.sizeMatched,
    });
  }

  /** A user-channel order event; returns whether our live orders changed. */
  private applyOrderEvent(event: OrderEvent): boolean {
    if (!this.owned.has(event.orderId)) return false;
    this.inDoubt.delete(event.orderId);
    if (this.closed.has(event.orderId)) return false;
    const outcome = this.outcomeOf(event.assetId);
    if (!outcome) return false;
    if (CLOSED_STATUSES.has(event.status)) {
      this.closed.add(event.orderId);
      return this.live.delete(event.orderId);
    }
    this.live.set(event.orderId, {
      orderId: event.orderId,
      outcome,
      side: event.side,
      price: event.price,
      size: event.originalSize,
      sizeMatched: event.sizeMatched,
    });
    return true;
  }

  // ------------------------------------------------------------------------------------------ cycle

  /** One quoting cycle: desired quotes → plan → cancels, then placements. */
  private async cycle(): Promise<void> {
    if (this.state !== "running") return;
    if (this.inDoubt.size > 0) {
      await this.settle();
      if (this.inDoubt.size > 0) return;
    }
    const book = this.book;
    if (!book) return;
    this.stats.cycles += 1;
    const nowMs = this.now();
    const live = this.liveOrders();
    const desired = this.strategy(
      {
        book,
        minOrderSize: this.market.minOrderSize,
        ownOrders: live,
        inventory: this.inventory,
        momentumActive: momentumActive(this.momentum, nowMs),
        breaker: effectiveState(this.risk, this.market.conditionId),
        liabilityElsewhere: this.deps.liabilityElsewhere?.() ?? 0,
      },
      this.params,
    );
    const budget = this.deps.refreshBudget;
    const plan = planOrders(
      [
        {
          market: this.market.conditionId,
          tick: book.tickSize,
          minOrderSize: this.market.minOrderSize,
          desired,
          live,
        },
      ],
      budget.limiter,
      nowMs,
      this.params,
    );
    budget.limiter = plan.limiter;
    await this.execute(plan);
    const deferred = plan.markets[0]?.deferred ?? [];
    // A refresh the limits held back: try again once the market's interval has passed.
    if (deferred.length > 0) this.wakeAt(nowMs + Math.max(1, this.params.minRefreshIntervalMs));
  }

  /** The plan's steps in order (cancels first); a placement step only with every order it replaces cancelled. */
  private async execute(plan: OrderPlan): Promise<void> {
    const cancelled = new Set<string>();
    for (const step of plan.steps) {
      if (this.state !== "running") return;
      if (step.kind === "cancel") {
        const ok = await this.cancelIds(
          step.cancels.map((c) => c.orderId),
          step.cancels[0]?.reason ?? "plan",
        );
        if (!ok) return;
        for (const c of step.cancels) if (!this.live.has(c.orderId)) cancelled.add(c.orderId);
        continue;
      }
      const orders = step.orders.filter((o) => o.replaces.every((id) => cancelled.has(id)));
      if (orders.length === 0) continue;
      const ok = await this.placeBatch(orders);
      if (!ok) return;
    }
  }

  /** Sends one placement batch; false when the cycle must stop here (a failure or an unknown outcome). */
  private async placeBatch(placements: Placement[]): Promise<boolean> {
    const venue = this.deps.venue;
    const prepared: PreparedOrder[] = await venue.prepare(placements);
    // Ours from now on, whatever becomes of the request.
    for (const p of prepared) this.owned.add(p.orderId);
    this.stats.batchesSent += 1;
    let entries: Awaited<ReturnType<QuoteVenue["place"]>>;
    try {
      entries = await venue.place(prepared);
    } catch (error) {
      if (isUnknownOutcome(error)) {
        this.stats.unknownOutcomes += 1;
        const nowMs = this.now();
        for (const p of prepared) this.inDoubt.set(p.orderId, nowMs);
        this.log.warn(
          { orderIds: prepared.map((p) => p.orderId), err: errorMessage(error) },
          "batch outcome unknown: reading our orders back before sending anything else",
        );
        await this.settle();
      } else {
        this.log.warn({ err: errorMessage(error) }, "batch refused");
        for (const p of prepared) this.closed.add(p.orderId);
      }
      this.applyRisk({ type: "orderError", market: this.market.conditionId }, this.now());
      return false;
    }
    let failed = 0;
    entries.forEach((entry, i) => {
      const p = prepared[i];
      if (!p) return;
      if (entry.outcome === "failed") {
        failed += 1;
        this.closed.add(p.orderId);
        this.log.warn({ orderId: p.orderId, error: entry.error }, "placement refused");
        return;
      }
      if (this.closed.has(p.orderId)) return;
      if (entry.outcome === "placed" && entry.status !== "live") {
        // Post-only orders rest or are refused; anything else is learned from the user channel.
        this.log.warn({ orderId: p.orderId, status: entry.status }, "placement did not rest");
        return;
      }
      this.live.set(p.orderId, {
        orderId: p.orderId,
        outcome: p.placement.outcome,
        side: "BUY",
        price: p.placement.price,
        size: p.placement.shares,
        sizeMatched: 0,
      });
    });
    this.applyRisk(
      { type: failed > 0 ? "orderError" : "orderSuccess", market: this.market.conditionId },
      this.now(),
    );
    return true;
  }

  /**
   * Settles orders in doubt by what the venue says: our open orders read back, then each remaining order by
   * id. Orders it does not know yet stay in doubt until `inDoubtTimeoutMs` (a request may still be on its
   * way); while any is, nothing is placed and this runs again every `settleRetryMs`.
   */
  private async settle(): Promise<void> {
    const venue = this.deps.venue;
    try {
      const open = await venue.openOrders();
      for (const o of open) {
        if (o.market === this.market.conditionId && this.owned.has(o.id)) {
          this.adopt(o);
          this.inDoubt.delete(o.id);
        }
      }
      for (const id of [...this.inDoubt.keys()]) {
        const order = await venue.getOrder(id);
        if (order) {
          this.adopt(order);
          this.inDoubt.delete(id);
        }
      }
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, "reading our orders back failed");
    }
    const nowMs = this.now();
    for (const [id, since] of this.inDoubt) {
      if (nowMs - since >= this.inDoubtTimeoutMs) {
        this.log.warn({ orderId: id }, "order of an unknown batch still unknown: taken as not placed");
        this.inDoubt.delete(id);
      }
    }
    if (this.inDoubt.size > 0 && this.state !== "stopped") {
      const handle = this.timers.setTimeout(() => {
        this.wakeTimers.delete(handle);
        this.requestCycle();
      }, this.settleRetryMs);
      this.wakeTimers.add(handle);
    }
  }

  /** Cancels orders (DELETE /orders); false when the answer is unknown (then read back). */
  private async cancelIds(ids: readonly string[], reason: string): Promise<boolean> {
    if (ids.length === 0) return true;
    this.stats.cancelsSent += 1;
    try {
      const result = await this.deps.venue.cancel(ids);
      // Cancelled, or not cancellable (already filled or cancelled): either way it rests no more.
      for (const id of [...result.canceled, ...Object.keys(result.notCanceled)]) {
        this.live.delete(id);
        this.closed.add(id);
      }
      this.log.debug({ reason, canceled: result.canceled.length }, "cancelled");
      return true;
    } catch (error) {
      this.log.warn({ err: errorMessage(error), reason }, "cancel failed: reading our orders back");
      this.applyRisk({ type: "orderError", market: this.market.conditionId }, this.now());
      try {
        await this.reconcile();
      } catch (readError) {
        this.log.warn({ err: errorMessage(readError) }, "reading our orders back failed");
      }
      return false;
    }
  }

  /** Cancels every order of ours the quoter knows, and any of ours the venue still lists. */
  private async cancelEverything(reason: string): Promise<void> {
    const ids = new Set([...this.live.keys(), ...this.inDoubt.keys()]);
    try {
      for (const o of await this.deps.venue.openOrders()) {
        if (o.market === this.market.conditionId && this.owned.has(o.id)) ids.add(o.id);
      }
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, "reading our open orders failed; cancelling what we know");
    }
    const list = [...ids];
    for (let i = 0; i < list.length; i += this.params.batchSize) {
      await this.cancelIds(list.slice(i, i + this.params.batchSize), reason);
    }
    this.inDoubt.clear();
  }

  // ------------------------------------------------------------------------------------------- risk

  private applyRisk(event: RiskEvent, nowMs: number): void {
    const step = riskStep(this.risk, event, nowMs, this.params);
    this.risk = step.state;
    for (const action of step.actions) {
      if (action.type === "stateChanged") {
        this.log.info(
          { from: action.from, to: action.to, reason: action.reason, scope: action.market ?? "global" },
          "breaker",
        );
      }
      // cancelAll: in HALTED the strategy wants nothing, so the next cycle cancels everything.
      if (action.type === "cancelAll") this.requestCycle();
    }
  }

  private watchPnl(nowMs: number): void {
    const mid = this.book ? upMid(upAxisBook(this.book)) : undefined;
    if (mid === undefined) return;
    this.applyRisk(
      { type: "pnl", market: this.market.conditionId, pnl: markToMarketPnl(this.inventory, mid) },
      nowMs,
    );
  }

  // ------------------------------------------------------------------------------------------ fills

  /** Applies fill sightings to the inventory (idempotent per fill) and queues each new sighting for a report. */
  private applyFills(fills: readonly OurFill[]): void {
    let fresh = false;
    for (const fill of fills) {
      const outcome = this.outcomeOf(fill.tokenId);
      if (!outcome) continue;
      this.inventory = applyFill(this.inventory, fill, outcome, this.feeRules);
      const key = fillSightingKey(fill);
      if (this.reportedSightings.has(key)) continue;
      this.reportedSightings.add(key);
      this.pendingFills.push(fill);
      fresh = true;
    }
    if (fresh) {
      this.watchPnl(this.now());
      this.scheduleReport();
    }
  }

  /** At most one report per reportIntervalMs: at once when the last one is older, else when it is. */
  private scheduleReport(): void {
    if (this.reportCoolingDown || this.pendingFills.length === 0) return;
    this.flushReport();
  }

  private flushReport(): void {
    if (this.pendingFills.length === 0) return;
    const fills = this.pendingFills;
    this.pendingFills = [];
    this.stats.reports += 1;
    const mid = this.book ? upMid(upAxisBook(this.book)) : undefined;
    const batch: FillReport = {
      market: this.market.conditionId,
      fills,
      inventory: this.inventory,
      netShares: netInventory(this.inventory),
      liability: marketLiability(this.inventory),
      guaranteedPnl: guaranteedPnl(this.inventory),
      markToMarketPnl: mid === undefined ? undefined : markToMarketPnl(this.inventory, mid),
      atMs: this.now(),
    };
    this.reporting = this.reporting
      .then(() => this.deps.report(batch))
      .catch((error: unknown) => this.log.error({ err: errorMessage(error) }, "fill report failed"));
    if (this.state === "stopped") return;
    this.reportCoolingDown = true;
    this.reportTimer = this.timers.setTimeout(() => {
      this.reportTimer = undefined;
      this.reportCoolingDown = false;
      this.scheduleReport();
    }, this.reportIntervalMs);
  }

  // ------------------------------------------------------------------------------------- heartbeats

  /** One venue heartbeat, chained from the last id; the next is scheduled whatever happens to this one. */
  private async beat(): Promise<void> {
    if (this.state === "stopped") return;
    try {
      this.heartbeatId = await this.deps.heartbeat(this.heartbeatId);
      this.stats.heartbeats += 1;
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, "venue heartbeat failed");
    }
    // stop() or abandon() may have come meanwhile.
    if ((this.state as QuoterState) === "stopped") return;
    this.heartbeatTimer = this.timers.setTimeout(() => {
      this.heartbeatTimer = undefined;
      void this.beat();
    }, this.heartbeatIntervalMs);
  }

  // ---------------------------------------------------------------------------------------- helpers

  private outcomeOf(tokenId: string): Outcome | undefined {
    if (tokenId === this.market.upTokenId) return "UP";
    if (tokenId === this.market.downTokenId) return "DOWN";
    return undefined;
  }

  private tick(): Micros {
    const ticks = this.lease?.stream.tickSizes ?? new Map<string, Micros>();
    return marketTickSize(
      ticks,
      { up: this.market.upTokenId, down: this.market.downTokenId },
      this.book?.tickSize ?? DEFAULT_TICK_SIZE,
    );
  }
}
