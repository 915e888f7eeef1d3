/**
 * The Temporal SDK's own metrics (worker task slots, pollers, task latencies, failures, requests to the
 * server: `temporal_…`): the SDK's Rust core serves them from its own Prometheus exporter, configured
 * when the process's Runtime is installed (workers/runtime.ts). Ballast binds that exporter to a free
 * loopback port and its `/metrics` endpoint (./server.ts) appends what it serves.
 *
 * The SDK does not say which port it bound when asked for port 0, so a free port is found first and
 * handed to it; should another process take it in between, the install fails ("Address already in
 * use") and is tried again on another.
 */
import { createServer } from "node:net";

const LOOPBACK = "127.0.0.1";

/** A port free on the loopback interface right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Calls `install` with a free loopback `host:port` for the SDK's Prometheus exporter, trying other ports
 * while the one given turns out to be taken. Returns what `install` returned and the exporter's URL.
 */
export async function withSdkMetricsAddress<T>(
  install: (bindAddress: string) => T,
  attempts = 5,
): Promise<{ installed: T; url: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const bindAddress = `${LOOPBACK}:${port}`;
    try {
      return { installed: install(bindAddress), url: `http://${bindAddress}/metrics` };
    } catch (err) {
      if (attempt >= attempts || !/address already in use/i.test(String((err as Error)?.message))) throw err;
    }
  }
}
