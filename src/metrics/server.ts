/**
 * A process's `/metrics` endpoint: Ballast's registry (./registry.ts) followed by the Temporal SDK's
 * own metrics, in Prometheus' text format, on one port.
 *
 * The Temporal SDK (its Rust core) exports its metrics only through its own Prometheus HTTP server
 * (Runtime telemetryOptions.metrics.prometheus). Each process binds that one to a free loopback port
 * (./temporal.ts), where nothing else sees it, and this endpoint appends its text to Ballast's: the
 * prefixes (`ballast_`, `process_`/`nodejs_` vs `temporal_`) keep the two apart. If the SDK's exporter
 * does not answer, Ballast's metrics are still served, with a comment saying so.
 *
 * Port: METRICS_PORT (config.metrics.port), on every interface (a container's Prometheus scrapes it
 * from another container); 0 picks a free port. If the port is taken — e.g. a workflow worker and a
 * streaming worker started on one machine with the same settings — the endpoint moves to a free port
 * and says so in a warning, rather than stopping a trading process over its metrics.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { registry as ballastRegistry, enableProcessMetrics } from "./registry";

/** Where the lines go (a pino logger fits). */
export interface MetricsLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface MetricsServerOptions {
  /** 0: any free port. */
  port: number;
  /** Default: every interface. */
  host?: string;
  logger?: MetricsLogger;
  /** The Temporal SDK's exporter (./temporal.ts), appended to every answer. */
  sdkMetricsUrl?: string | undefined;
  /** How long a scrape waits for the SDK's exporter. Default 2 000 ms. */
  sdkTimeoutMs?: number;
  /** Default: the process's registry, with the Node.js process metrics turned on. */
  registry?: Registry;
}

export interface MetricsServer {
  /** The port it listens on (the one asked for, or the free one it moved to). */
  readonly port: number;
  /** http://127.0.0.1:port/metrics */
  readonly url: string;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once("error", onError);
    server.listen({ port, ...(host ? { host } : {}), exclusive: true }, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The SDK's metrics text, or a comment saying why there is none. */
async function sdkMetrics(url: string, timeoutMs: number): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return `# Temporal SDK metrics unavailable: HTTP ${res.status}\n`;
    // An OpenMetrics end marker would end the whole exposition early.
    return (await res.text()).replace(/^# EOF\s*$/m, "");
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${(err as Error).message.replace(/\s+/g, " ")}\n`;
  }
}

/** Ballast's metrics, then the SDK's: one Prometheus text exposition. */
export async function metricsText(
  registry: Registry,
  sdkMetricsUrl: string | undefined,
  sdkTimeoutMs = 2_000,
): Promise<string> {
  const [own, sdk] = await Promise.all([
    registry.metrics(),
    sdkMetricsUrl ? sdkMetrics(sdkMetricsUrl, sdkTimeoutMs) : Promise.resolve(""),
  ]);
  if (!sdk) return own;
  return `${own.endsWith("\n") ? own : `${own}\n`}${sdk}`;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const registry = options.registry ?? ballastRegistry;
  if (!options.registry) enableProcessMetrics();
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(path === "/metrics" ? 405 : 404, { "content-type": "text/plain" });
      res.end(path === "/metrics" ? "GET /metrics\n" : "not found: try /metrics\n");
      return;
    }
    metricsText(registry, options.sdkMetricsUrl, options.sdkTimeoutMs).then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: Error) => {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`metrics failed: ${err.message}\n`);
      },
    );
  });
  // Scrapers keep connections open: they must not hold up the process's exit.
  server.keepAliveTimeout = 5_000;
  let port: number;
  try {
    port = await listen(server, options.port, options.host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || options.port === 0) throw err;
    port = await listen(server, 0, options.host);
    options.logger?.warn(
      { metricsPort: options.port, port },
      `METRICS_PORT ${options.port} is in use: serving /metrics on port ${port} instead`,
    );
  }
  const url = `http://127.0.0.1:${port}/metrics`;
  options.logger?.info({ port, url }, "metrics endpoint listening");
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
