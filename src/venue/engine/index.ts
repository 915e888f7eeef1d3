export { type AccountBalance, Ledger } from "./accounts";
export {
  type CancelResult,
  ENGINE_DEFAULTS,
  type FeePoolView,
  FINE_TICK,
  FINE_TICK_ABOVE,
  FINE_TICK_BELOW,
  type LastTrade,
  MatchingEngine,
  type MatchingEngineOptions,
  type OrderFilter,
  type SimpleResult,
  type TradeFilter,
} from "./engine";
export * from "./errors";
