/**
 * A position with its opportunity, from its entry to its resolution: the state it holds (its ledger, its
 * orders, what it told its session) and one method per step of its lifecycle, which `position()` calls in
 * order (workflows/position.ts). Handlers (signals, queries, the `rebalanceNow` Update) only call methods.
 * What it writes to the seed's tables is pure code (src/strategy/arbitrage/records.ts).
 *
 * Determinism: the commands, their order, the timers and the patches are those of the single function this
 * class was cut from; each async method keeps the awaits it had there.
 */
import {
  ActivityFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import type { OrderReadBack, PlacedOrder, PlaceOrderRequest } from "../../activities/exchange/activities";
import type { Micros } from "../../src/money";
import { SHARE_LOT } from "../../src/protocol/amounts";
import { orderSalt } from "../../src/session/ids";
import type { Winner } from "../../src/session/market";
import type {
  MarketBookSnapshot,
  OurFill,
  Outcome,
  RebalanceNowOrder,
  RebalanceNowResult,
  Side,
} from "../../src/session/messages";
import {
  applyFill,
  emptyLedger,
  fillKey,
  guaranteedPnl,
  hedgeRatio,
  needsRebalancing,
  netCost,
  type PositionLedger,
  type RebalanceOption,
  realizedRebalanceProfit,
  rebalanceDecision,
  resolvePosition,
} from "../../src/strategy/arbitrage";
import {
  balanceTimings,
  entryTelemetry,
  filledShares,
  fillRecord,
  type LastRebalance,
  matchedShares,
  orderRecord,
  type PositionTelemetry,
  positionRecord,
  rebalanceStatus,
  rebalanceTradeRecord,
  resolutionRecord,
  telemetryRecord,
} from "../../src/strategy/arbitrage/records";
import { positionDetails } from "../../src/strategy/arbitrage/summary";
import { HedgeRatio, PositionState } from "../../src/temporal/search-attributes";
import {
  fillsSignal,
  haltSignal,
  marketBookSignal,
  type PositionStatus,
  positionStateQuery,
  positionStatusSignal,
  rebalanceNowSignal,
  rebalanceNowUpdate,
  reconcileSignal,
  resumeSignal,
} from "../definitions";
import type { PositionInput, PositionResult } from "../position";
import {
  orderLabel,
  type PositionPhase,
  type PositionView,
  placeOrderSummary,
  readOrderSummary,
  recordFillSummary,
  recordOrderSummary,
  recordPositionSummary,
  recordRebalanceSummary,
  recordResolutionSummary,
} from "../views";
import {
  db,
  exchange,
  marketData,
  ORDER_POLL_MS,
  RESOLUTION_DEADLINE_MS,
  RESOLUTION_POLL_MAX_MS,
  resolutionReads,
} from "./activities";
import { INSUFFICIENT_BALANCE, OPEN_STATUSES, type OrderRecord, OurOrders } from "./orders";
import { marketRules, rebalanceNowRefusal } from "./refusals";

/** A position with its opportunity: started on one, or armed and then executed. */
export type ExecutingInput = PositionInput &
  Required<Pick<PositionInput, "opportunity" | "book" | "detectedAtMs">>;

/** What one pass of the monitor loop did for a rebalanceNow Update. */
type RebalanceOutcome = { attempted: boolean; reason?: string; order?: RebalanceNowOrder };

export class ExecutingPosition {
  // ------------------------------------------------------------------ patches (fixed at the start)
  /** Histories recorded before positions tracked open and unknown orders replay without it. */
  private readonly tracksOpenOrders = patched("position-open-orders");
  /** Before: fills after an order's placement answer reached the fills table only (trades, orders stale). */
  private readonly tablesFollowFills = patched("position-tables-follow-fills");
  /** Its status tells the session the ids of its orders (the session routes their fills to it alone). */
  private readonly reportsOrderIds = patched("position-status-order-ids");

  // ------------------------------------------------------------------ state
  private readonly id: string;
  /** The market's rules as of the detection book (the fee exponent of every fill). */
  private readonly rules: ReturnType<typeof marketRules>;
  private ledger: PositionLedger = emptyLedger();
  phase = "EXECUTING" as PositionPhase;
  private halted: boolean;
  private book: MarketBookSnapshot;
  private bookDirty = false;
  /**
   * The detection book is stale once our own legs have traded against it: rebalancing waits for a newer one
   * (or an operator's rebalance-now).
   */
  private bookFresh = false;
  private rebalanceRequested = false;
  /** rebalanceNow Updates accepted, and how many of them have been answered (in order). */
  private rebalanceAsked = 0;
  private rebalanceAnswered = 0;
  private rebalanceAnswer: RebalanceNowResult | undefined;
  /** The monitor-and-rebalance loop is over: an Update still waiting is answered that it was not evaluated. */
  private monitoringOver = false;
  private rebalanceTrades = 0;
  private readonly orders = new OurOrders();
  /** Fills of our known orders, waiting for the monitor loop to apply and record them. */
  private readonly pendingFills: OurFill[] = [];
  private pollDue = false;
  private polling = false;
  private pollDelayMs = ORDER_POLL_MS;
  /** The venue refused a SELL for shares not yet sellable: no SELL again before the next periodic check. */
  private sellBlocked = false;
  private entryDone = false;
  /** The entry legs (Up, Down), once both are placed. */
  private legs: OrderRecord[] = [];
  private telemetry: PositionTelemetry = {};
  private lastRebalance: LastRebalance | undefined;
  private result: PositionResult | undefined;
  private readonly session: ReturnType<typeof getExternalWorkflowHandle>;
  private lastStatus = "";
  private lastAttributes = "";

  constructor(
    private readonly input: ExecutingInput,
    private readonly how: { armed: boolean; halted: boolean },
  ) {
    this.id = input.positionId;
    this.rules = marketRules(input.market, input.book);
    this.halted = how.halted;
    this.book = input.book;
    this.registerHandlers();
    this.session = getExternalWorkflowHandle(input.sessionWorkflowId);
  }

  private registerHandlers(): void {
    setHandler(positionStateQuery, () => this.view());
    setHandler(marketBookSignal, (b) => this.onBook(b));
    setHandler(fillsSignal, (fills) => this.receiveFills(fills));
    setHandler(reconcileSignal, (snapshot) => this.receiveFills(snapshot.fills));
    setHandler(haltSignal, () => {
      this.halted = true;
    });
    setHandler(resumeSignal, () => {
      this.halted = false;
    });
    setHandler(rebalanceNowSignal, () => {
      this.rebalanceRequested = true;
    });
    setHandler(rebalanceNowUpdate, () => this.rebalanceNow(), {
      validator: () => this.validateRebalanceNow(),
    });
  }

  // ================================================================== lifecycle steps

  /**
   * Detect → execute: both FAK legs at once; armed, the session is told in the same workflow task. Once both
   * legs' outcomes are final, the position's initial state (a leg still open is awaited in the monitor loop).
   */
  async executeEntry(): Promise<void> {
    const { market, opportunity } = this.input;
    upsertSearchAttributes([{ key: PositionState, value: this.phase }]);
    // Positions started before the legs could differ in size carry one `shares` for both.
    const legacy = (opportunity as Partial<{ shares: Micros }>).shares;
    const upShares = opportunity.upShares ?? legacy ?? 0;
    const downShares = opportunity.downShares ?? legacy ?? 0;
    log.info("opportunity detected", {
      slug: market.slug,
      upShares,
      downShares,
      upLimit: opportunity.upLimitPrice,
      downLimit: opportunity.downLimitPrice,
      pairCost: opportunity.pairCost,
    });
    const tickSize = this.rules.tickSize;
    const legsPlaced = Promise.all([
      this.place("entry", "UP", "BUY", opportunity.upLimitPrice, upShares, tickSize),
      this.place("entry", "DOWN", "BUY", opportunity.downLimitPrice, downShares, tickSize),
    ]);
    // Armed: the session learns at once that this position is executing (it arms no other meanwhile, and
    // the streaming worker stops sending it books); both legs are already scheduled in this workflow task.
    const told = this.how.armed ? this.tellSession() : Promise.resolve();
    this.legs = await legsPlaced;
    await told;
    // A leg whose outcome is still open (delayed at the venue, or unknown) is awaited in the monitor loop.
    if (!this.entryOpen()) await this.finishEntry();
  }

  /**
   * Monitor and rebalance until the market's end (or until the entry turns out ABANDONED): each pass applies
   * fills, re-reads open orders, finishes the entry, evaluates a rebalance, answers rebalanceNow Updates.
   */
  async monitor(): Promise<void> {
    const { market, params } = this.input;
    // The periodic check: timers that only ever fire (never cancelled), so a signal arriving just as
    // one fires cannot race its cancellation (sdk-java#3088), and history gets no TimerCanceled events.
    let checkDue = false;
    const stopped = () => this.phase === "ABANDONED" || Date.now() >= market.endMs;
    void (async () => {
      while (!stopped()) {
        await sleep(Math.max(1, Math.min(params.rebalanceCheckIntervalMs, market.endMs - Date.now())));
        checkDue = true;
      }
    })();

    while (!stopped()) {
      await condition(
        () =>
          checkDue ||
          this.bookDirty ||
          this.rebalanceRequested ||
          this.pendingFills.length > 0 ||
          this.pollDue,
      );
      const periodic = checkDue;
      checkDue = false;
      this.bookDirty = false;
      const forced = this.rebalanceRequested;
      this.rebalanceRequested = false;
      /** The rebalanceNow Updates this pass answers (those accepted so far). */
      const asked = this.rebalanceAsked;
      let outcome: RebalanceOutcome | undefined;
      if (periodic) this.sellBlocked = false;

      if (this.pendingFills.length > 0) {
        const fills = this.pendingFills.splice(0);
        this.applyFills(fills);
        await this.persistFills(fills);
        await this.tablesFollow(fills);
      }
      if (this.pollDue) {
        this.pollDue = false;
        await this.settleOrders();
      }
      if (!this.entryDone) {
        if (this.entryOpen()) {
          // Not reached by an Update (its validator refuses while executing): answered all the same.
          if (asked > this.rebalanceAnswered) {
            this.rebalanceAnswer = this.rebalanceResult({ attempted: false, reason: "entry-open" });
            this.rebalanceAnswered = asked;
          }
          continue;
        }
        await this.finishEntry();
        if (this.phase === "ABANDONED") break;
      }

      // One rebalancing order at a time: never another while one's outcome is open (it could overshoot).
      const busy = this.orders.anyOpen();
      if (!this.halted && !busy && (this.bookFresh || forced) && (!this.balanced() || forced)) {
        const decision = rebalanceDecision(
          {
            ledger: this.ledger,
            rebalanceTrades: this.rebalanceTrades,
            nowMs: Date.now(),
            endMs: market.endMs,
          },
          this.book,
          marketRules(market, this.book),
          params,
        );
        if (decision.kind === "rebalance" && !(this.sellBlocked && decision.option.side === "SELL")) {
          const rec = await this.rebalance(decision.option, this.book);
          outcome = { attempted: true, order: this.orderReport(rec) };
        } else if (forced) {
          const reason = decision.kind === "rebalance" ? "sell-not-yet-sellable" : decision.reason;
          log.info("rebalance requested but not done", { reason });
          outcome = { attempted: false, reason };
        }
      } else if (forced) {
        outcome = {
          attempted: false,
          reason: this.halted ? "halted" : busy ? "order-open" : "not-evaluated",
        };
      }
      this.refreshPhase();
      this.publish();
      if (asked > this.rebalanceAnswered) {
        this.rebalanceAnswer = this.rebalanceResult(outcome ?? { attempted: false, reason: "not-evaluated" });
        this.rebalanceAnswered = asked;
      }
      await this.tellSession();
    }
    this.monitoringOver = true;
  }

  /** Nothing was bought: the row says ABANDONED, the session is told, the position ends. */
  async finishAbandoned(): Promise<PositionResult> {
    await this.persistPosition();
    await this.tellSession();
    this.result = {
      positionId: this.id,
      phase: this.phase,
      upShares: 0,
      downShares: 0,
      rebalanceTrades: this.rebalanceTrades,
    };
    return this.result;
  }

  /**
   * The market has ended: orders still open are read until the venue closes them (it does with the market),
   * the entry is finished if it was not, and the position is RESOLVING.
   */
  async closeOrders(): Promise<void> {
    // Orders still open at the end: the venue closes them with the market; read their final fills.
    for (
      let attempt = 0;
      this.tracksOpenOrders && this.orders.unsettled().length > 0 && attempt < 10;
      attempt++
    ) {
      await this.settleOrders();
      if (this.orders.unsettled().length > 0) await sleep(Math.min(ORDER_POLL_MS * 2 ** attempt, 30_000));
    }
    if (!this.entryDone) await this.finishEntry();
    this.phase = "RESOLVING";
    this.publish();
    await this.tellSession();
  }

  /**
   * Reads the winner (Gamma, then the CLOB's market record, polling with back-off until the deadline) and
   * settles the position: RESOLVED with its P&L, or UNRESOLVED with an alert when no winner came in time.
   */
  async resolve(): Promise<PositionResult> {
    const { market } = this.input;
    let winner: Winner | undefined;
    if (patched("position-resolution-deadline")) {
      // Gamma, then the CLOB's market record; polls back off, and the deadline ends the wait.
      const deadline = market.endMs + RESOLUTION_DEADLINE_MS;
      for (let attempt = 0; ; attempt++) {
        winner = await resolutionReads.marketResolution
          .executeWithOptions({ summary: "read resolution (Gamma, then the CLOB's market)" }, [
            { slug: market.slug, conditionId: market.conditionId },
          ])
          .catch((err: unknown) => {
            log.warn("resolution read failed; trying again later", { error: String(err) });
            return undefined;
          });
        const left = deadline - Date.now();
        if (winner || left <= 0) break;
        await sleep(Math.min(5_000 * 2 ** Math.min(attempt, 10), RESOLUTION_POLL_MAX_MS, left));
      }
    } else {
      while (!winner) {
        winner = await marketData.marketResolution.executeWithOptions(
          { summary: "read resolution (Gamma)" },
          [{ slug: market.slug }],
        );
        if (!winner) await sleep("5 seconds");
      }
    }
    if (!winner) {
      this.phase = "UNRESOLVED";
      log.error("ALERT: no resolution for the position's market by the deadline; marked UNRESOLVED", {
        slug: market.slug,
        conditionId: market.conditionId,
        deadlineMinutes: RESOLUTION_DEADLINE_MS / 60_000,
        upShares: this.ledger.up.netShares,
        downShares: this.ledger.down.netShares,
      });
      await this.persistPosition();
      this.publish();
      await this.tellSession();
      this.result = {
        positionId: this.id,
        phase: this.phase,
        upShares: this.ledger.up.netShares,
        downShares: this.ledger.down.netShares,
        rebalanceTrades: this.rebalanceTrades,
      };
      return this.result;
    }
    const pendingAtEnd = this.pendingFills.splice(0);
    this.applyFills(pendingAtEnd);
    await this.persistFills(pendingAtEnd);
    await this.tablesFollow(pendingAtEnd);
    const resolution = resolvePosition(this.ledger, winner);
    this.phase = "RESOLVED";
    this.result = {
      positionId: this.id,
      phase: this.phase,
      winner,
      pnl: resolution.pnl,
      upShares: this.ledger.up.netShares,
      downShares: this.ledger.down.netShares,
      rebalanceTrades: this.rebalanceTrades,
    };
    await db.resolvePosition.executeWithOptions(
      { summary: recordResolutionSummary(winner, resolution.pnl) },
      [resolutionRecord(this.id, Date.now(), winner, resolution)],
    );
    this.publish();
    await this.tellSession();
    log.info("position resolved", { winner, pnl: resolution.pnl });
    return this.result;
  }

  // ================================================================== the entry

  private entryOpen(): boolean {
    return this.legs.some((leg) => leg.state !== "done");
  }

  /** Once both legs' outcomes are final: the position's initial state, or ABANDONED if nothing was bought. */
  private async finishEntry(): Promise<void> {
    const legs = this.legs as [OrderRecord, OrderRecord];
    this.entryDone = true;
    Object.assign(
      this.telemetry,
      entryTelemetry(
        legs.map((leg) => ({
          sentAtMs: leg.sentAtMs,
          answeredAtMs: leg.answeredAtMs,
          filled: leg.fillKeys.length > 0,
        })),
        this.ledger,
        Date.now(),
      ),
    );
    log.info("legs executed", {
      up: legs[0].rejection?.message ?? legs[0].status ?? legs[0].state,
      down: legs[1].rejection?.message ?? legs[1].status ?? legs[1].state,
      upShares: this.ledger.up.netShares,
      downShares: this.ledger.down.netShares,
    });
    if (this.nothingHeld()) {
      this.phase = "ABANDONED";
    } else {
      this.refreshPhase();
    }
    this.publish();
    if (patched("position-row-before-telemetry")) {
      // Telemetry references the position's row: write the row first (concurrently, the telemetry's
      // insert could reach the database first and break its foreign key).
      await this.persistPosition();
      await Promise.all([this.persistTelemetry(), this.tellSession()]);
    } else {
      await Promise.all([this.persistPosition(), this.persistTelemetry(), this.tellSession()]);
    }
  }

  // ================================================================== rebalancing

  private async rebalance(option: RebalanceOption, decidedOn: MarketBookSnapshot): Promise<OrderRecord> {
    this.rebalanceTrades += 1;
    const attemptedAtMs = Date.now();
    const rec = await this.place(
      "rebalance",
      option.outcome,
      option.side,
      option.limitPrice,
      option.shares,
      marketRules(this.input.market, decidedOn).tickSize,
      { option, attemptedAtMs, ledgerBefore: this.ledger },
    );
    // An order whose outcome is open is recorded once it is final (settleOrders).
    if (rec.state === "done") await this.rebalanceSettled(rec);
    return rec;
  }

  private async rebalanceSettled(rec: OrderRecord): Promise<void> {
    const { option, attemptedAtMs } = rec.rebalance!;
    if (rec.rejection?.kind === INSUFFICIENT_BALANCE) {
      // Shares bought are sellable only once their trade is MINED: not an attempt, try after the next check.
      this.rebalanceTrades -= 1;
      this.sellBlocked = true;
      log.info("rebalancing SELL refused for balance; not counted", { shares: option.shares });
      return;
    }
    const filled = this.filledOf(rec);
    const after = option.outcome === "UP" ? this.ledger.up.netShares : this.ledger.down.netShares;
    const status = rebalanceStatus(filled, option.shares);
    log.info("rebalance", {
      action: option.action,
      shares: option.shares,
      filled,
      status,
      sharesAfter: after,
    });
    this.refreshPhase();
    // What the seed means by a rebalance's profit (SELL: gain over entry; BUY: P&L locked in), from the fills.
    const profit =
      filled === 0 ? 0 : realizedRebalanceProfit(rec.rebalance!.ledgerBefore, this.ledger, option.action);
    if (filled > 0)
      this.lastRebalance = {
        action: option.action,
        filled,
        price: option.limitPrice,
        profit,
        atMs: attemptedAtMs,
      };
    const summary = recordRebalanceSummary(
      orderLabel("rebalance", option.outcome, option.side),
      option.shares,
      status,
      filled,
    );
    await db.recordRebalanceTrade.executeWithOptions({ summary }, [
      rebalanceTradeRecord({
        positionId: this.id,
        attemptedAtMs,
        option,
        status,
        filled,
        profit,
        orderId: rec.orderId,
      }),
    ]);
    await this.persistTelemetry();
    await this.persistPosition();
  }

  // ================================================================== the rebalanceNow Update

  private validateRebalanceNow(): void {
    const why = rebalanceNowRefusal({
      phase: this.phase,
      halted: this.halted,
      orderOpen: this.orders.anyOpen(),
      pending: this.rebalanceAsked > this.rebalanceAnswered,
      hedgeRatio: hedgeRatio(this.ledger),
      nowMs: Date.now(),
      endMs: this.input.market.endMs,
    });
    if (why) throw new Error(why);
  }

  /** An accepted rebalanceNow: the monitor loop's next pass evaluates it and answers. */
  private async rebalanceNow(): Promise<RebalanceNowResult> {
    const ticket = ++this.rebalanceAsked;
    this.rebalanceRequested = true;
    await condition(() => this.rebalanceAnswered >= ticket || this.monitoringOver);
    return this.rebalanceAnswered >= ticket && this.rebalanceAnswer
      ? this.rebalanceAnswer
      : this.rebalanceResult({ attempted: false, reason: "monitoring-ended" });
  }

  /** The rebalanceNow Update's answer: what was done, and the position now. */
  private rebalanceResult(what: RebalanceOutcome): RebalanceNowResult {
    return {
      positionId: this.id,
      ...what,
      bookSeq: this.book.seq,
      phase: this.phase,
      upShares: this.ledger.up.netShares,
      downShares: this.ledger.down.netShares,
      hedgeRatio: hedgeRatio(this.ledger),
      guaranteedPnl: guaranteedPnl(this.ledger),
    };
  }

  /** A rebalancing order as the rebalanceNow Update reports it. */
  private orderReport(rec: OrderRecord): RebalanceNowOrder {
    const option = rec.rebalance!.option;
    const filled = this.filledOf(rec);
    return {
      action: option.action,
      outcome: option.outcome,
      side: option.side,
      shares: option.shares,
      price: option.limitPrice,
      filledShares: filled,
      status:
        rec.state !== "done"
          ? "OPEN"
          : rec.rejection?.kind === INSUFFICIENT_BALANCE
            ? "REFUSED"
            : rebalanceStatus(filled, option.shares),
      ...(rec.rejection ? { refusal: rec.rejection.message } : {}),
    };
  }

  // ================================================================== what it shows and tells

  private view(): PositionView {
    const { market } = this.input;
    const ledger = this.ledger;
    return {
      positionId: this.id,
      slug: market.slug,
      asset: market.asset,
      phase: this.phase,
      halted: this.halted,
      upShares: ledger.up.netShares,
      downShares: ledger.down.netShares,
      netCost: netCost(ledger),
      hedgeRatio: hedgeRatio(ledger),
      guaranteedPnl: guaranteedPnl(ledger),
      rebalanceTrades: this.rebalanceTrades,
      orders: this.orders.known,
      openOrders: this.orders.openCount(),
      bufferedFills: this.orders.bufferedFills,
      ...(this.result?.pnl !== undefined ? { pnl: this.result.pnl } : {}),
      ...(this.result?.winner ? { winner: this.result.winner } : {}),
    };
  }

  /** Tells the session the position's status when it changed (executing, wants books, done, its order ids). */
  private async tellSession(): Promise<void> {
    const phase = this.phase;
    const status: PositionStatus = {
      positionId: this.id,
      executing: phase === "EXECUTING",
      wantsBooks: phase === "IMBALANCED",
      done: phase === "RESOLVING" || phase === "RESOLVED" || phase === "ABANDONED",
      ...(this.reportsOrderIds ? { orderIds: this.orders.ids() } : {}),
    };
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    await this.session
      .signal(positionStatusSignal, status)
      .catch((err) => log.warn("session not reachable", { err: String(err) }));
  }

  /** Search attributes (state, hedge ratio) and the Web UI's current details, when they changed. */
  private publish(): void {
    const ratio = Math.round(hedgeRatio(this.ledger) * 10_000) / 10_000;
    const key = `${this.phase}/${ratio}`;
    if (key === this.lastAttributes) return;
    this.lastAttributes = key;
    upsertSearchAttributes([
      { key: PositionState, value: this.phase },
      { key: HedgeRatio, value: ratio },
    ]);
    const v = this.view();
    // Shown live in the Web UI (no history event).
    setCurrentDetails(positionDetails(v));
  }

  private nothingHeld(): boolean {
    return this.ledger.up.netShares === 0 && this.ledger.down.netShares === 0;
  }

  private balanced(): boolean {
    return !needsRebalancing(this.ledger, this.input.params.rebalanceThreshold);
  }

  private refreshPhase(): void {
    const phase = this.phase;
    if (phase === "RESOLVING" || phase === "RESOLVED" || phase === "ABANDONED") return;
    const isBalanced = this.balanced();
    this.telemetry = balanceTimings(this.telemetry, isBalanced, Date.now());
    this.phase = isBalanced ? "BALANCED" : "IMBALANCED";
  }

  // ================================================================== books and fills

  private onBook(b: MarketBookSnapshot): void {
    if (b.seq > this.book.seq) {
      this.book = b;
      this.bookDirty = true;
      this.bookFresh = true;
    }
  }

  private receiveFills(fills: readonly OurFill[]): void {
    const hold = this.tracksOpenOrders && this.orders.awaitingIds();
    this.pendingFills.push(...this.orders.sort(fills, hold));
  }

  private outcomeOf(tokenId: string): Outcome | undefined {
    const { market } = this.input;
    return tokenId === market.upTokenId ? "UP" : tokenId === market.downTokenId ? "DOWN" : undefined;
  }

  private applyFills(fills: readonly OurFill[]): void {
    for (const f of fills) {
      const outcome = this.outcomeOf(f.tokenId);
      if (!outcome) continue;
      this.ledger = applyFill(this.ledger, f, outcome, this.rules);
      const rec = this.orders.get(f.orderId);
      const key = fillKey(f);
      if (rec && !rec.fillKeys.includes(key)) rec.fillKeys.push(key);
    }
  }

  /** Gross shares an order has matched, by the fills the ledger holds for it (FAILED trades excluded). */
  private filledOf(rec: OrderRecord): Micros {
    return filledShares(this.ledger, rec.fillKeys);
  }

  // ================================================================== orders

  /**
   * Sends one FAK order. Never throws for the order's sake: a refusal is an outcome, and a call that failed
   * for good leaves the order `unknown`, to be read back by its hash (the intent, salt and timestamp included,
   * is fixed in history, so the read-back computes the same hash).
   */
  private async place(
    purpose: OrderRecord["purpose"],
    outcome: Outcome,
    side: Side,
    price: Micros,
    shares: Micros,
    tickSize: Micros,
    rebalance?: OrderRecord["rebalance"],
  ): Promise<OrderRecord> {
    const { market } = this.input;
    const seq = this.orders.nextSeq();
    const tokenId = outcome === "UP" ? market.upTokenId : market.downTokenId;
    const size = Math.floor(shares / SHARE_LOT) * SHARE_LOT;
    const request: PlaceOrderRequest = {
      market: market.conditionId,
      orderType: "FAK",
      intent: {
        tokenId,
        side,
        price,
        size,
        tickSize,
        negRisk: false,
        // Fixed here, in workflow history: a retried activity signs the same order (same hash).
        salt: orderSalt(`${this.id}/${seq}`),
        timestampMs: Date.now(),
      },
    };
    const rec: OrderRecord = {
      seq,
      purpose,
      request,
      outcome,
      state: "in-flight",
      fillKeys: [],
      ...(rebalance ? { rebalance } : {}),
    };
    this.orders.add(rec);
    let placed: PlacedOrder;
    try {
      placed = await exchange.placeOrder.executeWithOptions(
        { summary: placeOrderSummary(purpose, outcome, side, size, price) },
        [request],
      );
    } catch (err) {
      if (!this.tracksOpenOrders) throw err;
      rec.state = "unknown";
      log.warn("order outcome unknown: reading it back by its hash", {
        purpose,
        seq: rec.seq,
        error: err instanceof ActivityFailure ? String(err.cause?.message ?? err.message) : String(err),
      });
      this.startPolling();
      return rec;
    }
    if (placed.rejection?.local) {
      // Refused before anything was sent (off-tick, below the minimum, bad amounts): an outcome, no order.
      rec.state = "done";
      rec.status = "rejected";
      rec.rejection = placed.rejection;
      log.warn("order refused locally", { purpose, seq: rec.seq, reason: placed.rejection.message });
      return rec;
    }
    const early = this.orders.learnOrderId(rec, placed.orderId);
    rec.sentAtMs = placed.sentAtMs;
    rec.answeredAtMs = placed.answeredAtMs;
    rec.status = placed.accepted ? placed.status : "rejected";
    if (placed.rejection) rec.rejection = placed.rejection;
    rec.state =
      this.tracksOpenOrders && placed.accepted && OPEN_STATUSES.has(placed.status) ? "open" : "done";
    await this.upsertOrderRow(
      rec,
      placed.orderId,
      placed.accepted ? placed.status.toUpperCase() : "REJECTED",
      placed.fills.reduce((s, f) => s + f.size, 0),
      placed.answeredAtMs,
    );
    this.applyFills(placed.fills);
    await this.persistFills(placed.fills);
    if (early.length > 0) {
      this.applyFills(early);
      await this.persistFills(early);
    }
    if (rec.state === "open") this.startPolling();
    return rec;
  }

  /** Re-reads open and unknown orders every ORDER_POLL_MS at first, backing off to 30 s (timers only fire). */
  private startPolling(): void {
    this.pollDelayMs = ORDER_POLL_MS;
    if (this.polling || !this.tracksOpenOrders) return;
    this.polling = true;
    void (async () => {
      while (this.orders.unsettled().length > 0) {
        await sleep(this.pollDelayMs);
        this.pollDelayMs = Math.min(this.pollDelayMs * 2, 30_000);
        this.pollDue = true;
      }
      this.polling = false;
    })();
  }

  /** Reads every open or unknown order back; records what is now final. */
  private async settleOrders(): Promise<void> {
    const { market } = this.input;
    for (const rec of this.orders.unsettled()) {
      let read: OrderReadBack;
      try {
        read = await exchange.readOrder.executeWithOptions(
          { summary: readOrderSummary(rec.seq, this.labelOf(rec)) },
          [
            {
              market: market.conditionId,
              orderType: rec.request.orderType,
              ...(rec.orderId ? { orderId: rec.orderId } : { intent: rec.request.intent }),
            },
          ],
        );
      } catch (err) {
        log.warn("order read-back failed; trying again later", { seq: rec.seq, error: String(err) });
        continue;
      }
      const readAtMs = Date.now();
      if (!read.found) {
        // Unknown to the venue: an unknown order never reached it; an open one is gone (closed market).
        if (rec.state === "unknown") log.warn("order never reached the venue", { seq: rec.seq });
        rec.state = "done";
        rec.status = rec.status ?? "not-placed";
        await this.orderSettled(rec);
        continue;
      }
      const early = rec.orderId === undefined ? this.orders.learnOrderId(rec, read.orderId) : [];
      rec.status = read.status.toLowerCase();
      rec.answeredAtMs ??= readAtMs;
      rec.state = read.final ? "done" : "open";
      await this.upsertOrderRow(rec, read.orderId, read.status.toUpperCase(), read.sizeMatched, readAtMs);
      const fills = [...read.fills, ...early];
      this.applyFills(fills);
      await this.persistFills(fills);
      if (rec.state === "done") await this.orderSettled(rec);
    }
  }

  private async orderSettled(rec: OrderRecord): Promise<void> {
    if (rec.purpose === "rebalance") await this.rebalanceSettled(rec);
  }

  /** What an order does, in the lifecycle's words (its activities' summaries). */
  private labelOf(rec: OrderRecord): string {
    return orderLabel(rec.purpose, rec.outcome, rec.request.intent.side);
  }

  // ================================================================== the tables

  private async persistFills(fills: readonly OurFill[]): Promise<void> {
    const { market } = this.input;
    await Promise.all(
      fills.map((f) =>
        db.upsertFill.executeWithOptions(
          { summary: recordFillSummary(this.outcomeOf(f.tokenId), f.side, f.size, f.price, f.status) },
          [fillRecord(f, market.conditionId, this.rules)],
        ),
      ),
    );
  }

  private async upsertOrderRow(
    rec: OrderRecord,
    orderId: string,
    status: string,
    sizeMatched: Micros,
    updatedAtMs: number,
  ): Promise<void> {
    const summary = recordOrderSummary(rec.seq, this.labelOf(rec), status, sizeMatched);
    await db.upsertOrder.executeWithOptions({ summary }, [
      orderRecord({
        orderId,
        request: rec.request,
        status,
        sizeMatched,
        workflowId: workflowInfo().workflowId,
        positionId: this.id,
        error: rec.rejection?.message ?? null,
        updatedAtMs,
      }),
    ]);
  }

  /**
   * Fills that came after their order's placement answer (the user channel, a reconcile): each order row's
   * matched size and the position's row (shares, cost, fees) follow them, as the fills table does.
   */
  private async tablesFollow(fills: readonly OurFill[]): Promise<void> {
    if (!this.tablesFollowFills || fills.length === 0) return;
    const ids = new Set(fills.map((f) => f.orderId));
    for (const rec of this.orders.all) {
      if (rec.orderId === undefined || !ids.has(rec.orderId)) continue;
      const matched = matchedShares(this.ledger, rec.fillKeys);
      await this.upsertOrderRow(
        rec,
        rec.orderId,
        (rec.status ?? "matched").toUpperCase(),
        matched,
        Date.now(),
      );
    }
    if (this.entryDone) this.refreshPhase();
    await this.persistPosition();
  }

  private async persistPosition(): Promise<void> {
    const row = positionRecord({
      positionId: this.id,
      market: this.input.market,
      phase: this.phase,
      balanced: this.balanced(),
      spread: this.input.opportunity.spread,
      ledger: this.ledger,
      telemetry: this.telemetry,
      lastRebalance: this.lastRebalance,
    });
    const summary = recordPositionSummary(row.status, row.yesShares, row.noShares, row.totalCost);
    await db.upsertPosition.executeWithOptions({ summary }, [row]);
  }

  private async persistTelemetry(): Promise<void> {
    await db.upsertTelemetry.executeWithOptions({ summary: "record timing telemetry" }, [
      telemetryRecord({
        positionId: this.id,
        detectedAtMs: this.input.detectedAtMs,
        opportunity: this.input.opportunity,
        telemetry: this.telemetry,
        rebalanceAttempts: this.rebalanceTrades,
      }),
    ]);
  }
}
