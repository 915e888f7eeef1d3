/**
 * Routes every Temporal log — the SDK's own, activity context loggers, and workflows' replay-aware
 * `log` (which is silent during replay) — into pino, so one redacting logger sees everything.
 */
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from "@temporalio/common";
import { Runtime } from "@temporalio/worker";
import type { Logger } from "../src/log";

const LEVELS: Record<LogLevel, "trace" | "debug" | "info" | "warn" | "error"> = {
  TRACE: "trace",
  DEBUG: "debug",
  INFO: "info",
  WARN: "warn",
  ERROR: "error",
};

export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.logger[LEVELS[level] ?? "info"]({ ...meta }, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log("TRACE", message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log("DEBUG", message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log("INFO", message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log("WARN", message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log("ERROR", message, meta);
  }
}

/**
 * Installs the process-wide Temporal runtime with pino logging. Call once, before any worker. With
 * `metricsBindAddress` (host:port), the SDK's own metrics are exported there in Prometheus' format, for
 * the process's /metrics to append (src/metrics/server.ts).
 */
export function installTemporalRuntime(
  logger: Logger,
  options: { metricsBindAddress?: string } = {},
): Runtime {
  return Runtime.install({
    logger: new PinoTemporalLogger(logger.child({ component: "temporal" })),
    ...(options.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } } }
      : {}),
  });
}
