/**
 * Arbitrage with active position management (seed 000): pure, deterministic decisions for the workflows.
 */
export { detectOpportunity, type Opportunity, type OpportunityParams } from "./opportunity";
export {
  type AppliedFill,
  applyFill,
  averageEntry,
  emptyLedger,
  emptyLeg,
  fillEffect,
  fillKey,
  guaranteedPnl,
  hedgeRatio,
  type LegPosition,
  leg,
  needsRebalancing,
  netCost,
  type PositionLedger,
  pnlIfWins,
  sellableShares,
} from "./position";
export {
  type ChoiceParams,
  chooseRebalance,
  type DecisionParams,
  type RebalanceAction,
  type RebalanceDecision,
  type RebalanceOption,
  type RebalanceParams,
  type RebalanceState,
  realizedRebalanceProfit,
  rebalanceDecision,
  rebalancingOptions,
} from "./rebalance";
export { latencyMs, type Resolution, resolvePosition } from "./resolution";
export type { ArbitrageParams, MarketRules } from "./types";
