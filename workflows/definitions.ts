/** Signals, queries and search attributes of Ballast's workflows (names in src/session/messages.ts). */
import { defineQuery, defineSignal } from "@temporalio/workflow";
import type { MarketBookSnapshot, OurFill, ReconcileSnapshot } from "../src/session/messages";
import { QUERIES, SIGNALS } from "../src/session/messages";
import type { PositionView, SessionView } from "./views";

export const marketBookSignal = defineSignal<[MarketBookSnapshot]>(SIGNALS.marketBook);
export const fillsSignal = defineSignal<[OurFill[]]>(SIGNALS.fills);
export const reconcileSignal = defineSignal<[ReconcileSnapshot]>(SIGNALS.reconcile);
export const haltSignal = defineSignal<[{ reason?: string }?]>(SIGNALS.halt);
export const resumeSignal = defineSignal<[]>(SIGNALS.resume);
export const rebalanceNowSignal = defineSignal<[]>(SIGNALS.rebalanceNow);
/** Position → its session: what the position needs from it. */
export const positionStatusSignal = defineSignal<[PositionStatus]>("positionStatus");

export const sessionStateQuery = defineQuery<SessionView>(QUERIES.sessionState);
export const positionStateQuery = defineQuery<PositionView>(QUERIES.positionState);

export interface PositionStatus {
  positionId: string;
  /** Still placing its first orders: the session opens no other position meanwhile. */
  executing: boolean;
  /** Imbalanced and wants every book update. */
  wantsBooks: boolean;
  done: boolean;
}
