/**
 * The hot path's trigger (ARB_ENTRY_PATH=armed): on every book the feed builds — not only the conflated
 * ones it signals — run the arbitrage detection (pure, the same function the position validates with)
 * and, on an opportunity, send the session's armed position an `execute` Update carrying that book.
 *
 * The position decides: its validator re-detects on the book and refuses (no history event) when halted,
 * outside the window, already executing, or when the book shows nothing. So this side needs no durable
 * state: it only learns which position is armed (the session's state query) and keeps at most one
 * Update in flight. An Update that is refused or finds no workflow makes it ask the session again.
 */
import type { Micros } from "../../src/money";
import type { ChannelLogger } from "../../src/polymarket/channel-client";
import { type ExecuteRequest, type MarketBookSnapshot, QUERIES, UPDATES } from "../../src/session/messages";
import { detectOpportunity } from "../../src/strategy/arbitrage";

/** What the feed needs to detect as the position will (passed down by the session). */
export interface FeedDetection {
  minSpread: Micros;
  budgetPerTrade: Micros;
  rebalanceFreezeMs: number;
  /** The market's window start and rules (its tick is each book's own). */
  startMs?: number;
  tickSize?: Micros;
  minOrderSize?: Micros;
  feeRate?: Micros;
  feeExponent?: number;
}

/** Sends an Update and resolves with its result; rejects with the validator's or the server's error. */
export type UpdateFn = (
  workflowId: string,
  updateName: string,
  arg: unknown,
  updateId: string,
) => Promise<unknown>;
/** Runs a query and resolves with its answer. */
export type QueryFn = (workflowId: string, queryName: string) => Promise<unknown>;

export interface EntryTriggerDeps {
  update: UpdateFn;
  query: QueryFn;
  now: () => number;
  log: ChannelLogger;
}

export interface EntryTriggerStats {
  /** Books on which the detection found an opportunity while a position was armed. */
  detected: number;
  updatesSent: number;
  accepted: number;
  /** Refused by the position's validator (halted, window, already executing, no opportunity). */
  refused: number;
  /** No such workflow, or it had completed. */
  notFound: number;
  failed: number;
}

/** At most one session query this often while no position is known to be armed (the next is armed within ~0.5 s of an execution). */
const REFRESH_INTERVAL_MS = 50;

export class EntryTrigger {
  private armedId: string | undefined;
  private inFlight = false;
  private refreshing = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRefreshAtMs = Number.NEGATIVE_INFINITY;
  private stopped = false;
  /** Positions that accepted an execute: a stale session answer naming one is not taken for armed. */
  private readonly used = new Set<string>();
  /** The newest book offered: examined again as soon as a newly armed position is learned. */
  private lastBook: MarketBookSnapshot | undefined;
  private readonly refusalsLogged = new Set<string>();
  readonly stats: EntryTriggerStats = {
    detected: 0,
    updatesSent: 0,
    accepted: 0,
    refused: 0,
    notFound: 0,
    failed: 0,
  };

  constructor(
    private readonly slug: string,
    private readonly sessionWorkflowId: string,
    private readonly endMs: number,
    private readonly detection: FeedDetection,
    private readonly deps: EntryTriggerDeps,
  ) {}

  start(): void {
    void this.refresh();
  }

  stop(): void {
    this.stopped = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** A new book (numbered as the feed will signal it). Never throws, never waits. */
  offer(book: MarketBookSnapshot): void {
    this.lastBook = book;
    if (this.stopped || this.inFlight) return;
    const now = this.deps.now();
    const d = this.detection;
    if ((d.startMs !== undefined && now < d.startMs) || now >= this.endMs - d.rebalanceFreezeMs) return;
    if (this.armedId === undefined) {
      this.refreshSoon();
      return;
    }
    const rules = {
      tickSize: book.tickSize || d.tickSize || 10_000,
      minOrderSize: d.minOrderSize ?? 5_000_000,
      feeRate: d.feeRate ?? 0,
      feeExponent: d.feeExponent ?? 1,
    };
    if (!detectOpportunity(book, rules, d)) return;
    this.stats.detected += 1;
    const target = this.armedId;
    const request: ExecuteRequest = { book, detectedAtMs: now };
    this.inFlight = true;
    this.stats.updatesSent += 1;
    this.deps
      .update(target, UPDATES.execute, request, `execute-${book.seq}`)
      .then(
        () => {
          this.stats.accepted += 1;
          this.used.add(target);
          this.deps.log.info(
            { slug: this.slug, positionId: target, seq: book.seq },
            "armed position executing",
          );
          // The session arms position n + 1 once n has executed: aim there at once (no query on the hot
          // path); an Update that finds no such workflow yet falls back to asking the session.
          if (this.armedId === target) this.armedId = nextPositionId(target);
        },
        (error: unknown) => this.onUpdateError(target, error),
      )
      .finally(() => {
        this.inFlight = false;
        if (this.armedId === undefined) this.refreshSoon();
      });
  }

  private onUpdateError(target: string, error: unknown): void {
    const { kind, message } = classifyUpdateError(error);
    if (kind === "refused") {
      this.stats.refused += 1;
      // "halted" or "no opportunity" may last: say each reason once per position.
      const key = `${target}/${message}`;
      if (!this.refusalsLogged.has(key)) {
        this.refusalsLogged.add(key);
        this.deps.log.info(
          { slug: this.slug, positionId: target, reason: message },
          "armed position refused a book",
        );
      }
      if (/no longer armed/.test(message)) {
        this.used.add(target);
        if (this.armedId === target) this.armedId = undefined;
      }
      return;
    }
    if (kind === "not-found") {
      this.stats.notFound += 1;
      if (this.armedId === target) this.armedId = undefined;
      return;
    }
    this.stats.failed += 1;
    this.deps.log.warn({ slug: this.slug, positionId: target, error: message }, "execute update failed");
  }

  private refreshSoon(): void {
    if (this.stopped || this.refreshing || this.refreshTimer) return;
    const wait = Math.max(0, this.lastRefreshAtMs + REFRESH_INTERVAL_MS - this.deps.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, wait);
    this.refreshTimer.unref?.();
  }

  private async refresh(): Promise<void> {
    if (this.stopped || this.refreshing) return;
    this.refreshing = true;
    try {
      const view = (await this.deps.query(this.sessionWorkflowId, QUERIES.sessionState)) as
        | { armedPositionId?: unknown }
        | undefined;
      const id = view?.armedPositionId;
      this.armedId = typeof id === "string" && id.length > 0 && !this.used.has(id) ? id : undefined;
    } catch (error) {
      this.deps.log.debug?.(
        { slug: this.slug, error: error instanceof Error ? error.message : String(error) },
        "session query failed",
      );
    } finally {
      this.refreshing = false;
      this.lastRefreshAtMs = this.deps.now();
    }
    // A newly armed position: the opportunity may already be on the book (it arrived meanwhile).
    if (this.armedId !== undefined && this.lastBook) this.offer(this.lastBook);
    else if (this.armedId === undefined && !this.stopped) this.refreshSoon();
  }
}

/** `position-{slug}-{n}` → `position-{slug}-{n+1}` (workflowIds.position); undefined for another shape. */
export function nextPositionId(positionId: string): string | undefined {
  const m = /^(.*-)(\d+)$/.exec(positionId);
  return m ? `${m[1]}${Number(m[2]) + 1}` : undefined;
}

/**
 * refused: the validator (or handler) said no — an ApplicationFailure under WorkflowUpdateFailedError;
 * not-found: no such workflow, or it has completed; failed: anything else (transport, server).
 */
export function classifyUpdateError(error: unknown): {
  kind: "refused" | "not-found" | "failed";
  message: string;
} {
  const e = error as { name?: string; message?: string; cause?: { message?: string } } | undefined;
  const message = e?.cause?.message ?? e?.message ?? String(error);
  if (e?.name === "WorkflowUpdateFailedError") return { kind: "refused", message };
  if (e?.name === "WorkflowNotFoundError" || /not found|already completed/i.test(e?.message ?? ""))
    return { kind: "not-found", message };
  return { kind: "failed", message };
}
