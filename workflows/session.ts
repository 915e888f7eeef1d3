/**
 * One market window: watches the books the streaming worker signals, opens a `position` child
 * for each arbitrage it detects, routes fills and books to its positions, and obeys halt/resume.
 * Continues as new before its history grows large; positions are ABANDON children, so that never
 * touches them.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
  workflowInfo,
} from "@temporalio/workflow";
import type { ExchangeActivities } from "../activities/exchange/activities";
import type { MarketRef } from "../src/session/market";
import type { MarketBookSnapshot, OurFill, ReconcileSnapshot } from "../src/session/messages";
import { workflowIds } from "../src/session/messages";
import { detectOpportunity } from "../src/strategy/arbitrage";
import { Asset, MarketSlug, Strategy } from "../src/temporal/search-attributes";
import {
  fillsSignal,
  haltSignal,
  marketBookSignal,
  type PositionStatus,
  positionStatusSignal,
  reconcileSignal,
  resumeSignal,
  sessionStateQuery,
} from "./definitions";
import { marketFeed } from "./feed";
import { type ArbitrageParams, position } from "./position";
import type { SessionView } from "./views";

export interface SessionParams extends ArbitrageParams {
  /** Events after which the session continues as new (Temporal's hard limit is far above). */
  historyEventLimit: number;
  /** Task queue of the streaming workers (feed activities). */
  streamingTaskQueue: string;
}

export interface SessionCarry {
  positionsStarted: number;
  halted: boolean;
  positions: Record<string, PositionStatus>;
  lastBookSeq: number;
  feedStarted: boolean;
  runs: number;
  /** A book that arrived after the last detection, handed to the next run. */
  pendingBook?: MarketBookSnapshot;
}

export interface SessionInput {
  market: MarketRef;
  params: SessionParams;
  carry?: SessionCarry;
}

const exchange = proxyActivities<ExchangeActivities>({
  startToCloseTimeout: "20 seconds",
  retry: { initialInterval: "500 milliseconds", maximumInterval: "5 seconds", maximumAttempts: 10 },
});

/**
 * Books are forwarded to an imbalanced position at most this often: each signal costs the position
 * ~4 history events, so a whole 15-minute window stays near 5,000 events (the 5 s checks included).
 * Sessions started before this was raised from 250 ms keep the old interval (patched).
 */
const BOOK_FORWARD_INTERVAL_MS = 1_000;
const BOOK_FORWARD_INTERVAL_V1_MS = 250;

export async function marketSession(input: SessionInput): Promise<{ positionsStarted: number }> {
  const { market, params } = input;
  const carry: SessionCarry = input.carry ?? {
    positionsStarted: 0,
    halted: false,
    positions: {},
    lastBookSeq: 0,
    feedStarted: false,
    runs: 0,
  };
  const me = workflowInfo().workflowId;
  const rules = {
    tickSize: market.tickSize,
    minOrderSize: market.minOrderSize,
    feeRate: market.feeRate,
    feeExponent: market.feeExponent,
  };

  // A book received but not yet looked at when the previous run continued as new.
  let book: MarketBookSnapshot | undefined = carry.pendingBook;
  let bookDirty = book !== undefined;
  carry.pendingBook = undefined;
  let haltChanged = false;
  const fillQueue: OurFill[] = [];
  let reconcile: ReconcileSnapshot | undefined;
  const forwardedAt = new Map<string, number>();
  const bookForwardIntervalMs = patched("book-forward-interval-1s")
    ? BOOK_FORWARD_INTERVAL_MS
    : BOOK_FORWARD_INTERVAL_V1_MS;

  setHandler(marketBookSignal, (b) => {
    if (b.seq > carry.lastBookSeq) {
      carry.lastBookSeq = b.seq;
      book = b;
      bookDirty = true;
    }
  });
  setHandler(fillsSignal, (fills) => {
    fillQueue.push(...fills);
  });
  setHandler(reconcileSignal, (snapshot) => {
    reconcile = snapshot;
  });
  setHandler(haltSignal, (req) => {
    if (!carry.halted) log.info("session halted", { reason: req?.reason });
    carry.halted = true;
    haltChanged = true;
  });
  setHandler(resumeSignal, () => {
    if (carry.halted) log.info("session resumed");
    carry.halted = false;
    haltChanged = true;
  });
  setHandler(positionStatusSignal, (status) => {
    carry.positions[status.positionId] = status;
  });
  setHandler(
    sessionStateQuery,
    (): SessionView => ({
      slug: market.slug,
      asset: market.asset,
      startMs: market.startMs,
      endMs: market.endMs,
      halted: carry.halted,
      positionsStarted: carry.positionsStarted,
      openPositions: openPositions(),
      lastBookSeq: carry.lastBookSeq,
      ...(book
        ? { bestAsks: { up: book.up.asks[0]?.price ?? null, down: book.down.asks[0]?.price ?? null } }
        : {}),
      runsSoFar: carry.runs,
    }),
  );

  const openPositions = () =>
    Object.values(carry.positions)
      .filter((p) => !p.done)
      .map((p) => p.positionId);
  const executing = () => Object.values(carry.positions).some((p) => p.executing);

  if (carry.runs === 0) {
    upsertSearchAttributes([
      { key: MarketSlug, value: market.slug },
      { key: Asset, value: market.asset },
      { key: Strategy, value: "arbitrage" },
    ]);
    log.info("session started", { slug: market.slug, startMs: market.startMs, endMs: market.endMs });
  }

  if (!carry.feedStarted) {
    try {
      await startChild(marketFeed, {
        workflowId: workflowIds.feed(market.slug),
        args: [{ market, sessionWorkflowId: me, taskQueue: params.streamingTaskQueue }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof Error && err.name === "WorkflowExecutionAlreadyStartedError")) throw err;
    }
    carry.feedStarted = true;
  }

  async function forward(): Promise<void> {
    const open = openPositions();
    if (fillQueue.length > 0) {
      const fills = fillQueue.splice(0);
      await Promise.all(
        open.map((id) =>
          getExternalWorkflowHandle(id)
            .signal(fillsSignal, fills)
            .catch(() => undefined),
        ),
      );
    }
    if (reconcile) {
      const snapshot = reconcile;
      reconcile = undefined;
      await Promise.all(
        open.map((id) =>
          getExternalWorkflowHandle(id)
            .signal(reconcileSignal, snapshot)
            .catch(() => undefined),
        ),
      );
    }
    if (haltChanged) {
      haltChanged = false;
      const signal = carry.halted ? haltSignal : resumeSignal;
      await Promise.all(
        open.map((id) =>
          (carry.halted
            ? getExternalWorkflowHandle(id).signal(haltSignal, {})
            : getExternalWorkflowHandle(id).signal(resumeSignal)
          ).catch(() => undefined),
        ),
      );
      if (carry.halted) {
        const cancelled = await exchange.cancelMarketOrders({ market: market.conditionId });
        log.info("open orders cancelled on halt", { cancelled, signal: signal.name });
      }
    }
    if (book) {
      const now = Date.now();
      const snapshot = book;
      const wanting = Object.values(carry.positions).filter(
        (p) => p.wantsBooks && !p.done && now - (forwardedAt.get(p.positionId) ?? 0) >= bookForwardIntervalMs,
      );
      for (const p of wanting) forwardedAt.set(p.positionId, now);
      await Promise.all(
        wanting.map((p) =>
          getExternalWorkflowHandle(p.positionId)
            .signal(marketBookSignal, snapshot)
            .catch(() => undefined),
        ),
      );
    }
  }

  async function maybeOpenPosition(snapshot: MarketBookSnapshot): Promise<void> {
    const now = Date.now();
    if (carry.halted || executing()) return;
    if (now < market.startMs || now >= market.endMs - params.rebalanceFreezeMs) return;
    if (carry.positionsStarted >= params.maxPositionsPerWindow) return;
    const opportunity = detectOpportunity(
      snapshot,
      { ...rules, tickSize: snapshot.tickSize || rules.tickSize },
      params,
    );
    if (!opportunity) return;
    carry.positionsStarted += 1;
    const positionId = workflowIds.position(market.slug, carry.positionsStarted);
    carry.positions[positionId] = { positionId, executing: true, wantsBooks: false, done: false };
    await startChild(position, {
      workflowId: positionId,
      args: [
        {
          positionId,
          sessionWorkflowId: me,
          market,
          opportunity,
          book: snapshot,
          detectedAtMs: now,
          params,
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `${market.asset} arbitrage: ${opportunity.shares / 1e6} shares of each outcome at ≤ ${opportunity.upLimitPrice / 1e6} / ${opportunity.downLimitPrice / 1e6}`,
      memo: {
        detectedAtMs: now,
        spread: opportunity.spread,
        pairCost: opportunity.pairCost,
        expectedProfit: opportunity.expectedProfit,
      },
      typedSearchAttributes: [
        { key: MarketSlug, value: market.slug },
        { key: Asset, value: market.asset },
        { key: Strategy, value: "arbitrage" },
      ],
    });
  }

  // One timer for the end of the window, never cancelled (see workflows/position.ts).
  let ended = Date.now() >= market.endMs;
  void sleep(Math.max(1, market.endMs - Date.now())).then(() => {
    ended = true;
  });
  while (!ended) {
    await condition(
      () => ended || bookDirty || fillQueue.length > 0 || reconcile !== undefined || haltChanged,
    );
    const snapshot = bookDirty ? book : undefined;
    bookDirty = false;
    if (snapshot) await maybeOpenPosition(snapshot);
    await forward();

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > params.historyEventLimit) {
      log.info("continuing as new", { historyLength: info.historyLength });
      await continueAsNew<typeof marketSession>({
        market,
        params,
        carry: { ...carry, runs: carry.runs + 1 },
      });
    }
  }
  if (!market.slug) throw ApplicationFailure.nonRetryable("market without a slug");
  log.info("session ended", { positionsStarted: carry.positionsStarted });
  return { positionsStarted: carry.positionsStarted };
}
