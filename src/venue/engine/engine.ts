/**
 * The venue simulator's matching engine: a pure, deterministic model of Polymarket's CLOB V2.
 *
 * Pure: no clock, no randomness, no I/O. Every mutating call takes the caller's time (`nowMs`) and first
 * catches up on everything that fell due by then, in chronological order (trade lifecycle steps, GTD
 * expiries, market closes, delayed takers), so an expired order can never match and a closed market never
 * trades. Internal time never goes backwards: a `nowMs` earlier than one already seen counts as the latest.
 * Ids come from sha256 of the seed and a counter, the optional failure rate from a generator seeded the same
 * way. Same seed + same calls (same arguments, same order) ⇒ the same events, deep-equal.
 *
 * Events are queued while a call runs and delivered synchronously, in order, before it returns, each with
 * the next `seq` (1, 2, …). A subscriber may call back into the engine; those events are appended and
 * delivered in order. A subscriber that throws does not stop delivery to the others; the first error is
 * rethrown once everything is delivered.
 *
 * ## Books and matching
 * One book per token (but see "Mirrored books" below). Price-time priority, trades at the resting (maker)
 * order's price, partial fills.
 * An incoming BUY of token A at limit p takes, best effective price first, both
 *   - the asks of A at q ≤ p (a transfer: the taker pays q), and
 *   - the bids of the other token B at q ≥ 1 − p (a MINT: the taker pays 1 − q, the maker q, one pUSD per
 *     pair is locked and each side receives its own token),
 * in time priority between the two sources at equal effective price. An incoming SELL of A only meets the
 * bids of A: there is no MERGE of two SELLs, so the asks of Up and Down may sum below 1 — that is how the
 * simulator's arbitrage dislocations can exist. Snapshots show each token's own orders only (no mirrored
 * complementary liquidity). Self-trades are not prevented. After any call, for each market:
 * bestBid(A) < bestAsk(A) and bestBid(Up) + bestBid(Down) < 1.
 *
 * ## Mirrored books (`mirrored: true`; off by default)
 * As on the real venue, each market has ONE book, in Up-price terms (./mirror.ts): BUY Up@p is a bid at p,
 * SELL Up@p an ask at p, BUY Down@p an ask at 1 − p, SELL Down@p a bid at 1 − p; every order keeps its own
 * token, side and price. An order crosses the opposite side of that book with price-time priority, at the
 * maker's price, and each pair of orders settles by their real token and side: BUY/SELL of one token is a
 * transfer; BUY Up with BUY Down is a MINT (the maker pays its price q, the taker 1 − q); SELL Up with
 * SELL Down is a MERGE (the maker receives q, the taker 1 − q, the pair is burned for 1 pUSD). The pair's
 * prices thus sum to exactly 1 and any surplus of the two limits is the taker's price improvement, as for
 * every fill at the maker's price. Reservations, fees (the taker's, at its own price on its own token),
 * post-only and the order types are as above. Down's book, its levels, best prices and `level_changed` events
 * are the mirror of the one book (Down's bids are Up's asks at 1 − p, same sizes), and every change of the
 * one book emits `level_changed` for both tokens. So bestAsk(Up) + bestAsk(Down) > 1 after any call: asks
 * summing below 1 merge instead of resting.
 *
 * ## Order types and answers
 * - Prices: a GTC/GTD price must be a multiple of the market's tick within [tick, 1 − tick]; a FAK/FOK price is
 *   the limit implied by its signed amounts (the server rounds a BUY's down and a SELL's up to the micro, which
 *   changes no match: every resting price is a whole number of micros), only required to lie in (0, 1): the
 *   real venue checks a marketable order's amounts, not its price's tick.
 * - GTC/GTD: match what crosses, rest the rest (answer "matched" if anything traded, else "live").
 * - FAK: match what crosses; nothing ⇒ success:false FAK_NO_MATCH, no event. A partial fill answers
 *   "matched" and the order ends MATCHED with size_matched < size; as on the real venue no CANCELLATION is
 *   sent for the unmatched part (the trade reports what matched).
 * - FOK: all or nothing; killed ⇒ success:false FOK_NOT_FILLED and a CANCELLATION whose wireStatus is
 *   FOK_KILLED_WIRE_STATUS.
 * - Post-only: GTC/GTD only (else POST_ONLY_WRONG_TYPE); rejected with POST_ONLY_CROSSES when it would
 *   cross, complementary crosses included.
 * - Taker delay (`takerDelayMs` > 0): a crossing non-post-only order answers "delayed" (status DELAYED, funds
 *   reserved, no event) and is matched once the delay has elapsed, with its type's semantics then. Because its
 *   owner was only told "delayed", a delayed order always gets a closing order event: UPDATE (MATCHED) when
 *   fully filled, PLACEMENT when it rests, CANCELLATION when a FAK/FOK remainder dies (FOK with the wire quirk).
 * - A repeated order id never creates a second order and emits nothing: it answers success with the existing
 *   order's id and current status (LIVE→live, DELAYED→delayed, MATCHED→matched, otherwise unmatched), or
 *   repeats the failure of a killed FOK / unmatched FAK. Rejected orders (validation) are not remembered.
 * - GTD: `expiresAtMs` must be at least `minGtdLeadMs` (60 s) after now, else INVALID_EXPIRATION; the order
 *   is cancelled (CANCELLATION) at `expiresAtMs`. The field is ignored for the other types.
 * - SubmitResult amounts cover the immediate fills: BUY makingAmount = pUSD paid, takingAmount = shares
 *   matched (gross of the fee in shares); SELL makingAmount = shares sold, takingAmount = pUSD gross of fees.
 *
 * ## Money
 * Balances per account address (lower-cased). BUY reserves ceil(price × size), SELL the shares; reservations
 * shrink as orders fill and are released on cancel. What a trade brings in stays pending (unavailable) until
 * the trade is MINED. Takers pay the fee (src/fees.ts, market feeRate/feeExponent, at the fill's price): a
 * taker BUY receives shares net of buyFeeInShares, a taker SELL pUSD net of takerFee; makers pay nothing and
 * accrue estimateMakerRebate of each fill — rebateShare of its fee equivalent — (`makerRebates`). Fees go to
 * the market's pool. See settlement.ts for the cumulative rounding and the pool's `dust`.
 * Conservation: Σ account pUSD + Σ pools (fees + dust) + Σ markets outstanding pairs = Σ credited pUSD, and
 * per market the outstanding Up shares equal the outstanding Down shares (pools included).
 *
 * ## Trade lifecycle
 * MATCHED at match time; MINED after `minedAfterMs`; CONFIRMED after `confirmedAfterMs` (both from the match
 * time), a `trade` event on each step. At the MINED step a trade FAILS instead when `failNextTrades(n)` has
 * failures left (the next n trades to reach that step; `setFailNextTrades` replaces the count, 0 clears it,
 * `pendingTradeFailures` reads it) or, with `tradeFailureRate`, by a seeded draw. A FAILED
 * trade reverts all its balance movements (payments, receipts, fees, dust, rebates), which are always still
 * there since receipts stay pending until MINED. The orders stay consumed: the book does not get the
 * liquidity back. (With failures, the pool's dust may end up a micro below zero.)
 *
 * ## Markets
 * `listMarket` accepts orders from then until `endMs`; at `endMs` the market closes and every open order is
 * cancelled (CANCELLATION). `openMarket` emits market_opened. `resolveMarket` closes the market if needed,
 * carries its unsettled trades through their remaining steps, pays 1 pUSD per winning share (pool included),
 * zeroes both tokens and emits market_resolved. Once a token's best bid or ask goes above 0.96 or below 0.04,
 * a market whose tick is coarser than 0.001 moves to 0.001 for good (tick_size_changed for both tokens).
 *
 * ## Retention
 * Nothing is forgotten unless asked: `compactMarket` drops a resolved market's orders and trades in which no
 * kept party took part (the simulation keeps everyone but its simulated traders), `dropMarket` the market
 * itself; `retained` counts what is held.
 */
import { createHash } from "node:crypto";
import {
  buyFeeInShares,
  DEFAULT_MAKER_REBATE_SHARE,
  estimateMakerRebate,
  makerFeeEquivalent,
  takerFee,
} from "../../fees";
import { formatMicros, type Micros, ONE } from "../../money";
import type {
  BookLevel,
  BookSnapshot,
  BookView,
  MakerFill,
  MarketStatus,
  OrderRequest,
  OrderStatus,
  RestingOrder,
  Side,
  SubmitResult,
  VenueEvent,
  VenueMarket,
  VenueTrade,
} from "../types";
import { type AccountBalance, type AccountState, Ledger } from "./accounts";
import { type LevelNode, TokenBook } from "./book";
import {
  CANCEL_NOT_FOUND,
  FAK_NO_MATCH,
  FOK_KILLED_WIRE_STATUS,
  FOK_NOT_FILLED,
  INVALID_EXPIRATION,
  MARKET_NOT_ACCEPTING_ORDERS,
  MARKET_NOT_FOUND,
  minSizeError,
  NOT_ENOUGH_BALANCE,
  POST_ONLY_CROSSES,
  POST_ONLY_WRONG_TYPE,
  tickSizeError,
} from "./errors";
import { DeterministicIds, SeededRng } from "./ids";
import { crossingLevel, crossingSize, flip, mirroredPlace, type SideReader, sideReaders } from "./mirror";
import { Fifo, MinHeap } from "./schedule";
import {
  applyMovement,
  buyReservation,
  FeePool,
  type Movement,
  payDelta,
  receiveDelta,
  releasePending,
  revertMovements,
} from "./settlement";

export interface MatchingEngineOptions {
  /** Seed of trade ids, transaction hashes and the failure draws. */
  seed?: string;
  /** Matching delay of crossing non-post-only orders. */
  takerDelayMs?: number;
  /** Time from MATCHED to MINED (or FAILED). */
  minedAfterMs?: number;
  /** Time from MATCHED to CONFIRMED. */
  confirmedAfterMs?: number;
  /** Share of each maker fill's fee equivalent accrued as rebate, micros (200_000 = 20%). */
  rebateShare?: Micros;
  /** Probability, in micros, that a trade fails at the MINED step (seeded draw per trade). */
  tradeFailureRate?: Micros;
  /** Minimum lead of a GTD expiration over now. */
  minGtdLeadMs?: number;
  /**
   * One mirrored book per market, as on the real venue (see "Mirrored books" above and ./mirror.ts): BUY Down
   * at p is an ask of Up at 1 − p, SELL Down at p a bid at 1 − p, and two SELLs merge. Off by default: two
   * independent books, mint only.
   */
  mirrored?: boolean;
}

export const ENGINE_DEFAULTS: Required<MatchingEngineOptions> = {
  seed: "ballast-venue",
  takerDelayMs: 0,
  minedAfterMs: 2_000,
  confirmedAfterMs: 5_000,
  rebateShare: DEFAULT_MAKER_REBATE_SHARE,
  tradeFailureRate: 0,
  minGtdLeadMs: 60_000,
  mirrored: false,
};

/** The tick a market moves to when a price leaves [0.04, 0.96]. */
export const FINE_TICK: Micros = 1_000;
export const FINE_TICK_ABOVE: Micros = 960_000;
export const FINE_TICK_BELOW: Micros = 40_000;

export interface CancelResult {
  canceled: string[];
  not_canceled: Record<string, string>;
}

export interface OrderFilter {
  market?: string;
  assetId?: string;
  id?: string;
}

export interface TradeFilter extends OrderFilter {
  /** Only trades matched strictly before this time (ms). */
  before?: number;
  /** Only trades matched strictly after this time (ms). */
  after?: number;
}

export interface LastTrade {
  price: Micros;
  side: Side;
}

export interface FeePoolView {
  /** Taker SELL fees, pUSD (plus, after resolution, the pool's winning shares redeemed). */
  fees: Micros;
  /** Rounding remainders, pUSD. */
  dust: Micros;
  /** Taker BUY fees withheld in shares, by token id. */
  shares: Record<string, Micros>;
}

export interface SimpleResult {
  success: boolean;
  errorMsg?: string;
}

type TokenIndex = 0 | 1;
const OUTCOMES = ["Up", "Down"] as const;

interface MarketState {
  market: VenueMarket;
  listedSeq: number;
  tick: Micros;
  opened: boolean;
  closed: boolean;
  resolved: boolean;
  /** Mirrored: only books[0] holds orders (the one book, in Up terms); books[1] stays empty. */
  books: [TokenBook<OrderRec>, TokenBook<OrderRec>];
  /** Each token's sides as traders see them, [token][BUY, SELL] (mirrored: Down's is the mirror of books[0]). */
  views: [[SideReader, SideReader], [SideReader, SideReader]];
  /** LIVE and DELAYED orders, oldest first. */
  open: Set<OrderRec>;
  pool: FeePool;
  lastTrade: [LastTrade | undefined, LastTrade | undefined];
  /** Trades not yet CONFIRMED or FAILED. */
  unfinished: Set<TradeRec>;
  /** Every order and trade of the market, oldest first (what compactMarket goes through). */
  orders: OrderRec[];
  trades: TradeRec[];
}

interface OrderRec {
  order: RestingOrder;
  m: MarketState;
  ti: TokenIndex;
  account: AccountState;
  /** Arrival order: time priority. */
  seq: number;
  /** Where the order rests or would rest: the book (index into MarketState.books), side and price there. */
  home: { ti: TokenIndex; side: Side; price: Micros };
  remaining: Micros;
  /** pUSD (BUY) or shares (SELL) this order holds in reserve. */
  reserved: Micros;
  /** Σ shares × price of its fills, 10^-12 pUSD (see settlement.ts). */
  exactCum: bigint;
  node: LevelNode<OrderRec> | null;
  /** The answer a re-post gets when the order was killed (FOK) or found nothing (FAK). */
  failMsg?: string;
  making: Micros;
  taking: Micros;
}

interface TradeRec {
  trade: VenueTrade;
  m: MarketState;
  movements: Movement[];
  rebates: { account: string; amount: Micros }[];
  stage: "MATCHED" | "MINED" | "DONE";
}

interface Job {
  at: number;
  run: (t: number) => void;
}

function isOpen(rec: OrderRec): boolean {
  return rec.order.status === "LIVE" || rec.order.status === "DELAYED";
}

function other(ti: TokenIndex): TokenIndex {
  return ti === 0 ? 1 : 0;
}

function copyOrder(o: RestingOrder): RestingOrder {
  return { ...o, associateTrades: [...o.associateTrades] };
}

function copyTrade(t: VenueTrade): VenueTrade {
  return { ...t, makers: t.makers.map((f) => ({ ...f })) };
}

export class MatchingEngine implements BookView {
  private readonly opts: Required<MatchingEngineOptions>;
  private readonly ids: DeterministicIds;
  private readonly rng: SeededRng;
  private readonly ledger = new Ledger();

  private readonly markets = new Map<string, MarketState>();
  private readonly tokens = new Map<string, { m: MarketState; ti: TokenIndex }>();
  private readonly orders = new Map<string, OrderRec>();
  private readonly ownerOpen = new Map<string, Set<OrderRec>>();
  private readonly tradeRecs = new Map<string, TradeRec>();
  private readonly ownerTrades = new Map<string, TradeRec[]>();
  private readonly rebates = new Map<string, Map<string, Micros>>();

  private readonly matchedQueue = new Fifo<TradeRec>();
  private readonly minedQueue = new Fifo<TradeRec>();
  private readonly delayedQueue = new Fifo<OrderRec>();
  private readonly expiries = new MinHeap<OrderRec>(
    (a, b) =>
      a.order.expiresAtMs < b.order.expiresAtMs ||
      (a.order.expiresAtMs === b.order.expiresAtMs && a.seq < b.seq),
  );
  private readonly closes = new MinHeap<MarketState>(
    (a, b) =>
      a.market.endMs < b.market.endMs || (a.market.endMs === b.market.endMs && a.listedSeq < b.listedSeq),
  );

  private clock = Number.NEGATIVE_INFINITY;
  private orderSeq = 0;
  private tradeCount = 0;
  private failNext = 0;
  private listed = 0;

  private readonly listeners: ((e: VenueEvent) => void)[] = [];
  private queue: VenueEvent[] = [];
  private flushing = false;
  private eventSeq = 0;

  /** Levels changed during the current step, reported once each at its end. */
  private readonly touched = new Map<string, { m: MarketState; ti: TokenIndex; side: Side; price: Micros }>();

  constructor(options: MatchingEngineOptions = {}) {
    this.opts = { ...ENGINE_DEFAULTS };
    for (const [k, v] of Object.entries(options)) {
      if (v !== undefined) (this.opts as unknown as Record<string, unknown>)[k] = v;
    }
    this.ids = new DeterministicIds(this.opts.seed);
    this.rng = new SeededRng(this.opts.seed);
  }

  // ---------------------------------------------------------------- events

  /** Receives every event, synchronously and in order. Returns the unsubscribe function. */
  subscribe(fn: (e: VenueEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private nextSeq(): number {
    this.eventSeq += 1;
    return this.eventSeq;
  }

  private push(e: VenueEvent): void {
    this.queue.push(e);
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    let failed = false;
    let error: unknown;
    try {
      for (let i = 0; i < this.queue.length; i++) {
        const e = this.queue[i]!;
        for (const fn of [...this.listeners]) {
          try {
            fn(e);
          } catch (err) {
            if (!failed) {
              failed = true;
              error = err;
            }
          }
        }
      }
    } finally {
      this.queue = [];
      this.flushing = false;
    }
    if (failed) throw error;
  }

  /** Catches up to `nowMs`, runs `body` at the engine's time, then delivers the events. */
  private run<R>(nowMs: number, body: (t: number) => R): R {
    if (!Number.isFinite(nowMs)) throw new Error(`time must be a finite number of ms, got ${nowMs}`);
    try {
      this.advanceTo(nowMs);
      const result = body(this.clock);
      this.finishStep(this.clock);
      return result;
    } finally {
      this.flush();
    }
  }

  private orderEvent(
    type: "PLACEMENT" | "UPDATE" | "CANCELLATION",
    rec: OrderRec,
    t: number,
    wire?: string,
  ): void {
    const e: VenueEvent = { kind: "order", seq: this.nextSeq(), atMs: t, type, order: copyOrder(rec.order) };
    if (wire !== undefined) e.wireStatus = wire;
    this.push(e);
  }

  private tradeEvent(tr: TradeRec, t: number): void {
    this.push({ kind: "trade", seq: this.nextSeq(), atMs: t, trade: copyTrade(tr.trade) });
  }

  private touch(m: MarketState, ti: TokenIndex, side: Side, price: Micros): void {
    const key = `${m.market.tokenIds[ti]}|${side}|${price}`;
    if (!this.touched.has(key)) this.touched.set(key, { m, ti, side, price });
  }

  /** The level at an order's home changed; in a mirrored book that is a level of both tokens' books. */
  private touchHome(m: MarketState, home: OrderRec["home"]): void {
    if (!this.opts.mirrored) {
      this.touch(m, home.ti, home.side, home.price);
      return;
    }
    this.touch(m, 0, home.side, home.price);
    this.touch(m, 1, flip(home.side), ONE - home.price);
  }

  /** Reports the levels the step changed, then applies the tick-size rule to the markets concerned. */
  private finishStep(t: number): void {
    if (this.touched.size === 0) return;
    const markets = new Set<MarketState>();
    for (const { m, ti, side, price } of this.touched.values()) {
      const [bids, asks] = m.views[ti];
      this.push({
        kind: "level_changed",
        seq: this.nextSeq(),
        atMs: t,
        market: m.market.conditionId,
        tokenId: m.market.tokenIds[ti],
        side,
        price,
        size: (side === "BUY" ? bids : asks).sizeAt(price),
        bestBid: bids.bestPrice(),
        bestAsk: asks.bestPrice(),
      });
      markets.add(m);
    }
    this.touched.clear();
    for (const m of markets) this.checkTick(m, t);
  }

  private checkTick(m: MarketState, t: number): void {
    if (m.closed || m.tick <= FINE_TICK) return;
    const extreme = (p: Micros | null) => p !== null && (p > FINE_TICK_ABOVE || p < FINE_TICK_BELOW);
    const hit = m.views.some(([bids, asks]) => extreme(bids.bestPrice()) || extreme(asks.bestPrice()));
    if (!hit) return;
    const oldTick = m.tick;
    m.tick = FINE_TICK;
    for (const tokenId of m.market.tokenIds) {
      this.push({
        kind: "tick_size_changed",
        seq: this.nextSeq(),
        atMs: t,
        market: m.market.conditionId,
        tokenId,
        oldTick,
        newTick: FINE_TICK,
      });
    }
  }

  // ---------------------------------------------------------------- time

  /** Catches up on everything due by `nowMs`: trade steps, GTD expiries, market closes, delayed takers. */
  advance(nowMs: number): void {
    this.run(nowMs, () => undefined);
  }

  private advanceTo(nowMs: number): void {
    const now = Math.max(nowMs, this.clock);
    for (;;) {
      const job = this.nextJob(now);
      if (!job) break;
      this.clock = Math.max(this.clock, job.at);
      job.run(this.clock);
      this.finishStep(this.clock);
    }
    this.clock = now;
  }

  /** The earliest job due by `now`; at equal times: mined, confirmed, expiry, close, delayed. */
  private nextJob(now: number): Job | undefined {
    let best: Job | undefined;
    const consider = (at: number, run: (t: number) => void) => {
      if (at <= now && (best === undefined || at < best.at)) best = { at, run };
    };
    const matched = this.head(this.matchedQueue, (tr) => tr.stage === "MATCHED");
    if (matched) consider(matched.trade.matchTimeMs + this.opts.minedAfterMs, (t) => this.mine(matched, t));
    const mined = this.head(this.minedQueue, (tr) => tr.stage === "MINED");
    if (mined) consider(mined.trade.matchTimeMs + this.opts.confirmedAfterMs, (t) => this.confirm(mined, t));
    while (this.expiries.size > 0 && !isOpen(this.expiries.peek()!)) this.expiries.pop();
    const expiring = this.expiries.peek();
    if (expiring) consider(expiring.order.expiresAtMs, (t) => this.cancelRec(expiring, t));
    while (this.closes.size > 0 && this.closes.peek()!.closed) this.closes.pop();
    const closing = this.closes.peek();
    if (closing) consider(closing.market.endMs, (t) => this.closeMarket(closing, t));
    const delayed = this.head(this.delayedQueue, (rec) => rec.order.status === "DELAYED");
    if (delayed)
      consider(delayed.order.createdAtMs + this.opts.takerDelayMs, (t) => this.release(delayed, t));
    return best;
  }

  private head<T>(q: Fifo<T>, live: (x: T) => boolean): T | undefined {
    for (let x = q.peek(); x !== undefined; x = q.peek()) {
      if (live(x)) return x;
      q.shift();
    }
    return undefined;
  }

  // ---------------------------------------------------------------- markets

  /** Lists a market: its two books open for orders until `endMs`. Listing the same market again is a no-op. */
  listMarket(market: VenueMarket, nowMs: number): void {
    this.run(nowMs, (t) => {
      if (this.markets.has(market.conditionId)) return;
      const [up, down] = market.tokenIds;
      if (up === down || this.tokens.has(up) || this.tokens.has(down)) {
        throw new Error(`market ${market.conditionId}: token ids must be distinct and new`);
      }
      if (!Number.isSafeInteger(market.tickSize) || market.tickSize <= 0) {
        throw new Error(`market ${market.conditionId}: bad tick size ${market.tickSize}`);
      }
      if (!Number.isSafeInteger(market.feeExponent) || market.feeExponent < 0) {
        throw new Error(`market ${market.conditionId}: fee exponent must be a whole number >= 0`);
      }
      const copy: VenueMarket = { ...market, tokenIds: [up, down] };
      const books: MarketState["books"] = [new TokenBook<OrderRec>(), new TokenBook<OrderRec>()];
      const m: MarketState = {
        market: copy,
        listedSeq: this.listed++,
        tick: market.tickSize,
        opened: false,
        closed: false,
        resolved: false,
        books,
        views: sideReaders(books, this.opts.mirrored),
        open: new Set(),
        pool: new FeePool(),
        lastTrade: [undefined, undefined],
        unfinished: new Set(),
        orders: [],
        trades: [],
      };
      this.markets.set(market.conditionId, m);
      this.tokens.set(up, { m, ti: 0 });
      this.tokens.set(down, { m, ti: 1 });
      this.closes.push(m);
      this.push({
        kind: "market_listed",
        seq: this.nextSeq(),
        atMs: t,
        market: { ...copy, tokenIds: [up, down] },
      });
    });
  }

  /** Emits market_opened once (the model knows the start price; the engine does not). */
  openMarket(conditionId: string, startPrice: number, nowMs: number): void {
    this.run(nowMs, (t) => {
      const m = this.requireMarket(conditionId);
      if (m.opened) return;
      m.opened = true;
      this.push({ kind: "market_opened", seq: this.nextSeq(), atMs: t, market: conditionId, startPrice });
    });
  }

  /**
   * Settles a market: closes it if needed, takes its unsettled trades through their remaining lifecycle steps,
   * pays 1 pUSD per share of the winning token to every holder (the fee pool included), zeroes both tokens and
   * emits market_resolved. Resolving again is a no-op.
   */
  resolveMarket(
    conditionId: string,
    winningTokenId: string,
    startPrice: number,
    endPrice: number,
    nowMs: number,
  ): void {
    this.run(nowMs, (t) => {
      const m = this.requireMarket(conditionId);
      const wi = m.market.tokenIds.indexOf(winningTokenId);
      if (wi < 0) throw new Error(`token ${winningTokenId} is not an outcome of market ${conditionId}`);
      if (m.resolved) return;
      if (!m.closed) {
        this.closeMarket(m, t);
        this.finishStep(t);
      }
      for (const tr of [...m.unfinished]) {
        if (tr.stage === "MATCHED") this.mine(tr, t);
        if (tr.stage === "MINED") this.confirm(tr, t);
      }
      const win = m.market.tokenIds[wi as TokenIndex];
      const lose = m.market.tokenIds[other(wi as TokenIndex)];
      for (const account of this.ledger.all()) {
        const w = account.sharesOf(win);
        const l = account.sharesOf(lose);
        if (w !== 0) {
          account.addShares(win, -w);
          account.collateral += w;
        }
        if (l !== 0) account.addShares(lose, -l);
      }
      m.pool.fees += m.pool.shares[wi as TokenIndex];
      m.pool.shares[0] = 0;
      m.pool.shares[1] = 0;
      m.resolved = true;
      this.push({
        kind: "market_resolved",
        seq: this.nextSeq(),
        atMs: t,
        market: conditionId,
        winningTokenId,
        winningOutcome: OUTCOMES[wi]!,
        startPrice,
        endPrice,
      });
    });
  }

  private requireMarket(conditionId: string): MarketState {
    const m = this.markets.get(conditionId);
    if (!m) throw new Error(`unknown market ${conditionId}`);
    return m;
  }

  private closeMarket(m: MarketState, t: number): void {
    if (m.closed) return;
    m.closed = true;
    for (const rec of [...m.open]) this.cancelRec(rec, t);
  }

  // ---------------------------------------------------------------- balances

  /** Adds pUSD to an account. */
  credit(account: string, pUsd: Micros): void {
    if (!Number.isSafeInteger(pUsd) || pUsd < 0)
      throw new Error(`credit must be a non-negative integer of micros`);
    this.ledger.get(account).collateral += pUsd;
  }

  balance(account: string): AccountBalance {
    return this.ledger.balance(account);
  }

  /** Every account the engine has seen, in order of first appearance. */
  accountIds(): string[] {
    return [...this.ledger.all()].map((a) => a.address);
  }

  /**
   * Splits `amount` pUSD of an account into `amount` Up + `amount` Down shares of a market (the CTF split), so
   * that sellers can have inventory without buying it first.
   */
  split(account: string, conditionId: string, amount: Micros, nowMs: number): SimpleResult {
    return this.run(nowMs, () => {
      const m = this.markets.get(conditionId);
      if (!m) return { success: false, errorMsg: MARKET_NOT_FOUND };
      if (m.resolved) return { success: false, errorMsg: MARKET_NOT_ACCEPTING_ORDERS };
      const a = this.ledger.find(account);
      if (!Number.isSafeInteger(amount) || amount <= 0 || !a || a.availableCollateral() < amount) {
        return { success: false, errorMsg: NOT_ENOUGH_BALANCE };
      }
      a.collateral -= amount;
      a.addShares(m.market.tokenIds[0], amount);
      a.addShares(m.market.tokenIds[1], amount);
      return { success: true };
    });
  }

  /** Merges `amount` Up + `amount` Down shares of an account back into `amount` pUSD (the CTF merge). */
  merge(account: string, conditionId: string, amount: Micros, nowMs: number): SimpleResult {
    return this.run(nowMs, () => {
      const m = this.markets.get(conditionId);
      if (!m) return { success: false, errorMsg: MARKET_NOT_FOUND };
      const a = this.ledger.find(account);
      const [up, down] = m.market.tokenIds;
      if (
        !Number.isSafeInteger(amount) ||
        amount <= 0 ||
        !a ||
        a.availableShares(up) < amount ||
        a.availableShares(down) < amount
      ) {
        return { success: false, errorMsg: NOT_ENOUGH_BALANCE };
      }
      a.addShares(up, -amount);
      a.addShares(down, -amount);
      a.collateral += amount;
      return { success: true };
    });
  }

  /** Maker rebates accrued by an account, in one market or all. */
  makerRebates(account: string, conditionId?: string): Micros {
    const byMarket = this.rebates.get(Ledger.key(account));
    if (!byMarket) return 0;
    if (conditionId !== undefined) return byMarket.get(conditionId) ?? 0;
    let sum = 0;
    for (const v of byMarket.values()) sum += v;
    return sum;
  }

  feePool(conditionId: string): FeePoolView | undefined {
    const m = this.markets.get(conditionId);
    if (!m) return undefined;
    const [up, down] = m.market.tokenIds;
    return {
      fees: m.pool.fees,
      dust: m.pool.dust,
      shares: { [up]: m.pool.shares[0], [down]: m.pool.shares[1] },
    };
  }

  private addRebate(account: string, conditionId: string, amount: Micros): void {
    const key = Ledger.key(account);
    let byMarket = this.rebates.get(key);
    if (!byMarket) {
      byMarket = new Map();
      this.rebates.set(key, byMarket);
    }
    byMarket.set(conditionId, (byMarket.get(conditionId) ?? 0) + amount);
  }

  // ---------------------------------------------------------------- faults

  /** The next `n` trades to reach the MINED step fail instead (cumulative with earlier calls). */
  failNextTrades(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`failNextTrades needs a whole number >= 0`);
    this.failNext += n;
  }

  /** Sets how many of the next trades to reach the MINED step fail (0 clears what was asked before). */
  setFailNextTrades(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`failNextTrades needs a whole number >= 0`);
    this.failNext = n;
  }

  /** How many of the next trades to reach the MINED step will fail. */
  pendingTradeFailures(): number {
    return this.failNext;
  }

  // ---------------------------------------------------------------- retention

  /**
   * Forgets what nobody can ask about any more once a market is resolved (every order closed, every trade
   * CONFIRMED or FAILED): its orders and trades in which no party is kept (`keep` is asked about owners and
   * accounts), those trades in the other parties' trade lists, the balance movements of the trades it keeps
   * (only a failing trade needs them) and the rebates it accrued to accounts not kept. The market itself stays
   * (status, tick, last trade, fee pool) until dropMarket. Unknown or unresolved market: an error.
   */
  compactMarket(conditionId: string, keep: (party: string) => boolean): void {
    const m = this.markets.get(conditionId);
    if (!m) throw new Error(`unknown market ${conditionId}`);
    if (!m.resolved || m.open.size > 0 || m.unfinished.size > 0)
      throw new Error(`market ${conditionId} is not settled yet`);
    const kept: OrderRec[] = [];
    for (const rec of m.orders) {
      if (keep(rec.order.owner) || keep(rec.order.account)) kept.push(rec);
      else if (this.orders.get(rec.order.id) === rec) this.orders.delete(rec.order.id);
    }
    m.orders = kept;
    const keptTrades: TradeRec[] = [];
    const others = new Set<string>();
    for (const tr of m.trades) {
      const t = tr.trade;
      tr.movements = [];
      tr.rebates = [];
      const parties = [t.takerOwner, t.takerAccount, ...t.makers.flatMap((f) => [f.owner, f.account])];
      for (const f of [t.takerOwner, ...t.makers.map((x) => x.owner)]) if (!keep(f)) others.add(f);
      if (parties.some(keep)) keptTrades.push(tr);
      else this.tradeRecs.delete(t.id);
    }
    m.trades = keptTrades;
    for (const owner of others) {
      const list = this.ownerTrades.get(owner);
      if (!list) continue;
      const left = list.filter((tr) => tr.m !== m);
      if (left.length > 0) this.ownerTrades.set(owner, left);
      else this.ownerTrades.delete(owner);
    }
    for (const [account, byMarket] of this.rebates) {
      if (keep(account) || !byMarket.delete(conditionId)) continue;
      if (byMarket.size === 0) this.rebates.delete(account);
    }
  }

  /**
   * Forgets a resolved market altogether: it is no longer found by its id or its tokens (the orders and trades
   * compactMarket kept are still found by theirs).
   */
  dropMarket(conditionId: string): void {
    const m = this.markets.get(conditionId);
    if (!m) return;
    if (!m.resolved) throw new Error(`market ${conditionId} is not resolved`);
    this.markets.delete(conditionId);
    for (const tokenId of m.market.tokenIds) this.tokens.delete(tokenId);
  }

  /** How much the engine holds: markets, orders, trades, entries of the per-owner trade lists, accounts. */
  retained(): { markets: number; orders: number; trades: number; ownerTrades: number; accounts: number } {
    let ownerTrades = 0;
    for (const list of this.ownerTrades.values()) ownerTrades += list.length;
    return {
      markets: this.markets.size,
      orders: this.orders.size,
      trades: this.tradeRecs.size,
      ownerTrades,
      accounts: [...this.ledger.all()].length,
    };
  }

  // ---------------------------------------------------------------- orders

  submit(req: OrderRequest, nowMs: number): SubmitResult {
    return this.run(nowMs, (t) => this.submitAt(req, t));
  }

  private reject(req: OrderRequest, errorMsg: string): SubmitResult {
    return { success: false, orderId: req.id, errorMsg, tradeIds: [], makingAmount: 0, takingAmount: 0 };
  }

  private submitAt(req: OrderRequest, t: number): SubmitResult {
    const existing = this.orders.get(req.id);
    if (existing) return this.repeatAnswer(existing);
    const loc = this.tokens.get(req.tokenId);
    if (!loc) return this.reject(req, MARKET_NOT_FOUND);
    const { m, ti } = loc;
    if (m.closed || m.resolved || t >= m.market.endMs) return this.reject(req, MARKET_NOT_ACCEPTING_ORDERS);
    if (req.postOnly && req.type !== "GTC" && req.type !== "GTD")
      return this.reject(req, POST_ONLY_WRONG_TYPE);
    const tick = m.tick;
    const p = req.price;
    // A marketable order's price is the limit implied by its amounts, which the real venue holds to their
    // precision rather than to the tick (src/protocol/amounts.ts): only a limit order must be on the tick.
    const marketable = req.type === "FAK" || req.type === "FOK";
    const badPrice = marketable
      ? !Number.isSafeInteger(p) || p <= 0 || p >= ONE
      : !Number.isSafeInteger(p) || p % tick !== 0 || p < tick || p > ONE - tick;
    if (badPrice) return this.reject(req, tickSizeError(req.id, p, tick));
    if (!Number.isSafeInteger(req.size) || req.size <= 0 || req.size < m.market.minOrderSize) {
      return this.reject(req, minSizeError(req.id, req.size, m.market.minOrderSize));
    }
    if (
      req.type === "GTD" &&
      !(Number.isFinite(req.expiresAtMs) && req.expiresAtMs >= t + this.opts.minGtdLeadMs)
    ) {
      return this.reject(req, INVALID_EXPIRATION);
    }
    const account = this.ledger.find(req.account);
    const reservation = req.side === "BUY" ? buyReservation(p, req.size, 0n) : req.size;
    const available = !account
      ? 0
      : req.side === "BUY"
        ? account.availableCollateral()
        : account.availableShares(req.tokenId);
    if (!account || reservation > available) return this.reject(req, NOT_ENOUGH_BALANCE);
    const crosses = this.crosses(m, ti, req.side, p);
    if (req.postOnly && crosses) return this.reject(req, POST_ONLY_CROSSES);

    const rec = this.accept(req, m, ti, account, reservation, t);
    if (crosses && !req.postOnly && this.opts.takerDelayMs > 0) {
      rec.order.status = "DELAYED";
      this.delayedQueue.push(rec);
      return {
        success: true,
        orderId: req.id,
        status: "delayed",
        tradeIds: [],
        makingAmount: 0,
        takingAmount: 0,
      };
    }
    return this.execute(rec, t, false);
  }

  private repeatAnswer(rec: OrderRec): SubmitResult {
    const base = {
      orderId: rec.order.id,
      tradeIds: [...rec.order.associateTrades],
      makingAmount: rec.making,
      takingAmount: rec.taking,
    };
    if (rec.failMsg !== undefined) return { success: false, errorMsg: rec.failMsg, ...base };
    const status: SubmitResult["status"] =
      rec.order.status === "LIVE"
        ? "live"
        : rec.order.status === "DELAYED"
          ? "delayed"
          : rec.order.status === "MATCHED"
            ? "matched"
            : "unmatched";
    return { success: true, status, ...base };
  }

  private accept(
    req: OrderRequest,
    m: MarketState,
    ti: TokenIndex,
    account: AccountState,
    reservation: Micros,
    t: number,
  ): OrderRec {
    this.orderSeq += 1;
    const order: RestingOrder = {
      id: req.id,
      owner: req.owner,
      account: req.account,
      tokenId: req.tokenId,
      side: req.side,
      price: req.price,
      size: req.size,
      type: req.type,
      postOnly: req.postOnly,
      expiresAtMs: req.expiresAtMs,
      market: m.market.conditionId,
      outcome: OUTCOMES[ti],
      sizeMatched: 0,
      status: "LIVE",
      createdAtMs: t,
      associateTrades: [],
    };
    const rec: OrderRec = {
      order,
      m,
      ti,
      account,
      seq: this.orderSeq,
      home: this.homeOf(ti, req.side, req.price),
      remaining: req.size,
      reserved: 0,
      exactCum: 0n,
      node: null,
      making: 0,
      taking: 0,
    };
    this.setReservation(rec, reservation);
    this.orders.set(req.id, rec);
    m.orders.push(rec);
    m.open.add(rec);
    let mine = this.ownerOpen.get(req.owner);
    if (!mine) {
      mine = new Set();
      this.ownerOpen.set(req.owner, mine);
    }
    mine.add(rec);
    if (req.type === "GTD") this.expiries.push(rec);
    return rec;
  }

  private setReservation(rec: OrderRec, reserved: Micros): void {
    const delta = reserved - rec.reserved;
    if (delta === 0) return;
    if (rec.order.side === "BUY") rec.account.reservedCollateral += delta;
    else rec.account.addReservedShares(rec.order.tokenId, delta);
    rec.reserved = reserved;
  }

  private closeOrder(rec: OrderRec, status: OrderStatus): void {
    rec.order.status = status;
    this.setReservation(rec, 0);
    rec.m.open.delete(rec);
    this.ownerOpen.get(rec.order.owner)?.delete(rec);
  }

  /** Where an order of token `ti` rests: its own token's book, or its place in the mirrored one. */
  private homeOf(ti: TokenIndex, side: Side, price: Micros): OrderRec["home"] {
    return this.opts.mirrored ? { ti: 0, ...mirroredPlace(ti, side, price) } : { ti, side, price };
  }

  /** Would an order at `price` on token `ti` trade on arrival (complementary bids included for a BUY)? */
  private crosses(m: MarketState, ti: TokenIndex, side: Side, price: Micros): boolean {
    if (this.opts.mirrored) return crossingLevel(m.books[0], mirroredPlace(ti, side, price)) !== undefined;
    const own = m.books[ti];
    if (side === "SELL") {
      const bid = own.bestBid();
      return bid !== null && bid >= price;
    }
    const ask = own.bestAsk();
    if (ask !== null && ask <= price) return true;
    const comp = m.books[other(ti)].bestBid();
    return comp !== null && comp >= ONE - price;
  }

  /** Shares an order could take right now, counting up to `need`. */
  private fillable(rec: OrderRec, need: Micros): Micros {
    if (this.opts.mirrored) return crossingSize(rec.m.books[0], rec.home, need);
    const own = rec.m.books[rec.ti];
    const p = rec.order.price;
    let sum = 0;
    if (rec.order.side === "SELL") {
      for (let k = 0; sum < need; k++) {
        const level = own.bids.levelAt(k);
        if (!level || level.price < p) break;
        sum += level.total;
      }
      return sum;
    }
    for (let k = 0; sum < need; k++) {
      const level = own.asks.levelAt(k);
      if (!level || level.price > p) break;
      sum += level.total;
    }
    const comp = rec.m.books[other(rec.ti)];
    for (let k = 0; sum < need; k++) {
      const level = comp.bids.levelAt(k);
      if (!level || level.price < ONE - p) break;
      sum += level.total;
    }
    return sum;
  }

  /** A delayed order's delay has elapsed. */
  private release(rec: OrderRec, t: number): void {
    rec.order.status = "LIVE";
    this.execute(rec, t, true);
  }

  /** Matches an accepted order and settles what is left of it according to its type. */
  private execute(rec: OrderRec, t: number, wasDelayed: boolean): SubmitResult {
    const type = rec.order.type;
    if (type === "FOK" && this.fillable(rec, rec.remaining) < rec.remaining) {
      return this.kill(rec, t, FOK_NOT_FILLED, true, FOK_KILLED_WIRE_STATUS);
    }
    const trade = this.matchTaker(rec, t);
    if (!trade && type === "FAK") return this.kill(rec, t, FAK_NO_MATCH, wasDelayed);
    if (rec.remaining === 0) {
      this.closeOrder(rec, "MATCHED");
      if (wasDelayed) this.orderEvent("UPDATE", rec, t);
    } else if (type === "GTC" || type === "GTD") {
      const { ti, side, price } = rec.home;
      rec.node = rec.m.books[ti].side(side).add(price, rec, rec.remaining);
      this.touchHome(rec.m, rec.home);
      this.orderEvent("PLACEMENT", rec, t);
    } else if (wasDelayed) {
      this.closeOrder(rec, "CANCELED");
      this.orderEvent("CANCELLATION", rec, t);
    } else {
      // An immediate FAK that partly matched: the real venue reports only the match.
      this.closeOrder(rec, "MATCHED");
    }
    if (trade) {
      rec.m.lastTrade[rec.ti] = { price: trade.price, side: trade.side };
      this.push({
        kind: "last_trade",
        seq: this.nextSeq(),
        atMs: t,
        market: trade.market,
        tokenId: trade.tokenId,
        side: trade.side,
        price: trade.price,
        size: trade.size,
        feeRate: trade.feeRate,
      });
    }
    return {
      success: true,
      orderId: rec.order.id,
      status: trade ? "matched" : "live",
      tradeIds: trade ? [trade.id] : [],
      makingAmount: rec.making,
      takingAmount: rec.taking,
    };
  }

  private kill(rec: OrderRec, t: number, errorMsg: string, withEvent: boolean, wire?: string): SubmitResult {
    this.closeOrder(rec, withEvent ? "CANCELED" : "UNMATCHED");
    rec.failMsg = errorMsg;
    if (withEvent) this.orderEvent("CANCELLATION", rec, t, wire);
    return {
      success: false,
      orderId: rec.order.id,
      errorMsg,
      tradeIds: [],
      makingAmount: 0,
      takingAmount: 0,
    };
  }

  /**
   * The resting order `rec` meets next, if any: best price for the taker first, then time. Two books: a BUY
   * takes its token's asks and the other token's bids (a mint) at equal effective price by arrival, a SELL
   * its token's bids. Mirrored: the head of the best level opposite its place in the one book, if it crosses.
   */
  private nextMaker(rec: OrderRec): OrderRec | undefined {
    const m = rec.m;
    if (this.opts.mirrored) return crossingLevel(m.books[0], rec.home)?.head?.value;
    const p = rec.order.price;
    const own = m.books[rec.ti];
    if (rec.order.side === "SELL") {
      const bid = own.bids.best();
      return bid && bid.price >= p ? bid.head!.value : undefined;
    }
    const ask = own.asks.best();
    const bid = m.books[other(rec.ti)].bids.best();
    const viaAsk = ask && ask.price <= p ? ask.price : undefined;
    const viaBid = bid && ONE - bid.price <= p ? ONE - bid.price : undefined;
    if (viaAsk === undefined && viaBid === undefined) return undefined;
    if (
      viaBid === undefined ||
      (viaAsk !== undefined &&
        (viaAsk < viaBid || (viaAsk === viaBid && ask!.head!.value.seq < bid!.head!.value.seq)))
    ) {
      return ask!.head!.value;
    }
    return bid!.head!.value;
  }

  /**
   * Takes liquidity for `rec` up to its limit and size; emits the trade and the makers' UPDATEs. Leaves the
   * taker's remainder and reservation sized for resting (the caller decides).
   */
  private matchTaker(rec: OrderRec, t: number): VenueTrade | undefined {
    const m = rec.m;
    const p = rec.order.price;
    const isBuy = rec.order.side === "BUY";
    const { feeRate: rate, feeExponent: exp, conditionId } = m.market;
    const takerAccount = rec.account;
    const takerToken = rec.order.tokenId;

    let id: string | undefined;
    const movements: Movement[] = [];
    const rebates: { account: string; amount: Micros }[] = [];
    const makers: MakerFill[] = [];
    const makerRecs: OrderRec[] = [];
    let size = 0;
    let notional = 0n;
    let fee = 0;
    const move = (account: AccountState, tokenId: string | null, amount: Micros, pending: boolean) => {
      if (amount !== 0) movements.push(applyMovement({ kind: "account", account, tokenId, amount, pending }));
    };
    const toPool = (asset: "fees" | "dust" | TokenIndex, amount: Micros) => {
      if (amount !== 0) movements.push(applyMovement({ kind: "pool", pool: m.pool, asset, amount }));
    };

    while (rec.remaining > 0) {
      const maker = this.nextMaker(rec);
      if (!maker) break;
      // A maker on the other token is a BUY against a BUY (MINT) or a SELL against a SELL (MERGE): the pair's
      // prices sum to 1 at the maker's price, so the taker's price is 1 − q (any surplus is its improvement).
      const complementary = maker.ti !== rec.ti;
      if (id === undefined) {
        this.tradeCount += 1;
        id = this.ids.tradeId(this.tradeCount);
      }

      const qty = Math.min(rec.remaining, maker.remaining);
      const q = maker.order.price;
      const takerPrice = complementary ? ONE - q : q;
      const makerValue = BigInt(qty) * BigInt(q);
      const takerValue = BigInt(qty) * BigInt(takerPrice);
      const makerAccount = maker.account;
      const makerToken = maker.order.tokenId;
      let dust: Micros;
      if (isBuy) {
        const pay = payDelta(rec.exactCum, takerValue);
        rec.exactCum += takerValue;
        const feeShares = Math.min(buyFeeInShares(qty, takerPrice, rate, exp), qty);
        move(takerAccount, null, -pay, false);
        move(takerAccount, takerToken, qty - feeShares, true);
        toPool(rec.ti, feeShares);
        fee += feeShares;
        rec.making += pay;
        rec.taking += qty;
        if (complementary) {
          // MINT: both pay their price, one pUSD per pair is locked, each receives its own token.
          const makerPay = payDelta(maker.exactCum, makerValue);
          move(makerAccount, null, -makerPay, false);
          move(makerAccount, makerToken, qty, true);
          dust = pay + makerPay - qty;
          maker.making += makerPay;
          maker.taking += qty;
        } else {
          const got = receiveDelta(maker.exactCum, makerValue);
          move(makerAccount, makerToken, -qty, false);
          move(makerAccount, null, got, true);
          dust = pay - got;
          maker.making += qty;
          maker.taking += got;
        }
      } else {
        const got = receiveDelta(rec.exactCum, takerValue);
        rec.exactCum += takerValue;
        const sellFee = Math.min(takerFee(qty, takerPrice, rate, exp), got);
        move(takerAccount, takerToken, -qty, false);
        move(takerAccount, null, got - sellFee, true);
        toPool("fees", sellFee);
        fee += sellFee;
        rec.making += qty;
        rec.taking += got;
        if (complementary) {
          // MERGE (mirrored books only): both deliver shares, the pair's 1 pUSD pays each its price.
          const makerGot = receiveDelta(maker.exactCum, makerValue);
          move(makerAccount, makerToken, -qty, false);
          move(makerAccount, null, makerGot, true);
          dust = qty - got - makerGot;
          maker.making += qty;
          maker.taking += makerGot;
        } else {
          const makerPay = payDelta(maker.exactCum, makerValue);
          move(makerAccount, null, -makerPay, false);
          move(makerAccount, makerToken, qty, true);
          dust = makerPay - got;
          maker.making += makerPay;
          maker.taking += qty;
        }
      }
      maker.exactCum += makerValue;
      toPool("dust", dust);
      size += qty;
      notional += takerValue;

      // The maker order: book, reservation, status.
      const side = m.books[maker.home.ti].side(maker.home.side);
      const before = maker.remaining;
      maker.remaining -= qty;
      maker.order.sizeMatched += qty;
      maker.order.associateTrades.push(id);
      this.touchHome(m, maker.home);
      if (maker.order.side === "BUY")
        this.setReservation(maker, buyReservation(q, maker.remaining, maker.exactCum));
      else this.setReservation(maker, maker.reserved - qty);
      if (maker.remaining === 0) {
        side.remove(maker.node!, before);
        maker.node = null;
        this.closeOrder(maker, "MATCHED");
      } else {
        side.reduce(maker.node!, qty);
      }
      rec.remaining -= qty;

      makers.push({
        orderId: maker.order.id,
        owner: maker.order.owner,
        account: maker.order.account,
        tokenId: makerToken,
        outcome: maker.order.outcome,
        side: maker.order.side,
        price: q,
        matchedAmount: qty,
        feeEquivalent: makerFeeEquivalent(qty, q, rate, exp),
      });
      makerRecs.push(maker);
      const rebate = estimateMakerRebate(qty, q, rate, this.opts.rebateShare, exp);
      if (rebate > 0) {
        this.addRebate(maker.order.account, conditionId, rebate);
        rebates.push({ account: maker.order.account, amount: rebate });
      }
    }

    if (id === undefined) return undefined;

    rec.order.sizeMatched += size;
    rec.order.associateTrades.push(id);
    if (isBuy) this.setReservation(rec, buyReservation(p, rec.remaining, rec.exactCum));
    else this.setReservation(rec, rec.reserved - size);

    const big = BigInt(size);
    const trade: VenueTrade = {
      id,
      market: conditionId,
      tokenId: takerToken,
      outcome: rec.order.outcome,
      side: rec.order.side,
      price: Number((2n * notional + big) / (2n * big)),
      size,
      takerOrderId: rec.order.id,
      takerOwner: rec.order.owner,
      takerAccount: rec.order.account,
      fee,
      feeRate: rate,
      makers,
      status: "MATCHED",
      matchTimeMs: t,
      lastUpdateMs: t,
      transactionHash: this.ids.transactionHash(this.tradeCount),
    };
    const tr: TradeRec = { trade, m, movements, rebates, stage: "MATCHED" };
    this.tradeRecs.set(id, tr);
    m.trades.push(tr);
    m.unfinished.add(tr);
    this.matchedQueue.push(tr);
    const owners = new Set<string>([rec.order.owner, ...makers.map((f) => f.owner)]);
    for (const owner of owners) {
      let list = this.ownerTrades.get(owner);
      if (!list) {
        list = [];
        this.ownerTrades.set(owner, list);
      }
      list.push(tr);
    }
    this.tradeEvent(tr, t);
    for (const maker of makerRecs) this.orderEvent("UPDATE", maker, t);
    return trade;
  }

  // ---------------------------------------------------------------- trade lifecycle

  private mine(tr: TradeRec, t: number): void {
    let fail = false;
    if (this.failNext > 0) {
      this.failNext -= 1;
      fail = true;
    } else {
      fail = this.rng.chance(this.opts.tradeFailureRate);
    }
    tr.trade.lastUpdateMs = t;
    if (fail) {
      revertMovements(tr.movements);
      for (const r of tr.rebates) this.addRebate(r.account, tr.trade.market, -r.amount);
      tr.trade.status = "FAILED";
      tr.stage = "DONE";
      tr.m.unfinished.delete(tr);
    } else {
      releasePending(tr.movements);
      tr.trade.status = "MINED";
      tr.stage = "MINED";
      this.minedQueue.push(tr);
    }
    this.tradeEvent(tr, t);
  }

  private confirm(tr: TradeRec, t: number): void {
    tr.trade.status = "CONFIRMED";
    tr.trade.lastUpdateMs = t;
    tr.stage = "DONE";
    tr.m.unfinished.delete(tr);
    this.tradeEvent(tr, t);
  }

  // ---------------------------------------------------------------- cancels

  private cancelRec(rec: OrderRec, t: number): void {
    if (!isOpen(rec)) return;
    if (rec.node) {
      rec.m.books[rec.home.ti].side(rec.home.side).remove(rec.node, rec.remaining);
      rec.node = null;
      this.touchHome(rec.m, rec.home);
    }
    this.closeOrder(rec, "CANCELED");
    this.orderEvent("CANCELLATION", rec, t);
  }

  private cancelWhere(owner: string, nowMs: number, pick: (rec: OrderRec) => boolean): CancelResult {
    return this.run(nowMs, (t) => {
      const canceled: string[] = [];
      for (const rec of [...(this.ownerOpen.get(owner) ?? [])]) {
        if (!pick(rec)) continue;
        this.cancelRec(rec, t);
        canceled.push(rec.order.id);
      }
      return { canceled, not_canceled: {} };
    });
  }

  /** Cancels the owner's orders by id; ids that are unknown, closed or someone else's are not_canceled. */
  cancel(owner: string, orderIds: readonly string[], nowMs: number): CancelResult {
    return this.run(nowMs, (t) => {
      const canceled: string[] = [];
      const notCanceled: Record<string, string> = {};
      for (const id of new Set(orderIds)) {
        const rec = this.orders.get(id);
        if (!rec || !isOpen(rec) || rec.order.owner !== owner) {
          notCanceled[id] = CANCEL_NOT_FOUND;
          continue;
        }
        this.cancelRec(rec, t);
        canceled.push(id);
      }
      return { canceled, not_canceled: notCanceled };
    });
  }

  /** Cancels every open order of the owner. */
  cancelAll(owner: string, nowMs: number): CancelResult {
    return this.cancelWhere(owner, nowMs, () => true);
  }

  /** Cancels the owner's open orders in a market and/or on a token (neither given: all of them). */
  cancelMarket(owner: string, filter: { market?: string; assetId?: string }, nowMs: number): CancelResult {
    return this.cancelWhere(
      owner,
      nowMs,
      (rec) =>
        (filter.market === undefined || rec.order.market === filter.market) &&
        (filter.assetId === undefined || rec.order.tokenId === filter.assetId),
    );
  }

  /** What the server calls when an API key's heartbeats lapse: cancelAll. */
  cancelAllForOwner(owner: string, nowMs: number): CancelResult {
    return this.cancelAll(owner, nowMs);
  }

  // ---------------------------------------------------------------- queries (no side effects)

  getOrder(id: string): RestingOrder | undefined {
    const rec = this.orders.get(id);
    return rec ? copyOrder(rec.order) : undefined;
  }

  /** The owner's LIVE and DELAYED orders, oldest first. */
  openOrders(owner: string, filter: OrderFilter = {}): RestingOrder[] {
    const out: RestingOrder[] = [];
    for (const rec of this.ownerOpen.get(owner) ?? []) {
      const o = rec.order;
      if (filter.market !== undefined && o.market !== filter.market) continue;
      if (filter.assetId !== undefined && o.tokenId !== filter.assetId) continue;
      if (filter.id !== undefined && o.id !== filter.id) continue;
      out.push(copyOrder(o));
    }
    return out;
  }

  getTrade(id: string): VenueTrade | undefined {
    const tr = this.tradeRecs.get(id);
    return tr ? copyTrade(tr.trade) : undefined;
  }

  /**
   * Trades in which the owner is the taker or a maker, newest first. `assetId` matches the trade's (taker's)
   * token or the token of one of the owner's maker fills.
   */
  trades(owner: string, filter: TradeFilter = {}): VenueTrade[] {
    const list = this.ownerTrades.get(owner) ?? [];
    const out: VenueTrade[] = [];
    for (let i = list.length - 1; i >= 0; i--) {
      const tr = list[i]!.trade;
      if (filter.market !== undefined && tr.market !== filter.market) continue;
      if (filter.id !== undefined && tr.id !== filter.id) continue;
      if (filter.before !== undefined && !(tr.matchTimeMs < filter.before)) continue;
      if (filter.after !== undefined && !(tr.matchTimeMs > filter.after)) continue;
      if (
        filter.assetId !== undefined &&
        tr.tokenId !== filter.assetId &&
        !tr.makers.some((f) => f.owner === owner && f.tokenId === filter.assetId)
      ) {
        continue;
      }
      out.push(copyTrade(tr));
    }
    return out;
  }

  book(tokenId: string, nowMs: number = this.clock): BookSnapshot | undefined {
    const loc = this.tokens.get(tokenId);
    if (!loc) return undefined;
    const { m, ti } = loc;
    const bids = m.views[ti][0].snapshot();
    const asks = m.views[ti][1].snapshot();
    const canonical = JSON.stringify({
      market: m.market.conditionId,
      asset_id: tokenId,
      bids: bids.map((l) => [formatMicros(l.price), formatMicros(l.size)]),
      asks: asks.map((l) => [formatMicros(l.price), formatMicros(l.size)]),
      tick_size: formatMicros(m.tick),
      min_order_size: formatMicros(m.market.minOrderSize),
    });
    return {
      market: m.market.conditionId,
      tokenId,
      bids,
      asks,
      tickSize: m.tick,
      minOrderSize: m.market.minOrderSize,
      timestampMs: Number.isFinite(nowMs) ? nowMs : 0,
      hash: createHash("sha1").update(canonical).digest("hex"),
    };
  }

  tickSize(tokenId: string): Micros | undefined {
    return this.tokens.get(tokenId)?.m.tick;
  }

  /** The market as listed, with its current tick size. */
  market(conditionId: string): VenueMarket | undefined {
    const m = this.markets.get(conditionId);
    return m ? { ...m.market, tickSize: m.tick } : undefined;
  }

  marketOfToken(tokenId: string): VenueMarket | undefined {
    const loc = this.tokens.get(tokenId);
    return loc ? this.market(loc.m.market.conditionId) : undefined;
  }

  marketStatus(conditionId: string): MarketStatus | undefined {
    const m = this.markets.get(conditionId);
    if (!m) return undefined;
    if (m.resolved) return "resolved";
    if (m.closed) return "closed";
    return m.opened || this.clock >= m.market.startMs ? "open" : "listed";
  }

  /** The taker side and average price of the token's latest trade. */
  lastTradePrice(tokenId: string): LastTrade | undefined {
    const loc = this.tokens.get(tokenId);
    const last = loc?.m.lastTrade[loc.ti];
    return last ? { ...last } : undefined;
  }

  /** The engine's current time (the latest time it has been given). */
  now(): number {
    return this.clock;
  }

  // ---------------------------------------------------------------- BookView

  bestBid(tokenId: string): BookLevel | undefined {
    return this.levels(tokenId, "BUY", 1)[0];
  }

  bestAsk(tokenId: string): BookLevel | undefined {
    return this.levels(tokenId, "SELL", 1)[0];
  }

  levels(tokenId: string, side: Side, depth: number): BookLevel[] {
    const loc = this.tokens.get(tokenId);
    if (!loc) return [];
    return loc.m.views[loc.ti][side === "BUY" ? 0 : 1].snapshot(depth);
  }
}
