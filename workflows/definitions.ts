/** Signals, queries and search attributes of Ballast's workflows (names in src/session/messages.ts). */
import { defineQuery, defineSignal, defineUpdate } from "@temporalio/workflow";
import type {
  ControlView,
  ExecuteRequest,
  ExecuteResult,
  HaltResult,
  MarketBookSnapshot,
  OurFill,
  RebalanceNowResult,
  ReconcileSnapshot,
  ResumeResult,
  SessionHaltResult,
  SessionResumeResult,
} from "../src/session/messages";
import { QUERIES, SIGNALS, UPDATES } from "../src/session/messages";
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

/** Control workflow: the deployment-wide halt, held until resumed. */
export const controlHaltUpdate = defineUpdate<HaltResult, [{ reason?: string }]>(UPDATES.halt);
export const controlResumeUpdate = defineUpdate<ResumeResult, []>(UPDATES.resume);
export const controlStateQuery = defineQuery<ControlView>(QUERIES.controlState);
/** Streaming worker → an armed position: execute the arbitrage on this book (validated; rejected: no history). */
export const executeUpdate = defineUpdate<ExecuteResult, [ExecuteRequest]>(UPDATES.execute);
/**
 * Operator → one market session: halt it (its positions told, its market's open orders cancelled) or resume
 * it; validated (a rejected Update writes no history). The `halt`/`resume` signals above stay: the
 * schedulers and the global `ballast halt` use them for the deployment-wide halt.
 */
export const sessionHaltUpdate = defineUpdate<SessionHaltResult, [{ reason?: string }]>(UPDATES.halt);
export const sessionResumeUpdate = defineUpdate<SessionResumeResult, []>(UPDATES.resume);
/** Operator → a position: evaluate rebalancing now and answer what was done (validated). */
export const rebalanceNowUpdate = defineUpdate<RebalanceNowResult, []>(UPDATES.rebalanceNow);
/** Scheduler → control: tell me the state now (answered with `controlState` carrying `seq`) and on every change. */
export const controlSubscribeSignal = defineSignal<[{ workflowId: string; seq: number }]>("controlSubscribe");
/** Control → scheduler: the state, on subscription (with the request's `seq`) and on every change (seq 0). */
export const controlStateSignal = defineSignal<[ControlStateMessage]>("controlState");

export interface ControlStateMessage {
  halted: boolean;
  reason?: string;
  sinceMs?: number;
  /** The subscription this answers; 0 for a change pushed unasked. */
  seq: number;
}

export interface PositionStatus {
  positionId: string;
  /** Still placing its first orders: the session opens no other position meanwhile. */
  executing: boolean;
  /** Imbalanced and wants every book update. */
  wantsBooks: boolean;
  done: boolean;
  /** Started ahead of need, waiting for the streaming worker's `execute` (ARB_ENTRY_PATH=armed). */
  armed?: boolean;
  /**
   * Venue ids of the orders it has sent, once known (positions patched `position-status-order-ids`): the
   * session routes each fill to the position that owns its order.
   */
  orderIds?: string[];
}
