/**
 * The parameters a market session runs with: one section per strategy, plus the session's own.
 *
 * Workflow-safe (the session workflow imports it): type-only imports of the config module, no I/O.
 */
import type { Config } from "../config/schema";
import type { QuotingParams } from "../strategy/quoting/params";

/** The arbitrage section of the configuration, as the session and its positions receive it. */
export type SessionArbitrageParams = Config["arbitrage"];

/** What a session is started with (and carries across continue-as-new). */
export interface SessionParams {
  /** The arbitrage strategy's parameters: handed as they are to the positions the session starts. */
  arbitrage: SessionArbitrageParams;
  /** The quoting strategy's parameters (no session quotes yet: absent). */
  quoting?: QuotingParams;
  /** Events after which the session continues as new (Temporal's hard limit is far above). */
  historyEventLimit: number;
  /** Task queue of the streaming workers (feed activities). */
  streamingTaskQueue: string;
}

/**
 * The shape sessions and schedulers were started with before `SessionParams` had a section per strategy:
 * the arbitrage parameters and the session's own side by side. Recorded histories, running sessions and
 * the schedulers' carried input hold it; {@link sessionParamsOf} reads it.
 */
export type FlatSessionParams = SessionArbitrageParams & {
  historyEventLimit: number;
  streamingTaskQueue: string;
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Session parameters of either shape as today's: `{ arbitrage, quoting?, historyEventLimit,
 * streamingTaskQueue }` as it is (a fresh object, the sections shared), or the flat shape split into its
 * arbitrage section (every field but the session's own two, unknown ones kept) and the session's own
 * fields. Pure.
 */
export function sessionParamsOf(raw: SessionParams | FlatSessionParams): SessionParams {
  const r = raw as unknown as Record<string, unknown>;
  if (isObject(r.arbitrage)) {
    const p = raw as SessionParams;
    return {
      arbitrage: p.arbitrage,
      ...(p.quoting !== undefined ? { quoting: p.quoting } : {}),
      historyEventLimit: p.historyEventLimit,
      streamingTaskQueue: p.streamingTaskQueue,
    };
  }
  const { historyEventLimit, streamingTaskQueue, ...arbitrage } = raw as FlatSessionParams;
  return { arbitrage, historyEventLimit, streamingTaskQueue };
}

/**
 * The parameters every session runs with, from the configuration. The quoting section is left out until
 * a session quotes (changing a quoting setting would otherwise restart the schedulers for nothing).
 */
export function sessionParams(config: Config): SessionParams {
  return {
    arbitrage: { ...config.arbitrage },
    historyEventLimit: 8_000,
    streamingTaskQueue: config.temporal.streamingTaskQueue,
  };
}
