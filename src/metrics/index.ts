/**
 * Prometheus metrics of a Ballast process (docs/metrics.md): ./registry.ts defines them, ./record.ts is
 * what the activities and the streaming worker call, ./server.ts serves `/metrics`, ./temporal.ts brings
 * in the Temporal SDK's own.
 */
import { type MetricsLogger, type MetricsServer, startMetricsServer } from "./server";
import { withSdkMetricsAddress } from "./temporal";

export type { MetricsLogger, MetricsServer } from "./server";

export interface ProcessMetricsOptions {
  /** METRICS_PORT (config.metrics.port); 0: any free port. */
  port: number;
  logger?: MetricsLogger;
  /**
   * Installs the process's Temporal Runtime with its Prometheus exporter at `bindAddress` (workers/runtime.ts
   * installTemporalRuntime). Omitted for a process without a Temporal worker (no SDK metrics to serve).
   */
  installRuntime?: (bindAddress: string) => unknown;
}

/**
 * Installs the Temporal Runtime (when asked) with its exporter on a free loopback port, then serves
 * `/metrics` on `port`: call once, before any Temporal worker or connection is made.
 */
export async function startProcessMetrics(options: ProcessMetricsOptions): Promise<MetricsServer> {
  const sdk = options.installRuntime ? await withSdkMetricsAddress(options.installRuntime) : undefined;
  return startMetricsServer({
    port: options.port,
    ...(options.logger ? { logger: options.logger } : {}),
    sdkMetricsUrl: sdk?.url,
  });
}

/** The METRICS_PORT of the k-th child of `ballast start` (k = 1, 2): the parent's port + k; 0 stays 0. */
export function childMetricsPort(parentPort: number, k: number): number {
  if (parentPort === 0) return 0;
  const port = parentPort + k;
  return port <= 65_535 ? port : 0;
}
