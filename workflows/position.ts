/**
 * One arbitrage position, from detection to resolution. Its history tells the whole story:
 * detect → execute → monitor → rebalance → resolve. Deterministic: decisions come from the pure
 * strategy in src/strategy/arbitrage; I/O happens in activities.
 *
 * An operator's rebalance-now comes as the `rebalanceNow` Update (validated: refused, writing no history,
 * unless the position is IMBALANCED, not halted, with no order open; it answers what the evaluation did)
 * or as the older `rebalanceNow` signal (fire and forget).
 */
import {
  ActivityFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import type { DatabaseActivities } from "../activities/database";
import type {
  ExchangeActivities,
  OrderReadBack,
  PlacedOrder,
  PlaceOrderRequest,
} from "../activities/exchange/activities";
import type { MarketDataActivities } from "../activities/market-data";
import type { Config } from "../src/config/schema";
import type { Micros } from "../src/money";
import { SHARE_LOT } from "../src/protocol/amounts";
import { orderSalt } from "../src/session/ids";
import type { MarketRef, Winner } from "../src/session/market";
import type {
  MarketBookSnapshot,
  OurFill,
  Outcome,
  RebalanceNowOrder,
  RebalanceNowResult,
  Side,
} from "../src/session/messages";
import {
  applyFill,
  averageEntry,
  detectOpportunity,
  emptyLedger,
  fillEffect,
  fillKey,
  guaranteedPnl,
  hedgeRatio,
  needsRebalancing,
  netCost,
  type Opportunity,
  type PositionLedger,
  type RebalanceOption,
  realizedRebalanceProfit,
  rebalanceDecision,
  resolvePosition,
} from "../src/strategy/arbitrage";
import { formatHedgeRatio, positionDetails } from "../src/strategy/arbitrage/summary";
import { HedgeRatio, PositionState } from "../src/temporal/search-attributes";
import {
  executeUpdate,
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
} from "./definitions";
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
} from "./views";

export type ArbitrageParams = Config["arbitrage"];

/**
 * A position is started either on an opportunity its session detected (`opportunity`, `book` and
 * `detectedAtMs` set: the child path), or armed ahead of need (`armed` set, the rest absent): it then
 * waits for the streaming worker's `execute` Update, validates the book it carries with the same pure
 * detection, and executes it in the Update's own workflow task (README, "The hot path").
 */
export interface PositionInput {
  positionId: string;
  sessionWorkflowId: string;
  market: MarketRef;
  opportunity?: Opportunity;
  /** The book that showed the opportunity: when it was received (the tick of tick-to-order). */
  book?: MarketBookSnapshot;
  detectedAtMs?: number;
  params: ArbitrageParams;
  /** Armed: started ahead of need, halted or not as its session was then. */
  armed?: { halted: boolean };
}

/** A position with its opportunity: started on one, or armed and then executed. */
type ExecutingInput = PositionInput & {
  opportunity: Opportunity;
  book: MarketBookSnapshot;
  detectedAtMs: number;
};

export interface PositionResult {
  positionId: string;
  phase: PositionPhase;
  winner?: Winner;
  pnl?: Micros;
  upShares: Micros;
  downShares: Micros;
  rebalanceTrades: number;
}

const exchange = proxyActivities<ExchangeActivities>({
  startToCloseTimeout: "20 seconds",
  retry: {
    initialInterval: "200 milliseconds",
    backoffCoefficient: 2,
    maximumInterval: "5 seconds",
    maximumAttempts: 8,
  },
});
const db = proxyActivities<DatabaseActivities>({
  startToCloseTimeout: "15 seconds",
  retry: { initialInterval: "500 milliseconds", maximumInterval: "10 seconds" },
});
const marketData = proxyActivities<MarketDataActivities>({
  startToCloseTimeout: "15 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "10 seconds" },
});

/** Resolution reads that fail for good (both sources down) count as "not yet": the deadline still bites. */
const resolutionReads = proxyActivities<MarketDataActivities>({
  startToCloseTimeout: "15 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "10 seconds", maximumAttempts: 6 },
});
/**
 * How long after its market's end a position waits for the market's resolution before it is marked
 * UNRESOLVED with an alert. Polymarket's crypto up/down windows resolve from the Chainlink price within
 * minutes of their end; an hour leaves room for a slow oracle and still ends the workflow.
 */
export const RESOLUTION_DEADLINE_MS = 60 * 60_000;
/** Resolution polls back off from 5 s to this (about 20 polls in the hour: bounded history). */
const RESOLUTION_POLL_MAX_MS = 5 * 60_000;

/** While an order's outcome is open (delayed at the venue, or unknown after a failed call): re-read it this often. */
const ORDER_POLL_MS = 1_000;
/** At most this many fills of orders not known yet are kept while an order is in flight. */
const MAX_BUFFERED_FILLS = 2_000;

/**
 * One order this position sent, from the intent fixed in history to its final outcome.
 * - in-flight: placeOrder has not returned yet (fills of unknown orders are buffered meanwhile);
 * - open: the venue took it but its outcome is not final (a `delayed` taker order): re-read until final;
 * - unknown: placeOrder failed for good, so whether the venue has it is unknown: read back by its hash;
 * - done: final (filled, partly filled, killed, rejected, or never reached the venue).
 */
interface OrderRecord {
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

/** The rejection kind of a venue balance refusal (e.g. shares bought but not MINED yet). */
const INSUFFICIENT_BALANCE = "insufficient-balance";

/** A rebalancing order's result as rebalance_trades records it, from the gross shares it matched. */
function rebalanceStatus(filled: Micros, ordered: Micros): "SUCCESS" | "PARTIAL" | "FAILED" {
  return filled === 0 ? "FAILED" : filled + SHARE_LOT <= ordered ? "PARTIAL" : "SUCCESS";
}

/** Venue statuses of an order that is still working (its fills are not all known). */
const OPEN_STATUSES = new Set(["live", "delayed", "unknown"]);

export async function position(input: PositionInput): Promise<PositionResult> {
  if (input.opportunity && input.book && input.detectedAtMs !== undefined) {
    return execute(input as ExecutingInput, { armed: false, halted: false });
  }
  const triggered = await awaitExecute(input);
  if (!triggered) {
    return { positionId: input.positionId, phase: "UNUSED", upShares: 0, downShares: 0, rebalanceTrades: 0 };
  }
  return execute({ ...input, ...triggered.entry }, { armed: true, halted: triggered.halted });
}

/** Why an armed position refuses a book (the `execute` Update's validator); undefined: it would execute. */
export function executeRefusal(
  request: { book?: MarketBookSnapshot; detectedAtMs?: number } | undefined,
  state: { executing: boolean; halted: boolean; nowMs: number },
  market: MarketRef,
  params: ArbitrageParams,
): string | undefined {
  if (state.executing) return "already executing: this position is no longer armed";
  if (state.halted) return "halted";
  if (state.nowMs < market.startMs) return "the market window has not opened";
  if (state.nowMs >= market.endMs - params.rebalanceFreezeMs) return "the window's trading time is over";
  const book = request?.book;
  if (
    !book ||
    !Number.isSafeInteger(book.seq) ||
    !Array.isArray(book.up?.asks) ||
    !Array.isArray(book.down?.asks) ||
    !Number.isFinite(request?.detectedAtMs)
  ) {
    return "malformed request: a book (seq, up, down) and detectedAtMs are required";
  }
  if (!detectOpportunity(book, marketRules(market, book), params)) return "no opportunity on this book";
  return undefined;
}

/** Why a position refuses the `rebalanceNow` Update (its validator); undefined: it evaluates now. */
export function rebalanceNowRefusal(state: {
  phase: PositionPhase;
  halted: boolean;
  /** A rebalancing (or entry) order's outcome is still open. */
  orderOpen: boolean;
  /** An earlier rebalanceNow Update has not been answered yet. */
  pending: boolean;
  hedgeRatio: number;
  nowMs: number;
  endMs: number;
}): string | undefined {
  if (state.phase === "ARMED") return "armed: it holds nothing until it executes";
  if (state.phase === "EXECUTING") return "still executing its entry: nothing to rebalance yet";
  if (state.phase !== "BALANCED" && state.phase !== "IMBALANCED")
    return `the position is ${state.phase}: nothing to rebalance`;
  if (state.nowMs >= state.endMs) return "the market window is over";
  if (state.halted) return "halted: it places no order until resumed";
  if (state.pending) return "a rebalance-now is already under way";
  if (state.orderOpen) return "a rebalancing order's outcome is still open (no second one meanwhile)";
  if (state.phase === "BALANCED")
    return `balanced (hedge ratio ${formatHedgeRatio(state.hedgeRatio)}): nothing to rebalance`;
  return undefined;
}

/** The market's rules as of a book: the tick is that book's (it narrows to 0.001 near 0 and 1). */
function marketRules(market: MarketRef, b: MarketBookSnapshot) {
  return {
    tickSize: b.tickSize || market.tickSize,
    minOrderSize: market.minOrderSize,
    feeRate: market.feeRate,
    feeExponent: market.feeExponent,
  };
}

/**
 * Armed: waits for the streaming worker's `execute` Update until the window's trading time is over.
 * The validator refuses (no history event) while halted, outside the window, once triggered, or when
 * the book shows no opportunity by the same pure detection; an accepted Update fixes the opportunity in
 * history and its workflow task goes on to schedule both legs (eagerly dispatched activities).
 */
async function awaitExecute(
  input: PositionInput,
): Promise<
  { entry: Pick<ExecutingInput, "opportunity" | "book" | "detectedAtMs">; halted: boolean } | undefined
> {
  const { market, params } = input;
  let halted = input.armed?.halted ?? false;
  let entry: Pick<ExecutingInput, "opportunity" | "book" | "detectedAtMs"> | undefined;
  setHandler(haltSignal, () => {
    halted = true;
  });
  setHandler(resumeSignal, () => {
    halted = false;
  });
  // Refused by its validator until the position has executed (execute() replaces this handler).
  setHandler(rebalanceNowUpdate, () => Promise.reject(new Error("armed")), {
    validator: () => {
      throw new Error(
        rebalanceNowRefusal({
          phase: "ARMED",
          halted,
          orderOpen: false,
          pending: false,
          hedgeRatio: 0,
          nowMs: Date.now(),
          endMs: market.endMs,
        }),
      );
    },
  });
  setHandler(
    positionStateQuery,
    (): PositionView => ({
      positionId: input.positionId,
      slug: market.slug,
      asset: market.asset,
      phase: "ARMED",
      halted,
      upShares: 0,
      downShares: 0,
      netCost: 0,
      hedgeRatio: 0,
      guaranteedPnl: 0,
      rebalanceTrades: 0,
      orders: 0,
      openOrders: 0,
      bufferedFills: 0,
    }),
  );
  setHandler(
    executeUpdate,
    (request) => {
      const opportunity = detectOpportunity(request.book, marketRules(market, request.book), params)!;
      entry = { opportunity, book: request.book, detectedAtMs: request.detectedAtMs };
      return {
        positionId: input.positionId,
        upShares: opportunity.upShares,
        downShares: opportunity.downShares,
        upLimitPrice: opportunity.upLimitPrice,
        downLimitPrice: opportunity.downLimitPrice,
      };
    },
    {
      validator: (request) => {
        const why = executeRefusal(
          request,
          { executing: entry !== undefined, halted, nowMs: Date.now() },
          market,
          params,
        );
        if (why) throw new Error(why);
      },
    },
  );
  upsertSearchAttributes([{ key: PositionState, value: "ARMED" }]);
  // One timer, never cancelled (see below): the end of the window's trading time.
  const closesAtMs = market.endMs - params.rebalanceFreezeMs;
  let closed = Date.now() >= closesAtMs;
  void sleep(Math.max(1, closesAtMs - Date.now())).then(() => {
    closed = true;
  });
  await condition(() => entry !== undefined || closed);
  if (entry) return { entry, halted };
  upsertSearchAttributes([{ key: PositionState, value: "UNUSED" }]);
  await getExternalWorkflowHandle(input.sessionWorkflowId)
    .signal(positionStatusSignal, {
      positionId: input.positionId,
      executing: false,
      wantsBooks: false,
      done: true,
    })
    .catch((err) => log.warn("session not reachable", { err: String(err) }));
  return undefined;
}

async function execute(
  input: ExecutingInput,
  how: { armed: boolean; halted: boolean },
): Promise<PositionResult> {
  const { market, params, opportunity } = input;
  const id = input.positionId;
  // Histories recorded before positions tracked open and unknown orders replay without it.
  const tracksOpenOrders = patched("position-open-orders");
  // Before: fills after an order's placement answer reached the fills table only (trades, orders stale).
  const tablesFollowFills = patched("position-tables-follow-fills");
  // Its status tells the session the ids of its orders (the session routes their fills to it alone).
  const reportsOrderIds = patched("position-status-order-ids");
  /** The market's rules as of a book: the tick is that book's (it narrows to 0.001 near 0 and 1). */
  const rulesOf = (b: MarketBookSnapshot) => marketRules(market, b);
  const rules = rulesOf(input.book);
  const outcomeOf = (tokenId: string): Outcome | undefined =>
    tokenId === market.upTokenId ? "UP" : tokenId === market.downTokenId ? "DOWN" : undefined;

  // ---------------------------------------------------------------- state
  let ledger: PositionLedger = emptyLedger();
  let phase = "EXECUTING" as PositionPhase;
  let halted = how.halted;
  let book: MarketBookSnapshot = input.book;
  let bookDirty = false;
  // The detection book is stale once our own legs have traded against it: rebalancing waits for a
  // newer one (or an operator's rebalance-now).
  let bookFresh = false;
  let rebalanceRequested = false;
  /** rebalanceNow Updates accepted, and how many of them have been answered (in order). */
  let rebalanceAsked = 0;
  let rebalanceAnswered = 0;
  let rebalanceAnswer: RebalanceNowResult | undefined;
  /** The monitor-and-rebalance loop is over: an Update still waiting is answered that it was not evaluated. */
  let monitoringOver = false;
  let rebalanceTrades = 0;
  let orderSeq = 0;
  /** Every order sent, in order; and those whose venue id is known, by id. */
  const orders: OrderRecord[] = [];
  const ourOrders = new Map<string, OrderRecord>();
  const pendingFills: OurFill[] = [];
  /** Fills of orders not known yet (one in flight or unknown may be theirs), until their ids are known. */
  let unknownFills: OurFill[] = [];
  let pollDue = false;
  let polling = false;
  let pollDelayMs = ORDER_POLL_MS;
  /** The venue refused a SELL for shares not yet sellable: no SELL again before the next periodic check. */
  let sellBlocked = false;
  let entryDone = false;
  const telemetry: {
    orderPlacedAtMs?: number;
    orderFilledAtMs?: number;
    rebalanceStartedAtMs?: number;
    positionBalancedAtMs?: number;
    initialUp?: Micros;
    initialDown?: Micros;
    initialCost?: Micros;
    initialHedge?: Micros;
  } = {};
  let lastRebalance:
    | { action: RebalanceOption["action"]; filled: Micros; price: Micros; profit: Micros; atMs: number }
    | undefined;
  let result: PositionResult | undefined;

  const view = (): PositionView => ({
    positionId: id,
    slug: market.slug,
    asset: market.asset,
    phase,
    halted,
    upShares: ledger.up.netShares,
    downShares: ledger.down.netShares,
    netCost: netCost(ledger),
    hedgeRatio: hedgeRatio(ledger),
    guaranteedPnl: guaranteedPnl(ledger),
    rebalanceTrades,
    orders: ourOrders.size,
    openOrders: orders.filter((o) => o.state !== "done").length,
    bufferedFills: unknownFills.length,
    ...(result?.pnl !== undefined ? { pnl: result.pnl } : {}),
    ...(result?.winner ? { winner: result.winner } : {}),
  });

  const awaitingIds = () => orders.some((o) => o.state === "in-flight" || o.state === "unknown");
  const unsettled = () => orders.filter((o) => o.state === "open" || o.state === "unknown");

  function receiveFills(fills: readonly OurFill[]): void {
    const waiting = tracksOpenOrders && awaitingIds();
    for (const f of fills) {
      if (ourOrders.has(f.orderId)) pendingFills.push(f);
      else if (waiting) unknownFills.push(f);
    }
    if (unknownFills.length > MAX_BUFFERED_FILLS)
      unknownFills.splice(0, unknownFills.length - MAX_BUFFERED_FILLS);
  }

  setHandler(positionStateQuery, view);
  setHandler(marketBookSignal, (b) => {
    if (b.seq > book.seq) {
      book = b;
      bookDirty = true;
      bookFresh = true;
    }
  });
  setHandler(fillsSignal, (fills) => receiveFills(fills));
  setHandler(reconcileSignal, (snapshot) => receiveFills(snapshot.fills));
  setHandler(haltSignal, () => {
    halted = true;
  });
  setHandler(resumeSignal, () => {
    halted = false;
  });
  setHandler(rebalanceNowSignal, () => {
    rebalanceRequested = true;
  });
  setHandler(
    rebalanceNowUpdate,
    async (): Promise<RebalanceNowResult> => {
      const ticket = ++rebalanceAsked;
      rebalanceRequested = true;
      await condition(() => rebalanceAnswered >= ticket || monitoringOver);
      return rebalanceAnswered >= ticket && rebalanceAnswer
        ? rebalanceAnswer
        : rebalanceResult({ attempted: false, reason: "monitoring-ended" });
    },
    {
      validator: () => {
        const why = rebalanceNowRefusal({
          phase,
          halted,
          orderOpen: orders.some((o) => o.state !== "done"),
          pending: rebalanceAsked > rebalanceAnswered,
          hedgeRatio: hedgeRatio(ledger),
          nowMs: Date.now(),
          endMs: market.endMs,
        });
        if (why) throw new Error(why);
      },
    },
  );
  /** The rebalanceNow Update's answer: what was done, and the position now. */
  function rebalanceResult(what: {
    attempted: boolean;
    reason?: string;
    order?: RebalanceNowOrder;
  }): RebalanceNowResult {
    return {
      positionId: id,
      ...what,
      bookSeq: book.seq,
      phase,
      upShares: ledger.up.netShares,
      downShares: ledger.down.netShares,
      hedgeRatio: hedgeRatio(ledger),
      guaranteedPnl: guaranteedPnl(ledger),
    };
  }
  /** A rebalancing order as the rebalanceNow Update reports it. */
  function orderReport(rec: OrderRecord): RebalanceNowOrder {
    const option = rec.rebalance!.option;
    const filled = filledOf(rec);
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

  const session = getExternalWorkflowHandle(input.sessionWorkflowId);
  let lastStatus = "";
  async function tellSession(): Promise<void> {
    const status: PositionStatus = {
      positionId: id,
      executing: phase === "EXECUTING",
      wantsBooks: phase === "IMBALANCED",
      done: phase === "RESOLVING" || phase === "RESOLVED" || phase === "ABANDONED",
      ...(reportsOrderIds ? { orderIds: [...ourOrders.keys()] } : {}),
    };
    const key = JSON.stringify(status);
    if (key === lastStatus) return;
    lastStatus = key;
    await session
      .signal(positionStatusSignal, status)
      .catch((err) => log.warn("session not reachable", { err: String(err) }));
  }

  let lastAttributes = "";
  function publish(): void {
    const ratio = Math.round(hedgeRatio(ledger) * 10_000) / 10_000;
    const key = `${phase}/${ratio}`;
    if (key === lastAttributes) return;
    lastAttributes = key;
    upsertSearchAttributes([
      { key: PositionState, value: phase },
      { key: HedgeRatio, value: ratio },
    ]);
    const v = view();
    // Shown live in the Web UI (no history event).
    setCurrentDetails(positionDetails(v));
  }

  function applyFills(fills: readonly OurFill[]): void {
    for (const f of fills) {
      const outcome = outcomeOf(f.tokenId);
      if (!outcome) continue;
      ledger = applyFill(ledger, f, outcome, rules);
      const rec = ourOrders.get(f.orderId);
      const key = fillKey(f);
      if (rec && !rec.fillKeys.includes(key)) rec.fillKeys.push(key);
    }
  }

  async function persistFills(fills: readonly OurFill[]): Promise<void> {
    await Promise.all(
      fills.map((f) =>
        db.upsertFill.executeWithOptions(
          { summary: recordFillSummary(outcomeOf(f.tokenId), f.side, f.size, f.price, f.status) },
          [
            {
              tradeId: f.tradeId,
              orderId: f.orderId,
              market: market.conditionId,
              tokenId: f.tokenId,
              side: f.side,
              role: f.role,
              price: f.price,
              size: f.size,
              // Shares withheld on a BUY, pUSD deducted on a SELL; makers pay none.
              fee: f.role === "MAKER" ? 0 : feeOf(f),
              status: f.status,
              matchedAtMs: f.atMs,
            },
          ],
        ),
      ),
    );
  }

  function feeOf(f: OurFill): Micros {
    const effect = fillEffect(f, rules);
    return f.side === "BUY" ? effect.feeShares : effect.fees;
  }

  /** Gross shares an order has matched, by the fills the ledger holds for it (FAILED trades excluded). */
  function filledOf(rec: OrderRecord): Micros {
    let total = 0;
    for (const key of rec.fillKeys) {
      const f = ledger.fills[key];
      if (f && f.status !== "FAILED") total += f.size;
    }
    return total;
  }

  /** Learns an order's venue id; returns the buffered fills that turn out to be its own. */
  function learnOrderId(rec: OrderRecord, orderId: string): OurFill[] {
    rec.orderId = orderId;
    ourOrders.set(orderId, rec);
    const own = unknownFills.filter((f) => f.orderId === orderId);
    unknownFills = awaitingIds() ? unknownFills.filter((f) => f.orderId !== orderId) : [];
    return own;
  }

  /** Re-reads open and unknown orders every ORDER_POLL_MS at first, backing off to 30 s (timers only fire). */
  function startPolling(): void {
    pollDelayMs = ORDER_POLL_MS;
    if (polling || !tracksOpenOrders) return;
    polling = true;
    void (async () => {
      while (unsettled().length > 0) {
        await sleep(pollDelayMs);
        pollDelayMs = Math.min(pollDelayMs * 2, 30_000);
        pollDue = true;
      }
      polling = false;
    })();
  }

  async function upsertOrderRow(
    rec: OrderRecord,
    orderId: string,
    status: string,
    sizeMatched: Micros,
    updatedAtMs: number,
  ): Promise<void> {
    const { intent, orderType } = rec.request;
    const summary = recordOrderSummary(rec.seq, labelOf(rec), status, sizeMatched);
    await db.upsertOrder.executeWithOptions({ summary }, [
      {
        id: orderId,
        market: market.conditionId,
        tokenId: intent.tokenId,
        side: intent.side,
        price: intent.price,
        size: intent.size,
        orderType,
        postOnly: false,
        status,
        sizeMatched,
        workflowId: workflowInfo().workflowId,
        positionId: id,
        error: rec.rejection?.message ?? null,
        updatedAtMs,
      },
    ]);
  }

  /** What an order does, in the lifecycle's words (its activities' summaries). */
  function labelOf(rec: OrderRecord): string {
    return orderLabel(rec.purpose, rec.outcome, rec.request.intent.side);
  }

  /**
   * Sends one FAK order. Never throws for the order's sake: a refusal is an outcome, and a call that failed
   * for good leaves the order `unknown`, to be read back by its hash (the intent, salt and timestamp included,
   * is fixed in history, so the read-back computes the same hash).
   */
  async function place(
    purpose: OrderRecord["purpose"],
    outcome: Outcome,
    side: Side,
    price: Micros,
    shares: Micros,
    tickSize: Micros,
    rebalance?: OrderRecord["rebalance"],
  ): Promise<OrderRecord> {
    orderSeq += 1;
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
        salt: orderSalt(`${id}/${orderSeq}`),
        timestampMs: Date.now(),
      },
    };
    const rec: OrderRecord = {
      seq: orderSeq,
      purpose,
      request,
      outcome,
      state: "in-flight",
      fillKeys: [],
      ...(rebalance ? { rebalance } : {}),
    };
    orders.push(rec);
    let placed: PlacedOrder;
    try {
      placed = await exchange.placeOrder.executeWithOptions(
        { summary: placeOrderSummary(purpose, outcome, side, size, price) },
        [request],
      );
    } catch (err) {
      if (!tracksOpenOrders) throw err;
      rec.state = "unknown";
      log.warn("order outcome unknown: reading it back by its hash", {
        purpose,
        seq: rec.seq,
        error: err instanceof ActivityFailure ? String(err.cause?.message ?? err.message) : String(err),
      });
      startPolling();
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
    const early = learnOrderId(rec, placed.orderId);
    rec.sentAtMs = placed.sentAtMs;
    rec.answeredAtMs = placed.answeredAtMs;
    rec.status = placed.accepted ? placed.status : "rejected";
    if (placed.rejection) rec.rejection = placed.rejection;
    rec.state = tracksOpenOrders && placed.accepted && OPEN_STATUSES.has(placed.status) ? "open" : "done";
    await upsertOrderRow(
      rec,
      placed.orderId,
      placed.accepted ? placed.status.toUpperCase() : "REJECTED",
      placed.fills.reduce((s, f) => s + f.size, 0),
      placed.answeredAtMs,
    );
    applyFills(placed.fills);
    await persistFills(placed.fills);
    if (early.length > 0) {
      applyFills(early);
      await persistFills(early);
    }
    if (rec.state === "open") startPolling();
    return rec;
  }

  /** Reads every open or unknown order back; records what is now final. */
  async function settleOrders(): Promise<void> {
    for (const rec of unsettled()) {
      let read: OrderReadBack;
      try {
        read = await exchange.readOrder.executeWithOptions(
          { summary: readOrderSummary(rec.seq, labelOf(rec)) },
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
        await orderSettled(rec);
        continue;
      }
      const early = rec.orderId === undefined ? learnOrderId(rec, read.orderId) : [];
      rec.status = read.status.toLowerCase();
      rec.answeredAtMs ??= readAtMs;
      rec.state = read.final ? "done" : "open";
      await upsertOrderRow(rec, read.orderId, read.status.toUpperCase(), read.sizeMatched, readAtMs);
      const fills = [...read.fills, ...early];
      applyFills(fills);
      await persistFills(fills);
      if (rec.state === "done") await orderSettled(rec);
    }
  }

  /**
   * Fills that came after their order's placement answer (the user channel, a reconcile): each order row's
   * matched size and the position's row (shares, cost, fees) follow them, as the fills table does.
   */
  async function tablesFollow(fills: readonly OurFill[]): Promise<void> {
    if (!tablesFollowFills || fills.length === 0) return;
    const ids = new Set(fills.map((f) => f.orderId));
    for (const rec of orders) {
      if (rec.orderId === undefined || !ids.has(rec.orderId)) continue;
      const matched = rec.fillKeys.reduce((sum, k) => sum + (ledger.fills[k]?.size ?? 0), 0);
      await upsertOrderRow(rec, rec.orderId, (rec.status ?? "matched").toUpperCase(), matched, Date.now());
    }
    if (entryDone) refreshPhase();
    await persistPosition();
  }

  async function orderSettled(rec: OrderRecord): Promise<void> {
    if (rec.purpose === "rebalance") await rebalanceSettled(rec);
  }

  async function persistPosition(): Promise<void> {
    const status =
      phase === "BALANCED"
        ? "BALANCED"
        : phase === "ABANDONED" || phase === "UNRESOLVED"
          ? phase
          : phase === "EXECUTING"
            ? "OPEN"
            : balanced()
              ? "BALANCED"
              : "IMBALANCED";
    const summary = recordPositionSummary(
      status,
      ledger.up.netShares,
      ledger.down.netShares,
      netCost(ledger),
    );
    await db.upsertPosition.executeWithOptions({ summary }, [
      {
        id,
        marketSlug: market.slug,
        conditionId: market.conditionId,
        asset: market.asset,
        yesTokenId: market.upTokenId,
        noTokenId: market.downTokenId,
        marketEndAtMs: market.endMs,
        status,
        spread: opportunity.spread,
        yesPrice: averageEntry(ledger, "UP") ?? null,
        noPrice: averageEntry(ledger, "DOWN") ?? null,
        yesShares: ledger.up.netShares,
        noShares: ledger.down.netShares,
        totalCost: netCost(ledger),
        feesPaid: ledger.up.fees + ledger.down.fees,
        rebalanceStatus:
          telemetry.rebalanceStartedAtMs === undefined
            ? "not_needed"
            : telemetry.positionBalancedAtMs !== undefined
              ? "completed"
              : "pending",
        ...(lastRebalance
          ? {
              rebalanceAction: lastRebalance.action,
              rebalanceShares: lastRebalance.filled,
              rebalancePrice: lastRebalance.price,
              rebalanceProfit: lastRebalance.profit,
              rebalancedAtMs: lastRebalance.atMs,
            }
          : {}),
      },
    ]);
  }

  async function persistTelemetry(): Promise<void> {
    const placed = telemetry.orderPlacedAtMs;
    const filled = telemetry.orderFilledAtMs;
    await db.upsertTelemetry.executeWithOptions({ summary: "record timing telemetry" }, [
      {
        positionId: id,
        opportunityDetectedAtMs: input.detectedAtMs,
        opportunitySpread: opportunity.spread,
        opportunityYesPrice: opportunity.upBestAsk,
        opportunityNoPrice: opportunity.downBestAsk,
        orderPlacedAtMs: placed,
        orderFilledAtMs: filled,
        executionLatencyMs: placed === undefined ? null : placed - input.detectedAtMs,
        fillLatencyMs: placed === undefined || filled === undefined ? null : filled - placed,
        initialYesShares: telemetry.initialUp,
        initialHedgeRatio: telemetry.initialHedge,
        initialNoShares: telemetry.initialDown,
        initialCost: telemetry.initialCost,
        rebalanceStartedAtMs: telemetry.rebalanceStartedAtMs,
        rebalanceAttempts: rebalanceTrades,
        positionBalancedAtMs: telemetry.positionBalancedAtMs,
      },
    ]);
  }

  const nothingHeld = () => ledger.up.netShares === 0 && ledger.down.netShares === 0;
  const balanced = () => !needsRebalancing(ledger, params.rebalanceThreshold);
  function refreshPhase(): void {
    if (phase === "RESOLVING" || phase === "RESOLVED" || phase === "ABANDONED") return;
    const isBalanced = balanced();
    if (!isBalanced && telemetry.rebalanceStartedAtMs === undefined)
      telemetry.rebalanceStartedAtMs = Date.now();
    if (
      isBalanced &&
      telemetry.rebalanceStartedAtMs !== undefined &&
      telemetry.positionBalancedAtMs === undefined
    ) {
      telemetry.positionBalancedAtMs = Date.now();
    }
    phase = isBalanced ? "BALANCED" : "IMBALANCED";
  }

  // ---------------------------------------------------------------- detect
  upsertSearchAttributes([{ key: PositionState, value: phase }]);
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

  // ---------------------------------------------------------------- execute
  const legsPlaced = Promise.all([
    place("entry", "UP", "BUY", opportunity.upLimitPrice, upShares, rules.tickSize),
    place("entry", "DOWN", "BUY", opportunity.downLimitPrice, downShares, rules.tickSize),
  ]);
  // Armed: the session learns at once that this position is executing (it arms no other meanwhile, and
  // the streaming worker stops sending it books); both legs are already scheduled in this workflow task.
  const told = how.armed ? tellSession() : Promise.resolve();
  const legs = await legsPlaced;
  await told;
  const entryOpen = () => legs.some((leg) => leg.state !== "done");

  /** Once both legs' outcomes are final: the position's initial state, or ABANDONED if nothing was bought. */
  async function finishEntry(): Promise<void> {
    entryDone = true;
    const sent = legs.flatMap((leg) => (leg.sentAtMs === undefined ? [] : [leg.sentAtMs]));
    if (sent.length > 0) telemetry.orderPlacedAtMs = Math.min(...sent);
    const filledLegs = legs.filter((leg) => leg.fillKeys.length > 0);
    if (filledLegs.length > 0) {
      telemetry.orderFilledAtMs = Math.max(...filledLegs.map((leg) => leg.answeredAtMs ?? Date.now()));
    }
    telemetry.initialUp = ledger.up.netShares;
    telemetry.initialDown = ledger.down.netShares;
    telemetry.initialCost = netCost(ledger);
    telemetry.initialHedge = Math.round(hedgeRatio(ledger) * 1_000_000);
    log.info("legs executed", {
      up: legs[0].rejection?.message ?? legs[0].status ?? legs[0].state,
      down: legs[1].rejection?.message ?? legs[1].status ?? legs[1].state,
      upShares: ledger.up.netShares,
      downShares: ledger.down.netShares,
    });
    if (nothingHeld()) {
      phase = "ABANDONED";
    } else {
      refreshPhase();
    }
    publish();
    if (patched("position-row-before-telemetry")) {
      // Telemetry references the position's row: write the row first (concurrently, the telemetry's
      // insert could reach the database first and break its foreign key).
      await persistPosition();
      await Promise.all([persistTelemetry(), tellSession()]);
    } else {
      await Promise.all([persistPosition(), persistTelemetry(), tellSession()]);
    }
  }

  // A leg whose outcome is still open (delayed at the venue, or unknown) is awaited in the loop below.
  if (!entryOpen()) await finishEntry();

  // ---------------------------------------------------------------- monitor and rebalance
  // The periodic check: timers that only ever fire (never cancelled), so a signal arriving just as
  // one fires cannot race its cancellation (sdk-java#3088), and history gets no TimerCanceled events.
  let checkDue = false;
  const stopped = () => phase === "ABANDONED" || Date.now() >= market.endMs;
  void (async () => {
    while (!stopped()) {
      await sleep(Math.max(1, Math.min(params.rebalanceCheckIntervalMs, market.endMs - Date.now())));
      checkDue = true;
    }
  })();

  while (!stopped()) {
    await condition(() => checkDue || bookDirty || rebalanceRequested || pendingFills.length > 0 || pollDue);
    const periodic = checkDue;
    checkDue = false;
    bookDirty = false;
    const forced = rebalanceRequested;
    rebalanceRequested = false;
    /** The rebalanceNow Updates this pass answers (those accepted so far). */
    const asked = rebalanceAsked;
    let outcome: { attempted: boolean; reason?: string; order?: RebalanceNowOrder } | undefined;
    if (periodic) sellBlocked = false;

    if (pendingFills.length > 0) {
      const fills = pendingFills.splice(0);
      applyFills(fills);
      await persistFills(fills);
      await tablesFollow(fills);
    }
    if (pollDue) {
      pollDue = false;
      await settleOrders();
    }
    if (!entryDone) {
      if (entryOpen()) {
        // Not reached by an Update (its validator refuses while executing): answered all the same.
        if (asked > rebalanceAnswered) {
          rebalanceAnswer = rebalanceResult({ attempted: false, reason: "entry-open" });
          rebalanceAnswered = asked;
        }
        continue;
      }
      await finishEntry();
      if (phase === "ABANDONED") break;
    }

    // One rebalancing order at a time: never another while one's outcome is open (it could overshoot).
    const busy = orders.some((o) => o.state !== "done");
    if (!halted && !busy && (bookFresh || forced) && (!balanced() || forced)) {
      const decision = rebalanceDecision(
        { ledger, rebalanceTrades, nowMs: Date.now(), endMs: market.endMs },
        book,
        rulesOf(book),
        params,
      );
      if (decision.kind === "rebalance" && !(sellBlocked && decision.option.side === "SELL")) {
        const rec = await rebalance(decision.option, book);
        outcome = { attempted: true, order: orderReport(rec) };
      } else if (forced) {
        const reason = decision.kind === "rebalance" ? "sell-not-yet-sellable" : decision.reason;
        log.info("rebalance requested but not done", { reason });
        outcome = { attempted: false, reason };
      }
    } else if (forced) {
      outcome = { attempted: false, reason: halted ? "halted" : busy ? "order-open" : "not-evaluated" };
    }
    refreshPhase();
    publish();
    if (asked > rebalanceAnswered) {
      rebalanceAnswer = rebalanceResult(outcome ?? { attempted: false, reason: "not-evaluated" });
      rebalanceAnswered = asked;
    }
    await tellSession();
  }
  monitoringOver = true;

  async function rebalance(option: RebalanceOption, decidedOn: MarketBookSnapshot): Promise<OrderRecord> {
    rebalanceTrades += 1;
    const attemptedAtMs = Date.now();
    const rec = await place(
      "rebalance",
      option.outcome,
      option.side,
      option.limitPrice,
      option.shares,
      rulesOf(decidedOn).tickSize,
      { option, attemptedAtMs, ledgerBefore: ledger },
    );
    // An order whose outcome is open is recorded once it is final (settleOrders).
    if (rec.state === "done") await rebalanceSettled(rec);
    return rec;
  }

  async function rebalanceSettled(rec: OrderRecord): Promise<void> {
    const { option, attemptedAtMs } = rec.rebalance!;
    if (rec.rejection?.kind === INSUFFICIENT_BALANCE) {
      // Shares bought are sellable only once their trade is MINED: not an attempt, try after the next check.
      rebalanceTrades -= 1;
      sellBlocked = true;
      log.info("rebalancing SELL refused for balance; not counted", { shares: option.shares });
      return;
    }
    const filled = filledOf(rec);
    const after = option.outcome === "UP" ? ledger.up.netShares : ledger.down.netShares;
    const status = rebalanceStatus(filled, option.shares);
    log.info("rebalance", {
      action: option.action,
      shares: option.shares,
      filled,
      status,
      sharesAfter: after,
    });
    refreshPhase();
    // What the seed means by a rebalance's profit (SELL: gain over entry; BUY: P&L locked in), from the fills.
    const profit =
      filled === 0 ? 0 : realizedRebalanceProfit(rec.rebalance!.ledgerBefore, ledger, option.action);
    if (filled > 0)
      lastRebalance = {
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
      {
        positionId: id,
        attemptedAtMs,
        action: option.action,
        shares: option.shares,
        price: option.limitPrice,
        status,
        filledShares: filled,
        profit,
        orderId: rec.orderId ?? null,
      },
    ]);
    await persistTelemetry();
    await persistPosition();
  }

  // ---------------------------------------------------------------- resolve
  if (phase === "ABANDONED") {
    await persistPosition();
    await tellSession();
    result = { positionId: id, phase, upShares: 0, downShares: 0, rebalanceTrades };
    return result;
  }
  // Orders still open at the end: the venue closes them with the market; read their final fills.
  for (let attempt = 0; tracksOpenOrders && unsettled().length > 0 && attempt < 10; attempt++) {
    await settleOrders();
    if (unsettled().length > 0) await sleep(Math.min(ORDER_POLL_MS * 2 ** attempt, 30_000));
  }
  if (!entryDone) await finishEntry();
  phase = "RESOLVING";
  publish();
  await tellSession();
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
      winner = await marketData.marketResolution.executeWithOptions({ summary: "read resolution (Gamma)" }, [
        { slug: market.slug },
      ]);
      if (!winner) await sleep("5 seconds");
    }
  }
  if (!winner) {
    phase = "UNRESOLVED";
    log.error("ALERT: no resolution for the position's market by the deadline; marked UNRESOLVED", {
      slug: market.slug,
      conditionId: market.conditionId,
      deadlineMinutes: RESOLUTION_DEADLINE_MS / 60_000,
      upShares: ledger.up.netShares,
      downShares: ledger.down.netShares,
    });
    await persistPosition();
    publish();
    await tellSession();
    result = {
      positionId: id,
      phase,
      upShares: ledger.up.netShares,
      downShares: ledger.down.netShares,
      rebalanceTrades,
    };
    return result;
  }
  const pendingAtEnd = pendingFills.splice(0);
  applyFills(pendingAtEnd);
  await persistFills(pendingAtEnd);
  await tablesFollow(pendingAtEnd);
  const resolution = resolvePosition(ledger, winner);
  phase = "RESOLVED";
  result = {
    positionId: id,
    phase,
    winner,
    pnl: resolution.pnl,
    upShares: ledger.up.netShares,
    downShares: ledger.down.netShares,
    rebalanceTrades,
  };
  await db.resolvePosition.executeWithOptions({ summary: recordResolutionSummary(winner, resolution.pnl) }, [
    {
      positionId: id,
      resolvedAtMs: Date.now(),
      winningOutcome: winner === "UP" ? "YES" : "NO",
      payout: resolution.payout,
      actualProfit: resolution.pnl,
      finalYesShares: resolution.finalUpShares,
      finalNoShares: resolution.finalDownShares,
    },
  ]);
  publish();
  await tellSession();
  log.info("position resolved", { winner, pnl: resolution.pnl });
  return result;
}
