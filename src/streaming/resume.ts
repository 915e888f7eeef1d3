/**
 * What the market feed activity heartbeats, and how a retried attempt resumes from it. Pure.
 *
 * Snapshot numbers must keep increasing across attempts: the session ignores a snapshot whose seq is not
 * above the last it took. The details only record the seq as of the last heartbeat that reached Temporal,
 * and the failed attempt may have sent more after it. It cannot have sent many: the conflator starts at
 * most 1 + elapsed / minIntervalMs sends in any span, so from the heartbeat's time to now at most that many
 * numbers can have been used. The resumed attempt starts above that bound (plus a margin for clock skew
 * between streaming workers).
 */
import type { Micros } from "../money";

export interface FeedHeartbeatDetails {
  /** The last seq used (0 before the first snapshot). */
  lastSeq: number;
  /** When the last reconcile read started; null before the first. */
  lastReconcileAtMs: number | null;
  /** Frames received on both channels, over every attempt so far. */
  framesReceived: number;
  /** When these details were taken. */
  atMs: number;
  /** Tick sizes learned so far, by token id. */
  tickSizes: Record<string, Micros>;
}

/** Added to the resume bound, for clock differences between streaming workers. */
export const RESUME_SEQ_MARGIN = 1_000;

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/**
 * Heartbeat details of an earlier attempt, checked field by field (they come back from Temporal as plain
 * JSON, possibly from an older version of this code). Undefined when unusable; bad optional fields default.
 */
export function parseFeedHeartbeatDetails(raw: unknown): FeedHeartbeatDetails | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const lastSeq = count(r.lastSeq);
  if (lastSeq === undefined) return undefined;
  const tickSizes: Record<string, Micros> = {};
  if (typeof r.tickSizes === "object" && r.tickSizes !== null) {
    for (const [token, tick] of Object.entries(r.tickSizes)) {
      const value = count(tick);
      if (value !== undefined && value > 0) tickSizes[token] = value;
    }
  }
  return {
    lastSeq,
    lastReconcileAtMs: count(r.lastReconcileAtMs) ?? null,
    framesReceived: count(r.framesReceived) ?? 0,
    atMs: count(r.atMs) ?? 0,
    tickSizes,
  };
}

/**
 * The last seq to treat as used when resuming: above any seq the earlier attempt can have sent after the
 * heartbeat it left (see the module comment).
 */
export function resumeLastSeq(details: FeedHeartbeatDetails, nowMs: number, minIntervalMs: number): number {
  if (details.atMs <= 0) return details.lastSeq + RESUME_SEQ_MARGIN;
  const elapsed = Math.max(0, nowMs - details.atMs);
  // With no minimum interval, one send (a network round trip to Temporal) per ms is a generous bound.
  const maxSendsSince = 1 + Math.ceil(elapsed / Math.max(1, minIntervalMs));
  return details.lastSeq + maxSendsSince + RESUME_SEQ_MARGIN;
}
