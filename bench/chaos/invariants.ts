/**
 * The invariants a chaos trial checks, computed from the venue's own records (its journal of every order
 * our keys submitted, its trades, balances and open orders) against what the service recorded (the
 * database, the workflows). Pure functions: the trial gathers the records, these count the violations.
 */
import type { Submission } from "../../src/venue/server/submissions";
import type { FillRecord } from "../../tests/helpers/stack";

export interface OrderCheck {
  /** doubleAccepted + undecided + beyondIntents: the headline count. */
  duplicateOrders: number;
  /** Order hashes the venue accepted more than once. */
  doubleAccepted: string[];
  /** Hashes our keys sent that no workflow decided (not in the `orders` table, or without its workflow). */
  undecided: string[];
  /** Distinct orders the venue accepted beyond the placeOrder intents the positions' histories hold. */
  beyondIntents: number;
  /** Entries the venue received and never answered. */
  pending: number;
}

export function checkOrders(
  journal: readonly Submission[],
  dbOrders: readonly { id: string; workflow_id: string | null }[],
  intents: number,
): OrderCheck {
  const accepted = new Map<string, number>();
  for (const s of journal) {
    if (s.outcome === "accepted" && s.orderHash)
      accepted.set(s.orderHash, (accepted.get(s.orderHash) ?? 0) + 1);
  }
  const doubleAccepted = [...accepted].filter(([, n]) => n > 1).map(([h]) => h);
  const decided = new Set(dbOrders.filter((o) => o.workflow_id).map((o) => o.id));
  const sent = new Set(journal.flatMap((s) => (s.orderHash ? [s.orderHash] : [])));
  const undecided = [...sent].filter((h) => !decided.has(h));
  const beyondIntents = Math.max(0, accepted.size - intents);
  return {
    duplicateOrders: doubleAccepted.length + undecided.length + beyondIntents,
    doubleAccepted,
    undecided,
    beyondIntents,
    pending: journal.filter((s) => s.outcome === "pending").length,
  };
}

export interface FillCheck {
  /** missing + different + extra: the headline count. */
  lostFills: number;
  /** Venue fills the database lacks. */
  missing: FillRecord[];
  /** Venue fills the database records otherwise (status, size, price, fee, …): [venue, database]. */
  different: [FillRecord, FillRecord][];
  /** Database fills the venue has no trade for. */
  extra: FillRecord[];
}

const keyOf = (f: FillRecord) => `${f.trade}:${f.order}`;

export function checkFills(venue: readonly FillRecord[], database: readonly FillRecord[]): FillCheck {
  const db = new Map(database.map((f) => [keyOf(f), f]));
  const atVenue = new Set(venue.map(keyOf));
  const missing: FillRecord[] = [];
  const different: [FillRecord, FillRecord][] = [];
  for (const f of venue) {
    const d = db.get(keyOf(f));
    if (!d) missing.push(f);
    else if (JSON.stringify(d) !== JSON.stringify(f)) different.push([f, d]);
  }
  const extra = database.filter((f) => !atVenue.has(keyOf(f)));
  return { lostFills: missing.length + different.length + extra.length, missing, different, extra };
}

/** A workflow as it ended (or not): its type, id, Temporal status and, for a position, its result phase. */
export interface WorkflowEnd {
  type: string;
  workflowId: string;
  status: string;
  phase?: string;
}

/**
 * Positions, sessions and feeds that did not complete as they should, and positions whose database row was
 * left open: one entry per workflow id (a position's row shares its id), with every reason. A position ends
 * as it should RESOLVED, ABANDONED, or (armed entry) UNUSED: armed ahead of need and never executed, with
 * no order and no row — unless it has a row, which then counts.
 */
export function checkCompletion(
  workflows: readonly WorkflowEnd[],
  dbTrades: readonly { id: string; status: string }[],
): { stuck: string[] } {
  const reasons = new Map<string, string[]>();
  const add = (id: string, why: string) => reasons.set(id, [...(reasons.get(id) ?? []), why]);
  for (const w of workflows) {
    if (w.status !== "COMPLETED") add(w.workflowId, w.status);
    else if (w.type === "position" && !["RESOLVED", "ABANDONED", "UNUSED"].includes(w.phase ?? ""))
      add(w.workflowId, `ended ${w.phase}`);
  }
  for (const t of dbTrades) {
    if (t.status !== "RESOLVED" && t.status !== "ABANDONED") add(t.id, `trades row ${t.status}`);
  }
  return { stuck: [...reasons].map(([id, why]) => `${id}: ${why.join(", ")}`) };
}
