/**
 * The ledger of arbitrage positions: plain parameterized SQL over the pg Pool.
 *
 * Conventions
 * - Money, prices, shares and ratios are micros (integers, 1e-6) in TypeScript and exact numerics in
 *   SQL: they are written as decimal strings (formatMicros) and read back with parseMicros. A hedge
 *   ratio of 0.6 is 600_000.
 * - Times are epoch milliseconds (JSON-safe for Temporal), timestamptz in SQL.
 * - `positionId` is trades.id (the seed's "trade"); `tradeId` on a fill is the venue's trade id.
 * - Every write is an idempotent upsert, safe to repeat (Temporal retries activities):
 *   - a null or omitted optional field means "not known here" and keeps what is stored;
 *   - counters and matched sizes never decrease; a fill's status changes only as the venue's lifecycle
 *     allows (the one rule in src/protocol/trade-status.ts, shared with the position ledger);
 *   - a RESOLVED position is final: later upsertPosition calls leave it untouched.
 */
import type { Pool } from "pg";
import { formatMicros, type Micros, parseMicros } from "../money";
import { type TradeStatus, tradeStatusTransitions } from "../protocol/trade-status";
import type { OrderType, Side } from "../protocol/vocabulary";

export type PositionStatus = "OPEN" | "BALANCED" | "IMBALANCED" | "RESOLVED" | "ABANDONED" | "UNRESOLVED";
export type RebalanceAction = "SELL_YES" | "SELL_NO" | "BUY_YES" | "BUY_NO";
/** trades.rebalance_status, the seed's values. */
export type RebalanceState = "not_needed" | "pending" | "completed" | "failed";
export type RebalanceTradeStatus = "SUCCESS" | "FAILED" | "PARTIAL";
/** YES is the Up outcome, NO the Down outcome. */
export type Outcome = "YES" | "NO";

/** A position's current state (trades row). Resolution is written by resolvePosition. */
export interface PositionRecord {
  id: string;
  /** Defaults to "arbitrage". */
  strategy?: string | null;
  marketSlug: string;
  conditionId: string;
  asset: string;
  yesTokenId: string;
  noTokenId: string;
  marketEndAtMs: number;
  status: Exclude<PositionStatus, "RESOLVED">;
  spread?: Micros | null;
  /** Average entry prices. */
  yesPrice?: Micros | null;
  noPrice?: Micros | null;
  /** Current net shares held. */
  yesShares: Micros;
  noShares: Micros;
  /** Net pUSD paid: buys and fees, less sell proceeds. actual profit = payout − totalCost. */
  totalCost: Micros;
  feesPaid: Micros;
  /** Insert only; defaults to the database's now(). */
  createdAtMs?: number | null;
  /** Defaults to "not_needed" on insert. */
  rebalanceStatus?: RebalanceState | null;
  /** The latest rebalancing trade. */
  rebalanceAction?: RebalanceAction | null;
  rebalanceShares?: Micros | null;
  rebalancePrice?: Micros | null;
  /** Cumulative profit of the rebalancing trades. */
  rebalanceProfit?: Micros | null;
  rebalancedAtMs?: number | null;
  /** final_hedge_ratio is derived from these two. */
  finalYesShares?: Micros | null;
  finalNoShares?: Micros | null;
}

export interface StoredPosition {
  id: string;
  strategy: string;
  marketSlug: string;
  conditionId: string;
  asset: string;
  yesTokenId: string;
  noTokenId: string;
  marketEndAtMs: number;
  status: PositionStatus;
  spread: Micros | null;
  yesPrice: Micros | null;
  noPrice: Micros | null;
  yesShares: Micros;
  noShares: Micros;
  totalCost: Micros;
  feesPaid: Micros;
  createdAtMs: number;
  resolvedAtMs: number | null;
  winningOutcome: Outcome | null;
  payout: Micros | null;
  actualProfit: Micros | null;
  rebalanceStatus: RebalanceState;
  rebalanceAction: RebalanceAction | null;
  rebalanceShares: Micros | null;
  rebalancePrice: Micros | null;
  rebalanceProfit: Micros | null;
  rebalancedAtMs: number | null;
  finalYesShares: Micros | null;
  finalNoShares: Micros | null;
  finalHedgeRatio: Micros | null;
}

/**
 * The seed's TradeTelemetry. Upserts accumulate: send what is known now, nulls keep what is stored.
 * Derived when not given: execution latency (placed − detected), fill latency (filled − placed),
 * initial hedge ratio (from the initial shares), final hedge ratio (from the final shares).
 * The position (trades row) must exist first.
 */
export interface TelemetryRecord {
  positionId: string;
  opportunityDetectedAtMs?: number | null;
  opportunitySpread?: Micros | null;
  opportunityYesPrice?: Micros | null;
  opportunityNoPrice?: Micros | null;
  orderPlacedAtMs?: number | null;
  orderFilledAtMs?: number | null;
  executionLatencyMs?: number | null;
  fillLatencyMs?: number | null;
  initialYesShares?: Micros | null;
  initialNoShares?: Micros | null;
  initialHedgeRatio?: Micros | null;
  /** Net pUSD the initial fills cost (fees included): the "Avoided Losses" baseline. */
  initialCost?: Micros | null;
  rebalanceStartedAtMs?: number | null;
  /** Never decreases. */
  rebalanceAttempts?: number | null;
  positionBalancedAtMs?: number | null;
  resolvedAtMs?: number | null;
  finalYesShares?: Micros | null;
  finalNoShares?: Micros | null;
  finalHedgeRatio?: Micros | null;
  actualProfit?: Micros | null;
}

export type StoredTelemetry = { [K in keyof TelemetryRecord]-?: Exclude<TelemetryRecord[K], undefined> } & {
  rebalanceAttempts: number;
};

/** One rebalancing attempt; (positionId, attemptedAtMs, action) identifies it. */
export interface RebalanceTradeRecord {
  positionId: string;
  attemptedAtMs: number;
  action: RebalanceAction;
  shares: Micros;
  price: Micros;
  status: RebalanceTradeStatus;
  filledShares: Micros;
  profit?: Micros | null;
  orderId?: string | null;
}

export interface StoredRebalanceTrade extends Required<RebalanceTradeRecord> {
  id: number;
  profit: Micros | null;
  orderId: string | null;
}

/**
 * One of our orders; id is the order hash. On a repeat, the status follows the newest updatedAtMs
 * and never goes from a final status (MATCHED, CANCELED…, UNMATCHED, INVALID) back to an open one;
 * sizeMatched never decreases.
 */
export interface OrderRecord {
  id: string;
  market: string;
  tokenId: string;
  side: Side;
  price: Micros;
  size: Micros;
  orderType: OrderType;
  postOnly?: boolean;
  status: string;
  sizeMatched: Micros;
  workflowId?: string | null;
  positionId?: string | null;
  error?: string | null;
  expiresAtMs?: number | null;
  /** Insert only; defaults to now(). */
  createdAtMs?: number | null;
  /** When this state was observed; defaults to now(). */
  updatedAtMs?: number | null;
}

export interface StoredOrder extends Required<OrderRecord> {
  postOnly: boolean;
  workflowId: string | null;
  positionId: string | null;
  error: string | null;
  expiresAtMs: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

/** Our side of one venue trade, keyed by (tradeId, orderId). */
export interface FillRecord {
  tradeId: string;
  orderId: string;
  market: string;
  tokenId: string;
  side: Side;
  role: "MAKER" | "TAKER";
  price: Micros;
  size: Micros;
  fee: Micros;
  status: TradeStatus;
  matchedAtMs: number;
  /** Defaults to now. */
  updatedAtMs?: number | null;
}

export interface StoredFill extends Required<FillRecord> {
  updatedAtMs: number;
}

export interface FillUpsertResult {
  /** The status stored after the call (a stale status leaves the newer one in place). */
  status: TradeStatus;
  /** Whether this call inserted the fill or moved its status on (as the venue's lifecycle allows). */
  changed: boolean;
}

export interface ResolutionRecord {
  positionId: string;
  resolvedAtMs: number;
  winningOutcome: Outcome;
  payout: Micros;
  actualProfit: Micros;
  finalYesShares: Micros;
  finalNoShares: Micros;
}

export class PositionNotFoundError extends Error {
  constructor(readonly positionId: string) {
    super(`no position ${JSON.stringify(positionId)} in the ledger`);
    this.name = "PositionNotFoundError";
  }
}

// ---------------------------------------------------------------------------------------------------------
// Conversions

function money(m: Micros | null | undefined): string | null {
  return m === null || m === undefined ? null : formatMicros(m);
}

function time(ms: number | null | undefined): Date | null {
  if (ms === null || ms === undefined) return null;
  if (!Number.isFinite(ms)) throw new RangeError(`not a time in epoch ms: ${ms}`);
  return new Date(ms);
}

function opt<T>(v: T | null | undefined): T | null {
  return v === undefined ? null : v;
}

function fromMoney(v: unknown): Micros | null {
  return v === null || v === undefined ? null : parseMicros(v as string);
}

function fromMoneyReq(v: unknown): Micros {
  return parseMicros(v as string);
}

function fromTime(v: unknown): number | null {
  return v instanceof Date ? v.getTime() : null;
}

function fromFloat(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** min/max of two share counts, truncated to 6 decimals (the seed's hedge_ratio; 0 when both are 0). */
export function hedgeRatioSql(a: string, b: string): string {
  return `(CASE WHEN ${a} IS NULL OR ${b} IS NULL THEN NULL
              WHEN GREATEST(${a}, ${b}) <= 0 THEN 0
              ELSE trunc(LEAST(${a}, ${b}) / GREATEST(${a}, ${b}), 6) END)`;
}

// ---------------------------------------------------------------------------------------------------------
// Writes

export async function upsertPosition(pool: Pool, p: PositionRecord): Promise<void> {
  await pool.query(
    `INSERT INTO trades AS t (
        id, strategy, market_slug, condition_id, asset, yes_token_id, no_token_id, market_end_at, status,
        spread, yes_price, no_price, yes_shares, no_shares, total_cost, fees_paid, created_at,
        rebalance_status, rebalance_action, rebalance_shares, rebalance_price, rebalance_profit, rebalanced_at,
        final_yes_shares, final_no_shares, final_hedge_ratio)
     VALUES ($1, COALESCE($2::text, 'arbitrage'), $3, $4, $5, $6, $7, $8::timestamptz, $9,
        $10::numeric, $11::numeric, $12::numeric, $13::numeric, $14::numeric, $15::numeric, $16::numeric,
        COALESCE($17::timestamptz, now()),
        COALESCE($18::text, 'not_needed'), $19::text, $20::numeric, $21::numeric, $22::numeric, $23::timestamptz,
        $24::numeric, $25::numeric, ${hedgeRatioSql("$24::numeric", "$25::numeric")})
     ON CONFLICT (id) DO UPDATE SET
        strategy = COALESCE($2::text, t.strategy),
        market_slug = EXCLUDED.market_slug,
        condition_id = EXCLUDED.condition_id,
        asset = EXCLUDED.asset,
        yes_token_id = EXCLUDED.yes_token_id,
        no_token_id = EXCLUDED.no_token_id,
        market_end_at = EXCLUDED.market_end_at,
        status = EXCLUDED.status,
        spread = COALESCE(EXCLUDED.spread, t.spread),
        yes_price = COALESCE(EXCLUDED.yes_price, t.yes_price),
        no_price = COALESCE(EXCLUDED.no_price, t.no_price),
        yes_shares = EXCLUDED.yes_shares,
        no_shares = EXCLUDED.no_shares,
        total_cost = EXCLUDED.total_cost,
        fees_paid = EXCLUDED.fees_paid,
        rebalance_status = COALESCE($18::text, t.rebalance_status),
        rebalance_action = COALESCE(EXCLUDED.rebalance_action, t.rebalance_action),
        rebalance_shares = COALESCE(EXCLUDED.rebalance_shares, t.rebalance_shares),
        rebalance_price = COALESCE(EXCLUDED.rebalance_price, t.rebalance_price),
        rebalance_profit = COALESCE(EXCLUDED.rebalance_profit, t.rebalance_profit),
        rebalanced_at = COALESCE(EXCLUDED.rebalanced_at, t.rebalanced_at),
        final_yes_shares = COALESCE(EXCLUDED.final_yes_shares, t.final_yes_shares),
        final_no_shares = COALESCE(EXCLUDED.final_no_shares, t.final_no_shares),
        final_hedge_ratio = COALESCE(EXCLUDED.final_hedge_ratio, t.final_hedge_ratio)
     WHERE t.status <> 'RESOLVED'`,
    [
      p.id,
      opt(p.strategy),
      p.marketSlug,
      p.conditionId,
      p.asset,
      p.yesTokenId,
      p.noTokenId,
      time(p.marketEndAtMs),
      p.status,
      money(p.spread),
      money(p.yesPrice),
      money(p.noPrice),
      money(p.yesShares),
      money(p.noShares),
      money(p.totalCost),
      money(p.feesPaid),
      time(p.createdAtMs),
      opt(p.rebalanceStatus),
      opt(p.rebalanceAction),
      money(p.rebalanceShares),
      money(p.rebalancePrice),
      money(p.rebalanceProfit),
      time(p.rebalancedAtMs),
      money(p.finalYesShares),
      money(p.finalNoShares),
    ],
  );
}

export async function upsertTelemetry(pool: Pool, r: TelemetryRecord): Promise<void> {
  // `input` is this call, `merged` the call over what is stored (nulls keep stored values), and the
  // derived columns are computed from the merged row, so they appear as soon as their inputs are known.
  await pool.query(
    `WITH input AS (
        SELECT $1::text AS trade_id,
               $2::timestamptz AS opportunity_detected_at, $3::numeric AS opportunity_spread,
               $4::numeric AS opportunity_yes_price, $5::numeric AS opportunity_no_price,
               $6::timestamptz AS order_placed_at, $7::timestamptz AS order_filled_at,
               $8::double precision AS execution_latency_ms, $9::double precision AS fill_latency_ms,
               $10::numeric AS initial_yes_shares, $11::numeric AS initial_no_shares,
               $12::numeric AS initial_hedge_ratio, $13::numeric AS initial_cost,
               $14::timestamptz AS rebalance_started_at, $15::integer AS rebalance_attempts,
               $16::timestamptz AS position_balanced_at, $17::timestamptz AS resolved_at,
               $18::numeric AS final_yes_shares, $19::numeric AS final_no_shares,
               $20::numeric AS final_hedge_ratio, $21::numeric AS actual_profit
     ), merged AS (
        SELECT i.trade_id,
               COALESCE(i.opportunity_detected_at, s.opportunity_detected_at) AS opportunity_detected_at,
               COALESCE(i.opportunity_spread, s.opportunity_spread) AS opportunity_spread,
               COALESCE(i.opportunity_yes_price, s.opportunity_yes_price) AS opportunity_yes_price,
               COALESCE(i.opportunity_no_price, s.opportunity_no_price) AS opportunity_no_price,
               COALESCE(i.order_placed_at, s.order_placed_at) AS order_placed_at,
               COALESCE(i.order_filled_at, s.order_filled_at) AS order_filled_at,
               COALESCE(i.execution_latency_ms, s.execution_latency_ms) AS execution_latency_ms,
               COALESCE(i.fill_latency_ms, s.fill_latency_ms) AS fill_latency_ms,
               COALESCE(i.initial_yes_shares, s.initial_yes_shares) AS initial_yes_shares,
               COALESCE(i.initial_no_shares, s.initial_no_shares) AS initial_no_shares,
               COALESCE(i.initial_hedge_ratio, s.initial_hedge_ratio) AS initial_hedge_ratio,
               COALESCE(i.initial_cost, s.initial_cost) AS initial_cost,
               COALESCE(i.rebalance_started_at, s.rebalance_started_at) AS rebalance_started_at,
               GREATEST(COALESCE(i.rebalance_attempts, 0), COALESCE(s.rebalance_attempts, 0)) AS rebalance_attempts,
               COALESCE(i.position_balanced_at, s.position_balanced_at) AS position_balanced_at,
               COALESCE(i.resolved_at, s.resolved_at) AS resolved_at,
               COALESCE(i.final_yes_shares, s.final_yes_shares) AS final_yes_shares,
               COALESCE(i.final_no_shares, s.final_no_shares) AS final_no_shares,
               COALESCE(i.final_hedge_ratio, s.final_hedge_ratio) AS final_hedge_ratio,
               COALESCE(i.actual_profit, s.actual_profit) AS actual_profit
        FROM input i LEFT JOIN trade_telemetry s ON s.trade_id = i.trade_id
     )
     INSERT INTO trade_telemetry AS t (
        trade_id, opportunity_detected_at, opportunity_spread, opportunity_yes_price, opportunity_no_price,
        order_placed_at, order_filled_at, execution_latency_ms, fill_latency_ms,
        initial_yes_shares, initial_no_shares, initial_hedge_ratio, initial_cost,
        rebalance_started_at, rebalance_attempts, position_balanced_at,
        resolved_at, final_yes_shares, final_no_shares, final_hedge_ratio, actual_profit)
     SELECT trade_id, opportunity_detected_at, opportunity_spread, opportunity_yes_price, opportunity_no_price,
        order_placed_at, order_filled_at,
        COALESCE(execution_latency_ms,
                 (EXTRACT(EPOCH FROM (order_placed_at - opportunity_detected_at)) * 1000)::double precision),
        COALESCE(fill_latency_ms, (EXTRACT(EPOCH FROM (order_filled_at - order_placed_at)) * 1000)::double precision),
        initial_yes_shares, initial_no_shares,
        COALESCE(initial_hedge_ratio, ${hedgeRatioSql("initial_yes_shares", "initial_no_shares")}),
        initial_cost, rebalance_started_at, rebalance_attempts, position_balanced_at,
        resolved_at, final_yes_shares, final_no_shares,
        COALESCE(final_hedge_ratio, ${hedgeRatioSql("final_yes_shares", "final_no_shares")}),
        actual_profit
     FROM merged
     ON CONFLICT (trade_id) DO UPDATE SET
        opportunity_detected_at = COALESCE(EXCLUDED.opportunity_detected_at, t.opportunity_detected_at),
        opportunity_spread = COALESCE(EXCLUDED.opportunity_spread, t.opportunity_spread),
        opportunity_yes_price = COALESCE(EXCLUDED.opportunity_yes_price, t.opportunity_yes_price),
        opportunity_no_price = COALESCE(EXCLUDED.opportunity_no_price, t.opportunity_no_price),
        order_placed_at = COALESCE(EXCLUDED.order_placed_at, t.order_placed_at),
        order_filled_at = COALESCE(EXCLUDED.order_filled_at, t.order_filled_at),
        execution_latency_ms = COALESCE(EXCLUDED.execution_latency_ms, t.execution_latency_ms),
        fill_latency_ms = COALESCE(EXCLUDED.fill_latency_ms, t.fill_latency_ms),
        initial_yes_shares = COALESCE(EXCLUDED.initial_yes_shares, t.initial_yes_shares),
        initial_no_shares = COALESCE(EXCLUDED.initial_no_shares, t.initial_no_shares),
        initial_hedge_ratio = COALESCE(EXCLUDED.initial_hedge_ratio, t.initial_hedge_ratio),
        initial_cost = COALESCE(EXCLUDED.initial_cost, t.initial_cost),
        rebalance_started_at = COALESCE(EXCLUDED.rebalance_started_at, t.rebalance_started_at),
        rebalance_attempts = GREATEST(EXCLUDED.rebalance_attempts, t.rebalance_attempts),
        position_balanced_at = COALESCE(EXCLUDED.position_balanced_at, t.position_balanced_at),
        resolved_at = COALESCE(EXCLUDED.resolved_at, t.resolved_at),
        final_yes_shares = COALESCE(EXCLUDED.final_yes_shares, t.final_yes_shares),
        final_no_shares = COALESCE(EXCLUDED.final_no_shares, t.final_no_shares),
        final_hedge_ratio = COALESCE(EXCLUDED.final_hedge_ratio, t.final_hedge_ratio),
        actual_profit = COALESCE(EXCLUDED.actual_profit, t.actual_profit)`,
    [
      r.positionId,
      time(r.opportunityDetectedAtMs),
      money(r.opportunitySpread),
      money(r.opportunityYesPrice),
      money(r.opportunityNoPrice),
      time(r.orderPlacedAtMs),
      time(r.orderFilledAtMs),
      opt(r.executionLatencyMs),
      opt(r.fillLatencyMs),
      money(r.initialYesShares),
      money(r.initialNoShares),
      money(r.initialHedgeRatio),
      money(r.initialCost),
      time(r.rebalanceStartedAtMs),
      opt(r.rebalanceAttempts),
      time(r.positionBalancedAtMs),
      time(r.resolvedAtMs),
      money(r.finalYesShares),
      money(r.finalNoShares),
      money(r.finalHedgeRatio),
      money(r.actualProfit),
    ],
  );
}

/** Records (or re-records, with its latest result) one rebalancing attempt; returns its row id. */
export async function recordRebalanceTrade(pool: Pool, r: RebalanceTradeRecord): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO rebalance_trades AS t
        (trade_id, attempted_at, action, shares, price, status, filled_shares, profit, order_id)
     VALUES ($1, $2::timestamptz, $3, $4::numeric, $5::numeric, $6, $7::numeric, $8::numeric, $9::text)
     ON CONFLICT (trade_id, attempted_at, action) DO UPDATE SET
        shares = EXCLUDED.shares,
        price = EXCLUDED.price,
        status = EXCLUDED.status,
        filled_shares = EXCLUDED.filled_shares,
        profit = COALESCE(EXCLUDED.profit, t.profit),
        order_id = COALESCE(EXCLUDED.order_id, t.order_id)
     RETURNING id`,
    [
      r.positionId,
      time(r.attemptedAtMs),
      r.action,
      money(r.shares),
      money(r.price),
      r.status,
      money(r.filledShares),
      money(r.profit),
      opt(r.orderId),
    ],
  );
  return Number(rows[0]?.id);
}

/** Order statuses after which an order no longer rests on the book. */
export const FINAL_ORDER_STATUSES = [
  "MATCHED",
  "CANCELED",
  "CANCELED_MARKET_RESOLVED",
  "UNMATCHED",
  "INVALID",
] as const;

export async function upsertOrder(pool: Pool, o: OrderRecord): Promise<void> {
  await pool.query(
    `INSERT INTO orders AS t (id, market, token_id, side, price, size, order_type, post_only, status, size_matched,
        workflow_id, position_id, error, expires_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5::numeric, $6::numeric, $7, $8, $9, $10::numeric,
        $11::text, $12::text, $13::text, $14::timestamptz, COALESCE($15::timestamptz, now()), COALESCE($16::timestamptz, now()))
     ON CONFLICT (id) DO UPDATE SET
        status = CASE
            WHEN EXCLUDED.updated_at >= t.updated_at
             AND (EXCLUDED.status = ANY ($17::text[]) OR NOT (t.status = ANY ($17::text[])))
            THEN EXCLUDED.status ELSE t.status END,
        size_matched = GREATEST(t.size_matched, EXCLUDED.size_matched),
        workflow_id = COALESCE(EXCLUDED.workflow_id, t.workflow_id),
        position_id = COALESCE(EXCLUDED.position_id, t.position_id),
        error = COALESCE(EXCLUDED.error, t.error),
        expires_at = COALESCE(EXCLUDED.expires_at, t.expires_at),
        updated_at = GREATEST(t.updated_at, EXCLUDED.updated_at)`,
    [
      o.id,
      o.market,
      o.tokenId,
      o.side,
      money(o.price),
      money(o.size),
      o.orderType,
      o.postOnly ?? false,
      o.status,
      money(o.sizeMatched),
      opt(o.workflowId),
      opt(o.positionId),
      opt(o.error),
      time(o.expiresAtMs),
      time(o.createdAtMs),
      time(o.updatedAtMs),
      FINAL_ORDER_STATUSES,
    ],
  );
}

/**
 * SQL that is true when the status `next` may replace the stored `current`: the (current, next) pairs the
 * one rule allows (tradeStatusReplaces, src/protocol/trade-status.ts), spelled out. Generated, never
 * written by hand, so the table and the position ledger cannot disagree.
 */
function fillStatusReplacesSql(next: string, current: string): string {
  const pairs = tradeStatusTransitions().map(([c, n]) => `('${c}', '${n}')`);
  return `((${current}, ${next}) IN (${pairs.join(", ")}))`;
}

export async function upsertFill(pool: Pool, f: FillRecord): Promise<FillUpsertResult> {
  const { rows } = await pool.query<{ status: TradeStatus }>(
    `INSERT INTO fills AS t (trade_id, order_id, market, token_id, side, role, price, size, fee, status,
        matched_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8::numeric, $9::numeric, $10, $11::timestamptz,
        COALESCE($12::timestamptz, now()))
     ON CONFLICT (trade_id, order_id) DO UPDATE SET
        status = EXCLUDED.status,
        price = EXCLUDED.price,
        size = EXCLUDED.size,
        fee = EXCLUDED.fee,
        updated_at = EXCLUDED.updated_at
     WHERE ${fillStatusReplacesSql("EXCLUDED.status", "t.status")}
     RETURNING status`,
    [
      f.tradeId,
      f.orderId,
      f.market,
      f.tokenId,
      f.side,
      f.role,
      money(f.price),
      money(f.size),
      money(f.fee),
      f.status,
      time(f.matchedAtMs),
      time(f.updatedAtMs),
    ],
  );
  if (rows[0]) return { status: rows[0].status, changed: true };
  const current = await pool.query<{ status: TradeStatus }>(
    "SELECT status FROM fills WHERE trade_id = $1 AND order_id = $2",
    [f.tradeId, f.orderId],
  );
  const status = current.rows[0]?.status;
  if (!status) throw new Error(`fill (${f.tradeId}, ${f.orderId}) vanished during its upsert`);
  return { status, changed: false };
}

/**
 * Marks the position RESOLVED with its outcome and final state, and writes the same final fields to its
 * telemetry, in one statement. Throws PositionNotFoundError when there is no such position.
 */
export async function resolvePosition(pool: Pool, r: ResolutionRecord): Promise<void> {
  const { rows } = await pool.query(
    `WITH pos AS (
        UPDATE trades SET
            status = 'RESOLVED',
            resolved_at = $2::timestamptz,
            winning_outcome = $3,
            payout = $4::numeric,
            actual_profit = $5::numeric,
            final_yes_shares = $6::numeric,
            final_no_shares = $7::numeric,
            final_hedge_ratio = ${hedgeRatioSql("$6::numeric", "$7::numeric")}
        WHERE id = $1
        RETURNING id, final_hedge_ratio
     )
     INSERT INTO trade_telemetry AS t
        (trade_id, resolved_at, final_yes_shares, final_no_shares, final_hedge_ratio, actual_profit)
     SELECT id, $2::timestamptz, $6::numeric, $7::numeric, final_hedge_ratio, $5::numeric FROM pos
     ON CONFLICT (trade_id) DO UPDATE SET
        resolved_at = EXCLUDED.resolved_at,
        final_yes_shares = EXCLUDED.final_yes_shares,
        final_no_shares = EXCLUDED.final_no_shares,
        final_hedge_ratio = EXCLUDED.final_hedge_ratio,
        actual_profit = EXCLUDED.actual_profit
     RETURNING trade_id`,
    [
      r.positionId,
      time(r.resolvedAtMs),
      r.winningOutcome,
      money(r.payout),
      money(r.actualProfit),
      money(r.finalYesShares),
      money(r.finalNoShares),
    ],
  );
  if (rows.length === 0) throw new PositionNotFoundError(r.positionId);
}

// ---------------------------------------------------------------------------------------------------------
// Reads

export async function getPosition(pool: Pool, id: string): Promise<StoredPosition | undefined> {
  const { rows } = await pool.query("SELECT * FROM trades WHERE id = $1", [id]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: r.id,
    strategy: r.strategy,
    marketSlug: r.market_slug,
    conditionId: r.condition_id,
    asset: r.asset,
    yesTokenId: r.yes_token_id,
    noTokenId: r.no_token_id,
    marketEndAtMs: (r.market_end_at as Date).getTime(),
    status: r.status,
    spread: fromMoney(r.spread),
    yesPrice: fromMoney(r.yes_price),
    noPrice: fromMoney(r.no_price),
    yesShares: fromMoneyReq(r.yes_shares),
    noShares: fromMoneyReq(r.no_shares),
    totalCost: fromMoneyReq(r.total_cost),
    feesPaid: fromMoneyReq(r.fees_paid),
    createdAtMs: (r.created_at as Date).getTime(),
    resolvedAtMs: fromTime(r.resolved_at),
    winningOutcome: r.winning_outcome,
    payout: fromMoney(r.payout),
    actualProfit: fromMoney(r.actual_profit),
    rebalanceStatus: r.rebalance_status,
    rebalanceAction: r.rebalance_action,
    rebalanceShares: fromMoney(r.rebalance_shares),
    rebalancePrice: fromMoney(r.rebalance_price),
    rebalanceProfit: fromMoney(r.rebalance_profit),
    rebalancedAtMs: fromTime(r.rebalanced_at),
    finalYesShares: fromMoney(r.final_yes_shares),
    finalNoShares: fromMoney(r.final_no_shares),
    finalHedgeRatio: fromMoney(r.final_hedge_ratio),
  };
}

export async function getTelemetry(pool: Pool, positionId: string): Promise<StoredTelemetry | undefined> {
  const { rows } = await pool.query("SELECT * FROM trade_telemetry WHERE trade_id = $1", [positionId]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    positionId: r.trade_id,
    opportunityDetectedAtMs: fromTime(r.opportunity_detected_at),
    opportunitySpread: fromMoney(r.opportunity_spread),
    opportunityYesPrice: fromMoney(r.opportunity_yes_price),
    opportunityNoPrice: fromMoney(r.opportunity_no_price),
    orderPlacedAtMs: fromTime(r.order_placed_at),
    orderFilledAtMs: fromTime(r.order_filled_at),
    executionLatencyMs: fromFloat(r.execution_latency_ms),
    fillLatencyMs: fromFloat(r.fill_latency_ms),
    initialYesShares: fromMoney(r.initial_yes_shares),
    initialNoShares: fromMoney(r.initial_no_shares),
    initialHedgeRatio: fromMoney(r.initial_hedge_ratio),
    initialCost: fromMoney(r.initial_cost),
    rebalanceStartedAtMs: fromTime(r.rebalance_started_at),
    rebalanceAttempts: Number(r.rebalance_attempts),
    positionBalancedAtMs: fromTime(r.position_balanced_at),
    resolvedAtMs: fromTime(r.resolved_at),
    finalYesShares: fromMoney(r.final_yes_shares),
    finalNoShares: fromMoney(r.final_no_shares),
    finalHedgeRatio: fromMoney(r.final_hedge_ratio),
    actualProfit: fromMoney(r.actual_profit),
  };
}

export async function listRebalanceTrades(pool: Pool, positionId: string): Promise<StoredRebalanceTrade[]> {
  const { rows } = await pool.query(
    "SELECT * FROM rebalance_trades WHERE trade_id = $1 ORDER BY attempted_at, id",
    [positionId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    positionId: r.trade_id,
    attemptedAtMs: (r.attempted_at as Date).getTime(),
    action: r.action,
    shares: fromMoneyReq(r.shares),
    price: fromMoneyReq(r.price),
    status: r.status,
    filledShares: fromMoneyReq(r.filled_shares),
    profit: fromMoney(r.profit),
    orderId: r.order_id,
  }));
}

export async function getOrder(pool: Pool, id: string): Promise<StoredOrder | undefined> {
  const { rows } = await pool.query("SELECT * FROM orders WHERE id = $1", [id]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: r.id,
    market: r.market,
    tokenId: r.token_id,
    side: r.side,
    price: fromMoneyReq(r.price),
    size: fromMoneyReq(r.size),
    orderType: r.order_type,
    postOnly: r.post_only,
    status: r.status,
    sizeMatched: fromMoneyReq(r.size_matched),
    workflowId: r.workflow_id,
    positionId: r.position_id,
    error: r.error,
    expiresAtMs: fromTime(r.expires_at),
    createdAtMs: (r.created_at as Date).getTime(),
    updatedAtMs: (r.updated_at as Date).getTime(),
  };
}

export async function getFill(pool: Pool, tradeId: string, orderId: string): Promise<StoredFill | undefined> {
  const { rows } = await pool.query("SELECT * FROM fills WHERE trade_id = $1 AND order_id = $2", [
    tradeId,
    orderId,
  ]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    tradeId: r.trade_id,
    orderId: r.order_id,
    market: r.market,
    tokenId: r.token_id,
    side: r.side,
    role: r.role,
    price: fromMoneyReq(r.price),
    size: fromMoneyReq(r.size),
    fee: fromMoneyReq(r.fee),
    status: r.status,
    matchedAtMs: (r.matched_at as Date).getTime(),
    updatedAtMs: (r.updated_at as Date).getTime(),
  };
}
