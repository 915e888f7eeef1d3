/**
 * One market window: watches the books the streaming worker signals, opens a `position` child
 * for each arbitrage it detects, routes fills and books to its positions, and obeys halt/resume.
 * Continues as new before its history grows large; positions are ABANDON children, so that never
 * touches them.
 *
 * Halt and resume come two ways. The `halt`/`resume` signals are the deployment-wide halt (sent by the
 * schedulers and the global `ballast halt`/`resume`, or given at start as `input.halted`): the session
 * remembers it as `globalHalt`. The `halt`/`resume` Updates are the operator's control of this one window
 * (`ballast halt --slug`): validated (a refused Update writes no history; `resume` is refused while all
 * trading is halted), and they answer what they did (positions told, orders cancelled).
 *
 * The session is a `MarketSession` object (Temporal's safe-message-handlers pattern): its whole state is
 * one plain `SessionState`, every handler only calls one of its methods, which mutate that state, and a
 * short main loop waits for work, has the object do it (opening positions, forwarding, cancelling on
 * halt), and continues as new with the whole state once every handler has finished — so nothing received
 * but not yet acted on can be forgotten. The exception: the `halt`/`resume` Updates tell the positions and
 * cancel the orders themselves, so as to answer with what happened; continue-as-new waits for them.
 *
 * What to trade is the strategy's decision (src/session/strategy.ts; arbitrage's:
 * src/strategy/arbitrage/session-strategy.ts): the session asks it on each new book (or whether to arm a
 * position ahead of need) and sets the `Strategy` search attribute to its name. The parameters hold a
 * section per strategy (src/session/params.ts); the flat shape of earlier runs is read at the entry.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
  workflowInfo,
} from "@temporalio/workflow";
import type { ExchangeActivities } from "../activities/exchange/activities";
import type { MarketRef } from "../src/session/market";
import type {
  MarketBookSnapshot,
  OurFill,
  ReconcileSnapshot,
  SessionHaltResult,
  SessionResumeResult,
} from "../src/session/messages";
import { workflowIds } from "../src/session/messages";
import { type FlatSessionParams, type SessionParams, sessionParamsOf } from "../src/session/params";
import type { SessionFacts, SessionStrategy } from "../src/session/strategy";
import { type ArbitrageEntry, arbitrageSessionStrategy } from "../src/strategy/arbitrage/session-strategy";
import { positionSummary } from "../src/strategy/arbitrage/summary";
import { Asset, MarketSlug, Strategy } from "../src/temporal/search-attributes";
import { MAX_REASON_LENGTH } from "./control";
import {
  fillsSignal,
  haltSignal,
  marketBookSignal,
  type PositionStatus,
  positionStatusSignal,
  reconcileSignal,
  resumeSignal,
  sessionHaltUpdate,
  sessionResumeUpdate,
  sessionStateQuery,
} from "./definitions";
import { marketFeed } from "./feed";
import { position } from "./position";
import { feedSummary, type SessionView, sessionDetails } from "./views";

export type { FlatSessionParams, SessionParams };

/**
 * The whole state of a session: what its handlers wrote and what its main loop has done about it.
 * Plain JSON, handed as is to the next run on continue-as-new.
 */
export interface SessionState {
  /** Runs before this one (continue-as-new count). */
  runs: number;
  feedStarted: boolean;
  positionsStarted: number;
  /** Every position this session started, as it last told its status. */
  positions: Record<string, PositionStatus>;
  /** Seq of the newest book received (older or repeated books are ignored). */
  lastBookSeq: number;
  /** The newest book received. */
  book?: MarketBookSnapshot;
  /** `book` has not been examined for an opportunity yet. */
  bookUnexamined: boolean;
  /** Fills received and not yet forwarded to the positions. */
  fillQueue: OurFill[];
  /** The newest reconcile snapshot, not yet forwarded to the positions. */
  reconcile?: ReconcileSnapshot;
  /** Operator halt: of all trading (`globalHalt`), or of this window alone (the `halt` Update). */
  halted: boolean;
  /**
   * All trading is halted (the `halt` signal of a scheduler or of the global `ballast halt`, or started
   * halted), since this session heard of it; cleared by the `resume` signal. The `resume` Update is refused
   * meanwhile. Absent in runs carried from before it existed.
   */
  globalHalt?: { reason?: string; atMs: number };
  /** The positions have been told the last halt/resume (and open orders cancelled on a halt). */
  haltPropagated: boolean;
  /** Per position: when it was last sent a book (the throttle) and that book's seq. */
  booksForwarded: Record<string, { atMs: number; seq: number }>;
  /** ARB_ENTRY_PATH=armed: the position started ahead of need, waiting for the streaming worker's `execute`. */
  armedId?: string;
}

/** What runs before the whole state was carried handed to the next run (still accepted). */
export interface SessionCarry {
  positionsStarted: number;
  halted: boolean;
  positions: Record<string, PositionStatus>;
  lastBookSeq: number;
  feedStarted: boolean;
  runs: number;
  pendingBook?: MarketBookSnapshot;
}

export interface SessionInput {
  market: MarketRef;
  /** Today's shape, or the flat one of runs started before it (read by `sessionParamsOf`). */
  params: SessionParams | FlatSessionParams;
  /** The previous run's whole state (continue-as-new). */
  state?: SessionState;
  /** The previous run's carry, from runs started before `state` existed. */
  carry?: SessionCarry;
  /**
   * Start halted: trading is halted deployment-wide (the scheduler read it from the control workflow),
   * so the session opens no position until it is resumed.
   */
  halted?: { reason?: string };
}

const exchange = proxyActivities<ExchangeActivities>({
  startToCloseTimeout: "20 seconds",
  retry: { initialInterval: "500 milliseconds", maximumInterval: "5 seconds", maximumAttempts: 10 },
});

/**
 * Books are forwarded to an imbalanced position at most this often: each signal costs the position
 * ~4 history events, so a whole 15-minute window stays near 5,000 events (the 5 s checks included).
 * A book held back by it goes out when the interval has passed. Sessions started before this was
 * raised from 250 ms keep the old interval (patched).
 */
const BOOK_FORWARD_INTERVAL_MS = 1_000;
const BOOK_FORWARD_INTERVAL_V1_MS = 250;

function stateFrom(input: SessionInput): SessionState {
  if (input.state) return input.state;
  const carry = input.carry;
  return {
    runs: carry?.runs ?? 0,
    feedStarted: carry?.feedStarted ?? false,
    positionsStarted: carry?.positionsStarted ?? 0,
    positions: carry?.positions ?? {},
    lastBookSeq: carry?.lastBookSeq ?? 0,
    ...(carry?.pendingBook ? { book: carry.pendingBook } : {}),
    bookUnexamined: carry?.pendingBook !== undefined,
    fillQueue: [],
    halted: carry?.halted ?? input.halted !== undefined,
    ...(!carry && input.halted ? { globalHalt: { reason: input.halted.reason, atMs: Date.now() } } : {}),
    haltPropagated: true,
    booksForwarded: {},
  };
}

/** Why the `halt` Update refuses (its validator); undefined: it halts. */
export function sessionHaltRefusal(
  request: { reason?: unknown } | undefined,
  state: { nowMs: number; endMs: number },
): string | undefined {
  const reason = request?.reason;
  if (reason !== undefined && typeof reason !== "string") return "the halt reason must be text";
  if (typeof reason === "string" && reason.length > MAX_REASON_LENGTH)
    return `the halt reason must be at most ${MAX_REASON_LENGTH} characters`;
  if (state.nowMs >= state.endMs)
    return `the market window is over (it ended at ${new Date(state.endMs).toISOString()})`;
  return undefined;
}

/** Why the `resume` Update refuses (its validator); undefined: it resumes. */
export function sessionResumeRefusal(state: {
  nowMs: number;
  endMs: number;
  globalHalt?: { reason?: string; atMs: number };
}): string | undefined {
  if (state.nowMs >= state.endMs)
    return `the market window is over (it ended at ${new Date(state.endMs).toISOString()})`;
  if (state.globalHalt)
    return `all trading is halted (this session was told at ${new Date(state.globalHalt.atMs).toISOString()}, reason: ${state.globalHalt.reason ?? "none given"}); \`ballast resume\` without --slug lifts that`;
  return undefined;
}

/**
 * The fills each open position is sent (patch `session-fills-by-owner`): a fill whose order a position has
 * reported as its own goes to that position only (none if it has ended); a fill whose order's owner is not
 * known yet (its position has not reported the order id) goes to every open position, which keeps it
 * until it knows its orders' ids. Each position gets its fills in the order received; a position with
 * none gets no signal.
 */
export function fillsByOwner(
  fills: readonly OurFill[],
  open: readonly string[],
  positions: Readonly<Record<string, PositionStatus>>,
): [string, OurFill[]][] {
  const owners = new Map<string, string>();
  for (const p of Object.values(positions))
    for (const orderId of p.orderIds ?? []) owners.set(orderId, p.positionId);
  return open
    .map((id): [string, OurFill[]] => [
      id,
      fills.filter((f) => {
        const owner = owners.get(f.orderId);
        return owner === undefined || owner === id;
      }),
    ])
    .filter(([, own]) => own.length > 0);
}

/**
 * One market session: its whole state (`state`, plain JSON, carried on continue-as-new), what it was
 * started with, and its methods — those the handlers call (each only changes the state, or, the `halt`
 * and `resume` Updates, tells the positions and answers) and those the main loop calls to do the work.
 */
class MarketSession {
  readonly market: MarketRef;
  readonly params: SessionParams;
  readonly strategy: SessionStrategy<ArbitrageEntry>;
  readonly state: SessionState;
  /** The window is over (its timer has fired, or it was at start). */
  ended: boolean;
  private readonly me: string;
  /** Started halted (deployment-wide), as the scheduler said. */
  private readonly startedHalted: { reason?: string } | undefined;
  private readonly bookForwardIntervalMs: number;
  private readonly trailingFlush: boolean;
  private readonly routesFillsByOwner: boolean;
  /** Fire times of the flush timers not fired yet. Timers are never cancelled (see workflows/position.ts). */
  private readonly flushTimers = new Set<number>();

  constructor(input: SessionInput) {
    this.market = input.market;
    this.params = sessionParamsOf(input.params);
    this.strategy = arbitrageSessionStrategy(this.params.arbitrage);
    this.state = stateFrom(input);
    this.startedHalted = input.halted;
    this.me = workflowInfo().workflowId;
    this.bookForwardIntervalMs = patched("book-forward-interval-1s")
      ? BOOK_FORWARD_INTERVAL_MS
      : BOOK_FORWARD_INTERVAL_V1_MS;
    // Each position that wants books gets the newest one it has not had, at most once per interval:
    // a book held back by the interval goes out when the interval has passed (a timer that only ever
    // fires), and a position that starts wanting books gets the newest book as soon as its interval
    // allows. Sessions started before this forward the newest book on each pass of the loop to the
    // positions whose interval has passed: a book held back waits for the next pass.
    this.trailingFlush = patched("session-book-trailing-flush");
    // Fills go to the position that owns their order (broadcast only while the owner is unknown). Sessions
    // started before this send every fill batch to every open position.
    this.routesFillsByOwner = patched("session-fills-by-owner");
    this.ended = Date.now() >= this.market.endMs;
  }

  // ------------------------------------------------------------------------------------- what it shows

  openPositions(): string[] {
    return Object.values(this.state.positions)
      .filter((p) => !p.done)
      .map((p) => p.positionId);
  }

  /** Open positions that hold or may hold orders (an armed one has none: no fills, reconciles or books). */
  private tradingPositions(): string[] {
    return Object.values(this.state.positions)
      .filter((p) => !p.done && !p.armed)
      .map((p) => p.positionId);
  }

  private executing(): boolean {
    return Object.values(this.state.positions).some((p) => p.executing);
  }

  /** The `sessionState` query's answer. */
  view(): SessionView {
    const { market, state } = this;
    return {
      slug: market.slug,
      asset: market.asset,
      startMs: market.startMs,
      endMs: market.endMs,
      halted: state.halted,
      positionsStarted: state.positionsStarted,
      openPositions: this.openPositions(),
      lastBookSeq: state.lastBookSeq,
      ...(state.armedId ? { armedPositionId: state.armedId } : {}),
      ...(state.book
        ? {
            bestAsks: {
              up: state.book.up.asks[0]?.price ?? null,
              down: state.book.down.asks[0]?.price ?? null,
            },
          }
        : {}),
      runsSoFar: state.runs,
    };
  }

  /** The session as the Web UI shows it live (current details: no history event), kept current by every change. */
  showDetails(): void {
    setCurrentDetails(sessionDetails(this.view(), this.ended));
  }

  /** What the strategy is shown when it decides. */
  private facts(nowMs: number): SessionFacts {
    const { state } = this;
    return {
      market: this.market,
      nowMs,
      halted: state.halted,
      executing: this.executing(),
      positionsStarted: state.positionsStarted,
      ...(state.armedId !== undefined ? { armedId: state.armedId } : {}),
    };
  }

  // ------------------------------------------------------------------------ the signal handlers' methods

  receiveBook(b: MarketBookSnapshot): void {
    const { state } = this;
    if (b.seq > state.lastBookSeq) {
      state.lastBookSeq = b.seq;
      state.book = b;
      state.bookUnexamined = true;
      this.showDetails();
    }
  }

  receiveFills(fills: OurFill[]): void {
    this.state.fillQueue.push(...fills);
  }

  receiveReconcile(snapshot: ReconcileSnapshot): void {
    this.state.reconcile = snapshot;
  }

  /** The deployment-wide halt (the `halt` signal: schedulers, the global `ballast halt`). */
  haltAll(req: { reason?: string } | undefined): void {
    const { state } = this;
    if (!state.halted) log.info("session halted", { reason: req?.reason });
    state.halted = true;
    // The signal is the deployment-wide halt (schedulers, the global `ballast halt`); one window is halted by the Update.
    const reason = req?.reason ?? state.globalHalt?.reason;
    state.globalHalt = {
      ...(reason !== undefined ? { reason } : {}),
      atMs: state.globalHalt?.atMs ?? Date.now(),
    };
    state.haltPropagated = false;
    this.showDetails();
  }

  /** The deployment-wide resume (the `resume` signal). */
  resumeAll(): void {
    const { state } = this;
    if (state.halted) log.info("session resumed");
    state.halted = false;
    delete state.globalHalt;
    state.haltPropagated = false;
    this.showDetails();
  }

  positionStatus(status: PositionStatus): void {
    const { state } = this;
    state.positions[status.positionId] = status;
    // Executing (or done): it is no longer the armed one; the next is armed once it has executed.
    if (status.positionId === state.armedId && !status.armed) delete state.armedId;
    this.showDetails();
  }

  // ------------------------------------------------------------------------ the Updates' methods

  /** The `halt` Update's validator: throws why it refuses. */
  validateHalt(req: { reason?: unknown } | undefined): void {
    const why = sessionHaltRefusal(req, { nowMs: Date.now(), endMs: this.market.endMs });
    if (why) throw new Error(why);
  }

  /** The `resume` Update's validator: throws why it refuses. */
  validateResume(): void {
    const why = sessionResumeRefusal({
      nowMs: Date.now(),
      endMs: this.market.endMs,
      ...(this.state.globalHalt ? { globalHalt: this.state.globalHalt } : {}),
    });
    if (why) throw new Error(why);
  }

  /** Halts this window (the `halt` Update): tells the open positions, cancels the market's open orders. */
  async haltWindow(req: { reason?: string } | undefined): Promise<SessionHaltResult> {
    const { state, market } = this;
    const reason = req?.reason?.trim() || "operator";
    const alreadyHalted = state.halted;
    log.info("session halted (this window)", { reason, alreadyHalted });
    state.halted = true;
    // This handler tells the positions and cancels the orders itself (to answer with what happened).
    state.haltPropagated = true;
    this.showDetails();
    const { open, told } = await this.tellPositions(true, reason);
    const result: SessionHaltResult = {
      sessionId: this.me,
      slug: market.slug,
      alreadyHalted,
      openPositions: open,
      positionsTold: told,
    };
    try {
      const cancelled = await this.cancelMarketOrders();
      log.info("open orders cancelled on halt", { cancelled, update: sessionHaltUpdate.name });
      return { ...result, cancelled };
    } catch (err) {
      const cause = (err as { cause?: unknown })?.cause;
      const cancelError =
        cause instanceof Error && cause.message
          ? cause.message
          : err instanceof Error
            ? err.message
            : String(err);
      log.error("cancelling the market's open orders on halt failed", { err: cancelError });
      return { ...result, cancelError };
    }
  }

  /** Resumes this window (the `resume` Update): tells the open positions. */
  async resumeWindow(): Promise<SessionResumeResult> {
    const { state } = this;
    const wasHalted = state.halted;
    if (wasHalted) log.info("session resumed (this window)");
    state.halted = false;
    state.haltPropagated = true;
    this.showDetails();
    const { open, told } = await this.tellPositions(false);
    return {
      sessionId: this.me,
      slug: this.market.slug,
      wasHalted,
      openPositions: open,
      positionsTold: told,
    };
  }

  /** Tells every open position the halt or the resume; how many there were and how many were reached. */
  private async tellPositions(halted: boolean, reason?: string): Promise<{ open: number; told: number }> {
    const ids = this.openPositions();
    const reached = await Promise.all(
      ids.map((id) =>
        (halted
          ? getExternalWorkflowHandle(id).signal(haltSignal, reason === undefined ? {} : { reason })
          : getExternalWorkflowHandle(id).signal(resumeSignal)
        ).then(
          () => true,
          () => false,
        ),
      ),
    );
    return { open: ids.length, told: reached.filter(Boolean).length };
  }

  /** Cancels every open order of our key in this market (the venue's count). */
  private cancelMarketOrders(): Promise<number> {
    return exchange.cancelMarketOrders.executeWithOptions(
      { summary: `cancel every open order in ${this.market.slug} (halt)` },
      [{ market: this.market.conditionId }],
    );
  }

  // ------------------------------------------------------------------------ the main loop's methods

  /** The first things a run does: search attributes (first run), details, the feed, the window's timer. */
  async start(): Promise<void> {
    const { market, state } = this;
    if (state.runs === 0) {
      upsertSearchAttributes([
        { key: MarketSlug, value: market.slug },
        { key: Asset, value: market.asset },
        { key: Strategy, value: this.strategy.name },
      ]);
      log.info("session started", {
        slug: market.slug,
        startMs: market.startMs,
        endMs: market.endMs,
        ...(this.startedHalted ? { halted: true, reason: this.startedHalted.reason } : {}),
      });
    }
    this.showDetails();
    if (!state.feedStarted) await this.startFeed();
    // One timer for the end of the window, never cancelled (see workflows/position.ts).
    void sleep(Math.max(1, market.endMs - Date.now())).then(() => {
      this.ended = true;
    });
  }

  private async startFeed(): Promise<void> {
    const { market } = this;
    // Armed entry: the feed detects on every book and triggers the armed position itself.
    const detection = this.strategy.feedDetection();
    try {
      await startChild(marketFeed, {
        workflowId: workflowIds.feed(market.slug),
        staticSummary: feedSummary(market),
        args: [
          {
            market,
            sessionWorkflowId: this.me,
            taskQueue: this.params.streamingTaskQueue,
            ...(detection ? { detection } : {}),
          },
        ],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof Error && err.name === "WorkflowExecutionAlreadyStartedError")) throw err;
    }
    this.state.feedStarted = true;
  }

  /** Something for the loop to do (the main loop's condition). */
  hasWork(): boolean {
    const { state } = this;
    return (
      this.ended ||
      state.bookUnexamined ||
      state.fillQueue.length > 0 ||
      state.reconcile !== undefined ||
      !state.haltPropagated ||
      (this.trailingFlush && this.booksDue()) ||
      this.armDue()
    );
  }

  /** One pass of the loop: the strategy's entry (a new book, or arming), the details, the forwarding. */
  async step(): Promise<void> {
    const { state } = this;
    const snapshot = state.bookUnexamined ? state.book : undefined;
    state.bookUnexamined = false;
    if (this.strategy.entry === "armed") {
      if (this.armDue()) await this.arm();
    } else if (snapshot) await this.examineBook(snapshot);
    this.showDetails();
    await this.forward();
  }

  /** The history is long enough to continue as new: its length, else undefined. */
  continueAsNewDue(): number | undefined {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > this.params.historyEventLimit
      ? info.historyLength
      : undefined;
  }

  /** The next run's input: the whole state (call once every handler has finished). */
  nextRun(): SessionInput {
    this.state.runs += 1;
    return { market: this.market, params: this.params, state: this.state };
  }

  // ------------------------------------------------------------------------ entries (the strategy's)

  /** Armed entry: one position started ahead of need whenever none is armed or executing. */
  private armDue(): boolean {
    return this.strategy.entry === "armed" && this.strategy.armDue(this.facts(Date.now()));
  }

  private async arm(): Promise<void> {
    const { market, state } = this;
    state.positionsStarted += 1;
    const positionId = workflowIds.position(market.slug, state.positionsStarted);
    state.positions[positionId] = {
      positionId,
      executing: false,
      wantsBooks: false,
      done: false,
      armed: true,
    };
    state.armedId = positionId;
    await startChild(position, {
      workflowId: positionId,
      args: [
        {
          positionId,
          sessionWorkflowId: this.me,
          market,
          params: this.params.arbitrage,
          armed: { halted: state.halted },
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `${market.asset} arbitrage, armed: executes the first arbitrage the streaming worker sees on ${market.slug}`,
      typedSearchAttributes: [
        { key: MarketSlug, value: market.slug },
        { key: Asset, value: market.asset },
        { key: Strategy, value: this.strategy.name },
      ],
    });
  }

  /** A new book: the strategy says whether to start a position on it, and the session starts it. */
  private async examineBook(snapshot: MarketBookSnapshot): Promise<void> {
    const { market, state } = this;
    const now = Date.now();
    const entry = this.strategy.onBook(this.facts(now), snapshot);
    if (!entry) return;
    const { opportunity } = entry;
    state.positionsStarted += 1;
    const positionId = workflowIds.position(market.slug, state.positionsStarted);
    state.positions[positionId] = { positionId, executing: true, wantsBooks: false, done: false };
    // The position starts with this book: it is not owed it again (and the interval does not apply yet).
    if (this.trailingFlush) state.booksForwarded[positionId] = { atMs: 0, seq: snapshot.seq };
    await startChild(position, {
      workflowId: positionId,
      args: [
        {
          positionId,
          sessionWorkflowId: this.me,
          market,
          opportunity,
          book: snapshot,
          detectedAtMs: now,
          params: this.params.arbitrage,
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: positionSummary(market.asset, opportunity),
      // Money nested in an object: the payload converter writes it as decimal text ("0.020000"), as the
      // Web UI then shows it (a memo's top-level fields are converted without their names: micros).
      memo: {
        detectedAtMs: now,
        opportunity: {
          spread: opportunity.spread,
          pairCost: opportunity.pairCost,
          expectedProfit: opportunity.expectedProfit,
        },
      },
      typedSearchAttributes: [
        { key: MarketSlug, value: market.slug },
        { key: Asset, value: market.asset },
        { key: Strategy, value: this.strategy.name },
      ],
    });
  }

  // ------------------------------------------------------------------------ forwarding

  /** The positions that want books and have not had the newest one, and when each may get it. */
  private booksOwed(): { positionId: string; dueAtMs: number }[] {
    const { state } = this;
    const b = state.book;
    if (!b) return [];
    return Object.values(state.positions)
      .filter((p) => p.wantsBooks && !p.done && (state.booksForwarded[p.positionId]?.seq ?? 0) < b.seq)
      .map((p) => ({
        positionId: p.positionId,
        dueAtMs:
          (state.booksForwarded[p.positionId]?.atMs ?? Number.NEGATIVE_INFINITY) + this.bookForwardIntervalMs,
      }));
  }

  private armFlush(atMs: number): void {
    if (this.flushTimers.has(atMs)) return;
    this.flushTimers.add(atMs);
    void sleep(Math.max(1, atMs - Date.now())).then(() => {
      this.flushTimers.delete(atMs);
    });
  }

  /** A book is owed to a position and due now, or will be with no timer armed to send it. */
  private booksDue(): boolean {
    const now = Date.now();
    return this.booksOwed().some((o) => o.dueAtMs <= now || !this.flushTimers.has(o.dueAtMs));
  }

  private async forwardBooks(): Promise<void> {
    const { state } = this;
    const snapshot = state.book;
    if (!snapshot) return;
    const now = Date.now();
    let due: string[];
    if (this.trailingFlush) {
      const owed = this.booksOwed();
      due = owed.filter((o) => o.dueAtMs <= now).map((o) => o.positionId);
      for (const o of owed) if (o.dueAtMs > now) this.armFlush(o.dueAtMs);
    } else {
      due = Object.values(state.positions)
        .filter(
          (p) =>
            p.wantsBooks &&
            !p.done &&
            now - (state.booksForwarded[p.positionId]?.atMs ?? 0) >= this.bookForwardIntervalMs,
        )
        .map((p) => p.positionId);
    }
    for (const id of due) state.booksForwarded[id] = { atMs: now, seq: snapshot.seq };
    await Promise.all(
      due.map((id) =>
        getExternalWorkflowHandle(id)
          .signal(marketBookSignal, snapshot)
          .catch(() => undefined),
      ),
    );
  }

  /** Fills, reconciles, a halt or resume, and books to the positions. */
  private async forward(): Promise<void> {
    const { state } = this;
    const open = this.strategy.entry === "armed" ? this.tradingPositions() : this.openPositions();
    if (state.fillQueue.length > 0) {
      const fills = state.fillQueue.splice(0);
      const batches: [string, OurFill[]][] = this.routesFillsByOwner
        ? fillsByOwner(fills, open, state.positions)
        : open.map((id) => [id, fills]);
      await Promise.all(
        batches.map(([id, own]) =>
          getExternalWorkflowHandle(id)
            .signal(fillsSignal, own)
            .catch(() => undefined),
        ),
      );
    }
    // A reconcile snapshot still goes whole to every open position: it is rare (one per user-channel
    // connection), each position takes only its own orders' fills from it, and it stays one consistent
    // picture of the venue at one instant.
    if (state.reconcile) {
      const snapshot = state.reconcile;
      delete state.reconcile;
      await Promise.all(
        open.map((id) =>
          getExternalWorkflowHandle(id)
            .signal(reconcileSignal, snapshot)
            .catch(() => undefined),
        ),
      );
    }
    if (!state.haltPropagated) {
      state.haltPropagated = true;
      await this.tellPositions(state.halted);
      // Read again: a resume that arrived meanwhile is propagated on the next pass (as ever).
      if (state.halted) {
        const cancelled = await this.cancelMarketOrders();
        log.info("open orders cancelled on halt", { cancelled, signal: haltSignal.name });
      }
    }
    await this.forwardBooks();
  }
}

export async function marketSession(input: SessionInput): Promise<{ positionsStarted: number }> {
  const session = new MarketSession(input);
  setHandler(marketBookSignal, (b) => session.receiveBook(b));
  setHandler(fillsSignal, (fills) => session.receiveFills(fills));
  setHandler(reconcileSignal, (snapshot) => session.receiveReconcile(snapshot));
  setHandler(haltSignal, (req) => session.haltAll(req));
  setHandler(resumeSignal, () => session.resumeAll());
  setHandler(positionStatusSignal, (status) => session.positionStatus(status));
  setHandler(sessionStateQuery, () => session.view());
  setHandler(sessionHaltUpdate, (req) => session.haltWindow(req), {
    validator: (req) => session.validateHalt(req),
  });
  setHandler(sessionResumeUpdate, () => session.resumeWindow(), {
    validator: () => session.validateResume(),
  });

  await session.start();
  while (!session.ended) {
    await condition(() => session.hasWork());
    await session.step();
    const historyLength = session.continueAsNewDue();
    if (historyLength !== undefined) {
      log.info("continuing as new", { historyLength });
      // Handlers only mutate the state (none awaits), but wait for them as the pattern requires:
      // then the whole state, with whatever arrived meanwhile, goes to the next run.
      await condition(allHandlersFinished);
      await continueAsNew<typeof marketSession>(session.nextRun());
    }
  }
  if (!session.market.slug) throw ApplicationFailure.nonRetryable("market without a slug");
  // A halt or resume Update under way finishes (and answers) before the session ends.
  if (!allHandlersFinished()) await condition(allHandlersFinished);
  session.showDetails();
  log.info("session ended", { positionsStarted: session.state.positionsStarted });
  return { positionsStarted: session.state.positionsStarted };
}
