/**
 * One arbitrage position, from detection to resolution. Its history tells the whole story:
 * detect → execute → monitor → rebalance → resolve. Deterministic: decisions come from the pure
 * strategy in src/strategy/arbitrage; I/O happens in activities.
 */
import {
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import type { DatabaseActivities } from "../activities/database";
import type { ExchangeActivities, PlacedOrder } from "../activities/exchange/activities";
import type { MarketDataActivities } from "../activities/market-data";
import type { Config } from "../src/config/schema";
import type { Micros } from "../src/money";
import { orderSalt } from "../src/session/ids";
import type { MarketRef, Winner } from "../src/session/market";
import type { MarketBookSnapshot, OurFill, Outcome } from "../src/session/messages";
import {
  applyFill,
  averageEntry,
  emptyLedger,
  fillEffect,
  guaranteedPnl,
  hedgeRatio,
  needsRebalancing,
  netCost,
  type Opportunity,
  type PositionLedger,
  type RebalanceOption,
  rebalanceDecision,
  resolvePosition,
} from "../src/strategy/arbitrage";
import { HedgeRatio, PositionState } from "../src/temporal/search-attributes";
import {
  fillsSignal,
  haltSignal,
  marketBookSignal,
  positionStateQuery,
  positionStatusSignal,
  rebalanceNowSignal,
  reconcileSignal,
  resumeSignal,
} from "./definitions";
import type { PositionPhase, PositionView } from "./views";

export type ArbitrageParams = Config["arbitrage"];

export interface PositionInput {
  positionId: string;
  sessionWorkflowId: string;
  market: MarketRef;
  opportunity: Opportunity;
  /** The book that showed the opportunity: when it was received (the tick of tick-to-order). */
  book: MarketBookSnapshot;
  detectedAtMs: number;
  params: ArbitrageParams;
}

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

const SIZE_LOT: Micros = 10_000;

export async function position(input: PositionInput): Promise<PositionResult> {
  const { market, params, opportunity } = input;
  const id = input.positionId;
  const rules = {
    tickSize: input.book.tickSize || market.tickSize,
    minOrderSize: market.minOrderSize,
    feeRate: market.feeRate,
    feeExponent: market.feeExponent,
  };
  const outcomeOf = (tokenId: string): Outcome | undefined =>
    tokenId === market.upTokenId ? "UP" : tokenId === market.downTokenId ? "DOWN" : undefined;

  // ---------------------------------------------------------------- state
  let ledger: PositionLedger = emptyLedger();
  let phase: PositionPhase = "EXECUTING";
  let halted = false;
  let book: MarketBookSnapshot = input.book;
  let bookDirty = false;
  // The detection book is stale once our own legs have traded against it: rebalancing waits for a
  // newer one (or an operator's rebalance-now).
  let bookFresh = false;
  let rebalanceRequested = false;
  let rebalanceTrades = 0;
  let orderSeq = 0;
  const ourOrders = new Set<string>();
  const pendingFills: OurFill[] = [];
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
    ...(result?.pnl !== undefined ? { pnl: result.pnl } : {}),
    ...(result?.winner ? { winner: result.winner } : {}),
  });

  setHandler(positionStateQuery, view);
  setHandler(marketBookSignal, (b) => {
    if (b.seq > book.seq) {
      book = b;
      bookDirty = true;
      bookFresh = true;
    }
  });
  setHandler(fillsSignal, (fills) => {
    pendingFills.push(...fills.filter((f) => ourOrders.has(f.orderId)));
  });
  setHandler(reconcileSignal, (snapshot) => {
    pendingFills.push(...snapshot.fills.filter((f) => ourOrders.has(f.orderId)));
  });
  setHandler(haltSignal, () => {
    halted = true;
  });
  setHandler(resumeSignal, () => {
    halted = false;
  });
  setHandler(rebalanceNowSignal, () => {
    rebalanceRequested = true;
  });

  const session = getExternalWorkflowHandle(input.sessionWorkflowId);
  let lastStatus = "";
  async function tellSession(): Promise<void> {
    const status = {
      positionId: id,
      executing: phase === "EXECUTING",
      wantsBooks: phase === "IMBALANCED",
      done: phase === "RESOLVING" || phase === "RESOLVED" || phase === "ABANDONED",
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
    setCurrentDetails(
      `**${phase}** ${market.slug}: Up ${v.upShares / 1e6} / Down ${v.downShares / 1e6} shares, cost $${v.netCost / 1e6}, hedge ${ratio}, guaranteed P&L $${v.guaranteedPnl / 1e6}, ${rebalanceTrades} rebalance trade(s)`,
    );
  }

  function applyFills(fills: readonly OurFill[]): void {
    for (const f of fills) {
      const outcome = outcomeOf(f.tokenId);
      if (outcome) ledger = applyFill(ledger, f, outcome, rules);
    }
  }

  async function persistFills(fills: readonly OurFill[]): Promise<void> {
    await Promise.all(
      fills.map((f) =>
        db.upsertFill({
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
        }),
      ),
    );
  }

  function feeOf(f: OurFill): Micros {
    const effect = fillEffect(f, rules);
    return f.side === "BUY" ? effect.feeShares : effect.fees;
  }

  async function place(
    outcome: Outcome,
    side: "BUY" | "SELL",
    price: Micros,
    shares: Micros,
  ): Promise<PlacedOrder> {
    orderSeq += 1;
    const tokenId = outcome === "UP" ? market.upTokenId : market.downTokenId;
    const size = Math.floor(shares / SIZE_LOT) * SIZE_LOT;
    const placed = await exchange.placeOrder({
      market: market.conditionId,
      orderType: "FAK",
      intent: {
        tokenId,
        side,
        price,
        size,
        tickSize: rules.tickSize,
        negRisk: false,
        // Fixed here, in workflow history: a retried activity signs the same order (same hash).
        salt: orderSalt(`${id}/${orderSeq}`),
        timestampMs: Date.now(),
      },
    });
    ourOrders.add(placed.orderId);
    await db.upsertOrder({
      id: placed.orderId,
      market: market.conditionId,
      tokenId,
      side,
      price,
      size,
      orderType: "FAK",
      postOnly: false,
      status: placed.accepted ? placed.status.toUpperCase() : "REJECTED",
      sizeMatched: placed.fills.reduce((s, f) => s + f.size, 0),
      workflowId: workflowInfo().workflowId,
      positionId: id,
      error: placed.rejection?.message ?? null,
      updatedAtMs: placed.answeredAtMs,
    });
    applyFills(placed.fills);
    await persistFills(placed.fills);
    return placed;
  }

  async function persistPosition(): Promise<void> {
    await db.upsertPosition({
      id,
      marketSlug: market.slug,
      conditionId: market.conditionId,
      asset: market.asset,
      yesTokenId: market.upTokenId,
      noTokenId: market.downTokenId,
      marketEndAtMs: market.endMs,
      status:
        phase === "BALANCED"
          ? "BALANCED"
          : phase === "ABANDONED"
            ? "ABANDONED"
            : phase === "EXECUTING"
              ? "OPEN"
              : "IMBALANCED",
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
    });
  }

  async function persistTelemetry(): Promise<void> {
    const placed = telemetry.orderPlacedAtMs;
    const filled = telemetry.orderFilledAtMs;
    await db.upsertTelemetry({
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
    });
  }

  // ---------------------------------------------------------------- detect
  upsertSearchAttributes([{ key: PositionState, value: phase }]);
  log.info("opportunity detected", {
    slug: market.slug,
    shares: opportunity.shares,
    upLimit: opportunity.upLimitPrice,
    downLimit: opportunity.downLimitPrice,
    pairCost: opportunity.pairCost,
  });

  // ---------------------------------------------------------------- execute
  const [upLeg, downLeg] = await Promise.all([
    place("UP", "BUY", opportunity.upLimitPrice, opportunity.shares),
    place("DOWN", "BUY", opportunity.downLimitPrice, opportunity.shares),
  ]);
  telemetry.orderPlacedAtMs = Math.min(upLeg.sentAtMs, downLeg.sentAtMs);
  if (upLeg.fills.length + downLeg.fills.length > 0) {
    telemetry.orderFilledAtMs = Math.max(upLeg.answeredAtMs, downLeg.answeredAtMs);
  }
  telemetry.initialUp = ledger.up.netShares;
  telemetry.initialDown = ledger.down.netShares;
  telemetry.initialCost = netCost(ledger);
  telemetry.initialHedge = Math.round(hedgeRatio(ledger) * 1_000_000);
  log.info("legs executed", {
    up: upLeg.rejection?.message ?? upLeg.status,
    down: downLeg.rejection?.message ?? downLeg.status,
    upShares: ledger.up.netShares,
    downShares: ledger.down.netShares,
  });

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

  if (nothingHeld()) {
    phase = "ABANDONED";
  } else {
    refreshPhase();
  }
  publish();
  await Promise.all([persistPosition(), persistTelemetry(), tellSession()]);

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
    await condition(() => checkDue || bookDirty || rebalanceRequested || pendingFills.length > 0);
    checkDue = false;
    bookDirty = false;
    const forced = rebalanceRequested;
    rebalanceRequested = false;

    if (pendingFills.length > 0) {
      const fills = pendingFills.splice(0);
      applyFills(fills);
      await persistFills(fills);
    }

    if (!halted && (bookFresh || forced) && (!balanced() || forced)) {
      const decision = rebalanceDecision(
        { ledger, rebalanceTrades, nowMs: Date.now(), endMs: market.endMs },
        book,
        rules,
        params,
      );
      if (decision.kind === "rebalance") {
        await rebalance(decision.option);
      } else if (forced) {
        log.info("rebalance requested but not done", { reason: decision.reason });
      }
    }
    refreshPhase();
    publish();
    await tellSession();
  }

  async function rebalance(option: RebalanceOption): Promise<void> {
    rebalanceTrades += 1;
    const attemptedAtMs = Date.now();
    const before = option.outcome === "UP" ? ledger.up.netShares : ledger.down.netShares;
    const placed = await place(option.outcome, option.side, option.limitPrice, option.shares);
    const after = option.outcome === "UP" ? ledger.up.netShares : ledger.down.netShares;
    const filled = placed.fills.reduce((s, f) => s + f.size, 0);
    const status = filled === 0 ? "FAILED" : filled + SIZE_LOT <= option.shares ? "PARTIAL" : "SUCCESS";
    log.info("rebalance", {
      action: option.action,
      shares: option.shares,
      filled,
      status,
      sharesBefore: before,
      sharesAfter: after,
    });
    refreshPhase();
    const profit = filled === 0 ? 0 : guaranteedPnl(ledger) - option.guaranteedPnlBefore;
    if (filled > 0)
      lastRebalance = {
        action: option.action,
        filled,
        price: option.limitPrice,
        profit,
        atMs: attemptedAtMs,
      };
    await db.recordRebalanceTrade({
      positionId: id,
      attemptedAtMs,
      action: option.action,
      shares: option.shares,
      price: option.limitPrice,
      status,
      filledShares: filled,
      profit,
      orderId: placed.orderId,
    });
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
  phase = "RESOLVING";
  publish();
  await tellSession();
  let winner: Winner | undefined;
  while (!winner) {
    winner = await marketData.marketResolution({ slug: market.slug });
    if (!winner) await sleep("5 seconds");
  }
  const pendingAtEnd = pendingFills.splice(0);
  applyFills(pendingAtEnd);
  await persistFills(pendingAtEnd);
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
  await db.resolvePosition({
    positionId: id,
    resolvedAtMs: Date.now(),
    winningOutcome: winner === "UP" ? "YES" : "NO",
    payout: resolution.payout,
    actualProfit: resolution.pnl,
    finalYesShares: resolution.finalUpShares,
    finalNoShares: resolution.finalDownShares,
  });
  publish();
  await tellSession();
  log.info("position resolved", { winner, pnl: resolution.pnl });
  return result;
}
