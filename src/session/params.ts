import type { Config } from "../config/schema";

/** The parameters every session (and its positions) runs with, from the configuration. */
export function sessionParams(config: Config) {
  return {
    ...config.arbitrage,
    historyEventLimit: 8_000,
    streamingTaskQueue: config.temporal.streamingTaskQueue,
  };
}
