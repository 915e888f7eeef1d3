/**
 * The market feed: a long-running, heartbeating activity on the streaming worker that feeds one market
 * window's session workflow by signals.
 *
 * - Market channel (the two tokens) → L2 books → a conflated MarketBookSnapshot (SIGNALS.marketBook):
 *   latest wins, sent at once when quiet, at most one signal in flight, rate-bounded when busy.
 * - User channel (our API key, this market) → our fills (SIGNALS.fills): never conflated nor dropped,
 *   batched per event-loop turn, delivered in order and retried while the failure is transient. Order
 *   events are only counted (frame stats): no workflow needs them — positions learn about their orders
 *   from fills and by reading them back — and each signal would be a history event for nothing.
 * - Whenever the user channel (re)connects — so once at start, on every attempt, and after every
 *   reconnect — open orders and trades are read over REST and sent as SIGNALS.reconcile, since anything
 *   may have been missed while disconnected.
 * - Heartbeats { lastSeq, lastReconcileAtMs, framesReceived, … } every ~2 s; a retried attempt resumes
 *   from them so snapshot numbers keep increasing (src/streaming/resume.ts).
 * - Ends at endMs + a grace, on cancellation, or when the session workflow has completed.
 *
 * The connections, books and user-channel view are not the feed's own: it is a consumer of the process's
 * MarketDataHub (src/streaming/market-data.ts), which shares one connection per market with any other
 * consumer in the process (a quoter). Without a hub in its dependencies, a feed makes one of its own.
 *
 * `runMarketFeed` is the core, with every dependency injected (tests drive it against the venue
 * simulator); `createStreamingActivities` wraps it as the Temporal activity, taking heartbeat,
 * cancellation and the previous attempt's details from the activity Context at call time.
 */
import { Context } from "@temporalio/activity";
import type { Client } from "@temporalio/client";
import { WorkflowNotFoundError } from "@temporalio/common";
import type { Micros } from "../../src/money";
import type { BackoffPolicy } from "../../src/polymarket/backoff";
import type { ChannelLogger } from "../../src/polymarket/channel-client";
import type { RestOpenOrder, RestTrade } from "../../src/polymarket/types";
import { FrameStats, type FrameStatsSnapshot } from "../../src/protocol/frames";
import { type OurFill, SIGNALS } from "../../src/session/messages";
import { Conflator, type ConflatorStats, systemScheduler } from "../../src/streaming/conflation";
import { buildReconcileSnapshot, fillSightingKey } from "../../src/streaming/fills";
import {
  type ChannelTuning,
  type MarketDataConsumer,
  MarketDataHub,
  type MarketDataLease,
  type MarketFrameUpdate,
  type UserFrameUpdate,
} from "../../src/streaming/market-data";
import {
  type FeedHeartbeatDetails,
  parseFeedHeartbeatDetails,
  resumeLastSeq,
} from "../../src/streaming/resume";
import {
  buildBookSnapshot,
  DEFAULT_TICK_SIZE,
  type MarketTokens,
  marketTickSize,
  type UnnumberedSnapshot,
} from "../../src/streaming/snapshot";
import {
  EntryTrigger,
  type EntryTriggerStats,
  type FeedDetection,
  type QueryFn,
  type UpdateFn,
} from "./entry-trigger";

export type { ChannelTuning } from "../../src/streaming/market-data";
export type { FeedDetection, QueryFn, UpdateFn } from "./entry-trigger";

export interface StreamMarketInput {
  slug: string;
  conditionId: string;
  upTokenId: string;
  downTokenId: string;
  /** End of the market window, epoch ms. */
  endMs: number;
  /** Where the signals go: workflowIds.session(slug). */
  sessionWorkflowId: string;
  /** Levels per side in snapshots. Default 5. */
  depth?: number;
  /** Least time between two book signals. Default 100 ms. */
  minSignalIntervalMs?: number;
  /** The feed runs until endMs plus this. Default 30 000 ms. */
  endGraceMs?: number;
  /** The market's tick when the feed starts, until the venue says otherwise. Default 0.01. */
  tickSize?: Micros;
  /**
   * Armed entry (ARB_ENTRY_PATH=armed): detect on every book and send the session's armed position an
   * `execute` Update (./entry-trigger.ts). Needs the `update` and `query` dependencies.
   */
  detection?: FeedDetection;
}

export type FeedEndReason = "ended" | "aborted" | "workflow-completed";

export interface StreamMarketResult {
  endReason: FeedEndReason;
  /** Seq of the last snapshot numbered (0 if none, ever). */
  lastSeq: number;
  /** Seq this attempt started above (lastSeq of the previous attempt plus the resume margin), 0 if fresh. */
  resumedAfterSeq: number;
  snapshotsSent: number;
  fillsSignalled: number;
  reconciles: number;
  lastReconcileAtMs: number | null;
  /** Frames on both channels, all attempts included. */
  framesReceived: number;
  conflation: ConflatorStats;
  frames: { market: FrameStatsSnapshot; user: FrameStatsSnapshot };
  reconnects: { market: number; user: number };
  /** Signals that failed (each retry counts). */
  signalFailures: number;
  /** Armed entry only: what the trigger did. */
  entry?: EntryTriggerStats;
}

/** What a reconcile reads; activities/exchange's Exchange satisfies it. */
export interface ReconcileSource {
  openOrders(filter: { market: string }): Promise<readonly RestOpenOrder[]>;
  trades(filter: { market: string }): Promise<readonly RestTrade[]>;
}

export type SignalFn = (workflowId: string, signalName: string, payload: unknown) => Promise<void>;

/**
 * workflow-completed: the target has closed, nothing more will be taken (the feed ends);
 * workflow-not-found: no such workflow (logged, that signal dropped);
 * transient: anything else (retried).
 */
export type SignalErrorKind = "workflow-completed" | "workflow-not-found" | "transient";

export interface StreamingActivityDeps {
  /**
   * The process's market data (one connection per market, shared with its other consumers). Without it the
   * activities make one hub of their own from wsUrl, apiCreds, channel, now and logger.
   */
  marketData?: MarketDataHub;
  /** Base WebSocket URL, e.g. ws://127.0.0.1:7788/ws; the channels are at /market and /user under it. */
  wsUrl: string;
  /** The REST side of a reconcile; called lazily and again after a failure. */
  exchangeFor(): Promise<ReconcileSource>;
  /** L2 credentials for the user channel; `key` also identifies our maker legs. */
  apiCreds: { key: string; secret: string; passphrase: string };
  signal: SignalFn;
  /** Armed entry: Updates to the armed position and queries of the session (both through a Temporal client). */
  update?: UpdateFn;
  query?: QueryFn;
  logger?: ChannelLogger;
  /** Epoch ms; also stamps frame receive times. Default Date.now. */
  now?: () => number;
  /** Default 2 000 ms. */
  heartbeatIntervalMs?: number;
  channel?: ChannelTuning;
  /** Default classifySignalError. */
  classifySignalError?: (error: unknown) => SignalErrorKind;
  /** Waits between failed reconcile reads and failed fill/order/reconcile signals. */
  retryBackoff?: BackoffPolicy;
  /** At the normal end, how long pending fills and reconciles may take to go out. Default 5 000 ms. */
  endFlushTimeoutMs?: number;
  /** No market data frame for this long: the feed is stalled (warned once, cleared on the next frame). Default 30 000 ms. */
  stallAfterMs?: number;
}

export interface MarketFeedDeps extends StreamingActivityDeps {
  heartbeat?: (details: FeedHeartbeatDetails) => void;
  cancellationSignal?: AbortSignal;
  /** The previous attempt's heartbeat details (activity info heartbeatDetails), if any. */
  resumeFrom?: unknown;
}

export const MARKET_FEED_DEFAULTS = {
  depth: 5,
  minSignalIntervalMs: 100,
  endGraceMs: 30_000,
  heartbeatIntervalMs: 2_000,
  retryBackoff: { baseMs: 250, capMs: 5_000 },
  endFlushTimeoutMs: 5_000,
  stallAfterMs: 30_000,
  /** A failed book signal is retried (unless superseded) after this. */
  bookRetryDelayMs: 1_000,
} as const;

/** Temporal's answer for a signal to a closed workflow is NOT_FOUND "workflow execution already completed". */
export function classifySignalError(error: unknown): SignalErrorKind {
  const message = error instanceof Error ? error.message : String(error);
  if (/already completed|already finished/i.test(message)) return "workflow-completed";
  if (error instanceof WorkflowNotFoundError) return "workflow-not-found";
  return "transient";
}

const silentLogger: ChannelLogger = { debug() {}, info() {}, warn() {}, error() {} };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function backoffMs(attempt: number, policy: BackoffPolicy): number {
  return Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
}

interface QueuedSignal {
  name: string;
  payload: unknown;
  /** For the counters. */
  count: number;
}

class MarketFeed {
  private readonly now: () => number;
  private readonly log: ChannelLogger;
  private readonly tokens: MarketTokens;
  private readonly depth: number;
  private readonly endAtMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly retryBackoff: BackoffPolicy;
  private readonly classify: (error: unknown) => SignalErrorKind;
  private readonly fallbackTick: Micros;

  /** Tick sizes: the previous attempt's, then what the stream learns (which wins). */
  private readonly ticks = new Map<string, Micros>();
  private readonly marketStats = new FrameStats();
  private readonly userStats = new FrameStats();
  private readonly conflator: Conflator<UnnumberedSnapshot>;
  private readonly hub: MarketDataHub;
  /** The feed's hold on the market's shared stream, from run() to the end. */
  private lease: MarketDataLease | undefined;
  /** The stream's reconnect counts when the feed subscribed (the result reports the feed's own). */
  private reconnectsBefore = { market: 0, user: 0 };
  private readonly trigger: EntryTrigger | undefined;

  private seq: number;
  private readonly resumedAfterSeq: number;
  private readonly framesBefore: number;
  private framesThisAttempt = 0;
  private lastReconcileAtMs: number | null;

  private readonly seenFills = new Set<string>();
  private pendingFills: OurFill[] = [];
  private flushScheduled: NodeJS.Immediate | undefined;

  private readonly queue: QueuedSignal[] = [];
  private draining = false;
  private queueIdleWaiters: (() => void)[] = [];

  private reconcileRunning = false;
  private reconcileAgain = false;
  private source: Promise<ReconcileSource> | undefined;

  /** Timers of retry waits, cleared at the end. */
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private loopTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** When the feed started (the stall clock's origin before the first frame). */
  private startedAtMs = 0;
  /** Since when the market channel has been silent, once that was reported as a stall. */
  private stalledSinceMs: number | undefined;
  private stopped = false;
  private endReason: FeedEndReason = "ended";
  private readonly done: Promise<StreamMarketResult>;
  private resolveDone!: (result: StreamMarketResult) => void;
  private readonly onAbort = () => this.finish("aborted");

  private counters = {
    snapshotsSent: 0,
    fillsSignalled: 0,
    reconciles: 0,
    signalFailures: 0,
  };

  constructor(
    private readonly input: StreamMarketInput,
    private readonly deps: MarketFeedDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.log = deps.logger ?? silentLogger;
    this.tokens = { up: input.upTokenId, down: input.downTokenId };
    this.depth = positiveInt("depth", input.depth ?? MARKET_FEED_DEFAULTS.depth);
    this.endAtMs = input.endMs + (input.endGraceMs ?? MARKET_FEED_DEFAULTS.endGraceMs);
    this.heartbeatIntervalMs = deps.heartbeatIntervalMs ?? MARKET_FEED_DEFAULTS.heartbeatIntervalMs;
    this.retryBackoff = deps.retryBackoff ?? MARKET_FEED_DEFAULTS.retryBackoff;
    this.classify = deps.classifySignalError ?? classifySignalError;
    this.fallbackTick = input.tickSize ?? DEFAULT_TICK_SIZE;
    const minIntervalMs = input.minSignalIntervalMs ?? MARKET_FEED_DEFAULTS.minSignalIntervalMs;

    const resumed = parseFeedHeartbeatDetails(deps.resumeFrom);
    if (resumed) {
      this.seq = resumeLastSeq(resumed, this.now(), minIntervalMs);
      this.framesBefore = resumed.framesReceived;
      this.lastReconcileAtMs = resumed.lastReconcileAtMs;
      for (const [token, tick] of Object.entries(resumed.tickSizes)) {
        if (token === this.tokens.up || token === this.tokens.down) this.ticks.set(token, tick);
      }
    } else {
      this.seq = 0;
      this.framesBefore = 0;
      this.lastReconcileAtMs = null;
    }
    this.resumedAfterSeq = this.seq;

    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.conflator = new Conflator<UnnumberedSnapshot>({
      send: (snapshot) => this.sendSnapshot(snapshot),
      minIntervalMs,
      retryDelayMs: MARKET_FEED_DEFAULTS.bookRetryDelayMs,
      // Pacing is about real time (what the session and Temporal can take), whatever clock stamps the data.
      scheduler: systemScheduler,
    });

    if (input.detection) {
      if (!deps.update || !deps.query)
        throw new Error("armed entry needs the feed's update and query dependencies (a Temporal client)");
      this.trigger = new EntryTrigger(input.slug, input.sessionWorkflowId, input.endMs, input.detection, {
        update: deps.update,
        query: deps.query,
        now: this.now,
        log: this.log,
      });
    }

    this.hub = deps.marketData ?? ownHub(deps, this.now, this.log);
  }

  run(): Promise<StreamMarketResult> {
    const context = { slug: this.input.slug, workflowId: this.input.sessionWorkflowId };
    this.log.info(
      { ...context, resumedAfterSeq: this.resumedAfterSeq, endAtMs: this.endAtMs },
      "market feed starting",
    );
    const abort = this.deps.cancellationSignal;
    if (abort?.aborted) {
      this.finish("aborted");
      return this.done;
    }
    this.startedAtMs = this.now();
    const consumer: MarketDataConsumer = {
      name: `market feed ${this.input.slug}`,
      onMarketFrame: (update) => this.onMarketFrame(update),
      onUserFrame: (update) => this.onUserFrame(update),
      // Every user-channel connection, the first included (or the one open when the feed joins), may follow
      // a gap: reconcile.
      onUserOpen: () => this.requestReconcile(),
    };
    this.lease = this.hub.acquire(this.input, consumer);
    const { stats } = this.lease.stream;
    this.reconnectsBefore = { market: stats.market.reconnects, user: stats.user.reconnects };
    abort?.addEventListener("abort", this.onAbort, { once: true });
    this.trigger?.start();
    // Joining a stream whose books are already known: they are the first book, not the next frame's.
    const last = this.lease.stream.lastChange;
    if (last) this.offerBook(last.venueAtMs, last.receivedAtMs);
    this.heartbeat();
    this.loop();
    return this.done;
  }

  // ------------------------------------------------------------------------------------------ market

  private onMarketFrame(update: MarketFrameUpdate): void {
    if (this.stalledSinceMs !== undefined) {
      this.log.info(
        { slug: this.input.slug, silentMs: update.receivedAtMs - this.stalledSinceMs },
        "market feed flowing again",
      );
      this.stalledSinceMs = undefined;
    }
    if (this.stopping) return;
    this.framesThisAttempt += 1;
    this.marketStats.record(update.decoded);
    if (!update.changed) return;
    this.offerBook(update.venueAtMs, update.receivedAtMs);
  }

  /** The books as they are now, to the entry trigger and the conflator. */
  private offerBook(venueAtMs: number, receivedAtMs: number): void {
    const stream = this.lease!.stream;
    for (const [token, tick] of stream.tickSizes) this.ticks.set(token, tick);
    const tickSize = marketTickSize(this.ticks, this.tokens, this.fallbackTick);
    const snapshot = buildBookSnapshot(stream.books, this.tokens, this.depth, tickSize, {
      venueAtMs,
      receivedAtMs,
    });
    if (!snapshot) return;
    // The hot path: every book, before conflation (numbered as the next signal will most likely be).
    this.trigger?.offer({ seq: this.seq + 1, ...snapshot });
    this.conflator.offer(snapshot, systemScheduler.now());
  }

  private async sendSnapshot(snapshot: UnnumberedSnapshot): Promise<void> {
    if (this.stopping) return;
    this.seq += 1;
    try {
      await this.deps.signal(this.input.sessionWorkflowId, SIGNALS.marketBook, {
        seq: this.seq,
        ...snapshot,
      });
      this.counters.snapshotsSent += 1;
    } catch (error) {
      this.counters.signalFailures += 1;
      const kind = this.classify(error);
      this.logSignalFailure(SIGNALS.marketBook, kind, error);
      if (kind === "workflow-completed") this.finish("workflow-completed");
      // The conflator retries a transient failure with the latest snapshot; anything else is final.
      else if (kind === "transient") throw error;
    }
  }

  // -------------------------------------------------------------------------------------------- user

  /** Our fills (the stream converted them, src/protocol/fills.ts); order events are only counted. */
  private onUserFrame(update: UserFrameUpdate): void {
    if (this.stopping) return;
    this.framesThisAttempt += 1;
    this.userStats.record(update.decoded);
    for (const fill of update.fills) {
      const key = fillSightingKey(fill);
      // Also seen: what a reconcile of this feed already reported.
      if (this.seenFills.has(key)) continue;
      this.seenFills.add(key);
      this.pendingFills.push(fill);
    }
    if (this.pendingFills.length > 0) this.scheduleFlush();
  }

  /** The fills that arrive within one turn of the event loop go out as one signal. */
  private scheduleFlush(): void {
    this.flushScheduled ??= setImmediate(() => {
      this.flushScheduled = undefined;
      this.flushBatches();
    });
  }

  private flushBatches(): void {
    if (this.flushScheduled) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = undefined;
    }
    if (this.pendingFills.length > 0) {
      const fills = this.pendingFills;
      this.pendingFills = [];
      this.enqueue({ name: SIGNALS.fills, payload: fills, count: fills.length });
    }
  }

  // --------------------------------------------------------------------------------------- reconcile

  private requestReconcile(): void {
    if (this.stopping) return;
    if (this.reconcileRunning) {
      this.reconcileAgain = true;
      return;
    }
    void this.reconcile();
  }

  private async reconcile(): Promise<void> {
    this.reconcileRunning = true;
    let failures = 0;
    try {
      while (!this.stopping) {
        this.reconcileAgain = false;
        const atMs = this.now();
        try {
          this.source ??= this.deps.exchangeFor();
          const source = await this.source;
          const market = this.input.conditionId;
          const [orders, trades] = await Promise.all([
            source.openOrders({ market }),
            source.trades({ market }),
          ]);
          if (this.stopping) return;
          const { snapshot, skippedTrades } = buildReconcileSnapshot(
            atMs,
            market,
            this.deps.apiCreds.key,
            orders,
            trades,
          );
          if (skippedTrades.length > 0) {
            this.log.warn(
              { slug: this.input.slug, skippedTrades },
              "reconcile: trades with an unknown status left out",
            );
          }
          // What the reconcile reports need not come again from the channel at the same status.
          for (const fill of snapshot.fills) this.seenFills.add(fillSightingKey(fill));
          // Fills batched before this read go out before it.
          this.flushBatches();
          this.enqueue({ name: SIGNALS.reconcile, payload: snapshot, count: 1 });
          this.lastReconcileAtMs = atMs;
          failures = 0;
          if (!this.reconcileAgain) return;
        } catch (error) {
          this.source = undefined;
          const delayMs = backoffMs(failures, this.retryBackoff);
          failures += 1;
          this.log.warn(
            { slug: this.input.slug, err: errorMessage(error), retryInMs: delayMs },
            "reconcile read failed",
          );
          await this.sleep(delayMs);
        }
      }
    } finally {
      this.reconcileRunning = false;
    }
  }

  // ------------------------------------------------------------------------ ordered, retried signals

  private enqueue(item: QueuedSignal): void {
    if (this.stopped) return;
    this.queue.push(item);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    let failures = 0;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const item = this.queue[0]!;
        try {
          await this.deps.signal(this.input.sessionWorkflowId, item.name, item.payload);
          this.queue.shift();
          failures = 0;
          this.countDelivered(item);
        } catch (error) {
          this.counters.signalFailures += 1;
          const kind = this.classify(error);
          this.logSignalFailure(item.name, kind, error);
          if (kind === "workflow-completed") {
            this.queue.length = 0;
            this.finish("workflow-completed");
            return;
          }
          if (kind === "workflow-not-found") {
            this.queue.shift();
            continue;
          }
          await this.sleep(backoffMs(failures, this.retryBackoff));
          failures += 1;
        }
      }
    } finally {
      this.draining = false;
      if (this.queue.length === 0 || this.stopped) {
        const waiters = this.queueIdleWaiters;
        this.queueIdleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  private countDelivered(item: QueuedSignal): void {
    if (item.name === SIGNALS.fills) this.counters.fillsSignalled += item.count;
    else if (item.name === SIGNALS.reconcile) this.counters.reconciles += 1;
  }

  private queueIdle(): Promise<void> {
    if (this.queue.length === 0 && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.queueIdleWaiters.push(resolve));
  }

  // ----------------------------------------------------------------------------- heartbeat and end

  /** Heartbeats, and ends the feed at endMs + grace (checked at least every heartbeat interval). */
  private loop(): void {
    if (this.stopping) return;
    const remaining = this.endAtMs - this.now();
    if (remaining <= 0) {
      this.finish("ended");
      return;
    }
    // A floor keeps an injected clock that stands still from turning this into a busy loop.
    const delayMs = Math.max(25, Math.min(remaining, this.heartbeatIntervalMs));
    this.loopTimer = setTimeout(() => {
      this.loopTimer = undefined;
      if (this.stopping) return;
      this.heartbeat();
      this.watchStall();
      this.loop();
    }, delayMs);
  }

  /** Warns once when the market channel has carried no data frame for stallAfterMs (cleared by the next one). */
  private watchStall(): void {
    if (this.stalledSinceMs !== undefined) return;
    const last = this.lease?.stream.stats.market.lastMessageAt ?? this.startedAtMs;
    const silentMs = this.now() - last;
    const limit = this.deps.stallAfterMs ?? MARKET_FEED_DEFAULTS.stallAfterMs;
    if (silentMs < limit) return;
    this.stalledSinceMs = last;
    this.log.warn(
      { slug: this.input.slug, market: this.input.conditionId, silentMs },
      `market feed stalled: no data for ${Math.round(silentMs / 1000)} s`,
    );
  }

  private heartbeatDetails(): FeedHeartbeatDetails {
    return {
      lastSeq: this.seq,
      lastReconcileAtMs: this.lastReconcileAtMs,
      framesReceived: this.framesBefore + this.framesThisAttempt,
      atMs: this.now(),
      tickSizes: Object.fromEntries(this.ticks),
    };
  }

  private heartbeat(): void {
    if (!this.deps.heartbeat) return;
    try {
      this.deps.heartbeat(this.heartbeatDetails());
    } catch (error) {
      this.log.warn({ slug: this.input.slug, err: errorMessage(error) }, "heartbeat failed");
    }
  }

  private finish(reason: FeedEndReason): void {
    if (this.stopping) return;
    this.stopping = true;
    this.endReason = reason;
    clearTimeout(this.loopTimer);
    this.loopTimer = undefined;
    this.deps.cancellationSignal?.removeEventListener("abort", this.onAbort);
    void this.shutdown();
  }

  private async shutdown(): Promise<void> {
    this.trigger?.stop();
    this.conflator.close();
    if (this.endReason === "ended") {
      // Fills already received must not be lost at a normal end; give them a bounded chance to go out.
      this.flushBatches();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.deps.endFlushTimeoutMs ?? MARKET_FEED_DEFAULTS.endFlushTimeoutMs);
      });
      await Promise.race([this.queueIdle(), timeout]);
      clearTimeout(timer);
    } else if (this.flushScheduled) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = undefined;
    }
    this.stopped = true;
    if (this.queue.length > 0) {
      this.log.warn(
        { slug: this.input.slug, undelivered: this.queue.length },
        "signals left undelivered at the end",
      );
    }
    for (const sleep of this.sleeps) {
      clearTimeout(sleep.timer);
      sleep.resolve();
    }
    this.sleeps.clear();
    // The last consumer of the market closes its connections.
    await this.lease?.release();
    const result = this.result();
    this.log.info({ slug: this.input.slug, ...result, frames: undefined }, "market feed finished");
    this.resolveDone(result);
  }

  private result(): StreamMarketResult {
    return {
      endReason: this.endReason,
      lastSeq: this.seq,
      resumedAfterSeq: this.resumedAfterSeq,
      ...this.counters,
      lastReconcileAtMs: this.lastReconcileAtMs,
      framesReceived: this.framesBefore + this.framesThisAttempt,
      conflation: this.conflator.stats,
      ...(this.trigger ? { entry: { ...this.trigger.stats } } : {}),
      frames: { market: this.marketStats.snapshot(), user: this.userStats.snapshot() },
      reconnects: this.reconnects(),
    };
  }

  /** Reconnects since the feed subscribed. */
  private reconnects(): { market: number; user: number } {
    if (!this.lease) return { market: 0, user: 0 };
    const { market, user } = this.lease.stream.stats;
    return {
      market: market.reconnects - this.reconnectsBefore.market,
      user: user.reconnects - this.reconnectsBefore.user,
    };
  }

  // ---------------------------------------------------------------------------------------- helpers

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }

  private logSignalFailure(signalName: string, kind: SignalErrorKind, error: unknown): void {
    const details = { slug: this.input.slug, workflowId: this.input.sessionWorkflowId, signalName, kind };
    const level = kind === "transient" ? "warn" : "info";
    this.log[level]({ ...details, err: errorMessage(error) }, "signal failed");
  }
}

/** A hub for a feed (or a set of activities) given none: the same channels as the process's would open. */
function ownHub(deps: StreamingActivityDeps, now: () => number, logger: ChannelLogger): MarketDataHub {
  return new MarketDataHub({
    wsUrl: deps.wsUrl,
    apiCreds: deps.apiCreds,
    channel: deps.channel,
    now,
    logger,
  });
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Runs the feed for one market until it ends (see the module comment). Never rejects for venue trouble. */
export async function runMarketFeed(
  input: StreamMarketInput,
  deps: MarketFeedDeps,
): Promise<StreamMarketResult> {
  // async: a bad input (depth, URL) rejects instead of throwing synchronously.
  return new MarketFeed(input, deps).run();
}

/**
 * The streaming worker's activities. heartbeat, cancellationSignal and the previous attempt's heartbeat
 * details come from the activity Context of each call (a test may pass its own in `overrides`).
 *
 * On cancellation the activity throws the cancellation reason, as Temporal expects: a cancel the workflow
 * requested reports as cancelled, while a worker shutdown reports as a (retryable) failure, so that another
 * streaming worker resumes the feed.
 */
export function createStreamingActivities(
  deps: StreamingActivityDeps,
  overrides: Pick<MarketFeedDeps, "heartbeat" | "cancellationSignal" | "resumeFrom"> = {},
) {
  // One hub for every feed these activities run: feeds of one market share its connection.
  const marketData = deps.marketData ?? ownHub(deps, deps.now ?? Date.now, deps.logger ?? silentLogger);
  return {
    async streamMarket(input: StreamMarketInput): Promise<StreamMarketResult> {
      const needsContext =
        !overrides.heartbeat || !overrides.cancellationSignal || !("resumeFrom" in overrides);
      const context = needsContext ? Context.current() : undefined;
      const cancellationSignal = overrides.cancellationSignal ?? context!.cancellationSignal;
      const result = await runMarketFeed(input, {
        ...deps,
        marketData,
        heartbeat: overrides.heartbeat ?? ((details) => context!.heartbeat(details)),
        cancellationSignal,
        resumeFrom: "resumeFrom" in overrides ? overrides.resumeFrom : context!.info.heartbeatDetails,
      });
      if (result.endReason === "aborted") {
        throw cancellationSignal.reason ?? new Error("market feed cancelled");
      }
      return result;
    },
  };
}

export type StreamingActivities = ReturnType<typeof createStreamingActivities>;

/** The production `update` dependency (armed entry): an Update through a Temporal client, awaited to completion. */
export function updateThrough(client: Pick<Client, "workflow">): UpdateFn {
  return (workflowId, updateName, arg, updateId) =>
    client.workflow.getHandle(workflowId).executeUpdate(updateName, { args: [arg], updateId });
}

/** The production `query` dependency (armed entry). */
export function queryThrough(client: Pick<Client, "workflow">): QueryFn {
  return (workflowId, queryName) => client.workflow.getHandle(workflowId).query(queryName);
}

/** The production `signal` dependency: signals through a Temporal client. */
export function signalThrough(client: Pick<Client, "workflow">): SignalFn {
  return (workflowId, signalName, payload) =>
    client.workflow.getHandle(workflowId).signal(signalName, payload);
}
