/**
 * One arbitrage position, from detection to resolution. Its history tells the whole story:
 * detect → execute → monitor → rebalance → resolve. Deterministic: decisions come from the pure
 * strategy in src/strategy/arbitrage; I/O happens in activities.
 *
 * The shape of Temporal's message-passing samples: the state lives in objects whose methods are the
 * transitions (position/armed.ts: an armed position waiting for its `execute`; position/executing.ts: a
 * position with its opportunity, its orders in position/orders.ts), handlers only call methods, and
 * `position()` below reads as the lifecycle. What it writes to the seed's tables is pure code
 * (src/strategy/arbitrage/records.ts).
 *
 * An operator's rebalance-now comes as the `rebalanceNow` Update (validated: refused, writing no history,
 * unless the position is IMBALANCED, not halted, with no order open; it answers what the evaluation did)
 * or as the older `rebalanceNow` signal (fire and forget).
 */
import type { Config } from "../src/config/schema";
import type { Micros } from "../src/money";
import type { MarketRef, Winner } from "../src/session/market";
import type { MarketBookSnapshot } from "../src/session/messages";
import type { Opportunity } from "../src/strategy/arbitrage";
import { ArmedPosition } from "./position/armed";
import { type ExecutingInput, ExecutingPosition } from "./position/executing";
import type { PositionPhase } from "./views";

export { RESOLUTION_DEADLINE_MS } from "./position/activities";
export { executeRefusal, rebalanceNowRefusal } from "./position/refusals";

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

export interface PositionResult {
  positionId: string;
  phase: PositionPhase;
  winner?: Winner;
  pnl?: Micros;
  upShares: Micros;
  downShares: Micros;
  rebalanceTrades: number;
}

/** The lifecycle: armed → execute the entry → monitor and rebalance → resolve. */
export async function position(input: PositionInput): Promise<PositionResult> {
  let executing: ExecutingInput;
  let how = { armed: false, halted: false };
  if (input.opportunity && input.book && input.detectedAtMs !== undefined) {
    // Started on an opportunity its session detected (the child path).
    executing = input as ExecutingInput;
  } else {
    // Armed: wait for the streaming worker's `execute`, or end UNUSED when the trading time is over.
    const triggered = await new ArmedPosition(input).awaitExecute();
    if (!triggered) {
      return {
        positionId: input.positionId,
        phase: "UNUSED",
        upShares: 0,
        downShares: 0,
        rebalanceTrades: 0,
      };
    }
    executing = { ...input, ...triggered.entry };
    how = { armed: true, halted: triggered.halted };
  }
  const p = new ExecutingPosition(executing, how);
  await p.executeEntry();
  await p.monitor();
  if (p.phase === "ABANDONED") return p.finishAbandoned();
  await p.closeOrders();
  return p.resolve();
}
